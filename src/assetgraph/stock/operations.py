"""The stock app's event hooks, registered with the events app (which imports this module by
name at start-up and never imports stock). They read the audit spine after commit (so a step
that rolled back does nothing):

* a person linked to a login gives that user the Self-service role (every employee has it);

* a request step tells the people with a part in it: on *submit* its approvers (the
  requester's manager, or the users who approve for the helpdesk, as the entry says), on
  *approve* the requester and its fulfillers, on *reject*, *fulfil* and *cancel* the
  requester; nobody is told of their own step;
* a ledger line that takes a storeroom from its minimum or more to below it tells the users who
  restock (``add`` on ledger lines and ``view`` on items: Procurement), once per crossing.

Every recipient is checked against the request's visibility (or ``view`` on stock items), so a
notification never names something its reader could not open.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Sum
from django.urls import reverse

from assetgraph.accounts.models import Role
from assetgraph.accounts.permissions import has_perm
from assetgraph.accounts.services import set_user_roles
from assetgraph.audit.models import AuditEvent
from assetgraph.core.actor import Actor
from assetgraph.events.delivery import register_event_hook
from assetgraph.events.notifications import notify, register_kind, users_granted

from .models import StockMovement, StockRequest
from .querysets import storeroom_balances
from .services.requests import REQUEST_TYPE, roles_of, visible_requests

register_kind("request_to_act", "Requests waiting for you")
register_kind("request_update", "Your requests")
register_kind("reorder", "Stock below its minimum")


def _request_url(request: StockRequest) -> str:
    return reverse("ui:stock:request_detail", args=[request.pk])


def _tell(user: Any, request: StockRequest, kind: str, subject: str, event: AuditEvent) -> None:
    if user is None or not visible_requests(user).filter(pk=request.pk).exists():
        return
    body = (
        f"{request.number}: {request.quantity} x {request.entry.title} for {request.requester}"
        f" ({request.reason}). {event.actor_repr} {event.action}."
    )
    note = (event.after or {}).get("note")
    if note:
        body += f" Note: {note}"
    notify(user, kind, subject, body, _request_url(request), source_event=event.pk)


def notify_request_step(event: AuditEvent) -> None:
    """Tell the requester, approvers and fulfillers of a request step (see the module)."""
    if event.object_type != REQUEST_TYPE:
        return
    request = (
        StockRequest.objects.select_related("requester__manager__user", "requester__user", "entry")
        .filter(pk=event.object_id)
        .first()
    )
    if request is None:
        return
    actor_id = event.actor_id
    requester = request.requester.user
    recipients: list[tuple[Any, str, str]] = []
    if event.action == "submit" and request.state == "submitted":
        approvers = [request.requester.manager.user] if request.requester.manager else []
        approvers += users_granted(REQUEST_TYPE, "approve")
        for user in {u.pk: u for u in approvers if u is not None}.values():
            if "approver" in roles_of(user, request):
                subject = f"{request.number} from {request.requester} awaits your approval"
                recipients.append((user, "request_to_act", subject))
    elif event.action == "approve":
        recipients.append((requester, "request_update", f"{request.number} was approved"))
        for user in users_granted(REQUEST_TYPE, "fulfil"):
            subject = f"{request.number} for {request.requester} is approved: fulfil it"
            recipients.append((user, "request_to_act", subject))
    elif event.action in {"reject", "fulfil", "cancel"}:
        past = {"reject": "rejected", "fulfil": "fulfilled", "cancel": "cancelled"}[event.action]
        recipients.append((requester, "request_update", f"{request.number} was {past}"))
    told: set[int] = set()
    for user, kind, subject in recipients:
        if user is None or user.pk == actor_id or user.pk in told:
            continue
        told.add(user.pk)
        _tell(user, request, kind, subject, event)


def _on_hand_after(movement: StockMovement) -> int:
    """Stock of the line's item at its source storeroom right after the line (ledger order)."""
    lines = StockMovement.objects.filter(item_id=movement.item_id, pk__lte=movement.pk)
    location = movement.from_location_id
    into = lines.filter(to_location_id=location).aggregate(n=Sum("quantity"))["n"] or 0
    out = lines.filter(from_location_id=location).aggregate(n=Sum("quantity"))["n"] or 0
    return int(into - out)


def notify_reorder(event: AuditEvent) -> None:
    """A line that takes a storeroom from at least its minimum to below it tells the users
    who may restock (``add`` on ledger lines: Procurement), once per crossing."""
    if event.object_type != "stock.stockmovement":
        return
    movement = (
        StockMovement.objects.select_related("item", "from_location")
        .filter(pk=event.object_id, from_location__isnull=False)
        .first()
    )
    if movement is None or movement.from_location_id is None:
        return
    balance = (
        storeroom_balances()
        .filter(item_id=movement.item_id, location_id=movement.from_location_id)
        .first()
    )
    if balance is None or not balance.minimum:  # type: ignore[attr-defined]
        return
    minimum = int(balance.minimum)  # type: ignore[attr-defined]
    after = _on_hand_after(movement)
    if not after < minimum <= after + movement.quantity:
        return
    subject = f"{movement.item} at {movement.from_location}: {after} left, minimum {minimum}"
    body = (
        f"{event.actor_repr} took {movement.quantity} ({movement.get_reason_display()}); "
        "see the reorder report for a suggested quantity."
    )
    for user in users_granted("stock.stockmovement", "add"):
        if has_perm(user, "stock.stockitem", "view"):
            notify(
                user, "reorder", subject, body, reverse("ui:stock:alerts"), source_event=event.pk
            )


SELF_SERVICE = "Self-service"


def grant_self_service(event: AuditEvent) -> None:
    """Every employee gets the Self-service role: when a person is created with a login, or a
    login is linked to a person (by hand, an import, directory sync or SCIM), that user gets
    the role added to theirs (audited as ``set_roles`` by the system). A role removed by an
    administrator afterwards stays removed: only a new link adds it again."""
    if event.object_type != "org.person" or event.action not in {"create", "update"}:
        return
    user_id = (event.after or {}).get("user")
    if not user_id or (event.action == "update" and "user" not in (event.changed_fields or [])):
        return
    user = get_user_model()._default_manager.filter(pk=user_id, is_active=True).first()
    if user is None or not Role.objects.filter(name=SELF_SERVICE).exists():
        return
    names = list(user.roles.values_list("name", flat=True))
    if SELF_SERVICE not in names:
        set_user_roles(Actor.system("every employee"), user, [*names, SELF_SERVICE])


register_event_hook(grant_self_service)
register_event_hook(notify_request_step)
register_event_hook(notify_reorder)
