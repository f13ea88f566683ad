"""``--json`` on every command that prints results (issue 17): one JSON document on standard
output with machine-readable values (ISO dates, decimals as strings), nothing else; a failure
exits non-zero with its message (``CommandError``) and, with ``--json``, a JSON error object."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from assetgraph.assets import services as asset_services
from assetgraph.assets.models import Asset
from assetgraph.audit.services import seal_pending
from assetgraph.core.actor import Actor
from assetgraph.core.commandline import json_text
from assetgraph.demo.generator import DemoResult
from assetgraph.events.models import Job
from assetgraph.events.queue import enqueue
from tests.assets.conftest import catalogue, make_asset
from tests.stock.conftest import people, stock

__all__ = ["catalogue", "make_asset", "people", "stock"]  # fixtures of the assets/stock tests

pytestmark = pytest.mark.django_db


def _json(*args: str) -> Any:
    """Run a command with ``--json`` and parse its whole standard output as one document."""
    out = io.StringIO()
    call_command(*args, "--json", stdout=out, stderr=io.StringIO())
    return json.loads(out.getvalue())


def _failing(*args: str) -> tuple[CommandError, Any]:
    out = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command(*args, "--json", stdout=out, stderr=io.StringIO())
    return raised.value, json.loads(out.getvalue())


def test_values_are_machine_readable() -> None:
    text = json_text({"d": dt.date(2026, 1, 2), "m": Decimal("10.50"), "t": dt.time(9, 30)})
    assert json.loads(text) == {"d": "2026-01-02", "m": "10.50", "t": "09:30:00"}


def test_roles() -> None:
    data = _json("roles")
    helpdesk = next(r for r in data["roles"] if r["role"] == "Helpdesk")
    assert "checkout" in helpdesk["grants"]["assets.asset"]


def test_asset_report_and_custody(
    make_asset: Callable[..., Asset], catalogue: dict[str, Any]
) -> None:
    first, second = make_asset(), make_asset()
    report = _json("asset_report", "state")
    assert report["total"] == 2 and report["rows"][0]["count"] == 2
    minh = catalogue["minh"]
    out = _json("custody", "checkout", first.asset_tag, "--to", minh.employee_number)
    assert out["asset"] == first.asset_tag and out["person"] == minh.pk
    assert out["acceptance"] == "pending"  # laptops need acceptance
    assert dt.datetime.fromisoformat(out["checked_out_at"])  # ISO
    back = _json("custody", "checkin", first.asset_tag)
    assert back["checked_in"] == [{"asset": first.asset_tag, "state": "in_stock"}]
    assert second.state == "in_stock"
    error, body = _failing("custody", "checkin", "NO-SUCH-TAG")
    assert error.returncode == 2 and body["exit"] == 2 and "NO-SUCH-TAG" in body["error"]


def test_audit_campaign_start_scan_close_show(
    make_asset: Callable[..., Asset], catalogue: dict[str, Any]
) -> None:
    asset = make_asset()
    started = _json("audit_campaign", "start", catalogue["room"].path, "--name", "CLI audit")
    assert started["name"] == "CLI audit" and started["expected"] == 1
    scanned = _json("audit_campaign", "scan", str(started["id"]), asset.asset_tag)
    assert scanned["scans"][0] == {
        "tag": asset.asset_tag,
        "result": "found",
        "repeated": False,
        "message": scanned["scans"][0]["message"],
    }
    closed = _json("audit_campaign", "close", str(started["id"]))
    assert closed["status"] == "closed" and closed["counts"]["found"] == 1
    shown = _json("audit_campaign", "show", str(started["id"]))
    assert shown["items"][0]["tag"] == asset.asset_tag and shown["items"][0]["result"] == "found"
    error, body = _failing("audit_campaign", "show", "999999")
    assert body == {"error": str(error), "exit": 2}


def test_labels(make_asset: Callable[..., Asset], tmp_path: Path) -> None:
    asset = make_asset()
    target = tmp_path / "labels.html"
    data = _json("labels", asset.asset_tag, "--output", str(target))
    assert data["labels"][0]["asset_tag"] == asset.asset_tag and target.exists()
    assert data["labels"][0]["url"].endswith(f"?tag={asset.asset_tag}")


def test_audit_verify_and_seal() -> None:
    Actor.system("tests")
    seal_pending()
    verified = _json("audit", "verify")
    assert verified["ok"] is True and verified["checked"] >= 0
    sealed = _json("audit", "seal")
    assert sealed["action"] == "seal" and isinstance(sealed["sealed"], int)


def test_export_streams_one_document(make_asset: Callable[..., Asset]) -> None:
    asset = make_asset(cost=Decimal("1299.50"))
    data = _json("export_data", "assets")
    assert data["kind"] == "assets"
    row = next(r for r in data["rows"] if r["asset_tag"] == asset.asset_tag)
    assert row["purchase_date"] == "2025-01-31"
    assert row.get("cost") in ("1299.50", None)  # a decimal stays a string
    error, body = _failing("export_data", "no-such-kind")
    assert error.returncode == 2 and "no-such-kind" in body["error"]


def test_demo(monkeypatch: pytest.MonkeyPatch, settings: Any, tmp_path: Path) -> None:
    from assetgraph.demo.management.commands import demo

    settings.DATA_DIR = tmp_path
    result = DemoResult(created=True, people=3, locations=2, accounts=[("ana", "Helpdesk", "pw")])
    monkeypatch.setattr(demo, "load_demo", lambda **kwargs: result)
    data = _json("demo")
    assert data["created"] is True and data["people"] == 3
    assert data["logins"] == [{"username": "ana", "role": "Helpdesk", "password": "pw"}]
    assert (tmp_path / "demo-logins.txt").exists()


def test_backup_and_restore_check(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from assetgraph.events.management.commands import backup, restore

    archive = tmp_path / "a.tar.gz"
    archive.write_bytes(b"x" * 10)
    monkeypatch.setattr(backup, "create_backup", lambda output: archive)
    monkeypatch.setattr(backup, "prune_backups", lambda keep: [tmp_path / "old.tar.gz"])
    data = _json("backup", "--keep", "1")
    assert data == {"archive": str(archive), "bytes": 10, "removed": ["old.tar.gz"]}
    monkeypatch.setattr(restore, "read_verified", lambda a, s: {"files": ["db", "media"]})
    checked = _json("restore", str(archive), "--check")
    assert checked == {"archive": str(archive), "intact": True, "members": 2}
    error, body = _failing("restore", str(archive))
    assert error.returncode == 2 and "--yes" in body["error"]


def test_jobs_and_worker() -> None:
    job = enqueue("events.cleanup", {})
    listed = _json("jobs", "list")
    assert listed["queued"] >= 1 and listed["jobs"][0]["id"] == job.pk
    assert dt.datetime.fromisoformat(listed["jobs"][0]["created"].replace("Z", "+00:00"))
    cancelled = _json("jobs", "cancel", str(job.pk))
    assert cancelled["state"] == Job.objects.get(pk=job.pk).state
    assert _json("jobs", "schedules")["schedules"] is not None
    assert _json("jobs", "workers") == {"workers": []}
    queued = _json("jobs", "run", "events.cleanup")
    assert queued["task"] == "events.cleanup" and queued["state"] == "queued"
    drained = _json("worker", "--once", "--name", "cli-json")
    assert drained == {"worker": "cli-json", "drained": True}
    error, body = _failing("jobs", "show", "999999")
    assert body["error"] == "no job 999999" and error.returncode == 1


def test_inventory_accepts_json(make_asset: Callable[..., Asset]) -> None:
    data = _json("inventory", "--list")
    assert "_meta" in data


def test_requests(people: dict[str, Any]) -> None:
    entry = people["headset_entry"]
    person = people["ana"]
    made = _json(
        "requests",
        "submit",
        str(entry.pk),
        "--reason",
        "calls",
        "--for",
        person.employee_number,
    )
    assert made["number"] and made["quantity"] == 1 and made["state"]
    listed = _json("requests", "list")
    assert [r["number"] for r in listed] == [made["number"]]
    shown = _json("requests", "show", str(made["id"]))
    assert shown["number"] == made["number"] and isinstance(shown["steps"], list)


def test_uncapped_records_of_a_check_out_are_iso(
    make_asset: Callable[..., Asset], catalogue: dict[str, Any], system: Actor
) -> None:
    asset = make_asset()
    asset_services.check_out_asset(
        system, asset, to_person=catalogue["minh"], expected_return=dt.date(2027, 3, 1)
    )
    out = _json("custody", "checkin", asset.asset_tag)
    assert out["checked_in"] == [{"asset": asset.asset_tag, "state": "in_stock"}]


def test_directory_runs() -> None:
    from assetgraph.integrations.models import DirectorySyncRun

    assert _json("directory", "runs") == []
    fields = {f.name for f in DirectorySyncRun._meta.concrete_fields}
    assert {"started", "state", "trigger"} <= fields  # what the document reports
