"""Visibility of the stock types whose API surface is hand-built: the ledger's movements,
requests (with their transitions) and loaner reservations (with cancel)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client

from assetgraph.core.actor import Actor
from assetgraph.org import services as org
from assetgraph.stock import services
from assetgraph.stock.models import StockMovement

from ..test_permission_coverage import ReadSurfaceHarness
from .test_permissions import _asset, _model

SYSTEM = Actor.system("harness")


def _stock_item(site: dict[str, Any], name: str) -> Any:
    return services.create_stock_item(
        SYSTEM, {"name": name, "kind": "accessory", "model": _model(site, f"{name} model")}
    )


class TestStockMovementVisibility(ReadSurfaceHarness):
    object_type = "stock.stockmovement"

    def make_object(self, site: dict[str, Any]) -> Any:
        item = _stock_item(site, "Harness dock")
        shelf = org.create_location(
            SYSTEM, {"name": "Shelf", "kind": "floor", "parent": site["room"]}
        )
        services.create_storeroom(SYSTEM, {"name": "Harness store", "location": shelf})
        services.receive_stock(SYSTEM, item, shelf, 4, reference="PO-H")
        return StockMovement.objects.get(item=item)

    def list_url(self, obj: Any) -> str:
        return "/api/stock/movements?limit=1000"


class TestStockRequestVisibility(ReadSurfaceHarness):
    object_type = "stock.stockrequest"

    def make_object(self, site: dict[str, Any]) -> Any:
        entry = services.create_catalogue_entry(
            SYSTEM,
            {"title": "Harness headset", "stock_item": _stock_item(site, "Harness headset")},
        )
        return services.submit_request(SYSTEM, entry, reason="harness", requester=site["ana"])

    def list_url(self, obj: Any) -> str:
        return "/api/stock/requests?limit=1000"

    def detail_url(self, obj: Any) -> str:
        return f"/api/stock/requests/{obj.pk}"

    def write(self, client: Client, obj: Any) -> Any:
        return client.post(
            f"/api/stock/requests/{obj.pk}/transition",
            {"transition": "cancel", "note": "harness"},
            content_type="application/json",
        )


class TestReservationVisibility(ReadSurfaceHarness):
    object_type = "stock.reservation"

    def make_object(self, site: dict[str, Any]) -> Any:
        loaner = services.create_loaner(SYSTEM, {"asset": _asset(site, "LOAN-RH1")})
        start = dt.datetime(2027, 1, 4, 9, tzinfo=dt.UTC)
        return services.book_loaner(
            SYSTEM, loaner, site["minh"], start, start + dt.timedelta(days=3), purpose="trip"
        )

    def list_url(self, obj: Any) -> str:
        return "/api/stock/reservations?limit=1000"

    def write(self, client: Client, obj: Any) -> Any:
        return client.post(f"/api/stock/reservations/{obj.pk}/cancel")
