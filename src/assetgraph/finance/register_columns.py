"""The register's per-asset figures as columns, read with one query and computed in bulk.

The per-asset path (:func:`assetgraph.finance.books.asset_book`) builds a model instance and
a Decimal schedule of every month for each asset, about 2 ms an asset: 200 s at 100,000.
The register needs one number per asset — the depreciation booked by the as-of date — so
this reads plain values (no model instances) and computes that number with
:func:`~assetgraph.finance.depreciation.batch.straight_line_accumulated` for the common case
(straight line, full-month convention, not disposed later), in integer minor units. Every
other asset (declining balance, sum-of-years, MACRS, other conventions, a disposal that
cuts its schedule, a currency with fewer than two minor digits such as JPY, whose
per-asset figures mix cents from the stored cost with whole yen) goes through the
per-asset path, so the figures are the per-asset path's to the cent
(``tests/finance/test_register_batch.py`` compares them).

Amounts are kept as integers in thousandths (``MILLI``): every currency's minor unit is at
most three digits and costs have two, so every figure is an exact integer there.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db.models import QuerySet

from assetgraph.assets.models import Asset
from assetgraph.core.batching import in_batches
from assetgraph.org.models import Company, CostCentre

from . import conf
from .books import ProfileIndex, asset_book
from .choices import BookChoices, ConventionChoices, MethodChoices, StartBasisChoices
from .depreciation.batch import straight_line_accumulated
from .depreciation.calendar import month_end, month_ordinal
from .models import AssetFinance, DepreciationProfile
from .money import minor_digits

UNALLOCATED = "(none)"
MILLI = 3  # amounts are integers of 10**-MILLI
COST_DIGITS = 2  # costs are stored with two decimals
I64 = npt.NDArray[np.int64]

_FIELDS = (
    "pk",
    "asset_tag",
    "name",
    "model_id",
    "model__category_id",
    "model__category__name",
    "location_id",
    "location__path",
    "location__name",
    "custodian__cost_centre_id",
    "custodian__department__cost_centre_id",
    "cost",
    "currency",
    "purchase_date",
    "deployed_date",
    "disposal__disposed_on",
)


@dataclass
class RegisterColumns:
    """One entry per asset, in register order. ``cost_u``/``accumulated_u`` are integers of
    10**-3 of the currency; ``accumulated`` holds the exact Decimal where the per-asset
    path produced it (else None: built from ``accumulated_u`` on demand);
    ``accumulated_exp`` is that Decimal's exponent (0 for "nothing booked yet"), so sums
    render as the per-asset path's do."""

    ids: list[int] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    category: list[str] = field(default_factory=list)
    cost_centre: list[str] = field(default_factory=list)
    location: list[str] = field(default_factory=list)
    company: list[str] = field(default_factory=list)
    currencies: list[str] = field(default_factory=list)
    costs: list[Decimal] = field(default_factory=list)
    profiles: list[str] = field(default_factory=list)
    starts: list[dt.date | None] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    accumulated: list[Decimal | None] = field(default_factory=list)
    cost_u: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    accumulated_u: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    accumulated_exp: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.ids)

    def accumulated_at(self, i: int) -> Decimal:
        """Row ``i``'s accumulated depreciation as the per-asset path writes it."""
        exact = self.accumulated[i]
        if exact is not None:
            return exact
        exponent = int(self.accumulated_exp[i])
        if exponent == 0 and not self.accumulated_u[i]:
            return Decimal(0)
        return (
            Decimal(int(self.accumulated_u[i])).scaleb(-MILLI).quantize(Decimal(1).scaleb(exponent))
        )


