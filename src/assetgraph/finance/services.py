"""Writes of the finance app. Every function runs in one transaction, validates and appends
its audit events in it (period close: :mod:`.closing`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from assetgraph.audit.services import record_event
from assetgraph.core.actor import Actor
from assetgraph.core.errors import Conflict, ValidationFailed
from assetgraph.framework.crud import create_instance, delete_instance, update_instance

from .choices import OrderStatusChoices
from .models import (
    AssetFinance,
    Budget,
    Contract,
    DepreciationProfile,
    ExchangeRate,
    PurchaseOrder,
    PurchaseOrderLine,
    ReplacementPolicy,
)

# --- depreciation profiles ----------------------------------------------------------------


def create_profile(actor: Actor, values: Mapping[str, Any]) -> DepreciationProfile:
    """Set how a book depreciates a category or a model (or add a named profile)."""
    return create_instance(actor, DepreciationProfile, values)


def update_profile(
    actor: Actor,
    profile: DepreciationProfile,
    changes: Mapping[str, Any],
    expected_etag: str | None = None,
) -> DepreciationProfile:
    """Change a profile; schedules are computed, so every asset it covers follows at once
    (periods already closed keep what they posted; the difference is posted next close)."""
    return update_instance(actor, profile, changes, expected_etag=expected_etag)


def delete_profile(actor: Actor, profile: DepreciationProfile) -> None:
    """Delete a profile no asset override uses."""
    delete_instance(actor, profile)


# --- per-asset settings -------------------------------------------------------------------


def create_asset_finance(actor: Actor, values: Mapping[str, Any]) -> AssetFinance:
    """Give an asset its own profile, start, salvage, cost centre or owning company."""
    return create_instance(actor, AssetFinance, values)


def update_asset_finance(
    actor: Actor,
    settings: AssetFinance,
    changes: Mapping[str, Any],
    expected_etag: str | None = None,
) -> AssetFinance:
    """Change an asset's finance settings."""
    return update_instance(actor, settings, changes, expected_etag=expected_etag)


def delete_asset_finance(actor: Actor, settings: AssetFinance) -> None:
    """Drop an asset's own settings: its category's or model's profiles apply again."""
    delete_instance(actor, settings)


# --- exchange rates -----------------------------------------------------------------------


def create_rate(actor: Actor, values: Mapping[str, Any]) -> ExchangeRate:
    """Record the rate of a currency pair from a date on."""
    return create_instance(actor, ExchangeRate, values)


def update_rate(
    actor: Actor, rate: ExchangeRate, changes: Mapping[str, Any], expected_etag: str | None = None
) -> ExchangeRate:
    """Correct a recorded rate."""
    return update_instance(actor, rate, changes, expected_etag=expected_etag)


def delete_rate(actor: Actor, rate: ExchangeRate) -> None:
    """Delete a recorded rate."""
    delete_instance(actor, rate)


# --- purchase orders and budgets (placing and receiving: procurement.py) -------------------


def _editable_order(order: PurchaseOrder) -> None:
    if (
        order.pk
        and PurchaseOrder.objects.filter(pk=order.pk)
        .exclude(status=OrderStatusChoices.DRAFT)
        .exists()
    ):
        raise Conflict(
            "status: only a draft order can be changed", fields={"status": ["not draft"]}
        )


def create_order(actor: Actor, values: Mapping[str, Any]) -> PurchaseOrder:
    """Start a draft purchase order."""
    return create_instance(actor, PurchaseOrder, values)


def update_order(
    actor: Actor, order: PurchaseOrder, changes: Mapping[str, Any], expected_etag: str | None = None
) -> PurchaseOrder:
    """Change a draft order."""
    return update_instance(
        actor, order, changes, validate=_editable_order, expected_etag=expected_etag
    )


def delete_order(actor: Actor, order: PurchaseOrder) -> None:
    """Delete a draft order."""
    _editable_order(order)
    delete_instance(actor, order)


def _editable_line(line: PurchaseOrderLine) -> None:
    status = PurchaseOrder.objects.filter(pk=line.order_id).values_list("status", flat=True).first()
    if status not in (OrderStatusChoices.DRAFT, None):
        raise Conflict(
            "order: lines change only while the order is a draft", fields={"order": [status]}
        )


def create_line(actor: Actor, values: Mapping[str, Any]) -> PurchaseOrderLine:
    """Add a line to a draft order."""
    return create_instance(actor, PurchaseOrderLine, values, validate=_editable_line)


