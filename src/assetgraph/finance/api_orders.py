"""Purchase-order endpoints on the order resource's own path
(``/api/finance/purchase-orders/{id}/place|cancel|receive``) and budget status."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from assetgraph.accounts.permissions import get_object_or_404, restrict
from assetgraph.core.actor import api_actor
from assetgraph.org.models import Location

from . import procurement, schemas
from .models import Budget, PurchaseOrder

order_routes = Router()
budget_routes = Router()


def _order(request: HttpRequest, order_id: int, action: str = "change") -> PurchaseOrder:
    base = PurchaseOrder.objects.select_related("supplier", "cost_centre")
    return get_object_or_404(base, request.user, action, pk=order_id)


@order_routes.post(
    "/{int:order_id}/place",
    response=schemas.OrderOut,
    summary="Send a draft order to the supplier (draft → ordered)",
)
def place(request: HttpRequest, order_id: int) -> Any:
    return procurement.place_order(api_actor(request), _order(request, order_id))


@order_routes.post(
    "/{int:order_id}/cancel",
    response=schemas.OrderOut,
    summary="Cancel an order of which nothing was received",
)
def cancel(request: HttpRequest, order_id: int) -> Any:
    return procurement.cancel_order(api_actor(request), _order(request, order_id))


@order_routes.post(
    "/{int:order_id}/receive",
    response={201: schemas.ReceiptOut},
    summary="Receive part or all of an order; hardware becomes assets in stock",
)
def receive(request: HttpRequest, order_id: int, payload: schemas.ReceiveIn) -> Any:
    """One call receives any number of units ("50 laptops"); over-receiving is a 409, an
    unplaced order a 409, an unknown line a 422."""
    order = _order(request, order_id)
    location = None
    if payload.location_id is not None:
        location = get_object_or_404(
            Location.objects.all(), request.user, "view", pk=payload.location_id
        )
    receipt = procurement.receive_order(
        api_actor(request),
        order,
        procurement.parse_items(item.dict() for item in payload.items),
        location=location,
        received_on=payload.received_on,
    )
    assets = [
        {"id": asset.pk, "asset_tag": asset.asset_tag, "serial_number": asset.serial_number}
        for line in receipt.lines.all()
        for asset in line.assets.order_by("pk")
    ]
    order.refresh_from_db()
    return 201, {
        "id": receipt.pk,
        "order": order.number,
        "status": order.status,
        "received_on": receipt.received_on,
        "assets": assets,
    }


@budget_routes.get(
    "/{int:budget_id}/status",
    response=dict[str, Any],
    summary="A budget with committed (open orders) and actual (received) spend",
)
def status(request: HttpRequest, budget_id: int) -> Any:
    budget = get_object_or_404(
        restrict(Budget.objects.select_related("cost_centre"), request.user, "view"),
        request.user,
        "view",
        pk=budget_id,
    )
    return procurement.budget_status(budget).as_dict()
