"""Physical audits: campaigns, scanning, relocation, closing, due lists, permissions."""

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
from assetgraph.assets.models import Asset, AuditCampaign, AuditItem, add_months
from assetgraph.audit.models import AuditEvent
from assetgraph.core.actor import Actor
from assetgraph.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db


def _post(client: Client, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, json.dumps(body or {}), content_type="application/json")


@pytest.fixture
def estate(catalogue: dict[str, Any], make_asset: Callable[..., Asset]) -> dict[str, Any]:
    """Two assets in London/HQ (a sub-location of London), one in Berlin, one retired in HQ."""
    here_a = make_asset(location=catalogue["room"])
    here_b = make_asset(model="u27", location=catalogue["london"])
    elsewhere = make_asset(model="u27", location=catalogue["berlin"])
    retired = make_asset(model="u27", location=catalogue["room"])
    services.transition_asset(
        Actor.system(),
        retired,
        "retire",
        substate="disposed",
        reason="broken",
        disposal={"recipient": "Recycler"},
    )
    return {
        **catalogue,
        "here_a": here_a,
        "here_b": here_b,
        "elsewhere": elsewhere,
        "retired": retired,
    }


def test_campaign_snapshots_the_subtree_and_classifies_scans(
    estate: dict[str, Any], system: Actor
) -> None:
    campaign = services.start_audit_campaign(system, estate["london"], name="London Q1")
    expected = set(campaign.items.values_list("asset_id", flat=True))
    assert expected == {estate["here_a"].pk, estate["here_b"].pk}  # retired and Berlin left out
    # moving an asset in after the start does not change what was expected
    services.update_asset(system, estate["elsewhere"], {"notes": "moved"})
    found = services.scan_asset_tag(system, campaign, f"  {estate['here_a'].asset_tag.lower()} ")
    assert (found.result, found.repeated) == ("found", False)
    again = services.scan_asset_tag(system, campaign, estate["here_a"].asset_tag)
    assert again.repeated and again.result == "found"
    stray = services.scan_asset_tag(system, campaign, estate["elsewhere"].asset_tag)
    assert stray.result == "unexpected"
    assert stray.item.registered_location_id == estate["berlin"].pk
    assert "registered at EMEA / Berlin" in stray.message
    unknown = services.scan_asset_tag(system, campaign, "NOPE-1")
    assert unknown.result == "unknown" and unknown.item.asset_id is None
    with pytest.raises(ValidationFailed) as blank:
        services.scan_asset_tag(system, campaign, "   ")
    assert "tag" in blank.value.fields
    scans = AuditEvent.objects.filter(
        object_type="assets.auditcampaign", object_id=str(campaign.pk), action="scan"
    )
    assert scans.count() == 3  # repeated scans are not events


def test_relocate_and_close_stamp_dates_and_write_history(
    estate: dict[str, Any], system: Actor
) -> None:
    estate["laptops"].audit_interval_months = 6
    estate["laptops"].save()
    campaign = services.start_audit_campaign(system, estate["london"])
    services.scan_asset_tag(system, campaign, estate["here_a"].asset_tag)
    stray = services.scan_asset_tag(system, campaign, estate["elsewhere"].asset_tag)
    moved = services.relocate_audited_asset(system, stray.item)
    assert moved.location_id == estate["london"].pk
    with pytest.raises(Conflict):
        services.relocate_audited_asset(system, stray.item)
    summary = services.close_audit_campaign(system, campaign)
    assert summary.counts == {"found": 1, "missing": 1, "unexpected": 1, "unknown": 0}
    assert summary.stamped == 2
    today = timezone.localdate()
    laptop = Asset.objects.get(pk=estate["here_a"].pk)
    assert (laptop.last_audit_date, laptop.next_audit_due) == (today, add_months(today, 6))
    monitor = Asset.objects.get(pk=estate["elsewhere"].pk)
    assert monitor.next_audit_due == add_months(today, 12)  # the default interval
    missing = Asset.objects.get(pk=estate["here_b"].pk)
    assert missing.last_audit_date is None
    assert AuditItem.objects.get(campaign=campaign, asset=missing).result == "missing"
    history = AuditEvent.objects.filter(object_type="assets.asset", action="audit")
    assert {(e.object_id, e.after["audit_result"]) for e in history} == {
        (str(laptop.pk), "found"),
        (str(monitor.pk), "unexpected"),
        (str(missing.pk), "missing"),
    }
    relocation = AuditEvent.objects.get(object_id=str(monitor.pk), action="relocate")
    assert relocation.after["location"] == estate["london"].pk
    with pytest.raises(Conflict):
        services.scan_asset_tag(system, campaign, estate["here_b"].asset_tag)
    with pytest.raises(Conflict):
        services.close_audit_campaign(system, campaign)


