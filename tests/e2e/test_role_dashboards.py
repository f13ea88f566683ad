"""Real browser on the demo company: every built-in role signs in, reads its dashboard (the
screenshots in docs/screenshots/ are taken here) and completes its main task with clicks counted
(role_walks.py), pins a card, the Finance application's
dependency map is laid out in layers with fan-outs grouped, the asset list works at 390 px,
and axe-core (vendored) finds no serious or critical violation on the main pages."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.demo_snapshot import load_demo_once
from tests.e2e.role_walks import CLICKS, PHONE_CLICKS, STOREROOM_WALKS, WALKS, Walk

PASSWORD = "e2e-Correct-Horse-42"  # the e2e conftest's password (sign_in uses it)

pytestmark = pytest.mark.e2e
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

# Built-in role → a card its dashboard must show (and the demo login that holds the role).
ROLES = {
    "helpdesk": ("Helpdesk", "overdue-returns"),
    "procurement": ("Procurement", "warranties-expiring"),
    "finance": ("Finance", "value-by-cost-centre"),
    "noc": ("IT Operations (NOC)", "cis-in-maintenance"),
    "devops": ("DevOps", "team-changes"),
    "sysadmin": ("System Administrator", "team-services"),
    "security": ("Security", "unmanaged"),
    "compliance": ("Compliance", "audit-chain"),
    "admin": ("Admin", "jobs"),
}


@pytest.fixture
def demo(e2e_roles: None) -> dict[str, Any]:
    """The demo company, with every demo login's password set to the tests' one."""
    from assetgraph.accounts.models import User
    from assetgraph.accounts.services import set_password
    from assetgraph.cmdb.models import CI
    from assetgraph.core.actor import Actor

    load_demo_once(seed=42)  # the full 300 people: the Finance map has its fan-out of laptops
    from assetgraph.accounts.services import reactivate_user

    for user in User.objects.filter(username__in=list(ROLES)):
        reactivate_user(Actor.system("e2e"), user)  # the demo's leaver story may end one
        set_password(Actor.system("e2e"), user, PASSWORD)
    return {"finance_app": CI.objects.get(name="Finance application"), "facts": _facts()}


def _facts() -> dict[str, dict[str, Any]]:
    """What each walk types or expects, read from the demo (names, never ids)."""
    from assetgraph.accounts.models import User
    from assetgraph.assets.models import AssetModel

    def team(username: str) -> str:
        return str(User.objects.get(username=username).person.department)

    laptops = AssetModel.objects.filter(category__kind="laptop").values_list("name", flat=True)
    return {
        "helpdesk": {"laptop_models": sorted(laptops), "person": "Minh Nguyen", "typed": "minh"},
        "devops": {"team": team("devops"), "service": "Finance"},
        "sysadmin": {"team": team("sysadmin"), "ci": "Web shop DB", "service": "Web shop"},
    }


def _shot(page: Any, name: str, *, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def _phone_shot(page: Any, name: str) -> None:
    """What the phone's screen shows: a full-page capture would draw the bar fixed to the
    bottom of the screen in the middle of the page."""
    _shot(page, name, full_page=False)


def _axe_serious(page: Any) -> list[str]:
    """Serious and critical axe-core violations of the current page (the script is a static
    file, so the page's CSP allows it)."""
    from django.templatetags.static import static

    if not page.evaluate("() => Boolean(window.axe)"):
        page.add_script_tag(url=static("vendor/axe-core/axe.min.js"))
    found = page.evaluate(
        """async () => {
          const result = await window.axe.run(document, {resultTypes: ["violations"]});
          return result.violations
            .filter(v => v.impact === "serious" || v.impact === "critical")
            .map(v => v.id + " (" + v.nodes.length + "): " +
                 v.nodes.slice(0, 3).map(n => n.target.join(" ") + " " + n.failureSummary)
                   .join(" | "));
        }"""
    )
    return list(found)


def test_every_role_reads_its_dashboard_and_the_finance_map(
    page: Any, sign_in: Any, demo: dict[str, Any], browser_problems: Any
) -> None:
    counted: dict[str, tuple[int, int]] = {}
    for username, (role, card) in ROLES.items():
        page.context.clear_cookies()
        assert sign_in(page, username).status == 302
        expect(page).to_have_url(re.compile(r"/$"))
        expect(page.locator("#dashboard-roles")).to_contain_text(role)
        expect(page.locator(f"#role-cards #card-{card}")).to_be_visible()
        count = page.locator(f"#card-{card} .card-count")
        expect(count).not_to_be_empty()
        if page.locator("canvas[id^=chart-]").count():
            expect(page.locator("canvas[id^=chart-][data-drawn]").first).to_be_attached()
        _shot(page, f"dashboard-{username}")
        # The card's number is a link to the list it counts.
        href = count.get_attribute("href") or ""
        assert href.startswith("/"), href
        if username in WALKS:
            walk = Walk(page)
            WALKS[username](walk, demo["facts"].get(username, {}))
            counted[username] = (walk.clicks, walk.keys)
    assert counted == {name: (clicks, keys) for name, (_, clicks, keys) in CLICKS.items()}

    # The helpdesk pins a card of another role: it comes first, and stays after a reload.
    page.context.clear_cookies()
    sign_in(page, "helpdesk")
    page.locator("#more-cards summary").click()
    page.get_by_role("button", name="Pin Unmanaged hardware").click()
    expect(page.locator("#pinned-cards #card-unmanaged")).to_be_visible()
    page.reload()
    expect(page.locator("#pinned-cards #card-unmanaged")).to_be_visible()
    page.get_by_role("button", name="Unpin Unmanaged hardware").click()
    expect(page.locator("#pinned-cards")).to_have_count(0)

    # The Finance application's map: layered (dagre), laptops folded into one group node.
    page.context.clear_cookies()
    sign_in(page, "noc")
    app = demo["finance_app"]
    page.goto(f"/impact/map/{app.pk}/?depth=2&direction=both&limit=500")
    graph = page.locator("#dependency-map[data-rendered-nodes]")
    expect(graph).to_be_attached(timeout=30_000)  # a layered layout of ~150 CIs on a busy CI
    assert graph.get_attribute("data-layout") == "dagre"
    groups = int(graph.get_attribute("data-fanout-groups") or "0")
    assert groups >= 1, page.evaluate(
        """() => window.assetgraphMap.nodes().map(
          n => n.data("kind") + ":" + n.data("ci_class") + ":" + n.degree()).join(", ")"""
    )[:3000]
    before = int(graph.get_attribute("data-rendered-nodes") or "0")
    expect(page.locator("#map-direction option[value=up]")).to_have_text("What it needs")
    # Services sit above the application, what it runs on below it.
    ranks = page.evaluate(
        """(centre) => {
          const cy = window.assetgraphMap;
          const y = n => n.position("y");
          const c = cy.getElementById(String(centre));
          const above = cy.nodes('[kind = "service"]').filter(n => y(n) < y(c)).length;
          const infra = cy.nodes('[kind = "other"], [kind = "group"]');
          const below = infra.filter(n => y(n) > y(c)).length;
          return {above, below};
        }""",
        app.pk,
    )
    assert ranks["above"] >= 1 and ranks["below"] >= 1, ranks
    _shot(page, "map-finance-application")
    # A click on the group unfolds it.
    target = page.evaluate(
        """() => {
          const cy = window.assetgraphMap;
          const node = cy.nodes("[?fanout]")[0];
          const box = document.getElementById("dependency-map").getBoundingClientRect();
          const p = node.renderedPosition();
          return {x: box.left + p.x, y: box.top + p.y, count: node.data("count")};
        }"""
    )
    page.mouse.click(target["x"], target["y"])
    expect(graph).not_to_have_attribute("data-rendered-nodes", str(before))
    after = int(graph.get_attribute("data-rendered-nodes") or "0")
    assert after == before - 1 + target["count"]
    browser_problems.assert_none()


def test_mobile_asset_list_and_accessibility_of_the_main_pages(
    page: Any, sign_in: Any, demo: dict[str, Any], browser_problems: Any
) -> None:
    from assetgraph.assets.models import Asset
    from assetgraph.org.models import Person

    assert sign_in(page, "admin").status == 302
    # The skip link is the first thing a keyboard reaches, and moves focus to the content.
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()

    asset = Asset.objects.filter(custodian__isnull=False).order_by("pk").first()
    person = Person.objects.filter(assets__isnull=False).order_by("pk").first()
    assert asset is not None and person is not None
    pages = [
        "/",
        "/assets/assets/",
        f"/assets/assets/{asset.pk}/",
        f"/org/people/{person.pk}/",
        "/cmdb/cis/",
        f"/impact/analyse/?ci={demo['finance_app'].pk}",
        f"/impact/map/{demo['finance_app'].pk}/",
        "/changes/",
        "/users/",
        "/roles/",
    ]
    problems = {}
    for url in pages:
        page.goto(url)
        page.wait_for_load_state("networkidle")
        found = _axe_serious(page)
        if found:
            problems[url] = found
    assert not problems, problems

    # Sorted column headers are announced.
    page.goto("/assets/assets/?ordering=asset_tag")
    expect(page.locator("th[aria-sort=ascending]")).to_have_count(1)

    # A phone (390 px): rows first with the filters folded, no sideways scroll.
    page.set_viewport_size({"width": 390, "height": 844})
    for url in ("/", "/assets/assets/", f"/org/people/{person.pk}/", "/cmdb/cis/"):
        page.goto(url)
        wide = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        culprits = page.evaluate(
            """() => Array.from(document.querySelectorAll("body *"))
              .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
              .filter(e => !(e.parentElement && e.parentElement.closest(".table-responsive")))
              .filter(e => !e.closest(".visually-hidden"))
              .slice(0, 8).map(e => e.tagName + "#" + e.id + "." + e.className + "@" +
                Math.round(e.getBoundingClientRect().right))"""
        )
        assert wide <= 0, f"{url} scrolls sideways by {wide}px: {culprits}"
    page.goto("/assets/assets/")
    expect(page.locator("#list-filters")).to_be_hidden()
    expect(page.locator(".object-table tbody tr").first).to_be_in_viewport()
    _shot(page, "mobile-asset-list")
    page.locator(".filters-toggle").click()
    expect(page.locator("#list-filters")).to_be_visible()

    # The storeroom, one-handed on the same phone: counted like the desk walks (role_walks).
    counted = {}
    for username, storeroom_walk in STOREROOM_WALKS.items():
        page.context.clear_cookies()
        assert sign_in(page, username).status == 302
        walk = Walk(page, shoot=_phone_shot)
        storeroom_walk(walk, _storeroom_facts())
        counted[username] = (walk.clicks, walk.keys)
    assert counted == {name: (clicks, keys) for name, (_, clicks, keys) in PHONE_CLICKS.items()}
    _phone_shot(page, "mobile-audit-scan")
    browser_problems.assert_none()


def _storeroom_facts() -> dict[str, Any]:
    """A laptop someone holds (back at the desk) and a tag the open audit still expects."""
    from assetgraph.assets.models import Asset, AuditCampaign

    held = Asset.objects.filter(state="in_use", custodian__isnull=False).order_by("pk").first()
    campaign = AuditCampaign.objects.filter(status="open").order_by("pk").first()
    assert held is not None and campaign is not None
    expected = campaign.items.filter(result="pending").order_by("tag").first()
    assert expected is not None
    return {"held": held.asset_tag, "campaign": campaign.name, "expected": expected.tag}