@dataclass
class _Profiles:
    """The book's profiles by id, model and category, with their labels."""

    by_id: dict[int, DepreciationProfile]
    by_model: dict[int, DepreciationProfile]
    by_category: dict[int, DepreciationProfile]
    labels: dict[int, str]

    @classmethod
    def load(cls, book: str) -> _Profiles:
        profiles = list(DepreciationProfile.objects.all())
        own = [p for p in profiles if p.book == book]
        return cls(
            {p.pk: p for p in profiles},
            {p.asset_model_id: p for p in own if p.asset_model_id},
            {p.category_id: p for p in own if p.category_id},
            {p.pk: str(p) for p in profiles},
        )


@dataclass
class _Fast:
    """The assets computed in bulk: row index, minor-unit cost and salvage, start month,
    life and minor digits."""

    rows: list[int] = field(default_factory=list)
    cost: list[int] = field(default_factory=list)
    salvage: list[int] = field(default_factory=list)
    start: list[int] = field(default_factory=list)
    life: list[int] = field(default_factory=list)
    digits: list[int] = field(default_factory=list)


def _minor(value: Decimal, digits: int) -> int | None:
    """``value`` in the currency's minor units, or None when it is not a whole number of
    them (a 0-digit currency with cents: left to the per-asset path)."""
    scaled = value.scaleb(digits)
    return int(scaled) if scaled == scaled.to_integral_value() else None


def _salvage(
    cost: int, profile: DepreciationProfile, own: Decimal | None, digits: int
) -> int | None:
    """The salvage in minor units as ``DepreciationProfile.spec`` computes it (its own,
    else the profile's percentage of cost rounded half up)."""
    if own is not None:
        return _minor(own, digits)
    basis_points = int(profile.salvage_percent * 100)
    return (2 * cost * basis_points + 10_000) // 20_000


def load_columns(queryset: QuerySet[Asset], as_of: dt.date, book: str) -> RegisterColumns:
    """The register's columns for the assets of ``queryset`` (:func:`register_assets`)."""
    profiles = _Profiles.load(book)
    override_fields = (
        "asset_id",
        "book_profile_id",
        "tax_profile_id",
        "depreciation_start",
        "salvage",
        "cost_centre_id",
        "company_id",
    )
    overrides = {
        row[0]: row
        for row in AssetFinance.objects.filter(asset__in=queryset.order_by().values("pk"))
        .order_by()
        .values_list(*override_fields)
    }
    centres = {c.pk: str(c) for c in CostCentre.objects.all()}
    companies = {c.pk: str(c) for c in Company.objects.all()}
    fiscal_month = conf.fiscal_year_start_month()
    columns = RegisterColumns()
    fast = _Fast()
    slow: dict[int, int] = {}  # asset id -> row
    cost_u: list[int] = []
    for i, values in enumerate(queryset.values_list(*_FIELDS)):
        (pk, tag, name, model_id, category_id, category, location_id, path, place,
         person_centre, department_centre, cost, currency, purchased, deployed,
         disposed) = values  # fmt: skip
        override = overrides.get(pk)
        columns.ids.append(pk)
        columns.tags.append(tag)
        columns.names.append(name)
        columns.category.append(category)
        centre = (override[5] if override else None) or person_centre or department_centre
        columns.cost_centre.append(centres[centre] if centre else UNALLOCATED)
        columns.location.append((path or place) if location_id else UNALLOCATED)
        company = override[6] if override else None
        columns.company.append(companies[company] if company else UNALLOCATED)
        columns.currencies.append(currency)
        columns.costs.append(cost)
        cost_u.append(int(cost.scaleb(MILLI)))
        columns.accumulated.append(Decimal(0))
        profile = None
        if override:
            own = override[1] if book == BookChoices.BOOK else override[2]
            profile = profiles.by_id.get(own) if own else None
        if profile is None:
            profile = profiles.by_model.get(model_id) or profiles.by_category.get(category_id)
        if profile is None:
            columns.profiles.append("")
            columns.starts.append(None)
            columns.notes.append(f"no {book} profile for its model or category")
            continue
        columns.profiles.append(profiles.labels[profile.pk])
        start = override[3] if override and override[3] else None
        purchase_basis = profile.start_basis == StartBasisChoices.PURCHASE
        start = start or (purchased if purchase_basis else deployed)
        columns.starts.append(start)
        if start is None:
            basis = "purchase date" if purchase_basis else "in-service date"
            columns.notes.append(f"no {basis} yet")
            continue
        columns.notes.append("")
        digits = minor_digits(currency)
        minor_cost = _minor(cost, digits)
        salvage = (
            None
            if minor_cost is None
            else _salvage(minor_cost, profile, override[4] if override else None, digits)
        )
        if (
            digits < COST_DIGITS
            or not 1 <= profile.life_years <= 100
            or profile.method != MethodChoices.STRAIGHT_LINE
            or profile.convention != ConventionChoices.FULL_MONTH
            or (disposed is not None and disposed >= start)
            or minor_cost is None
            or salvage is None
            or not 0 <= salvage <= minor_cost
        ):
            slow[pk] = i
            continue
        fast.rows.append(i)
        fast.cost.append(minor_cost)
        fast.salvage.append(salvage)
        fast.start.append(month_ordinal(start))
        fast.life.append(profile.life_years)
        fast.digits.append(digits)
    columns.cost_u = np.array(cost_u, dtype=np.int64)
    columns.accumulated_u = np.zeros(len(columns), dtype=np.int64)
    columns.accumulated_exp = np.zeros(len(columns), dtype=np.int64)
    _compute_fast(columns, fast, as_of, fiscal_month)
    _compute_slow(columns, slow, queryset, as_of, book)
    return columns


