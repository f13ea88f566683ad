"""What finance tells the technical views (declared in ``resources.py``): two business flags
and two money figures. Rules (docs/both-layers.md), on the day ``on``:

- ``no_support_contract``: the CI is hardware (it has an asset), its warranty has ended or is
  unknown, and no maintenance or warranty contract in force on ``on`` covers it (directly or
  through its CI) — the rule of the coverage-gaps report. Needs ``view`` on contracts.
- ``replacement_due``: the asset reaches its **replacement date** within
  :func:`replacement_notice_months` (``ASSETGRAPH_REPLACEMENT_NOTICE_MONTHS``, default 3)
  of ``on``, or has passed it. The replacement date and budget follow the replacement
  policy of its model or category (:mod:`.replacement`); without one, the end of its useful
  life in the book (depreciation start + the book profile's life in years) or its
  end-of-life date, whichever is earlier, at its original cost (like for like).
  Needs ``view_cost`` on assets.
- monthly cost of a business service: the service-cost roll-up of ``on``'s month
  (:mod:`.service_cost`), converted to the base currency;
- net book value of a CI: its asset's book value at the end of ``on`` in the book, converted
  to the base currency at ``on``'s rate (kept in its own currency when no rate exists).

The roll-up reads every CI's cost, so it is cached per month and audit revision: any write
(an asset, a contract, a rate, a relationship) makes a new revision and a new answer.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.urls import reverse

from assetgraph.accounts.permissions import has_perm, restrict
from assetgraph.assets.models import Asset, add_months
from assetgraph.audit.services import current_revision
from assetgraph.cmdb.models import CI
from assetgraph.framework.flags import (
    BusinessFigures,
    BusinessFlag,
    FlagSource,
    IdList,
    Money,
    chunked,
)

from . import conf
from .access import may_view_costs
from .books import ProfileIndex, asset_book
from .choices import BookChoices
from .contracts import SUPPORT_KINDS, active_covered_asset_ids
from .money import quantum, rate_on
from .replacement import PolicyIndex, due_date

Flags = dict[int, list[BusinessFlag]]
DEFAULT_NOTICE_MONTHS = 3


def replacement_notice_months() -> int:
    """How many months before its replacement date an asset is flagged as due."""
    value = getattr(settings, "ASSETGRAPH_REPLACEMENT_NOTICE_MONTHS", None)
    if value is None:
        value = os.environ.get("ASSETGRAPH_REPLACEMENT_NOTICE_MONTHS", str(DEFAULT_NOTICE_MONTHS))
    try:
        months = int(str(value))
    except (TypeError, ValueError):
        return DEFAULT_NOTICE_MONTHS
    return max(0, min(months, 120))


def _hardware(user: Any, pks: Sequence[int], extra: Q | None = None) -> list[tuple[int, Asset]]:
    """``(ci pk, asset)`` of the visible CIs' visible assets (model and category loaded)."""
    out: list[tuple[int, Asset]] = []
    for chunk in chunked(pks):
        cis = dict(
            restrict(
                CI.objects.filter(pk__in=chunk, asset__isnull=False), user, "view"
            ).values_list("asset_id", "pk")
        )
        if not cis:
            continue
        assets = restrict(Asset.objects.filter(pk__in=IdList(cis)), user, "view")
        if extra is not None:
            assets = assets.filter(extra)
        for asset in assets.select_related("model__category", "disposal"):
            out.append((cis[asset.pk], asset))
    return out


def no_support_contract(user: Any, pks: Sequence[int], on: dt.date) -> Flags:
    if not (has_perm(user, "finance.contract", "view") and has_perm(user, "assets.asset", "view")):
        return {}
    rows = _hardware(user, pks, Q(warranty_end__isnull=True) | Q(warranty_end__lt=on))
    if not rows:
        return {}
    covered = active_covered_asset_ids(on, SUPPORT_KINDS)
    out: Flags = {}
    for ci, asset in rows:
        if asset.pk in covered:
            continue
        warranty = (
            f"warranty ended {asset.warranty_end.isoformat()}"
            if asset.warranty_end
            else "no warranty recorded"
        )
        out[ci] = [
            BusinessFlag(
                "no_support_contract",
                "No support contract",
                f"{asset.asset_tag}: {warranty}, no maintenance or warranty contract in force",
                reverse("ui:assets:asset_detail", args=[asset.pk]),
            )
        ]
    return out


@dataclass(frozen=True)
class Replacement:
    """When an asset is due for replacement under the policy, and what it costs."""

    asset: Asset
    ci: int
    date: dt.date
    reason: str
    budget: Decimal | None
    currency: str


