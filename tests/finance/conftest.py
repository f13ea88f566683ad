"""Finance fixtures: the assets tests' catalogue plus a book profile for laptops."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from assetgraph.core.actor import Actor
from assetgraph.finance import services
from assetgraph.finance.models import DepreciationProfile
from tests.assets.conftest import catalogue, make_asset

__all__ = ["catalogue", "laptop_profile", "make_asset"]


@pytest.fixture
def laptop_profile(catalogue: dict[str, Any], system: Actor) -> DepreciationProfile:
    """Laptops: straight line over 3 years from the purchase date, no salvage, full month."""
    return services.create_profile(
        system,
        {
            "name": "Laptops 3y SL",
            "book": "book",
            "category": catalogue["laptops"],
            "method": "straight_line",
            "life_years": 3,
            "salvage_percent": Decimal(0),
            "convention": "full_month",
            "start_basis": "purchase",
            "expense_account": "6810",
            "accumulated_account": "1591",
        },
    )
