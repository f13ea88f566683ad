"""Bookings of loaners: book, cancel, and pick up (the check-out that closes the booking).

Overlaps are refused race-safe: booking first bumps the loaner's ``bookings`` counter with an
UPDATE, which takes that row's lock on PostgreSQL (SQLite serialises all writers), and only
then checks for an overlapping open booking and inserts. A second booking of the same asset
waits for the first to commit and then sees it, so two overlapping bookings never both land.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from assetgraph.accounts.permissions import authorize
from assetgraph.assets.models import CustodyRecord
from assetgraph.assets.services import check_out_asset
from assetgraph.audit.services import record_event, snapshot
from assetgraph.core.actor import Actor
from assetgraph.core.errors import Conflict, ValidationFailed
from assetgraph.framework.crud import full_clean
from assetgraph.org.models import Person

from ..choices import ReservationStateChoices as State
from ..models import Loaner, Reservation
from .ledger import _visible


def overlapping(loaner_id: int, start: dt.datetime, end: dt.datetime) -> list[Reservation]:
    """Open bookings of the loaner that intersect ``[start, end)``."""
    return list(
        Reservation.objects.filter(
            loaner_id=loaner_id, state=State.BOOKED, start__lt=end, end__gt=start
        ).select_related("person")
    )


def book_loaner(
    actor: Actor,
    loaner: Loaner,
    person: Person,
    start: dt.datetime,
    end: dt.datetime,
    *,
    purpose: str = "",
) -> Reservation:
    """Book a loaner for ``[start, end)``; an overlap with an open booking is a 409."""
    if end <= start:
        raise ValidationFailed("end: must be after the start", fields={"end": ["after the start"]})
    if end <= timezone.now():
        raise ValidationFailed("end: the period is over", fields={"end": ["in the past"]})
    _visible(actor, person, "person")
    with transaction.atomic():
        reservation = Reservation(
            loaner=loaner, person=person, start=start, end=end, purpose=purpose
        )
        authorize(actor, "add", reservation)
        full_clean(reservation)
        if not Loaner.objects.filter(pk=loaner.pk, active=True).update(bookings=F("bookings") + 1):
            raise Conflict(f"{loaner} is not an active loaner", code="not_bookable")
        clash = overlapping(loaner.pk, start, end)
        if clash:
            other = clash[0]
            message = (
                f"{loaner} is already booked {other.start:%Y-%m-%d %H:%M} → "
                f"{other.end:%Y-%m-%d %H:%M} (for {other.person})"
            )
            raise Conflict(message, fields={"start": [message]}, code="overlapping_booking")
        reservation.save()
        record_event(actor, "create", reservation, after=snapshot(reservation))
        return reservation


def _move(
    actor: Actor, reservation: Reservation, target: str, action: str, **extra: object
) -> Reservation:
    moved = Reservation.objects.filter(pk=reservation.pk, state=State.BOOKED).update(
        state=target, updated=timezone.now(), **extra
    )
    if not moved:
        raise Conflict(
            f"this booking is {reservation.get_state_display().lower()}: only open bookings "
            f"can be {'cancelled' if target == State.CANCELLED else 'picked up'}",
            code="transition_not_allowed",
        )
    before = snapshot(reservation)
    reservation.refresh_from_db()
    record_event(actor, action, reservation, before=before, after=snapshot(reservation))
    return reservation


def cancel_reservation(actor: Actor, reservation: Reservation) -> Reservation:
    """Cancel an open booking."""
    with transaction.atomic():
        current = Reservation.objects.get(pk=reservation.pk)
        authorize(actor, "change", current)
        return _move(actor, current, State.CANCELLED, "cancel")


def pick_up_reservation(
    actor: Actor, reservation: Reservation, *, notes: str = ""
) -> CustodyRecord:
    """The borrower collects the loaner: check it out to them (expected back at the end of
    the booking) and close the booking, in one transaction."""
    with transaction.atomic():
        current = Reservation.objects.select_related("loaner__asset", "person").get(
            pk=reservation.pk
        )
        authorize(actor, "change", current)
        if current.state != State.BOOKED:
            raise Conflict(
                f"this booking is {current.get_state_display().lower()}: only open bookings "
                "can be picked up",
                code="transition_not_allowed",
            )
        record = check_out_asset(
            actor,
            current.loaner.asset,
            to_person=current.person,
            expected_return=max(timezone.localdate(), timezone.localtime(current.end).date()),
            notes=notes or f"booking {current.pk}",
        )
        _move(actor, current, State.PICKED_UP, "pick_up", custody_record=record)
        return record