def test_roles_compliance_audits_helpdesk_scans(
    estate: dict[str, Any], make_user: Callable[..., Any]
) -> None:
    compliance = Actor(user=make_user("Compliance"))
    helpdesk = Actor(user=make_user("Helpdesk"))
    reader = Actor(user=make_user("Read-only"))
    with pytest.raises(PermissionDenied):
        services.start_audit_campaign(helpdesk, estate["london"])
    campaign = services.start_audit_campaign(compliance, estate["london"])
    assert services.scan_asset_tag(helpdesk, campaign, estate["here_a"].asset_tag).result == "found"
    with pytest.raises(PermissionDenied):
        services.scan_asset_tag(reader, campaign, estate["here_b"].asset_tag)
    with pytest.raises(PermissionDenied):
        services.close_audit_campaign(helpdesk, campaign)
    services.close_audit_campaign(compliance, campaign)
    events = AuditEvent.objects.filter(
        object_type="assets.auditcampaign", object_id=str(campaign.pk)
    )
    assert set(events.values_list("action", flat=True)) == {"create", "scan", "close"}


def test_constrained_user_expects_and_finds_only_what_they_see(
    estate: dict[str, Any], make_user: Callable[..., Any]
) -> None:
    user = make_user(
        permissions=[
            (["assets.auditcampaign"], ["view", "add", "change", "scan"], None),
            (["assets.asset"], ["view"], {"model__category__kind": "laptop"}),
            (["org.location"], ["view"], None),
        ]
    )
    actor = Actor(user=user)
    campaign = services.start_audit_campaign(actor, estate["london"])
    assert list(campaign.items.values_list("asset_id", flat=True)) == [estate["here_a"].pk]
    hidden = services.scan_asset_tag(actor, campaign, estate["elsewhere"].asset_tag)
    assert hidden.result == "unknown"  # a hidden asset is not revealed by its tag


def test_audit_api_flow_and_errors(api: Callable[..., Client], estate: dict[str, Any]) -> None:
    compliance, helpdesk = api("Compliance"), api("Helpdesk")
    bad = _post(compliance, "/api/assets/audits/", {"location_id": 999999})
    assert bad.status_code == 404 and "location_id" in bad.json()["error"]["fields"]
    assert (
        _post(helpdesk, "/api/assets/audits/", {"location_id": estate["london"].pk}).status_code
        == 403
    )
    created = _post(compliance, "/api/assets/audits/", {"location_id": estate["london"].pk})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["counts"]["pending"] == 2 and body["status"] == "open"
    url = f"/api/assets/audits/{body['id']}"
    scanned = _post(helpdesk, f"{url}/scan", {"tag": estate["here_a"].asset_tag})
    assert scanned.status_code == 200 and scanned.json()["result"] == "found"
    stray = _post(helpdesk, f"{url}/scan", {"tag": estate["elsewhere"].asset_tag}).json()
    assert stray["result"] == "unexpected"
    assert _post(helpdesk, f"{url}/scan", {"tag": ""}).status_code == 422
    moved = _post(helpdesk, f"{url}/items/{stray['item']['id']}/relocate")
    assert moved.status_code == 200 and moved.json()["location"]["id"] == estate["london"].pk
    assert _post(helpdesk, f"{url}/items/999999/relocate").status_code == 404
    missing = helpdesk.get(f"{url}/items", {"result": "pending"}).json()
    assert [i["asset"]["id"] for i in missing] == [estate["here_b"].pk]
    assert helpdesk.get(f"{url}/items", {"result": "bogus"}).status_code == 422
    assert _post(helpdesk, f"{url}/close").status_code == 403
    closed = _post(compliance, f"{url}/close")
    assert closed.status_code == 200, closed.content
    assert closed.json()["counts"]["missing"] == 1 and closed.json()["stamped"] == 2
    assert _post(compliance, f"{url}/close").status_code == 409
    assert _post(helpdesk, f"{url}/scan", {"tag": "X"}).status_code == 409
    listed = compliance.get("/api/assets/audits/").json()["results"]
    assert [c["id"] for c in listed] == [body["id"]]
    assert api().get(url).status_code == 404
    assert api().get("/api/assets/audits/").status_code == 403


