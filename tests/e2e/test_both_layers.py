"""Issue 21 in a real browser: the storage-array impact carries its business flags and the
money at stake; retiring a Farm A hypervisor first shows what it breaks and asks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.demo_snapshot import load_demo_once

pytestmark = pytest.mark.e2e


@pytest.fixture
def demo_estate(e2e_roles: None) -> dict[str, Any]:
    from assetgraph.cmdb.models import CI

    load_demo_once(seed=42)
    return {
        "array": CI.objects.get(name="stor-aus1-01"),
        "hypervisor": CI.objects.current().get(name="hv-a01"),
    }


def test_flags_money_and_a_retirement_that_asks_first(
    page: Any,
    demo_estate: dict[str, Any],
    make_login: Callable[..., Any],
    sign_in: Callable[..., Any],
    browser_problems: Any,
) -> None:
    make_login("admin-e2e", "Admin")
    sign_in(page, "admin-e2e")
    page.goto(f"/impact/analyse/?ci={demo_estate['array'].pk}")
    flags = page.locator('#impact-business-flags tr[data-ci="stor-aus1-01"]')
    expect(flags).to_contain_text("Out of warranty")
    expect(flags).to_contain_text("No support contract")
    expect(page.locator('#impact-business-flags tr[data-ci="ERP Oracle DB"]')).to_contain_text(
        "Unlicensed software"
    )
    expect(page.locator('#impact-service-costs tr[data-ci="Finance"]')).to_contain_text("EUR")
    # each flag links to its evidence
    flags.locator('li[data-flag="out_of_warranty"] a').click()
    expect(page).to_have_url(f"/assets/assets/{demo_estate['array'].asset_id}/")

    hypervisor = demo_estate["hypervisor"]
    page.goto(f"/assets/assets/{hypervisor.asset_id}/transition/")
    preview = page.locator("#outage-preview")
    expect(preview.locator('#outage-redundancy tr[data-ci="Farm A"]')).to_contain_text(
        "down if one more member fails"
    )
    expect(page.locator("#outage-reasons")).to_contain_text("Farm A is left with no spare capacity")
    page.select_option("#id_transition", "decommission")
    page.select_option("#id_substate", "disposed")
    page.fill("#id_reason", "end of life")
    page.fill("#id_recipient", "Green Recycling")
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator(".invalid-feedback, .alert-danger").first).to_contain_text("confirm")
    page.check("#id_confirm_impact")
    page.fill("#id_reason", "end of life")
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("main")).to_contain_text("decommission done")
    browser_problems.assert_none()
