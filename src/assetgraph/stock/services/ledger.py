"""Stock movements: every write of quantities is one ledger line plus its balance updates.

:func:`post_movement` is the only writer of :class:`StockMovement` and :class:`StockBalance`
(the importer reuses :func:`apply_to_balances`). In one transaction it validates the line,
takes the quantity from the source holder by a conditional UPDATE
(``SET on_hand = on_hand - q WHERE on_hand >= q``), gives it to the target holder, inserts the
line and audits it. Two clerks issuing the last headset both pass their checks, but only one
UPDATE matches a row (PostgreSQL re-evaluates the condition after the first commits; SQLite
serialises writers), so the other gets a 409 and nothing of theirs is written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Model
from django.utils import timezone

from assetgraph.accounts.permissions import authorize, restrict
from assetgraph.assets.models import Asset
from assetgraph.audit.services import record_event, snapshot
from assetgraph.core.actor import Actor
from assetgraph.core.errors import Conflict, MissingReference, ValidationFailed
from assetgraph.framework.crud import full_clean
from assetgraph.org.models import PATH_SEPARATOR, Location, Person

from ..choices import MovementReasonChoices as Reason
from ..choices import StockKindChoices as Kind
from ..models import StockBalance, StockItem, StockMovement, Storeroom

HOLDER_MODELS: dict[str, type[Model]] = {"location": Location, "person": Person, "asset": Asset}


@dataclass(frozen=True)
class Holder:
    """Who holds stock: a location, a person or an asset, by id."""

    kind: str
    pk: int

    @classmethod
    def of(cls, obj: Model | None) -> Holder | None:
        """The holder for a Location, Person or Asset instance (None stays None)."""
        if obj is None:
            return None
        for kind, model in HOLDER_MODELS.items():
            if isinstance(obj, model):
                return cls(kind, int(obj.pk))
        raise TypeError(f"{type(obj).__name__} cannot hold stock")

    @property
    def lookup(self) -> dict[str, int]:
        return {f"{self.kind}_id": self.pk}

    def describe(self) -> str:
        """The holder's name, for messages."""
        obj = HOLDER_MODELS[self.kind]._default_manager.filter(pk=self.pk).first()
        return str(obj) if obj is not None else f"{self.kind} {self.pk}"


def _visible(actor: Actor, obj: Model, field: str) -> None:
    """References to objects the actor cannot see are 'not found', as on every surface."""
    if actor.is_system:
        return
    model = type(obj)
    if not restrict(model._default_manager.all(), actor.user, "view").filter(pk=obj.pk).exists():
        noun = model._meta.verbose_name
        raise MissingReference(f"{field}: {noun} {obj.pk} not found", fields={field: ["not found"]})


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", fields={field: [message]})


def storeroom_of(location: Location | None) -> Storeroom | None:
    """The active storeroom at exactly this location, if any."""
    if location is None:
        return None
    return Storeroom.objects.filter(location_id=location.pk, active=True).first()


def _require_storeroom(location: Location | None, field: str) -> Location:
    if location is None:
        raise _invalid(field, "choose a storeroom")
    if storeroom_of(location) is None:
        raise _invalid(field, f"{location} is not an active storeroom")
    return location


# ------------------------------------------------------------------------------ balances
def _take(item: StockItem, holder: Holder, quantity: int) -> None:
    """Decrease a holder's balance, or refuse (409) when it holds fewer than ``quantity``."""
    won = StockBalance.objects.filter(
        item_id=item.pk, on_hand__gte=quantity, **holder.lookup
    ).update(on_hand=F("on_hand") - quantity)
    if won:
        return
    have = (
        StockBalance.objects.filter(item_id=item.pk, **holder.lookup)
        .values_list("on_hand", flat=True)
        .first()
    ) or 0
    message = f"not enough {item.name} at {holder.describe()}: {have} on hand, {quantity} asked"
    raise Conflict(message, fields={"quantity": [message]}, code="insufficient_stock")


