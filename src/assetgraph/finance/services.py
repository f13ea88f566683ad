"""Writes of the finance app. Every function runs in one transaction, validates and appends
its audit events in it (period close: :mod:`.closing`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assetgraph.core.actor import Actor
from assetgraph.framework.crud import create_instance, delete_instance, update_instance

from .models import AssetFinance, DepreciationProfile, ExchangeRate

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
