"""Self-service requests: submit, approve, reject, cancel and fulfil.

The lifecycle is a table (:data:`TRANSITIONS`); every move is a conditional UPDATE on the
state read, so an approver and a canceller acting at once get one success and one 409. Each
step is an audit event on the request, which is what the request's History shows the
requester and the approvers. Fulfilling creates the hand-over in the same transaction: a
stock issue (nearest storeroom first), asset check-outs, or a kit issue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from assetgraph.accounts.permissions import has_perm, restrict
from assetgraph.assets.choices import AssetStateChoices, AssetSubstateChoices
from assetgraph.assets.models import Asset, Kit
from assetgraph.assets.services import check_out_asset, issue_kit
from assetgraph.audit.services import record_event, snapshot
from assetgraph.core.actor import Actor
from assetgraph.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from assetgraph.framework.crud import full_clean
from assetgraph.org.choices import PersonStatusChoices
from assetgraph.org.models import PATH_SEPARATOR, Person

from ..choices import ApprovalChoices
from ..choices import RequestStateChoices as State
from ..models import CatalogueEntry, StockItem, StockRequest
from .ledger import issue_stock, site_path

REQUEST_TYPE = "stock.stockrequest"


@dataclass(frozen=True)
class RequestTransition:
    """One allowed move of a request and who may make it (``who``: approver, fulfiller,
    requester)."""

    name: str
    label: str
    sources: tuple[str, ...]
    target: str
    who: tuple[str, ...]
    needs_reason: bool = False


TRANSITIONS: dict[str, RequestTransition] = {
    t.name: t
    for t in [
        RequestTransition("approve", "Approve", (State.SUBMITTED,), State.APPROVED, ("approver",)),
        RequestTransition(
            "reject",
            "Reject",
            (State.SUBMITTED, State.APPROVED),
            State.REJECTED,
            ("approver", "fulfiller"),
            needs_reason=True,
        ),
        RequestTransition(
            "cancel",
            "Cancel",
            (State.SUBMITTED, State.APPROVED),
            State.CANCELLED,
            ("requester",),
        ),
        RequestTransition("fulfil", "Fulfil", (State.APPROVED,), State.FULFILLED, ("fulfiller",)),
    ]
}


def person_of(user: Any) -> Person | None:
    """The person record linked to a user account, if any."""
    if user is None:
        return None
    pk = getattr(user, "pk", None)
    return None if pk is None else Person.objects.filter(user_id=pk).first()


def visible_requests(user: Any) -> QuerySet[StockRequest]:
    """Requests the user may see: their own, their reports' and (with ``view``) all."""
    base = StockRequest.objects.select_related("requester__manager", "entry")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return base.none()
    allowed = restrict(StockRequest.objects.all(), user, "view").values("pk")
    return base.filter(
        Q(pk__in=allowed) | Q(requester__user=user) | Q(requester__manager__user=user)
    )


def roles_of(user: Any, request: StockRequest) -> set[str]:
    """What the user is to this request: requester, approver, fulfiller (possibly several)."""
    roles: set[str] = set()
    if user is None:
        return {"approver", "fulfiller", "requester"}  # system actors (demo, CLI as system)
    if request.requester.user_id == user.pk:
        roles.add("requester")
    manager = request.requester.manager
    by_manager = request.entry.approval == ApprovalChoices.MANAGER and manager is not None
    if manager is not None and by_manager and manager.user_id in (user.pk,):
        roles.add("approver")
    no_manager_user = not by_manager or manager is None or manager.user_id is None
    if has_perm(user, REQUEST_TYPE, "approve") and (no_manager_user or user.is_superuser):
        roles.add("approver")
    if "requester" in roles and not user.is_superuser:
        roles.discard("approver")  # nobody approves their own request
    if has_perm(user, REQUEST_TYPE, "fulfil"):
        roles.add("fulfiller")
    return roles