def _give(item: StockItem, holder: Holder, quantity: int) -> None:
    """Increase a holder's balance, creating its row on first use (race-safe)."""
    if StockBalance.objects.filter(item_id=item.pk, **holder.lookup).update(
        on_hand=F("on_hand") + quantity
    ):
        return
    try:
        with transaction.atomic():
            StockBalance.objects.create(item_id=item.pk, on_hand=quantity, **holder.lookup)
    except IntegrityError:  # another writer created the row meanwhile: add to it
        StockBalance.objects.filter(item_id=item.pk, **holder.lookup).update(
            on_hand=F("on_hand") + quantity
        )


def apply_to_balances(movement: StockMovement, item: StockItem) -> None:
    """Apply one line to the balance table (source first, so a shortfall writes nothing)."""
    source, target = movement.side("from"), movement.side("to")
    if source is not None:
        _take(item, Holder(*source), movement.quantity)
    if target is not None:
        _give(item, Holder(*target), movement.quantity)


# ------------------------------------------------------------------------------ the writer
def post_movement(
    actor: Actor,
    item: StockItem,
    quantity: int,
    reason: str,
    *,
    source: Model | None = None,
    target: Model | None = None,
    action: str = "add",
    unit_cost: Decimal | None = None,
    currency: str = "",
    reference: str = "",
    note: str = "",
    expected: int | None = None,
    found: int | None = None,
) -> StockMovement:
    """Write one ledger line and its balance updates, audited, in one transaction.

    ``action`` is the permission the actor needs on stock movements (``add`` for storeroom
    work, ``issue`` for hand-outs and returns). Quantities must be whole and positive.
    """
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise _invalid("quantity", "a whole number of at least 1")
    if unit_cost is None and item.unit_cost is not None and reason == Reason.RECEIVED:
        unit_cost, currency = item.unit_cost, item.currency
    source_holder, target_holder = Holder.of(source), Holder.of(target)
    with transaction.atomic():
        movement = StockMovement(
            item=item,
            quantity=quantity,
            reason=reason,
            unit_cost=unit_cost,
            currency=currency or "",
            reference=reference,
            note=note,
            expected_quantity=expected,
            found_quantity=found,
            occurred_at=timezone.now(),
            recorded_by=actor.display[:150],
        )
        for prefix, holder in (("from", source_holder), ("to", target_holder)):
            if holder is not None:
                setattr(movement, f"{prefix}_{holder.kind}_id", holder.pk)
        authorize(actor, action, movement)
        full_clean(movement)
        apply_to_balances(movement, item)
        movement.save()
        record_event(actor, reason, movement, after=snapshot(movement))
        return movement


def _check_item(actor: Actor, item: StockItem) -> StockItem:
    _visible(actor, item, "item")
    return StockItem.objects.select_related("model__category").get(pk=item.pk)


# ------------------------------------------------------------------------------ use cases
def receive_stock(
    actor: Actor,
    item: StockItem,
    location: Location,
    quantity: int,
    *,
    unit_cost: Decimal | None = None,
    currency: str = "",
    reference: str = "",
    note: str = "",
) -> StockMovement:
    """Goods in: ``quantity`` arrives at a storeroom from a supplier (a PO, a delivery)."""
    item = _check_item(actor, item)
    _visible(actor, location, "location")
    _require_storeroom(location, "location")
    return post_movement(
        actor,
        item,
        quantity,
        Reason.RECEIVED,
        target=location,
        unit_cost=unit_cost,
        currency=currency,
        reference=reference,
        note=note,
    )


def site_path(path: str | None) -> str | None:
    """The site prefix of a location path (``EMEA / London`` of ``EMEA / London / HQ``)."""
    if not path:
        return None
    sites = Location.objects.filter(kind="site").values_list("path", flat=True)
    matches = [s for s in sites if path == s or path.startswith(s + PATH_SEPARATOR)]
    return max(matches, key=len) if matches else None


def storerooms_nearest(person: Person | None) -> list[Storeroom]:
    """Active storerooms, those at the person's site first (then by name)."""
    rooms = list(Storeroom.objects.filter(active=True).select_related("location"))
    where = person.location if person is not None else None
    site = site_path(where.path if where is not None else None)

    def rank(room: Storeroom) -> tuple[int, str]:
        path = room.location.path
        local = site is not None and (path == site or path.startswith(site + PATH_SEPARATOR))
        return (0 if local else 1, room.name)

    return sorted(rooms, key=rank)


