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
from operator import itemgetter
from typing import Any

import numpy as np
import numpy.typing as npt
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import BigIntegerField, Func, QuerySet

from assetgraph.assets.models import Asset, AssetModel
from assetgraph.core.batching import in_batches
from assetgraph.org.models import Company, CostCentre, Location

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
    "model_id",
    "location_id",
    "custodian__cost_centre_id",
    "custodian__department__cost_centre_id",
    "register_cents",
    "currency",
    "register_bought",
    "register_deployed",
    "register_disposed",
)
EPOCH_DAY = dt.date(1970, 1, 1).toordinal()


class _Cents(Func):
    """A stored cost in hundredths, as an integer (the database rounds, not Python)."""

    template = "CAST(ROUND(%(expressions)s * 100) AS BIGINT)"
    output_field = BigIntegerField()


class _DayNumber(Func):
    """A date as its proleptic ordinal (``date.toordinal()``), 0 when NULL: an integer the
    driver returns as is, where a date column costs a parse per cell."""

    output_field = BigIntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "COALESCE(CAST(julianday(%(expressions)s) - 1721424.5 AS INTEGER), 0)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "COALESCE(%(expressions)s - DATE '0001-01-01' + 1, 0)"
        return self.as_sql(compiler, connection, template=template, **extra)


_OVERRIDE_FIELDS = (
    "asset_id",
    "book_profile_id",
    "tax_profile_id",
    "depreciation_start",
    "salvage",
    "cost_centre_id",
    "company_id",
)


