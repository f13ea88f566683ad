"""The fixed-asset register as of a date: per asset its cost, accumulated depreciation and
net book value in one book, and the totals by category, cost centre, location and company.

Amounts keep their currency; totals are converted to the base currency with the exchange
rate in force on the as-of date. An amount whose currency has no rate is left out of the
converted total and flagged (``missing_rates``), never guessed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import QuerySet

from assetgraph.assets.models import Asset

from . import conf
from .books import ProfileIndex, asset_book, cost_centre_of
from .money import quantum, rate_on
from .register_columns import UNALLOCATED, RegisterColumns, load_columns
from .register_totals import Total, grouped_totals

DIMENSIONS = ("category", "cost_centre", "location", "company")
__all__ = ["DIMENSIONS", "UNALLOCATED", "Register", "RegisterRow", "Total", "build_register"]


@dataclass(frozen=True)
class RegisterRow:
    """One asset on the register."""

    asset_id: int
    asset_tag: str
    name: str
    category: str
    cost_centre: str
    location: str
    company: str
    currency: str
    cost: Decimal
    accumulated: Decimal
    net_book_value: Decimal
    profile: str
    in_service: dt.date | None
    note: str = ""


@dataclass
class Register:
    """The register as of a date in one book, with its grouped totals. The rows are built
    on first use (``rows``, or ``head(n)`` for a page): totals alone — the dashboard card,
    ``rows=false`` — never make 100,000 row objects."""

    as_of: dt.date
    book: str
    base_currency: str
    _rows: list[RegisterRow] | Callable[[int | None], list[RegisterRow]]
    totals: dict[str, dict[str, Total]]
    grand_total: Total
    missing_rates: list[str]

    @property
    def rows(self) -> list[RegisterRow]:
        """Every asset's row, in asset-tag order."""
        if callable(self._rows):
            self._rows = self._rows(None)
        return self._rows

    def head(self, count: int) -> list[RegisterRow]:
        """The first ``count`` rows, without building the others."""
        if callable(self._rows):
            return self._rows(count)
        return self._rows[:count]

    def as_dict(self, with_rows: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "as_of": self.as_of,
            "book": self.book,
            "base_currency": self.base_currency,
            "missing_rates": self.missing_rates,
            "total": self.grand_total.as_dict(),
            "by": {
                dimension: [
                    {"key": key, **total.as_dict()} for key, total in sorted(groups.items())
                ]
                for dimension, groups in self.totals.items()
            },
        }
        if with_rows:
            data["assets"] = [row.__dict__ for row in self.rows]
        return data


def register_assets(queryset: QuerySet[Asset], as_of: dt.date) -> QuerySet[Asset]:
    """The assets on the books on ``as_of``: with a cost, bought by then (or undated) and
    not disposed of before it."""
    from django.db.models import Q

    return (
        queryset.filter(cost__isnull=False)
        .exclude(currency="")
        .filter(Q(purchase_date__isnull=True) | Q(purchase_date__lte=as_of))
        .exclude(disposal__disposed_on__lte=as_of)
        .select_related(
            "model__category",
            "location",
            "custodian__cost_centre",
            "custodian__department__cost_centre",
            "disposal",
        )
        .order_by("asset_tag")
    )


def _add(total: Total, row: RegisterRow, rate: Decimal | None, base_quantum: Decimal) -> None:
    total.assets += 1
    values = total.by_currency.setdefault(row.currency, [Decimal(0)] * 3)
    values[0] += row.cost
    values[1] += row.accumulated
    values[2] += row.net_book_value
    if rate is None:
        total.unconverted += 1
        return
    cost = (row.cost * rate).quantize(base_quantum, rounding=ROUND_HALF_UP)
    accumulated = (row.accumulated * rate).quantize(base_quantum, rounding=ROUND_HALF_UP)
    total.cost += cost
    total.accumulated += accumulated
    total.net_book_value += cost - accumulated


