"""Lifecycle transitions, driven by the table in :mod:`assetgraph.assets.lifecycle`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from assetgraph.accounts.permissions import authorize
from assetgraph.audit.services import record_event, snapshot
from assetgraph.core.actor import Actor
from assetgraph.core.errors import Conflict, ValidationFailed
from assetgraph.framework.crud import full_clean
from assetgraph.framework.flags import outage_preview

from ..choices import AssetStateChoices as S
from ..lifecycle import TRANSITIONS, Transition, state_label
from ..models import Asset, CustodyRecord, Disposal
from ..signals import asset_retired, asset_transitioned


def get_transition(name: str) -> Transition:
    """The named transition, or a field error listing the valid names."""
    transition = TRANSITIONS.get(name)
    if transition is None:
        names = ", ".join(n for n, t in TRANSITIONS.items() if not t.custody_only)
        raise ValidationFailed(
            f"transition: unknown {name!r} (use one of {names})",
            fields={"transition": [f"use one of {names}"]},
        )
    return transition


def refuse(transition: Transition, asset: Asset) -> Conflict:
    """The 409 for a transition the table does not allow from the asset's current state."""
    where = state_label(asset.state, asset.substate).lower()
    return Conflict(
        f"rule {transition.name!r}: {asset.asset_tag} is {where}; "
        f"{transition.label.lower()} is allowed only from {transition.describe_sources()}",
        code="transition_not_allowed",
    )


def _disposal(asset: Asset, method: str, data: Mapping[str, Any] | None, rule: str) -> Disposal:
    if not data or not str(data.get("recipient") or "").strip():
        message = f"rule {rule!r} needs a disposal record with its recipient"
        raise ValidationFailed(
            f"disposal.recipient: {message}", fields={"disposal.recipient": [message]}
        )
    proceeds = data.get("proceeds")
    if proceeds not in (None, ""):
        try:
            proceeds = Decimal(str(proceeds))
        except InvalidOperation:
            raise ValidationFailed(
                "disposal.proceeds: not a number", fields={"disposal.proceeds": ["not a number"]}
            ) from None
    else:
        proceeds = None
    disposed_on = data.get("disposed_on") or timezone.localdate()
    if isinstance(disposed_on, str):
        try:
            disposed_on = dt.date.fromisoformat(disposed_on)
        except ValueError:
            raise ValidationFailed(
                "disposal.disposed_on: not a date (use YYYY-MM-DD)",
                fields={"disposal.disposed_on": ["not a date"]},
            ) from None
    record = Disposal(
        asset=asset,
        method=method,
        disposed_on=disposed_on,
        recipient=str(data["recipient"]).strip(),
        certificate_number=str(data.get("certificate_number") or ""),
        proceeds=proceeds,
        currency=str(data.get("currency") or ""),
        notes=str(data.get("notes") or ""),
    )
    try:
        full_clean(record, exclude=["asset"])
    except ValidationFailed as exc:
        fields = {f"disposal.{k}": v for k, v in exc.fields.items()}
        raise ValidationFailed(f"disposal.{exc.message}", fields=fields) from None
    return record


def transition_asset(
    actor: Actor,
    asset: Asset,
    name: str,
    *,
    substate: str = "",
    reason: str = "",
    disposal: Mapping[str, Any] | None = None,
    confirm_impact: bool = False,
) -> Asset:
    """Move an asset along the lifecycle table, or refuse with a 409 naming the rule.

    The update is conditional on the version read, so a concurrent change (a check-out, another
    transition) makes this a 409 instead of silently overwriting it. A transition that takes
    the asset's CI out of service is refused (409 ``confirmation_required``, naming why) when
    a tier-1 service would go down or a redundancy group would lose its last spare, unless
    ``confirm_impact`` (docs/both-layers.md). Retiring the asset retires its CI in the same
    transaction (:data:`asset_retired`).
    """
    transition = get_transition(name)
    if transition.custody_only:
        raise Conflict(
            f"rule {name!r}: use the check-out or check-in action, which records custody",
            code="transition_not_allowed",
        )
    with transaction.atomic():
        current = Asset.objects.select_related("model").get(pk=asset.pk)
        authorize(actor, "change", current)
        if not transition.allows_from(current.state, current.substate):
            raise refuse(transition, current)
        if transition.not_from_person and current.custodian_id is not None:
            raise Conflict(
                f"rule {name!r}: {current.asset_tag} is held by a person; check it in first",
                code="transition_not_allowed",
            )
        if transition.takes_out_of_service and not confirm_impact:
            _require_confirmation(actor, current, name)
        target_sub = substate or (transition.substates[0] if transition.substates else "")
        if transition.substates and target_sub not in transition.substates:
            options = ", ".join(transition.substates)
            raise ValidationFailed(
                f"substate: rule {name!r} leads to one of {options}",
                fields={"substate": [f"use one of {options}"]},
            )
        if not transition.substates and substate:
            raise ValidationFailed(
                f"substate: rule {name!r} has no substates", fields={"substate": ["not allowed"]}
            )
        needed = transition.requirements(target_sub)
        if "reason" in needed and not reason.strip():
            message = f"required by rule {name!r}"
            raise ValidationFailed(f"reason: {message}", fields={"reason": [message]})
        record = _disposal(current, target_sub, disposal, name) if "disposal" in needed else None
        before = snapshot(current)
        today = timezone.localdate()
        updates: dict[str, Any] = {
            "state": transition.target,
            "substate": target_sub,
            "version": F("version") + 1,
            "updated": timezone.now(),
        }
        updates.update(dict.fromkeys(transition.stamps, today))
        if transition.closes_custody:
            updates.update(
                custodian=None, assigned_location=None, parent=None, expected_return=None
            )
        changed = Asset.objects.filter(pk=current.pk, version=current.version).update(**updates)
        if not changed:
            raise Conflict(
                f"rule {name!r}: {current.asset_tag} changed meanwhile; reload and retry",
                code="concurrent_change",
            )
        if transition.closes_custody:
            CustodyRecord.objects.filter(asset=current, checked_in_at__isnull=True).update(
                checked_in_at=timezone.now(),
                checked_in_by=actor.display[:150],
                condition_notes=f"{transition.label}: {reason}",
            )
        if record is not None:
            record.save()
        current.refresh_from_db()
        authorize(actor, "change", current, after=True)
        after = {**snapshot(current), "reason": reason}
        if record is not None:
            after["disposal"] = {
                "recipient": record.recipient,
                "certificate_number": record.certificate_number,
                "proceeds": str(record.proceeds) if record.proceeds is not None else None,
            }
        record_event(actor, name, current, before=before, after=after)
        asset_transitioned.send(Asset, actor=actor, asset=current, transition=name)
        if transition.target == S.RETIRED:
            asset_retired.send(Asset, actor=actor, asset=current, transition=name)
        return current


def _require_confirmation(actor: Actor, asset: Asset, name: str) -> None:
    """Refuse (409) taking the asset's CI out of service without a confirmation when the
    impact app says it breaks a tier-1 service or a redundancy group's last spare."""
    ci = getattr(asset, "ci", None)
    if ci is None or ci.valid_to is not None:
        return
    preview = outage_preview(actor.user, [ci.pk])
    if preview is None or not preview.needs_confirmation:
        return
    raise Conflict(
        f"rule {name!r}: confirm first: " + "; ".join(preview.reasons),
        code="confirmation_required",
    )