def submit_request(
    actor: Actor,
    entry: CatalogueEntry,
    *,
    reason: str,
    quantity: int = 1,
    requester: Person | None = None,
) -> StockRequest:
    """An employee asks for a catalogue entry with a reason (for themselves, or — with
    ``add`` on requests — on behalf of ``requester``). Entries needing no approval are
    approved on submission."""
    own = person_of(actor.user)
    if requester is None:
        requester = own
    if requester is None:
        raise ValidationFailed(
            "requester: your account is not linked to a person; ask the helpdesk",
            fields={"requester": ["no person linked to this account"]},
        )
    if not actor.is_system:
        on_behalf = own is None or requester.pk != own.pk
        needed = "add" if on_behalf else "request"
        if not has_perm(actor.user, REQUEST_TYPE, needed):
            raise PermissionDenied(
                "you may not request on behalf of others"
                if on_behalf
                else "you may not submit requests"
            )
    if not entry.active:
        raise Conflict(f"{entry.title} is no longer offered", code="not_requestable")
    if requester.status == PersonStatusChoices.LEFT:
        raise Conflict(f"{requester} has left the company", code="transition_not_allowed")
    if not reason.strip():
        raise ValidationFailed("reason: say why you need it", fields={"reason": ["required"]})
    if isinstance(quantity, bool) or quantity < 1 or quantity > entry.max_quantity:
        message = f"between 1 and {entry.max_quantity}"
        raise ValidationFailed(f"quantity: {message}", fields={"quantity": [message]})
    with transaction.atomic():
        request = StockRequest(requester=requester, entry=entry, quantity=quantity, reason=reason)
        full_clean(request)
        request.save()
        record_event(actor, "submit", request, after=snapshot(request))
        if entry.approval == ApprovalChoices.NONE:
            StockRequest.objects.filter(pk=request.pk).update(
                state=State.APPROVED, decided_at=timezone.now(), decided_by="(no approval needed)"
            )
            before = snapshot(request)
            request.refresh_from_db()
            record_event(actor, "approve", request, before=before, after=snapshot(request))
        return request


def get_transition(name: str) -> RequestTransition:
    """The named transition, or a field error listing the valid names."""
    transition = TRANSITIONS.get(name)
    if transition is None:
        names = ", ".join(TRANSITIONS)
        raise ValidationFailed(
            f"transition: unknown {name!r} (use one of {names})",
            fields={"transition": [f"use one of {names}"]},
        )
    return transition


def transition_request(
    actor: Actor,
    request: StockRequest,
    name: str,
    *,
    note: str = "",
    from_location: Any = None,
) -> StockRequest:
    """Move a request along the table, or refuse: 404 if the actor may not see it, 403 if they
    see it but are not its approver/fulfiller/requester, 409 if the state does not allow it."""
    transition = get_transition(name)
    with transaction.atomic():
        current = StockRequest.objects.select_related(
            "requester__manager", "entry__stock_item", "entry__asset_model", "entry__kit"
        ).get(pk=request.pk)
        if not actor.is_system and not visible_requests(actor.user).filter(pk=current.pk).exists():
            raise NotFound("request not found")
        if not roles_of(actor.user, current) & set(transition.who):
            who = " or ".join(transition.who)
            raise PermissionDenied(f"only the request's {who} may {transition.label.lower()} it")
        if current.state not in transition.sources:
            allowed = ", ".join(State(s).label.lower() for s in transition.sources)
            raise Conflict(
                f"rule {name!r}: {current.number} is {current.get_state_display().lower()}; "
                f"{transition.label.lower()} is allowed only from {allowed}",
                code="transition_not_allowed",
            )
        if transition.needs_reason and not note.strip():
            raise ValidationFailed(
                f"note: required by rule {name!r}", fields={"note": ["required"]}
            )
        before = snapshot(current)
        now = timezone.now()
        updates: dict[str, Any] = {"state": transition.target, "updated": now}
        if name in ("approve", "reject"):
            updates.update(decided_by=actor.display[:150], decided_at=now, decision_note=note)
        if name == "fulfil":
            fulfilment = _fulfil(actor, current, from_location)
            updates.update(
                fulfilled_by=actor.display[:150], fulfilled_at=now, fulfilment=fulfilment
            )
        moved = StockRequest.objects.filter(pk=current.pk, state=current.state).update(**updates)
        if moved != 1:
            raise Conflict(
                f"{current.number} changed while you were looking; reload and retry",
                code="concurrent_change",
            )
        current.refresh_from_db()
        after = snapshot(current)
        if note:
            after["note"] = note
        record_event(actor, name, current, before=before, after=after)
        return current


