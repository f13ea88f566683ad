"""Change records through the API, the UI pages and the CLI: CRUD with filters, the lifecycle
(409 naming the rule), the assessment, permissions (hidden = 404; read-only roles read)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from assetgraph.audit.models import AuditEvent
from assetgraph.changes import services
from assetgraph.changes.models import BlackoutWindow, ChangeRecord
from assetgraph.core.actor import Actor

from .test_changes import T0, farm, hours, new_change

pytestmark = pytest.mark.django_db
__all__ = ["farm"]
API = "/api/impact/changes/"


def post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body, default=str), content_type="application/json")


def payload(farm: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "title": "Patch hv-r01",
        "planned_start": T0.isoformat(),
        "planned_end": (T0 + hours(2)).isoformat(),
        "cis": [{"ci_id": farm["hvr1"].pk, "takes_down": True}],
        **extra,
    }


def test_operators_create_schedule_and_assess_through_the_api(
    farm: dict[str, Any], api: Any
) -> None:
    client = api("IT Operations (NOC)")
    created = post(client, API, payload(farm, change_type="standard"))
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["state"] == "draft" and body["number"].startswith("CHG")
    assert body["cis"][0]["ci"]["id"] == farm["hvr1"].pk and body["cis"][0]["takes_down"]
    assert "schedule" in body["transitions"]
    change_id = body["id"]
    moved = post(client, f"{API}{change_id}/transition", {"transition": "schedule"})
    assert moved.status_code == 200 and moved.json()["state"] == "scheduled"
    refused = post(client, f"{API}{change_id}/transition", {"transition": "complete"})
    assert refused.status_code == 409
    assert "rule 'complete'" in refused.json()["error"]["message"]
    assessed = client.get(f"{API}{change_id}/assess")
    assert assessed.status_code == 200
    report = assessed.json()
    assert report["risk"]["band"] in {"low", "medium", "high", "critical"}
    assert [r["display"] for r in report["redundancy_lost"]] == ["Farm R"]
    assert [s["display"] for s in report["services_degraded"]] == ["Payroll"]
    events = AuditEvent.objects.filter(object_type="changes.changerecord", object_id=str(change_id))
    assert list(events.order_by("id").values_list("action", flat=True)) == [
        "create",
        "transition:schedule",
    ]


def test_list_filters_patch_and_delete(farm: dict[str, Any], api: Any, system: Actor) -> None:
    client = api("DevOps")
    first = new_change(system, "Patch hv-r01", [farm["hvr1"]])
    second = new_change(system, "Reboot VM", [farm["vm"]], start=T0 + hours(24))
    services.transition_change(system, second, "schedule")
    rows = client.get(API, {"state": "scheduled"}).json()["results"]
    assert [r["id"] for r in rows] == [second.pk]
    rows = client.get(API, {"ci_id": farm["hvr1"].pk}).json()["results"]
    assert [r["id"] for r in rows] == [first.pk]
    rows = client.get(API, {"q": "reboot"}).json()["results"]
    assert [r["id"] for r in rows] == [second.pk]
    assert client.get(API, {"state": "bogus"}).status_code == 422
    patched = client.patch(
        f"{API}{first.pk}",
        json.dumps({"cis": [{"ci_id": farm["hvr2"].pk, "takes_down": False}]}),
        content_type="application/json",
    )
    assert patched.status_code == 200
    assert [(c["ci"]["id"], c["takes_down"]) for c in patched.json()["cis"]] == [
        (farm["hvr2"].pk, False)
    ]
    assert client.delete(f"{API}{second.pk}").status_code == 409
    assert client.delete(f"{API}{first.pk}").status_code == 204
    assert not ChangeRecord.objects.filter(pk=first.pk).exists()
    export = client.get(f"{API}export")
    assert export.status_code == 200 and b"Reboot VM" in export.content


def test_bad_input_is_a_422_naming_the_field(farm: dict[str, Any], api: Any) -> None:
    client = api("IT Operations (NOC)")
    count = ChangeRecord.objects.count()
    bad = post(client, API, payload(farm, planned_end=(T0 - hours(1)).isoformat()))
    assert bad.status_code == 422 and "planned_end" in bad.json()["error"]["fields"]
    missing = post(client, API, payload(farm, cis=[{"ci_id": 987654}]))
    assert missing.status_code == 422 and "cis" in missing.json()["error"]["fields"]
    wrong_type = post(client, API, payload(farm, change_type="yolo"))
    assert wrong_type.status_code == 422
    assert ChangeRecord.objects.count() == count


def test_read_only_roles_read_but_cannot_write(
    farm: dict[str, Any], api: Any, system: Actor
) -> None:
    change = new_change(system, "Patch", [farm["hvr1"]])
    reader = api("Read-only")
    assert reader.get(f"{API}{change.pk}").status_code == 200
    assert reader.get(f"{API}{change.pk}/assess").status_code == 200
    assert post(reader, API, payload(farm)).status_code == 403
    assert post(reader, f"{API}{change.pk}/transition", {"transition": "schedule"}).status_code in (
        403,
        404,
    )
    assert ChangeRecord.objects.get(pk=change.pk).state == "draft"
    finance = api("Finance")
    assert finance.get(API).status_code == 403
    assert finance.get(f"{API}{change.pk}").status_code == 404


def test_constrained_user_sees_only_their_changes(
    farm: dict[str, Any], api: Any, system: Actor
) -> None:
    mine = new_change(system, "Mine", [farm["hvr1"]], team=farm["site"]["it"])
    other = new_change(system, "Other", [farm["hvr2"]], team=farm["site"]["finance"])
    client = api(
        permissions=[
            (["changes.changerecord"], ["view", "change"], {"team__code": "IT"}),
            (["cmdb.ci"], ["view"], None),
        ]
    )
    assert [r["id"] for r in client.get(API).json()["results"]] == [mine.pk]
    assert client.get(f"{API}{other.pk}").status_code == 404
    assert client.get(f"{API}{other.pk}/assess").status_code == 404
    assert post(client, f"{API}{other.pk}/transition", {"transition": "cancel"}).status_code == 404


def test_blackout_windows_crud(farm: dict[str, Any], api: Any) -> None:
    client = api("System Administrator")
    url = f"{API}blackouts/"
    created = post(
        client,
        url,
        {
            "name": "Payroll run",
            "start": T0.isoformat(),
            "end": (T0 + hours(10)).isoformat(),
            "scope": [farm["payroll"].pk],
        },
    )
    assert created.status_code == 201, created.content
    assert created.json()["scope"][0]["id"] == farm["payroll"].pk
    active = client.get(url, {"active_at": (T0 + hours(1)).isoformat()}).json()["results"]
    assert [b["name"] for b in active] == ["Payroll run"]
    bad = post(client, url, {"name": "x", "start": T0.isoformat(), "end": T0.isoformat()})
    assert bad.status_code == 422 and "end" in bad.json()["error"]["fields"]
    assert BlackoutWindow.objects.count() == 1


# ------------------------------------------------------------------------------ UI
def test_change_pages(farm: dict[str, Any], browser: Any, system: Actor) -> None:
    client = browser("IT Operations (NOC)")
    add = client.post(
        "/changes/add/",
        {
            "title": "Patch hv-r01",
            "change_type": "normal",
            "planned_start": "2030-03-05T20:00",
            "planned_end": "2030-03-05T22:00",
            "cis_down": f"hv-r01\n#{farm['hvr2'].pk}",
            "cis_up": "",
        },
    )
    assert add.status_code == 302, add.content.decode()[:2000]
    change = ChangeRecord.objects.get(title="Patch hv-r01")
    assert sorted(change.items.values_list("ci__name", flat=True)) == ["hv-r01", "hv-r02"]
    page = client.get(f"/changes/{change.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Risk:" in html and "Payroll" in html and 'data-transition="schedule"' in html
    moved = client.post(f"/changes/{change.pk}/transition/schedule/")
    assert moved.status_code == 302
    assert ChangeRecord.objects.get(pk=change.pk).state == "scheduled"
    refused = client.post(f"/changes/{change.pk}/transition/complete/", follow=True)
    assert "rule &#x27;complete&#x27;" in refused.content.decode()
    bad = client.post(
        "/changes/add/",
        {"title": "x", "change_type": "normal", "cis_down": "no such CI", "cis_up": ""},
    )
    assert bad.status_code == 422 and "not found" in bad.content.decode()
    listing = client.get("/changes/", {"state": "scheduled"})
    assert listing.status_code == 200 and "Patch hv-r01" in listing.content.decode()
    history = client.get(f"/changes/{change.pk}/history/")
    assert history.status_code == 200
    ci_page = client.get(f"/cmdb/cis/{farm['hvr1'].pk}/")
    assert "Changes touching this CI" in ci_page.content.decode()
    assert f"/impact/map/{farm['hvr1'].pk}/" in ci_page.content.decode()
    assert client.get("/changes/blackouts/").status_code == 200
    assert client.get("/changes/lifecycle/").status_code == 200


def test_hidden_change_page_is_404_and_readers_get_no_buttons(
    farm: dict[str, Any], browser: Any, system: Actor
) -> None:
    change = new_change(system, "Patch", [farm["hvr1"]])
    reader = browser("Read-only")
    page = reader.get(f"/changes/{change.pk}/")
    assert page.status_code == 200 and "data-transition" not in page.content.decode()
    assert reader.post(f"/changes/{change.pk}/transition/schedule/").status_code in (
        403,
        404,
    )
    assert browser("Finance").get(f"/changes/{change.pk}/").status_code == 404


# ------------------------------------------------------------------------------ CLI
def run(*args: str) -> str:
    out = io.StringIO()
    call_command("change", *args, stdout=out)
    return out.getvalue()


def test_cli_create_transition_list_show_assess(farm: dict[str, Any], make_user: Any) -> None:
    out = run(
        "create",
        "Patch hv-r01",
        "--start",
        "2030-03-05T20:00",
        "--end",
        "2030-03-05T22:00",
        "--down",
        str(farm["hvr1"].pk),
    )
    change = ChangeRecord.objects.get(title="Patch hv-r01")
    assert f"created change {change.pk}" in out
    assert "now scheduled" in run("transition", str(change.pk), "schedule")
    with pytest.raises(CommandError) as refused:
        run("transition", str(change.pk), "complete")
    assert "rule 'complete'" in str(refused.value)
    assert "Patch hv-r01" in run("list", "--state", "scheduled")
    shown = json.loads(run("show", str(change.pk)))
    assert shown["cis"] == [{"id": farm["hvr1"].pk, "name": "hv-r01", "takes_down": True}]
    text = run("assess", str(change.pk))
    assert "risk:" in text and "redundancy lost: Farm R" in text
    data = json.loads(run("assess", str(change.pk), "--json"))
    assert data["redundancy_lost"][0]["display"] == "Farm R"
    reader = make_user("Read-only")
    assert "Patch hv-r01" in run("--user", reader.username, "list")
    with pytest.raises(CommandError):
        run("--user", reader.username, "transition", str(change.pk), "cancel", "--reason", "x")
    with pytest.raises(CommandError):
        run("create", "x", "--start", "not-a-date")
