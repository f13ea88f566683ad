"""The stock issue's "Done when", in a real browser.

An employee requests a headset from the catalogue; their manager approves it from the
approval queue; the helpdesk fulfils it, which issues the headset from the storeroom at the
employee's site (not the other site's bigger stock); the ledger shows the movement; the
storeroom drops below its minimum, so the reorder alert appears on the alerts page and the
dashboard. Every page must load without console errors or CSP violations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Shop:
    """The storerooms, the headset and the request catalogue entry."""

    london: Any
    berlin: Any
    headset: Any
    entry: Any


@pytest.fixture
def shop(transactional_db: None, make_login: Any) -> Shop:
    from assetgraph.assets import services as assets
    from assetgraph.core.actor import Actor
    from assetgraph.org import services as org
    from assetgraph.stock import services

    actor = Actor.system("e2e")
    region = org.create_location(actor, {"name": "EMEA", "kind": "region"})
    london = org.create_location(actor, {"name": "London", "kind": "site", "parent": region})
    berlin = org.create_location(actor, {"name": "Berlin", "kind": "site", "parent": region})
    hq = org.create_location(actor, {"name": "HQ", "kind": "building", "parent": london})
    store = org.create_location(actor, {"name": "Store", "kind": "floor", "parent": hq})
    services.create_storeroom(actor, {"name": "London storeroom", "location": store})
    services.create_storeroom(actor, {"name": "Berlin storeroom", "location": berlin})
    jabra = org.create_company(actor, {"name": "Jabra", "is_manufacturer": True})
    category = assets.create_category(actor, {"name": "Accessories", "kind": "headset"})
    model = assets.create_model(
        actor, {"name": "Evolve2 65", "category": category, "manufacturer": jabra}
    )
    headset = services.create_stock_item(
        actor, {"name": "Evolve2 headset", "kind": "accessory", "model": model, "min_quantity": 5}
    )
    services.receive_stock(actor, headset, store, 5)
    services.receive_stock(actor, headset, berlin, 20)
    entry = services.create_catalogue_entry(
        actor,
        {
            "title": "Headset",
            "description": "A headset for calls.",
            "stock_item": headset,
            "approval": "manager",
        },
    )
    minh = org.create_person(
        actor,
        {
            "employee_number": "E1",
            "first_name": "Minh",
            "last_name": "Nguyen",
            "location": hq,
            "user": make_login("e2e-minh", "Self-service"),
        },
    )
    org.create_person(
        actor,
        {
            "employee_number": "E2",
            "first_name": "Ana",
            "last_name": "Costa",
            "location": hq,
            "manager": minh,
            "user": make_login("e2e-ana", "Self-service"),
        },
    )
    make_login("e2e-desk", "Helpdesk")
    return Shop(london=store, berlin=berlin, headset=headset, entry=entry)


def heading(page: Any) -> Any:
    return page.locator("main h1")


def switch_user(page: Any, sign_in: Any, username: str) -> None:
    page.context.clear_cookies()
    assert sign_in(page, username).status == 302


def test_request_approve_fulfil_ledger_and_reorder_alert(
    page: Any, sign_in: Any, shop: Shop, browser_problems: Any
) -> None:
    from assetgraph.stock.models import StockMovement

    # 1. Ana asks for a headset from the catalogue, with a reason.
    assert sign_in(page, "e2e-ana").status == 302
    page.goto("/stock/my/")
    expect(heading(page)).to_have_text("What I hold")
    page.locator("#action-catalogue").click()
    expect(heading(page)).to_have_text("Request catalogue")
    page.locator("#catalogue-table tr", has_text="Headset").get_by_role("link").click()
    page.fill("#id_reason", "I take customer calls all day")
    with page.expect_navigation():
        page.locator("#submit").click()
    expect(page.get_by_role("alert")).to_contain_text("submitted")
    request_url = page.url
    expect(page.locator("main dl")).to_contain_text("Submitted")
    expect(page.locator("#action-approve")).to_have_count(0)  # not hers to approve

    # 2. Her manager Minh approves it from his approval queue.
    switch_user(page, sign_in, "e2e-minh")
    page.goto("/stock/requests/queue/")
    page.locator("#approve-table").get_by_role("link").first.click()
    with page.expect_navigation():
        page.locator("#action-approve").click()
    expect(page.locator("main dl")).to_contain_text("Approved")

    # 3. The helpdesk fulfils it: the headset comes from Ana's site (London), not Berlin.
    switch_user(page, sign_in, "e2e-desk")
    page.goto("/stock/requests/queue/")
    page.locator("#fulfil-table").get_by_role("link").first.click()
    with page.expect_navigation():
        page.locator("#action-fulfil").click()
    expect(page.locator("main dl")).to_contain_text("Fulfilled")
    expect(page.locator("main dl")).to_contain_text("from EMEA / London / HQ / Store")
    steps = page.locator("#steps-table tbody tr")
    expect(steps).to_have_count(3)
    expect(steps.nth(1)).to_contain_text("e2e-minh")
    expect(steps.nth(2)).to_contain_text("e2e-desk")
    line = StockMovement.objects.get(reason="issued")
    assert line.from_location_id == shop.london.pk

    # 4. The ledger shows the movement.
    page.goto(f"/stock/ledger/?location={shop.london.pk}")
    issued = page.locator("#ledger-table tbody tr", has_text="Issued")
    expect(issued).to_have_count(1)
    expect(issued).to_contain_text("Ana Costa")

    # 5. London is now below its minimum (4 < 5): the reorder alert appears.
    page.goto("/stock/alerts/")
    alert = page.locator("#alerts-table tbody tr", has_text="Evolve2 headset")
    expect(alert).to_have_count(1)
    expect(alert).to_contain_text("London")
    page.goto("/")
    expect(page.locator("#card-reorder-alerts")).to_contain_text("1")

    # Ana sees what she now holds, and every step of her request.
    switch_user(page, sign_in, "e2e-ana")
    page.goto("/stock/my/")
    expect(page.locator("#my-stock")).to_contain_text("Evolve2 headset")
    page.goto(request_url)
    expect(page.locator("#steps-table tbody tr")).to_have_count(3)
    browser_problems.assert_none()


def test_loaner_booking_overlap_refused_and_repair_round_trip(
    page: Any, sign_in: Any, make_login: Any, shop: Shop, browser_problems: Any
) -> None:
    from assetgraph.assets import services as assets
    from assetgraph.assets.models import AssetModel, Category
    from assetgraph.core.actor import Actor
    from assetgraph.org.models import Company
    from assetgraph.stock import services

    actor = Actor.system("e2e")
    laptops = Category.objects.create(name="Laptops", kind="laptop")
    model = AssetModel.objects.create(
        name="Latitude", category=laptops, manufacturer=Company.objects.get(name="Jabra")
    )
    loaner = assets.create_asset(actor, {"model": model, "asset_tag": "LOAN-1"})
    broken = assets.create_asset(actor, {"model": model, "asset_tag": "LT-BROKEN"})
    services.create_loaner(actor, {"asset": loaner})
    make_login("e2e-admin", "Admin")
    assert sign_in(page, "e2e-admin").status == 302

    def book(person: str, start: str, end: str) -> None:
        page.goto("/stock/reservations/book/")
        page.select_option("#id_loaner", label="LOAN-1")
        page.select_option("#id_person", label=person)
        page.fill("#id_start", start)
        page.fill("#id_end", end)
        page.locator("#submit").click()

    book("Ana Costa", "2030-03-02T09:00", "2030-03-05T17:00")
    expect(page.get_by_role("alert")).to_contain_text("Booked LOAN-1")
    book("Minh Nguyen", "2030-03-04T09:00", "2030-03-06T17:00")
    expect(page.locator("#page-form")).to_contain_text("already booked")
    page.goto("/stock/reservations/?start=2030-03-01")
    expect(page.locator("#calendar tbody tr", has_text="LOAN-1")).to_contain_text("Ana")

    page.goto(f"/assets/assets/{broken.pk}/")
    page.get_by_role("link", name="Send for repair…").click()
    page.fill("#id_title", "cracked screen")
    with page.expect_navigation():
        page.locator("#submit").click()
    expect(page.locator("main")).to_contain_text("In repair")
    page.get_by_role("link", name="Return from repair…").click()
    page.fill("#id_cost", "120.00")
    page.fill("#id_currency", "EUR")
    with page.expect_navigation():
        page.locator("#submit").click()
    expect(page.locator("main")).to_contain_text("120.00 EUR")
    expect(page.locator("main")).to_contain_text("cracked screen")
    browser_problems.assert_none()
