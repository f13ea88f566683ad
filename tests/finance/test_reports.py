"""Finance reports: the depreciation forecast by month and fiscal year, spend by supplier
and the contract renewals calendar, through the API (JSON, CSV, XLSX), the page and the
CLI, with the permission each needs."""

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
from assetgraph.core.actor import Actor
from assetgraph.finance import procurement, services
from assetgraph.finance.models import DepreciationProfile

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def books(
    laptop_profile: DepreciationProfile,
    catalogue: dict[str, Any],
    make_asset: Callable[..., Asset],
    system: Actor,
) -> dict[str, Any]:
    """Two laptops on the 3-year straight-line profile: 3,600 EUR (100 a month from January
    2026) and 1,800 USD (50 USD a month); a placed order of 10 laptops at 1,000 with 4
    received and a draft order (not spend); a fixed contract ending 2027-03-31 (30 days'
    notice) and one renewing every 6 months from 2026-12-31 (60 days)."""
    eur = make_asset(cost=D("3600.00"), purchase_date=dt.date(2026, 1, 15))
    usd = make_asset(cost=D("1800.00"), currency="USD", purchase_date=dt.date(2026, 1, 15))
    order = services.create_order(
        system,
        {"number": "PO-R1", "supplier": catalogue["cdw"], "order_date": dt.date(2026, 3, 1)},
    )
    services.create_line(
        system,
        {
            "order": order,
            "kind": "hardware",
            "asset_model": catalogue["latitude"],
            "quantity": 10,
            "unit_price": D("1000.00"),
        },
    )
    procurement.place_order(system, order)
    line = order.lines.get()
    procurement.receive_order(
        system,
        order,
        [procurement.ReceiptItem(line.pk, 4, ())],
        location=catalogue["room"],
        received_on=dt.date(2026, 3, 10),
    )
    draft = services.create_order(
        system,
        {"number": "PO-R2", "supplier": catalogue["cdw"], "order_date": dt.date(2026, 4, 1)},
    )
    services.create_line(
        system,
        {
            "order": draft,
            "kind": "service",
            "description": "x",
            "quantity": 1,
            "unit_price": D("999.00"),
        },
    )
    base = {
        "kind": "maintenance",
        "supplier": catalogue["cdw"],
        "currency": "EUR",
        "billing_period": "annual",
        "cost_per_period": D("1200.00"),
    }
    services.create_contract(
        system,
        {
            **base,
            "name": "Fixed",
            "start_date": dt.date(2026, 4, 1),
            "end_date": dt.date(2027, 3, 31),
            "notice_days": 30,
        },
    )
    services.create_contract(
        system,
        {
            **base,
            "name": "Rolling",
            "start_date": dt.date(2026, 1, 1),
            "end_date": dt.date(2026, 12, 31),
            "notice_days": 60,
            "auto_renew": True,
            "renewal_months": 6,
        },
    )
    return {"eur": eur, "usd": usd}


def test_depreciation_forecast_by_month_and_fiscal_year(
    books: dict[str, Any], api: Callable[..., Any]
) -> None:
    """From November 2026 for 4 months: 100 EUR a month for the first laptop, plus the four
    received ones (1,000 from March 2026: 27.78 a month, December 27.76 absorbing 2026's
    remainder of 277.78): 211.12, 211.04, 211.12, 211.12 (FY2026 422.16, FY2027 422.24). The
    USD laptop's 50 a month are listed in USD and, with no rate, left out of the totals."""
    url = "/api/finance/reports/depreciation-forecast?start=2026-11-01&months=4"
    response = api("Finance").get(url)
    assert response.status_code == 200, response.content
    data = response.json()
    assert [D(m["amount"]) for m in data["by_month"]] == [
        D("211.12"),
        D("211.04"),
        D("211.12"),
        D("211.12"),
    ]
    assert [(y["fiscal_year"], D(y["amount"])) for y in data["by_fiscal_year"]] == [
        (2026, D("422.16")),
        (2027, D("422.24")),
    ]
    assert data["missing_rates"] == ["USD"]
    usd_rows = [r for r in data["rows"] if r["currency"] == "USD"]
    assert [D(r["amount"]) for r in usd_rows] == [D("50.00")] * 4
    assert all(r["amount_base"] == "" for r in usd_rows)
    csv = api("Finance").get(url + "&format=csv")
    assert csv.status_code == 200
    header = csv.content.decode("utf-8-sig").splitlines()[0]
    assert header == "month,fiscal_year,currency,amount,amount_base"
    assert api("Helpdesk").get(url).status_code == 403


