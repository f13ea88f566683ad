"""Business flags and money on the technical views (docs/both-layers.md), on the demo estate
and on small hand-built cases for each rule's boundary."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from assetgraph.assets.models import Asset
from assetgraph.cmdb import services as cmdb_services
from assetgraph.cmdb.models import CI
from assetgraph.core.actor import Actor
from assetgraph.finance import services as finance_services
from assetgraph.finance.models import Contract
from assetgraph.framework.flags import business_flags, flag_kinds
from assetgraph.org import services as org_services
from tests.assets.conftest import catalogue, make_asset
from tests.cmdb.conftest import cls

STORY = ["stor-aus1-01", "ERP Oracle DB", "Finance"]
__all__ = ["catalogue", "make_asset"]


@pytest.fixture(scope="class")
def demo(demo_company: Any, django_db_blocker: Any) -> Iterator[dict[str, CI]]:
    with django_db_blocker.unblock():
        yield {ci.name: ci for ci in CI.objects.current().filter(name__in=STORY)}


def _flags(body: dict[str, Any]) -> dict[str, set[str]]:
    return {row["ci"]["display"]: {f["kind"] for f in row["flags"]} for row in body}


@pytest.mark.usefixtures("db")
class TestDemoStorageArray:
    """The done-when case of issue 21: the storage-array impact."""

    def test_the_array_is_out_of_warranty_and_without_support_and_a_db_is_unlicensed(
        self, demo: dict[str, CI], api: Any
    ) -> None:
        body = api("Compliance").get("/api/impact/", {"ci": "stor-aus1-01"}).json()
        flags = _flags(body["business_flags"])
        assert {"out_of_warranty", "no_support_contract"} <= flags["stor-aus1-01"]
        assert "unlicensed_software" in flags["ERP Oracle DB"]
        array = next(r for r in body["business_flags"] if r["ci"]["display"] == "stor-aus1-01")
        assert array["state"] == "failed"
        # every flag links to its evidence: the asset page, the product's position page
        evidence = {f["kind"]: f["evidence"] for f in array["flags"]}
        assert evidence["out_of_warranty"] == f"/assets/assets/{demo['stor-aus1-01'].asset_id}/"
        erp = next(r for r in body["business_flags"] if r["ci"]["display"] == "ERP Oracle DB")
        licence = next(f for f in erp["flags"] if f["kind"] == "unlicensed_software")
        assert licence["evidence"].startswith("/licences/products/")
        assert "Oracle" in licence["detail"]

    def test_money_names_the_finance_service_cost_and_the_arrays_book_value(
        self, demo: dict[str, CI], api: Any
    ) -> None:
        body = api("Finance").get("/api/impact/", {"ci": "stor-aus1-01"}).json()
        money = body["money"]
        costs = {s["ci"]["display"]: s for s in money["services"]}
        finance = costs["Finance"]
        assert finance["state"] == "down" and finance["criticality"] == 1
        assert Decimal(finance["monthly_cost"]["amount"]) > 0
        # the same figure as the service-cost report of the month
        report = api("Finance").get("/api/finance/service-costs").json()
        listed = {r["name"]: Decimal(r["monthly_cost"]) for r in report["services"]}
        assert Decimal(finance["monthly_cost"]["amount"]) == listed["Finance"]
        down_total = sum(
            Decimal(s["monthly_cost"]["amount"]) for s in money["services"] if s["state"] == "down"
        )
        assert [Decimal(m["amount"]) for m in money["down_monthly_cost"]] == [down_total]
        assert [v["ci"]["display"] for v in money["failed"]] == ["stor-aus1-01"]
        schedule = api("Finance").get(
            f"/api/finance/assets/{demo['stor-aus1-01'].asset_id}/schedule"
        )
        assert schedule.status_code == 200
        assert Decimal(money["failed_book_value"][0]["amount"]) >= 0

    def test_callers_see_only_the_facts_they_may_read(self, demo: dict[str, CI], api: Any) -> None:
        body = api("IT Operations (NOC)").get("/api/impact/", {"ci": "stor-aus1-01"}).json()
        flags = _flags(body["business_flags"])
        # NOC reads assets and contracts, not licences or costs
        assert {"out_of_warranty", "no_support_contract"} <= flags["stor-aus1-01"]
        assert "unlicensed_software" not in flags.get("ERP Oracle DB", set())
        assert body["money"] == {
            "services": [],
            "down_monthly_cost": [],
            "failed": [],
            "failed_book_value": [],
        }
        assert all(row["book_value"] is None for row in body["business_flags"])

    def test_the_ci_context_and_page_carry_the_flags(
        self, demo: dict[str, CI], api: Any, browser: Any
    ) -> None:
        array = demo["stor-aus1-01"]
        body = api("Compliance").get(f"/api/cmdb/cis/{array.pk}/context").json()
        assert {"out_of_warranty", "no_support_contract"} <= {
            f["kind"] for f in body["business_flags"]
        }
        assert body["book_value"]["currency"] == "EUR"
        service = api("Finance").get(f"/api/cmdb/cis/{demo['Finance'].pk}/context").json()
        assert Decimal(service["monthly_cost"]["amount"]) > 0
        page = browser("Compliance").get(f"/cmdb/cis/{array.pk}/")
        assert page.status_code == 200
        html = page.content.decode()
        assert "Business flags" in html and "No support contract" in html

    def test_open_security_findings_are_a_flag(self, demo: dict[str, CI], api: Any) -> None:
        from assetgraph.security.models import Finding

        finding = Finding.objects.filter(status="open").order_by("-priority").first()
        assert finding is not None, "the demo has open findings"
        body = api("Security").get(f"/api/cmdb/cis/{finding.ci_id}/context").json()
        flag = next(f for f in body["business_flags"] if f["kind"] == "known_vulnerabilities")
        assert finding.advisory.identifier in flag["detail"]
        assert flag["evidence"] == f"/security/findings/?ci_id={finding.ci_id}&status=open"
        # a role that may not read findings does not get the flag
        hidden = api("Finance").get(f"/api/cmdb/cis/{finding.ci_id}/context").json()
        assert "known_vulnerabilities" not in {f["kind"] for f in hidden["business_flags"]}

    def test_the_impact_page_shows_flags_and_money(self, demo: dict[str, CI], browser: Any) -> None:
        page = browser("Finance").get("/impact/analyse/", {"ci": "stor-aus1-01"})
        html = page.content.decode()
        assert page.status_code == 200
        assert 'id="impact-business-flags"' in html and 'id="impact-money"' in html
        assert "Out of warranty" in html


@pytest.mark.usefixtures("db")
class TestDemoMap:
    def test_map_nodes_carry_their_flags_and_the_kinds_to_colour_by(
        self, demo: dict[str, CI], api: Any
    ) -> None:
        array = demo["stor-aus1-01"]
        body = api("Compliance").get(f"/api/impact/map/{array.pk}", {"depth": 1}).json()
        nodes = {n["data"]["name"]: n["data"] for n in body["elements"]["nodes"]}
        assert {"out_of_warranty", "no_support_contract"} <= set(nodes["stor-aus1-01"]["flags"])
        kinds = [k["kind"] for k in body["flag_kinds"]]
        assert kinds[:2] == ["out_of_warranty", "past_end_of_life"]
        assert "unlicensed_software" in kinds


@pytest.mark.django_db
class TestRules:
    """Each rule's boundary on a hand-built CI (the demo's dates move with today)."""

    @pytest.fixture
    def server(self, catalogue: dict[str, Any], make_asset: Any, system: Actor) -> tuple[CI, Asset]:
        asset = make_asset(warranty_end=timezone.localdate())
        ci = cmdb_services.create_ci(
            system, {"name": "srv-flag-01", "ci_class": cls("Server"), "asset": asset}
        )
        return ci, asset

    def test_warranty_ending_today_is_not_yet_out_of_warranty(
        self, server: tuple[CI, Asset]
    ) -> None:
        ci, _ = server
        today = timezone.localdate()
        assert "out_of_warranty" not in _kinds(business_flags(None, [ci.pk], today), ci)
        tomorrow = today + dt.timedelta(days=1)
        assert "out_of_warranty" in _kinds(business_flags(None, [ci.pk], tomorrow), ci)

    def test_a_support_contract_in_force_removes_the_support_flag(
        self, server: tuple[CI, Asset], system: Actor
    ) -> None:
        ci, asset = server
        later = timezone.localdate() + dt.timedelta(days=10)
        assert "no_support_contract" in _kinds(business_flags(None, [ci.pk], later), ci)
        finance_services.create_contract(
            system,
            {
                "name": "Support",
                "kind": "maintenance",
                "supplier": org_services.create_company(system, {"name": "Acme support"}),
                "start_date": timezone.localdate(),
                "end_date": later,
                "assets": [asset.pk],
            },
        )
        assert Contract.objects.count() == 1
        assert "no_support_contract" not in _kinds(business_flags(None, [ci.pk], later), ci)
        after = later + dt.timedelta(days=1)
        assert "no_support_contract" in _kinds(business_flags(None, [ci.pk], after), ci)

    def test_planned_retirement_is_a_flag_and_a_change_note(
        self, server: tuple[CI, Asset], api: Any
    ) -> None:
        ci, _ = server
        client = api("Admin")
        day = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
        response = client.patch(
            f"/api/cmdb/cis/{ci.pk}", {"planned_retirement": day}, content_type="application/json"
        )
        assert response.status_code == 200, response.content
        assert response.json()["planned_retirement"] == day
        flags = business_flags(None, [ci.pk])
        assert [f.detail for f in flags[ci.pk] if f.kind == "decommission_planned"] == [
            f"retirement planned for {day}"
        ]
        change = client.post(
            "/api/impact/changes/",
            {"title": "Patch srv-flag-01", "cis": [{"ci_id": ci.pk, "takes_down": True}]},
            content_type="application/json",
        )
        assert change.status_code == 201, change.content
        assessment = client.get(f"/api/impact/changes/{change.json()['id']}/assess").json()
        assert [d["display"] for d in assessment["decommissions"]] == ["srv-flag-01"]
        assert any("decommissioning" in note for note in assessment["notes"])
        assert "decommission_planned" in _flags(assessment["business_flags"])["srv-flag-01"]

    def test_every_declared_kind_is_documented(self) -> None:
        from pathlib import Path

        docs = (Path(__file__).resolve().parents[2] / "docs" / "both-layers.md").read_text()
        for source in flag_kinds():
            assert f"`{source.kind}`" in docs, source.kind


def _kinds(flags: dict[int, list[Any]], ci: CI) -> set[str]:
    return {f.kind for f in flags.get(ci.pk, [])}


@pytest.mark.django_db
def test_root_cause_gives_unsupported_hardware_evidence_points_that_only_break_ties(
    make_asset: Any, system: Actor, api: Any
) -> None:
    """S needs app A, which needs servers X and Y: S itself, A, X and Y explain S equally; the
    engine prefers the least collateral. Y's hardware is out of warranty with no contract: +1
    evidence, so Y ranks first among the equals, with the reason shown."""
    from assetgraph.cmdb.services import add_relationship
    from tests.cmdb.conftest import rtype

    def ci(name: str, klass: str, **values: Any) -> CI:
        return cmdb_services.create_ci(system, {"name": name, "ci_class": cls(klass), **values})

    service = ci("Shop", "Business Service", criticality=1)
    app = ci("Shop app", "Application")
    x = ci("srv-x", "Server")
    old = make_asset(warranty_end=timezone.localdate() - dt.timedelta(days=1))
    y = ci("srv-y", "Server", asset=old)
    for source, target in ((service, app), (app, x), (app, y)):
        add_relationship(system, {"source": source, "type": rtype("depends on"), "target": target})
    body = api("Admin").get("/api/impact/root-cause", {"symptom": service.pk}).json()
    ranked = [c["ci"]["display"] for c in body["candidates"]]
    assert ranked[0] == "srv-y", ranked
    first = body["candidates"][0]
    assert first["evidence_points"] == 1
    kinds = {f["kind"] for f in first["business_flags"]}
    assert {"no_support_contract", "out_of_warranty"} <= kinds
    assert any("no support contract" in reason for reason in first["reasons"])
    assert {"Shop", "Shop app", "srv-x"} <= set(ranked[1:])
    assert all(c["evidence_points"] == 0 for c in body["candidates"][1:])


@pytest.mark.django_db
def test_id_lists_select_what_plain_lists_select(system: Actor) -> None:
    """``IdList`` (the flag sources' fast ``__in`` value) matches a plain list: alone, negated,
    empty, inside a subquery and combined with other conditions."""
    from django.db.models import Q

    from assetgraph.framework.flags import IdList

    a, b, c = (
        cmdb_services.create_ci(system, {"name": f"idl-{i}", "ci_class": cls("Server")})
        for i in range(3)
    )
    ids = [a.pk, c.pk, a.pk]

    def pks(qs: Any) -> list[int]:
        return sorted(qs.values_list("pk", flat=True))

    cis = CI.objects.filter(name__startswith="idl-")
    assert pks(cis.filter(pk__in=IdList(ids))) == pks(cis.filter(pk__in=ids)) == [a.pk, c.pk]
    assert pks(cis.exclude(pk__in=IdList(ids))) == [b.pk]
    assert pks(cis.filter(pk__in=IdList([]))) == []
    assert pks(cis.exclude(pk__in=IdList([]))) == [a.pk, b.pk, c.pk]
    inner = CI.objects.filter(pk__in=IdList([b.pk, c.pk]))
    assert pks(cis.filter(Q(pk__in=inner) & ~Q(pk__in=IdList([c.pk])))) == [b.pk]
    assert IdList(["7", 8]) == [7, 8]


@pytest.mark.django_db
def test_id_lists_are_as_long_as_the_database_allows(system: Actor) -> None:
    """Chunks of ``IN`` ids: 2,000 where the database allows it (PostgreSQL, SQLite >= 3.32),
    a query per chunk, and every id selected."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from assetgraph.framework.flags import MAX_IN, chunked, in_list_size

    size = in_list_size()
    assert size == MAX_IN == 2_000  # both CI databases allow 32,766+ parameters
    a = cmdb_services.create_ci(system, {"name": "chunk-a", "ci_class": cls("Server")})
    ids = [a.pk, *range(10**9, 10**9 + 4_500)]
    chunks = list(chunked(ids))
    assert [len(c) for c in chunks] == [2_000, 2_000, 501]
    with CaptureQueriesContext(connection) as queries:
        found = [
            pk for c in chunks for pk in CI.objects.filter(pk__in=c).values_list("pk", flat=True)
        ]
    assert found == [a.pk] and len(queries.captured_queries) == 3
    assert [len(c) for c in chunked(ids, 3_000)] == [3_000, 1_501]


@pytest.mark.django_db
def test_sources_share_one_visibility_read_that_hides_what_the_caller_may_not_see(
    system: Actor, make_user: Any
) -> None:
    """The flag sources of one ``business_flags`` call read the CIs' visibility once (the
    CMDB's three flags and unlicensed software); a hidden CI is never flagged, and the shared
    answer is what each source gives on its own."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from assetgraph.cmdb import flags as cmdb_flags

    day = timezone.localdate() + dt.timedelta(days=30)
    shown, hidden = (
        cmdb_services.create_ci(
            system, {"name": name, "ci_class": cls("Server"), "planned_retirement": day}
        )
        for name in ("shr-shown", "shr-hidden")
    )
    user = make_user(
        permissions=[
            (["cmdb.ci"], ["view"], {"name": "shr-shown"}),
            (["assets.asset", "licences.entitlement"], ["view"], None),
        ]
    )
    with CaptureQueriesContext(connection) as queries:
        flags = business_flags(user, [shown.pk, hidden.pk])
    assert {pk: [f.kind for f in found] for pk, found in flags.items()} == {
        shown.pk: ["decommission_planned"]
    }
    constrained = [q for q in queries.captured_queries if "shr-shown" in q["sql"]]
    assert len(constrained) == 1  # one visibility read for every source
    alone = cmdb_flags.decommission_planned(user, [shown.pk, hidden.pk], timezone.localdate())
    assert set(alone) == {shown.pk}
    assert alone[shown.pk] == flags[shown.pk]
