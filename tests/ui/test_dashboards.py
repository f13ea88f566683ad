"""Role dashboards: each role lands on its cards, counts respect the viewer's permissions,
cards can be pinned (audited), and a reload after no write runs no card query."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from assetgraph.accounts.models import DashboardPin
from assetgraph.assets import services as asset_services
from assetgraph.audit.models import AuditEvent
from assetgraph.ui.dashboards import all_cards, cards_for_roles
from tests.assets.conftest import catalogue, make_asset  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _card_ids(html: str, section: str) -> list[str]:
    """Ids of the cards inside one section (``pinned-cards`` or ``role-cards``) of the page."""
    import re

    start = html.find(f'id="{section}"')
    if start < 0:
        return []
    end = html.find("</div>\n{% endif %}", start)
    chunk = html[start:] if end < 0 else html[start:end]
    chunk = chunk.split('<h2 class="h5', 1)[0]
    return re.findall(r'<section class="card[^"]*" id="card-([a-z0-9-]+)"', chunk)


@pytest.fixture
def overdue(make_asset: Callable[..., Any], catalogue: dict[str, Any], system: Any) -> list[Any]:  # noqa: F811
    """Two laptops lent past their return date: one in London (HQ), one in Berlin; both
    waiting for acceptance (laptops require it)."""
    from assetgraph.assets.models import Asset

    tomorrow = dt.date.today() + dt.timedelta(days=1)
    london = make_asset(serial_number="L1")
    berlin = make_asset(serial_number="B1", location=catalogue["berlin"])
    for asset, person in ((london, catalogue["minh"]), (berlin, catalogue["ana"])):
        asset_services.check_out_asset(system, asset, to_person=person, expected_return=tomorrow)
    # Time passes: the loans are now overdue (the service refuses a past date, rightly).
    Asset.objects.filter(pk__in=[london.pk, berlin.pk]).update(
        expected_return=tomorrow - dt.timedelta(days=3)
    )
    return [Asset.objects.get(pk=london.pk), Asset.objects.get(pk=berlin.pk)]


def test_each_role_has_cards_and_every_card_id_is_unique() -> None:
    cards = all_cards()
    for role in (
        "Helpdesk",
        "Procurement",
        "Finance",
        "IT Operations (NOC)",
        "DevOps",
        "System Administrator",
        "Security",
        "Compliance",
        "Admin",
    ):
        assert cards_for_roles([role]), f"no dashboard card for {role}"
    assert {"pending-acceptances", "overdue-returns", "leavers-with-devices"} <= {
        c.id for c in cards_for_roles(["Helpdesk"])
    }
    assert {"cis-in-maintenance", "failed-changes", "degraded-services"} <= {
        c.id for c in cards_for_roles(["IT Operations (NOC)"])
    }
    assert {"audit-chain", "users", "jobs", "data-health"} <= {
        c.id for c in cards_for_roles(["Admin"])
    }
    assert len(cards) == len({c.id for c in cards.values()})


def test_helpdesk_lands_on_its_cards_with_counts(
    make_user: Callable[..., Any], overdue: list[Any]
) -> None:
    response = _client(make_user("Helpdesk")).get("/")
    assert response.status_code == 200
    html = response.content.decode()
    role_cards = _card_ids(html, "role-cards")
    assert "overdue-returns" in role_cards and "pending-acceptances" in role_cards
    assert "cis-in-maintenance" not in role_cards  # a NOC card
    cards = {c["id"]: c for c in response.context["cards"]}
    assert cards["overdue-returns"]["count"] == 2
    assert cards["pending-acceptances"]["count"] == 2
    assert cards["overdue-returns"]["url"].endswith("/assets/alerts/#overdue-returns")


def test_noc_lands_on_noc_cards(make_user: Callable[..., Any]) -> None:
    response = _client(make_user("IT Operations (NOC)")).get("/")
    ids = {c["id"] for c in response.context["cards"]}
    assert {"cis-in-maintenance", "failed-changes", "degraded-services"} <= ids
    assert "pending-acceptances" not in ids


def test_a_card_counts_only_what_the_viewer_may_see(
    make_user: Callable[..., Any],
    overdue: list[Any],
    catalogue: dict[str, Any],  # noqa: F811
) -> None:
    berlin_only = make_user(
        permissions=[
            (["assets.asset"], ["view"], {"location": catalogue["berlin"].pk}),
            (["org.person"], ["view"], None),
        ]
    )
    client = _client(berlin_only)
    assert client.post("/dashboard/pin/", {"card": "overdue-returns"}).status_code == 302
    assert client.post("/dashboard/pin/", {"card": "pending-acceptances"}).status_code == 302
    pinned = {c["id"]: c for c in client.get("/").context["pinned"]}
    assert pinned["overdue-returns"]["count"] == 1
    assert pinned["pending-acceptances"]["count"] == 1

    # Without asset view the card is not offered, and a pin of it shows nothing.
    nobody = make_user()
    client = _client(nobody)
    client.post("/dashboard/pin/", {"card": "overdue-returns"})
    page = client.get("/")
    assert page.context["pinned"] == []
    assert "overdue-returns" not in {c["id"] for c in page.context["more"]}


def test_pinning_is_audited_shows_the_card_first_and_unpins(
    make_user: Callable[..., Any],
) -> None:
    user = make_user("IT Operations (NOC)")
    other = make_user("IT Operations (NOC)")
    client = _client(user)
    page = client.get("/")
    offered = {c["id"] for c in page.context["more"]}
    assert "audit-chain" not in offered  # NOC may not view the audit trail
    target = "unmanaged"  # a Security card, about CIs the NOC may view
    assert target in offered
    assert client.post("/dashboard/pin/", {"card": target}).status_code == 302
    pin = DashboardPin.objects.get(user=user)
    assert pin.card == target
    event = AuditEvent.objects.get(object_type="accounts.dashboardpin", object_id=str(pin.pk))
    assert event.action == "pin" and event.actor_repr
    html = client.get("/").content.decode()
    assert _card_ids(html, "pinned-cards") == [target]
    assert not DashboardPin.objects.filter(user=other).exists()

    assert client.post("/dashboard/pin/", {"card": target, "action": "unpin"}).status_code == 302
    assert not DashboardPin.objects.filter(user=user).exists()
    assert (
        AuditEvent.objects.filter(object_type="accounts.dashboardpin", action="unpin").count() == 1
    )


def test_unknown_card_is_404_and_changes_nothing(make_user: Callable[..., Any]) -> None:
    client = _client(make_user("Helpdesk"))
    assert client.post("/dashboard/pin/", {"card": "no-such-card"}).status_code == 404
    assert client.get("/dashboard/pin/").status_code == 405
    assert not DashboardPin.objects.exists()


def test_counts_are_cached_until_the_next_write(
    make_user: Callable[..., Any], overdue: list[Any], system: Any
) -> None:
    client = _client(make_user("Helpdesk"))
    assert {c["id"]: c for c in client.get("/").context["cards"]}["overdue-returns"]["count"] == 2
    with CaptureQueriesContext(connection) as queries:
        client.get("/")
    tables = " ".join(q["sql"] for q in queries.captured_queries)
    assert "assets_custodyrecord" not in tables and "assets_asset" not in tables

    asset_services.check_in_asset(system, overdue[0])  # a write bumps the audit revision
    cards = {c["id"]: c for c in client.get("/").context["cards"]}
    assert cards["overdue-returns"]["count"] == 1


def test_admin_cards_render_for_a_superuser(make_user: Callable[..., Any]) -> None:
    response = _client(make_user(superuser=True)).get("/")
    assert response.status_code == 200
    cards = {c["id"]: c for c in response.context["cards"]}
    assert {"audit-chain", "users", "jobs"} <= set(cards)
    assert cards["audit-chain"]["count"] in ("OK", "Broken")
    assert cards["users"]["count"] >= 1


def test_dashboard_page_has_no_inline_script(make_user: Callable[..., Any]) -> None:
    html = _client(make_user("Helpdesk")).get("/").content.decode()
    import re

    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert "style=" not in html


def test_a_card_row_shows_its_count_and_bar_or_its_cells_never_the_row_itself() -> None:
    """A row is a dict: the template must not mistake ``dict.values`` for a row's cells
    (it did, and printed the label, the count and the raw URL in every card with rows)."""
    from django.template.loader import render_to_string

    row = {"label": "Live", "count": 5, "url": "/cmdb/cis/?operational_status=live"}
    card = {"id": "c", "label": "Card", "count": 5, "url": "/", "rows": [row], "top": 5}
    html = render_to_string("ui/partials/dashboard_card.html", {"card": {**card, "chart": False}})
    assert '<td class="text-end">5</td>' in html and "<meter" in html
    assert ">/cmdb/cis/?operational_status=live<" not in html and html.count(">Live<") == 1
    with_cells = {**card, "chart": False, "rows": [{**row, "cells": ["1,200", "800"]}]}
    html = render_to_string("ui/partials/dashboard_card.html", {"card": with_cells})
    assert '<td class="text-end">1,200</td><td class="text-end">800</td>' in html
    assert "<meter" not in html
