"""Real browser: demo story 4 on the change page, then a CI's dependency map drawn by
Cytoscape.js (vendored, strict CSP) and a click on a node through to that CI's page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.demo_snapshot import load_demo_once

pytestmark = pytest.mark.e2e
MAP_SCREENSHOT = "/tmp/e2e-dependency-map.png"  # noqa: S108 - for a human to look at


@pytest.fixture
def demo_estate(e2e_roles: None) -> dict[str, Any]:
    """The demo company (story 4 included), written through the services."""
    from assetgraph.changes.models import ChangeRecord
    from assetgraph.cmdb.models import CI

    load_demo_once(seed=42, people=40)
    return {
        "firmware": ChangeRecord.objects.get(title__startswith="Storage firmware"),
        "patching": ChangeRecord.objects.get(title__startswith="Patch hypervisors"),
        "farm": CI.objects.get(name="Farm A"),
    }


def test_change_conflict_and_dependency_map(
    page: Any, sign_in: Any, make_login: Any, demo_estate: dict[str, Any], browser_problems: Any
) -> None:
    make_login("e2e-noc", "IT Operations (NOC)")
    assert sign_in(page, "e2e-noc").status == 302
    firmware, patching, farm = (demo_estate[k] for k in ("firmware", "patching", "farm"))

    # The change page: risk badge, the conflict warning and the assessment tab.
    page.goto(f"/changes/{firmware.pk}/")
    expect(page.locator("main h1")).to_contain_text("Storage firmware upgrade")
    expect(page.locator("#change-risk")).to_contain_text("critical")
    expect(page.locator("#conflict-alert")).to_contain_text(patching.title)
    expect(page.locator("#blackout-alert")).to_contain_text("Payroll run")
    page.locator("#assessment-tab").click()
    expect(page.locator("#conflicts")).to_contain_text(patching.title)
    expect(page.locator("#impacted-services")).to_contain_text("Finance")
    expect(page.locator("#risk-factors")).to_contain_text("recent failures")
    page.locator("#conflict-alert a", has_text=patching.title).click()
    expect(page).to_have_url(re.compile(rf"/changes/{patching.pk}/$"))
    page.locator("#assessment-tab").click()
    expect(page.locator("#redundancy-lost")).to_contain_text("Farm A")

    # From the CI page to its dependency map.
    page.goto(f"/cmdb/cis/{farm.pk}/")
    page.get_by_role("link", name="Open the dependency map").click()
    expect(page).to_have_url(re.compile(rf"/impact/map/{farm.pk}/"))
    graph = page.locator("#dependency-map[data-rendered-nodes]")
    expect(graph).to_be_attached()
    rendered = int(graph.get_attribute("data-rendered-nodes") or "0")
    assert rendered > 5
    expect(page.locator("#dependency-map canvas").first).to_be_attached()
    expect(page.locator("#map-status")).to_contain_text("CIs")
    expect(page.locator("#map-classes input[type=checkbox]").first).to_be_checked()

    # Redraw downwards with depth 1: fewer nodes, the controls round-trip through the URL.
    page.select_option("#map-depth", "1")
    page.select_option("#map-direction", "down")
    page.get_by_role("button", name="Redraw").click()
    expect(page).to_have_url(re.compile(r"depth=1.*direction=down"))
    graph = page.locator("#dependency-map[data-rendered-nodes]")
    expect(graph).to_be_attached()
    assert int(graph.get_attribute("data-rendered-nodes") or "0") < rendered
    page.screenshot(path=MAP_SCREENSHOT, full_page=True)

    # Click a node (not the centre): the browser goes to that CI's page.
    target = page.evaluate(
        """() => {
          const cy = window.assetgraphMap;
          const plain = () => cy.nodes().filter(
            n => !n.data("centre") && !n.data("cluster") && !n.data("fanout"));
          // Farm A's hypervisors are folded into one group node: unfold it first.
          if (!plain().length) { cy.nodes("[?fanout]")[0].emit("tap"); }
          const node = plain()[0];
          const box = document.getElementById("dependency-map").getBoundingClientRect();
          const p = node.renderedPosition();
          return {id: node.id(), x: box.left + p.x, y: box.top + p.y};
        }"""
    )
    page.mouse.click(target["x"], target["y"])
    expect(page).to_have_url(re.compile(rf"/cmdb/cis/{target['id']}/$"))
    browser_problems.assert_none()