def _nearest_assets(model_id: int, person: Person, count: int, actor: Actor) -> list[Asset]:
    stock = Asset.objects.filter(
        model_id=model_id,
        state=AssetStateChoices.IN_STOCK,
        substate=AssetSubstateChoices.AVAILABLE,
    ).select_related("location")
    if not actor.is_system:
        stock = restrict(stock, actor.user, "checkout")
    site = site_path(person.location.path if person.location is not None else None)

    def local(asset: Asset) -> bool:
        path = asset.location.path if asset.location is not None else ""
        return bool(site) and (path == site or path.startswith(f"{site}{PATH_SEPARATOR}"))

    candidates = sorted(
        stock.order_by("asset_tag")[:500], key=lambda a: (not local(a), a.asset_tag)
    )
    if len(candidates) < count:
        raise Conflict(
            f"not enough available assets of this model: {count} needed, {len(candidates)} "
            "available",
            code="insufficient_stock",
        )
    return candidates[:count]


def _fulfil(actor: Actor, request: StockRequest, from_location: Any) -> str:
    """Hand over what was requested; returns a description for the request."""
    entry, person = request.entry, request.requester
    if entry.stock_item_id is not None:
        line = issue_stock(
            actor,
            entry.stock_item,  # type: ignore[arg-type]
            request.quantity,
            to_person=person,
            from_location=from_location,
            reference=request.number,
        )
        assert line.from_location is not None
        return (
            f"issued {line.quantity} x {entry.stock_item} from {line.from_location} "
            f"(line {line.pk})"
        )
    if entry.asset_model_id is not None:
        assets = _nearest_assets(entry.asset_model_id, person, request.quantity, actor)
        for asset in assets:
            check_out_asset(actor, asset, to_person=person, notes=f"request {request.number}")
        return "checked out " + ", ".join(a.asset_tag for a in assets)
    assert entry.kit is not None
    parts = [
        issue_kit_with_stock(actor, entry.kit, person, reference=request.number)
        for _ in range(request.quantity)
    ]
    return f"issued kit {entry.kit.name}: " + "; ".join(parts)


def issue_kit_with_stock(actor: Actor, kit: Kit, person: Person, *, reference: str = "") -> str:
    """Issue a kit to one person when some of its models are stock items (a headset, a
    cable): those come from the nearest storeroom as ledger lines, the serialised models are
    checked out as assets (at the person's site first). All or nothing; a kit with no stock
    items is the assets app's kit issue unchanged."""
    items = list(kit.items.select_related("model").order_by("id"))
    stocked = {
        s.model_id: s for s in StockItem.objects.filter(model_id__in=[i.model_id for i in items])
    }
    if not stocked:
        return ", ".join(r.asset.asset_tag for r in issue_kit(actor, kit, [person]))
    handed: list[str] = []
    with transaction.atomic():
        for kit_item in items:
            stock_item = stocked.get(kit_item.model_id)
            if stock_item is not None:
                line = issue_stock(
                    actor, stock_item, kit_item.quantity, to_person=person, reference=reference
                )
                handed.append(f"{line.quantity} x {stock_item.name} from {line.from_location}")
                continue
            for asset in _nearest_assets(kit_item.model_id, person, kit_item.quantity, actor):
                check_out_asset(actor, asset, to_person=person, notes=f"kit {kit.name}")
                handed.append(asset.asset_tag)
    return ", ".join(handed)