def pick_storeroom(item: StockItem, quantity: int, person: Person | None) -> Location:
    """The nearest storeroom holding ``quantity`` of the item (the person's site first)."""
    stocked = dict(
        StockBalance.objects.filter(item_id=item.pk, location__isnull=False).values_list(
            "location_id", "on_hand"
        )
    )
    for room in storerooms_nearest(person):
        if stocked.get(room.location_id, 0) >= quantity:
            return room.location
    total = sum(stocked.get(r.location_id, 0) for r in storerooms_nearest(None))
    raise Conflict(
        f"not enough {item.name} in any storeroom: {quantity} asked, "
        f"at most {max(stocked.values(), default=0)} in one storeroom ({total} in all)",
        fields={"quantity": ["not enough stock"]},
        code="insufficient_stock",
    )


def issue_stock(
    actor: Actor,
    item: StockItem,
    quantity: int,
    *,
    to_person: Person | None = None,
    to_location: Location | None = None,
    to_asset: Asset | None = None,
    from_location: Location | None = None,
    reference: str = "",
    note: str = "",
) -> StockMovement:
    """Hand out stock: consumables and accessories to a person or a location, components
    into an asset. Without ``from_location`` it comes from the nearest storeroom that has it
    (the person's site first)."""
    item = _check_item(actor, item)
    targets = [t for t in (to_person, to_location, to_asset) if t is not None]
    if len(targets) != 1:
        raise _invalid("to_person", "issue to exactly one of a person, a location or an asset")
    target = targets[0]
    if item.kind == Kind.COMPONENT and to_asset is None:
        raise _invalid("to_asset", "a component is installed into an asset")
    if item.kind != Kind.COMPONENT and to_asset is not None:
        raise _invalid("to_asset", f"a {item.get_kind_display().lower()} goes to a person or place")
    field = {Person: "to_person", Location: "to_location", Asset: "to_asset"}[type(target)]
    _visible(actor, target, field)
    if to_location is not None and storeroom_of(to_location) is not None:
        raise _invalid("to_location", "that is a storeroom: use a transfer")
    if from_location is None:
        from_location = pick_storeroom(item, quantity, to_person)
    else:
        _visible(actor, from_location, "from_location")
        _require_storeroom(from_location, "from_location")
    return post_movement(
        actor,
        item,
        quantity,
        Reason.ISSUED,
        source=from_location,
        target=target,
        action="issue",
        unit_cost=item.unit_cost,
        currency=item.currency if item.unit_cost is not None else "",
        reference=reference,
        note=note,
    )


def return_stock(
    actor: Actor,
    item: StockItem,
    quantity: int,
    *,
    to_location: Location,
    from_person: Person | None = None,
    from_location: Location | None = None,
    from_asset: Asset | None = None,
    note: str = "",
) -> StockMovement:
    """Take an accessory back from its holder, or a component out of an asset, into a
    storeroom. Consumables are used up: returning one is refused."""
    item = _check_item(actor, item)
    if item.kind == Kind.CONSUMABLE:
        raise Conflict(
            f"{item.name} is a consumable: consumables are issued, never returned "
            "(write off or count instead)",
            code="not_returnable",
        )
    sources = [s for s in (from_person, from_location, from_asset) if s is not None]
    if len(sources) != 1:
        raise _invalid("from_person", "return from exactly one of a person, a location or an asset")
    _visible(actor, to_location, "to_location")
    _require_storeroom(to_location, "to_location")
    return post_movement(
        actor, item, quantity, Reason.RETURNED, source=sources[0], target=to_location,
        action="issue", note=note,
    )  # fmt: skip


