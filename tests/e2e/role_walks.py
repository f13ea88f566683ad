"""Each built-in role's main task, walked from its dashboard with clicks only (issue 17's "Done
when": a browser test per role logs in, reads its dashboard and completes its main task with
type-ahead pickers, no id typed anywhere; the clicks are counted in docs/user-guide.md).

A walk starts on the role's dashboard and never calls ``page.goto``: every step is a click, a
choice in a drop-down, or text typed into a field (a picker's letters are counted as
keystrokes). ``test_role_dashboards`` runs them on its one demo load (the demo costs more than
all the walks together), and asserts each count against ``CLICKS`` below, the table the user
guide publishes: a page that grows a step fails the test until the guide says so.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from playwright.sync_api import expect

# Role login → (main task, clicks, keystrokes typed into pickers). The user guide's table.
CLICKS: dict[str, tuple[str, int, int]] = {
    "helpdesk": ("check a laptop out to a person, see it waiting for acceptance", 8, 4),
    "procurement": ("renew an expiring warranty", 5, 0),
    "finance": ("net book value by cost centre, exported", 2, 0),
    "security": ("accept the risk of the most urgent finding, with an expiry", 4, 0),
    "noc": ("what does a failing storage array take down?", 4, 8),
    "devops": ("raise a change on an application, read its assessment", 7, 7),
    "sysadmin": ("raise a change on a team service, read its assessment", 7, 7),
    "admin": ("create a user with a role", 4, 0),
}


@dataclass
class Walk:
    """Counts what a person does: clicks (a drop-down choice is one) and picker keystrokes."""

    page: Any
    clicks: int = 0
    keys: int = 0
    shoot: Callable[[Any, str], None] | None = None  # docs/screenshots, where a walk takes one

    def click(self, locator: Any) -> None:
        locator.click()
        self.clicks += 1

    def select(self, locator: Any, label: str) -> None:
        locator.select_option(label=label)
        self.clicks += 1

    def pick(self, field: Any, typed: str, option: str) -> None:
        """Type part of a name into a type-ahead picker and click the suggestion."""
        field.fill(typed)
        self.keys += len(typed)
        self.click(self.page.get_by_role("option", name=re.compile(re.escape(option))).first)

    def home(self) -> None:
        """Back to the dashboard through the brand link."""
        self.click(self.page.locator("a.navbar-brand"))
        expect(self.page.locator("#dashboard-roles")).to_be_visible()


def _count(page: Any, card: str) -> int:
    return int(page.locator(f"#card-{card} .card-count").inner_text().replace(",", ""))


def helpdesk(walk: Walk, facts: dict[str, Any]) -> None:
    """Stock card → laptops in stock → one → Check out → pick a person → pending acceptances."""
    page = walk.page
    pending = _count(page, "pending-acceptances")
    walk.click(page.locator("#card-stock-by-model-site .card-count"))
    with page.expect_response(lambda r: "category_id=" in r.url):
        walk.select(page.locator("#filter-category_id"), "Laptops")  # a short list: a drop-down
    laptop = re.compile("|".join(re.escape(name) for name in facts["laptop_models"]))
    row = page.locator("#object-table tbody tr", has_text=laptop).first
    tag = row.locator("td a").first.inner_text()
    walk.click(row.locator("td a").first)
    walk.click(page.locator("#checkout"))
    walk.pick(page.get_by_label("Person"), facts["typed"], facts["person"])
    walk.click(page.locator("#action-confirm"))
    expect(page.locator("main")).to_contain_text(f"Checked out {tag} to {facts['person']}")
    walk.home()
    expect(page.locator("#card-pending-acceptances .card-count")).to_have_text(str(pending + 1))
    walk.click(page.locator("#card-pending-acceptances .card-count"))
    expect(page.locator("main table", has_text=tag).first).to_contain_text(facts["person"])


def procurement(walk: Walk, facts: dict[str, Any]) -> None:
    """Warranties expiring → the first asset → Edit → the renewed end date → one fewer."""
    page = walk.page
    expiring = _count(page, "warranties-expiring")
    walk.click(page.locator("#card-warranties-expiring .card-count"))
    section = page.locator("#warranty-expiring + * table, #warranty-expiring ~ div table").first
    walk.click(section.locator("tbody tr td a").first)
    walk.click(page.get_by_role("link", name="Edit"))
    renewed = dt.date.today() + dt.timedelta(days=3 * 365)
    page.locator("#id_warranty_end").fill(renewed.isoformat())
    walk.click(page.get_by_role("button", name="Save"))
    expect(page.locator("main")).to_contain_text("Warranty end")
    walk.home()
    expect(page.locator("#card-warranties-expiring .card-count")).to_have_text(str(expiring - 1))


def finance(walk: Walk, facts: dict[str, Any]) -> None:
    """Value by cost centre → the register's net book value by cost centre → CSV."""
    page = walk.page
    walk.click(page.locator("#card-value-by-cost-centre .card-count"))
    expect(page.get_by_role("heading", name="By cost centre")).to_be_visible()
    with page.expect_download() as download:
        walk.click(page.get_by_role("link", name="CSV").first)
    header = download.value.path().read_text(encoding="utf-8-sig").splitlines()[0]
    assert "cost_centre" in header, header


