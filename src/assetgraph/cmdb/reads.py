"""CIs for the API from plain rows: the CI rows without joins, then one query per kind of
related object for the display names and one for asset visibility (no N+1), shaped by
:class:`~.schemas.CIOut` itself through the API's fast serialiser (:mod:`assetgraph.api.fast`).

Serialising model instances through the schema costs a joined ORM object per related field
and a validation pass per field and row; with a million CIs loaded that dominated the list
and detail endpoints. Here each reference is a :class:`~assetgraph.api.fast.RefValue` (id and
display read in bulk) and the schema's compiled dumper builds the body.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from typing import Any

from django.db import models
from django.http import HttpRequest, HttpResponse

from assetgraph.accounts.permissions import has_perm, restrict
from assetgraph.api import fast
from assetgraph.api.fast import RefValue
from assetgraph.api.schemas import HIDDEN
from assetgraph.assets.models import Asset
from assetgraph.core.attributes import public_values
from assetgraph.org.models import Department, Location

from .models import CI, CIClass
from .schemas import CIOut

VALUES = tuple(f.attname for f in CI._meta.concrete_fields if f.name not in {"created", "updated"})
REFS: tuple[tuple[str, type[models.Model]], ...] = (
    ("ci_class", CIClass),
    ("owning_team", Department),
    ("support_group", Department),
    ("location", Location),
    ("asset", Asset),
)


# The rows carry their public attributes and the asset the caller may see (read in bulk
# below), so those fields are read as they are rather than through CIOut's resolvers.
ROW_SOURCES: fast.Sources = {
    CIOut: {"attributes": operator.itemgetter("attributes"), "asset": operator.itemgetter("asset")}
}


def ci_rows(cis: Iterable[CI]) -> list[dict[str, Any]]:
    """The instances' column values (as loaded, or as overlaid by an as-of view)."""
    return [{name: getattr(ci, name) for name in VALUES} for ci in cis]


def ci_dicts(request: HttpRequest, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """``CIOut`` bodies: related objects as ``{id, display}`` fetched in bulk, the asset only
    when the caller may see it (a hidden asset is absent, as on every surface)."""
    rows = list(rows)
    wanted: dict[type[models.Model], set[int]] = {}
    for name, model in REFS:
        wanted.setdefault(model, set()).update(
            row[f"{name}_id"] for row in rows if row[f"{name}_id"] is not None
        )
    displays: dict[type[models.Model], dict[int, RefValue]] = {}
    for model, ids in wanted.items():
        if not ids:
            displays[model] = {}
            continue
        queryset: Any = model._default_manager.filter(pk__in=ids)
        if model is Asset:
            if not has_perm(request.user, "assets.asset", "view"):
                displays[model] = {}
                continue
            queryset = restrict(queryset, request.user, "view")
            displays[model] = {obj.pk: RefValue(obj.pk, str(obj)) for obj in queryset}
            continue
        # Hidden means absent: a class, team or place the caller may not view keeps its id
        # but reads "(hidden)", as the shared Ref does.
        narrowed = restrict(queryset, request.user, "view")
        objs = list(queryset)
        if narrowed is queryset:  # an unconstrained grant: everything visible, no query
            displays[model] = {obj.pk: RefValue(obj.pk, str(obj)) for obj in objs}
            continue
        visible = set(narrowed.values_list("pk", flat=True))
        displays[model] = {
            obj.pk: RefValue(obj.pk, str(obj) if obj.pk in visible else HIDDEN) for obj in objs
        }
    for row in rows:
        for name, model in REFS:
            pk = row[f"{name}_id"]
            row[name] = displays[model].get(pk) if pk is not None else None
        row["attributes"] = public_values(row["attributes"])
    return fast.dump_many(CIOut, rows, {"request": request}, ROW_SOURCES)


def respond(request: HttpRequest, data: Any, status: int = 200) -> HttpResponse:
    """Render already-shaped data with the API's own renderer, skipping the per-field
    validation pass (the endpoint's ``response=`` schema documents the shape; the contract
    test validates every response against it)."""
    return fast.render(request, data, status)
