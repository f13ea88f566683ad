"""The monthly depreciation run: journal lines per cost centre and GL account, locked
periods, corrections posted in the open period, the journal export, API, page and CLI."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from assetgraph.assets.models import Asset
from assetgraph.assets.services import check_out_asset
from assetgraph.audit.models import AuditEvent
from assetgraph.core.actor import Actor
from assetgraph.core.errors import Conflict, PermissionDenied, ValidationFailed
from assetgraph.finance import services
from assetgraph.finance.closing import close_period
from assetgraph.finance.models import ClosedPeriod, DepreciationPosting, DepreciationProfile

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def two_laptops(
    laptop_profile: DepreciationProfile,
    catalogue: dict[str, Any],
    make_asset: Callable[..., Asset],
    system: Actor,
) -> tuple[Asset, Asset]:
    """3,600 with Minh (cost centre CC-1) and 1,800 unallocated, both from January 2025."""
    first = make_asset(cost=D("3600.00"), purchase_date=dt.date(2025, 1, 1))
    second = make_asset(cost=D("1800.00"), purchase_date=dt.date(2025, 1, 15))
    check_out_asset(system, first, to_person=catalogue["minh"])
    return first, second


def test_close_posts_journal_lines_per_cost_centre_and_account(
    two_laptops: tuple[Asset, Asset], system: Actor
) -> None:
    result = close_period(system, dt.date(2025, 1, 1))
    lines = {(line.cost_centre.code if line.cost_centre else None): line for line in result.lines}
    assert lines["CC-1"].amount == D("100.00")
    assert lines[None].amount == D("50.00")
    assert {(line.expense_account, line.accumulated_account) for line in result.lines} == {
        ("6810", "1591")
    }
    assert all(line.correction == 0 for line in result.lines)
    assert DepreciationPosting.objects.count() == 2
    event = AuditEvent.objects.get(object_type="finance.closedperiod", action="close")
    assert event.after["totals"] == {"EUR": "150.00"}


def test_closed_period_is_locked_and_months_close_in_order(
    two_laptops: tuple[Asset, Asset], system: Actor
) -> None:
    close_period(system, dt.date(2025, 2, 1))
    with pytest.raises(Conflict):
        close_period(system, dt.date(2025, 2, 1))
    with pytest.raises(Conflict):
        close_period(system, dt.date(2025, 1, 1))
    with pytest.raises(ValidationFailed):
        close_period(system, dt.date(2099, 1, 1))
    assert ClosedPeriod.objects.count() == 1


def test_skipped_month_and_a_profile_change_are_corrected_in_the_open_period(
    two_laptops: tuple[Asset, Asset], laptop_profile: DepreciationProfile, system: Actor
) -> None:
    """January posts 150. The life changes to 2 years (monthly 150 + 75 = 225): closing
    February posts February's 225 plus the January correction 75 (225 - 150)."""
    close_period(system, dt.date(2025, 1, 1))
    services.update_profile(system, laptop_profile, {"life_years": 2})
    result = close_period(system, dt.date(2025, 2, 1))
    assert sum(line.amount for line in result.lines) == D("300.00")
    assert sum(line.correction for line in result.lines) == D("75.00")
    january = ClosedPeriod.objects.get(period=dt.date(2025, 1, 1))
    assert sum(p.amount for p in january.postings.all()) == D("150.00")  # untouched


def test_closing_needs_the_add_permission(
    two_laptops: tuple[Asset, Asset], make_user: Callable[..., Any]
) -> None:
    with pytest.raises(PermissionDenied):
        close_period(Actor(user=make_user("Procurement")), dt.date(2025, 1, 1))
    close_period(Actor(user=make_user("Finance")), dt.date(2025, 1, 1))


def test_api_close_and_journal_csv(
    two_laptops: tuple[Asset, Asset], api: Callable[..., Any]
) -> None:
    client = api("Finance")
    response = client.post(
        "/api/finance/periods", {"period": "2025-03"}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    closed_id = response.json()["id"]
    again = client.post(
        "/api/finance/periods", {"period": "2025-03"}, content_type="application/json"
    )
    assert again.status_code == 409
    # March catches up January and February (nothing was closed before).
    journal = client.get(f"/api/finance/periods/{closed_id}/journal?format=csv")
    assert journal.status_code == 200
    rows = journal.content.decode().lstrip("\ufeff").splitlines()
    assert (
        rows[0]
        == "period,book,cost_centre,debit_account,credit_account,currency,amount,correction,assets"
    )
    assert any(
        row.startswith("2025-03,book,CC-1,6810,1591,EUR,300.0000,200.0000,1") for row in rows[1:]
    )
    assert (
        api("Procurement")
        .post("/api/finance/periods", {"period": "2025-04"}, content_type="application/json")
        .status_code
        == 403
    )
    assert api("Helpdesk").get("/api/finance/periods").status_code == 403


def test_period_page_closes_a_month_and_shows_the_journal(
    two_laptops: tuple[Asset, Asset], browser: Callable[..., Any]
) -> None:
    client = browser("Finance")
    response = client.post("/finance/periods/", {"period": "2025-01", "book": "book"})
    assert response.status_code == 302
    closed = ClosedPeriod.objects.get()
    page = client.get(f"/finance/periods/{closed.pk}/").content.decode()
    assert "6810" in page and "100.00" in page
    again = client.post("/finance/periods/", {"period": "2025-01", "book": "book"})
    assert again.status_code == 422
    assert "already closed" in again.content.decode() or "not after" in again.content.decode()
    export = client.get(f"/finance/periods/{closed.pk}/journal/?format=xlsx")
    assert export.status_code == 200


def test_cli_run_schedule_preview_and_register(two_laptops: tuple[Asset, Asset]) -> None:
    out = StringIO()
    call_command("depreciation", "run", "--period", "2025-01", stdout=out)
    assert "closed 2025-01 (book): 2 assets, 2 journal lines" in out.getvalue()
    out = StringIO()
    call_command("depreciation", "schedule", two_laptops[0].asset_tag, "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["years"][0]["amount"] == "1200.00"
    out = StringIO()
    call_command(
        "depreciation",
        "preview",
        "--cost",
        "10000",
        "--method",
        "macrs_gds",
        "--life",
        "5",
        "--in-service",
        "2025-06-01",
        "--convention",
        "half_year",
        stdout=out,
    )
    assert "FY2025\t2000.00\t8000.00" in out.getvalue()
    assert "FY2030\t576.00\t0.00" in out.getvalue()
    with pytest.raises(CommandError) as caught:
        call_command(
            "depreciation",
            "preview",
            "--cost",
            "100",
            "--method",
            "macrs_gds",
            "--life",
            "4",
            "--in-service",
            "2025-06-01",
            "--convention",
            "half_year",
        )
    assert "life_years" in str(caught.value)
    out = StringIO()
    call_command("finance", "register", "--as-of", "2025-12-31", "--json", stdout=out)
    register = json.loads(out.getvalue())
    assert register["total"]["net_book_value"] == "3600.00"  # 5400 - 1800
    with pytest.raises(CommandError):
        call_command("finance", "register", "--as-of", "31/12/2025")
