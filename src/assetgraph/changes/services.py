"""Writes of change records and blackout windows: one transaction, validated, audited.

A change's CI list is part of the change: it is written with the change and recorded in the
change's audit snapshot (``cis``: ``[[ci_id, takes_down], ...]``), so the History tab shows
which CIs were added or removed. State moves only through :func:`transition_change`, driven by
the table in :mod:`assetgraph.changes.lifecycle`; an impossible move is a 409 naming
the rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from assetgraph.accounts.permissions import authorize, restrict
from assetgraph.audit.services import record_event, snapshot
from assetgraph.cmdb.models import CI
from assetgraph.core.actor import Actor
from assetgraph.core.errors import Conflict, PreconditionFailed, ValidationFailed
from assetgraph.framework.crud import assign_editable, delete_instance, full_clean, save_or_conflict
from assetgraph.framework.etags import etag_for

from .lifecycle import (
    EDITABLE_STATES,
    TRANSITIONS,
    ChangeStateChoices,
    ChangeTransition,
)
from .models import BlackoutWindow, ChangeCI, ChangeRecord

MAX_CHANGE_CIS = 500
MAX_SCOPE = 500


@dataclass(frozen=True)
class ItemSpec:
    """One CI of a change, as given by a caller."""

    ci_id: int
    takes_down: bool = True


# ------------------------------------------------------------------------------ helpers
def _item_specs(raw: Iterable[Any], field: str = "cis") -> list[ItemSpec]:
    """Normalise ``[{ci_id|ci, takes_down}, ItemSpec, CI, int]`` into unique item specs."""
    specs: dict[int, ItemSpec] = {}
    for i, item in enumerate(raw):
        if isinstance(item, ItemSpec):
            spec = item
        elif isinstance(item, CI):
            spec = ItemSpec(item.pk)
        elif isinstance(item, int) and not isinstance(item, bool):
            spec = ItemSpec(item)
        elif isinstance(item, Mapping):
            ci = item.get("ci_id", item.get("ci"))
            ci_id = ci.pk if isinstance(ci, CI) else ci
            if not isinstance(ci_id, int) or isinstance(ci_id, bool):
                message = "a CI id is required"
                raise ValidationFailed(
                    f"{field}[{i}].ci_id: {message}", fields={f"{field}[{i}].ci_id": [message]}
                )
            spec = ItemSpec(ci_id, bool(item.get("takes_down", True)))
        else:
            message = "expected a CI id or {ci_id, takes_down}"
            raise ValidationFailed(f"{field}[{i}]: {message}", fields={f"{field}[{i}]": [message]})
        if spec.ci_id in specs:
            message = f"CI {spec.ci_id} is listed twice"
            raise ValidationFailed(f"{field}[{i}]: {message}", fields={f"{field}[{i}]": [message]})
        specs[spec.ci_id] = spec
    if len(specs) > MAX_CHANGE_CIS:
        message = f"at most {MAX_CHANGE_CIS} CIs"
        raise ValidationFailed(f"{field}: {message}", fields={field: [message]})
    return list(specs.values())


def _check_cis(actor: Actor, ci_ids: list[int], field: str) -> None:
    """Every CI must exist, be current and be visible to the actor (hidden = not found)."""
    if not ci_ids:
        return
    queryset: QuerySet[CI] = CI.objects.current().filter(pk__in=ci_ids)
    if not actor.is_system:
        queryset = restrict(queryset, actor.user, "view")
    found = set(queryset.values_list("pk", flat=True))
    missing = [pk for pk in ci_ids if pk not in found]
    if missing:
        message = f"CI {', '.join(map(str, missing[:10]))} not found (or retired)"
        raise ValidationFailed(f"{field}: {message}", fields={field: [message]})


def change_snapshot(change: ChangeRecord) -> dict[str, Any]:
    """The audited state of a change: its fields plus its CIs ``[[ci_id, takes_down], ...]``."""
    data = snapshot(change)
    data["cis"] = [
        [ci_id, down]
        for ci_id, down in ChangeCI.objects.filter(change=change)
        .order_by("ci_id")
        .values_list("ci_id", "takes_down")
    ]
    return data


def _write_items(change: ChangeRecord, specs: list[ItemSpec]) -> None:
    ChangeCI.objects.filter(change=change).delete()
    ChangeCI.objects.bulk_create(
        [ChangeCI(change=change, ci_id=s.ci_id, takes_down=s.takes_down) for s in specs]
    )


# ------------------------------------------------------------------------------ changes
def create_change(actor: Actor, values: Mapping[str, Any]) -> ChangeRecord:
    """Record a new change (in draft) with its CIs; audited as one ``create`` event."""
    values = dict(values)
    raw_items = values.pop("cis", None)
    specs = _item_specs(raw_items or [])
    with transaction.atomic():
        change = ChangeRecord()
        assign_editable(change, values)
        authorize(actor, "add", change)
        full_clean(change)
        _check_cis(actor, [s.ci_id for s in specs], "cis")
        save_or_conflict(change)
        _write_items(change, specs)
        authorize(actor, "add", change, after=True)
        record_event(actor, "create", change, after=change_snapshot(change))
        return change


def _refuse_edit(change: ChangeRecord) -> Conflict:
    allowed = ", ".join(ChangeStateChoices(s).label.lower() for s in sorted(EDITABLE_STATES))
    return Conflict(
        f"rule 'edit': {change.number} is {change.get_state_display().lower()}; "
        f"a change can be edited only while {allowed}",
        code="transition_not_allowed",
    )


def update_change(
    actor: Actor,
    change: ChangeRecord,
    changes: Mapping[str, Any],
    *,
    expected_etag: str | None = None,
) -> ChangeRecord:
    """Edit a draft or scheduled change (fields and/or its CI list ``cis``)."""
    changes = dict(changes)
    raw_items = changes.pop("cis", None)
    specs = _item_specs(raw_items) if raw_items is not None else None
    with transaction.atomic():
        current = ChangeRecord.objects.select_for_update().get(pk=change.pk)
        if expected_etag is not None and etag_for(current) != expected_etag:
            raise PreconditionFailed("the object changed since you read it; reload and retry")
        authorize(actor, "change", current)
        if current.state not in EDITABLE_STATES:
            raise _refuse_edit(current)
        before = change_snapshot(current)
        assign_editable(current, changes)
        full_clean(current)
        if specs is not None:
            _check_cis(actor, [s.ci_id for s in specs], "cis")
        if current.state == ChangeStateChoices.SCHEDULED:
            _require(TRANSITIONS["schedule"], current, specs)
        save_or_conflict(current)
        if specs is not None:
            _write_items(current, specs)
        after = change_snapshot(current)
        if after == before:
            return current
        authorize(actor, "change", current, after=True)
        record_event(actor, "update", current, before=before, after=after)
        return current


def delete_change(actor: Actor, change: ChangeRecord) -> None:
    """Delete a draft (a mistake); anything further along is cancelled instead, keeping it."""
    change = ChangeRecord.objects.get(pk=change.pk)  # the state now, not as the caller read it
    if change.state != ChangeStateChoices.DRAFT:
        raise Conflict(
            f"rule 'delete': {change.number} is {change.get_state_display().lower()}; only "
            "drafts can be deleted (cancel it instead)",
            code="transition_not_allowed",
        )
    delete_instance(actor, change)  # its CI rows cascade


def get_change_transition(name: str) -> ChangeTransition:
    """The named transition, or a field error listing the valid names."""
    transition = TRANSITIONS.get(name)
    if transition is None:
        names = ", ".join(TRANSITIONS)
        raise ValidationFailed(
            f"transition: unknown {name!r} (use one of {names})",
            fields={"transition": [f"use one of {names}"]},
        )
    return transition


def _require(
    transition: ChangeTransition, change: ChangeRecord, specs: list[ItemSpec] | None = None
) -> None:
    """What the rule needs from the record itself: a window, CIs."""
    if "window" in transition.requires and not (change.planned_start and change.planned_end):
        message = f"rule {transition.name!r} needs a planned start and end"
        raise ValidationFailed(
            f"planned_start: {message}",
            fields={"planned_start": [message], "planned_end": [message]},
        )
    if "cis" in transition.requires:
        has_items = bool(specs) if specs is not None else change.items.exists()
        if not has_items:
            message = f"rule {transition.name!r} needs at least one CI"
            raise ValidationFailed(f"cis: {message}", fields={"cis": [message]})


def transition_change(
    actor: Actor, change: ChangeRecord, name: str, *, reason: str = ""
) -> ChangeRecord:
    """Move a change along the transition table, or refuse with a 409 naming the rule.

    The update is conditional on the state read, so two people starting and cancelling the
    same change at once get one success and one 409, never a silent overwrite.
    """
    transition = get_change_transition(name)
    with transaction.atomic():
        current = ChangeRecord.objects.get(pk=change.pk)
        authorize(actor, "change", current)
        if not transition.allows_from(current.state, current.change_type):
            raise Conflict(
                f"rule {transition.name!r}: {current.number} is "
                f"{current.get_state_display().lower()}; {transition.label.lower()} is allowed "
                f"only from {transition.describe_sources()}",
                code="transition_not_allowed",
            )
        if "reason" in transition.requires and not reason.strip():
            message = f"required by rule {transition.name!r}"
            raise ValidationFailed(f"reason: {message}", fields={"reason": [message]})
        _require(transition, current)
        before = change_snapshot(current)
        now = timezone.now()
        updates: dict[str, Any] = {"state": transition.target, "updated": now}
        updates.update(dict.fromkeys(transition.stamps, now))
        if reason.strip():
            updates["outcome"] = reason.strip()
        moved = ChangeRecord.objects.filter(pk=current.pk, state=current.state).update(**updates)
        if moved != 1:
            raise Conflict(
                f"{current.number} changed while you were looking; reload and retry",
                code="concurrent_change",
            )
        current.refresh_from_db()
        record_event(
            actor,
            f"transition:{transition.name}",
            current,
            before=before,
            after=change_snapshot(current),
        )
        return current


# ------------------------------------------------------------------------------ blackouts
def _scope_ids(raw: Iterable[Any] | None) -> list[int] | None:
    if raw is None:
        return None
    ids: list[int] = []
    for i, item in enumerate(raw):
        pk = item.pk if isinstance(item, CI) else item
        if not isinstance(pk, int) or isinstance(pk, bool):
            message = "expected a CI id"
            raise ValidationFailed(f"scope[{i}]: {message}", fields={f"scope[{i}]": [message]})
        if pk not in ids:
            ids.append(pk)
    if len(ids) > MAX_SCOPE:
        message = f"at most {MAX_SCOPE} CIs"
        raise ValidationFailed(f"scope: {message}", fields={"scope": [message]})
    return ids


def blackout_snapshot(window: BlackoutWindow) -> dict[str, Any]:
    """The audited state of a blackout window: its fields plus its scope (CI ids)."""
    data = snapshot(window)
    data["scope"] = sorted(window.scope.values_list("pk", flat=True)) if window.pk else []
    return data


def create_blackout(actor: Actor, values: Mapping[str, Any]) -> BlackoutWindow:
    """Declare a blackout window (optionally scoped to services or other CIs)."""
    values = dict(values)
    scope = _scope_ids(values.pop("scope", None) or values.pop("scope_ids", None)) or []
    with transaction.atomic():
        window = BlackoutWindow()
        assign_editable(window, values)
        authorize(actor, "add", window)
        full_clean(window)
        _check_cis(actor, scope, "scope")
        save_or_conflict(window)
        window.scope.set(scope)
        authorize(actor, "add", window, after=True)
        record_event(actor, "create", window, after=blackout_snapshot(window))
        return window


def update_blackout(
    actor: Actor,
    window: BlackoutWindow,
    changes: Mapping[str, Any],
    *,
    expected_etag: str | None = None,
) -> BlackoutWindow:
    """Edit a blackout window's fields and/or scope."""
    changes = dict(changes)
    raw_scope = changes.pop("scope", changes.pop("scope_ids", None))
    scope = _scope_ids(raw_scope)
    with transaction.atomic():
        current = BlackoutWindow.objects.select_for_update().get(pk=window.pk)
        if expected_etag is not None and etag_for(current) != expected_etag:
            raise PreconditionFailed("the object changed since you read it; reload and retry")
        authorize(actor, "change", current)
        before = blackout_snapshot(current)
        assign_editable(current, changes)
        full_clean(current)
        if scope is not None:
            _check_cis(actor, scope, "scope")
        save_or_conflict(current)
        if scope is not None:
            current.scope.set(scope)
        after = blackout_snapshot(current)
        if after == before:
            return current
        authorize(actor, "change", current, after=True)
        record_event(actor, "update", current, before=before, after=after)
        return current


def delete_blackout(actor: Actor, window: BlackoutWindow) -> None:
    """Remove a blackout window (audited with its last state)."""
    delete_instance(actor, window)
