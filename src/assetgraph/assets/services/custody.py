"""Custody: check-out to a person, location or asset; check-in; acceptance; offboarding.

Check-out and check-in are conditional UPDATEs on the asset's state and version. Two clerks
racing for the same asset both pass their checks on what they read, but only one UPDATE
matches a row; the other gets a 409. A partial unique index (one open custody record per
asset) backs this up at the database.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from assetgraph.accounts.permissions import authorize, restrict
from assetgraph.audit.services import record_event, snapshot
from assetgraph.core.actor import Actor
from assetgraph.core.errors import Conflict, MissingReference, NotFound, ValidationFailed
from assetgraph.org.choices import PersonStatusChoices
from assetgraph.org.models import Location, Person

from ..choices import AcceptanceChoices, AssetStateChoices, AssetSubstateChoices
from ..lifecycle import TRANSITIONS
from ..models import Asset, CustodyRecord
from .lifecycle import refuse

CHECKOUT_SUBSTATES = (AssetSubstateChoices.AVAILABLE, AssetSubstateChoices.RESERVED)


def _visible(actor: Actor, obj: Any, field: str) -> None:
    """References to objects the actor cannot see are 'not found', as on every surface."""
    if actor.is_system:
        return
    model = type(obj)
    if not restrict(model._default_manager.all(), actor.user, "view").filter(pk=obj.pk).exists():
        noun = model._meta.verbose_name
        raise MissingReference(f"{field}: {noun} {obj.pk} not found", fields={field: ["not found"]})


def _check_nesting(asset: Asset, parent: Asset) -> None:
    node: Asset | None = parent
    seen: set[int] = set()
    while node is not None and node.pk not in seen:
        if node.pk == asset.pk:
            message = "an asset cannot be checked out to itself or to an asset inside it"
            raise ValidationFailed(f"to_asset: {message}", fields={"to_asset": [message]})
        seen.add(node.pk)
        node = node.parent


def check_out_asset(
    actor: Actor,
    asset: Asset,
    *,
    to_person: Person | None = None,
    to_location: Location | None = None,
    to_asset: Asset | None = None,
    expected_return: dt.date | None = None,
    notes: str = "",
) -> CustodyRecord:
    """Hand an available (or reserved) asset to exactly one holder; opens a custody record.

    When the asset's category requires acceptance and the holder is a person, the record
    gets a one-time token for the acceptance page (``/assets/accept/<token>/``).
    """
    targets = [t for t in (to_person, to_location, to_asset) if t is not None]
    if len(targets) != 1:
        message = "check out to exactly one of a person, a location or an asset"
        raise ValidationFailed(
            f"to_person: {message}",
            fields={"to_person": [message], "to_location": [message], "to_asset": [message]},
        )
    rule = TRANSITIONS["check_out"]
    with transaction.atomic():
        current = Asset.objects.select_related("model__category").get(pk=asset.pk)
        authorize(actor, "checkout", current)
        if to_person is not None:
            _visible(actor, to_person, "to_person")
            if to_person.status == PersonStatusChoices.LEFT:
                raise Conflict(
                    f"rule 'check_out': {to_person} has left the company",
                    code="transition_not_allowed",
                )
        if to_location is not None:
            _visible(actor, to_location, "to_location")
        if to_asset is not None:
            _visible(actor, to_asset, "to_asset")
            if to_asset.state == AssetStateChoices.RETIRED:
                message = f"{to_asset.asset_tag} is retired"
                raise ValidationFailed(f"to_asset: {message}", fields={"to_asset": [message]})
            _check_nesting(current, to_asset)
        today = timezone.localdate()
        if expected_return is not None and expected_return < today:
            message = "the expected return date is in the past"
            raise ValidationFailed(
                f"expected_return: {message}", fields={"expected_return": [message]}
            )
        if not rule.allows_from(current.state, current.substate):
            raise refuse(rule, current)
        before = snapshot(current)
        updates: dict[str, Any] = {
            "state": AssetStateChoices.IN_USE,
            "substate": "",
            "custodian": to_person,
            "assigned_location": to_location,
            "parent": to_asset,
            "expected_return": expected_return,
            "deployed_date": today,
            "version": F("version") + 1,
            "updated": timezone.now(),
        }
        if to_location is not None:
            updates["location"] = to_location
        won = Asset.objects.filter(
            pk=current.pk,
            version=current.version,
            state=AssetStateChoices.IN_STOCK,
            substate__in=CHECKOUT_SUBSTATES,
        ).update(**updates)
        if not won:
            raise Conflict(
                f"rule 'check_out': {current.asset_tag} was checked out or changed by someone "
                "else meanwhile; reload and retry",
                code="concurrent_change",
            )
        category = current.model.category
        needs_acceptance = to_person is not None and category.requires_acceptance
        try:
            with transaction.atomic():
                record = CustodyRecord.objects.create(
                    asset=current,
                    person=to_person,
                    location=to_location,
                    parent=to_asset,
                    checked_out_at=timezone.now(),
                    checked_out_by=actor.display[:150],
                    expected_return=expected_return,
                    checkout_notes=notes,
                    acceptance=AcceptanceChoices.PENDING
                    if needs_acceptance
                    else AcceptanceChoices.NOT_REQUIRED,
                    acceptance_token=secrets.token_urlsafe(32) if needs_acceptance else None,
                    acceptance_terms=category.acceptance_terms if needs_acceptance else "",
                )
        except IntegrityError as exc:  # the one-open-record index: a race we lost
            raise Conflict(
                f"rule 'check_out': {current.asset_tag} already has a custodian",
                code="concurrent_change",
            ) from exc
        current.refresh_from_db()
        authorize(actor, "checkout", current, after=True)
        after = {**snapshot(current), "custody_record": record.pk, "notes": notes}
        record_event(actor, "checkout", current, before=before, after=after)
        return record


def check_in_asset(
    actor: Actor,
    asset: Asset,
    *,
    condition_notes: str = "",
    defective: bool = False,
    location: Location | None = None,
) -> Asset:
    """Take an asset back into stock (available, or defective), closing its custody record."""
    rule = TRANSITIONS["check_in"]
    with transaction.atomic():
        current = Asset.objects.get(pk=asset.pk)
        authorize(actor, "checkin", current)
        if location is not None:
            _visible(actor, location, "location")
        if not rule.allows_from(current.state, current.substate):
            raise refuse(rule, current)
        before = snapshot(current)
        updates: dict[str, Any] = {
            "state": AssetStateChoices.IN_STOCK,
            "substate": AssetSubstateChoices.DEFECTIVE
            if defective
            else AssetSubstateChoices.AVAILABLE,
            "custodian": None,
            "assigned_location": None,
            "parent": None,
            "expected_return": None,
            "version": F("version") + 1,
            "updated": timezone.now(),
        }
        if location is not None:
            updates["location"] = location
        won = Asset.objects.filter(
            pk=current.pk, version=current.version, state=AssetStateChoices.IN_USE
        ).update(**updates)
        if not won:
            raise Conflict(
                f"rule 'check_in': {current.asset_tag} was changed by someone else meanwhile; "
                "reload and retry",
                code="concurrent_change",
            )
        CustodyRecord.objects.filter(asset=current, checked_in_at__isnull=True).update(
            checked_in_at=timezone.now(),
            checked_in_by=actor.display[:150],
            condition_notes=condition_notes,
        )
        current.refresh_from_db()
        authorize(actor, "checkin", current, after=True)
        after = {**snapshot(current), "condition_notes": condition_notes}
        record_event(actor, "checkin", current, before=before, after=after)
        return current


def check_in_assets(
    actor: Actor, assets: Iterable[Asset], *, condition_notes: str = "", defective: bool = False
) -> list[Asset]:
    """Check in several assets at once: all of them or, on any refusal, none."""
    with transaction.atomic():
        return [
            check_in_asset(actor, a, condition_notes=condition_notes, defective=defective)
            for a in assets
        ]


def offboard_person(actor: Actor, person: Person, *, condition_notes: str = "") -> list[Asset]:
    """Check in everything a leaver holds (returned at the exit interview), in one go."""
    held = list(Asset.objects.filter(custodian=person).order_by("asset_tag"))
    if not actor.is_system:
        allowed = set(
            restrict(Asset.objects.filter(custodian=person), actor.user, "checkin").values_list(
                "pk", flat=True
            )
        )
        hidden = [a for a in held if a.pk not in allowed]
        if hidden:
            raise Conflict(
                f"{person} holds {len(hidden)} asset(s) you may not check in; ask an administrator"
            )
    return check_in_assets(
        actor, held, condition_notes=condition_notes or f"returned by {person} (offboarding)"
    )


def respond_to_acceptance(
    actor: Actor, token: str, *, accept: bool, note: str = ""
) -> CustodyRecord:
    """Record the custodian's acceptance or refusal, once, with its timestamp."""
    with transaction.atomic():
        record = (
            CustodyRecord.objects.select_related("asset", "person")
            .filter(acceptance_token=token)
            .first()
        )
        if record is None:
            raise NotFound("this acceptance link is not valid")
        outcome = AcceptanceChoices.ACCEPTED if accept else AcceptanceChoices.DECLINED
        answered = CustodyRecord.objects.filter(
            pk=record.pk, acceptance=AcceptanceChoices.PENDING
        ).update(acceptance=outcome, responded_at=timezone.now(), response_note=note)
        if not answered:
            raise Conflict(f"this hand-over was already {record.get_acceptance_display().lower()}")
        record.refresh_from_db()
        record_event(
            actor,
            "accept" if accept else "decline",
            record.asset,
            before={"acceptance": AcceptanceChoices.PENDING},
            after={
                "acceptance": outcome,
                "custody_record": record.pk,
                "person": record.person_id,
                "note": note,
            },
        )
        return record