def replacements(
    user: Any, pks: Sequence[int], on: dt.date, months: int | None = None
) -> list[Replacement]:
    """The visible hardware CIs due for replacement within ``months`` (the notice period
    when None) of ``on``, or past their date."""
    if not may_view_costs(user):
        return []
    horizon = add_months(on, replacement_notice_months() if months is None else months)
    rows = restrict_costs(user, _hardware(user, pks))
    index = ProfileIndex(BookChoices.BOOK, [asset.pk for _, asset in rows])
    policies = PolicyIndex()
    out: list[Replacement] = []
    for ci, asset in rows:
        found = due_date(asset, policies, index)
        if found is None:
            continue
        date, reason = found
        if date <= horizon:
            price, currency, _ = policies.price(asset)
            out.append(Replacement(asset, ci, date, reason, price, currency))
    return out


def replacement_due(user: Any, pks: Sequence[int], on: dt.date) -> Flags:
    out: Flags = {}
    for item in replacements(user, pks, on):
        when = "was due" if item.date < on else "is due"
        budget = f", budget {item.budget:,.2f} {item.currency}" if item.budget is not None else ""
        out[item.ci] = [
            BusinessFlag(
                "replacement_due",
                "Due for replacement",
                f"{item.asset.asset_tag}: replacement {when} {item.date.isoformat()} "
                f"({item.reason}){budget}",
                reverse("ui:assets:asset_detail", args=[item.asset.pk]),
            )
        ]
    return out


# -- money ---------------------------------------------------------------------------------------

_cache_lock = threading.Lock()
_service_cache: dict[tuple[dt.date, str, int], dict[int, Decimal]] = {}


def clear_cache() -> None:
    """Forget the cached service costs (tests, whose rolled-back audit ids repeat)."""
    with _cache_lock:
        _service_cache.clear()


def _all_service_costs(month: dt.date) -> tuple[str, dict[int, Decimal]]:
    """Every service's cost in ``month`` (base currency), cached per month and revision."""
    from .service_cost import service_costs

    base = conf.base_currency()
    key = (month, base, current_revision())
    with _cache_lock:
        cached = _service_cache.get(key)
    if cached is None:
        result = service_costs(month, CI.objects.current())
        cached = {int(r["id"]): Decimal(r["monthly_cost"]) for r in result["services"]}
        with _cache_lock:
            _service_cache.clear()  # one revision at a time: older answers are stale
            _service_cache[key] = cached
    return base, cached


def service_monthly_cost(user: Any, pks: Sequence[int], on: dt.date) -> dict[int, Money]:
    if not may_view_costs(user):
        return {}
    base, costs = _all_service_costs(on.replace(day=1))
    wanted = [pk for pk in pks if pk in costs]
    visible: set[int] = set()
    for chunk in chunked(wanted):
        visible.update(
            restrict(CI.objects.filter(pk__in=chunk), user, "view").values_list("pk", flat=True)
        )
    return {pk: Money(costs[pk], base) for pk in wanted if pk in visible}


def book_value(user: Any, pks: Sequence[int], on: dt.date) -> dict[int, Money]:
    if not may_view_costs(user):
        return {}
    rows = restrict_costs(user, _hardware(user, pks, Q(cost__isnull=False)))
    index = ProfileIndex(BookChoices.BOOK, [asset.pk for _, asset in rows])
    base = conf.base_currency()
    rates: dict[str, Decimal | None] = {}
    out: dict[int, Money] = {}
    for ci, asset in rows:
        entry = asset_book(asset, BookChoices.BOOK, index)
        if entry.schedule is None:
            continue
        value = entry.schedule.book_value_as_of(on)
        currency = asset.currency
        if currency not in rates:
            rates[currency] = rate_on(currency, base, on)
        rate = rates[currency]
        if rate is not None:
            value, currency = (value * rate).quantize(quantum(base)), base
        out[ci] = Money(value, currency)
    return out


def restrict_costs(user: Any, rows: list[tuple[int, Asset]]) -> list[tuple[int, Asset]]:
    """The rows whose asset's cost the caller may read (``view_cost`` can be constrained)."""
    allowed: set[int] = set()
    for chunk in chunked([asset.pk for _, asset in rows]):
        allowed.update(
            restrict(Asset.objects.filter(pk__in=chunk), user, "view_cost").values_list(
                "pk", flat=True
            )
        )
    return [(ci, asset) for ci, asset in rows if asset.pk in allowed]


FLAG_SOURCES = [
    FlagSource(
        "no_support_contract",
        "No support contract",
        "Hardware whose warranty has ended (or is unknown) and that no maintenance or warranty "
        "contract in force covers.",
        no_support_contract,
        order=30,
    ),
    FlagSource(
        "replacement_due",
        "Due for replacement",
        "The asset's replacement date (end of its useful life in the book, or its end of life "
        "if earlier) is within the notice period or past.",
        replacement_due,
        order=50,
    ),
]

BUSINESS_FIGURES = BusinessFigures(
    service_monthly_cost=service_monthly_cost,
    book_value=book_value,
    notes={
        "monthly_cost": "the service-cost roll-up of the month (depreciation and contracts)",
        "book_value": "net book value in the book at the end of the day",
    },
)
