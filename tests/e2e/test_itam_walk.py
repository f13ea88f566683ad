"""The ITAM issue's "Done when", in a real browser.

A procurement admin creates a model, receives 50 laptops from a CSV on the import page,
defines a kit and issues it to 10 new hires in one action, checks one laptop back in, prints
labels for a selection (QR codes), runs a physical audit of the stock room with one laptop
missing and one stray monitor found, closes it, and finds each step in the History tab of
the objects it touched. Every page must load without console errors or CSP violations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

LAPTOPS = 50
HIRES = 10
SCREENSHOT = "/tmp/e2e-itam-audit.png"  # noqa: S108 - for a human to look at, not asserted


@dataclass(frozen=True)
class Estate:
    """What exists before the walk: a stock room, new hires and a stray monitor elsewhere."""

    room: Any
    hires: list[Any]
    stray: Any


@pytest.fixture
def estate(transactional_db: None) -> Estate:
    from assetgraph.assets import services
    from assetgraph.core.actor import Actor
    from assetgraph.org import services as org

    actor = Actor.system("e2e")
    region = org.create_location(actor, {"name": "EMEA", "kind": "region"})
    london = org.create_location(actor, {"name": "London", "kind": "site", "parent": region})
    berlin = org.create_location(actor, {"name": "Berlin", "kind": "site", "parent": region})
    room = org.create_location(actor, {"name": "HQ", "kind": "building", "parent": london})
    dell = org.create_company(actor, {"name": "Dell", "is_manufacturer": True})
    org.create_company(actor, {"name": "CDW", "is_supplier": True})
    services.create_category(actor, {"name": "Laptops", "kind": "laptop"})
    monitors = services.create_category(actor, {"name": "Monitors", "kind": "monitor"})
    monitor = services.create_model(
        actor, {"name": "U2723QE", "category": monitors, "manufacturer": dell}
    )
    stray = services.create_asset(
        actor, {"model": monitor, "asset_tag": "MON-STRAY", "location": berlin}
    )
    hires = [
        org.create_person(
            actor,
            {
                "employee_number": f"NH{n:02d}",
                "first_name": f"Hire{n:02d}",
                "last_name": "Starter",
                "location": london,
            },
        )
        for n in range(1, HIRES + 1)
    ]
    return Estate(room=room, hires=hires, stray=stray)


def heading(page: Any) -> Any:
    return page.locator("main h1")


def history_rows(page: Any, action: str) -> Any:
    badge = page.locator("td .badge", has_text=re.compile(rf"^\s*{action}\s*$"))
    return page.locator("#tab-history tbody tr", has=badge)


def open_history(page: Any) -> None:
    page.locator("#history-tab").click()
    expect(page.locator("#tab-history tbody tr").first).to_be_visible()


def delivery_csv() -> bytes:
    lines = ["asset_tag,model,serial_number,location,supplier,purchase_date,cost,currency"]
    lines += [
        f"LT-{n:03d},ThinkPad X1,SN-LT-{n:03d},EMEA / London / HQ,CDW,2025-03-01,1450.00,EUR"
        for n in range(1, LAPTOPS + 1)
    ]
    return ("\n".join(lines) + "\n").encode()


def submit(page: Any, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name).click()


@pytest.mark.usefixtures("worker")
def test_itam_walk_in_the_browser(
    page: Any, sign_in: Any, make_login: Any, estate: Estate, browser_problems: Any
) -> None:
    from assetgraph.assets.models import Asset

    make_login("e2e-procurement", "Admin")
    assert sign_in(page, "e2e-procurement").status == 302

    # 1. Create a model in the catalogue.
    page.goto("/assets/models/add/")
    page.fill("#id_name", "ThinkPad X1")
    page.select_option("#id_category", label="Laptops")
    page.select_option("#id_manufacturer", label="Dell")
    page.fill("#id_default_warranty_months", "36")
    submit(page, "Save")
    expect(heading(page)).to_have_text("ThinkPad X1")
    model_url = page.url
    open_history(page)
    expect(history_rows(page, "create")).to_have_count(1)

    # 2. Receive 50 laptops from a CSV: preview first, then apply.
    page.goto("/assets/import/assets/")
    page.set_input_files(
        "#import-file",
        files=[{"name": "delivery.csv", "mimeType": "text/csv", "buffer": delivery_csv()}],
    )
    submit(page, "Preview")  # to the preview job's page, which polls until the worker is done
    expect(page.locator("#import-summary")).to_contain_text(f"{LAPTOPS} to create")
    assert Asset.objects.filter(asset_tag__startswith="LT-").count() == 0
    with page.expect_navigation():
        page.locator("#apply-import").click()
    expect(page.locator("#import-job-outcome")).to_contain_text(f"Imported: {LAPTOPS} created")
    assert Asset.objects.filter(asset_tag__startswith="LT-", state="in_stock").count() == LAPTOPS

    # 3. Define the kit (its lines are edited on their own page) and issue it to 10 hires.
    page.goto("/assets/kits/add/")
    page.fill("#id_name", "New hire")
    submit(page, "Save")
    expect(heading(page)).to_have_text("New hire")
    kit_url = page.url
    with page.expect_navigation():
        page.get_by_role("link", name="Edit items…").click()
    page.select_option('select[name="items-0-model"]', label="ThinkPad X1")
    page.fill('input[name="items-0-quantity"]', "1")
    submit(page, "Save items")
    expect(page.locator("#tab-overview table")).to_contain_text("ThinkPad X1")
    with page.expect_navigation():
        page.get_by_role("link", name="Issue to people…").click()
    page.select_option("#id_people", value=[str(p.pk) for p in estate.hires])
    submit(page, "Confirm")
    expect(page.get_by_role("alert")).to_contain_text(f"Issued New hire ({HIRES} assets)")
    issued = list(Asset.objects.filter(state="in_use").order_by("asset_tag"))
    assert len(issued) == HIRES
    assert {a.custodian_id for a in issued} == {p.pk for p in estate.hires}
    open_history(page)
    expect(history_rows(page, "create")).to_have_count(1)
    expect(history_rows(page, "update")).to_have_count(1)  # the kit's lines

    # 4. One laptop comes back.
    returned, kept = issued[0], issued[1]
    page.goto(f"/assets/assets/{returned.pk}/")
    with page.expect_navigation():
        page.locator("#checkin").click()
    page.fill("#id_condition_notes", "fine")
    submit(page, "Confirm")
    expect(page).to_have_url(re.compile(rf"/assets/assets/{returned.pk}/$"))
    open_history(page)
    for action in ("create", "checkout", "checkin"):
        expect(history_rows(page, action)).to_have_count(1)

    # 5. Labels for a selection on the asset list: a sheet with one QR code per asset.
    page.goto("/assets/assets/")
    boxes = page.locator('#object-table input[name="ids"]')
    for index in range(3):
        boxes.nth(index).check()
    with page.expect_navigation():
        page.locator("#bulk-labels").click()
    expect(page.locator(".label img.qr")).to_have_count(3)
    for image in page.locator(".label img.qr").all():
        assert (image.get_attribute("src") or "").startswith("data:image/svg+xml")
    expect(page.locator(".label .tag")).to_have_text(["LT-001", "LT-002", "LT-003"])

    # 6. Audit the stock room: scan all but one laptop, plus the stray monitor; close.
    page.goto("/assets/audits/start/")
    page.select_option("#id_location", label=str(estate.room))
    page.fill("#id_name", "HQ audit")
    submit(page, "Confirm")
    expect(heading(page)).to_contain_text("HQ audit")
    scan = page.locator("#scan-tag")
    laptops = [f"LT-{n:03d}" for n in range(1, LAPTOPS + 1)]
    missing = laptops[-1]
    for tag in [*laptops[:-1], estate.stray.asset_tag]:
        with page.expect_response(lambda r: r.url.endswith("/scan/")):
            scan.fill(tag)
            scan.press("Enter")
        expect(page.locator("#scan-message")).to_contain_text(tag)
    expect(page.locator("#audit-counts")).to_contain_text(f"{LAPTOPS - 1} found")
    expect(page.locator("#audit-counts")).to_contain_text("1 unexpected")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.locator("#close-audit").click()
    expect(page.locator("#audit-counts")).to_contain_text("1 missing")
    expect(page.locator("#audit-missing")).to_contain_text(missing)
    expect(page.locator("#audit-unexpected")).to_contain_text(estate.stray.asset_tag)
    page.screenshot(path=SCREENSHOT, full_page=True)
    # The campaign's History: the close and the scans, newest first; the start is older.
    open_history(page)
    expect(history_rows(page, "close")).to_have_count(1)
    expect(history_rows(page, "scan")).to_have_count(49)  # one page holds 50 events
    page.get_by_role("button", name="Older events »").click()
    expect(history_rows(page, "create")).to_have_count(1)
    expect(history_rows(page, "scan")).to_have_count(1)

    # Each step shows in the History tab of the objects it touched.
    missing_asset = Asset.objects.get(asset_tag=missing)
    page.goto(f"/assets/assets/{missing_asset.pk}/")
    open_history(page)
    expect(history_rows(page, "audit")).to_have_count(1)
    expect(history_rows(page, "audit")).to_contain_text("missing")
    page.goto(f"/assets/assets/{kept.pk}/")
    open_history(page)
    for action in ("create", "checkout", "audit"):
        expect(history_rows(page, action)).to_have_count(1)
    page.goto(f"/assets/assets/{estate.stray.pk}/")
    open_history(page)
    expect(history_rows(page, "audit")).to_contain_text("unexpected")
    for url in (model_url, kit_url):
        page.goto(url)
        open_history(page)
        expect(history_rows(page, "create")).to_have_count(1)

    browser_problems.assert_none()


def test_asset_form_custom_fields_follow_the_model(
    page: Any, sign_in: Any, make_login: Any, estate: Estate, browser_problems: Any
) -> None:
    from assetgraph.assets import services
    from assetgraph.assets.models import Asset, AssetModel, Category
    from assetgraph.core.actor import Actor
    from assetgraph.org.models import Company

    actor = Actor.system("e2e")
    laptops = Category.objects.get(name="Laptops")
    services.create_model(
        actor,
        {
            "name": "Latitude 7440",
            "category": laptops,
            "manufacturer": Company.objects.get(name="Dell"),
        },
    )
    services.create_custom_field(
        actor, {"key": "ram_gb", "label": "RAM (GB)", "type": "integer", "categories": [laptops.pk]}
    )
    services.create_custom_field(
        actor,
        {"key": "encrypted", "label": "Encrypted", "type": "boolean", "categories": [laptops.pk]},
    )
    make_login("e2e-clerk", "Procurement")
    assert sign_in(page, "e2e-clerk").status == 302

    page.goto("/assets/assets/add/")
    ram = page.locator('input[name="attributes.ram_gb"]')
    expect(ram).to_have_count(0)
    # Choosing a laptop model swaps in the laptop fields (HTMX, no page load).
    with page.expect_response(lambda r: "/assets/assets/custom-fields/" in r.url):
        page.select_option("#id_model", label="Latitude 7440")
    expect(ram).to_have_attribute("type", "number")
    expect(page.locator('input[name="attributes.encrypted"]')).to_have_attribute("type", "checkbox")
    ram.fill("1.5")  # the browser takes it (novalidate); the server refuses it
    page.fill("#id_serial_number", "SN-E2E-1")
    submit(page, "Save")
    block = page.locator('[data-custom-field="attributes.ram_gb"]')
    expect(block.locator(".invalid-feedback")).to_have_text("not a whole number")
    assert not Asset.objects.filter(serial_number="SN-E2E-1").exists()
    page.locator('input[name="attributes.ram_gb"]').fill("32")
    page.locator('input[name="attributes.encrypted"]').check()
    submit(page, "Save")
    expect(page.get_by_role("alert")).to_contain_text("Created")
    created = Asset.objects.get(serial_number="SN-E2E-1")
    assert created.attributes == {"ram_gb": 32, "encrypted": True}
    assert created.model == AssetModel.objects.get(name="Latitude 7440")
    # Back to a monitor: the laptop-only fields leave the form.
    page.goto("/assets/assets/add/")
    with page.expect_response(lambda r: "/assets/assets/custom-fields/" in r.url):
        page.select_option("#id_model", label="Latitude 7440")
    expect(ram).to_have_count(1)
    with page.expect_response(lambda r: "/assets/assets/custom-fields/" in r.url):
        page.select_option("#id_model", label="U2723QE")
    expect(ram).to_have_count(0)
    expect(page.locator("#custom-fields-category")).to_contain_text("Monitors")

    browser_problems.assert_none()
