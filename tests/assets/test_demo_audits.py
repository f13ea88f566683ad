"""The demo company's audit data: dates on most assets and one campaign in progress."""

from __future__ import annotations

import pytest

from assetgraph.assets.models import Asset, AuditCampaign
from assetgraph.demo.generator import load_demo

pytestmark = pytest.mark.django_db


def test_demo_has_a_campaign_in_progress_and_audit_dates() -> None:
    load_demo(seed=7, people=40)
    campaign = AuditCampaign.objects.get()
    assert campaign.status == "open"
    results = set(campaign.items.values_list("result", flat=True))
    assert {"found", "pending", "unexpected", "unknown"} <= results
    assert Asset.objects.filter(next_audit_due__isnull=False).exists()