@dataclass
class RegisterColumns:
    """One entry per asset, in register order. ``cents`` is the cost in hundredths;
    ``accumulated_u`` the depreciation booked in thousandths (``MILLI``) and
    ``accumulated_exp`` the exponent the per-asset path writes it with (0 for "nothing booked
    yet"), so sums render as the per-asset path's do; ``exact`` holds the Decimals the
    per-asset path computed (its rows), ``bulk`` counts the rows computed in bulk."""

    ids: list[int] = field(default_factory=list)
    category: list[str] = field(default_factory=list)
    cost_centre: list[str] = field(default_factory=list)
    location: list[str] = field(default_factory=list)
    company: list[str] = field(default_factory=list)
    currencies: list[str] = field(default_factory=list)
    cents: list[int] = field(default_factory=list)
    profiles: list[str] = field(default_factory=list)
    start_days: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    notes: list[str] = field(default_factory=list)
    exact: dict[int, Decimal] = field(default_factory=dict)
    exact_starts: dict[int, dt.date | None] = field(default_factory=dict)
    source: QuerySet[Asset] | None = None
    bulk: int = 0
    cost_u: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    accumulated_u: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    accumulated_exp: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.ids)

    def ordered(self, count: int | None) -> list[tuple[int, str, str]]:
        """The first ``count`` rows (all when None) in the caller's order (the register's
        queryset orders by asset tag), as (column index, asset tag, name): the columns are
        read unordered, and tags and names only for the rows built (the totals need
        neither)."""
        if self.source is None or not self.ids:
            return []
        position = {pk: i for i, pk in enumerate(self.ids)}
        rows: Any = self.source.values_list("pk", "asset_tag", "name")
        if count is not None:
            rows = rows[:count]
        return [(position[pk], tag, name) for pk, tag, name in rows if pk in position]

    def starts_of(self, rows: list[int]) -> list[dt.date | None]:
        """The depreciation start dates of ``rows`` (column indexes; None: no date)."""
        days = self.start_days[rows].tolist()
        starts = [dt.date.fromordinal(d) if d else None for d in days]
        for k, i in enumerate(rows):
            if i in self.exact_starts:
                starts[k] = self.exact_starts[i]
        return starts

    def cost_of(self, rows: list[int]) -> list[Decimal]:
        """The costs of ``rows`` as the database gives them (two decimals)."""
        return [Decimal(self.cents[i]).scaleb(-COST_DIGITS) for i in rows]

    def accumulated_of(self, rows: list[int]) -> list[Decimal]:
        """The accumulated depreciation of ``rows`` (column indexes) as the per-asset path
        writes it: the per-asset Decimal where there is one, else the bulk figure with its
        exponent (a plain 0 when nothing is booked)."""
        units = self.accumulated_u[rows].tolist()
        exponents = self.accumulated_exp[rows].tolist()
        values = [
            Decimal(u // 10 ** (MILLI + e)).scaleb(e) if e or u else Decimal(0)
            for u, e in zip(units, exponents, strict=True)
        ]
        for k, i in enumerate(rows):
            if i in self.exact:
                values[k] = self.exact[i]
        return values


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

    def bulk(self, profile: DepreciationProfile) -> bool:
        """Whether the bulk computation covers this profile's method and convention."""
        return (
            profile.method == MethodChoices.STRAIGHT_LINE
            and profile.convention == ConventionChoices.FULL_MONTH
            and 1 <= profile.life_years <= 100
        )


def _fetch(queryset: QuerySet[Asset]) -> list[tuple[Any, ...]]:
    """The columns the computation needs as the driver returns them, plain integers and
    short strings: the cost in cents and the dates as day ordinals are computed by the
    database (:class:`_Cents`, :class:`_DayNumber`), so no Decimal or date is made per cell
    (Django's converters, and SQLite's date parse, were most of a values() query's time at
    100,000 rows); tags and names are read only for the rows asked for."""
    values = (
        queryset.order_by()
        .annotate(
            register_cents=_Cents("cost"),
            register_bought=_DayNumber("purchase_date"),
            register_deployed=_DayNumber("deployed_date"),
            register_disposed=_DayNumber("disposal__disposed_on"),
        )
        .values_list(*_FIELDS)
    )
    return plain_rows(values)


def plain_rows(values: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """A ``values_list`` query's rows as the driver returns them, in one ``fetchall``
    (no per-cell converters, no 100-row chunks): for integer and text columns."""
    try:
        sql, params = values.query.get_compiler(using=values.db).as_sql()
    except EmptyResultSet:  # ``.none()``, or an empty ``IN`` list: no query to run
        return []
    with connections[values.db].cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _minor(value: Decimal, digits: int) -> int | None:
    """``value`` in the currency's minor units, or None when it is not a whole number of
    them."""
    scaled = value.scaleb(digits)
    return int(scaled) if scaled == scaled.to_integral_value() else None


def _labels(queryset: Any, label: Any) -> dict[Any, str]:
    labels: dict[Any, str] = {None: UNALLOCATED}
    labels.update((obj.pk, label(obj)) for obj in queryset)
    return labels


@dataclass
class _Rows:
    """The fetched columns, transposed."""

    pk: list[int]
    model: list[int]
    location: list[int | None]
    person_centre: list[int | None]
    department_centre: list[int | None]
    cents: list[int]
    currency: list[str]
    purchased: list[int]
    deployed: list[int]
    disposed: list[int]

    @classmethod
    def of(cls, raw: list[tuple[Any, ...]]) -> _Rows:
        return cls(*(list(map(itemgetter(k), raw)) for k in range(len(_FIELDS))))


def load_columns(queryset: QuerySet[Asset], as_of: dt.date, book: str) -> RegisterColumns:
    """The register's columns for the assets of ``queryset`` (:func:`register_assets`)."""
    columns, bulk, slow = _columns(queryset, book)
    _compute_bulk(columns, bulk, as_of, conf.fiscal_year_start_month())
    _compute_slow(columns, slow, queryset, as_of, book)
    return columns


def monthly_depreciation(
    queryset: QuerySet[Asset], month: dt.date, book: str
) -> dict[int, tuple[str, Decimal]]:
    """The depreciation booked in ``month`` (a calendar month) per asset of ``queryset``,
    as ``{asset id: (currency, amount)}``, non-zero amounts only: the per-asset schedule's
    ``amount_in_month``, computed for the bulk case as the accumulated depreciation through
    the month less that through the month before (one query, no model instances)."""
    columns, bulk, slow = _columns(queryset, book)
    out: dict[int, tuple[str, Decimal]] = {}
    if bulk.rows.size:
        fiscal = conf.fiscal_year_start_month()
        through = month_ordinal(month)
        args = (bulk.cost, bulk.salvage, bulk.start, bulk.life)
        amounts = straight_line_accumulated(*args, through, fiscal)
        amounts -= straight_line_accumulated(*args, through - 1, fiscal)
        booked = np.flatnonzero(amounts)
        ids, currencies = columns.ids, columns.currencies
        for i, units, digits in zip(
            bulk.rows[booked].tolist(),
            amounts[booked].tolist(),
            bulk.digits[booked].tolist(),
            strict=True,
        ):
            out[ids[i]] = (currencies[i], Decimal(units).scaleb(-digits))
    if slow:
        ids = sorted(slow)
        index = ProfileIndex(book, ids)
        for chunk in in_batches(ids):
            for asset in queryset.filter(pk__in=chunk).order_by():
                entry = asset_book(asset, book, index)
                if entry.schedule is None:
                    continue
                amount = entry.schedule.amount_in_month(month.year, month.month)
                if amount:
                    out[asset.pk] = (asset.currency, amount)
    return out


def _columns(queryset: QuerySet[Asset], book: str) -> tuple[RegisterColumns, _Bulk, dict[int, int]]:
    """The columns of ``queryset``'s assets, the rows computed in bulk (with their inputs)
    and the others with a schedule, for the per-asset path."""
    rows = _Rows.of(_fetch(queryset))
    n = len(rows.pk)
    profiles = _Profiles.load(book)
    overrides = {
        row[0]: row
        for row in AssetFinance.objects.filter(asset__in=queryset.order_by().values("pk"))
        .order_by()
        .values_list(*_OVERRIDE_FIELDS)
    }
    override_rows = [i for i, pk in enumerate(rows.pk) if pk in overrides] if overrides else []
    models = {m.pk: m for m in AssetModel.objects.select_related("category")}
    columns = RegisterColumns(ids=rows.pk, source=queryset)
    columns.currencies = rows.currency
    category_of = {pk: m.category.name for pk, m in models.items()}
    columns.category = list(map(category_of.__getitem__, rows.model))
    places = _labels(Location.objects.only("path", "name"), lambda loc: loc.path or loc.name)
    columns.location = list(map(places.__getitem__, rows.location))
    centres = _labels(CostCentre.objects.all(), str)
    companies = _labels(Company.objects.filter(pk__in=[o[6] for o in overrides.values()]), str)
    centre_ids = [a or b for a, b in zip(rows.person_centre, rows.department_centre, strict=True)]
    columns.company = [UNALLOCATED] * n
    for i in override_rows:
        override = overrides[rows.pk[i]]
        centre_ids[i] = override[5] or centre_ids[i]
        columns.company[i] = companies[override[6]]
    columns.cost_centre = list(map(centres.__getitem__, centre_ids))
    columns.cents = rows.cents
    # The profile of each row (its model's, else its category's, or the asset's own), as an
    # index into ``table`` (None: no profile).
    table: list[DepreciationProfile | None] = [None, *profiles.by_id.values()]
    code = {p.pk if p else None: k for k, p in enumerate(table)}
    of_model = {
        pk: code[
            getattr(
                profiles.by_model.get(pk) or profiles.by_category.get(m.category_id), "pk", None
            )
        ]
        for pk, m in models.items()
    }
    row_code = list(map(of_model.__getitem__, rows.model))
    for i in override_rows:
        own = overrides[rows.pk[i]][1 if book == BookChoices.BOOK else 2]
        if own:
            row_code[i] = code[own]
    codes = np.array(row_code, dtype=np.int64)
    purchase = np.array(
        [p is not None and p.start_basis == StartBasisChoices.PURCHASE for p in table], np.bool_
    )
    starts = np.where(
        purchase[codes], np.array(rows.purchased, np.int64), np.array(rows.deployed, np.int64)
    )
    starts[codes == 0] = 0
    for i in override_rows:
        if overrides[rows.pk[i]][3] and row_code[i]:
            starts[i] = overrides[rows.pk[i]][3].toordinal()
    columns.start_days = starts
    labels = ["", *(profiles.labels[p.pk] for p in table[1:] if p)]
    columns.profiles = list(map(labels.__getitem__, row_code))
    notes = [[_note(p, start, book) for start in (None, dt.date.min)] for p in table]
    started = (starts > 0).tolist()
    columns.notes = [notes[k][s] for k, s in zip(row_code, started, strict=True)]
    columns.cost_u = np.array(columns.cents, dtype=np.int64) * 10 ** (MILLI - COST_DIGITS)
    columns.accumulated_u = np.zeros(n, dtype=np.int64)
    columns.accumulated_exp = np.zeros(n, dtype=np.int64)
    bulk, slow = _split(columns, rows, codes, table, profiles, (overrides, override_rows))
    return columns, bulk, slow


def _note(profile: DepreciationProfile | None, start: dt.date | None, book: str) -> str:
    """Why a row has no schedule, as the per-asset path says it ("" when it has one)."""
    if profile is None:
        return f"no {book} profile for its model or category"
    if start is None:
        purchase = profile.start_basis == StartBasisChoices.PURCHASE
        return f"no {'purchase date' if purchase else 'in-service date'} yet"
    return ""


@dataclass
class _Bulk:
    """The rows computed in bulk, with their minor-unit cost and salvage, start month, life
    and minor digits."""

    rows: I64
    cost: I64
    salvage: I64
    start: I64
    life: I64
    digits: I64


def _split(
    columns: RegisterColumns,
    rows: _Rows,
    codes: I64,
    table: list[DepreciationProfile | None],
    profiles: _Profiles,
    own: tuple[dict[int, tuple[Any, ...]], list[int]],
) -> tuple[_Bulk, dict[int, int]]:
    """Which rows the bulk computation covers (and their inputs), and the others with a
    schedule (asset id -> row) for the per-asset path."""
    n = len(columns)
    overrides, override_rows = own
    by_currency = {c: minor_digits(c) for c in set(columns.currencies)}
    digits = np.fromiter(map(by_currency.__getitem__, columns.currencies), np.int64, n)
    bulk_profile = np.array([p is not None and profiles.bulk(p) for p in table], dtype=np.bool_)
    basis_points = np.array([int(p.salvage_percent * 100) if p else 0 for p in table], np.int64)
    lives = np.array([p.life_years if p else 1 for p in table], dtype=np.int64)
    started = columns.start_days > 0
    scheduled = (codes > 0) & started
    ok = scheduled & (digits >= COST_DIGITS) & bulk_profile[codes]
    cost = np.array(columns.cents, dtype=np.int64) * 10 ** np.maximum(digits - COST_DIGITS, 0)
    salvage = (2 * cost * basis_points[codes] + 10_000) // 20_000
    disposed = np.array(rows.disposed, dtype=np.int64)
    ok &= ~(started & (disposed > 0) & (disposed >= columns.start_days))  # cut: per asset
    for i in override_rows:
        value = overrides[rows.pk[i]][4]
        if value is not None and ok[i]:
            minor = _minor(Decimal(value), int(digits[i]))
            ok[i] = minor is not None
            salvage[i] = minor or 0
    ok &= (salvage >= 0) & (salvage <= cost)
    chosen = np.flatnonzero(ok)
    months = _month_ordinals(columns.start_days[chosen])
    slow = {rows.pk[i]: i for i in np.flatnonzero(scheduled & ~ok).tolist()}
    bulk = _Bulk(
        chosen, cost[chosen], salvage[chosen], months, lives[codes[chosen]], digits[chosen]
    )
    return bulk, slow


def _month_ordinals(days: I64) -> I64:
    """Day ordinals (``date.toordinal()``) as month ordinals (``year x 12 + month - 1``)."""
    since_epoch = (days - EPOCH_DAY).astype("datetime64[D]")
    return since_epoch.astype("datetime64[M]").astype(np.int64) + 1970 * 12


def _through_month(as_of: dt.date) -> int:
    """The last month booked by ``as_of`` (a month is booked on its last day)."""
    month = month_ordinal(as_of)
    return month if as_of == month_end(month) else month - 1


def _compute_bulk(columns: RegisterColumns, bulk: _Bulk, as_of: dt.date, fiscal_month: int) -> None:
    if not bulk.rows.size:
        return
    through = _through_month(as_of)
    accumulated = straight_line_accumulated(
        bulk.cost, bulk.salvage, bulk.start, bulk.life, through, fiscal_month
    )
    # A schedule with months (cost above salvage) that has booked one has the currency's
    # exponent; otherwise the per-asset path's figure is a plain zero.
    booked = (bulk.cost > bulk.salvage) & (bulk.start <= through)
    columns.accumulated_u[bulk.rows] = accumulated * 10 ** (MILLI - bulk.digits)
    columns.accumulated_exp[bulk.rows] = np.where(booked, -bulk.digits, 0)
    columns.bulk = int(bulk.rows.size)


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
            columns.exact[i] = accumulated
            columns.accumulated_u[i] = int(accumulated.scaleb(MILLI))
            exponent: Any = accumulated.as_tuple().exponent
            columns.accumulated_exp[i] = min(0, int(exponent))
            columns.profiles[i] = str(entry.profile) if entry.profile else ""
            columns.exact_starts[i] = entry.start
            columns.notes[i] = entry.reason
