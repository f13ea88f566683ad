"""What of the audit trail a user may see: which events, and which fields inside them.

The audit spine stores everything. Every surface that shows events (``/api/audit/events``, the
History tabs, the audit log, the dashboard) and every export reads through this module, so
that the permission rules that hide objects and fields elsewhere hide them here too:

- **Events follow the visibility of the object they concern.** A user whose grant on a type
  carries constraints (say, assets in EMEA) sees the events of the objects ``restrict()``
  leaves them, and no event of an object that no longer exists (its constraint cannot be
  evaluated). Events that also refer to an object of another type (a campaign's scan names the
  scanned asset), declared with ``audit_references``, follow that object's visibility too.
- **Permission-gated fields are redacted.** A type declares, in the registry, which fields need
  which action beyond ``view`` (``field_permissions={"cost": "view_cost"}``); where the user
  lacks that action on the event's object, the field is removed from ``before``, ``after``
  and ``changed_fields`` (and exports drop the column).

Both declarations live in ``registry.register(...)`` next to the type's constraint fields,
so adding a gated field is one line in one place.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from django.db import models
from django.db.models import Q
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from assetgraph.accounts.permissions import has_perm, restrict, sees_all
from assetgraph.audit.models import AuditEvent
from assetgraph.core import registry

# Registry ``extra`` keys: ``registry.register(Model, field_permissions=…, audit_references=…)``.
FIELD_PERMISSIONS = "field_permissions"
AUDIT_REFERENCES = "audit_references"
C = TypeVar("C", bound=Sequence[Any])


def field_permissions(object_type: str) -> dict[str, str]:
    """``{field path: action}`` a type declares: ``"cost": "view_cost"``; a dotted path
    (``"disposal.proceeds"``) names a key inside a nested snapshot value."""
    entry = registry.find(object_type)
    return dict(entry.extra.get(FIELD_PERMISSIONS, {})) if entry else {}


def audit_references(object_type: str) -> dict[str, str]:
    """``{snapshot key: object type}`` for event keys that name an object of another type."""
    entry = registry.find(object_type)
    return dict(entry.extra.get(AUDIT_REFERENCES, {})) if entry else {}


def _as_text_ids(model: type[models.Model], user: Any) -> models.QuerySet[Any]:
    """The visible objects' primary keys as text, comparable with ``AuditEvent.object_id``."""
    visible: models.QuerySet[Any] = (
        restrict(model._default_manager.all(), user, "view")
        .order_by()
        .annotate(_audit_id=Cast("pk", models.CharField(max_length=64)))
        .values("_audit_id")
    )
    return visible


def _reference_conditions(object_type: str, user: Any, annotations: dict[str, Any]) -> Q | None:
    """Events of ``object_type`` whose declared references point at nothing or at objects the
    user may view (``None``: no constrained reference to check)."""
    condition: Q | None = None
    for key, other_type in sorted(audit_references(object_type).items()):
        other = registry.find(other_type)
        if other is None or sees_all(user, other.model):
            continue
        for side in ("before", "after"):
            name = f"_ref_{side}_{key}"
            annotations[name] = Cast(KeyTextTransform(key, side), models.CharField(max_length=64))
            visible = Q(**{f"{name}__isnull": True}) | Q(
                **{f"{name}__in": _as_text_ids(other.model, user)}
            )
            condition = visible if condition is None else condition & visible
    return condition


