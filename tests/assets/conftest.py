"""Fixtures of the assets tests: a small catalogue on top of the shared ``site`` fixture."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from assetgraph.assets import services
from assetgraph.assets.models import Asset
from assetgraph.core.actor import Actor
from assetgraph.org import services as org


@pytest.fixture
def catalogue(site: dict[str, Any], system: Actor) -> dict[str, Any]:
    """Dell (manufacturer), CDW (supplier), Laptops (needs acceptance), Monitors, two models,
    and custom fields ``ram_gb`` (laptops only, integer) and ``asset_owner_team`` (all)."""
    dell = org.create_company(system, {"name": "Dell", "is_manufacturer": True})
    cdw = org.create_company(system, {"name": "CDW", "is_supplier": True})
    laptops = services.create_category(
        system,
        {
            "name": "Laptops",
            "kind": "laptop",
            "requires_acceptance": True,
            "acceptance_terms": "Keep it safe.",
        },
    )
    monitors = services.create_category(system, {"name": "Monitors", "kind": "monitor"})
    latitude = services.create_model(
        system,
        {
            "name": "Latitude 7440",
            "model_number": "L7440",
            "category": laptops,
            "manufacturer": dell,
            "default_warranty_months": 36,
            "eol_months": 48,
        },
    )
    u27 = services.create_model(
        system,
        {"name": "U2723QE", "category": monitors, "manufacturer": dell},
    )
    ram = services.create_custom_field(
        system,
        {"key": "ram_gb", "label": "RAM (GB)", "type": "integer", "categories": [laptops.pk]},
    )
    team = services.create_custom_field(
        system, {"key": "team", "label": "Team", "type": "choice", "choices": ["Core", "Edge"]}
    )
    return {
        **site,
        "dell": dell,
        "cdw": cdw,
        "laptops": laptops,
        "monitors": monitors,
        "latitude": latitude,
        "u27": u27,
        "ram": ram,
        "team": team,
    }


@pytest.fixture
def make_asset(catalogue: dict[str, Any], system: Actor) -> Callable[..., Asset]:
    """``make_asset(model="u27", serial_number=…)`` → an in-stock asset."""

    def make(model: str = "latitude", **values: Any) -> Asset:
        defaults: dict[str, Any] = {
            "model": catalogue[model],
            "purchase_date": dt.date(2025, 1, 31),
            "cost": Decimal("1299.00"),
            "currency": "EUR",
            "supplier": catalogue["cdw"],
            "location": catalogue["room"],
        }
        return services.create_asset(system, {**defaults, **values})

    return make
