"""Who asks an impact or root-cause question, and what they may see: worked out once.

Why one object: an impact report lists CIs, teams, people, sites and assets, each behind its
own permission. Checking ``cmdb.ci`` view at every surface and again in every helper made
three checks per request and let helpers disagree; a :class:`Viewer` is made once per request
(:meth:`Viewer.of` is *the* check: no ``cmdb.ci`` view is a 403) and answers every "may they
see this?" after that, with at most one query per kind of object.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db.models import Model, QuerySet

from assetgraph.accounts.permissions import has_perm, restrict
from assetgraph.cmdb.models import CI
from assetgraph.core.errors import PermissionDenied

__all__ = ["Viewer", "visibility"]

I64 = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]
# Below this many ids, a ``pk IN (…)`` query beats reading every visible id.
SMALL = 2_000


def _visible_among(allowed: QuerySet[Any], pks: I64) -> Mask:
    """Which of ``pks`` the narrowed queryset ``allowed`` contains (one query at most)."""
    if allowed.query.is_empty():
        return np.zeros(pks.size, dtype=np.bool_)
    if not allowed.query.where:
        return np.ones(pks.size, dtype=np.bool_)
    if pks.size <= SMALL:
        seen = allowed.filter(pk__in=pks.tolist()).values_list("pk", flat=True)
    else:
        seen = allowed.values_list("pk", flat=True)
    return np.isin(pks, np.fromiter(seen, dtype=np.int64))


def visibility(user: Any, pks: I64) -> Mask:
    """Which of ``pks`` the user may view (``restrict`` on CIs; one query at most)."""
    return _visible_among(restrict(CI.objects.all(), user, "view"), pks)


@dataclass(frozen=True)
class Viewer:
    """The caller of an impact or root-cause question and what they may see.

    ``assets``/``people``/``departments``/``locations``: whether they may view those types
    at all (individual objects still pass ``restrict``, see :meth:`visible`).
    """

    user: Any
    assets: bool
    people: bool
    departments: bool
    locations: bool

    @classmethod
    def of(cls, who: Any) -> Viewer:
        """The viewer for a user (the permission check), or ``who`` if it is one already."""
        if isinstance(who, Viewer):
            return who
        if not has_perm(who, "cmdb.ci", "view"):
            raise PermissionDenied("you may not view CIs")
        return cls(
            who,
            assets=has_perm(who, "assets.asset", "view"),
            people=has_perm(who, "org.person", "view"),
            departments=has_perm(who, "org.department", "view"),
            locations=has_perm(who, "org.location", "view"),
        )

    def cis(self, pks: I64) -> Mask:
        """Which of the CI ``pks`` they may view."""
        return visibility(self.user, pks)

    @cached_property
    def sees_every_ci(self) -> bool:
        """Whether no row rule narrows the CIs they may view (then a result of 500k CIs
        needs no visibility pass, nor its primary keys)."""
        allowed = restrict(CI.objects.all(), self.user, "view")
        return not allowed.query.is_empty() and not allowed.query.where

    def visible(self, model: type[Model], pks: Iterable[int]) -> set[int]:
        """The ids among ``pks`` of ``model`` objects they may view (one query at most)."""
        ids = np.fromiter(set(pks), dtype=np.int64)
        if ids.size == 0:
            return set()
        allowed = restrict(model._default_manager.all(), self.user, "view")
        return {int(i) for i in ids[_visible_among(allowed, ids)]}