def security(walk: Walk, facts: dict[str, Any]) -> None:
    """Security ▸ Security dashboard → the most urgent finding → accept its risk until a date."""
    page = walk.page
    walk.click(page.locator("[data-nav-section=Security]"))
    walk.click(
        page.locator("#mainnav").get_by_role("link", name=re.compile(r"Security dashboard$"))
    )
    walk.click(page.locator("#urgent tbody tr").first.locator("a").first)
    until = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    page.locator("#accept-form input[name=reason]").fill("WAF rule blocks it until the upgrade")
    page.locator("#accept-form input[name=until]").fill(until)
    walk.click(page.locator("#accept-form").get_by_role("button", name="Accept risk"))
    expect(page.locator("#acceptance time")).to_have_attribute("datetime", until)


def noc(walk: Walk, facts: dict[str, Any]) -> None:
    """Impact ▸ Impact analysis → pick the storage array → Analyse: Finance is down."""
    page = walk.page
    walk.click(page.locator("[data-nav-section=Impact]"))
    walk.click(page.get_by_role("link", name="Impact analysis"))
    walk.pick(page.locator("#impact-ci"), "stor-aus", "stor-aus1-01")
    walk.click(page.locator("#impact-submit"))
    services = page.locator("#impact-services")
    expect(services.locator('tr[data-ci="Finance"][data-state="down"]')).to_be_visible()


def _raise_change(walk: Walk, facts: dict[str, Any], title: str, ci: str, typed: str) -> None:
    """Team's open changes → Add → title, the CI taken down (picked), the team → Save →
    Assessment: the services it takes down; the dashboard counts the new change."""
    page = walk.page
    open_changes = _count(page, "team-changes")
    walk.click(page.locator("#card-team-changes .card-count"))
    walk.click(page.get_by_role("link", name="Add change"))
    page.locator("#id_title").fill(title)
    walk.pick(page.locator("#id_cis_down"), typed, ci)
    walk.select(page.locator("#id_team"), facts["team"])
    walk.click(page.get_by_role("button", name="Save"))
    expect(page.locator("#change-risk")).to_be_visible()
    walk.click(page.locator("#assessment-tab"))
    expect(page.locator("#impacted-services")).to_contain_text(facts["service"])
    walk.home()
    expect(page.locator("#card-team-changes .card-count")).to_have_text(str(open_changes + 1))


def devops(walk: Walk, facts: dict[str, Any]) -> None:
    _raise_change(walk, facts, "Deploy Finance application 4.2", "Finance application", "Finance")


def sysadmin(walk: Walk, facts: dict[str, Any]) -> None:
    _raise_change(walk, facts, "Patch the web shop database", facts["ci"], facts["ci"][:7])


def admin(walk: Walk, facts: dict[str, Any]) -> None:
    """Users card → Add a user → name and role → Create user: the page shows the role."""
    page = walk.page
    walk.click(page.locator("#card-users .card-count"))
    walk.click(page.get_by_role("link", name="Add a user"))
    page.locator("#id_username").fill("lan.tran")
    page.locator("#id_first_name").fill("Lan")
    page.locator("#id_last_name").fill("Tran")
    page.locator("#id_email").fill("lan.tran@example.com")
    walk.click(page.get_by_label("Helpdesk", exact=True))
    walk.click(page.get_by_role("button", name="Create user"))
    expect(page.locator("main")).to_contain_text("lan.tran")
    expect(page.locator("main")).to_contain_text("Helpdesk")


