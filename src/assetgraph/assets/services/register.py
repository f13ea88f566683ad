"""Asset register writes: create, update and delete assets; generated asset tags."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from assetgraph.core.actor import Actor
from assetgraph.core.attributes import clean_attributes
from assetgraph.core.errors import Conflict, ValidationFailed
from assetgraph.framework.crud import create_instance, delete_instance, update_instance

from ..choices import AssetStateChoices
from ..lifecycle import INITIAL_STATES, SUBSTATES
from ..models import Asset, CustomField, Sequence
from ..signals import asset_relocated

TAG_SEQUENCE = "asset_tag"
DEFAULT_TAG_PATTERN = "AG-{seq:06d}"


def tag_pattern() -> str:
    """The configured pattern (``ASSETGRAPH_ASSET_TAG_PATTERN``), e.g. ``AG-{seq:06d}``."""
    return str(getattr(settings, "ASSETGRAPH_ASSET_TAG_PATTERN", DEFAULT_TAG_PATTERN))


def next_asset_tags(count: int = 1) -> list[str]:
    """Reserve ``count`` generated tags; must run inside the caller's transaction.

    The counter moves with one conditional ``UPDATE … = next_value + count``: concurrent
    writers get disjoint blocks on SQLite and PostgreSQL. Tags someone typed by hand that
    collide with the pattern are skipped.
    """
    if count <= 0:
        return []
    sequence, _ = Sequence.objects.get_or_create(
        name=TAG_SEQUENCE, defaults={"pattern": tag_pattern()}
    )
    tags: list[str] = []
    while len(tags) < count:
        wanted = count - len(tags)
        Sequence.objects.filter(pk=sequence.pk).update(next_value=F("next_value") + wanted)
        row = Sequence.objects.values_list("next_value", "pattern").get(pk=sequence.pk)
        end, pattern = row
        block = [pattern.format(seq=n) for n in range(end - wanted, end)]
        taken = set(Asset.objects.filter(asset_tag__in=block).values_list("asset_tag", flat=True))
        tags.extend(t for t in block if t not in taken)
    return tags


def definitions_for(category_id: int | None) -> list[CustomField]:
    """The custom fields assets of this category carry (fields with no category: all)."""
    fields = CustomField.objects.prefetch_related("categories")
    return [f for f in fields if f.applies_to(category_id)]


def all_definitions() -> list[CustomField]:
    """Every custom field, for ``attr.*`` filters across categories."""
    return list(CustomField.objects.all())


def _check_serial(asset: Asset) -> None:
    if not asset.serial_number:
        return
    clash = (
        Asset.objects.filter(
            manufacturer_id=asset.manufacturer_id, serial_number=asset.serial_number
        )
        .exclude(pk=asset.pk)
        .values_list("asset_tag", flat=True)
        .first()
    )
    if clash is not None:
        message = f"{asset.serial_number!r} is already the serial number of {clash}"
        raise ValidationFailed(f"serial_number: {message}", fields={"serial_number": [message]})


def _today() -> dt.date:
    return timezone.localdate()


def create_asset(actor: Actor, values: Mapping[str, Any]) -> Asset:
    """Register an asset; a blank tag is generated, dates default from the model.

    New assets start ``on_order`` or ``in_stock`` (received today); every other state is
    reached through a transition or a check-out, so its history is complete.
    """
    data = dict(values)
    state = data.pop("state", None) or AssetStateChoices.IN_STOCK
    substate = data.pop("substate", None)
    attributes = data.pop("attributes", None) or {}
    tag = str(data.pop("asset_tag", "") or "").strip()

    def prepare(asset: Asset) -> None:
        if state not in INITIAL_STATES:
            message = "new assets start on order or in stock; use a transition afterwards"
            raise ValidationFailed(f"state: {message}", fields={"state": [message]})
        asset.state = state
        allowed = SUBSTATES[state]
        asset.substate = substate or (allowed[0] if allowed else "")
        if state == AssetStateChoices.IN_STOCK:
            asset.received_date = _today()
        if asset.model_id is None:
            raise ValidationFailed("model: required", fields={"model": ["required"]})
        asset.apply_model_defaults()
        asset.attributes = clean_attributes(definitions_for(asset.model.category_id), attributes)
        _check_serial(asset)
        asset.asset_tag = tag or next_asset_tags(1)[0]

    with transaction.atomic():
        return create_instance(actor, Asset, data, validate=prepare)


STATE_FIELDS = frozenset(
    {"state", "substate", "custodian", "custodian_id", "assigned_location", "parent", "version"}
)


def update_asset(
    actor: Actor, asset: Asset, changes: Mapping[str, Any], expected_etag: str | None = None
) -> Asset:
    """Edit an asset's identity, purchase data, notes or custom fields (a partial update).

    State and custody change only through transitions and check-out/in (refused here with a
    message saying so), so that their rules and history cannot be bypassed.
    """
    data = dict(changes)
    for name in sorted(STATE_FIELDS & set(data)):
        message = "changes only through a transition or check-out/check-in"
        raise ValidationFailed(f"{name}: {message}", fields={name: [message]})
    attributes = data.pop("attributes", None)
    if "asset_tag" in data and not str(data["asset_tag"] or "").strip():
        raise ValidationFailed("asset_tag: required", fields={"asset_tag": ["required"]})

    def prepare(current: Asset) -> None:
        current.apply_model_defaults()
        current.attributes = clean_attributes(
            definitions_for(current.model.category_id),
            attributes or {},
            current=current.attributes,
            partial=True,
        )
        _check_serial(current)

    with transaction.atomic():
        before = asset.location_id
        updated = update_instance(actor, asset, data, validate=prepare, expected_etag=expected_etag)
        if updated.location_id != before:
            asset_relocated.send(Asset, actor=actor, asset=updated)
        return updated


def delete_asset(actor: Actor, asset: Asset) -> None:
    """Delete an asset registered by mistake; real assets are retired, not deleted."""
    if asset.custody_records.exists():
        raise Conflict(
            "this asset has a custody history; retire it instead of deleting it "
            "(rule: assets with history are kept)"
        )
    delete_instance(actor, asset)
