"""The estate as of any time, and what changed between two times.

Which CIs and relationships existed at T is an indexed interval query on
``[valid_from, valid_to)``. What their fields and attributes were at T comes from the audit
spine: every write records a snapshot (full on create and update, partial for bulk imports),
so replaying an object's events up to T, in order, rebuilds its state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from assetgraph.audit.models import AuditEvent
from assetgraph.core.attributes import public_values
from assetgraph.core.errors import ValidationFailed

from .models import CI, Relationship

# Fields of a CI snapshot that the as-of view overlays on the current row.
CI_FIELDS = (
    "name",
    "ci_class",
    "operational_status",
    "environment",
    "criticality",
    "owning_team",
    "support_group",
    "location",
    "description",
    "attributes",
    "source",
    "redundancy_mode",
    "redundancy_value",
    "planned_retirement",
)
BATCH = 500


def parse_when(raw: str | None, name: str = "as_of") -> dt.datetime | None:
    """An ISO timestamp (or date = its midnight) from a query parameter; aware, or a 422.

    Well-formed but impossible values (``2020-13-45``, ``0000-00-00``) and timestamps that
    leave the calendar once their offset is applied (``0001-01-01T00:00:00+01:00``) are field
    errors too, not server errors.
    """
    if raw in (None, ""):
        return None
    assert raw is not None
    hint = "not an ISO date or timestamp (e.g. 2026-01-31T12:00:00Z)"
    try:
        value = parse_datetime(raw.replace(" ", "+")) if "T" in raw or ":" in raw else None
        if value is None:
            day = parse_date(raw)
            if day is None:
                raise ValueError(hint)
            value = dt.datetime.combine(day, dt.time.min)
        if timezone.is_naive(value):
            value = timezone.make_aware(value, dt.UTC)
        value.astimezone(dt.UTC)  # an offset must not take it out of the calendar
    except (ValueError, OverflowError) as exc:
        message = hint if str(exc) == hint else f"{hint}: {exc}"
        raise ValidationFailed(f"{name}: {message}", fields={name: [message]}) from None
    return value


def states_at(object_type: str, ids: Iterable[Any], when: dt.datetime) -> dict[str, dict[str, Any]]:
    """Each object's snapshot at ``when``: its events up to then, merged in order.

    The create event counts even when stamped a moment after ``valid_from`` (the row and its
    event are written in one transaction, microseconds apart).
    """
    keys = [str(i) for i in ids]
    states: dict[str, dict[str, Any]] = {}
    for start in range(0, len(keys), BATCH):
        events = (
            AuditEvent.objects.filter(
                object_type=object_type, object_id__in=keys[start : start + BATCH]
            )
            .filter(Q(timestamp__lte=when) | Q(action="create"))
            .order_by("id")
            .values_list("object_id", "action", "timestamp", "after")
        )
        for object_id, action, stamp, after in events:
            if stamp > when and action != "create":
                continue
            if after:
                states.setdefault(object_id, {}).update(after)
    return states


def overlay(ci: CI, state: dict[str, Any] | None) -> CI:
    """Put a CI's fields as they were (from its replayed snapshot) onto the instance."""
    if not state:
        return ci
    for name in CI_FIELDS:
        if name not in state:
            continue
        model_field = CI._meta.get_field(name)
        attname = getattr(model_field, "attname", name)
        value = state[name]
        if isinstance(value, str) and model_field.get_internal_type() == "DateField":
            value = parse_date(value)  # snapshots hold dates as ISO text
        if getattr(ci, attname) != value:
            setattr(ci, attname, value)
            if model_field.is_relation:
                ci._state.fields_cache.pop(name, None)
    ci.as_of_state = True  # type: ignore[attr-defined]
    return ci


def cis_as_of(cis: Sequence[CI], when: dt.datetime) -> list[CI]:
    """Overlay the state at ``when`` on a page of CIs (one query per 500 CIs)."""
    states = states_at("cmdb.ci", [c.pk for c in cis], when)
    return [overlay(ci, states.get(str(ci.pk))) for ci in cis]


@dataclass
class Diff:
    """What changed between two times (visible objects only)."""

    added: list[CI] = field(default_factory=list)
    retired: list[CI] = field(default_factory=list)
    changed: list[tuple[CI, list[tuple[str, Any, Any]]]] = field(default_factory=list)
    relationships_added: list[Relationship] = field(default_factory=list)
    relationships_removed: list[Relationship] = field(default_factory=list)


def _changes(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    changes: list[tuple[str, Any, Any]] = []
    for name in CI_FIELDS:
        if name == "attributes":
            old, new = public_values(before.get(name)), public_values(after.get(name))
            for key in sorted(set(old) | set(new)):
                if old.get(key) != new.get(key):
                    changes.append((f"attributes.{key}", old.get(key), new.get(key)))
        elif before.get(name) != after.get(name):
            changes.append((name, before.get(name), after.get(name)))
    return changes


def diff(
    cis: Any, relationships: Any, start: dt.datetime, end: dt.datetime, limit: int = 1000
) -> Diff:
    """CIs added/retired, field and attribute changes, relationships added/removed in
    ``(start, end]``. ``cis``/``relationships`` are the caller's visible querysets."""
    if end < start:
        raise ValidationFailed("to: before from", fields={"to": ["before from"]})
    window = Q(timestamp__gt=start, timestamp__lte=end)
    result = Diff()
    related = cis.select_related("ci_class")
    result.added = list(related.filter(valid_from__gt=start, valid_from__lte=end)[:limit])
    result.retired = list(related.filter(valid_to__gt=start, valid_to__lte=end)[:limit])
    touched = (
        AuditEvent.objects.filter(window, object_type="cmdb.ci", action="update")
        .values_list("object_id", flat=True)
        .distinct()
    )
    ids = sorted({int(i) for i in touched})[: limit * 2]
    existed = list(related.as_of(start).filter(pk__in=ids)) if ids else []
    if existed:
        before = states_at("cmdb.ci", [c.pk for c in existed], start)
        after = states_at("cmdb.ci", [c.pk for c in existed], end)
        for ci in existed:
            changes = _changes(before.get(str(ci.pk), {}), after.get(str(ci.pk), {}))
            if changes:
                result.changed.append((ci, changes))
    rels = relationships.select_related("source", "target", "type")
    result.relationships_added = list(
        rels.filter(valid_from__gt=start, valid_from__lte=end)[:limit]
    )
    result.relationships_removed = list(rels.filter(valid_to__gt=start, valid_to__lte=end)[:limit])
    return result
