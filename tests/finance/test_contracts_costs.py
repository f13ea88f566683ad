"""Contracts (documents, renewals, coverage gaps) and the monthly cost of business services
rolled up the dependency graph, on the CMDB tests' small estate."""

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
from assetgraph.finance.contracts import attach_document, coverage_gaps, renewal_alerts, term_end
from assetgraph.finance.models import Contract
from tests.cmdb.conftest import cls, estate, rtype

__all__ = ["estate"]

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = dt.date(2026, 6, 15)


@pytest.fixture
def priced(
    estate: dict[str, Any],
    catalogue: dict[str, Any],
    make_asset: Callable[..., Asset],
    system: Actor,
) -> dict[str, Any]:
    """hv-01 is a 36,000 server (1,000 a month, 3-year straight line from 2026-01); a second
    service, HR, uses the same database as Finance; the warranty ended in March 2026."""
    services.create_profile(
        system,
        {
            "name": "Servers",
            "category": catalogue["monitors"],
            "method": "straight_line",
            "life_years": 3,
            "start_basis": "purchase",
        },
    )
    server = make_asset(
        model="u27",
        cost=D("36000.00"),
        purchase_date=dt.date(2026, 1, 1),
        warranty_end=dt.date(2026, 3, 31),
    )
    cmdb.update_ci(system, estate["hv"], {"asset": server})
    db_server = make_asset(
        model="u27",
        cost=D("7200.00"),
        purchase_date=dt.date(2026, 1, 1),
        warranty_end=dt.date(2029, 1, 1),
    )
    cmdb.update_ci(system, estate["db"], {"asset": db_server})  # 200 a month, shared
    hr = cmdb.create_ci(
        system, {"name": "HR", "ci_class": cls("Business Service"), "criticality": 2}
    )
    cmdb.add_relationship(
        system, {"source": hr, "target": estate["db"], "type": rtype("depends on")}
    )
    return {**estate, "server": server, "db_server": db_server, "hr": hr}


def test_service_cost_flows_up_and_shared_cis_split(
    priced: dict[str, Any], api: Callable[..., Any]
) -> None:
    """hv-01's 1,000 splits equally between its direct dependents, fin-vm-01 and Farm A (a
    member's failure affects its farm): 500 reaches Finance through the VM and the app, 500
    stops at the farm, which no service uses. The database's 200 splits 100 / 100 between
    the Finance application and HR."""
    response = api("Finance").get("/api/finance/service-costs?month=2026-03")
    assert response.status_code == 200, response.content
    costs = {row["name"]: row["monthly_cost"] for row in response.json()["services"]}
    assert costs == {"Finance": "600.00", "HR": "100.00"}
    assert response.json()["stranded"] == "500.00"
    detail = (
        api("Finance")
        .get(f"/api/finance/service-costs/{priced['service'].pk}?month=2026-03")
        .json()
    )
    assert detail["monthly_cost"] == "600.00"
    layers = {row["layer"]: row["amount"] for row in detail["by_layer"]}
    assert layers == {"Hypervisor": "500.00", "Database": "100.00"}
    by_ci = {row["name"]: row for row in detail["by_ci"]}
    assert by_ci["fin-db"]["share"] == 0.5
    assert api("Helpdesk").get("/api/finance/service-costs").status_code == 403
    # The bulk cost read gives the per-asset path's answer (before, during, after the life).
    from assetgraph.cmdb.models import CI
    from assetgraph.finance.service_cost import ci_monthly_costs_per_asset, service_costs

    for month in (dt.date(2025, 12, 1), dt.date(2026, 3, 1), dt.date(2028, 12, 1)):
        bulk = service_costs(month, CI.objects.current())
        assert bulk == service_costs(
            month, CI.objects.current(), costs_of=ci_monthly_costs_per_asset
        )
    assert bulk["services"] and bulk["total_cis_cost"] == D("1200.00")


def test_weight_attribute_splits_in_proportion(priced: dict[str, Any], system: Actor) -> None:
    """Without its farm membership and with a second VM (48 GB) for HR on hv-01 next to
    fin-vm-01 (16 GB): by ``ram_gb`` the hypervisor's 1,000 splits 250 / 750; the database
    (dependents without ``ram_gb``) still splits equally, 100 / 100."""
    cmdb.remove_relationship(system, priced["hv-farm"])
    hr_vm = cmdb.create_ci(
        system,
        {"name": "hr-vm-01", "ci_class": cls("Virtual Machine"), "attributes": {"ram_gb": 48}},
    )
    cmdb.add_relationship(
        system, {"source": hr_vm, "target": priced["hv"], "type": rtype("hosted on")}
    )
    cmdb.add_relationship(
        system, {"source": priced["hr"], "target": hr_vm, "type": rtype("depends on")}
    )
    out = io.StringIO()
    call_command(
        "finance", "service-cost", "--month", "2026-03", "--weight", "ram_gb", "--json", stdout=out
    )
    costs = {row["name"]: row["monthly_cost"] for row in json.loads(out.getvalue())["services"]}
    assert costs == {"Finance": "350.00", "HR": "850.00"}
    out = io.StringIO()
    call_command("finance", "service-cost", "--month", "2026-03", "--json", stdout=out)
    costs = {row["name"]: row["monthly_cost"] for row in json.loads(out.getvalue())["services"]}
    assert costs == {"Finance": "600.00", "HR": "600.00"}  # equally: 500 each, plus 100


