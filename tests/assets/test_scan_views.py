"""The storeroom's scan page: a scanned tag (or a label's URL) finds one visible asset and
offers its next custody action; a check-in started there comes back to it for the next scan."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from assetgraph.assets import services
from assetgraph.assets.models import Asset
from assetgraph.assets.scan_views import tag_from_scan
from assetgraph.audit.models import AuditEvent

pytestmark = pytest.mark.django_db
SCAN = "/assets/assets/scan/"


def test_a_label_url_and_a_barcode_both_carry_the_tag() -> None:
    assert tag_from_scan(" AG-000012 ") == "AG-000012"
    assert tag_from_scan("https://x.example/assets/assets/12/?tag=AG-000012") == "AG-000012"
    assert (
        tag_from_scan("https://x.example/assets/assets/12/")
        == "https://x.example/assets/assets/12/"
    )


def test_scan_finds_the_asset_then_check_in_returns_to_the_scan_page(
    browser: Callable[..., Client],
    catalogue: dict[str, Any],
    make_asset: Callable[..., Asset],
    system: Any,
) -> None:
    asset = make_asset(asset_tag="LAP-7")
    services.check_out_asset(system, asset, to_person=catalogue["minh"])
    desk = browser("Helpdesk")
    empty = desk.get(SCAN)
    assert empty.status_code == 200 and b'id="asset-scan-tag"' in empty.content
    found = desk.get(SCAN, {"tag": f"https://labels.example/assets/assets/{asset.pk}/?tag=lap-7"})
    html = found.content.decode()
    assert found.status_code == 200 and "Minh Nguyen" in html
    checkin = f"/assets/assets/{asset.pk}/checkin/?from=scan"
    assert f'href="{checkin}"' in html and 'id="scan-checkout"' not in html
    form = desk.get(checkin)
    assert f'href="{SCAN}"' in form.content.decode()  # Cancel goes back to scanning
    done = desk.post(checkin, {"condition_notes": "scuffed lid"})
    assert done.status_code == 302 and done["Location"] == SCAN
    asset.refresh_from_db()
    assert asset.state == "in_stock" and asset.custodian is None
    assert AuditEvent.objects.filter(object_id=asset.pk, action="checkin").exists()
    again = desk.get(SCAN, {"tag": "LAP-7"}).content.decode()
    assert f'href="/assets/assets/{asset.pk}/checkout/?from=scan"' in again


def test_unknown_hidden_and_oversized_tags_are_refused_by_name(
    browser: Callable[..., Client],
    catalogue: dict[str, Any],
    make_asset: Callable[..., Asset],
    make_user: Callable[..., Any],
) -> None:
    make_asset(asset_tag="IN-1")
    hidden = make_asset(asset_tag="OUT-1")
    desk = browser("Helpdesk")
    unknown = desk.get(SCAN, {"tag": "NOPE-1"})
    assert unknown.status_code == 404 and b"Asset tag: no asset you may see" in unknown.content
    too_long = desk.get(SCAN, {"tag": "X" * 201})
    assert too_long.status_code == 422 and b"Asset tag: at most 200 characters" in too_long.content
    # Refused before the page by the shared input check (PostgreSQL cannot even compare a NUL).
    for hostile in ("IN-\x001", "IN-\x071"):
        refused_text = desk.get(SCAN, {"tag": hostile})
        assert refused_text.status_code == 422 and b"tag: contains" in refused_text.content
    narrow = Client()
    narrow.force_login(
        make_user(permissions=[(["assets.asset"], ["view"], {"asset_tag__startswith": "IN-"})])
    )
    assert narrow.get(SCAN, {"tag": "IN-1"}).status_code == 200
    refused = narrow.get(SCAN, {"tag": hidden.asset_tag})
    assert refused.status_code == 404 and b"OUT-1" in refused.content  # echoes only the input
    assert b"Check in" not in narrow.get(SCAN, {"tag": "IN-1"}).content
    assert browser("Self-service").get(SCAN).status_code == 403