def test_spend_by_supplier_counts_placed_orders_only(
    books: dict[str, Any], api: Callable[..., Any]
) -> None:
    response = api("Procurement").get(
        "/api/finance/reports/spend-by-supplier?start=2026-01-01&end=2026-12-31"
    )
    assert response.status_code == 200, response.content
    rows = response.json()["rows"]
    assert len(rows) == 1
    row = rows[0]
    assert (row["supplier"], row["orders"]) == ("CDW", 1)
    assert (D(row["ordered"]), D(row["received"])) == (D("10000.00"), D("4000.00"))
    xlsx = api("Procurement").get(
        "/api/finance/reports/spend-by-supplier?start=2026-01-01&format=xlsx"
    )
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert api("Helpdesk").get("/api/finance/reports/spend-by-supplier").status_code == 403


def test_renewals_calendar_lists_each_term_end_with_its_notice_date(
    books: dict[str, Any], system: Actor
) -> None:
    out = io.StringIO()
    call_command(
        "finance", "report", "renewals-calendar", "--start", "2026-11-01", "--json", stdout=out
    )
    rows = json.loads(out.getvalue())["rows"]
    assert [(r["name"], r["term_end"], r["notice_date"]) for r in rows] == [
        ("Rolling", "2026-12-31", "2026-11-01"),
        ("Fixed", "2027-03-31", "2027-03-01"),
        ("Rolling", "2027-06-30", "2027-05-01"),
    ]


def test_reports_page_shows_what_the_user_may_read(
    books: dict[str, Any], browser: Callable[..., Any]
) -> None:
    html = browser("Finance").get("/finance/reports/").content.decode()
    for anchor in ("depreciation-forecast", "spend-by-supplier", "renewals-calendar"):
        assert f'id="{anchor}"' in html
    assert "forecast-chart" in html
    assert browser("Helpdesk").get("/finance/reports/").status_code == 403


def test_renewals_calendar_costs_each_month_per_currency(
    books: dict[str, Any], system: Actor
) -> None:
    """The annual cost of each term ending in a month (1,200 a year each), per currency."""
    out = io.StringIO()
    call_command(
        "finance", "report", "renewals-calendar", "--start", "2026-11-01", "--json", stdout=out
    )
    report = json.loads(out.getvalue())
    assert [(r["month"], r["currency"], r["annual_cost"]) for r in report["cost_by_month"]] == [
        ("2026-12", "EUR", "1200.00"),
        ("2027-03", "EUR", "1200.00"),
        ("2027-06", "EUR", "1200.00"),
    ]
    assert {r["annual_cost"] for r in report["rows"]} == {"1200.00"}


def test_renewals_chart_links_each_month_to_its_first_calendar_row() -> None:
    from assetgraph.finance.views import renewals_chart

    report = {
        "rows": [{"month": "2027-01"}, {"month": "2027-02"}, {"month": "2027-01"}],
        "cost_by_month": [
            {"month": "2027-01", "currency": "EUR", "annual_cost": D("100.00")},
            {"month": "2027-01", "currency": "USD", "annual_cost": D("50.00")},
            {"month": "2027-02", "currency": "EUR", "annual_cost": D("20.50")},
        ],
    }
    chart = renewals_chart(report)
    assert chart["labels"] == ["2027-01", "2027-02"]
    assert chart["links"] == ["#renewals-2027-01", "#renewals-2027-02"]
    assert chart["series"] == [
        {"label": "EUR", "values": [100.0, 20.5]},
        {"label": "USD", "values": [50.0, 0.0]},
    ]
    assert [row["anchor"] for row in report["rows"]] == [True, True, False]


def test_pages_chart_the_register_and_the_renewals_with_table_alternatives(
    books: dict[str, Any], browser: Callable[..., Any]
) -> None:
    client = browser("Finance")
    register = client.get("/finance/register/?as_of=2026-06-30").content.decode()
    assert 'id="register-charts"' in register and "finance/register.js" in register
    assert 'id="chart-cost-centre"' in register and 'id="chart-category"' in register
    assert '"links": ["#category-laptops"]' in register
    assert 'id="category-laptops"' in register  # the bar's target row: its text alternative
    assert "<script>" not in register  # data only as JSON; code in static files (CSP)
    reports = client.get("/finance/reports/").content.decode()
    assert 'id="renewals-chart"' in reports and 'id="renewal-costs"' in reports
    assert '"renewals": {' in reports
