"""Demo stories (a) to (c) in a real browser: a hypervisor's failure only degrades (the impact
form); from the storage array's CI page to the impact page (finance down, Minh listed, the
array flagged); and Minh's complaint traced to SSO."""

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
    farm = CI.objects.get(name="Farm A")
    hypervisor = (
        CI.objects.current()
        .filter(ci_class__name="Hypervisor", outgoing__target=farm)
        .order_by("name")
        .first()
    )
    return {"array": CI.objects.get(name="stor-aus1-01"), "hypervisor": hypervisor}


def test_story_a_then_b_from_the_impact_form_and_the_ci_page(
    page: Any,
    demo_estate: dict[str, Any],
    make_login: Callable[..., Any],
    sign_in: Callable[..., Any],
    browser_problems: Any,
) -> None:
    make_login("noc-e2e", "IT Operations (NOC)")
    sign_in(page, "noc-e2e")
    # (a) a hypervisor fails: its farm degrades, nothing goes down
    page.goto("/impact/analyse/")
    page.fill("#impact-ci", demo_estate["hypervisor"].name)
    page.locator("#impact-submit").click()
    expect(page.locator("#count-down")).to_have_text("0 down")
    expect(page.locator("#count-degraded")).not_to_have_text("0 degraded")
    expect(page.locator("#impact-classes tr", has_text="Cluster/Farm")).to_be_visible()
    expect(page.locator('#impact-services tr[data-state="down"]')).to_have_count(0)
    # (b) the storage array fails, from its CI page
    page.goto(f"/cmdb/cis/{demo_estate['array'].pk}/")
    page.get_by_role("link", name="Analyse impact").click()
    expect(page.locator("main h1")).to_have_text("Impact analysis")
    services = page.locator("#impact-services")
    expect(services.locator('tr[data-ci="Finance"][data-state="down"]')).to_be_visible()
    apps = page.locator("#impact-applications")
    finance_app = apps.locator('tr[data-ci="Finance application"]')
    expect(finance_app).to_contain_text("stor-aus1-01")
    # Minh owns Finance and lost it on his laptop; no laptop is "down" (issue 10, item 3)
    expect(page.locator('#impact-people tr[data-person="Minh Nguyen"]')).to_contain_text(
        "uses Finance (service lost)"
    )
    expect(page.locator('#impact-users-services tr[data-ci="Finance"]')).to_contain_text("down")
    expect(page.locator("#count-people")).not_to_have_text("0 people")
    expect(page.locator('#impact-flags tr[data-ci="stor-aus1-01"]')).to_contain_text(
        "out of warranty"
    )
    page.locator("#impact-next").click()
    expect(page.locator("#impact-details tbody tr").first).to_be_visible()
    browser_problems.assert_none()


def test_story_c_minhs_complaint_traced_to_sso(
    page: Any,
    demo_estate: dict[str, Any],
    make_login: Callable[..., Any],
    sign_in: Callable[..., Any],
    browser_problems: Any,
) -> None:
    make_login("helpdesk-e2e", "Helpdesk")
    sign_in(page, "helpdesk-e2e")
    page.goto("/impact/root-cause/")
    page.fill("#rc-person", "Minh Nguyen")
    page.fill("#rc-service", "Finance application")
    page.locator("#rc-person-submit").click()
    expect(page.locator("#rc-person-path")).to_contain_text("Finance application")
    first = page.locator("#rc-candidates .rc-candidate").first
    expect(first).to_have_attribute("data-ci", "SSO")
    expect(first).to_contain_text("changed")
    first.locator("summary", has_text="Recent changes").click()
    expect(first.locator(".rc-own-change")).to_contain_text("update")
    browser_problems.assert_none()
