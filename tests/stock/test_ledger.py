"""The stock ledger: movements, balances, on hand as of a date, counts, transfers, rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from assetgraph.core.actor import Actor
from assetgraph.core.errors import Conflict, ValidationFailed
from assetgraph.stock import services
from assetgraph.stock.models import StockBalance, StockMovement
from assetgraph.stock.querysets import (
    below_minimum,
    check_balances,
    holdings,
    ledger_on_hand,
    on_hand,
    reorder_report,
)
from tests.conftest import events_for

pytestmark = pytest.mark.django_db


def test_receipts_are_ledger_lines_and_balances_agree(stock: dict[str, Any]) -> None:
    loc = stock["store_loc"]
    assert on_hand(stock["headset"].pk, loc.pk) == 6
    assert ledger_on_hand(stock["headset"].pk, loc.pk) == 6
    line = StockMovement.objects.get(item=stock["toner"])
    assert (line.reason, line.quantity, line.to_location_id) == ("received", 20, loc.pk)
    assert line.unit_cost == Decimal("12.50") and line.currency == "EUR"
    # the item's unit cost is the default cost of a receipt
    first = StockMovement.objects.filter(item=stock["headset"], reference="PO-1").get()
    assert first.unit_cost == Decimal("89.00")
    assert [e.action for e in events_for(line)] == ["received"]
    assert check_balances() == []


def test_issue_to_a_person_takes_from_their_site_storeroom_first(
    stock: dict[str, Any], system: Actor
) -> None:
    # Ana sits in Berlin: her headset comes from the Berlin store, not London's bigger stock.
    line = services.issue_stock(system, stock["headset"], 1, to_person=stock["ana"])
    assert line.from_location_id == stock["berlin"].pk and line.reason == "issued"
    # Minh sits in London HQ: his comes from the London store (a floor under HQ).
    line = services.issue_stock(system, stock["headset"], 2, to_person=stock["minh"])
    assert line.from_location_id == stock["store_loc"].pk
    assert [(b.item_id, b.on_hand) for b in holdings(stock["minh"].pk)] == [
        (stock["headset"].pk, 2)
    ]
    # Berlin has 2 left: asking 3 for Ana falls back to London (4 left).
    line = services.issue_stock(system, stock["headset"], 3, to_person=stock["ana"])
    assert line.from_location_id == stock["store_loc"].pk
    assert check_balances() == []


def test_stock_never_goes_negative_and_a_shortfall_is_a_409_naming_the_quantities(
    stock: dict[str, Any], system: Actor
) -> None:
    with pytest.raises(Conflict) as exc:
        services.issue_stock(
            system, stock["toner"], 21, to_person=stock["minh"], from_location=stock["store_loc"]
        )
    assert exc.value.code == "insufficient_stock"
    assert "20 on hand, 21 asked" in exc.value.message
    with pytest.raises(Conflict, match="not enough Toner A4 in any storeroom"):
        services.issue_stock(system, stock["toner"], 21, to_person=stock["minh"])
    assert on_hand(stock["toner"].pk, stock["store_loc"].pk) == 20
    assert StockMovement.objects.filter(reason="issued").count() == 0


def test_accessories_return_consumables_do_not(stock: dict[str, Any], system: Actor) -> None:
    loc = stock["store_loc"]
    services.issue_stock(system, stock["headset"], 2, to_person=stock["minh"])
    services.return_stock(system, stock["headset"], 1, from_person=stock["minh"], to_location=loc)
    assert on_hand(stock["headset"].pk, loc.pk) == 5
    assert holdings(stock["minh"].pk).get().on_hand == 1
    # a person cannot return more than they hold
    with pytest.raises(Conflict, match="1 on hand, 2 asked"):
        services.return_stock(
            system, stock["headset"], 2, from_person=stock["minh"], to_location=loc
        )
    services.issue_stock(system, stock["toner"], 1, to_person=stock["minh"])
    with pytest.raises(Conflict, match="consumables are issued, never returned"):
        services.return_stock(system, stock["toner"], 1, from_person=stock["minh"], to_location=loc)
    assert check_balances() == []


def test_components_install_into_an_asset_and_come_out(
    stock: dict[str, Any], system: Actor, make_asset: Any
) -> None:
    laptop = make_asset()
    services.receive_stock(system, stock["ram"], stock["store_loc"], 4)
    with pytest.raises(ValidationFailed, match="to_asset: a component is installed"):
        services.issue_stock(system, stock["ram"], 1, to_person=stock["minh"])
    with pytest.raises(ValidationFailed, match="goes to a person or place"):
        services.issue_stock(system, stock["headset"], 1, to_asset=laptop)
    services.issue_stock(system, stock["ram"], 2, to_asset=laptop)
    assert StockBalance.objects.get(item=stock["ram"], asset=laptop).on_hand == 2
    services.return_stock(
        system, stock["ram"], 1, from_asset=laptop, to_location=stock["store_loc"]
    )
    assert StockBalance.objects.get(item=stock["ram"], asset=laptop).on_hand == 1
    assert on_hand(stock["ram"].pk, stock["store_loc"].pk) == 3


def test_transfer_is_one_line_between_storerooms(stock: dict[str, Any], system: Actor) -> None:
    before = StockMovement.objects.count()
    line = services.transfer_stock(
        system,
        stock["headset"],
        4,
        from_location=stock["store_loc"],
        to_location=stock["berlin"],
    )
    assert StockMovement.objects.count() == before + 1
    assert (line.reason, line.from_location_id, line.to_location_id) == (
        "transferred",
        stock["store_loc"].pk,
        stock["berlin"].pk,
    )
    assert on_hand(stock["headset"].pk, stock["store_loc"].pk) == 2
    assert on_hand(stock["headset"].pk, stock["berlin"].pk) == 7
    with pytest.raises(ValidationFailed, match=r"to_location: .* is not an active storeroom"):
        services.transfer_stock(
            system,
            stock["headset"],
            1,
            from_location=stock["berlin"],
            to_location=stock["london"],
        )


def test_count_posts_the_difference_as_an_adjustment(stock: dict[str, Any], system: Actor) -> None:
    loc = stock["store_loc"]
    line = services.count_stock(system, stock["toner"], loc, 17, note="shelf count")
    assert line is not None
    assert (line.reason, line.quantity, line.from_location_id, line.to_location_id) == (
        "counted",
        3,
        loc.pk,
        None,
    )
    assert (line.expected_quantity, line.found_quantity) == (20, 17)
    line = services.count_stock(system, stock["toner"], loc, 19)
    assert line is not None and line.to_location_id == loc.pk and line.quantity == 2
    assert services.count_stock(system, stock["toner"], loc, 19) is None
    assert [e.action for e in events_for(stock["london_store"])][-3:] == ["count"] * 3
    assert on_hand(stock["toner"].pk, loc.pk) == 19 == ledger_on_hand(stock["toner"].pk, loc.pk)


def test_on_hand_as_of_any_date_sums_the_lines_up_to_then(
    stock: dict[str, Any], system: Actor
) -> None:
    loc = stock["store_loc"]
    middle = timezone.now()
    services.write_off_stock(system, stock["toner"], 5, from_location=loc, note="water damage")
    StockMovement.objects.filter(item=stock["toner"], reason="received").update(
        occurred_at=middle - dt.timedelta(days=2)
    )
    assert ledger_on_hand(stock["toner"].pk, loc.pk, middle - dt.timedelta(days=3)) == 0
    assert ledger_on_hand(stock["toner"].pk, loc.pk, middle) == 20
    assert ledger_on_hand(stock["toner"].pk, loc.pk) == 15 == on_hand(stock["toner"].pk, loc.pk)


def test_write_off_needs_a_reason(stock: dict[str, Any], system: Actor) -> None:
    with pytest.raises(ValidationFailed, match="note: say why"):
        services.write_off_stock(
            system, stock["toner"], 1, from_location=stock["store_loc"], note=""
        )


def test_bad_quantities_are_field_errors(stock: dict[str, Any], system: Actor) -> None:
    for bad in (0, -1, True):
        with pytest.raises(ValidationFailed, match="quantity"):
            services.issue_stock(system, stock["toner"], bad, to_person=stock["minh"])  # type: ignore[arg-type]


def test_below_minimum_and_the_reorder_report(stock: dict[str, Any], system: Actor) -> None:
    loc = stock["store_loc"]
    # London: headsets 6 (min 5), toner 20 (min 10); Berlin: headsets 3 (min 5) → alert
    alerts = {(b.location_id, b.item_id) for b in below_minimum()}
    assert alerts == {(stock["berlin"].pk, stock["headset"].pk)}
    services.issue_stock(system, stock["toner"], 12, to_person=stock["minh"])
    services.set_minimum(system, stock["headset"], loc, 8)
    alerts = {(b.location_id, b.item_id) for b in below_minimum()}
    assert (loc.pk, stock["toner"].pk) in alerts and (loc.pk, stock["headset"].pk) in alerts
    lines = {(r.balance.location_id, r.balance.item_id): r for r in reorder_report()}
    toner = lines[(loc.pk, stock["toner"].pk)]
    # minimum 10 + 12 consumed in 90 days - 8 on hand = 14
    assert (toner.minimum, toner.consumed, toner.suggested) == (10, 12, 14)
    headset = lines[(loc.pk, stock["headset"].pk)]
    assert (headset.minimum, headset.consumed, headset.suggested) == (8, 0, 2)