def _through_month(as_of: dt.date) -> int:
    """The last month booked by ``as_of`` (a month is booked on its last day)."""
    month = month_ordinal(as_of)
    return month if as_of == month_end(month) else month - 1


def _compute_fast(columns: RegisterColumns, fast: _Fast, as_of: dt.date, fiscal_month: int) -> None:
    if not fast.rows:
        return
    rows = np.array(fast.rows, dtype=np.int64)
    cost = np.array(fast.cost, dtype=np.int64)
    salvage = np.array(fast.salvage, dtype=np.int64)
    start = np.array(fast.start, dtype=np.int64)
    digits = np.array(fast.digits, dtype=np.int64)
    through = _through_month(as_of)
    accumulated = straight_line_accumulated(
        cost, salvage, start, np.array(fast.life, dtype=np.int64), through, fiscal_month
    )
    # A schedule with months (cost above salvage) that has booked one has the currency's
    # exponent; otherwise the per-asset path's figure is a plain zero.
    booked = (cost > salvage) & (start <= through)
    columns.accumulated_u[rows] = accumulated * 10 ** (MILLI - digits)
    columns.accumulated_exp[rows] = np.where(booked, -digits, 0)
    for row in fast.rows:
        columns.accumulated[row] = None


def _compute_slow(
    columns: RegisterColumns,
    slow: dict[int, int],
    queryset: QuerySet[Asset],
    as_of: dt.date,
    book: str,
) -> None:
    """The per-asset path for every asset the bulk computation does not cover."""
    if not slow:
        return
    ids = sorted(slow)
    index = ProfileIndex(book, ids)
    for chunk in in_batches(ids):
        for asset in queryset.filter(pk__in=chunk).order_by():
            entry = asset_book(asset, book, index)
            i = slow[asset.pk]
            accumulated = entry.schedule.accumulated_as_of(as_of) if entry.schedule else Decimal(0)
            columns.accumulated[i] = accumulated
            columns.accumulated_u[i] = int(accumulated.scaleb(MILLI))
            exponent: Any = accumulated.as_tuple().exponent
            columns.accumulated_exp[i] = min(0, int(exponent))
            columns.profiles[i] = str(entry.profile) if entry.profile else ""
            columns.starts[i] = entry.start
            columns.notes[i] = entry.reason