# --- the storeroom on a phone (390 px), one-handed --------------------------------------------

PHONE_CLICKS: dict[str, tuple[str, int, int]] = {
    "helpdesk": ("phone: scan a returned laptop, check it in", 5, 0),
    "compliance": ("phone: scan a tag into the open audit", 4, 0),
}
THUMB_PX = 44  # WCAG 2.5.5's target size


def assert_thumb_friendly(page: Any, *selectors: str) -> None:
    """No sideways scroll, and each control is a large target in the lower half of the
    screen (under the thumb), inside the viewport. Waits for the controls (and the page's
    load) first: right after a click that navigates, the old document may be going away."""
    for selector in selectors:
        expect(page.locator(selector)).to_be_visible()
    page.wait_for_load_state("load")
    wide = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 0, f"{page.url} scrolls sideways by {wide}px"
    height = page.viewport_size["height"]
    for selector in selectors:
        box = page.locator(selector).bounding_box()
        assert box is not None, selector
        assert box["height"] >= THUMB_PX and box["width"] >= THUMB_PX, (selector, box)
        assert height / 2 <= box["y"] and box["y"] + box["height"] <= height, (selector, box)


def _open_assets_page(walk: Walk, name: str) -> None:
    page = walk.page
    walk.click(page.locator(".navbar-toggler"))
    walk.click(page.locator("[data-nav-section=Assets]"))
    # The icon font's glyph is part of the link's name: match the label at its end.
    walk.click(page.locator("#mainnav").get_by_role("link", name=re.compile(rf"\b{name}$")))


def scan_and_check_in(walk: Walk, facts: dict[str, Any]) -> None:
    """Assets ▸ Scan → the scanner types the tag and Enter → Check in → Confirm → ready for
    the next scan."""
    page, tag = walk.page, facts["held"]
    _open_assets_page(walk, "Scan")
    field = page.locator("#asset-scan-tag")
    expect(field).to_be_focused()
    assert_thumb_friendly(page, "#asset-scan-tag", "#asset-scan-find")
    field.fill(tag)  # a keyboard-wedge scanner: the label's content, then Enter
    field.press("Enter")
    expect(page.locator("#scanned-asset")).to_contain_text(tag)
    assert_thumb_friendly(page, "#scan-checkin", "#asset-scan-tag")
    if walk.shoot:
        walk.shoot(page, "mobile-scan-check-in")
    walk.click(page.locator("#scan-checkin"))
    assert_thumb_friendly(page, "#action-confirm")
    walk.click(page.locator("#action-confirm"))
    expect(page.locator("main")).to_contain_text(f"Checked in {tag}.")
    expect(page.locator("#asset-scan-tag")).to_be_focused()


def audit_scan(walk: Walk, facts: dict[str, Any]) -> None:
    """Assets ▸ Audits → the open campaign → the scanner types a tag and Enter: found."""
    page = walk.page
    _open_assets_page(walk, "Audits")
    walk.click(page.get_by_role("link", name=facts["campaign"]))
    field = page.locator("#scan-tag")
    expect(field).to_be_focused()
    assert_thumb_friendly(page, "#scan-tag", "#scan-record")
    field.fill(facts["expected"])
    field.press("Enter")
    expect(page.locator("#scan-message")).to_contain_text(f"{facts['expected']} found")
    assert_thumb_friendly(page, "#scan-tag", "#scan-record")


STOREROOM_WALKS: dict[str, Callable[[Walk, dict[str, Any]], None]] = {
    "helpdesk": scan_and_check_in,
    "compliance": audit_scan,
}

WALKS: dict[str, Callable[[Walk, dict[str, Any]], None]] = {
    "helpdesk": helpdesk,
    "procurement": procurement,
    "finance": finance,
    "noc": noc,
    "devops": devops,
    "sysadmin": sysadmin,
    "security": security,
    "admin": admin,
}
