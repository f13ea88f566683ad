"""One record, two halves: the asset ↔ CI link through services, API and UI."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from assetgraph.assets import services as assets
from assetgraph.cmdb import services
from assetgraph.cmdb.models import CI
from assetgraph.org import services as org

from ..conftest import bearer

pytestmark = pytest.mark.django_db


@pytest.fixture
def server_asset(estate: dict[str, Any], system: Any) -> Any:
    """The hypervisor's hardware: a Dell server, out of warranty, held by Ana."""
    dell = org.create_company(system, {"name": "Dell", "is_manufacturer": True})
    servers = assets.create_category(system, {"name": "Servers", "kind": "server"})
    model = assets.create_model(
        system,
        {
            "name": "PowerEdge R750",
            "category": servers,
            "manufacturer": dell,
            "default_warranty_months": 12,
        },
    )
    asset = assets.create_asset(
        system,
        {
            "model": model,
            "serial_number": "SN-HV-1",
            "cost": Decimal("18000.00"),
            "currency": "EUR",
            "purchase_date": dt.date(2020, 1, 15),
        },
    )
    assets.check_out_asset(system, asset, to_person=estate["site"]["ana"])
    services.update_ci(system, estate["hv"], {"asset": asset})
    asset.refresh_from_db()
    return asset


def test_dependent_services_are_the_engines_answer(estate: dict[str, Any], make_user: Any) -> None:
    """Service → app → VM → hypervisor, app → database: failing either takes Finance down."""
    from assetgraph.impact.dependents import dependent_services

    admin = make_user(superuser=True)
    by_hv = dependent_services(admin, estate["hv"])
    assert [(d.ci.pk, d.state, d.depth) for d in by_hv] == [(estate["service"].pk, "down", 3)]
    by_db = dependent_services(admin, estate["db"])
    assert [(d.ci.pk, d.state, d.depth) for d in by_db] == [(estate["service"].pk, "down", 2)]
    assert dependent_services(admin, estate["service"]) == []  # nothing depends on the service


def test_ci_shows_its_assets_business_context(
    server_asset: Any, estate: dict[str, Any], api: Any
) -> None:
    client = api("Finance", "IT Operations (NOC)")
    body = client.get(f"/api/cmdb/cis/{estate['hv'].pk}/context").json()
    context = body["business_context"]
    assert context["asset_tag"] == server_asset.asset_tag
    assert context["custodian"]["display"] == "Ana Costa"
    assert context["state"] == "in_use"
    assert context["warranty_expired"] is True
    assert context["cost"] == "18000.00"
    assert [s["display"] for s in body["services"]] == ["Finance"]
    assert client.get(f"/api/cmdb/cis/{estate['hv'].pk}").json()["asset"]["id"] == server_asset.pk


def test_business_context_follows_asset_permissions(
    server_asset: Any, estate: dict[str, Any], api: Any
) -> None:
    noc = api("IT Operations (NOC)")  # sees assets, but not their costs
    context = noc.get(f"/api/cmdb/cis/{estate['hv'].pk}/context").json()["business_context"]
    assert context["cost"] is None and context["custodian"]["display"] == "Ana Costa"
    cmdb_only = api(permissions=[(["cmdb.ci"], ["view"], None)])  # no asset permission at all
    body = cmdb_only.get(f"/api/cmdb/cis/{estate['hv'].pk}/context").json()
    assert body["business_context"] is None
    assert cmdb_only.get(f"/api/cmdb/cis/{estate['hv'].pk}").json()["asset"] is None


def test_asset_shows_its_ci_and_the_services_that_depend_on_it(
    server_asset: Any, estate: dict[str, Any], api: Any, browser: Any
) -> None:
    summary = api("IT Operations (NOC)").get(f"/api/cmdb/assets/{server_asset.pk}/ci").json()
    assert summary["ci"]["id"] == estate["hv"].pk
    assert summary["services"] == [
        {
            "id": estate["service"].pk,
            "display": "Finance",
            "criticality": 1,
            "state": "down",
            "depth": 3,
        }
    ]
    page = browser("IT Operations (NOC)").get(f"/assets/assets/{server_asset.pk}/")
    assert page.status_code == 200
    assert (
        b"Configuration item" in page.content
        and b"hv-01" in page.content
        and b"Finance" in page.content
    )
    ci_page = browser("Finance", "IT Operations (NOC)").get(f"/cmdb/cis/{estate['hv'].pk}/")
    assert (
        b"Business context" in ci_page.content
        and b"Ana Costa" in ci_page.content
        and b"(expired)" in ci_page.content
    )
    assets_only = api("Procurement")
    assert assets_only.get(f"/api/cmdb/assets/{server_asset.pk}/ci").status_code == 404


def test_linking_needs_a_visible_asset_and_is_one_to_one(
    server_asset: Any, estate: dict[str, Any], make_user: Any, system: Any
) -> None:
    client = bearer(
        make_user(permissions=[(["cmdb.ci", "cmdb.ciclass"], ["view", "add", "change"], None)])
    )
    body = json.dumps({"asset_id": server_asset.pk})
    hidden = client.patch(f"/api/cmdb/cis/{estate['vm'].pk}", body, content_type="application/json")
    assert hidden.status_code == 404 and hidden.json()["error"]["fields"] == {
        "asset_id": ["not found"]
    }
    admin = bearer(make_user("Admin"))
    taken = admin.patch(f"/api/cmdb/cis/{estate['vm'].pk}", body, content_type="application/json")
    assert taken.status_code in (409, 422)
    assert CI.objects.get(pk=estate["vm"].pk).asset_id is None


def test_asset_page_counts_only_relationships_the_user_may_see(
    server_asset: Any, estate: dict[str, Any], browser: Any
) -> None:
    everything = browser("IT Operations (NOC)").get(f"/assets/assets/{server_asset.pk}/")
    assert b"1 outgoing, 1 incoming" in everything.content  # member of the farm; the VM on it
    only_this_ci = browser(
        permissions=[
            (["cmdb.ci"], ["view"], {"id": estate["hv"].pk}),
            (["cmdb.relationship", "assets.asset", "cmdb.ciclass"], ["view"], None),
        ]
    ).get(f"/assets/assets/{server_asset.pk}/")
    assert only_this_ci.status_code == 200
    assert b"0 outgoing, 0 incoming" in only_this_ci.content
