"""The licences issue's "Done when", in a real browser, as the Compliance role: open the
dashboard, see the Microsoft 365 shortfall and its true-up cost, reclaim three idle Adobe seats
in one action, see the Oracle farm exposure with the path that causes it, export the position,
and view it as of last month. No console errors, no CSP violations."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.demo_snapshot import load_demo_once

pytestmark = pytest.mark.e2e
SCREENSHOT = "/tmp/e2e-licence-dashboard.png"  # noqa: S108 - for a human to look at


@pytest.fixture
def demo_licences(e2e_roles: None) -> None:
    """The demo company with its licence stories, written through the services."""

    load_demo_once(seed=42, people=40)


def test_compliance_walk(
    page: Any, sign_in: Any, make_login: Any, demo_licences: None, browser_problems: Any
) -> None:
    from assetgraph.licences.models import SaasUsage

    make_login("e2e-compliance", "Compliance")
    assert sign_in(page, "e2e-compliance").status == 302

    # The dashboard: the M365 shortfall with its true-up cost, charts drawn.
    page.goto("/licences/compliance/")
    expect(page.locator("main h1")).to_contain_text("Licence compliance")
    m365 = page.locator("#position tr[data-product='Microsoft 365 E3']")
    expect(m365).to_contain_text("Under-licensed")
    expect(m365.locator(".true-up")).to_have_text(re.compile(r"6480\.00 EUR"))
    expect(page.locator("#chart-status")).to_be_attached()
    page.screenshot(path=SCREENSHOT, full_page=True)

    # Reclaim three idle Adobe seats in one action.
    adobe_before = SaasUsage.objects.filter(product__name="Creative Cloud").count()
    adobe_row = page.locator("#position tr[data-product='Creative Cloud All Apps']")
    found = re.search(r"(\d+) candidate\(s\)", adobe_row.inner_text())
    assert found is not None
    candidates_before = int(found.group(1))
    form = page.locator("form", has_text="SaaS seat idle").first
    boxes = form.locator("input[name=ids][value^='usage:']")  # idle SaaS seats, not allocations
    for index in range(3):
        boxes.nth(index).check()
    form.get_by_role("button", name="Reclaim selected").click()
    expect(page.locator("main")).to_contain_text("Reclaimed 3 idle seat(s)")
    assert SaasUsage.objects.filter(product__name="Creative Cloud").count() == adobe_before - 3
    adobe = page.locator("#position tr[data-product='Creative Cloud All Apps']")
    expect(adobe).to_contain_text(f"{candidates_before - 3} candidate(s)")

    # The Oracle exposure and the path that causes it.
    expect(page.locator("[data-exposure]").first).to_contain_text(
        "ERP Oracle DB → runs on erp-ora-01 → hosted on Farm A → has member x8 hosts"
    )

    # Export the position.
    with page.expect_download() as download:
        page.locator("#export-csv").click()
    path = download.value.path()
    assert path is not None
    with open(path, encoding="utf-8") as exported:
        body = exported.read()
    assert "Microsoft 365 E3" in body and "true_up_cost" in body

    # The position as of last month.
    last_month = (dt.date.today() - dt.timedelta(days=30)).isoformat()
    page.fill("#as_of", last_month)
    page.locator("#as-of-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"as_of={last_month}"))
    expect(page.locator("main h1")).to_contain_text("as of")
    browser_problems.assert_none()