def visible_events(events: models.QuerySet[AuditEvent], user: Any) -> models.QuerySet[AuditEvent]:
    """Narrow ``events`` (the audit log) to those about objects ``user`` may view.

    One SQL query: unconstrained types are an ``object_type IN (...)``, constrained ones an
    ``object_id IN (visible ids)`` subquery each, evaluated once by both databases.
    """
    events = restrict(events, user, "view")  # constraints on the audit log itself
    if getattr(user, "is_superuser", False):
        return events
    whole_types: list[str] = []
    condition = Q(pk__in=[])
    annotations: dict[str, Any] = {}
    for entry in registry.all_types():
        if not has_perm(user, entry.key, "view"):
            continue
        about = Q(object_type=entry.key)
        constrained = not sees_all(user, entry.model)
        if constrained:
            about &= Q(object_id__in=_as_text_ids(entry.model, user))
        references = _reference_conditions(entry.key, user, annotations)
        if references is not None:
            about &= references
        if constrained or references is not None:
            condition |= about
        else:
            whole_types.append(entry.key)
    if whole_types:
        condition |= Q(object_type__in=whole_types)
    return events.annotate(**annotations).filter(condition)


def history_events(
    events: models.QuerySet[AuditEvent], object_type: str, user: Any
) -> models.QuerySet[AuditEvent]:
    """A History tab's events of one (visible) object, without events that name an object of
    another type the user may not see (a campaign's scans of out-of-scope assets)."""
    annotations: dict[str, Any] = {}
    references = _reference_conditions(object_type, user, annotations)
    if references is None:
        return events
    return events.annotate(**annotations).filter(references)


def _strip(snapshot: Any, paths: Iterable[str]) -> Any:
    """A copy of a before/after snapshot without the given (dotted) keys."""
    if not isinstance(snapshot, dict):
        return snapshot
    result = dict(snapshot)
    for path in paths:
        head, _, rest = path.partition(".")
        if head not in result:
            continue
        if rest:
            result[head] = _strip(result[head], [rest])
        else:
            del result[head]
    return result


def _allowed_ids(object_type: str, action: str, ids: set[str], user: Any) -> set[str] | None:
    """Which of ``ids`` the user holds ``action`` on; ``None`` means all of them."""
    if sees_all(user, object_type, action):
        return None
    if not has_perm(user, object_type, action):
        return set()
    entry = registry.find(object_type)
    numeric = [int(i) for i in ids if i.isdigit()]
    if entry is None or not numeric:
        return set()
    return {
        str(pk)
        for pk in restrict(entry.model._default_manager.filter(pk__in=numeric), user, action)
        .order_by()
        .values_list("pk", flat=True)
    }


def redact(events: Sequence[AuditEvent], user: Any) -> Sequence[AuditEvent]:
    """Remove the gated fields the user may not see from a page of events, in place.

    One query per (type, action) on the page at most, and none for users who hold the action
    unconstrained. The events are display copies: they are never saved (the model refuses).
    """
    wanted: dict[tuple[str, str], set[str]] = defaultdict(set)
    for event in events:
        for action in set(field_permissions(event.object_type).values()):
            wanted[(event.object_type, action)].add(event.object_id)
    allowed = {
        (object_type, action): _allowed_ids(object_type, action, ids, user)
        for (object_type, action), ids in wanted.items()
    }
    for event in events:
        hidden = [
            path
            for path, action in field_permissions(event.object_type).items()
            if (ids := allowed[(event.object_type, action)]) is not None
            and event.object_id not in ids
        ]
        if not hidden:
            continue
        event.before = _strip(event.before, hidden)
        event.after = _strip(event.after, hidden)
        top = {path.partition(".")[0] for path in hidden if "." not in path}
        event.changed_fields = [name for name in event.changed_fields or [] if name not in top]
    return events


def hidden_fields(user: Any, object_type: str) -> set[str]:
    """Gated fields of a type that the user holds on no object at all (for whole columns)."""
    return {
        path
        for path, action in field_permissions(object_type).items()
        if not has_perm(user, object_type, action)
    }


def redact_columns(user: Any, object_type: str, columns: C) -> C:
    """Export columns without those named after a field the user may not see."""
    hidden = hidden_fields(user, object_type)
    if not hidden:
        return columns
    kept = [column for column in columns if column[0] not in hidden]
    return type(columns)(kept) if isinstance(columns, list | tuple) else kept  # type: ignore[return-value]
