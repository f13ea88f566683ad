"""The Finance dashboard card: spend and book value by cost centre (issue 17), the register's
own figures, only for those who may read costs, cached per audit revision."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from assetgraph.assets import services as asset_services
from assetgraph.core.actor import Actor

pytestmark = pytest.mark.django_db


def _cards(client: Client) -> dict[str, Any]:
    return {c["id"]: c for c in client.get("/").context["cards"]}


def test_finance_card_shows_spend_and_book_value_equal_to_the_register(
    browser: Callable[..., Client],
    make_asset: Callable[..., Any],
    laptop_profile: Any,
    catalogue: dict[str, Any],
) -> None:
    system = Actor.system("tests")
    bought = dt.date.today().replace(day=1) - dt.timedelta(days=400)
    a = make_asset(purchase_date=bought, cost=Decimal("1200.00"), currency="EUR")
    b = make_asset(purchase_date=bought, cost=Decimal("900.00"), currency="EUR")
    asset_services.check_out_asset(system, a, to_person=catalogue["minh"])  # Finance: CC-1
    del b  # in stock: no cost centre
    client = browser("Finance")
    card = _cards(client)["value-by-cost-centre"]
    register = client.get("/api/finance/register", {"rows": "false"}).json()
    # the card's figures are the register's: totals and each cost centre
    total = Decimal(str(register["total"]["net_book_value"]))
    assert card["count"] == f"{total:,.0f} {register['base_currency']}"
    spend = Decimal(str(register["total"]["cost"]))
    assert f"spend {spend:,.0f}" in card["note"] and total < spend  # depreciation ran
    by_centre = {g["key"]: g for g in register["by"]["cost_centre"]}
    rows = {r["label"]: r["cells"] for r in card["rows"]}
    assert set(rows) == set(by_centre)
    for centre, values in rows.items():
        expected = by_centre[centre]
        assert values == [
            f"{Decimal(str(expected['cost'])):,.0f}",
            f"{Decimal(str(expected['net_book_value'])):,.0f}",
        ]
    html = client.get("/").content.decode()
    assert "Book value" in html and "Spend" in html


def test_finance_card_needs_view_cost_and_follows_writes(
    browser: Callable[..., Client],
    make_user: Callable[..., Any],
    make_asset: Callable[..., Any],
    laptop_profile: Any,
) -> None:
    make_asset(cost=Decimal("1000.00"), currency="EUR")
    no_cost = Client()
    no_cost.force_login(
        make_user(permissions=[(["assets.asset", "org.costcentre"], ["view"], None)])
    )
    from assetgraph.accounts.models import DashboardPin
    from assetgraph.accounts.services import pin_dashboard_card

    user = no_cost.get("/").context["user"]
    pin_dashboard_card(Actor.system("tests"), user, "value-by-cost-centre")
    assert "value-by-cost-centre" not in _cards(no_cost)
    assert DashboardPin.objects.filter(user=user).exists()
    client = browser("Finance")
    before = _cards(client)["value-by-cost-centre"]
    make_asset(cost=Decimal("500.00"), currency="EUR")  # a write: a new audit revision
    after = _cards(client)["value-by-cost-centre"]
    assert before["note"] != after["note"] and "book value of 2 assets" in after["note"]
