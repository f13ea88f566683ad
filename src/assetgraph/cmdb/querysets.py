"""Reads of the CMDB shared by the API, the UI and the CLI: visible CIs current or as of a
time, a CI's neighbours one level up or down, attribute definitions for filters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import models

from assetgraph.accounts.permissions import restrict

from .models import CI, ClassAttribute, Relationship, RelationshipType

CI_RELATED = ("ci_class", "owning_team", "support_group", "location", "asset")


def visible_cis(
    user: Any, when: dt.datetime | None = None, *, include_retired: bool = False
) -> models.QuerySet[CI]:
    """CIs the user may see: current ones, all of them, or those that existed at ``when``."""
    base = CI.objects.select_related(*CI_RELATED)
    if when is not None:
        base = base.as_of(when)
    elif not include_retired:
        base = base.current()
    return restrict(base, user, "view")


def visible_relationships(
    user: Any, when: dt.datetime | None = None, *, include_ended: bool = False
) -> models.QuerySet[Relationship]:
    """Relationships the user may see, whose two ends they may also see."""
    base = Relationship.objects.select_related("source", "target", "type")
    if when is not None:
        base = base.as_of(when)
    elif not include_ended:
        base = base.current()
    narrowed = restrict(base, user, "view")
    cis = restrict(CI.objects.all(), user, "view")
    if cis.query.where:  # constrained: only links between visible CIs
        narrowed = narrowed.filter(source__in=cis, target__in=cis)
    return narrowed


def attribute_definitions(class_id: int | None = None) -> list[ClassAttribute]:
    """Definitions usable in ``attr.*`` filters: the class's (with its ancestors' and
    subclasses') or all. Two queries: the class tree is read once as ``(id, parent)`` pairs.

    A key defined on unrelated classes with different types resolves to the first one.
    """
    queryset = ClassAttribute.objects.order_by("weight", "key", "pk")
    if class_id is not None:
        from .models import CIClass, subclass_ids

        parents = dict(CIClass.objects.values_list("pk", "parent_id"))
        if class_id not in parents:
            return []
        related: set[int] = set()
        node: int | None = class_id
        while node is not None and node not in related:  # the class and its ancestors
            related.add(node)
            node = parents.get(node)
        related.update(subclass_ids(class_id, tree=parents.items()))  # and its subclasses
        queryset = queryset.filter(ci_class_id__in=related)
    seen: dict[str, ClassAttribute] = {}
    for definition in queryset:
        seen.setdefault(definition.key, definition)
    return list(seen.values())


@dataclass(frozen=True)
class Neighbour:
    """One relationship read from a CI: ``down`` follows the arrow, ``up`` goes against it."""

    relationship: Relationship
    direction: str
    verb: str
    ci: CI

    @property
    def id(self) -> int:
        return self.relationship.pk

    @property
    def type(self) -> RelationshipType:
        return self.relationship.type

    @property
    def ci_class(self) -> str:
        return str(self.ci.ci_class)

    @property
    def description(self) -> str:
        return self.relationship.description

    @property
    def valid_from(self) -> dt.datetime:
        return self.relationship.valid_from

    @property
    def valid_to(self) -> dt.datetime | None:
        return self.relationship.valid_to


def neighbours(
    user: Any, ci: CI, direction: str = "both", when: dt.datetime | None = None, limit: int = 500
) -> list[Neighbour]:
    """The CI's relationships one level ``down`` (what it runs on / depends on / contains),
    ``up`` (what runs on / depends on it) or ``both``; the other end must be visible."""
    rels = visible_relationships(user, when).select_related("source__ci_class", "target__ci_class")
    found: list[Neighbour] = []
    if direction in ("down", "both"):
        for rel in rels.filter(source=ci).order_by("type__name", "target__name")[:limit]:
            found.append(Neighbour(rel, "down", rel.type.name, rel.target))
    if direction in ("up", "both"):
        for rel in rels.filter(target=ci).order_by("type__name", "source__name")[:limit]:
            found.append(Neighbour(rel, "up", rel.type.reverse_name, rel.source))
    return found
