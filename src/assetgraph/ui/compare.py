"""Compare two versions of an object on its History: field by field, in words.

A version is the object as it stood after one of its audit events. Snapshots in the audit
spine are the object's fields after each write (some events carry only what they touched), so
the state after event *E* is every ``after`` up to *E* laid over the one before. The two
states are then described exactly like one History event (:func:`ui.history.describe`):
references by name, choices by label, typed attributes key by key, and fields the viewer may
not read (costs) redacted first. Keys that are not fields of the object (a transition's
``reason``) belong to the event, not to the version, and are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models

from assetgraph.audit.models import AuditEvent

from .history import Change, describe

# The most events one comparison folds (an object's whole history is usually far shorter).
MAX_FOLD = 10_000


@dataclass(frozen=True)
class Comparison:
    """Two versions of one object and what differs between them, in words."""

    older: AuditEvent
    newer: AuditEvent
    changes: list[Change]


def _state_after(events: models.QuerySet[AuditEvent], upto: int) -> dict[str, Any]:
    """The object's fields after event ``upto`` (every ``after`` folded, oldest first)."""
    state: dict[str, Any] = {}
    rows = events.filter(pk__lte=upto).order_by("id").values_list("after", flat=True)
    for after in rows[:MAX_FOLD]:
        if isinstance(after, dict):
            state.update(after)
    return state


def compare_versions(
    events: models.QuerySet[AuditEvent],
    older: AuditEvent,
    newer: AuditEvent,
    model: type[models.Model],
    user: Any,
) -> Comparison:
    """What changed between the version after ``older`` and the version after ``newer``
    (``events``: the object's History as the viewer may see it)."""
    if older.pk > newer.pk:
        older, newer = newer, older
    fields = {f.name for f in model._meta.concrete_fields if getattr(f, "audited", True)}
    before = {k: v for k, v in _state_after(events, older.pk).items() if k in fields}
    after = {k: v for k, v in _state_after(events, newer.pk).items() if k in fields}
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    synthetic = AuditEvent(
        object_type=newer.object_type,
        object_id=newer.object_id,
        object_repr=newer.object_repr,
        action="update",
        before=before,
        after=after,
        changed_fields=changed,
    )
    (described,) = describe([synthetic], user)
    return Comparison(older, newer, described[1])


__all__ = ["Comparison", "compare_versions"]