def test_due_lists_and_audits_due_alert(
    api: Callable[..., Client], estate: dict[str, Any], system: Actor
) -> None:
    today = timezone.localdate()
    Asset.objects.filter(pk=estate["here_a"].pk).update(next_audit_due=today - dt.timedelta(days=3))
    Asset.objects.filter(pk=estate["here_b"].pk).update(
        next_audit_due=today + dt.timedelta(days=10)
    )
    Asset.objects.filter(pk=estate["elsewhere"].pk).update(
        next_audit_due=today + dt.timedelta(days=100)
    )
    client = api("Helpdesk")
    overdue = client.get("/api/assets/audits/due", {"overdue_only": "true"}).json()
    assert [a["id"] for a in overdue["results"]] == [estate["here_a"].pk]
    due = client.get("/api/assets/audits/due", {"days": 30}).json()
    assert [a["id"] for a in due["results"]] == [estate["here_a"].pk, estate["here_b"].pk]
    assert due["count"] == 2
    first = client.get("/api/assets/audits/due", {"days": 30, "limit": 1}).json()
    assert len(first["results"]) == 1 and first["count"] == 2  # capped, and says so
    alerts = client.get("/api/assets/alerts", {"audit_days": 30}).json()
    assert alerts["audits_due"]["count"] == 2
    assert client.get("/api/assets/audits/due", {"days": -1}).status_code == 422
    out = StringIO()
    call_command("alerts", "--json", "--audit-days", "30", stdout=out)
    assert {r["asset_tag"] for r in json.loads(out.getvalue())["audits_due"]} == {
        estate["here_a"].asset_tag,
        estate["here_b"].asset_tag,
    }


def test_audit_campaign_cli(estate: dict[str, Any]) -> None:
    out = StringIO()
    call_command("audit_campaign", "start", "EMEA / London", "--name", "CLI audit", stdout=out)
    campaign = AuditCampaign.objects.get(name="CLI audit")
    call_command(
        "audit_campaign", "scan", str(campaign.pk), estate["here_a"].asset_tag, "ZZZ", stdout=out
    )
    call_command("audit_campaign", "close", str(campaign.pk), stdout=out)
    text = out.getvalue()
    assert "found" in text and "unknown" in text and "missing: 1" in text
    campaign.refresh_from_db()
    assert campaign.status == "closed"
    assert AuditEvent.objects.filter(object_id=str(campaign.pk), source="cli").exists()
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("audit_campaign", "start", "Nowhere")


def test_hidden_campaign_is_not_found(
    estate: dict[str, Any], make_user: Callable[..., Any]
) -> None:
    campaign = services.start_audit_campaign(Actor.system(), estate["london"])
    with pytest.raises(NotFound):
        services.scan_asset_tag(Actor(user=make_user()), campaign, "X")
