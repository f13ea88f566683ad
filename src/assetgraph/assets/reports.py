"""Read-only reports and alerts over assets (warranty, returns, end of life, leavers).

Each function takes an already restricted queryset, so every surface (API, UI, CLI) applies
the caller's permissions before asking.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet

from assetgraph.org.choices import PersonStatusChoices
from assetgraph.org.models import Person

from .choices import AssetStateChoices
from .models import Asset, add_months

ACTIVE = ~Q(state=AssetStateChoices.RETIRED)
ASSET_RELATED = ("model__category", "manufacturer", "location", "custodian", "supplier")


def warranty_expiring(assets: QuerySet[Asset], days: int, today: dt.date) -> QuerySet[Asset]:
    """Assets in service whose warranty ends within ``days`` (today included)."""
    end = today + dt.timedelta(days=days)
    return (
        assets.filter(ACTIVE, warranty_end__gte=today, warranty_end__lte=end)
        .select_related(*ASSET_RELATED)
        .order_by("warranty_end", "pk")
    )


def overdue_returns(assets: QuerySet[Asset], today: dt.date) -> QuerySet[Asset]:
    """Assets in use whose expected return date has passed."""
    return (
        assets.filter(state=AssetStateChoices.IN_USE, expected_return__lt=today)
        .select_related(*ASSET_RELATED)
        .order_by("expected_return", "pk")
    )


def end_of_life_within(assets: QuerySet[Asset], months: int, today: dt.date) -> QuerySet[Asset]:
    """Assets in service reaching end of life within ``months`` (or already past it)."""
    return (
        assets.filter(ACTIVE, eol_date__lte=add_months(today, months))
        .select_related(*ASSET_RELATED)
        .order_by("eol_date", "pk")
    )


def leavers_with_assets(people: QuerySet[Person], assets: QuerySet[Asset]) -> list[Any]:
    """People who left or are leaving and still hold assets, with how many."""
    holders = assets.filter(custodian__isnull=False).values("custodian")
    return list(
        people.filter(
            status__in=[PersonStatusChoices.LEFT, PersonStatusChoices.LEAVING], pk__in=holders
        )
        .annotate(asset_count=Count("assets", filter=Q(assets__in=assets)))
        .order_by("end_date", "last_name", "pk")
    )


def counts_by_state(assets: QuerySet[Asset]) -> dict[str, int]:
    """How many assets are in each state."""
    rows = assets.order_by().values_list("state").annotate(n=Count("pk"))
    return dict(rows)
