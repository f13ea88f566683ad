"""The finance issue's "Done when", in a real browser, on the demo company.

Procurement owns purchase orders (the roles say so), so a Procurement user receives the
demo's order of 50 laptops in one submit; then a Finance user closes a month, downloads its
journal, reads net book value by cost centre in the register, opens the Finance business
service's monthly cost with its breakdown, and reads the replacement forecast for the next
three years (12 quarters) with its chart. Every page must load without console errors or CSP
violations.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.demo_snapshot import load_demo_once

pytestmark = pytest.mark.e2e


@pytest.fixture
def demo_books(e2e_roles: None) -> dict[str, Any]:
    from assetgraph.cmdb.models import CI
    from assetgraph.finance.models import PurchaseOrder

    load_demo_once(seed=42)
    order = PurchaseOrder.objects.get(number="PO-FIN-0001")
    return {"order": order, "finance": CI.objects.current().get(name="Finance")}


def test_receive_close_export_register_service_cost_and_forecast(
    page: Any,
    demo_books: dict[str, Any],
    make_login: Callable[..., Any],
    sign_in: Callable[..., Any],
    browser_problems: Any,
) -> None:
    from assetgraph.assets.models import Asset
    from assetgraph.finance.models import ClosedPeriod

    order = demo_books["order"]
    before = Asset.objects.filter(order_number=order.number).count()
    make_login("buyer-e2e", "Procurement")
    make_login("finance-e2e", "Finance")

    sign_in(page, "buyer-e2e")
    page.goto(f"/finance/purchase-orders/{order.pk}/receive/")
    line = page.locator("#receive-form input[type=number]").first
    expect(line).to_have_value("50")
    page.select_option("#location", index=1)
    page.get_by_role("button", name="Receive").click(no_wait_after=True)
    expect(page.locator("main")).to_contain_text(
        f"Received against {order.number}", timeout=120_000
    )
    assert Asset.objects.filter(order_number=order.number).count() == before + 50
    order.refresh_from_db()
    assert order.status == "received"

    page.context.clear_cookies()
    sign_in(page, "finance-e2e")
    page.goto("/finance/periods/")
    closed_before = ClosedPeriod.objects.count()
    suggested = page.locator("#period").input_value()
    if ClosedPeriod.objects.filter(period=f"{suggested}-01", book="book").exists():
        # The demo closed last month already: close the month after it (this month).
        from assetgraph.finance.depreciation import calendar as cal

        last = ClosedPeriod.objects.filter(book="book").order_by("-period").first()
        assert last is not None
        nxt = cal.month_start(cal.month_ordinal(last.period) + 1)
        page.fill("#period", f"{nxt:%Y-%m}")
    # Closing computes every asset's schedule of the demo: allow for a loaded machine.
    page.get_by_role("button", name="Close month").click(no_wait_after=True)
    # The page's own intro mentions journal lines: wait for the success message itself.
    expect(page.get_by_role("alert")).to_contain_text(
        re.compile(r"Closed \d{4}-\d{2}: \d+ journal lines"), timeout=120_000
    )
    assert ClosedPeriod.objects.count() == closed_before + 1
    closed = ClosedPeriod.objects.order_by("-closed_at", "-pk").first()
    assert closed is not None
    page.goto(f"/finance/periods/{closed.pk}/")
    expect(page.locator("#journal tbody tr").first).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV").first.click()
    journal = download_info.value.path().read_text(encoding="utf-8-sig")
    assert journal.splitlines()[0].startswith("period,book,cost_centre,debit_account")
    assert len(journal.splitlines()) >= 2

    page.goto("/finance/register/")
    expect(page.locator("#register-total")).to_contain_text("net book value")
    expect(page.get_by_role("heading", name="By cost centre")).to_be_visible()
    expect(page.locator("#chart-cost-centre")).to_be_visible()
    expect(page.locator("#chart-category")).to_be_visible()

    page.goto("/finance/service-costs/")
    page.locator("#service-costs").get_by_role("link", name="Finance", exact=True).click()
    expect(page.locator("#service-total")).to_contain_text("a month")
    expect(page.locator("#by-layer tr").first).to_be_visible()
    expect(page.locator("#by-ci tbody tr").first).to_be_visible()

    page.goto("/finance/replacement-forecast/")
    expect(page.locator("#forecast-quarters tbody tr")).to_have_count(12)
    expect(page.locator("#forecast-canvas")).to_be_visible()
    expect(page.locator("#forecast-items tbody tr").first).to_be_visible()

    page.goto("/finance/reports/")
    expect(page.locator("#forecast-chart")).to_be_visible()
    expect(page.locator("#renewals-chart")).to_be_visible()
    browser_problems.assert_none()
