"""Lists that used to stop silently now say so (issue 17): pending acceptances, audit
campaigns, audits due, an asset's audits, a discovery run's diff and unmanaged hardware each
show "Showing N of M", link to the whole list (paged) and export all of it."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from assetgraph.assets import audits_views, services, views
from assetgraph.assets.models import Asset
from assetgraph.core.actor import Actor
from assetgraph.discovery import services as discovery
from assetgraph.discovery import views as discovery_views
from assetgraph.discovery.models import DiscoveryRun

pytestmark = pytest.mark.django_db

DASH = "\N{EN DASH}"  # the range separator the pages print (f"1{DASH}2 of 3")


def _csv(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_pending_acceptances_say_they_are_capped_link_and_export(
    make_asset: Callable[..., Asset],
    catalogue: dict[str, Any],
    system: Actor,
    browser: Callable[..., Client],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(views, "PENDING_CAP", 2)
    for _ in range(3):
        services.check_out_asset(system, make_asset(), to_person=catalogue["minh"])
    client = browser("Helpdesk")
    page = client.get("/assets/alerts/").content.decode()
    assert 'id="pending-acceptances-capped"' in page
    assert "Showing 2 of 3" in page
    assert "only=pending-acceptances" in page and "format=csv" in page
    full = client.get("/assets/alerts/", {"only": "pending-acceptances"}).content.decode()
    assert f"1{DASH}2 of 3" in full and 'id="pending-acceptances-next"' in full
    second = client.get("/assets/alerts/", {"only": "pending-acceptances", "offset": 2})
    assert f"3{DASH}3 of 3" in second.content.decode()
    rows = _csv(client.get("/assets/alerts/", {"only": "pending-acceptances", "format": "csv"}))
    assert len(rows) == 3 and {r["custodian"] for r in rows} == {str(catalogue["minh"])}
    bad = client.get("/assets/alerts/", {"only": "pending-acceptances", "format": "pdf"})
    assert bad.status_code == 422 and b"format" in bad.content


def test_an_uncapped_list_says_nothing(
    make_asset: Callable[..., Asset],
    catalogue: dict[str, Any],
    system: Actor,
    browser: Callable[..., Client],
) -> None:
    services.check_out_asset(system, make_asset(), to_person=catalogue["minh"])
    page = browser("Helpdesk").get("/assets/alerts/").content.decode()
    assert 'id="pending-acceptances-capped"' not in page


def test_audit_campaigns_and_audits_due_are_capped_paged_and_exported(
    make_asset: Callable[..., Asset],
    catalogue: dict[str, Any],
    system: Actor,
    browser: Callable[..., Client],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(audits_views, "CAMPAIGN_CAP", 2)
    monkeypatch.setattr(audits_views, "DUE_CAP", 1)
    asset = make_asset()
    make_asset()
    for index in range(3):
        campaign = services.start_audit_campaign(system, catalogue["room"], name=f"Q{index}")
        services.close_audit_campaign(system, campaign)
    client = browser("Compliance")
    page = client.get("/assets/audits/").content.decode()
    assert "Showing 2 of 3" in page and "only=campaigns" in page
    assert page.count('href="/assets/audits/') - page.count("/assets/audits/due") >= 2
    paged = client.get("/assets/audits/", {"only": "campaigns", "offset": 2}).content.decode()
    assert f"3{DASH}3 of 3" in paged and 'id="campaigns-previous"' in paged
    rows = _csv(client.get("/assets/audits/", {"only": "campaigns", "format": "csv"}))
    assert [r["name"] for r in rows] == ["Q2", "Q1", "Q0"]
    assert {r["expected"] for r in rows} == {"2"} and {r["missing"] for r in rows} == {"2"}
    # Audits due: two overdue (one shown of two), one due soon (nothing hidden).
    late = [asset, make_asset()]
    Asset.objects.filter(pk__in=[a.pk for a in late]).update(next_audit_due=dt.date(2000, 1, 1))
    due = client.get("/assets/audits/due/", {"days": 30}).content.decode()
    assert 'id="audits-overdue-capped"' in due and "Showing 1 of 2" in due
    assert "only=audits-overdue" in due
    rows = _csv(client.get("/assets/audits/due/", {"only": "audits-overdue", "format": "csv"}))
    assert sorted(r["asset_tag"] for r in rows) == sorted(a.asset_tag for a in late)
    alone = client.get("/assets/audits/due/", {"only": "audits-overdue"}).content.decode()
    assert f"1{DASH}1 of 2" in alone and 'id="audits-due"' not in alone


def test_an_assets_audits_tab_is_capped_with_a_full_page_and_export(
    make_asset: Callable[..., Asset],
    catalogue: dict[str, Any],
    system: Actor,
    browser: Callable[..., Client],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(views, "AUDIT_ITEMS_CAP", 2)
    asset = make_asset()
    for index in range(3):
        campaign = services.start_audit_campaign(system, catalogue["room"], name=f"A{index}")
        services.scan_asset_tag(system, campaign, asset.asset_tag)
        services.close_audit_campaign(system, campaign)
    client = browser("Compliance")
    page = client.get(f"/assets/assets/{asset.pk}/").content.decode()
    assert "Audits (3)" in page
    assert 'id="audits-capped"' in page and "Showing 2 of 3" in page
    assert f"/assets/assets/{asset.pk}/audits/?only=audits" in page
    full = client.get(f"/assets/assets/{asset.pk}/audits/").content.decode()
    assert f"1{DASH}2 of 3" in full and 'id="audits-next"' in full
    rows = _csv(
        client.get(f"/assets/assets/{asset.pk}/audits/", {"only": "audits", "format": "csv"})
    )
    assert [r["campaign"] for r in rows] == ["A2", "A1", "A0"]
    assert {r["result"] for r in rows} == {"found"}
    assert browser().get(f"/assets/assets/{asset.pk}/audits/").status_code == 404


def test_a_discovery_runs_diff_and_unmanaged_list_are_capped(
    browser: Callable[..., Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(discovery_views, "DIFF_CAP", 2)
    source = discovery.create_source(Actor.system(), {"name": "capped", "connector": "nmap"})
    diff = [{"ref": f"host{i}", "action": "create", "changes": {}} for i in range(3)]
    run = DiscoveryRun.objects.create(source=source, connector="nmap", diff=diff)
    client = browser("Admin")
    page = client.get(f"/discovery/runs/{run.pk}/").content.decode()
    assert "Showing 2 of 3" in page and f"/discovery/runs/{run.pk}/diff/?only=diff" in page
    full = client.get(f"/discovery/runs/{run.pk}/diff/").content.decode()
    assert f"1{DASH}2 of 3" in full and 'id="diff-next"' in full
    rows = _csv(client.get(f"/discovery/runs/{run.pk}/diff/", {"only": "diff", "format": "csv"}))
    assert [r["item"] for r in rows] == ["host0", "host1", "host2"]
    assert browser().get(f"/discovery/runs/{run.pk}/diff/").status_code == 404


def _vms(count: int) -> list[Any]:
    from assetgraph.cmdb import services as cmdb
    from assetgraph.cmdb.models import CIClass

    vm = CIClass.objects.get(name="Virtual Machine")
    return [
        cmdb.create_ci(Actor.system(), {"name": f"cap-vm{i}", "ci_class": vm}) for i in range(count)
    ]


def test_health_offenders_and_unmanaged_hardware_are_capped(
    browser: Callable[..., Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    from assetgraph.cmdb.models import CI
    from assetgraph.discovery import assets as discovery_assets
    from assetgraph.discovery import health

    cis = _vms(3)
    ids = [ci.pk for ci in cis]
    class_id = cis[0].ci_class_id
    monkeypatch.setattr(health, "compute", lambda: {"offenders": {class_id: {"stale": ids}}})
    monkeypatch.setattr(discovery_views, "OFFENDERS_CAP", 2)
    client = browser("Admin")
    url = f"/discovery/health/{class_id}/stale/"
    page = client.get(url).content.decode()
    assert "Showing 2 of 3" in page and "only=offenders" in page
    rows = _csv(client.get(url, {"only": "offenders", "format": "csv"}))
    assert sorted(r["name"] for r in rows) == ["cap-vm0", "cap-vm1", "cap-vm2"]
    monkeypatch.setattr(discovery_views, "UNMANAGED_CAP", 2)
    monkeypatch.setattr(
        discovery_assets,
        "unmanaged",
        lambda user: CI.objects.filter(pk__in=ids).select_related("ci_class").order_by("name_key"),
    )
    page = client.get("/discovery/unmanaged/").content.decode()
    assert "3 devices" in page and "Showing 2 of 3" in page
    alone = client.get("/discovery/unmanaged/", {"only": "unmanaged", "offset": 2}).content.decode()
    assert f"3{DASH}3 of 3" in alone and "cap-vm2" in alone
    rows = _csv(client.get("/discovery/unmanaged/", {"only": "unmanaged", "format": "csv"}))
    assert [r["name"] for r in rows] == ["cap-vm0", "cap-vm1", "cap-vm2"]
