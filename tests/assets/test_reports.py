"""Asset reports: counts per dimension, aging buckets, permission filtering, exports, N+1."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from assetgraph.assets import services
from assetgraph.assets.models import Asset, add_months
from assetgraph.core.actor import Actor

pytestmark = pytest.mark.django_db


@pytest.fixture
def fleet(catalogue: dict[str, Any], make_asset: Callable[..., Asset]) -> dict[str, Any]:
    today = timezone.localdate()
    old = make_asset(purchase_date=add_months(today, -50), location=catalogue["room"])
    new = make_asset(purchase_date=today - dt.timedelta(days=30), location=catalogue["room"])
    screen = make_asset(model="u27", purchase_date=None, location=catalogue["berlin"])
    services.check_out_asset(Actor.system(), old, to_person=catalogue["minh"])
    services.check_out_asset(Actor.system(), screen, to_person=catalogue["ana"])
    return {**catalogue, "old": old, "new": new, "screen": screen}


def _rows(body: dict[str, Any]) -> dict[str, int]:
    return {r["label"]: r["count"] for r in body["rows"]}


def test_reports_count_by_each_dimension(api: Callable[..., Client], fleet: dict[str, Any]) -> None:
    client = api("Compliance")
    assert _rows(client.get("/api/assets/reports/state").json()) == {
        "In stock · available": 1,
        "In use": 2,
    }
    assert _rows(client.get("/api/assets/reports/category").json()) == {"Laptops": 2, "Monitors": 1}
    assert _rows(client.get("/api/assets/reports/location").json()) == {
        "EMEA / London / HQ": 2,
        "EMEA / Berlin": 1,
    }
    department = _rows(client.get("/api/assets/reports/department").json())
    assert department["Finance"] == 1 and department["IT"] == 1
    custodian = _rows(client.get("/api/assets/reports/custodian").json())
    assert custodian == {"Minh Nguyen (E1)": 1, "Ana Costa (E2)": 1}
    aging = _rows(client.get("/api/assets/reports/aging").json())
    assert aging["Under 1 year"] == 1 and aging["4-5 years"] == 1
    assert aging["Purchase date unknown"] == 1
    assert client.get("/api/assets/reports/bogus").status_code == 404
    assert api().get("/api/assets/reports/state").status_code == 403


def test_constrained_user_counts_only_what_they_see(
    api: Callable[..., Client], fleet: dict[str, Any]
) -> None:
    client = api(
        permissions=[
            (["assets.asset"], ["view"], {"model__category__kind": "laptop"}),
            (["org.person"], ["view"], {"employee_number": "E9"}),
        ]
    )
    body = client.get("/api/assets/reports/category").json()
    assert _rows(body) == {"Laptops": 2} and body["total"] == 2
    # the custodian is not visible to this user: counted, but not named
    assert _rows(client.get("/api/assets/reports/custodian").json()) == {"(hidden)": 1}


def test_report_exports_and_query_counts(
    api: Callable[..., Client],
    browser: Callable[..., Client],
    fleet: dict[str, Any],
    make_asset: Callable[..., Asset],
    django_assert_max_num_queries: Any,
) -> None:
    client = api("Finance")
    csv = client.get("/api/assets/reports/location", {"format": "csv"})
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    assert "EMEA / London / HQ,2" in csv.content.decode("utf-8-sig")
    xlsx = client.get("/api/assets/reports/aging", {"format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert client.get("/api/assets/reports/state", {"format": "pdf"}).status_code == 422
    page = browser("Finance")
    page.get("/assets/reports/")  # warm caches
    with django_assert_max_num_queries(20) as before:
        assert page.get("/assets/reports/").status_code == 200
    for _ in range(6):
        asset = make_asset(model="u27", location=fleet["london"])
        services.check_out_asset(Actor.system(), asset, to_person=fleet["ben"])
    with django_assert_max_num_queries(len(before.captured_queries)):
        response = page.get("/assets/reports/")
    html = response.content.decode()
    assert 'id="report-charts"' in html and "chart.umd.min.js" in html and "<script>" not in html
    ui_csv = page.get("/assets/reports/custodian/export/", {"format": "csv"})
    assert ui_csv.status_code == 200 and "Ben Becker (E3),6" in ui_csv.content.decode("utf-8-sig")
    assert page.get("/assets/reports/custodian/export/", {"format": "x"}).status_code == 422
    assert page.get("/assets/reports/nope/export/").status_code == 404


def test_formula_cells_are_escaped_in_report_exports(
    api: Callable[..., Client], catalogue: dict[str, Any], make_asset: Callable[..., Asset]
) -> None:
    from assetgraph.org import services as org

    evil = org.create_location(
        Actor.system(), {"name": "=HYPERLINK(1)", "kind": "building", "parent": catalogue["london"]}
    )
    make_asset(location=evil)
    body = api("Finance").get("/api/assets/reports/location", {"format": "csv"})
    assert "EMEA / London / =HYPERLINK(1)" in body.content.decode("utf-8-sig")
    # the cell starts with "EMEA", so only label cells that *start* with = are escaped
    from assetgraph.assets import reports

    row = reports.ReportRow("1", "=cmd", 1)
    from assetgraph.core.exporting import render_export

    out = render_export([row], reports.report_columns(), "csv").decode("utf-8-sig")
    assert "'=cmd" in out or "\t=cmd" in out


def test_report_cli(fleet: dict[str, Any], tmp_path: Any) -> None:
    out = StringIO()
    call_command("asset_report", "state", "--format", "json", stdout=out)
    assert json.loads(out.getvalue())["total"] == 3
    out = StringIO()
    call_command("asset_report", "category", stdout=out)
    assert "Laptops" in out.getvalue()
    target = tmp_path / "aging.xlsx"
    call_command("asset_report", "aging", "--format", "xlsx", "--output", str(target), stdout=out)
    assert target.read_bytes()[:2] == b"PK"
