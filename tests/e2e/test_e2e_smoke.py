"""Real-browser smoke tests: log in, walk the navigation, HTMX filtering, history, search, logout.

Chromium runs headless against pytest-django's live server. Every page must load without
console errors, uncaught exceptions, CSP violations or failing static files.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

# Sections and links every Admin must find in the navbar (later apps may add more).
ADMIN_NAVIGATION = {
    "Organisation": ["People", "Departments", "Cost centres", "Locations", "Companies"],
    "Administration": ["Users", "Audit log"],
}
# For a human to look at after a run (not asserted).
PEOPLE_SCREENSHOT = "/tmp/e2e-people.png"  # noqa: S108
PERSON_SCREENSHOT = "/tmp/e2e-person.png"  # noqa: S108


def heading(page: Any) -> Any:
    return page.locator("main h1")


def nav_toggle(page: Any, section: str) -> Any:
    return page.locator(f'[data-nav-section="{section}"]')


def nav_menu(page: Any, section: str) -> Any:
    return nav_toggle(page, section).locator(
        "xpath=following-sibling::ul[contains(@class, 'dropdown-menu')]"
    )


def open_section(page: Any, section: str) -> Any:
    """Open a navbar dropdown and return its (now visible) menu."""
    nav_toggle(page, section).click()
    menu = nav_menu(page, section)
    expect(menu).to_be_visible()
    return menu


def link_labelled(scope: Any, label: str) -> Any:
    """A link whose text is exactly ``label``.

    Not ``get_by_role(name=...)``: icons are CSS glyphs, which Chromium puts in accessible names.
    """
    return scope.locator("a", has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))


def history_rows(page: Any, action: str) -> Any:
    """Rows of the loaded History tab whose action badge reads ``action``."""
    badge = page.locator("td .badge", has_text=re.compile(rf"^\s*{action}\s*$"))
    return page.locator("#tab-history tbody tr", has=badge)


def test_admin_walks_the_ui(
    page: Any, sign_in: Any, make_login: Any, org_data: Any, browser_problems: Any
) -> None:
    make_login("e2e-admin", "Admin")
    grace = org_data.people["Hopper"]

    # Sign in through the real form and land on the dashboard.
    response = sign_in(page, "e2e-admin")
    assert response.status == 302
    expect(page).to_have_url(re.compile(r"/$"))
    expect(heading(page)).to_have_text("Dashboard")
    expect(page.locator("a.tile", has_text="People")).to_contain_text("3")

    # Walk every link of every navbar dropdown.
    sections = [s.strip() for s in page.locator("[data-nav-section]").all_inner_texts()]
    for section, labels in ADMIN_NAVIGATION.items():
        assert section in sections
        found = [
            t.strip()
            for t in nav_menu(page, section).locator("a.dropdown-item").all_text_contents()
        ]
        assert set(labels) <= set(found), f"{section}: {found}"
    visited = []
    for section in sections:
        labels = [
            t.strip()
            for t in nav_menu(page, section).locator("a.dropdown-item").all_text_contents()
        ]
        for label in labels:
            menu = open_section(page, section)
            with page.expect_navigation() as navigation:
                link_labelled(menu, label).click()
            assert navigation.value.status == 200, f"{label}: HTTP {navigation.value.status}"
            if label in ADMIN_NAVIGATION.get(section, []):
                expect(heading(page)).to_have_text(label)
            else:  # a section or link added later: it must at least render a heading
                expect(heading(page)).not_to_be_empty()
            expect(nav_menu(page, section).locator("a.dropdown-item.active")).to_have_text(
                re.compile(rf"^\s*{re.escape(label)}$")
            )
            visited.append(label)
    assert len(visited) >= sum(len(v) for v in ADMIN_NAVIGATION.values())

    # People: the Search filter swaps the table in place through HTMX (no page load).
    page.goto("/org/people/")
    expect(link_labelled(page.locator("main"), "Add person")).to_have_count(1)
    rows = page.locator("#object-table tbody tr")
    expect(rows).to_have_count(3)
    page.evaluate("window.__e2eMarker = 'same-document'")
    documents: list[str] = []
    page.on(
        "request",
        lambda request: (
            documents.append(request.url) if request.resource_type == "document" else None
        ),
    )
    with page.expect_response(
        lambda r: "/org/people/" in r.url and r.request.headers.get("hx-request") == "true"
    ) as swap:
        page.locator("form.filters").get_by_label("Search", exact=True).fill("Hopper")
    assert swap.value.status == 200
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Hopper, Grace")
    expect(page).to_have_url(re.compile(r"/org/people/\?(.*&)?q=Hopper(&|$)"))
    assert page.evaluate("window.__e2eMarker") == "same-document"
    assert documents == []

    # Person detail: the History tab lazy-loads and shows the creation.
    rows.first.get_by_role("link", name="Hopper, Grace").click()
    expect(heading(page)).to_have_text("Grace Hopper")
    page.locator("#history-tab").click()
    expect(history_rows(page, "create")).to_have_count(1)
    expect(history_rows(page, "create").first).to_contain_text("created", ignore_case=True)

    # Global search in the navbar finds a location by name; the result opens it.
    navbar_search = page.locator("nav.navbar input[name='q']")
    navbar_search.fill("Lisbon")
    with page.expect_navigation():
        navbar_search.press("Enter")
    expect(heading(page)).to_have_text("Search")
    result = page.locator("#search-results").get_by_role("link", name="Europe / Lisbon Campus")
    expect(result).to_be_visible()
    result.click()
    expect(heading(page)).to_have_text("Europe / Lisbon Campus")
    expect(page.locator("#tab-overview")).to_contain_text("Lisbon")

    # Edit a person through the form; History then shows the update and the changed field.
    page.goto(f"/org/people/{grace.pk}/")
    link_labelled(page.locator("main"), "Edit").click()
    expect(heading(page)).to_have_text("Edit Grace Hopper")
    page.locator("#id_job_title").fill("Rear Admiral")
    with page.expect_navigation() as saved:
        page.get_by_role("button", name="Save").click()
    assert saved.value.status == 200
    expect(page).to_have_url(re.compile(rf"/org/people/{grace.pk}/$"))
    expect(page.get_by_role("alert")).to_contain_text("Saved Grace Hopper.")
    expect(page.locator("#tab-overview")).to_contain_text("Rear Admiral")
    page.locator("#history-tab").click()
    update = history_rows(page, "update")
    expect(update).to_have_count(1)
    expect(update).to_contain_text("Job title")  # the field's label, in words
    expect(update).to_contain_text("Computer Scientist")
    expect(update).to_contain_text("Rear Admiral")
    expect(history_rows(page, "create")).to_have_count(1)

    # Screenshots for a human (not asserted).
    page.goto("/org/people/")
    expect(page.locator("#object-table tbody tr")).to_have_count(3)
    page.screenshot(path=PEOPLE_SCREENSHOT, full_page=True)
    page.goto(f"/org/people/{grace.pk}/")
    expect(heading(page)).to_have_text("Grace Hopper")
    page.screenshot(path=PERSON_SCREENSHOT, full_page=True)

    # Sign out through the user menu.
    page.locator("#user-menu").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.locator("#user-menu")).to_have_count(0)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))

    browser_problems.assert_none()


def test_login_throttling_and_generic_error(
    page: Any, sign_in: Any, make_login: Any, browser_problems: Any
) -> None:
    make_login("e2e-alice")

    # A wrong password and an unknown user read exactly the same.
    response = sign_in(page, "e2e-alice", "not-the-password")
    assert response.status == 401
    wrong_password = page.locator("#login-error").inner_text()
    assert wrong_password
    response = sign_in(page, "e2e-nobody", "not-the-password", reuse_form=True)
    assert response.status == 401
    expect(page.locator("#login-error")).to_have_text(wrong_password)
    assert "Too many" not in wrong_password

    # Four more failures (five in all) lock the username: even the right password is refused.
    for attempt in range(4):
        response = sign_in(page, "e2e-alice", f"wrong-{attempt}", reuse_form=True)
        assert response.status == 401
        expect(page.locator("#login-error")).to_have_text(wrong_password)
    response = sign_in(page, "e2e-alice", reuse_form=True)
    assert response.status == 429
    expect(page.locator("#login-error")).to_contain_text("Too many failed attempts")
    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.locator("#user-menu")).to_have_count(0)

    browser_problems.assert_none()


def test_read_only_navigation_is_limited(
    page: Any, sign_in: Any, make_login: Any, org_data: Any, browser_problems: Any
) -> None:
    make_login("e2e-reader", "Read-only")
    sign_in(page, "e2e-reader")
    expect(heading(page)).to_have_text("Dashboard")

    sections = [s.strip() for s in page.locator("[data-nav-section]").all_inner_texts()]
    assert "Organisation" in sections
    assert "Administration" not in sections
    for label in ("Users", "Audit log"):
        expect(link_labelled(page, label)).to_have_count(0)
    expect(page.locator("a[href='/users/'], a[href='/audit/']")).to_have_count(0)

    menu = open_section(page, "Organisation")
    with page.expect_navigation() as navigation:
        link_labelled(menu, "People").click()
    assert navigation.value.status == 200
    expect(heading(page)).to_have_text("People")
    expect(page.locator("#object-table tbody tr")).to_have_count(3)
    expect(page.locator("main a", has_text=re.compile(r"^\s*Add\b"))).to_have_count(0)
    expect(page.locator("main a[href$='/add/']")).to_have_count(0)

    # A detail page offers neither Edit nor Delete.
    page.locator("#object-table").get_by_role("link", name="Hopper, Grace").click()
    expect(heading(page)).to_have_text("Grace Hopper")
    for label in ("Edit", "Delete"):
        expect(link_labelled(page.locator("main"), label)).to_have_count(0)

    # Administration pages do not exist for this user.
    for path in ("/users/", "/audit/"):
        response = page.goto(path)
        assert response.status == 404, path
        expect(page.get_by_role("heading", name="Not Found")).to_be_visible()

    browser_problems.assert_none()
