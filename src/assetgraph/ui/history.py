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
from django.urls import NoReverseMatch, reverse

from assetgraph.audit.models import AuditEvent
from assetgraph.core import registry
from assetgraph.framework.redaction import redact

# Bookkeeping the audit trail keeps but people do not read: optimistic-lock counters and
# the ids of records written alongside (a custody record's id).
INTERNAL_KEYS = frozenset({"version", "custody_record", "id", "revision", "etag"})
# Words that read as abbreviations or units inside generated labels ("ram_gb" → "RAM (GB)").
_WORDS = {
    "ram": "RAM",
    "cpu": "CPU",
    "os": "OS",
    "ip": "IP",
    "mac": "MAC",
    "url": "URL",
    "dns": "DNS",
    "sku": "SKU",
    "eol": "end of life",
    "id": "ID",
}
_UNITS = {"gb": "GB", "mb": "MB", "tb": "TB", "ghz": "GHz", "mhz": "MHz", "w": "W", "u": "U"}


@dataclass(frozen=True)
class Change:
    """One field's change as shown in a History table: the stored key, its label for
    people ("RAM (GB)", "End of life") and both values in words."""

    field: str
    before: str
    after: str
    label: str = ""


def humanize(key: str) -> str:
    """A label for a key without a verbose name: ``ram_gb`` → "RAM (GB)",
    ``eol_date`` → "End of life date"."""
    parts = [p for p in key.replace(".", "_").split("_") if p]
    unit = ""
    if len(parts) > 1 and parts[-1].lower() in _UNITS:
        unit = f" ({_UNITS[parts.pop().lower()]})"
    words = " ".join(_WORDS.get(p.lower(), p.lower()) for p in parts)
    return (words[:1].upper() + words[1:] + unit) if words else key


def _label(model: type[models.Model] | None, name: str) -> str:
    """The field's verbose name ("End of life"), else a humanized key."""
    if model is not None:
        try:
            verbose = str(getattr(model._meta.get_field(name), "verbose_name", ""))
        except Exception:
            verbose = ""
        if verbose and verbose != name.replace("_", " "):
            return verbose[:1].upper() + verbose[1:]
    return humanize(name)


def _choice_labels(model: type[models.Model] | None, name: str) -> dict[Any, str]:
    """Stored value → display label of a field with choices ("in_use" → "In use")."""
    if model is None:
        return {}
    try:
        field = model._meta.get_field(name)
    except Exception:
        return {}
    return {value: str(label) for value, label in getattr(field, "flatchoices", ()) or ()}


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
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 16.0 GB reads 16
    return str(value)


def _sentence(event: AuditEvent, names: dict[str, str]) -> str:
    """What the event did, in words ("Checked out to Lan Tran"); "" when the changes say it."""
    action = event.action
    if action == "checkout":
        to = names.get("custodian") or names.get("assigned_location") or names.get("parent")
        return f"Checked out to {to}" if to else "Checked out"
    if action == "checkin":
        return "Checked in"
    if action in {"create", "delete", "update"}:
        return {"create": "Created", "delete": "Deleted", "update": ""}[action]
    words = action.replace("_", " ").replace("-", " ")
    return words[:1].upper() + words[1:]


def describe(events: list[AuditEvent], user: Any) -> list[tuple[AuditEvent, list[Change]]]:
    """Pair each event with its readable changes (empty for creates and deletes), as ``user``
    may see them. Each event also gets ``summary``: what it did in words ("Checked out to Lan
    Tran"). References read by name, choices by label, keys by verbose name; internal
    counters and ids of records written alongside are left out."""
    redact(events, user)
    wanted: dict[type[models.Model], set[Any]] = defaultdict(set)
    relations = {e.object_type: _relations(e.object_type) for e in events}
    models_of = {e.object_type: _model(e.object_type) for e in events}
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
        changes: list[Change] = []
        after_names: dict[str, str] = {}
        owner = models_of[event.object_type]
        if event.action not in {"create", "delete"}:
            for name in event.changed_fields:
                if name in INTERNAL_KEYS:
                    continue
                model = relations[event.object_type].get(name)
                values = [(event.before or {}).get(name), (event.after or {}).get(name)]
                if model is not None:
                    values = [None if v is None else names[model].get(v, f"#{v}") for v in values]
                    if values[1] is not None:
                        after_names[name] = str(values[1])
                if all(isinstance(v, dict) or v is None for v in values) and any(values):
                    changes += _dict_changes(name, values[0] or {}, values[1] or {})
                    continue
                labels = _choice_labels(owner, name)
                if labels:
                    values = [labels.get(v, v) for v in values]
                changes.append(
                    Change(name, _text(values[0]), _text(values[1]), _label(owner, name))
                )
        event.summary = _sentence(event, after_names)  # type: ignore[attr-defined]
        event.type_label, event.object_url = _where(event)  # type: ignore[attr-defined]
        described.append((event, changes))
    return described


def _dict_changes(name: str, before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """A JSON field (typed attributes) changes key by key: "RAM (GB): 16 → 32"."""
    return [
        Change(f"{name}.{key}", _text(before.get(key)), _text(after.get(key)), humanize(key))
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    ]


def _where(event: AuditEvent) -> tuple[str, str]:
    """The event's object type in words and a link to the object (none once it is deleted:
    the events are shown only to those who may see them, see ``framework.redaction``)."""
    entry = registry.find(event.object_type)
    if entry is None:
        return event.object_type, ""
    label = entry.label[:1].upper() + entry.label[1:]
    if event.action == "delete" or not entry.detail_url_name or not str(event.object_id).isdigit():
        return label, ""
    try:
        return label, reverse(entry.detail_url_name, args=[int(event.object_id)])
    except NoReverseMatch:
        return label, ""


def _model(object_type: str) -> type[models.Model] | None:
    entry = registry.find(object_type)
    return entry.model if entry is not None else None
