"""Bulk state change in a real browser (issue 17): "All" selects the page (an HTMX swap that
ticks every checkbox), the toolbar's button submits the selection to the bulk form, and
applying it moves every asset along the lifecycle, one History entry each."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect


def test_select_all_then_change_state_of_every_asset(
    page: Any, make_login: Callable[..., Any], sign_in: Callable[..., Any]
) -> None:
    from assetgraph.assets import services
    from assetgraph.assets.models import Asset
    from assetgraph.audit.models import AuditEvent
    from assetgraph.core.actor import Actor
    from assetgraph.org import services as org

    actor = Actor.system("e2e")
    maker = org.create_company(actor, {"name": "Dell", "is_manufacturer": True})
    category = services.create_category(actor, {"name": "Monitors", "kind": "monitor"})
    model = services.create_model(
        actor, {"name": "U2723QE", "category": category, "manufacturer": maker}
    )
    assets = [services.create_asset(actor, {"model": model}) for _ in range(3)]
    make_login("buyer", "Procurement")
    sign_in(page, "buyer")

    page.goto("/assets/assets/")
    page.locator("#select-all").click()
    expect(page.locator('#object-table input[name="ids"]:checked')).to_have_count(3)
    with page.expect_navigation():
        page.locator("#bulk-transition").click()
    expect(page.locator("#bulk-selected li")).to_have_count(3)
    page.select_option("#id_transition", "reserve")
    with page.expect_navigation():
        page.locator("#bulk-apply").click()
    expect(page).to_have_url(re.compile(r"/assets/assets/"))
    expect(page.locator("body")).to_contain_text("Changed the state of 3 asset(s).")
    assert set(Asset.objects.values_list("substate", flat=True)) == {"reserved"}
    events = AuditEvent.objects.filter(action="reserve", source="ui")
    assert sorted(int(e.object_id) for e in events) == sorted(a.pk for a in assets)
