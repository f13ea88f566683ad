"""The ITAM issue's "Done when" walk through the CLI (``assetgraph`` management commands).

Create a model (``records``), receive 50 laptops (``import assets``), issue a kit to 10 new
hires in one command (``custody issue-kit``), check one in (``custody checkin``), write the
label sheet (``labels``), run a physical audit with one missing and one unexpected asset
(``audit-campaign``), and find every step in the history with source ``cli``.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from assetgraph.assets import services
from assetgraph.assets.models import Asset, AssetModel, AuditCampaign
from assetgraph.audit.models import AuditEvent
from assetgraph.core.actor import Actor

from ..conftest import events_for
from .test_walk_api import new_hires, walk_csv

pytestmark = pytest.mark.django_db


def cli(*args: Any) -> str:
    """Run one ``assetgraph`` command and return what it printed."""
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_itam_walk_through_the_cli(
    catalogue: dict[str, Any], system: Actor, tmp_path: Path
) -> None:
    # 1. A new model in the catalogue.
    cli(
        "records",
        "asset-models",
        "create",
        "--set",
        "name=ThinkPad X1",
        "--set",
        f"category={catalogue['laptops'].pk}",
        "--set",
        f"manufacturer={catalogue['dell'].pk}",
        "--set",
        "default_warranty_months=36",
    )
    model = AssetModel.objects.get(name="ThinkPad X1")
    assert [(e.action, e.source) for e in events_for(model)] == [("create", "cli")]

    # 2. Receive 50 laptops: a dry run first writes nothing.
    delivery = tmp_path / "delivery.csv"
    delivery.write_text(walk_csv("ThinkPad X1"))
    preview = cli("import_data", "assets", str(delivery), "--dry-run")
    assert "50" in preview and Asset.objects.count() == 0
    cli("import_data", "assets", str(delivery))
    laptops = list(Asset.objects.filter(model=model).order_by("asset_tag"))
    assert len(laptops) == 50
    assert {(e.action, e.source) for e in events_for(laptops[0])} == {("create", "cli")}

    # 3. One command issues the kit to 10 new hires (all or nothing).
    kit = services.create_kit(
        system, {"name": "New hire", "items": [{"model_id": model.pk, "quantity": 1}]}
    )
    hires = new_hires(system, catalogue["london"])
    issued = cli("custody", "issue-kit", "New hire", *[p.employee_number for p in hires])
    assert "issued New hire to 10 people (10 assets)" in issued
    in_use = Asset.objects.filter(state="in_use", model=model)
    assert in_use.count() == 10
    assert {a.custodian_id for a in in_use} == {p.pk for p in hires}
    # Not enough stock for 41 more people: nothing at all is issued.
    crowd = new_hires(system, catalogue["london"], 41, prefix="CR")
    with pytest.raises(CommandError):
        cli("custody", "issue-kit", str(kit.pk), *[f"#{p.pk}" for p in crowd])
    assert Asset.objects.filter(state="in_use").count() == 10

    # 4. One laptop comes back.
    returned = in_use.order_by("asset_tag").first()
    assert returned is not None
    assert f"checked in {returned.asset_tag} (in_stock)" in cli(
        "custody", "checkin", returned.asset_tag, "--notes", "fine"
    )
    assert [e.action for e in events_for(returned)] == ["create", "checkout", "checkin"]
    with pytest.raises(CommandError, match="not found"):
        cli("custody", "checkin", "NO-SUCH-TAG")

    # 5. The label sheet with QR codes for a selection.
    sheet = tmp_path / "labels.html"
    selection = [a.asset_tag for a in laptops[:5]]
    assert "wrote 5 label(s)" in cli("labels", *selection, "--output", str(sheet))
    html = sheet.read_text()
    assert len(re.findall(r'src="data:image/svg\+xml', html)) == 5
    assert all(tag in html for tag in selection)

    # 6. Physical audit of the HQ room: one laptop missing, a stray monitor found.
    stray = services.create_asset(
        system,
        {"model": catalogue["u27"], "asset_tag": "MON-STRAY", "location": catalogue["berlin"]},
    )
    started = cli("audit_campaign", "start", "EMEA / London / HQ", "--name", "HQ audit")
    match = re.search(r"started campaign (\d+)", started)
    assert match and "(50 expected)" in started
    campaign_id = match.group(1)
    missing = laptops[-1]
    scanned = cli(
        "audit_campaign", "scan", campaign_id, *[a.asset_tag for a in laptops[:-1]], stray.asset_tag
    )
    assert scanned.count("found: ") == 49 and "unexpected: MON-STRAY" in scanned
    closed = cli("audit_campaign", "close", campaign_id)
    assert "missing: 1" in closed and "unexpected: 1" in closed
    campaign = AuditCampaign.objects.get(pk=int(campaign_id))
    assert campaign.status == "closed"
    shown = cli("audit_campaign", "show", campaign_id)
    assert re.search(rf"{missing.asset_tag}\s+missing", shown)

    # The history of each affected object records its steps, all from the CLI.
    campaign_events = [(e.action, e.source) for e in events_for(campaign)]
    assert campaign_events[0] == ("create", "cli") and campaign_events[-1] == ("close", "cli")
    assert campaign_events.count(("scan", "cli")) == 50
    issued_asset = in_use.exclude(pk=returned.pk).first()
    assert issued_asset is not None
    assert [e.action for e in events_for(issued_asset)] == ["create", "checkout", "audit"]
    assert [e.action for e in events_for(missing)][-1] == "audit"
    missing_event = events_for(missing)[-1].after
    assert missing_event is not None and missing_event["audit_result"] == "missing"
    stray_event = events_for(stray)[-1].after
    assert stray_event is not None and stray_event["audit_result"] == "unexpected"
    assert AuditEvent.objects.filter(source="cli", object_type="assets.asset").exists()
    assert not AuditEvent.objects.filter(object_type="assets.asset", source="api").exists()


def test_custody_cli_checkout_and_permissions(
    make_asset: Any, catalogue: dict[str, Any], make_user: Any
) -> None:
    asset = make_asset(serial_number="SN-CLI")
    reader = make_user("Read-only")
    with pytest.raises(CommandError) as refused:
        cli("custody", "checkout", asset.asset_tag, "--to", "E1", "--user", reader.username)
    assert refused.value.returncode == 1
    with pytest.raises(CommandError, match="exactly one"):
        cli("custody", "checkout", asset.asset_tag)
    out = cli("custody", "checkout", asset.asset_tag, "--to", "minh@example.com")
    assert f"checked out {asset.asset_tag} to Minh Nguyen" in out
    asset.refresh_from_db()
    assert asset.custodian == catalogue["minh"] and asset.state == "in_use"
    assert [(e.action, e.source) for e in events_for(asset)][-1] == ("checkout", "cli")
    with pytest.raises(CommandError, match="no active user"):
        cli("custody", "checkin", asset.asset_tag, "--user", "ghost")