def test_contract_cost_share_joins_the_roll_up(
    priced: dict[str, Any], catalogue: dict[str, Any], system: Actor
) -> None:
    """A 3,000-a-quarter support contract on hv-01 and the database server: 1,000 a month,
    500 each. hv-01 now costs 1,500 (half to Finance), the database 700 (half each):
    Finance 750 + 350, HR 350."""
    services.create_contract(
        system,
        {
            "name": "Support",
            "kind": "maintenance",
            "supplier": catalogue["cdw"],
            "start_date": dt.date(2026, 1, 1),
            "end_date": dt.date(2026, 12, 31),
            "billing_period": "quarterly",
            "cost_per_period": D("3000.00"),
            "currency": "EUR",
            "assets": [priced["server"].pk, priced["db_server"].pk],
        },
    )
    out = io.StringIO()
    call_command("finance", "service-cost", "--month", "2026-03", "--json", stdout=out)
    costs = {row["name"]: row["monthly_cost"] for row in json.loads(out.getvalue())["services"]}
    assert costs == {"Finance": "1100.00", "HR": "350.00"}


def test_renewal_alert_fires_at_the_notice_date_and_auto_renewal_rolls_on(
    catalogue: dict[str, Any], system: Actor
) -> None:
    fixed = services.create_contract(
        system,
        {
            "name": "Fixed",
            "kind": "lease",
            "supplier": catalogue["cdw"],
            "start_date": dt.date(2025, 7, 1),
            "end_date": dt.date(2026, 6, 30),
            "notice_days": 30,
        },
    )
    rolling = services.create_contract(
        system,
        {
            "name": "Rolling",
            "kind": "saas",
            "supplier": catalogue["cdw"],
            "start_date": dt.date(2024, 1, 1),
            "end_date": dt.date(2024, 12, 31),
            "notice_days": 60,
            "auto_renew": True,
            "renewal_months": 12,
        },
    )
    everything = Contract.objects.all()
    assert [a.contract for a in renewal_alerts(everything, dt.date(2026, 5, 30))] == []
    assert [a.contract for a in renewal_alerts(everything, dt.date(2026, 5, 31))] == [fixed]
    assert [a.contract for a in renewal_alerts(everything, dt.date(2026, 7, 1))] == []
    assert term_end(rolling, TODAY) == dt.date(2026, 12, 31)
    alerts = renewal_alerts(everything, dt.date(2026, 11, 1))
    assert [(a.contract, a.notice_date) for a in alerts] == [(rolling, dt.date(2026, 11, 1))]


def test_documents_are_checked_by_type_content_and_size(
    catalogue: dict[str, Any], system: Actor, api: Callable[..., Any]
) -> None:
    contract = services.create_contract(
        system,
        {
            "name": "Docs",
            "kind": "service",
            "supplier": catalogue["cdw"],
            "start_date": dt.date(2026, 1, 1),
            "end_date": dt.date(2026, 12, 31),
        },
    )
    document = attach_document(system, contract, "contract", "signed.pdf", b"%PDF-1.7\n...")
    assert (document.size, document.content_type) == (12, "application/pdf")
    assert AuditEvent.objects.filter(object_type="finance.contract", action="attach").count() == 1
    for name, data in [("evil.exe", b"MZ"), ("fake.pdf", b"MZ\x90\x00"), ("empty.pdf", b"")]:
        with pytest.raises(ValidationFailed):
            attach_document(system, contract, "contract", name, data)
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = api("Procurement")
    ok = client.post(
        f"/api/finance/contracts/{contract.pk}/documents",
        {"kind": "sla", "file": SimpleUploadedFile("sla.txt", b"99.9 % uptime")},
    )
    assert ok.status_code == 201, ok.content
    bad = client.post(
        f"/api/finance/contracts/{contract.pk}/documents",
        {"kind": "sla", "file": SimpleUploadedFile("sla.png", b"not a png")},
    )
    assert bad.status_code == 422
    assert (
        api("Finance")
        .post(
            f"/api/finance/contracts/{contract.pk}/documents",
            {"kind": "sla", "file": SimpleUploadedFile("sla.txt", b"x")},
        )
        .status_code
        == 403
    )


def test_coverage_gap_lists_unsupported_hardware_on_tier_1_paths(
    priced: dict[str, Any], catalogue: dict[str, Any], system: Actor, api: Callable[..., Any]
) -> None:
    """hv-01 (Finance needs it; warranty ended) is a gap until a support contract covers it;
    the database server's warranty (36 months from purchase) still runs."""
    gaps = coverage_gaps(TODAY, Asset.objects.all())
    assert [(g.asset.pk, g.services) for g in gaps] == [(priced["server"].pk, ["Finance"])]
    services.create_contract(
        system,
        {
            "name": "Support",
            "kind": "maintenance",
            "supplier": catalogue["cdw"],
            "start_date": dt.date(2026, 1, 1),
            "end_date": dt.date(2026, 12, 31),
            "cis": [priced["hv"].pk],
        },
    )
    assert coverage_gaps(TODAY, Asset.objects.all()) == []
    assert api("Finance").get("/api/finance/coverage-gaps").status_code == 200


def test_contract_api_create_with_covered_items(
    catalogue: dict[str, Any], make_asset: Callable[..., Asset], api: Callable[..., Any]
) -> None:
    asset = make_asset()
    payload = {
        "name": "Care pack",
        "kind": "warranty",
        "supplier_id": catalogue["cdw"].pk,
        "start_date": "2026-01-01",
        "end_date": "2028-12-31",
        "assets": [asset.pk],
    }
    response = api("Procurement").post(
        "/api/finance/contracts/", payload, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["assets"] == [asset.pk]
    bad = api("Procurement").post(
        "/api/finance/contracts/",
        {**payload, "end_date": "2025-01-01"},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert (
        api("Helpdesk")
        .post("/api/finance/contracts/", payload, content_type="application/json")
        .status_code
        == 403
    )
