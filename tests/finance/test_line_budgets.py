"""A purchase-order line's own cost centre and budget: the order's cost centre is the
default, budgets count spend per line, a budget must be of the line's cost centre and of
the order date's fiscal year, and received hardware is booked to the line's cost centre."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from assetgraph.assets.models import Asset
from assetgraph.audit.models import AuditEvent
from assetgraph.core.actor import Actor
from assetgraph.core.errors import ValidationFailed
from assetgraph.finance import procurement, services
from assetgraph.finance.models import AssetFinance, Budget, PurchaseOrder

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def estate(catalogue: dict[str, Any], system: Actor) -> dict[str, Any]:
    """PO-7 (CC-1, March 2025): 10 laptops on the order's cost centre and 5 monitors on
    CC-2 with CC-2's FY2025 budget; budgets for CC-1 and CC-2 in FY2025, CC-2 in FY2026."""
    from assetgraph.org import services as org

    cc2 = org.create_cost_centre(system, {"code": "CC-2", "name": "Operations"})
    budgets = {
        key: services.create_budget(
            system, {"cost_centre": centre, "fiscal_year": year, "amount": D("50000")}
        )
        for key, centre, year in (
            ("budget_cc1", catalogue["cc"], 2025),
            ("budget_cc2", cc2, 2025),
            ("budget_cc2_2026", cc2, 2026),
        )
    }
    order = services.create_order(
        system,
        {
            "number": "PO-7",
            "supplier": catalogue["cdw"],
            "order_date": dt.date(2025, 3, 1),
            "cost_centre": catalogue["cc"],
        },
    )
    laptops = services.create_line(
        system,
        {"order": order, "asset_model": catalogue["latitude"], "quantity": 10,
         "unit_price": D("1000.00")},
    )  # fmt: skip
    monitors = services.create_line(
        system,
        {"order": order, "asset_model": catalogue["u27"], "quantity": 5,
         "unit_price": D("300.00"), "cost_centre": cc2, "budget": budgets["budget_cc2"]},
    )  # fmt: skip
    return {"cc2": cc2, "order": order, "laptops": laptops, "monitors": monitors, **budgets}


def test_budgets_count_committed_and_actual_per_line(estate: dict[str, Any], system: Actor) -> None:
    order: PurchaseOrder = estate["order"]
    procurement.place_order(system, order)
    procurement.receive_order(
        system,
        order,
        [
            procurement.ReceiptItem(estate["laptops"].pk, 4),
            procurement.ReceiptItem(estate["monitors"].pk, 2),
        ],
        received_on=dt.date(2025, 3, 10),
    )
    cc1 = procurement.budget_status(estate["budget_cc1"])
    assert (cc1.actual, cc1.committed) == (D("4000.00"), D("6000.00"))  # laptops only
    cc2 = procurement.budget_status(estate["budget_cc2"])
    assert (cc2.actual, cc2.committed) == (D("600.00"), D("900.00"))  # monitors only
    later = procurement.budget_status(estate["budget_cc2_2026"])
    assert (later.actual, later.committed) == (0, 0)


def test_received_assets_take_the_line_cost_centre(
    estate: dict[str, Any], catalogue: dict[str, Any], system: Actor
) -> None:
    order: PurchaseOrder = estate["order"]
    procurement.place_order(system, order)
    procurement.receive_order(
        system,
        order,
        [
            procurement.ReceiptItem(estate["laptops"].pk, 2),
            procurement.ReceiptItem(estate["monitors"].pk, 3),
        ],
    )
    centres = {
        (asset.model_id, AssetFinance.objects.get(asset=asset).cost_centre_id)
        for asset in Asset.objects.filter(order_number="PO-7")
    }
    assert centres == {
        (catalogue["latitude"].pk, catalogue["cc"].pk),
        (catalogue["u27"].pk, estate["cc2"].pk),
    }
    events = AuditEvent.objects.filter(object_type="finance.assetfinance", action="create")
    assert events.count() == 5


def test_a_budget_of_another_cost_centre_or_year_is_refused(
    estate: dict[str, Any], system: Actor
) -> None:
    order: PurchaseOrder = estate["order"]
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as wrong_centre:
        services.create_line(
            system,
            {"order": order, "kind": "service", "description": "Imaging", "quantity": 1,
             "unit_price": D("10"), "budget": estate["budget_cc2"]},
        )  # fmt: skip
    assert "budget" in wrong_centre.value.fields
    with pytest.raises(ValidationFailed) as wrong_year:
        services.update_line(system, estate["monitors"], {"budget": estate["budget_cc2_2026"]})
    assert "FY2026" in str(wrong_year.value.fields["budget"])
    # Moving the order into FY2026 would orphan the monitors' FY2025 budget.
    with pytest.raises(ValidationFailed) as moved:
        services.update_order(system, order, {"order_date": dt.date(2026, 2, 1)})
    assert "order_date" in moved.value.fields
    assert AuditEvent.objects.count() == before


def test_api_line_cost_centre_and_budget(estate: dict[str, Any], api: Callable[..., Any]) -> None:
    client = api("Procurement")
    order, cc2, budget = estate["order"], estate["cc2"], estate["budget_cc2"]
    assert isinstance(budget, Budget)
    created = client.post(
        "/api/finance/purchase-order-lines/",
        {"order_id": order.pk, "kind": "service", "description": "Imaging", "quantity": 2,
         "unit_price": "25.00", "cost_centre_id": cc2.pk, "budget_id": budget.pk},
        content_type="application/json",
    )  # fmt: skip
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["cost_centre"]["id"] == cc2.pk and body["budget"]["id"] == budget.pk
    event = AuditEvent.objects.filter(object_type="finance.purchaseorderline").latest("id")
    assert event.after["budget"] == budget.pk
    refused = client.post(
        "/api/finance/purchase-order-lines/",
        {"order_id": order.pk, "kind": "service", "description": "X", "quantity": 1,
         "unit_price": "1", "budget_id": budget.pk},
        content_type="application/json",
    )  # fmt: skip
    assert refused.status_code == 422
    assert "budget" in str(refused.json())
    listed = client.get(f"/api/finance/purchase-order-lines/?budget_id={budget.pk}").json()
    assert {line["id"] for line in listed["results"]} == {estate["monitors"].pk, body["id"]}


def test_the_line_form_has_cost_centre_and_budget() -> None:
    from assetgraph.finance.resources import ORDER_LINE

    assert {"cost_centre", "budget"} <= set(ORDER_LINE.form.base_fields)


def test_the_line_form_names_each_budget_by_its_cost_centre(
    estate: dict[str, Any], browser: Callable[..., Any], django_assert_max_num_queries: Any
) -> None:
    """A budget option reads "FY2025 CC-2: 50000.00 EUR", not a cost centre's id, and the
    labels are read in one joined query, not one per budget."""
    client = browser(superuser=True)
    client.get("/finance/purchase-order-lines/add/")  # warm caches (permissions, menus)
    with django_assert_max_num_queries(10):
        page = client.get("/finance/purchase-order-lines/add/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "FY2025 CC-2:" in html and "FY2026 CC-2:" in html
    assert f"FY2025 {estate['budget_cc2'].cost_centre_id}:" not in html