def update_line(
    actor: Actor,
    line: PurchaseOrderLine,
    changes: Mapping[str, Any],
    expected_etag: str | None = None,
) -> PurchaseOrderLine:
    """Change a line of a draft order."""
    return update_instance(
        actor, line, changes, validate=_editable_line, expected_etag=expected_etag
    )


def delete_line(actor: Actor, line: PurchaseOrderLine) -> None:
    """Remove a line from a draft order."""
    _editable_line(line)
    delete_instance(actor, line)


def create_budget(actor: Actor, values: Mapping[str, Any]) -> Budget:
    """Set a cost centre's budget for a fiscal year."""
    return create_instance(actor, Budget, values)


def update_budget(
    actor: Actor, budget: Budget, changes: Mapping[str, Any], expected_etag: str | None = None
) -> Budget:
    """Change a budget."""
    return update_instance(actor, budget, changes, expected_etag=expected_etag)


def delete_budget(actor: Actor, budget: Budget) -> None:
    """Delete a budget."""
    delete_instance(actor, budget)


# --- contracts (documents, renewals and coverage: contracts.py) ----------------------------


def create_contract(actor: Actor, values: Mapping[str, Any]) -> Contract:
    """Record a contract with a supplier (covered assets, CIs and licences as lists of
    ids)."""
    values = dict(values)
    assets, cis = values.pop("assets", None), values.pop("cis", None)
    licences = values.pop("licences", None)
    with transaction.atomic():
        contract = create_instance(actor, Contract, values)
        _cover(contract, assets, cis, licences)
        return contract


def update_contract(
    actor: Actor, contract: Contract, changes: Mapping[str, Any], expected_etag: str | None = None
) -> Contract:
    """Change a contract's terms or what it covers."""
    changes = dict(changes)
    assets, cis = changes.pop("assets", None), changes.pop("cis", None)
    licences = changes.pop("licences", None)
    with transaction.atomic():
        contract = update_instance(actor, contract, changes, expected_etag=expected_etag)
        if assets is not None or cis is not None or licences is not None:
            before = _coverage(contract)
            _cover(contract, assets, cis, licences)
            after = _coverage(contract)
            if after != before:
                record_event(actor, "update", contract, before=before, after=after)
        return contract


def delete_contract(actor: Actor, contract: Contract) -> None:
    """Delete a contract (its documents go with it)."""
    delete_instance(actor, contract)


def _coverage(contract: Contract) -> dict[str, list[int]]:
    return {
        "assets": sorted(a.pk for a in contract.assets.all()),
        "cis": sorted(c.pk for c in contract.cis.all()),
        "licences": sorted(e.pk for e in contract.licences.all()),
    }


def _cover(contract: Contract, assets: Any, cis: Any, licences: Any = None) -> None:
    from assetgraph.assets.models import Asset
    from assetgraph.cmdb.models import CI
    from assetgraph.licences.models import Entitlement

    if licences is not None:
        ids = [getattr(e, "pk", e) for e in licences]
        found_licences = list(Entitlement.objects.filter(pk__in=ids))
        if len(found_licences) != len(set(ids)):
            raise ValidationFailed(
                "licences: unknown licence id", fields={"licences": ["unknown id"]}
            )
        contract.licences.set(found_licences)

    if assets is not None:
        ids = [getattr(a, "pk", a) for a in assets]
        found = list(Asset.objects.filter(pk__in=ids))
        if len(found) != len(set(ids)):
            raise ValidationFailed("assets: unknown asset id", fields={"assets": ["unknown id"]})
        contract.assets.set(found)
    if cis is not None:
        ids = [getattr(c, "pk", c) for c in cis]
        found_cis = list(CI.objects.filter(pk__in=ids))
        if len(found_cis) != len(set(ids)):
            raise ValidationFailed("cis: unknown CI id", fields={"cis": ["unknown id"]})
        contract.cis.set(found_cis)


# --- replacement policies -----------------------------------------------------------------


def create_replacement_policy(actor: Actor, values: Mapping[str, Any]) -> ReplacementPolicy:
    """Set when a category's (or a model's) hardware is replaced, and at what price."""
    return create_instance(actor, ReplacementPolicy, values)


def update_replacement_policy(
    actor: Actor,
    policy: ReplacementPolicy,
    changes: Mapping[str, Any],
    expected_etag: str | None = None,
) -> ReplacementPolicy:
    """Change a replacement policy's triggers or price."""
    return update_instance(actor, policy, changes, expected_etag=expected_etag)


def delete_replacement_policy(actor: Actor, policy: ReplacementPolicy) -> None:
    """Remove a policy (the category's hardware then follows the default rule)."""
    delete_instance(actor, policy)
