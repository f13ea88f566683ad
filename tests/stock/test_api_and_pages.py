"""The REST API and the pages of the stock app: status codes, rows written, permissions."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from assetgraph.core.actor import Actor
from assetgraph.stock import services
from assetgraph.stock.models import StockMovement, StockRequest
from tests.conftest import bearer

pytestmark = pytest.mark.django_db


def post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, json.dumps(body, default=str), content_type="application/json")


def test_movement_api_issues_and_refuses_a_shortfall_with_a_409(
    people: dict[str, Any],
) -> None:
    desk = bearer(people["helpdesk"])
    body = {
        "action": "issue",
        "item_id": people["toner"].pk,
        "quantity": 3,
        "to_person_id": people["minh"].pk,
    }
    created = post(desk, "/api/stock/movements", body)
    assert created.status_code == 201, created.content
    assert created.json()["from_location"]["id"] == people["store_loc"].pk
    short = post(desk, "/api/stock/movements", {**body, "quantity": 50})
    assert short.status_code == 409
    assert short.json()["error"]["code"] == "insufficient_stock"
    # receiving is storeroom work: the helpdesk may not (403), procurement may
    receive = {"action": "receive", "item_id": people["toner"].pk, "quantity": 5}
    receive["to_location_id"] = people["store_loc"].pk
    assert post(desk, "/api/stock/movements", receive).status_code == 403
    assert post(bearer(people["procurement"]), "/api/stock/movements", receive).status_code == 201
    bad = post(bearer(people["procurement"]), "/api/stock/movements", {**receive, "quantity": 0})
    assert bad.status_code == 422
    listing = desk.get(f"/api/stock/movements?item_id={people['toner'].pk}")
    assert [r["reason"] for r in listing.json()["results"]] == ["received", "issued", "received"]
    on_hand = desk.get(
        f"/api/stock/on-hand?item_id={people['toner'].pk}&location_id={people['store_loc'].pk}"
    )
    assert on_hand.json()["on_hand"] == 22


def test_alerts_and_reorder_api(people: dict[str, Any]) -> None:
    client = bearer(people["procurement"])
    alerts = client.get("/api/stock/alerts").json()
    assert [(a["item"]["id"], a["location"]["id"], a["on_hand"], a["minimum"]) for a in alerts] == [
        (people["headset"].pk, people["berlin"].pk, 3, 5)
    ]
    reorder = client.get("/api/stock/reorder").json()
    assert reorder[0]["suggested"] == 2
    assert bearer(people["ana_user"]).get("/api/stock/alerts").status_code == 403


def test_request_api_flow_and_hidden_requests_are_404(
    people: dict[str, Any], make_user: Any
) -> None:
    ana = bearer(people["ana_user"])
    created = post(
        ana, "/api/stock/requests", {"entry_id": people["headset_entry"].pk, "reason": "calls"}
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    stranger = bearer(make_user("Self-service"))
    assert stranger.get(f"/api/stock/requests/{pk}").status_code == 404
    assert (
        post(
            stranger, f"/api/stock/requests/{pk}/transition", {"transition": "approve"}
        ).status_code
        == 404
    )
    assert stranger.get("/api/stock/requests").json()["results"] == []
    minh = bearer(people["minh_user"])
    approved = post(minh, f"/api/stock/requests/{pk}/transition", {"transition": "approve"})
    assert approved.json()["state"] == "approved"
    again = post(minh, f"/api/stock/requests/{pk}/transition", {"transition": "approve"})
    assert again.status_code == 409
    fulfilled = post(
        bearer(people["helpdesk"]), f"/api/stock/requests/{pk}/transition", {"transition": "fulfil"}
    )
    assert fulfilled.json()["state"] == "fulfilled"
    history = ana.get(f"/api/stock/requests/{pk}/history").json()
    assert [h["action"] for h in history] == ["submit", "approve", "fulfil"]
    mine = ana.get("/api/stock/mine").json()
    assert mine["stock"] == [
        {
            "item": {"id": people["headset"].pk, "display": "Evolve2 headset"},
            "kind": "accessory",
            "on_hand": 1,
        }
    ]


def test_reservation_and_repair_api(people: dict[str, Any], make_asset: Any) -> None:
    laptop = make_asset()
    loaner = services.create_loaner(Actor.system(), {"asset": laptop})
    desk = bearer(people["helpdesk"])
    start = timezone.now() + dt.timedelta(days=1)
    body = {
        "loaner_id": loaner.pk,
        "person_id": people["ana"].pk,
        "start": start.isoformat(),
        "end": (start + dt.timedelta(days=2)).isoformat(),
    }
    assert post(desk, "/api/stock/reservations", body).status_code == 201
    clash = post(desk, "/api/stock/reservations", {**body, "person_id": people["ben"].pk})
    assert clash.status_code == 409 and clash.json()["error"]["code"] == "overlapping_booking"
    procurement = bearer(people["procurement"])
    other = make_asset()
    sent = post(procurement, f"/api/stock/assets/{other.pk}/send-for-repair", {"title": "fan"})
    assert sent.status_code == 201, sent.content
    back = post(
        procurement,
        f"/api/stock/assets/{other.pk}/return-from-repair",
        {"cost": "75.50", "currency": "EUR"},
    )
    assert back.status_code == 200 and back.json()["cost"] == "75.50"
    costs = procurement.get(f"/api/stock/assets/{other.pk}/maintenance-costs").json()
    assert costs == {"EUR": "75.50"}
    report = procurement.get("/api/stock/repairs-per-model").json()
    assert report[0]["repairs"] == 1


def test_pages_render_for_their_roles(people: dict[str, Any], client: Client) -> None:
    services.submit_request(Actor(user=people["ana_user"]), people["headset_entry"], reason="x")
    client.force_login(people["ana_user"])
    for url in (
        "/stock/my/",
        "/stock/catalogue/",
        f"/stock/catalogue/{people['headset_entry'].pk}/request/",
    ):
        assert client.get(url).status_code == 200, url
    assert client.get("/stock/ledger/").status_code == 403
    page = client.post(
        f"/stock/catalogue/{people['toner_entry'].pk}/request/", {"quantity": 1, "reason": "ink"}
    )
    assert page.status_code == 302
    assert StockRequest.objects.filter(requester=people["ana"]).count() == 2
    client.force_login(people["minh_user"])
    queue = client.get("/stock/requests/queue/")
    assert b"Headset" in queue.content
    client.force_login(people["procurement"])
    for url in (
        "/stock/ledger/",
        "/stock/alerts/",
        f"/stock/storerooms/{people['berlin_store'].pk}/",
        "/stock/items/",
        "/stock/move/",
        "/stock/repairs/",
        "/stock/reservations/",
    ):
        assert client.get(url).status_code == 200, url
    alerts = client.get("/stock/alerts/")
    assert b"Evolve2 headset" in alerts.content
    moved = client.post(
        "/stock/move/",
        {
            "action": "transfer",
            "item": people["toner"].pk,
            "quantity": 4,
            "from_location": people["store_loc"].pk,
            "to_location": people["berlin"].pk,
        },
    )
    assert moved.status_code == 302
    assert StockMovement.objects.filter(reason="transferred").count() == 1
    refused = client.post(
        "/stock/move/",
        {"action": "transfer", "item": people["toner"].pk, "quantity": 400,
         "from_location": people["store_loc"].pk, "to_location": people["berlin"].pk},
    )  # fmt: skip
    assert refused.status_code == 409 and b"16 on hand, 400 asked" in refused.content


def test_asset_page_shows_the_maintenance_section(
    people: dict[str, Any], client: Client, make_asset: Any
) -> None:
    laptop = make_asset()
    services.send_for_repair(Actor.system(), laptop, title="screen")
    services.return_from_repair(
        Actor.system(), laptop, cost=__import__("decimal").Decimal("120"), currency="EUR"
    )
    client.force_login(people["procurement"])
    page = client.get(f"/assets/assets/{laptop.pk}/")
    assert page.status_code == 200
    assert b"Maintenance" in page.content and b"120.00 EUR" in page.content


def test_dashboard_cards_show_reorder_alerts_and_the_queue(
    people: dict[str, Any], client: Client
) -> None:
    client.force_login(people["procurement"])
    page = client.get("/")
    assert b'id="card-reorder-alerts"' in page.content
    assert b"Reorder alerts (below minimum)" in page.content
    services.submit_request(Actor(user=people["ana_user"]), people["headset_entry"], reason="x")
    client.force_login(people["minh_user"])
    page = client.get("/")
    assert b'id="card-approval-queue"' in page.content
    assert b'id="card-reorder-alerts"' not in page.content


def test_item_list_totals_storeroom_stock_without_a_query_per_row(
    people: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    client = bearer(people["procurement"])
    client.get("/api/stock/items/")  # warm the permission cache of the token
    with django_assert_max_num_queries(12):
        rows = client.get("/api/stock/items/").json()["results"]
    totals = {r["name"]: r["on_hand"] for r in rows}
    assert totals == {"Evolve2 headset": 9, "RAM 16GB": 0, "Toner A4": 20}