def build_register(
    assets: QuerySet[Asset], as_of: dt.date, book: str, base_currency: str | None = None
) -> Register:
    """The register of ``assets`` (already narrowed to what the caller may see and to
    :func:`register_assets`) as of a date, in one book: one query of plain values, the
    straight-line full-month majority computed in bulk (``register_columns``), totals summed
    in integers (``register_totals``). The same figures as :func:`build_register_per_asset`."""
    base = (base_currency or conf.base_currency()).upper()
    columns = load_columns(assets, as_of, book)
    rates = {currency: rate_on(currency, base, as_of) for currency in set(columns.currencies)}
    totals, grand = grouped_totals(columns, DIMENSIONS, rates, base)
    missing = sorted(currency for currency, rate in rates.items() if rate is None)

    def rows(count: int | None) -> list[RegisterRow]:
        return _rows_of(columns, count)

    return Register(as_of, book, base, rows, totals, grand, missing)


def _rows_of(columns: RegisterColumns, count: int | None) -> list[RegisterRow]:
    ordered = columns.ordered(count)
    rows = [i for i, _, _ in ordered]
    costs = columns.cost_of(rows)
    accumulated = columns.accumulated_of(rows)
    starts = columns.starts_of(rows)
    return [
        RegisterRow(
            asset_id=columns.ids[i],
            asset_tag=tag,
            name=name,
            category=columns.category[i],
            cost_centre=columns.cost_centre[i],
            location=columns.location[i],
            company=columns.company[i],
            currency=columns.currencies[i],
            cost=costs[k],
            accumulated=accumulated[k],
            net_book_value=costs[k] - accumulated[k],
            profile=columns.profiles[i],
            in_service=starts[k],
            note=columns.notes[i],
        )
        for k, (i, tag, name) in enumerate(ordered)
    ]


def build_register_per_asset(
    assets: Iterable[Asset], as_of: dt.date, book: str, base_currency: str | None = None
) -> Register:
    """The naive register: one model instance and one full Decimal schedule per asset
    (about 2 ms each). Kept as the reference :func:`build_register` is tested equal to,
    and as the benchmark's baseline."""
    base = (base_currency or conf.base_currency()).upper()
    assets = list(assets)
    index = ProfileIndex(book, [a.pk for a in assets])
    rows: list[RegisterRow] = []
    for asset in assets:
        entry = asset_book(asset, book, index)
        cost = Decimal(asset.cost or 0)  # register_assets keeps assets with a cost
        accumulated = entry.schedule.accumulated_as_of(as_of) if entry.schedule else Decimal(0)
        override = index.overrides.get(asset.pk)
        centre = cost_centre_of(asset, override)
        company = override.company if override is not None and override.company_id else None
        rows.append(
            RegisterRow(
                asset_id=asset.pk,
                asset_tag=asset.asset_tag,
                name=asset.name,
                category=asset.model.category.name,
                cost_centre=str(centre) if centre is not None else UNALLOCATED,
                location=str(asset.location) if asset.location_id else UNALLOCATED,
                company=str(company) if company is not None else UNALLOCATED,
                currency=asset.currency,
                cost=cost,
                accumulated=accumulated,
                net_book_value=cost - accumulated,
                profile=str(entry.profile) if entry.profile else "",
                in_service=entry.start,
                note=entry.reason,
            )
        )
    rates = {currency: rate_on(currency, base, as_of) for currency in {r.currency for r in rows}}
    base_quantum = quantum(base)
    totals: dict[str, dict[str, Total]] = {d: defaultdict(Total) for d in DIMENSIONS}
    grand = Total()
    for row in rows:
        rate = rates[row.currency]
        _add(grand, row, rate, base_quantum)
        for dimension in DIMENSIONS:
            _add(totals[dimension][getattr(row, dimension)], row, rate, base_quantum)
    missing = sorted(currency for currency, rate in rates.items() if rate is None)
    return Register(
        as_of, book, base, rows, {d: dict(g) for d, g in totals.items()}, grand, missing
    )


EXPORT_COLUMNS: list[tuple[str, Any]] = [
    ("asset_id", lambda r: r.asset_id),
    ("asset_tag", lambda r: r.asset_tag),
    ("name", lambda r: r.name),
    ("category", lambda r: r.category),
    ("cost_centre", lambda r: r.cost_centre),
    ("location", lambda r: r.location),
    ("company", lambda r: r.company),
    ("currency", lambda r: r.currency),
    ("cost", lambda r: r.cost),
    ("accumulated_depreciation", lambda r: r.accumulated),
    ("net_book_value", lambda r: r.net_book_value),
    ("profile", lambda r: r.profile),
    ("depreciation_start", lambda r: r.in_service),
    ("note", lambda r: r.note),
]
