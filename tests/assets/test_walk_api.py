"""The ITAM issue's "Done when" walk through the REST API.

Create a model, receive 50 laptops from a CSV, issue a kit to 10 new hires in one call, check
one back in, fetch labels with QR codes, run a physical audit with one missing and one
unexpected asset and close it; every step must be in the affected objects' history.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from assetgraph.assets import services
from assetgraph.assets.models import Asset
from assetgraph.core.actor import Actor
from assetgraph.org import services as org
from tests.importjobs import post_import

pytestmark = pytest.mark.django_db


def walk_csv(model_name: str, count: int = 50, prefix: str = "LT") -> str:
    """A supplier's delivery note: 50 laptops received into the London HQ stock room."""
    lines = ["asset_tag,model,serial_number,location,supplier,purchase_date,cost,currency"]
    lines += [
        f"{prefix}-{n:03d},{model_name},SN-{prefix}-{n:03d},EMEA / London / HQ,CDW,"
        "2025-03-01,1450.00,EUR"
        for n in range(1, count + 1)
    ]
    return "\n".join(lines) + "\n"


def new_hires(system: Actor, site: Any, count: int = 10, prefix: str = "NH") -> list[Any]:
    return [
        org.create_person(
            system,
            {
                "employee_number": f"{prefix}{n:02d}",
                "first_name": f"Hire{n}",
                "last_name": "Starter",
                "location": site,
            },
        )
        for n in range(1, count + 1)
    ]


def history(client: Client, object_type: str, object_id: int) -> list[tuple[str, str]]:
    """(action, source) of an object's events, oldest first, through the audit API."""
    response = client.get(
        "/api/audit/events", {"object_type": object_type, "object_id": str(object_id)}
    )
    assert response.status_code == 200, response.content
    return [(e["action"], e["source"]) for e in reversed(response.json()["results"])]


