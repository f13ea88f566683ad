"""The CMDB issue's "done when", in a real browser: define a class with two attributes, create
CIs of it (filling the attributes), relate them, retire one, then look at the estate as of a
time before the retirement (the retired CI is live there) and at the diff between the two
times (it is listed as retired).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def _utc_second_after_now() -> str:
    """A whole UTC second strictly after everything written so far (the pickers and the
    as-of query work to the second): waits at most one second for the clock to pass it."""
    start = dt.datetime.now(dt.UTC)
    while (now := dt.datetime.now(dt.UTC)).replace(microsecond=0) <= start:
        pass  # a bounded wait on the clock itself, not on the page
    return now.strftime("%Y-%m-%dT%H:%M:%S")


def _save(page: Any) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()


def _add_attribute(page: Any, class_name: str, key: str, label: str, kind: str) -> None:
    page.goto(reverse("ui:cmdb:classattribute_add"))
    page.select_option("#id_ci_class", label=class_name)
    page.fill("#id_key", key)
    page.fill("#id_label", label)
    page.select_option("#id_type", value=kind)
    _save(page)
    expect(page.locator("main h1")).to_have_text(f"{class_name}.{key}")


def _add_ci(page: Any, class_name: str, name: str, floor: str, toner: str) -> int:
    page.goto(reverse("ui:cmdb:ci_add"))
    page.select_option("#ci-class", label=class_name)
    with page.expect_navigation():
        page.get_by_role("button", name="Next").click()
    page.fill("#id_name", name)
    page.get_by_label("Floor").fill(floor)
    page.get_by_label("Toner cartridge").fill(toner)
    _save(page)
    expect(page.locator("main h1")).to_contain_text(name)
    match = re.search(r"/cmdb/cis/(\d+)/", page.url)
    assert match, page.url
    return int(match.group(1))


def test_class_cis_relationship_retirement_as_of_and_diff(
    page: Any, sign_in: Any, make_login: Any, browser_problems: Any
) -> None:
    make_login("e2e-cmdb", "Admin")
    assert sign_in(page, "e2e-cmdb").status == 302

    # A new class, with two typed attributes, defined in the UI (data, not code).
    page.goto(reverse("ui:cmdb:ciclass_add"))
    page.fill("#id_name", "Printer Fleet")
    page.fill("#id_description", "Networked printers")
    _save(page)
    expect(page.locator("main h1")).to_contain_text("Printer Fleet")
    _add_attribute(page, "Printer Fleet", "floor", "Floor", "integer")
    _add_attribute(page, "Printer Fleet", "toner", "Toner cartridge", "text")

    # Two CIs of it, attributes filled in the CI form.
    first = _add_ci(page, "Printer Fleet", "prn-lobby", "1", "TN-2420")
    second = _add_ci(page, "Printer Fleet", "prn-office", "3", "TN-3480")
    page.locator("#attributes-tab").click()
    attributes = page.locator("#tab-attributes")
    expect(attributes).to_contain_text("TN-3480")
    expect(attributes.locator("tr", has_text="Floor")).to_contain_text("3")

    # Relate them: the lobby printer depends on the office one.
    page.goto(reverse("ui:cmdb:ci_detail", args=[first]))
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("Relate")).click()
    page.select_option("#rel-type", label="depends on")
    page.select_option("#rel-target", label="prn-office (Printer Fleet)")
    with page.expect_navigation():
        page.get_by_role("button", name="Relate").click()
    page.locator("#relationships-tab").click()
    expect(page.locator("#tab-relationships")).to_contain_text("prn-office")

    before_retirement = _utc_second_after_now()

    # Retire the office printer (a confirmation page, then the CI page marks it retired).
    page.goto(reverse("ui:cmdb:ci_detail", args=[second]))
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("Retire")).click()
    with page.expect_navigation():
        page.get_by_role("button", name="Retire").click()
    heading = page.locator("main h1")
    expect(heading.locator(".badge", has_text="retired")).to_be_visible()
    overview = page.locator("#tab-overview")
    expect(overview.locator("dd").nth(1)).to_have_text("Retired")

    # As of a time before the retirement: the CI is live, with its relationship.
    page.fill("#as-of", before_retirement)
    with page.expect_navigation():
        page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("status")).to_contain_text("Showing this CI as it was on")
    expect(heading.locator(".badge", has_text="retired")).to_have_count(0)
    expect(overview.locator("dd").nth(1)).to_have_text("Live")
    page.locator("#relationships-tab").click()
    expect(page.locator("#tab-relationships")).to_contain_text("prn-lobby")

    # The diff between that time and now lists it as retired (and the other as unchanged).
    page.goto(reverse("ui:cmdb:diff"))
    page.fill("#diff-from", before_retirement)
    page.fill("#diff-to", _utc_second_after_now())
    with page.expect_navigation():
        page.get_by_role("button", name="Compare").click()
    retired = page.locator("h2", has_text="CIs retired").locator("xpath=following-sibling::ul[1]")
    expect(page.locator("h2", has_text="CIs retired")).to_have_text("CIs retired (1)")
    expect(retired).to_contain_text("prn-office")
    expect(retired).not_to_contain_text("prn-lobby")
    expect(page.locator("h2", has_text="Relationships removed")).to_have_text(
        "Relationships removed (1)"
    )
    browser_problems.assert_none()
