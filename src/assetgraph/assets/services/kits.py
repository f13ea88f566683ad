"""Kits: named bundles of models, issued to many people in one all-or-nothing operation."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction

from assetgraph.accounts.permissions import restrict
from assetgraph.audit.services import record_event
from assetgraph.core.actor import Actor
from assetgraph.core.errors import Conflict, MissingReference, ValidationFailed
from assetgraph.framework.crud import create_instance, delete_instance, update_instance
from assetgraph.org.models import PATH_SEPARATOR, Location, Person

from ..choices import AssetStateChoices, AssetSubstateChoices
from ..models import Asset, AssetModel, CustodyRecord, Kit, KitItem
from .custody import check_out_asset


def _items(raw: Sequence[Mapping[str, Any]]) -> list[tuple[int, int]]:
    result: dict[int, int] = {}
    for index, item in enumerate(raw):
        model = item.get("model") or item.get("model_id")
        model_id = model.pk if isinstance(model, AssetModel) else model
        quantity = int(item.get("quantity") or 1)
        if not isinstance(model_id, int) or quantity < 1:
            raise ValidationFailed(
                f"items.{index}: needs a model and a quantity of at least 1",
                fields={f"items.{index}": ["needs a model and a quantity of at least 1"]},
            )
        result[model_id] = result.get(model_id, 0) + quantity
    found = set(AssetModel.objects.filter(pk__in=result).values_list("pk", flat=True))
    for model_id in result:
        if model_id not in found:
            raise MissingReference(
                f"items: model {model_id} not found", fields={"items": ["model not found"]}
            )
    return sorted(result.items())


def _set_items(actor: Actor, kit: Kit, raw: Sequence[Mapping[str, Any]]) -> None:
    wanted = _items(raw)
    before = sorted(kit.items.values_list("model_id", "quantity"))
    if before == wanted:
        return
    kit.items.all().delete()
    KitItem.objects.bulk_create([KitItem(kit=kit, model_id=m, quantity=q) for m, q in wanted])
    record_event(
        actor,
        "update",
        kit,
        before={"items": [list(i) for i in before]},
        after={"items": [list(i) for i in wanted]},
    )


def create_kit(actor: Actor, values: Mapping[str, Any]) -> Kit:
    """Define a kit: a name and its items (``[{"model_id": 3, "quantity": 2}, …]``)."""
    data = dict(values)
    items = data.pop("items", None) or []
    with transaction.atomic():
        kit = create_instance(actor, Kit, data)
        _set_items(actor, kit, items)
        return kit


def update_kit(
    actor: Actor, kit: Kit, changes: Mapping[str, Any], expected_etag: str | None = None
) -> Kit:
    """Rename a kit or replace its items."""
    data = dict(changes)
    items = data.pop("items", None)
    with transaction.atomic():
        updated = update_instance(actor, kit, data, expected_etag=expected_etag)
        if items is not None:
            _set_items(actor, updated, items)
        return updated


def delete_kit(actor: Actor, kit: Kit) -> None:
    """Delete a kit definition (issued assets are unaffected)."""
    delete_instance(actor, kit)


def _site_paths() -> list[str]:
    return sorted(
        Location.objects.filter(kind="site").values_list("path", flat=True), key=len, reverse=True
    )


def _site_of(path: str | None, sites: list[str]) -> str | None:
    if not path:
        return None
    for site in sites:
        if path == site or path.startswith(site + PATH_SEPARATOR):
            return site
    return None


def issue_kit(
    actor: Actor,
    kit: Kit,
    people: Sequence[Person],
    *,
    expected_return: dt.date | None = None,
) -> list[CustodyRecord]:
    """Check out one kit to each person: every asset or none, stock at their site first.

    When stock is short the whole operation is refused with a 409 listing, per model, how
    many are needed, available and short, so procurement knows what to order.
    """
    if not people:
        raise ValidationFailed(
            "people: choose at least one person", fields={"people": ["required"]}
        )
    if len({p.pk for p in people}) != len(people):
        raise ValidationFailed("people: a person appears twice", fields={"people": ["duplicate"]})
    items = list(kit.items.select_related("model").order_by("id"))
    if not items:
        raise Conflict(f"kit {kit.name!r} has no items")
    with transaction.atomic():
        stock = Asset.objects.filter(
            model_id__in=[i.model_id for i in items],
            state=AssetStateChoices.IN_STOCK,
            substate=AssetSubstateChoices.AVAILABLE,
        )
        if not actor.is_system:
            stock = restrict(stock, actor.user, "checkout")
        pool: dict[int, list[tuple[int, str | None]]] = defaultdict(list)
        for pk, model_id, path in stock.order_by("asset_tag").values_list(
            "pk", "model_id", "location__path"
        ):
            pool[model_id].append((pk, path))
        short = []
        for item in items:
            need = item.quantity * len(people)
            have = len(pool[item.model_id])
            if have < need:
                short.append(f"{item.model}: need {need}, {have} available ({need - have} short)")
        if short:
            raise Conflict(
                f"not enough stock to issue kit {kit.name!r} to {len(people)} people: "
                + "; ".join(short),
                fields={"items": short},
                code="insufficient_stock",
            )
        sites = _site_paths()
        person_paths = dict(
            Person.objects.filter(pk__in=[p.pk for p in people]).values_list("pk", "location__path")
        )
        plan: list[tuple[Person, int]] = []
        for person in people:
            site = _site_of(person_paths.get(person.pk), sites)
            for item in items:
                candidates = pool[item.model_id]
                local = [c for c in candidates if site and _site_of(c[1], sites) == site]
                chosen = (local + [c for c in candidates if c not in local])[: item.quantity]
                for choice in chosen:
                    candidates.remove(choice)
                    plan.append((person, choice[0]))
        assets = Asset.objects.in_bulk([pk for _, pk in plan])
        return [
            check_out_asset(
                actor,
                assets[pk],
                to_person=person,
                expected_return=expected_return,
                notes=f"kit {kit.name}",
            )
            for person, pk in plan
        ]
