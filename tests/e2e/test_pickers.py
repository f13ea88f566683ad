"""Type-ahead pickers in a real browser (strict CSP, no inline script): a person's manager is
chosen by typing part of a name and picking the suggestion that shows the e-mail and the
department; a list filter is chosen the same way; impact takes a picked CI. No id is typed."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from assetgraph.ui import generic, pickers

pytestmark = pytest.mark.e2e


def test_choose_a_manager_and_a_filter_by_typing_names(
    page: Any,
    sign_in: Any,
    make_login: Any,
    org_data: Any,
    browser_problems: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The live server runs in this process: make three people "a long list".
    monkeypatch.setattr(pickers, "SELECT_LIMIT", 2)
    monkeypatch.setattr(generic, "MAX_FILTER_OPTIONS", 0)
    make_login("helper", "Admin")
    sign_in(page, "helper")
    page.goto(reverse("ui:org:person_add"))
    page.fill("#id_employee_number", "E0100")
    page.fill("#id_first_name", "Lan")
    page.fill("#id_last_name", "Tran")
    manager = page.get_by_label("Manager")
    manager.fill("hopp")
    option = page.get_by_role("option", name="Grace Hopper")
    expect(option).to_contain_text("grace@example.com · Engineering · E0002")
    manager.press("ArrowDown")
    manager.press("Enter")
    expect(manager).to_have_value("Grace Hopper")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    expect(page.locator("main")).to_contain_text("Hopper")
    from assetgraph.org.models import Person

    lan = Person.objects.get(employee_number="E0100")
    assert lan.manager == org_data.people["Hopper"]

    page.goto(reverse("ui:org:person_list"))
    manager_filter = page.locator("#filter-manager_id")
    manager_filter.fill("grace")
    with page.expect_response(lambda r: "manager_id=" in r.url):
        page.get_by_role("option", name="Grace Hopper").click()
    expect(page.locator("#object-table")).to_contain_text("Tran, Lan")
    expect(page.locator("#object-table")).not_to_contain_text("Lovelace, Ada")
    browser_problems.assert_none()
