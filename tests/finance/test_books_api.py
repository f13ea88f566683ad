"""Profiles, schedules, the preview and the register through the services, API and pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook

from assetgraph.assets.models import Asset
from assetgraph.audit.models import AuditEvent
from assetgraph.core.actor import Actor
from assetgraph.core.errors import ValidationFailed
from assetgraph.finance import services
from assetgraph.finance.books import asset_book
from assetgraph.finance.models import DepreciationProfile

pytestmark = pytest.mark.django_db

D = Decimal


def test_category_profile_gives_the_asset_its_schedule(
    laptop_profile: DepreciationProfile, make_asset: Callable[..., Asset]
) -> None:
    """1,299.00 over 36 months from January 2025 (full month): 36.08 a month, the last
    month of each year absorbing; book value on 31 Dec 2025 is 1,299 - 433 = 866.00."""
    asset = make_asset(cost=D("1299.00"), purchase_date=dt.date(2025, 1, 31))
    entry = asset_book(asset, "book")
    assert entry.profile == laptop_profile
    assert entry.schedule is not None
    assert entry.schedule.total == D("1299.00")
    assert [str(y.amount) for y in entry.schedule.years] == ["433.00", "433.00", "433.00"]
    assert entry.schedule.book_value_as_of(dt.date(2025, 12, 31)) == D("866.00")


def test_model_profile_beats_category_and_asset_override_beats_both(
    laptop_profile: DepreciationProfile,
    catalogue: dict[str, Any],
    make_asset: Callable[..., Asset],
    system: Actor,
) -> None:
    asset = make_asset(cost=D("1200.00"), purchase_date=dt.date(2025, 1, 1))
    model_profile = services.create_profile(
        system,
        {
            "name": "Latitude 4y",
            "asset_model": catalogue["latitude"],
            "method": "straight_line",
            "life_years": 4,
            "start_basis": "purchase",
        },
    )
    assert asset_book(asset, "book").profile == model_profile
    own = services.create_profile(
        system,
        {
            "name": "Special 2y",
            "method": "straight_line",
            "life_years": 2,
            "start_basis": "purchase",
        },
    )
    services.create_asset_finance(
        system, {"asset": asset, "book_profile": own, "depreciation_start": dt.date(2025, 7, 1)}
    )
    entry = asset_book(asset, "book")
    assert entry.profile == own
    assert entry.start == dt.date(2025, 7, 1)
    assert [str(y.amount) for y in entry.schedule.years] == ["300.00", "600.00", "300.00"]  # type: ignore[union-attr]


def test_tax_book_is_independent(
    laptop_profile: DepreciationProfile,
    catalogue: dict[str, Any],
    make_asset: Callable[..., Asset],
    system: Actor,
) -> None:
    """The same laptop: 3-year straight line in the book, MACRS 5-year half-year for tax."""
    services.create_profile(
        system,
        {
            "name": "MACRS 5",
            "book": "tax",
            "category": catalogue["laptops"],
            "method": "macrs_gds",
            "life_years": 5,
            "convention": "half_year",
            "start_basis": "purchase",
        },
    )
    asset = make_asset(cost=D("10000.00"), purchase_date=dt.date(2025, 3, 1))
    tax = asset_book(asset, "tax").schedule
    assert tax is not None
    assert [str(y.amount) for y in tax.years] == [
        "2000.00",
        "3200.00",
        "1920.00",
        "1152.00",
        "1152.00",
        "576.00",
    ]
    assert asset_book(asset, "book").schedule.years[0].amount == D("2777.78")  # type: ignore[union-attr]  # 10 of 36 months


def test_in_service_basis_waits_for_first_deployment(
    catalogue: dict[str, Any], make_asset: Callable[..., Asset], system: Actor
) -> None:
    services.create_profile(
        system,
        {
            "name": "Monitors",
            "category": catalogue["monitors"],
            "method": "straight_line",
            "life_years": 5,
        },
    )
    asset = make_asset(model="u27")
    entry = asset_book(asset, "book")
    assert entry.schedule is None
    assert entry.reason == "no in-service date yet"


def test_profile_rules_are_checked_and_name_the_field(
    catalogue: dict[str, Any], system: Actor
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.create_profile(
            system,
            {
                "name": "Bad",
                "category": catalogue["laptops"],
                "method": "macrs_gds",
                "life_years": 4,
                "convention": "half_year",
            },
        )
    assert "life_years" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        services.create_profile(
            system,
            {
                "name": "Both",
                "category": catalogue["laptops"],
                "asset_model": catalogue["latitude"],
                "method": "straight_line",
            },
        )
    assert DepreciationProfile.objects.count() == 0


def test_profile_api_create_is_audited_and_role_gated(
    api: Callable[..., Any], catalogue: dict[str, Any]
) -> None:
    payload = {
        "name": "Laptops",
        "category_id": catalogue["laptops"].pk,
        "method": "declining_balance",
        "life_years": 4,
        "declining_factor": "1.5",
    }
    denied = api("Helpdesk").post(
        "/api/finance/profiles/", payload, content_type="application/json"
    )
    assert denied.status_code == 403
    response = api("Finance").post(
        "/api/finance/profiles/", payload, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    profile = DepreciationProfile.objects.get()
    assert profile.declining_factor == D("1.5")
    assert (
        AuditEvent.objects.filter(
            object_type="finance.depreciationprofile", action="create"
        ).count()
        == 1
    )
    bad = api("Finance").post(
        "/api/finance/profiles/",
        {
            **payload,
            "method": "macrs_gds",
            "life_years": 4,
            "convention": "half_year",
            "category_id": catalogue["monitors"].pk,
        },
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert "life_years" in str(bad.json())


def test_schedule_endpoint_needs_view_cost_and_hides_invisible_assets(
    laptop_profile: DepreciationProfile, make_asset: Callable[..., Asset], api: Callable[..., Any]
) -> None:
    asset = make_asset(cost=D("3600.00"), purchase_date=dt.date(2025, 1, 10))
    url = f"/api/finance/assets/{asset.pk}/schedule"
    response = api("Finance").get(url)
    assert response.status_code == 200
    data = response.json()
    assert data["method"] == "straight_line"
    assert len(data["periods"]) == 36
    assert data["periods"][0]["amount"] == "100.00"
    assert data["years"][0] == {"fiscal_year": 2025, "amount": "1200.00", "book_value": "2400.00"}
    assert api("Helpdesk").get(url).status_code == 403  # sees the asset, not its costs
    assert api().get(url).status_code == 404  # may not see assets at all


def test_preview_saves_nothing_and_rejects_bad_input(api: Callable[..., Any]) -> None:
    client = api("Read-only")
    before = AuditEvent.objects.count()
    response = client.post(
        "/api/finance/depreciation/preview",
        {
            "cost": "1000",
            "salvage": "100",
            "method": "sum_of_years_digits",
            "life_years": 5,
            "in_service": "2026-01-01",
        },
        content_type="application/json",
    )
    assert response.status_code == 200
    assert [y["amount"] for y in response.json()["years"]] == [
        "300.00",
        "240.00",
        "180.00",
        "120.00",
        "60.00",
    ]
    bad = client.post(
        "/api/finance/depreciation/preview",
        {
            "cost": "1000",
            "salvage": "2000",
            "method": "straight_line",
            "life_years": 5,
            "in_service": "2026-01-01",
        },
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert "salvage" in str(bad.json())
    assert AuditEvent.objects.count() == before


def test_register_as_of_a_date_by_dimension_with_flagged_missing_rate(
    laptop_profile: DepreciationProfile,
    catalogue: dict[str, Any],
    make_asset: Callable[..., Asset],
    api: Callable[..., Any],
    system: Actor,
) -> None:
    """Two EUR laptops (one with Minh, cost centre CC-1) and a USD one without a rate: the
    USD asset is listed but left out of the EUR totals and flagged; a rate brings it in."""
    from assetgraph.assets.services import check_out_asset

    first = make_asset(cost=D("3600.00"), purchase_date=dt.date(2025, 1, 1))
    make_asset(cost=D("1800.00"), purchase_date=dt.date(2025, 7, 1))
    make_asset(cost=D("360.00"), currency="USD", purchase_date=dt.date(2025, 1, 1))
    make_asset(cost=D("999.00"), purchase_date=dt.date(2030, 1, 1))  # not bought yet
    check_out_asset(system, first, to_person=catalogue["minh"])
    client = api("Finance")
    data = client.get("/api/finance/register?as_of=2025-12-31").json()
    assert data["missing_rates"] == ["USD"]
    total = data["total"]
    assert total["assets"] == 3
    assert total["unconverted_assets"] == 1
    # 3600 - 1200 (12 months) and 1800 - 300 (6 months)
    assert D(total["cost"]) == D("5400.00")
    assert D(total["accumulated"]) == D("1500.00")
    assert D(total["net_book_value"]) == D("3900.00")
    centres = {row["key"]: row for row in data["by"]["cost_centre"]}
    assert D(centres["CC-1 Finance"]["net_book_value"]) == D("2400.00") or any(
        D(r["net_book_value"]) == D("2400.00") for k, r in centres.items() if "CC-1" in k
    )
    assert {row["key"] for row in data["by"]["category"]} == {"Laptops"}
    services.create_rate(
        system,
        {"currency": "USD", "base": "EUR", "valid_from": dt.date(2025, 1, 1), "rate": D("0.9")},
    )
    data = client.get("/api/finance/register?as_of=2025-12-31&rows=false").json()
    assert data["missing_rates"] == []
    assert D(data["total"]["cost"]) == D("5724.00")  # 5400 + 360 x 0.9
    assert "assets" not in data


def test_register_export_csv_and_xlsx_and_permission(
    laptop_profile: DepreciationProfile, make_asset: Callable[..., Asset], api: Callable[..., Any]
) -> None:
    make_asset(asset_tag="=HYPERLINK(1)", cost=D("3600.00"), purchase_date=dt.date(2025, 1, 1))
    client = api("Finance")
    csv = client.get("/api/finance/register/export?as_of=2025-06-30&format=csv")
    assert csv.status_code == 200
    lines = csv.content.decode().lstrip("\ufeff").splitlines()
    assert lines[0].startswith("asset_id,asset_tag")
    assert "'=HYPERLINK(1)" in lines[1]
    assert ",3600.00,600.00,3000.00," in lines[1]
    xlsx = client.get("/api/finance/register/export?as_of=2025-06-30&format=xlsx")
    assert xlsx.status_code == 200
    import io

    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None and sheet.max_row == 2
    assert api("Helpdesk").get("/api/finance/register").status_code == 403
    assert api("Finance").get("/api/finance/register/export?format=pdf").status_code == 422


def test_asset_page_shows_depreciation_only_with_view_cost(
    laptop_profile: DepreciationProfile,
    make_asset: Callable[..., Asset],
    browser: Callable[..., Any],
) -> None:
    asset = make_asset(cost=D("3600.00"), purchase_date=dt.date(2025, 1, 1))
    page = browser("Finance").get(f"/assets/assets/{asset.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Depreciation" in body and "FY2025" in body and "1200.00" in body
    hidden = browser("Helpdesk").get(f"/assets/assets/{asset.pk}/").content.decode()
    assert "FY2025" not in hidden


def test_register_page_for_finance_only(
    laptop_profile: DepreciationProfile,
    make_asset: Callable[..., Asset],
    browser: Callable[..., Any],
) -> None:
    make_asset(cost=D("3600.00"), purchase_date=dt.date(2025, 1, 1))
    page = browser("Finance").get("/finance/register/?as_of=2025-06-30")
    assert page.status_code == 200
    assert "3000.00" in page.content.decode()
    assert browser("Helpdesk").get("/finance/register/").status_code == 403
