"""Asset import (all surfaces), exports, the alerts CLI and the UI pages."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from openpyxl import Workbook

from assetgraph.assets import services
from assetgraph.assets.importers import AssetImporter
from assetgraph.assets.models import Asset, CustodyRecord
from assetgraph.audit.models import AuditEvent
from assetgraph.core.actor import Actor
from tests.importjobs import post_import

pytestmark = pytest.mark.django_db

CSV = (
    "asset_tag,serial_number,model,state,location,supplier,purchase_date,cost,currency,attr.ram_gb\n"
    """,SN-1,Latitude 7440,in stock,EMEA / London / HQ,CDW,2025-01-31,1299.00,EUR,16
,SN-2,L7440,on order,,CDW,2025-01-31,1299.00,EUR,32
TAG-9,SN-3,U2723QE,,EMEA / Berlin,,,,,
"""
)


def _run(text: str, dry_run: bool, name: str = "a.csv") -> Any:
    return AssetImporter(Actor.system("test")).run(io.BytesIO(text.encode()), name, dry_run=dry_run)


def test_dry_run_plans_without_writing_then_apply_generates_tags_and_audits(
    catalogue: dict[str, Any],
) -> None:
    events = AuditEvent.objects.count()
    report = _run(CSV, dry_run=True)
    assert report.ok, report.as_dict()
    assert report.counts() == {"create": 3, "update": 0, "unchanged": 0, "error": 0}
    assert Asset.objects.count() == 0 and AuditEvent.objects.count() == events
    applied = _run(CSV, dry_run=False)
    assert applied.applied
    first = Asset.objects.get(serial_number="SN-1")
    assert first.asset_tag == "AG-000001" and first.attributes == {"ram_gb": 16}
    assert first.warranty_end is not None and first.manufacturer == catalogue["dell"]
    assert Asset.objects.get(serial_number="SN-2").state == "on_order"
    assert Asset.objects.get(asset_tag="TAG-9").location == catalogue["berlin"]
    assert AuditEvent.objects.filter(job_id=applied.job_id, action="create").count() == 3
    # Re-import: rows without a tag match by serial + manufacturer.
    again = _run(CSV.replace("1299.00,EUR,16", "1299.00,EUR,64"), dry_run=False)
    assert again.counts() == {"create": 0, "update": 1, "unchanged": 2, "error": 0}
    assert Asset.objects.get(serial_number="SN-1").attributes == {"ram_gb": 64}


def test_one_bad_row_writes_nothing_and_names_row_and_column(catalogue: dict[str, Any]) -> None:
    bad = CSV + ",SN-1,Latitude 7440,,,,31/12/2024,abc,EUR,lots\n,SN-9,Nope,,,,,,,\n"
    report = _run(bad, dry_run=False)
    assert not report.ok and not report.applied
    errors = {r.number: r.errors for r in report.rows if r.errors}
    assert errors[5] == ["purchase_date: '31/12/2024' is not a date (use YYYY-MM-DD)"]
    assert errors[6] == ["model: model 'Nope' not found"]
    assert Asset.objects.count() == 0
    dup = _run(CSV + "TAG-10,SN-3,U2723QE,,,,,,,\n", dry_run=True)
    assert {r.number: r.errors for r in dup.rows if r.errors} == {
        5: ["serial_number: 'SN-3' already appears on row 4"]
    }
    state = _run("asset_tag,model,state\nX1,U2723QE,in use\n", dry_run=True)
    assert "state" in state.rows[0].errors[0]


def test_import_through_api_ui_and_cli_and_xlsx(
    catalogue: dict[str, Any],
    api: Callable[..., Client],
    browser: Callable[..., Client],
    tmp_path: Any,
) -> None:
    upload = SimpleUploadedFile("a.csv", CSV.encode(), content_type="text/csv")
    response = post_import(
        api("Procurement"), "/api/assets/import/assets?dry_run=false", {"file": upload}
    )
    assert response.status_code == 200, response.content
    assert response.json()["counts"]["create"] == 3
    assert (
        api("Helpdesk")
        .post(
            "/api/assets/import/assets",
            {"file": SimpleUploadedFile("a.csv", CSV.encode())},
        )
        .status_code
        == 403
    )
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["asset_tag", "model", "serial_number"])
    sheet.append(["XL-1", "U2723QE", "XL-SN"])
    path = tmp_path / "assets.xlsx"
    workbook.save(path)
    out = io.StringIO()
    call_command("import_data", "assets", str(path), stdout=out)
    assert Asset.objects.get(asset_tag="XL-1").serial_number == "XL-SN"
    assert (
        AuditEvent.objects.filter(
            object_id=str(Asset.objects.get(asset_tag="XL-1").pk), object_type="assets.asset"
        )
        .first()
        .source
        == "cli"
    )  # type: ignore[union-attr]
    bad = tmp_path / "bad.csv"
    bad.write_text("asset_tag,model\nB1,Nope\n")
    with pytest.raises(CommandError):
        call_command("import_data", "assets", str(bad), stdout=io.StringIO(), stderr=io.StringIO())
    page = browser("Procurement").get("/assets/import/assets/")
    assert page.status_code == 200


def test_export_with_filters(make_asset: Callable[..., Asset], api: Callable[..., Client]) -> None:
    make_asset(serial_number="E1")
    make_asset(model="u27", serial_number="E2")
    body = api("Helpdesk").get("/api/assets/assets/export", {"q": "E2"}).content.decode()
    lines = body.strip().splitlines()
    assert lines[0].lstrip("\ufeff").startswith("asset_tag,serial_number,model")
    assert len(lines) == 2 and "E2" in lines[1]
    assert "1299" not in body  # costs are not exported by the generic export


def test_alerts_cli(make_asset: Callable[..., Asset]) -> None:
    import datetime as dt

    make_asset(warranty_end=dt.date.today() + dt.timedelta(days=3))
    out = io.StringIO()
    call_command("alerts", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert len(data["warranty_expiring"]) == 1
    text = io.StringIO()
    call_command("alerts", stdout=text)
    assert "warranty expiring (1)" in text.getvalue()


def test_ui_detail_checkout_checkin_and_history(
    make_asset: Callable[..., Asset], browser: Callable[..., Client], catalogue: dict[str, Any]
) -> None:
    asset = make_asset()
    client = browser("Helpdesk")
    page = client.get(f"/assets/assets/{asset.pk}/")
    assert (
        page.status_code == 200 and b"Check out" in page.content and b"1,299.00" not in page.content
    )
    assert b"1,299.00" in browser("Finance").get(f"/assets/assets/{asset.pk}/").content
    form = client.get(f"/assets/assets/{asset.pk}/checkout/")
    assert form.status_code == 200
    both = client.post(
        f"/assets/assets/{asset.pk}/checkout/",
        {"to_person": catalogue["ana"].pk, "to_location": catalogue["room"].pk},
    )
    assert both.status_code == 422
    done = client.post(f"/assets/assets/{asset.pk}/checkout/", {"to_person": catalogue["ana"].pk})
    assert done.status_code == 302
    record = CustodyRecord.objects.get(asset=asset)
    assert record.acceptance == "pending"
    accept = Client().get(f"/assets/accept/{record.acceptance_token}/")
    assert accept.status_code == 200 and b"Keep it safe." in accept.content
    Client().post(f"/assets/accept/{record.acceptance_token}/", {"answer": "accept"})
    record.refresh_from_db()
    assert record.acceptance == "accepted"
    again = client.post(f"/assets/assets/{asset.pk}/checkout/", {"to_person": catalogue["ben"].pk})
    assert again.status_code == 409
    custody = client.get(f"/assets/people/{catalogue['ana'].pk}/custody/")
    assert asset.asset_tag.encode() in custody.content
    back = client.post(f"/assets/people/{catalogue['ana'].pk}/custody/", {"ids": [asset.pk]})
    assert back.status_code == 302
    assert Asset.objects.get(pk=asset.pk).state == "in_stock"
    history = client.get(f"/assets/assets/{asset.pk}/history/")
    assert b"checkout" in history.content and b"checkin" in history.content
    assert AuditEvent.objects.filter(object_id=str(asset.pk), action="checkin").get().source == "ui"
    assert client.get(f"/assets/assets/{asset.pk}/transition/").status_code == 403


def test_ui_transition_list_filters_forms_kits_labels_alerts(
    make_asset: Callable[..., Asset],
    browser: Callable[..., Client],
    catalogue: dict[str, Any],
    django_assert_max_num_queries: Any,
) -> None:
    asset = make_asset(attributes={"ram_gb": 32})
    for _ in range(10):
        make_asset(model="u27")
    client = browser("Procurement")
    refused = client.post(f"/assets/assets/{asset.pk}/transition/", {"transition": "retire"})
    assert refused.status_code == 422 and b"reason" in refused.content
    done = client.post(
        f"/assets/assets/{asset.pk}/transition/",
        {"transition": "send_to_repair", "reason": "keyboard"},
    )
    assert done.status_code == 302
    client.get("/assets/assets/")
    with django_assert_max_num_queries(15):
        listing = client.get("/assets/assets/", {"attr.ram_gb__gte": "16"})
    assert listing.status_code == 200 and asset.asset_tag.encode() in listing.content
    assert b"AG-000002" not in listing.content
    assert client.get("/assets/assets/", {"state": "in_repair"}).status_code == 200
    created = client.post(
        "/assets/assets/add/",
        {"model": catalogue["u27"].pk, "asset_tag": "", "attributes": "{}", "currency": ""},
    )
    assert created.status_code == 302, created.content
    model_page = client.post(
        "/assets/models/add/",
        {
            "name": "XPS 13",
            "category": catalogue["laptops"].pk,
            "manufacturer": catalogue["dell"].pk,
            "default_warranty_months": 12,
            "eol_months": 36,
            "specs": "{}",
        },
    )
    assert model_page.status_code == 302, model_page.content
    kit = services.create_kit(
        Actor.system(),
        {"name": "Desk", "items": [{"model_id": catalogue["u27"].pk, "quantity": 2}]},
    )
    helpdesk = browser("Helpdesk")
    assert helpdesk.get(f"/assets/kits/{kit.pk}/").status_code == 200
    issued = helpdesk.post(
        f"/assets/kits/{kit.pk}/issue/", {"people": [catalogue["ana"].pk, catalogue["ben"].pk]}
    )
    assert issued.status_code == 302, issued.content
    assert Asset.objects.filter(state="in_use").count() == 4
    labels = helpdesk.get("/assets/labels/", {"ids": f"{asset.pk},999999"})
    assert labels.status_code == 200
    assert len(re.findall(rb'src="data:image/svg\+xml', labels.content)) == 1
    assert b"<style" not in labels.content and b"<script" not in labels.content
    assert helpdesk.get("/assets/alerts/").status_code == 200
    assert b"Assets" in helpdesk.get("/").content
