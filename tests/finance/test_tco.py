"""The total cost of ownership of an asset (purchase + contract shares + licence shares +
repairs - disposal proceeds) through the API, the asset page and the CLI, and licences as a
monthly cost source of the service roll-up."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command

from assetgraph.assets.models import Asset, Disposal
from assetgraph.core.actor import Actor
from assetgraph.finance import services
from assetgraph.finance.service_cost import licence_source
from assetgraph.finance.tco import asset_tco
from assetgraph.licences import services as licences
from assetgraph.licences.models import Allocation
from assetgraph.stock.services.maintenance import create_maintenance

pytestmark = pytest.mark.django_db

D = Decimal


def _allocated_on(allocation: Allocation, day: dt.date) -> None:
    """Allocations are stamped with the current time; the tests date them."""
    stamp = dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC)
    Allocation.objects.filter(pk=allocation.pk).update(allocated_at=stamp)


@pytest.fixture
def owned(
    catalogue: dict[str, Any], make_asset: Callable[..., Asset], system: Actor
) -> dict[str, Any]:
    """A 1,200 EUR laptop bought 2026-01-15, with another laptop beside it under one support
    contract (quarterly 600 EUR from 2026-01-01: 200 a month, 100 a month each), one of 10
    seats of a 5,000 USD perpetual licence, a 150 EUR repair and a 40 EUR upgrade."""
    laptop = make_asset(cost=D("1200.00"), purchase_date=dt.date(2026, 1, 15))
    other = make_asset(cost=D("1200.00"), purchase_date=dt.date(2026, 1, 15))
    services.create_contract(
        system,
        {
            "name": "Laptop support",
            "reference": "SUP-1",
            "kind": "maintenance",
            "supplier": catalogue["cdw"],
            "start_date": dt.date(2026, 1, 1),
            "end_date": dt.date(2027, 12, 31),
            "billing_period": "quarterly",
            "cost_per_period": D("600.00"),
            "currency": "EUR",
            "assets": [laptop.pk, other.pk],
        },
    )
    publisher = licences.create_publisher(system, {"name": "Contoso"})
    product = licences.create_product(system, {"name": "CAD", "publisher": publisher})
    cad = licences.create_entitlement(
        system,
        {
            "name": "CAD perpetual",
            "product": product,
            "metric": "device",
            "quantity": 10,
            "total_cost": D("5000.00"),
            "currency": "USD",
        },
    )
    seat = licences.allocate_seats(system, cad, {"asset": laptop.pk, "quantity": 1})
    _allocated_on(seat, dt.date(2026, 1, 20))
    create_maintenance(
        system,
        {
            "asset": laptop,
            "kind": "repair",
            "title": "Keyboard",
            "started": dt.date(2026, 3, 2),
            "cost": D("150.00"),
            "currency": "EUR",
        },
    )
    create_maintenance(
        system,
        {
            "asset": laptop,
            "kind": "upgrade",
            "title": "RAM",
            "started": dt.date(2026, 9, 1),
            "cost": D("40.00"),
            "currency": "EUR",
        },
    )
    return {"laptop": laptop, "other": other, "licence": cad, "product": product}


def test_tco_adds_every_source_in_its_currency_and_flags_a_missing_rate(
    owned: dict[str, Any],
) -> None:
    """On 2026-06-30: purchase 1,200; contract Jan-Jun = 6 x 200 ÷ 2 = 600; licence 5,000 ÷
    10 = 500 USD; repair 150 (the September upgrade is later). No USD rate: EUR 1,950
    converted, USD named, not guessed."""
    tco = asset_tco(owned["laptop"], dt.date(2026, 6, 30), "EUR")
    assert {(line.source, line.amount) for line in tco.lines} == {
        ("purchase", D("1200.00")),
        ("contract", D("600.00")),
        ("licence", D("500.00")),
        ("maintenance", D("150.00")),
    }
    assert tco.by_currency == {"EUR": D("1950.00"), "USD": D("500.00")}
    assert tco.total == D("1950.00")
    assert tco.missing_rates == ["USD"]


def test_tco_converts_at_the_rate_and_subtracts_disposal_proceeds(
    owned: dict[str, Any], system: Actor
) -> None:
    """With 1 USD = 0.90 EUR, sold on 2026-10-10 for 300: contract Jan-Oct = 10 x 100 =
    1,000; upgrade 40 counts; 1,200 + 1,000 + 450 + 150 + 40 - 300 = 2,540 EUR. Months
    after the disposal do not count, even when asked for a later date."""
    services.create_rate(
        system,
        {"currency": "USD", "base": "EUR", "valid_from": dt.date(2026, 1, 1), "rate": D("0.9")},
    )
    Disposal.objects.create(
        asset=owned["laptop"],
        method="sold",
        disposed_on=dt.date(2026, 10, 10),
        recipient="Staff sale",
        proceeds=D("300.00"),
        currency="EUR",
    )
    laptop = Asset.objects.select_related("disposal").get(pk=owned["laptop"].pk)
    tco = asset_tco(laptop, dt.date(2027, 6, 30), "EUR")
    by_source = {line.source: line.amount for line in tco.lines}
    assert by_source["contract"] == D("1000.00")
    assert by_source["disposal"] == D("-300.00")
    assert tco.total == D("2540.00")
    assert tco.missing_rates == []


def test_tco_api_page_and_cli(
    owned: dict[str, Any], api: Callable[..., Any], browser: Callable[..., Any]
) -> None:
    """The API answers Finance (200) with the same lines, refuses a role without
    ``view_cost`` (403); the asset page shows the section to Finance only; the CLI prints
    the total and, with --json, the lines."""
    laptop = owned["laptop"]
    url = f"/api/finance/assets/{laptop.pk}/tco?as_of=2026-06-30&base_currency=EUR"
    response = api("Finance").get(url)
    assert response.status_code == 200, response.content
    body = response.json()
    assert D(body["total"]) == D("1950.00")
    assert body["missing_rates"] == ["USD"]
    assert {line["source"] for line in body["lines"]} == {
        "purchase",
        "contract",
        "licence",
        "maintenance",
    }
    assert api("Helpdesk").get(url).status_code == 403
    assert api("Finance").get("/api/finance/assets/999999/tco").status_code == 404
    page = browser("Finance").get(f"/assets/assets/{laptop.pk}/")
    assert page.status_code == 200
    assert "Total cost of ownership" in page.content.decode()
    assert (
        "Total cost of ownership"
        not in browser("Helpdesk").get(f"/assets/assets/{laptop.pk}/").content.decode()
    )
    out = io.StringIO()
    call_command("finance", "tco", laptop.asset_tag, "--as-of", "2026-06-30", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert D(data["total"]) == D("1950.00")
    assert len(data["lines"]) == 4


def test_subscription_licences_are_a_monthly_cost_source(
    owned: dict[str, Any], system: Actor
) -> None:
    """A 1,200 EUR subscription for 2026 (12 months: 100 a month) with 4 seats, 1 allocated
    to the laptop from February: 25.00 a month to it from then; nothing after the term; the
    perpetual licence has no monthly cost. In the TCO the subscription counts as one of its 4
    seats: 300.00."""
    sub = licences.create_entitlement(
        system,
        {
            "name": "CAD cloud",
            "product": owned["product"],
            "metric": "device",
            "quantity": 4,
            "term": "subscription",
            "start_date": dt.date(2026, 1, 1),
            "end_date": dt.date(2026, 12, 31),
            "total_cost": D("1200.00"),
            "currency": "EUR",
        },
    )
    seat = licences.allocate_seats(system, sub, {"asset": owned["laptop"].pk, "quantity": 1})
    _allocated_on(seat, dt.date(2026, 2, 10))
    assert licence_source(dt.date(2026, 3, 1))[("asset", owned["laptop"].pk)] == {"EUR": D("25")}
    assert ("asset", owned["laptop"].pk) not in licence_source(dt.date(2026, 1, 1))
    assert licence_source(dt.date(2027, 1, 1)) == {}
    tco = asset_tco(owned["laptop"], dt.date(2026, 6, 30), "EUR")
    assert {line.amount for line in tco.lines if line.reference == "CAD cloud"} == {D("300.00")}


def test_contracts_cover_licences(
    owned: dict[str, Any], catalogue: dict[str, Any], api: Callable[..., Any]
) -> None:
    """A SaaS subscription contract covers the licence (and the laptop); an unknown licence
    id is a 422 naming ``licences`` that creates nothing."""
    from assetgraph.finance.models import Contract

    payload = {
        "name": "CAD SaaS",
        "kind": "saas",
        "supplier_id": catalogue["cdw"].pk,
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "billing_period": "annual",
        "cost_per_period": "1200.00",
        "currency": "EUR",
        "assets": [owned["laptop"].pk],
        "licences": [owned["licence"].pk],
    }
    client = api("Procurement")
    created = client.post("/api/finance/contracts/", payload, content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["licences"] == [owned["licence"].pk]
    count = Contract.objects.count()
    bad = client.post(
        "/api/finance/contracts/",
        {**payload, "name": "Bad", "licences": [999999]},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert "licences" in bad.content.decode()
    assert Contract.objects.count() == count
