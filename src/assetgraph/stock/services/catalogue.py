"""Plain writes of stock items, storerooms, catalogue entries and loaners (generic CRUD with
their domain rules)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assetgraph.core.actor import Actor
from assetgraph.core.errors import Conflict
from assetgraph.framework.crud import create_instance, delete_instance, update_instance

from ..models import CatalogueEntry, Loaner, StockItem, Storeroom


def create_stock_item(actor: Actor, values: Mapping[str, Any]) -> StockItem:
    """Add a quantity-tracked item to the catalogue."""
    return create_instance(actor, StockItem, values)


def update_stock_item(
    actor: Actor, item: StockItem, changes: Mapping[str, Any], *, expected_etag: str | None = None
) -> StockItem:
    """Edit an item (name, minimum, unit cost…); its kind is fixed once it has movements."""

    def keep_kind(current: StockItem) -> None:
        stored = StockItem.objects.filter(pk=current.pk).values_list("kind", flat=True).first()
        if stored != current.kind and current.movements.exists():
            raise Conflict(f"{current.name} has ledger lines: its kind cannot change")

    return update_instance(actor, item, changes, validate=keep_kind, expected_etag=expected_etag)


def delete_stock_item(actor: Actor, item: StockItem) -> None:
    """Delete an item with no ledger lines (lines protect it: a 409)."""
    delete_instance(actor, item)


def create_storeroom(actor: Actor, values: Mapping[str, Any]) -> Storeroom:
    """Declare a location a storeroom."""
    return create_instance(actor, Storeroom, values)


def update_storeroom(
    actor: Actor, room: Storeroom, changes: Mapping[str, Any], *, expected_etag: str | None = None
) -> Storeroom:
    """Rename or (de)activate a storeroom."""
    return update_instance(actor, room, changes, expected_etag=expected_etag)


def delete_storeroom(actor: Actor, room: Storeroom) -> None:
    """Remove a storeroom declaration; refused while it holds stock."""
    from ..models import StockBalance

    if StockBalance.objects.filter(location_id=room.location_id, on_hand__gt=0).exists():
        raise Conflict(f"{room.name} still holds stock: transfer or write it off first")
    delete_instance(actor, room)


def create_catalogue_entry(actor: Actor, values: Mapping[str, Any]) -> CatalogueEntry:
    """Offer a stock item, a model or a kit to employees' requests."""
    return create_instance(actor, CatalogueEntry, values)


def update_catalogue_entry(
    actor: Actor,
    entry: CatalogueEntry,
    changes: Mapping[str, Any],
    *,
    expected_etag: str | None = None,
) -> CatalogueEntry:
    """Edit a catalogue entry (its approval rule applies to requests submitted afterwards)."""
    return update_instance(actor, entry, changes, expected_etag=expected_etag)


def delete_catalogue_entry(actor: Actor, entry: CatalogueEntry) -> None:
    """Withdraw an entry with no requests (deactivate it otherwise)."""
    delete_instance(actor, entry)


def create_loaner(actor: Actor, values: Mapping[str, Any]) -> Loaner:
    """Put an asset into the loaner pool (it can then be booked)."""
    return create_instance(actor, Loaner, values)


def update_loaner(
    actor: Actor, loaner: Loaner, changes: Mapping[str, Any], *, expected_etag: str | None = None
) -> Loaner:
    """(De)activate a loaner."""
    return update_instance(actor, loaner, changes, expected_etag=expected_etag)


def delete_loaner(actor: Actor, loaner: Loaner) -> None:
    """Take an asset out of the pool (refused while it has bookings)."""
    delete_instance(actor, loaner)
