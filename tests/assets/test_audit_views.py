"""Physical audits in the UI: start, scan through HTMX, relocate, close, due lists, CSP."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from assetgraph.assets.models import Asset, AuditCampaign

pytestmark = pytest.mark.django_db


def test_audit_flow_in_the_ui(
    browser: Callable[..., Client], catalogue: dict[str, Any], make_asset: Callable[..., Asset]
) -> None:
    here = make_asset(location=catalogue["room"])
    gone = make_asset(model="u27", location=catalogue["room"])
    stray = make_asset(model="u27", location=catalogue["berlin"])
    compliance = browser("Compliance")
    assert compliance.post("/assets/audits/start/", {"location": ""}).status_code == 422
    started = compliance.post(
        "/assets/audits/start/", {"location": catalogue["london"].pk, "name": "HQ sweep"}
    )
    assert started.status_code == 302
    campaign = AuditCampaign.objects.get(name="HQ sweep")
    page = compliance.get(started["Location"])
    html = page.content.decode()
    assert 'id="scan-form"' in html and 'hx-post="/assets/audits/' in html
    assert "assets/audit-scan.js" in html and 'id="scan-camera" hidden' in html
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag
    assert " style=" not in html
    helpdesk = browser("Helpdesk")
    url = f"/assets/audits/{campaign.pk}/scan/"
    found = helpdesk.post(url, {"tag": here.asset_tag}, HTTP_HX_REQUEST="true")
    assert found.status_code == 200 and b"<html" not in found.content
    assert f"{here.asset_tag} found".encode() in found.content
    unexpected = helpdesk.post(url, {"tag": stray.asset_tag}, HTTP_HX_REQUEST="true")
    assert b"registered at EMEA / Berlin" in unexpected.content
    assert b"Relocate here" in unexpected.content
    unknown = helpdesk.post(url, {"tag": "NOT-A-TAG"}, HTTP_HX_REQUEST="true")
    assert b"not a known asset tag" in unknown.content
    blank = helpdesk.post(url, {"tag": " "}, HTTP_HX_REQUEST="true")
    assert blank.status_code == 422 and b"tag: required" in blank.content
    item = campaign.items.get(asset=stray)
    moved = helpdesk.post(
        f"/assets/audits/{campaign.pk}/items/{item.pk}/relocate/", HTTP_HX_REQUEST="true"
    )
    assert moved.status_code == 200 and b"relocated here" in moved.content
    assert Asset.objects.get(pk=stray.pk).location_id == catalogue["london"].pk
    assert helpdesk.post(f"/assets/audits/{campaign.pk}/close/").status_code == 403
    assert browser("Read-only").post(url, {"tag": here.asset_tag}).status_code == 403
    closed = compliance.post(f"/assets/audits/{campaign.pk}/close/")
    assert closed.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == "closed"
    assert campaign.items.get(asset=gone).result == "missing"
    listing = compliance.get("/assets/audits/").content.decode()
    assert "HQ sweep" in listing
    detail = compliance.get(f"/assets/assets/{here.pk}/").content.decode()
    assert 'id="audits-tab"' in detail and "HQ sweep" in detail
    due = compliance.get("/assets/audits/due/", {"days": "30"})
    assert due.status_code == 200 and gone.asset_tag.encode() in due.content
    assert browser().get("/assets/audits/").status_code == 403
    assert browser().get(f"/assets/audits/{campaign.pk}/").status_code == 404
    alerts = compliance.get("/assets/alerts/").content.decode()
    assert "Audits due within 30 days" in alerts