def test_itam_walk_through_the_api(
    catalogue: dict[str, Any], api: Callable[..., Client], system: Actor
) -> None:
    procurement, helpdesk, compliance = api("Procurement"), api("Helpdesk"), api("Compliance")
    auditor = api("Compliance")

    # 1. A new model in the catalogue.
    created = procurement.post(
        "/api/assets/models/",
        {
            "name": "ThinkPad X1",
            "category_id": catalogue["laptops"].pk,
            "manufacturer_id": catalogue["dell"].pk,
            "default_warranty_months": 36,
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    model_id = created.json()["id"]

    # 2. Receive 50 laptops from a CSV: preview, then apply.
    data = walk_csv("ThinkPad X1").encode()
    preview = post_import(
        procurement,
        "/api/assets/import/assets?dry_run=true",
        {"file": SimpleUploadedFile("delivery.csv", data, content_type="text/csv")},
    )
    assert preview.status_code == 200 and preview.json()["counts"]["create"] == 50
    assert Asset.objects.count() == 0
    applied = post_import(
        procurement,
        "/api/assets/import/assets?dry_run=false",
        {"file": SimpleUploadedFile("delivery.csv", data, content_type="text/csv")},
    )
    assert applied.status_code == 200, applied.content
    assert applied.json()["applied"] and applied.json()["counts"]["create"] == 50
    laptops = list(Asset.objects.filter(model_id=model_id).order_by("asset_tag"))
    assert len(laptops) == 50 and all(a.state == "in_stock" for a in laptops)
    assert all(a.warranty_end is not None for a in laptops)

    # 3. Issue a kit to 10 new hires in one call.
    kit = procurement.post(
        "/api/assets/kits/",
        {"name": "New hire", "items": [{"model_id": model_id, "quantity": 1}]},
        content_type="application/json",
    )
    assert kit.status_code == 201, kit.content
    kit_id = kit.json()["id"]
    hires = new_hires(system, catalogue["london"])
    issued = helpdesk.post(
        f"/api/assets/kits/{kit_id}/issue",
        {"people": [p.pk for p in hires]},
        content_type="application/json",
    )
    assert issued.status_code == 200, issued.content
    records = issued.json()
    assert len(records) == 10
    holders = {r["person"]["id"] for r in records}
    assert holders == {p.pk for p in hires}
    in_use = Asset.objects.filter(state="in_use", model_id=model_id)
    assert in_use.count() == 10

    # 4. One comes back.
    returned = in_use.order_by("asset_tag").first()
    assert returned is not None
    checked_in = helpdesk.post(
        f"/api/assets/assets/{returned.pk}/checkin",
        {"condition_notes": "fine"},
        content_type="application/json",
    )
    assert checked_in.status_code == 200, checked_in.content
    assert checked_in.json()["state"] == "in_stock"

    # 5. Labels with QR codes for a selection.
    selection = [a.pk for a in laptops[:5]]
    labels = procurement.get("/api/assets/labels", {"ids": ",".join(map(str, selection))})
    assert labels.status_code == 200, labels.content
    assert [label["id"] for label in labels.json()] == selection
    for label in labels.json():
        assert label["qr_svg"].startswith("data:image/svg+xml")
        assert f"/assets/assets/{label['id']}/?tag={label['asset_tag']}" in label["url"]
    assert procurement.get("/api/assets/labels", {"ids": ""}).status_code == 422

    # 6. Physical audit of the HQ room: one laptop missing, one stray monitor found.
    stray = services.create_asset(
        system,
        {"model": catalogue["u27"], "asset_tag": "MON-STRAY", "location": catalogue["berlin"]},
    )
    started = compliance.post(
        "/api/assets/audits/",
        {"location_id": catalogue["room"].pk, "name": "HQ audit"},
        content_type="application/json",
    )
    assert started.status_code == 201, started.content
    campaign_id = started.json()["id"]
    missing = laptops[-1]
    for asset in laptops[:-1]:
        scanned = auditor.post(
            f"/api/assets/audits/{campaign_id}/scan",
            {"tag": asset.asset_tag},
            content_type="application/json",
        )
        assert scanned.status_code == 200 and scanned.json()["result"] == "found"
    unexpected = auditor.post(
        f"/api/assets/audits/{campaign_id}/scan",
        {"tag": stray.asset_tag},
        content_type="application/json",
    )
    assert unexpected.json()["result"] == "unexpected"
    closed = compliance.post(f"/api/assets/audits/{campaign_id}/close")
    assert closed.status_code == 200, closed.content
    counts = closed.json()["counts"]
    assert counts["missing"] == 1 and counts["unexpected"] == 1 and counts["found"] == 49
    assert closed.json()["campaign"]["status"] == "closed"
    missing_items = compliance.get(
        f"/api/assets/audits/{campaign_id}/items", {"result": "missing"}
    ).json()
    assert [i["tag"] for i in missing_items] == [missing.asset_tag]

    # Every step is in the History of the objects it touched (the audit API here).
    reader = compliance
    assert history(reader, "assets.assetmodel", model_id) == [("create", "api")]
    assert history(reader, "assets.kit", kit_id)[0] == ("create", "api")
    returned_history = history(reader, "assets.asset", returned.pk)
    assert returned_history[0] == ("create", "import")
    assert ("checkout", "api") in returned_history and ("checkin", "api") in returned_history
    issued_asset = Asset.objects.filter(state="in_use").exclude(pk=returned.pk).first()
    assert issued_asset is not None
    assert ("checkout", "api") in history(reader, "assets.asset", issued_asset.pk)
    for action, count in [("create", 1), ("scan", 50), ("close", 1)]:
        found = reader.get(
            "/api/audit/events",
            {"object_type": "assets.auditcampaign", "object_id": campaign_id, "action": action},
        ).json()["results"]
        assert len(found) == count, action
    missing.refresh_from_db()
    assert missing.last_audit_date is None
    assert Asset.objects.get(pk=laptops[0].pk).last_audit_date is not None
