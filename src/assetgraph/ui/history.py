"""Readable change lists for audit events: references shown by name, not by id.

Snapshots store foreign keys as ids (the fact); for display we look the names up in bulk, one
query per referenced model per page, falling back to ``#id`` for objects since deleted.
References read as they do on the object's Overview (a visible asset names its custodian);
fields the viewer may not see (costs without ``view_cost``) are redacted first, and which
events are listed at all is decided by :mod:`assetgraph.framework.redaction`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import models

from assetgraph.audit.models import AuditEvent
from assetgraph.core import registry
from assetgraph.framework.redaction import redact


@dataclass(frozen=True)
class Change:
    """One field's change as shown in a History table."""

    field: str
    before: str
    after: str


def _relations(object_type: str) -> dict[str, type[models.Model]]:
    entry = registry.find(object_type)
    if entry is None:
        return {}
    result: dict[str, type[models.Model]] = {}
    for field in entry.model._meta.concrete_fields:
        related = field.related_model
        if field.is_relation and isinstance(related, type):
            result[field.name] = related
    return result


def _text(value: Any) -> str:
    if value is None or value == "":
        return "∅"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "∅"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def describe(events: list[AuditEvent], user: Any) -> list[tuple[AuditEvent, list[Change]]]:
    """Pair each event with its readable changes (empty for creates and deletes), as ``user``
    may see them."""
    redact(events, user)
    wanted: dict[type[models.Model], set[Any]] = defaultdict(set)
    relations = {e.object_type: _relations(e.object_type) for e in events}
    for event in events:
        for name in event.changed_fields if event.action not in {"create", "delete"} else []:
            model = relations[event.object_type].get(name)
            if model is not None:
                for side in (event.before or {}, event.after or {}):
                    if side.get(name) is not None:
                        wanted[model].add(side[name])
    names = {
        model: {obj.pk: str(obj) for obj in model._default_manager.filter(pk__in=pks)}
        for model, pks in wanted.items()
    }
    described = []
    for event in events:
        changes = []
        if event.action not in {"create", "delete"}:
            for name in event.changed_fields:
                model = relations[event.object_type].get(name)
                values = [(event.before or {}).get(name), (event.after or {}).get(name)]
                if model is not None:
                    values = [None if v is None else names[model].get(v, f"#{v}") for v in values]
                changes.append(Change(name, _text(values[0]), _text(values[1])))
        described.append((event, changes))
    return described
