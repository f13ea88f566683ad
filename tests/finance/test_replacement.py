"""Replacement planning: policies per category (age, warranty end, end of life, whichever
first), prices per model, a 12-quarter forecast of counts and budget, prioritised by the
criticality of the services whose dependency path holds each asset (API, page, CLI)."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command

from assetgraph.assets.models import Asset
from assetgraph.audit.models import AuditEvent
from assetgraph.cmdb import services as cmdb
from assetgraph.core.actor import Actor
from assetgraph.core.errors import ValidationFailed
from assetgraph.finance import services
from assetgraph.finance.models import ReplacementPolicy
from assetgraph.finance.replacement import forecast, quarters_from
from tests.cmdb.conftest import cls, rtype

pytestmark = pytest.mark.django_db

D = Decimal
ON = dt.date(2026, 7, 1)


@pytest.fixture
def fleet(
    catalogue: dict[str, Any], make_asset: Callable[..., Asset], system: Actor
) -> dict[str, Any]:
    """Laptops are replaced after 3 years or at warranty end, whichever first; the Latitude's
    replacement price is 1,500 EUR. Three laptops (warranty: 36 months from purchase):

    - old: bought 2023-01-31 → 3 years on 2026-01-31, overdue (counted in FY2026 Q3);
    - mid: bought 2024-08-15, warranty cut to 2027-03-31 → due 2027-03-31 (FY2027 Q1);
    - new: bought 2026-06-01 → due 2029-06-01 (FY2029 Q2, the 12th quarter);

    and a monitor with no policy, no book profile and no end of life (never due). The mid
    laptop is the asset of a server CI that the tier-1 Payroll service needs.
    """
    services.create_replacement_policy(
        system,
        {"category": catalogue["laptops"], "replace_after_years": 3, "at_warranty_end": True},
    )
    services.create_replacement_policy(
        system,
        {
            "asset_model": catalogue["latitude"],
            "replacement_price": D("1500.00"),
            "currency": "EUR",
        },
    )
    old = make_asset(purchase_date=dt.date(2023, 1, 31), asset_tag="LT-OLD")
    mid = make_asset(
        purchase_date=dt.date(2024, 8, 15), warranty_end=dt.date(2027, 3, 31), asset_tag="LT-MID"
    )
    new = make_asset(purchase_date=dt.date(2026, 6, 1), asset_tag="LT-NEW")
    monitor = make_asset(model="u27", asset_tag="MON-1")
    server = cmdb.create_ci(
        system, {"name": "pay-host", "ci_class": cls("Computer System"), "asset": mid}
    )
    payroll = cmdb.create_ci(
        system, {"name": "Payroll", "ci_class": cls("Business Service"), "criticality": 1}
    )
    cmdb.add_relationship(
        system, {"source": payroll, "target": server, "type": rtype("depends on")}
    )
    return {"old": old, "mid": mid, "new": new, "monitor": monitor}


def test_quarters_follow_the_fiscal_year() -> None:
    quarters = quarters_from(ON, 12)
    assert quarters[0].label == "FY2026 Q3"
    assert (quarters[0].start, quarters[0].end) == (dt.date(2026, 7, 1), dt.date(2026, 9, 30))
    assert quarters[-1].label == "FY2029 Q2"
    assert quarters[-1].end == dt.date(2029, 6, 30)


def test_forecast_counts_budget_and_priority(fleet: dict[str, Any]) -> None:
    """Three laptops due at 1,500 each; the tier-1 one first; the monitor never."""
    data = forecast(Asset.objects.all(), ON, 12, "EUR")
    by_quarter = {q["quarter"]: (q["count"], q["budget"]) for q in data["quarters"]}
    assert by_quarter["FY2026 Q3"] == (1, D("1500.00"))
    assert by_quarter["FY2027 Q1"] == (1, D("1500.00"))
    assert by_quarter["FY2029 Q2"] == (1, D("1500.00"))
    assert sum(count for count, _ in by_quarter.values()) == 3
    assert data["total_budget"] == D("4500.00")
    items = data["items"]
    assert [i["asset_tag"] for i in items] == ["LT-MID", "LT-OLD", "LT-NEW"]
    first = items[0]
    assert (first["priority"], first["services"], first["reason"]) == (
        1,
        ["Payroll"],
        "warranty ends",
    )
    assert first["due"] == dt.date(2027, 3, 31)
    assert items[1]["overdue"] is True
    assert items[1]["reason"] == "3 years old"
    assert items[1]["price_source"] == "model price"


def test_without_a_price_the_original_cost_and_a_missing_rate_is_flagged(
    fleet: dict[str, Any], catalogue: dict[str, Any], system: Actor
) -> None:
    """Dropping the model price: the original cost (1,299 EUR) is the budget; a price in
    USD with no rate is named and left out of the budget, never guessed."""
    model_policy = ReplacementPolicy.objects.get(asset_model=catalogue["latitude"])
    services.update_replacement_policy(system, model_policy, {"replacement_price": None})
    data = forecast(Asset.objects.all(), ON, 12, "EUR")
    assert data["total_budget"] == D("3897.00")
    assert {i["price_source"] for i in data["items"]} == {"original cost"}
    services.update_replacement_policy(
        system, model_policy, {"replacement_price": D("1600"), "currency": "USD"}
    )
    data = forecast(Asset.objects.all(), ON, 12, "EUR")
    assert data["missing_rates"] == ["USD"]
    assert data["total_budget"] == 0
    assert data["total_count"] == 3


def test_policy_is_validated_and_audited(catalogue: dict[str, Any], system: Actor) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.create_replacement_policy(system, {"category": catalogue["laptops"]})
    assert "replace_after_years" in str(caught.value)
    with pytest.raises(ValidationFailed):
        services.create_replacement_policy(
            system,
            {"category": catalogue["laptops"], "asset_model": catalogue["latitude"]},
        )
    policy = services.create_replacement_policy(
        system, {"category": catalogue["laptops"], "at_end_of_life": True}
    )
    assert AuditEvent.objects.filter(
        object_type="finance.replacementpolicy", object_id=str(policy.pk), action="create"
    ).exists()


def test_forecast_api_page_and_cli(
    fleet: dict[str, Any], api: Callable[..., Any], browser: Callable[..., Any]
) -> None:
    response = api("Finance").get("/api/finance/replacement-forecast?on=2026-07-01")
    assert response.status_code == 200, response.content
    body = response.json()
    assert len(body["quarters"]) == 12
    assert body["total_count"] == 3
    assert body["items"][0]["asset_tag"] == "LT-MID"
    assert api("Helpdesk").get("/api/finance/replacement-forecast").status_code == 403
    bad = api("Finance").get("/api/finance/replacement-forecast?quarters=0")
    assert bad.status_code == 422
    page = browser("Finance").get("/finance/replacement-forecast/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Aging hardware on tier-1 paths" in html and "forecast-canvas" in html
    assert browser("Helpdesk").get("/finance/replacement-forecast/").status_code == 403
    out = io.StringIO()
    call_command("finance", "forecast", "--on", "2026-07-01", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["total_count"] == 3
    assert D(data["total_budget"]) == D("4500.00")
