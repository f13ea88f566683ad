"""Reservations of loaners and the maintenance log with repairs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from assetgraph.core.actor import Actor
from assetgraph.core.errors import Conflict, ValidationFailed
from assetgraph.stock import services
from assetgraph.stock.models import MaintenanceRecord
from assetgraph.stock.reports import repairs_per_model
from tests.conftest import events_for

pytestmark = pytest.mark.django_db


def test_booking_overlaps_are_refused_and_pick_up_closes_the_booking(
    stock: dict[str, Any], system: Actor, make_asset: Any
) -> None:
    loaner = services.create_loaner(system, {"asset": make_asset()})
    start = timezone.now() + dt.timedelta(days=2)
    first = services.book_loaner(
        system, loaner, stock["minh"], start, start + dt.timedelta(days=3), purpose="trip"
    )
    with pytest.raises(Conflict, match="already booked") as exc:
        services.book_loaner(
            system, loaner, stock["ana"], start + dt.timedelta(days=2), start + dt.timedelta(days=4)
        )
    assert exc.value.code == "overlapping_booking"
    # back-to-back is fine: [start, end) intervals
    services.book_loaner(
        system, loaner, stock["ana"], start + dt.timedelta(days=3), start + dt.timedelta(days=5)
    )
    with pytest.raises(ValidationFailed, match="end: must be after the start"):
        services.book_loaner(system, loaner, stock["ana"], start, start)
    record = services.pick_up_reservation(system, first)
    first.refresh_from_db()
    assert first.state == "picked_up" and first.custody_record_id == record.pk
    assert record.person_id == stock["minh"].pk
    assert record.expected_return == timezone.localtime(first.end).date()
    assert [e.action for e in events_for(first)] == ["create", "pick_up"]
    with pytest.raises(Conflict, match="only open bookings"):
        services.cancel_reservation(system, first)


def test_repair_round_trip_with_cost_and_costs_for_finance(
    stock: dict[str, Any], system: Actor, make_asset: Any
) -> None:
    laptop = make_asset()
    from assetgraph.assets.services import check_out_asset

    check_out_asset(system, laptop, to_person=stock["minh"])
    record = services.send_for_repair(system, laptop, title="broken hinge", supplier=stock["cdw"])
    laptop.refresh_from_db()
    assert laptop.state == "in_repair" and laptop.custodian_id is None  # checked in first
    assert record.in_repair and record.completed is None
    with pytest.raises(Conflict, match="send to repair"):
        services.send_for_repair(system, laptop, title="again")
    back = services.return_from_repair(system, laptop, cost=Decimal("180.00"), currency="EUR")
    laptop.refresh_from_db()
    assert (laptop.state, laptop.substate) == ("in_stock", "available")
    assert back.completed == timezone.localdate() and back.cost == Decimal("180.00")
    services.create_maintenance(
        system,
        {
            "asset": laptop,
            "kind": "warranty_claim",
            "title": "battery",
            "started": timezone.localdate(),
            "cost": Decimal("99.00"),
            "currency": "EUR",
            "warranty_covered": True,
        },
    )
    assert services.maintenance_costs(laptop.pk) == {"EUR": Decimal("180.00")}
    assert services.maintenance_costs(laptop.pk, end=dt.date(2000, 1, 1)) == {}
    with pytest.raises(Conflict, match="no open repair"):
        services.return_from_repair(system, laptop)
    make_asset()  # a second laptop of the model, never repaired
    [row] = repairs_per_model()
    assert (row.model.pk, row.assets, row.repairs, row.assets_repaired, row.repair_rate) == (
        stock["latitude"].pk,
        2,
        2,
        1,
        0.5,
    )
    assert MaintenanceRecord.objects.filter(asset=laptop).count() == 2
