"""The audit campaign page's History tab (start, scans, close) and who may see it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from assetgraph.assets import services
from assetgraph.assets.models import Asset
from assetgraph.core.actor import Actor

pytestmark = pytest.mark.django_db


def test_campaign_history_tab_lists_its_events(
    make_asset: Callable[..., Asset],
    catalogue: dict[str, Any],
    system: Actor,
    browser: Callable[..., Client],
) -> None:
    asset = make_asset()
    campaign = services.start_audit_campaign(system, catalogue["room"], name="Room audit")
    services.scan_asset_tag(system, campaign, asset.asset_tag)
    services.close_audit_campaign(system, campaign)
    compliance = browser("Compliance")
    page = compliance.get(f"/assets/audits/{campaign.pk}/").content.decode()
    assert f'hx-get="/assets/audits/{campaign.pk}/history/"' in page
    tab = compliance.get(f"/assets/audits/{campaign.pk}/history/")
    assert tab.status_code == 200
    html = tab.content.decode()
    for action in ("create", "scan", "close"):
        assert f">{action}<" in html, action
    assert browser().get(f"/assets/audits/{campaign.pk}/history/").status_code == 404
    assert compliance.get("/assets/audits/999999/history/").status_code == 404
