"""The cross-layer reports (docs/both-layers.md) agree with the licence position, the contracts
and the impact engine on the demo, through the API; pages and exports work."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest

from assetgraph.assets.models import Asset
from assetgraph.cmdb.models import CI


@pytest.fixture(scope="class")
def demo(demo_company: Any) -> Any:
    return demo_company


@pytest.mark.usefixtures("db", "demo")
class TestHardwareRisk:
    def test_the_array_is_listed_under_finance_with_its_budget(self, api: Any) -> None:
        body = api("Finance").get("/api/finance/reports/hardware-risk", {"months": 12}).json()
        services = {row["service"]["display"]: row for row in body["services"]}
        finance = services["Finance"]
        assert finance["criticality"] == 1
        array = next(h for h in finance["hardware"] if h["ci"]["display"] == "stor-aus1-01")
        kinds = {f["kind"] for f in array["flags"]}
        assert "no_support_contract" in kinds
        asset = Asset.objects.get(asset_tag=array["asset_tag"])
        assert Decimal(array["budget"]["amount"]) == asset.cost
        # the service's budget is the sum of its distinct at-risk assets' costs
        listed = [Decimal(h["budget"]["amount"]) for h in finance["hardware"] if h["budget"]]
        assert Decimal(finance["budget"][0]["amount"]) == sum(listed)
        # the total counts each asset once, however many services need it
        distinct = {
            h["asset_tag"]: Decimal(h["budget"]["amount"])
            for row in body["services"]
            for h in row["hardware"]
            if h["budget"]
        }
        assert Decimal(body["total_budget"][0]["amount"]) == sum(distinct.values())

    def test_support_flags_agree_with_the_coverage_gaps_report(self, api: Any) -> None:
        client = api("Finance")
        body = client.get("/api/finance/reports/hardware-risk", {"max_tier": 1}).json()
        flagged = {
            h["asset_tag"]
            for row in body["services"]
            for h in row["hardware"]
            if any(f["kind"] == "no_support_contract" for f in h["flags"])
        }
        gaps = client.get("/api/finance/coverage-gaps", {"max_tier": 1}).json()
        assert flagged == {g["asset_tag"] for g in gaps}
        assert "stor-aus1-01" in {
            h["ci"]["display"] for row in body["services"] for h in row["hardware"]
        }

    def test_every_listed_ci_is_on_the_services_dependency_path(self, api: Any) -> None:
        client = api("Compliance")
        body = client.get("/api/finance/reports/hardware-risk").json()
        row = next(r for r in body["services"] if r["service"]["display"] == "Finance")
        for item in row["hardware"][:5]:
            impact = client.get("/api/impact/", {"ci": item["ci"]["id"], "limit": 1}).json()
            states = {s["ci"]["display"] for s in impact["services"]}
            assert "Finance" in states, item["ci"]["display"]

    def test_without_view_cost_there_is_no_budget(self, api: Any) -> None:
        body = api("IT Operations (NOC)").get("/api/finance/reports/hardware-risk").json()
        assert body["total_budget"] == []
        assert all(h["budget"] is None for r in body["services"] for h in r["hardware"])
        assert all(
            f["kind"] != "replacement_due"
            for r in body["services"]
            for h in r["hardware"]
            for f in h["flags"]
        )

    def test_page_and_export(self, browser: Any) -> None:
        client = browser("Finance")
        page = client.get("/finance/hardware-risk/", {"months": "12"})
        assert page.status_code == 200
        assert 'data-service="Finance"' in page.content.decode()
        export = client.get("/finance/hardware-risk/export/", {"format": "csv"})
        assert export.status_code == 200
        rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
        assert any(r["service"] == "Finance" and r["ci"] == "stor-aus1-01" for r in rows)
        bad = client.get("/finance/hardware-risk/export/", {"format": "pdf"})
        assert bad.status_code == 422


@pytest.mark.usefixtures("db", "demo")
class TestUnlicensedServices:
    def test_erp_runs_the_under_licensed_oracle_with_the_positions_true_up(self, api: Any) -> None:
        client = api("Compliance")
        body = client.get("/api/licences/reports/unlicensed-services").json()
        services = {row["service"]["display"]: row for row in body["services"]}
        erp = services["ERP"]
        oracle = next(p for p in erp["products"] if p["product"]["display"] == "Oracle Database")
        assert [ci["display"] for ci in oracle["cis"]] == ["ERP Oracle DB"]
        position = client.get(f"/api/licences/position/{oracle['product']['id']}").json()
        expected = sum(
            Decimal(str(r["true_up_cost"])) for r in position["rows"] if r["true_up_cost"]
        )
        assert Decimal(oracle["true_up_cost"]["amount"]) == expected > 0
        # the ERP service goes down with Farm A's array: the impact engine agrees
        array = CI.objects.current().get(name="stor-aus1-01")
        impact = client.get("/api/impact/", {"ci": array.pk}).json()
        assert "ERP" in {s["ci"]["display"] for s in impact["services"]}

    def test_readers_without_licence_rights_get_403(self, api: Any) -> None:
        response = api("IT Operations (NOC)").get("/api/licences/reports/unlicensed-services")
        assert response.status_code == 403

    def test_page_and_export(self, browser: Any) -> None:
        client = browser("Compliance")
        page = client.get("/licences/unlicensed-services/")
        assert page.status_code == 200 and 'data-service="ERP"' in page.content.decode()
        export = client.get("/licences/unlicensed-services/export/", {"format": "xlsx"})
        assert export.status_code == 200
        assert export["Content-Type"].startswith(
            "application/vnd.openxmlformats-officedocument.spreadsheetml"
        )
