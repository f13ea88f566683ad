"""REST endpoints of the stock app that are not generic, under ``/api/stock/``: the ledger
(movements, on hand, balances, alerts, reorder report, minimums), self-service requests,
reservations of loaners, repairs and the repairs-per-model report."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from assetgraph.accounts.permissions import get_object_or_404, has_perm, restrict
from assetgraph.api.crud import require_view
from assetgraph.api.pagination import Page, page_request, paginate
from assetgraph.assets.models import Asset
from assetgraph.audit.models import AuditEvent
from assetgraph.core.actor import api_actor
from assetgraph.core.errors import MissingReference, NotFound, PermissionDenied, ValidationFailed
from assetgraph.org.models import Company, Location, Person

from . import schemas, services
from .models import (
    CatalogueEntry,
    Loaner,
    Reservation,
    StockItem,
    StockMovement,
    StockRequest,
)
from .querysets import (
    below_minimum,
    holdings,
    ledger_on_hand,
    on_hand,
    reorder_report,
    storeroom_balances,
)
from .reports import repairs_per_model
from .services.requests import person_of

router = Router(tags=["stock"])
MOVEMENT_ORDERINGS = {"occurred_at": "occurred_at", "id": "pk"}
REQUEST_ORDERINGS = {"created": "created", "id": "pk"}
RESERVATION_ORDERINGS = {"start": "start", "id": "pk"}


def visible_ref(request: HttpRequest, model: type[Any], pk: int | None, field: str) -> Any:
    """A referenced object the caller can see, or a 422 naming the field (hidden = absent)."""
    if pk is None:
        return None
    found = restrict(model._default_manager.all(), request.user, "view").filter(pk=pk).first()
    if found is None:
        noun = model._meta.verbose_name
        raise MissingReference(f"{field}: {noun} {pk} not found", fields={field: ["not found"]})
    return found


# ------------------------------------------------------------------------------ ledger
@router.get(
    "/movements",
    response=Page[schemas.MovementOut],
    summary="Ledger lines, newest first (filter by item, reason, location, person, period)",
)
def list_movements(request: HttpRequest, filters: Query[schemas.MovementFilter]) -> dict[str, Any]:
    require_view(request, "stock.stockmovement")
    lines = restrict(StockMovement.objects.all(), request.user, "view").select_related(
        "item", "from_location", "from_person", "from_asset", "to_location", "to_person"
    )
    paging = page_request(request.GET, MOVEMENT_ORDERINGS, "-occurred_at")
    rows, next_cursor = paginate(filters.filter(lines), paging, MOVEMENT_ORDERINGS)
    return {"results": rows, "next": next_cursor}


@router.post(
    "/movements",
    response={201: schemas.MovementOut, 200: None},
    summary="Receive, issue, return, transfer, write off or count stock (one ledger line)",
)
def post_movement(request: HttpRequest, payload: schemas.MovementIn) -> Any:
    """A shortfall is a 409 naming what is on hand; nothing is written."""
    item = visible_ref(request, StockItem, payload.item_id, "item_id")
    ref = {
        name: visible_ref(request, model, getattr(payload, f"{name}_id"), f"{name}_id")
        for name, model in (
            ("from_location", Location),
            ("to_location", Location),
            ("from_person", Person),
            ("to_person", Person),
            ("from_asset", Asset),
            ("to_asset", Asset),
        )
    }
    actor = api_actor(request)
    line = _dispatch(actor, payload, item, ref)
    return (201, line) if line is not None else (200, None)


def _quantity(payload: schemas.MovementIn) -> int:
    if payload.quantity is None:
        raise ValidationFailed("quantity: required", fields={"quantity": ["required"]})
    return payload.quantity


def _dispatch(actor: Any, payload: schemas.MovementIn, item: StockItem, ref: dict[str, Any]) -> Any:
    action = payload.action
    if action == "receive":
        return services.receive_stock(
            actor,
            item,
            _need(ref["to_location"], "to_location_id"),
            _quantity(payload),
            unit_cost=payload.unit_cost,
            currency=payload.currency,
            reference=payload.reference,
            note=payload.note,
        )
    if action == "issue":
        return services.issue_stock(
            actor,
            item,
            _quantity(payload),
            to_person=ref["to_person"],
            to_location=ref["to_location"],
            to_asset=ref["to_asset"],
            from_location=ref["from_location"],
            reference=payload.reference,
            note=payload.note,
        )
    if action == "return":
        return services.return_stock(
            actor,
            item,
            _quantity(payload),
            to_location=_need(ref["to_location"], "to_location_id"),
            from_person=ref["from_person"],
            from_location=ref["from_location"],
            from_asset=ref["from_asset"],
            note=payload.note,
        )
    if action == "transfer":
        return services.transfer_stock(
            actor,
            item,
            _quantity(payload),
            from_location=_need(ref["from_location"], "from_location_id"),
            to_location=_need(ref["to_location"], "to_location_id"),
            reference=payload.reference,
            note=payload.note,
        )
    if action == "write_off":
        return services.write_off_stock(
            actor,
            item,
            _quantity(payload),
            from_location=ref["from_location"],
            from_person=ref["from_person"],
            note=payload.note,
        )
    if payload.found is None:
        raise ValidationFailed("found: required for a count", fields={"found": ["required"]})
    return services.count_stock(
        actor,
        item,
        _need(ref["from_location"] or ref["to_location"], "to_location_id"),
        payload.found,
        note=payload.note,
    )


def _need(value: Any, field: str) -> Any:
    if value is None:
        raise ValidationFailed(f"{field}: required", fields={field: ["required"]})
    return value


@router.get(
    "/on-hand",
    response=schemas.OnHandOut,
    summary="Stock on hand of an item at a location, now or as of a date (sum of the ledger)",
)
def get_on_hand(
    request: HttpRequest, item_id: int, location_id: int, as_of: dt.datetime | None = None
) -> dict[str, Any]:
    require_view(request, "stock.stockitem")
    visible_ref(request, StockItem, item_id, "item_id")
    visible_ref(request, Location, location_id, "location_id")
    value = (
        on_hand(item_id, location_id)
        if as_of is None
        else ledger_on_hand(item_id, location_id, as_of)
    )
    return {"item_id": item_id, "location_id": location_id, "as_of": as_of, "on_hand": value}


@router.get(
    "/balances",
    response=list[schemas.BalanceOut],
    summary="Storeroom stock (with effective minimums), optionally for one location or item",
)
def list_balances(
    request: HttpRequest, location_id: int | None = None, item_id: int | None = None
) -> Any:
    require_view(request, "stock.stockitem")
    balances = storeroom_balances().filter(
        item__in=restrict(StockItem.objects.all(), request.user, "view")
    )
    if location_id is not None:
        balances = balances.filter(location_id=location_id)
    if item_id is not None:
        balances = balances.filter(item_id=item_id)
    return list(balances.order_by("location__path", "item__name")[:5000])


@router.get(
    "/alerts",
    response=list[schemas.BalanceOut],
    summary="Reorder alerts: storeroom stock below its minimum",
)
def alerts(request: HttpRequest) -> Any:
    require_view(request, "stock.stockitem")
    return list(below_minimum(request.user)[:5000])


@router.get(
    "/reorder",
    response=list[schemas.ReorderOut],
    summary="What to order: minimum + last 90 days' consumption - on hand, per storeroom",
)
def reorder(request: HttpRequest) -> Any:
    require_view(request, "stock.stockitem")
    return [
        {
            "item": line.balance.item,
            "location": line.balance.location,
            "on_hand": line.balance.on_hand,
            "minimum": line.minimum,
            "consumed_90_days": line.consumed,
            "suggested": line.suggested,
        }
        for line in reorder_report(request.user)
    ]


@router.put(
    "/minimums",
    response=schemas.BalanceOut,
    summary="Set (or clear with null) a storeroom's own minimum of an item",
)
def set_minimum(request: HttpRequest, payload: schemas.MinimumIn) -> Any:
    item = visible_ref(request, StockItem, payload.item_id, "item_id")
    location = visible_ref(request, Location, payload.location_id, "location_id")
    balance = services.set_minimum(api_actor(request), item, location, payload.min_quantity)
    return storeroom_balances().get(pk=balance.pk)


@router.get(
    "/mine",
    response=schemas.MineOut,
    summary="What the signed-in employee holds: assets in their custody and stock issued",
)
def mine(request: HttpRequest) -> dict[str, Any]:
    person = person_of(request.user)
    if person is None:  # an account with no person record holds nothing
        return {"person": None, "assets": [], "stock": []}
    assets = Asset.objects.filter(custodian=person).select_related("model").order_by("asset_tag")
    return {
        "person": {"id": person.pk, "display": str(person)},
        "assets": [
            {"id": a.pk, "asset_tag": a.asset_tag, "model": a.model.name, "name": a.name}
            for a in assets
        ],
        "stock": [
            {
                "item": {"id": b.item_id, "display": b.item.name},
                "kind": b.item.kind,
                "on_hand": b.on_hand,
            }
            for b in holdings(person.pk)
        ],
    }


# ------------------------------------------------------------------------------ requests
def _request(request: HttpRequest, request_id: int) -> StockRequest:
    found = services.visible_requests(request.user).filter(pk=request_id).first()
    if found is None:
        raise NotFound("request not found")
    return found


@router.get(
    "/requests",
    response=Page[schemas.RequestOut],
    summary="Requests the caller may see: their own, their reports', all with view",
)
def list_requests(request: HttpRequest, filters: Query[schemas.RequestFilter]) -> dict[str, Any]:
    requests = services.visible_requests(request.user)
    if filters.mine:
        requests = requests.filter(requester__user_id=request.user.pk or 0)
    if filters.state:
        requests = requests.filter(state=filters.state)
    if filters.requester_id:
        requests = requests.filter(requester_id=filters.requester_id)
    paging = page_request(request.GET, REQUEST_ORDERINGS, "-created")
    rows, next_cursor = paginate(requests, paging, REQUEST_ORDERINGS)
    return {"results": rows, "next": next_cursor}


@router.post(
    "/requests",
    response={201: schemas.RequestOut},
    summary="Request a catalogue entry with a reason (for yourself, or on behalf with add)",
)
def submit(request: HttpRequest, payload: schemas.RequestIn) -> Any:
    entry = CatalogueEntry.objects.filter(pk=payload.entry_id, active=True).first()
    if entry is None or not has_perm(request.user, "stock.catalogueentry", "view"):
        raise MissingReference("entry_id: not found", fields={"entry_id": ["not found"]})
    requester = visible_ref(request, Person, payload.requester_id, "requester_id")
    created = services.submit_request(
        api_actor(request),
        entry,
        reason=payload.reason,
        quantity=payload.quantity,
        requester=requester,
    )
    return 201, _request(request, created.pk)


@router.get(
    "/requests/{int:request_id}",
    response=schemas.RequestOut,
    summary="One request (404 unless it is yours, your report's, or you may view all)",
)
def get_request(request: HttpRequest, request_id: int) -> Any:
    return _request(request, request_id)


@router.post(
    "/requests/{int:request_id}/transition",
    response=schemas.RequestOut,
    summary="Approve, reject (with a note), cancel or fulfil a request",
)
def transition(request: HttpRequest, request_id: int, payload: schemas.RequestTransitionIn) -> Any:
    current = _request(request, request_id)
    source = visible_ref(request, Location, payload.from_location_id, "from_location_id")
    services.transition_request(
        api_actor(request), current, payload.transition, note=payload.note, from_location=source
    )
    return _request(request, request_id)


@router.get(
    "/requests/{int:request_id}/history",
    response=list[dict[str, Any]],
    summary="Every step of a request (submitted, approved, fulfilled…), oldest first",
)
def request_history(request: HttpRequest, request_id: int) -> Any:
    current = _request(request, request_id)
    return request_steps(current)


def request_steps(current: StockRequest) -> list[dict[str, Any]]:
    """The audit events of a request as steps: who, what, when and the note."""
    events = AuditEvent.objects.filter(
        object_type="stock.stockrequest", object_id=str(current.pk)
    ).order_by("id")
    return [
        {
            "action": e.action,
            "actor": e.actor_repr,
            "time": e.timestamp.isoformat(),
            "state": (e.after or {}).get("state", ""),
            "note": (e.after or {}).get("note", ""),
        }
        for e in events
    ]


# ------------------------------------------------------------------------------ reservations
def _reservation(request: HttpRequest, reservation_id: int, action: str) -> Reservation:
    base = Reservation.objects.select_related("loaner__asset", "person")
    return get_object_or_404(base, request.user, action, pk=reservation_id)


@router.get(
    "/reservations",
    response=Page[schemas.ReservationOut],
    summary="Bookings of loaners (filter by loaner, state, period)",
)
def list_reservations(
    request: HttpRequest, filters: Query[schemas.ReservationFilter]
) -> dict[str, Any]:
    require_view(request, "stock.reservation")
    rows_qs = restrict(Reservation.objects.all(), request.user).select_related(
        "loaner__asset", "person"
    )
    paging = page_request(request.GET, RESERVATION_ORDERINGS, "start")
    rows, next_cursor = paginate(filters.filter(rows_qs), paging, RESERVATION_ORDERINGS)
    return {"results": rows, "next": next_cursor}


@router.post(
    "/reservations",
    response={201: schemas.ReservationOut},
    summary="Book a loaner for a period; an overlap with an open booking is a 409",
)
def book(request: HttpRequest, payload: schemas.ReservationIn) -> Any:
    loaner = visible_ref(request, Loaner, payload.loaner_id, "loaner_id")
    person = visible_ref(request, Person, payload.person_id, "person_id")
    booked = services.book_loaner(
        api_actor(request), loaner, person, payload.start, payload.end, purpose=payload.purpose
    )
    return 201, booked


@router.post(
    "/reservations/{int:reservation_id}/cancel",
    response=schemas.ReservationOut,
    summary="Cancel an open booking",
)
def cancel(request: HttpRequest, reservation_id: int) -> Any:
    current = _reservation(request, reservation_id, "change")
    return services.cancel_reservation(api_actor(request), current)


@router.post(
    "/reservations/{int:reservation_id}/pick-up",
    response=schemas.ReservationOut,
    summary="Check the loaner out to the borrower; closes the booking",
)
def pick_up(request: HttpRequest, reservation_id: int) -> Any:
    current = _reservation(request, reservation_id, "change")
    services.pick_up_reservation(api_actor(request), current)
    return _reservation(request, reservation_id, "view")


# ------------------------------------------------------------------------------ repairs
def _asset(request: HttpRequest, asset_id: int) -> Asset:
    return get_object_or_404(Asset.objects.all(), request.user, "view", pk=asset_id)


@router.post(
    "/assets/{int:asset_id}/send-for-repair",
    response={201: schemas.MaintenanceOut},
    summary="Move an asset to repair (checking it in first if in use) and open a repair record",
)
def send_for_repair(request: HttpRequest, asset_id: int, payload: schemas.RepairSendIn) -> Any:
    asset = _asset(request, asset_id)
    supplier = visible_ref(request, Company, payload.supplier_id, "supplier_id")
    record = services.send_for_repair(
        api_actor(request),
        asset,
        title=payload.title,
        supplier=supplier,
        kind=payload.kind,
        notes=payload.notes,
    )
    return 201, record


@router.post(
    "/assets/{int:asset_id}/return-from-repair",
    response=schemas.MaintenanceOut,
    summary="Bring an asset back from repair and close its repair record with the cost",
)
def return_from_repair(request: HttpRequest, asset_id: int, payload: schemas.RepairReturnIn) -> Any:
    asset = _asset(request, asset_id)
    return services.return_from_repair(
        api_actor(request),
        asset,
        cost=payload.cost,
        currency=payload.currency,
        warranty_covered=payload.warranty_covered,
        defective=payload.defective,
        notes=payload.notes,
    )


@router.get(
    "/assets/{int:asset_id}/maintenance-costs",
    response=dict[str, str],
    summary="An asset's maintenance spend per currency (warranty-covered work excluded)",
)
def maintenance_costs(request: HttpRequest, asset_id: int) -> dict[str, str]:
    asset = _asset(request, asset_id)
    if not has_perm(request.user, "stock.maintenancerecord", "view"):
        raise PermissionDenied("you may not view maintenance records")
    return {k: str(v) for k, v in services.maintenance_costs(asset.pk).items()}


@router.get(
    "/repairs-per-model",
    response=list[schemas.RepairsPerModelOut],
    summary="Models by share of their assets repaired (the models that fail most)",
)
def repairs_report(request: HttpRequest) -> Any:
    require_view(request, "stock.maintenancerecord")
    return [
        {
            "model": row.model,
            "assets": row.assets,
            "repairs": row.repairs,
            "assets_repaired": row.assets_repaired,
            "repair_rate": row.repair_rate,
            "costs": row.costs,
        }
        for row in repairs_per_model(request.user)
    ]