def transfer_stock(
    actor: Actor,
    item: StockItem,
    quantity: int,
    *,
    from_location: Location,
    to_location: Location,
    reference: str = "",
    note: str = "",
) -> StockMovement:
    """Move stock between two storerooms as one line (never a write-off plus a receipt)."""
    item = _check_item(actor, item)
    for field, location in (("from_location", from_location), ("to_location", to_location)):
        _visible(actor, location, field)
        _require_storeroom(location, field)
    if from_location.pk == to_location.pk:
        raise _invalid("to_location", "the same storeroom as the source")
    return post_movement(
        actor, item, quantity, Reason.TRANSFERRED, source=from_location, target=to_location,
        reference=reference, note=note,
    )  # fmt: skip


def write_off_stock(
    actor: Actor,
    item: StockItem,
    quantity: int,
    *,
    from_location: Location | None = None,
    from_person: Person | None = None,
    note: str,
) -> StockMovement:
    """Remove broken, lost or expired stock from a storeroom (or a lost accessory from a
    person); the reason is required."""
    item = _check_item(actor, item)
    if not note.strip():
        raise _invalid("note", "say why the stock is written off")
    sources = [s for s in (from_location, from_person) if s is not None]
    if len(sources) != 1:
        raise _invalid("from_location", "write off from exactly one storeroom or person")
    return post_movement(actor, item, quantity, Reason.WRITTEN_OFF, source=sources[0], note=note)


def count_stock(
    actor: Actor, item: StockItem, location: Location, found: int, *, note: str = ""
) -> StockMovement | None:
    """Record a physical count: the difference between what was found and what the ledger
    expected is posted as one ``counted`` line (none when they agree; the count is still
    audited on the storeroom)."""
    item = _check_item(actor, item)
    _visible(actor, location, "location")
    _require_storeroom(location, "location")
    if isinstance(found, bool) or not isinstance(found, int) or found < 0:
        raise _invalid("found", "a whole number of at least 0")
    with transaction.atomic():
        # Lock the balance row (PostgreSQL) so no issue slips between reading and posting.
        StockBalance.objects.filter(item_id=item.pk, location_id=location.pk).update(
            on_hand=F("on_hand")
        )
        expected = (
            StockBalance.objects.filter(item_id=item.pk, location_id=location.pk)
            .values_list("on_hand", flat=True)
            .first()
        ) or 0
        difference = found - expected
        room = storeroom_of(location)
        assert room is not None
        authorize(actor, "add", StockMovement(item=item))
        record_event(
            actor,
            "count",
            room,
            after={"item": item.pk, "expected": expected, "found": found, "note": note},
        )
        if difference == 0:
            return None
        return post_movement(
            actor,
            item,
            abs(difference),
            Reason.COUNTED,
            source=location if difference < 0 else None,
            target=location if difference > 0 else None,
            note=note or f"count: found {found}, expected {expected}",
            expected=expected,
            found=found,
        )


def set_minimum(
    actor: Actor, item: StockItem, location: Location, min_quantity: int | None
) -> StockBalance:
    """Set (or with None, clear) a storeroom's own minimum of an item."""
    _require_storeroom(location, "location")
    if min_quantity is not None and (isinstance(min_quantity, bool) or min_quantity < 0):
        raise _invalid("min_quantity", "a whole number of at least 0")
    room = storeroom_of(location)
    assert room is not None
    with transaction.atomic():
        authorize(actor, "change", room)
        balance, _ = StockBalance.objects.get_or_create(item_id=item.pk, location_id=location.pk)
        before = balance.min_quantity
        if before == min_quantity:
            return balance
        StockBalance.objects.filter(pk=balance.pk).update(min_quantity=min_quantity)
        balance.refresh_from_db()
        record_event(
            actor,
            "set_minimum",
            room,
            before={"item": item.pk, "min_quantity": before},
            after={"item": item.pk, "min_quantity": min_quantity},
        )
        return balance


def today() -> dt.date:
    """Today in the configured time zone (one place to patch in tests)."""
    return timezone.localdate()


__all__ = [
    "Holder",
    "apply_to_balances",
    "count_stock",
    "issue_stock",
    "pick_storeroom",
    "post_movement",
    "receive_stock",
    "return_stock",
    "set_minimum",
    "storerooms_nearest",
    "transfer_stock",
    "write_off_stock",
]
