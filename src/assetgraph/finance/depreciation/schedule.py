"""Depreciation schedules as pure values: a specification in, a month-by-month schedule out.

No Django here: the finance app, the CLI's what-if preview and the benchmarks all call
:func:`build_schedule` and :func:`dispose` with plain values (docs/finance.md explains every
rule with an example).

How a schedule is built:

1. The method gives one amount per fiscal year (straight line, declining balance, sum of the
   years' digits, the MACRS tables, or none). The convention decides how much of a year the
   first fiscal year counts for (full month, mid-month, half-year, mid-quarter, actual days).
2. Each fiscal year's amount is spread over the months of that year in which the asset is in
   service, in proportion to each month's weight (a half month for mid-month, the days in
   service for actual days, otherwise equal).
3. Every amount is rounded to the currency's minor unit (half up); the last period of a
   fiscal year absorbs that year's remainder and the last fiscal year absorbs the schedule's,
   so a schedule sums exactly to cost - salvage.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import cached_property

from assetgraph.finance.depreciation import calendar as cal
from assetgraph.finance.depreciation import macrs

ZERO = Decimal(0)
ONE = Decimal(1)
HALF = Decimal("0.5")


class Method(StrEnum):
    """How the depreciable amount is spread over the asset's life."""

    STRAIGHT_LINE = "straight_line"
    DECLINING_BALANCE = "declining_balance"
    SUM_OF_YEARS_DIGITS = "sum_of_years_digits"
    MACRS_GDS = "macrs_gds"
    NONE = "none"


class Convention(StrEnum):
    """When depreciation starts and stops within the first and last fiscal year."""

    FULL_MONTH = "full_month"
    MID_MONTH = "mid_month"
    HALF_YEAR = "half_year"
    MID_QUARTER = "mid_quarter"
    ACTUAL_DAYS = "actual_days"


MONTHLY_CONVENTIONS = frozenset(
    {Convention.FULL_MONTH, Convention.MID_MONTH, Convention.ACTUAL_DAYS}
)
MACRS_CONVENTIONS = frozenset({Convention.HALF_YEAR, Convention.MID_QUARTER})


class DepreciationError(ValueError):
    """A specification that cannot be depreciated; ``field`` names the offending input."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class DepreciationSpec:
    """Everything a schedule depends on. Amounts are in the currency's major unit
    (``Decimal("1234.56")``) and are rounded to ``minor_digits`` decimals (2 for EUR/USD,
    0 for JPY, 3 for KWD)."""

    cost: Decimal
    in_service: date
    method: Method
    life_years: int
    salvage: Decimal = ZERO
    convention: Convention = Convention.FULL_MONTH
    fiscal_year_start_month: int = 1
    declining_factor: Decimal = Decimal(2)
    declining_rate: Decimal | None = None
    switch_to_straight_line: bool = True
    minor_digits: int = 2

    def validate(self) -> None:
        """Raise :class:`DepreciationError` naming the first field that is out of range."""
        if not isinstance(self.cost, Decimal) or self.cost < 0:
            raise DepreciationError("cost", "must be a Decimal of at least 0")
        if not isinstance(self.salvage, Decimal) or self.salvage < 0:
            raise DepreciationError("salvage", "must be a Decimal of at least 0")
        if self.salvage > self.cost:
            raise DepreciationError("salvage", "cannot exceed the cost")
        if not 1 <= self.fiscal_year_start_month <= 12:
            raise DepreciationError("fiscal_year_start_month", "must be a month, 1-12")
        if not 0 <= self.minor_digits <= 4:
            raise DepreciationError("minor_digits", "must be 0-4")
        if self.method is Method.NONE:
            return
        if not 1 <= self.life_years <= 100:
            raise DepreciationError("life_years", "must be 1-100 years")
        if self.method is Method.MACRS_GDS:
            if self.life_years not in macrs.RECOVERY_PERIODS:
                raise DepreciationError(
                    "life_years", f"MACRS GDS tables cover {macrs.RECOVERY_PERIODS} years"
                )
            if self.convention not in MACRS_CONVENTIONS:
                raise DepreciationError("convention", "MACRS uses half_year or mid_quarter")
            if self.salvage:
                raise DepreciationError("salvage", "MACRS recovers the whole basis: salvage 0")
        if self.method is Method.DECLINING_BALANCE:
            rate = self.annual_declining_rate
            if not ZERO < rate <= ONE:
                raise DepreciationError("declining_rate", "the annual rate must be in (0, 1]")

    @property
    def annual_declining_rate(self) -> Decimal:
        """The declining-balance rate: the explicit rate, else factor ÷ life (200 % → 2/L),
        at most 100 %."""
        if self.declining_rate is not None:
            return self.declining_rate
        return min(ONE, self.declining_factor / Decimal(self.life_years))

    @property
    def quantum(self) -> Decimal:
        """The currency's minor unit as a Decimal exponent (0.01 for two digits)."""
        return Decimal(1).scaleb(-self.minor_digits)


@dataclass(frozen=True)
class Period:
    """One month of a schedule: the amount booked at its end and the balances after it."""

    start: date
    end: date
    fiscal_year: int
    amount: Decimal
    accumulated: Decimal
    book_value: Decimal


@dataclass(frozen=True)
class FiscalYearAmount:
    """One fiscal year's depreciation and the book value at its end."""

    fiscal_year: int
    amount: Decimal
    book_value: Decimal


@dataclass(frozen=True)
class Schedule:
    """A computed schedule. ``disposed_on``/``proceeds`` are set when it ends in a disposal;
    then ``gain_loss`` is proceeds - book value at disposal (positive is a gain)."""

    cost: Decimal
    salvage: Decimal
    in_service: date
    periods: tuple[Period, ...]
    disposed_on: date | None = None
    proceeds: Decimal | None = None
    _ends: tuple[date, ...] = field(default=(), repr=False, compare=False)

    @property
    def total(self) -> Decimal:
        """Depreciation over the whole schedule."""
        return self.periods[-1].accumulated if self.periods else ZERO

    @cached_property
    def years(self) -> tuple[FiscalYearAmount, ...]:
        """The schedule summed per fiscal year."""
        years: list[FiscalYearAmount] = []
        for period in self.periods:
            if years and years[-1].fiscal_year == period.fiscal_year:
                previous = years[-1]
                years[-1] = FiscalYearAmount(
                    period.fiscal_year, previous.amount + period.amount, period.book_value
                )
            else:
                years.append(FiscalYearAmount(period.fiscal_year, period.amount, period.book_value))
        return tuple(years)

    def accumulated_as_of(self, day: date) -> Decimal:
        """Depreciation booked by the end of ``day``: every period whose last day is on or
        before it (a month is booked on its last day)."""
        ends = self._ends or tuple(period.end for period in self.periods)
        booked = bisect.bisect_right(ends, day)
        if self.disposed_on is not None and day >= self.disposed_on:
            booked = len(self.periods)
        return self.periods[booked - 1].accumulated if booked else ZERO

    def book_value_as_of(self, day: date) -> Decimal:
        """Cost less depreciation booked by ``day``; zero from the disposal date on (the
        asset has left the books)."""
        if self.disposed_on is not None and day >= self.disposed_on:
            return ZERO
        return self.cost - self.accumulated_as_of(day)

    @property
    def book_value_at_disposal(self) -> Decimal | None:
        """Cost less all depreciation booked up to the disposal, when disposed."""
        return None if self.disposed_on is None else self.cost - self.total

    @property
    def gain_loss(self) -> Decimal | None:
        """Proceeds - book value at disposal: positive is a gain, negative a loss."""
        if self.disposed_on is None or self.proceeds is None:
            return None
        return self.proceeds - (self.cost - self.total)

    def amount_in_month(self, year: int, month: int) -> Decimal:
        """The depreciation booked in a calendar month (zero outside the schedule)."""
        end = cal.month_end(year * 12 + month - 1)
        index = bisect.bisect_left(self._ends or tuple(p.end for p in self.periods), end)
        if index < len(self.periods) and self.periods[index].end == end:
            return self.periods[index].amount
        return ZERO


@dataclass
class _Year:
    """Internal: one fiscal year's rounded amount and its service months with weights."""

    amount: Decimal
    months: list[tuple[int, Decimal]]


def _round(value: Decimal, quantum: Decimal) -> Decimal:
    """Half up to the currency's minor unit, after dropping division noise.

    Fractions such as 4/12 are not exact in Decimal, so an amount exactly on a half cent
    (57 cents x 4/24 = 9.5 cents) arrives as 9.4999…; a first rounding a millionth of the
    minor unit away restores the exact value, as integer arithmetic would give it (the batch
    computation in ``batch.py`` is exact and is tested equal to this one).
    """
    settled = value.quantize(quantum * NOISE, rounding=ROUND_HALF_EVEN)
    return settled.quantize(quantum, rounding=ROUND_HALF_UP)


NOISE = Decimal("1e-6")


def _first_year_fraction(spec: DepreciationSpec) -> Decimal:
    """How much of a full year the first fiscal year counts for under the convention."""
    start = cal.month_ordinal(spec.in_service)
    fy_first = cal.fiscal_year_start(start, spec.fiscal_year_start_month)
    months_left = Decimal(fy_first + 12 - start)
    convention = spec.convention
    if convention is Convention.FULL_MONTH:
        return months_left / 12
    if convention is Convention.MID_MONTH:
        return (months_left - HALF) / 12
    if convention is Convention.HALF_YEAR:
        return HALF
    if convention is Convention.MID_QUARTER:
        quarter = cal.fiscal_quarter(start, spec.fiscal_year_start_month)
        return (Decimal(4) - quarter + HALF) / 4
    first_day, last_day = cal.fiscal_year_bounds(start, spec.fiscal_year_start_month)
    in_year = (last_day - spec.in_service).days + 1
    return Decimal(in_year) / Decimal((last_day - first_day).days + 1)


def _service_months(spec: DepreciationSpec) -> list[tuple[int, Decimal]]:
    """Every month in which depreciation is booked, with its weight within its year."""
    start = cal.month_ordinal(spec.in_service)
    life = spec.life_years
    convention = spec.convention
    if convention is Convention.FULL_MONTH:
        return [(month, ONE) for month in range(start, start + 12 * life)]
    if convention is Convention.MID_MONTH:
        months = [(month, ONE) for month in range(start, start + 12 * life + 1)]
        months[0] = (start, HALF)
        months[-1] = (start + 12 * life, HALF)
        return months
    if convention is Convention.ACTUAL_DAYS:
        end = cal.add_years(spec.in_service, life)  # the first day no longer depreciated
        # Weighted by days in service, so a year's amount follows the calendar.
        first_days = cal.days_in_month(start) - spec.in_service.day + 1
        months = [(start, Decimal(first_days))]
        last = cal.month_ordinal(end)
        months += [(month, Decimal(cal.days_in_month(month))) for month in range(start + 1, last)]
        if end.day > 1:
            months.append((last, Decimal(end.day - 1)))
        return months
    final_year = cal.fiscal_year_start(start, spec.fiscal_year_start_month) + 12 * life
    if convention is Convention.HALF_YEAR:
        return [(month, ONE) for month in range(start, final_year + 6)]
    quarter = cal.fiscal_quarter(start, spec.fiscal_year_start_month)
    middle = final_year + 3 * (quarter - 1) + 1  # the deemed end falls mid-way through it
    return [(month, ONE) for month in range(start, middle)] + [(middle, HALF)]


def _group_by_year(
    spec: DepreciationSpec, months: Sequence[tuple[int, Decimal]]
) -> list[list[tuple[int, Decimal]]]:
    groups: list[list[tuple[int, Decimal]]] = []
    current = None
    for month, weight in months:
        year = cal.fiscal_year_start(month, spec.fiscal_year_start_month)
        if year != current:
            groups.append([])
            current = year
        groups[-1].append((month, weight))
    return groups


def _year_fractions(first: Decimal, years: int) -> list[Decimal]:
    """The share of a full year each fiscal year counts for: the first ``first``, the last
    the rest of a year, the others one."""
    if years == 1:
        return [first]
    fractions = [first] + [ONE] * (years - 1)
    if first != ONE:
        fractions[-1] = ONE - first
    return fractions


def _absorb(exact: Sequence[Decimal], total: Decimal, quantum: Decimal) -> list[Decimal]:
    """Round each amount, never past what is left, and let the last absorb the remainder."""
    rounded: list[Decimal] = []
    left = total
    for value in exact[:-1]:
        amount = min(max(_round(value, quantum), ZERO), left)
        rounded.append(amount)
        left -= amount
    rounded.append(left)
    return rounded


def _yearly_amounts(spec: DepreciationSpec, years: int) -> list[Decimal]:
    """The rounded depreciation of each fiscal year under the method."""
    quantum = spec.quantum
    base = spec.cost - spec.salvage
    life = Decimal(spec.life_years)
    if spec.method is Method.MACRS_GDS:
        quarter = None
        if spec.convention is Convention.MID_QUARTER:
            start = cal.month_ordinal(spec.in_service)
            quarter = cal.fiscal_quarter(start, spec.fiscal_year_start_month)
        table = macrs.percentages(spec.life_years, quarter)
        return _absorb([spec.cost * pct / 100 for pct in table], spec.cost, quantum)
    fractions = _year_fractions(_first_year_fraction(spec), years)
    if spec.method is Method.STRAIGHT_LINE:
        return _absorb([base / life * fraction for fraction in fractions], base, quantum)
    if spec.method is Method.SUM_OF_YEARS_DIGITS:
        digits = life * (life + 1) / 2
        life_year = [ZERO] + [base * (life - i) / digits for i in range(spec.life_years)] + [ZERO]
        first = fractions[0]
        exact = [first * life_year[k + 1] + (ONE - first) * life_year[k] for k in range(years)]
        return _absorb(exact, base, quantum)
    return _declining_balance(spec, fractions)


def _declining_balance(spec: DepreciationSpec, fractions: Sequence[Decimal]) -> list[Decimal]:
    """Rate x book value at the start of each fiscal year (times the year's fraction),
    switching to straight line over the remaining life when that is larger, never below
    salvage; the last year takes what is left above salvage."""
    quantum = spec.quantum
    rate = spec.annual_declining_rate
    life = Decimal(spec.life_years)
    book_value = spec.cost
    elapsed = ZERO
    amounts: list[Decimal] = []
    for index, fraction in enumerate(fractions):
        above_salvage = book_value - spec.salvage
        if index == len(fractions) - 1:
            amount = above_salvage
        else:
            amount = book_value * rate * fraction
            remaining = life - elapsed
            if spec.switch_to_straight_line and remaining > 0:
                amount = max(amount, above_salvage * fraction / remaining)
            amount = min(_round(amount, quantum), above_salvage)
        amounts.append(amount)
        book_value -= amount
        elapsed += fraction
    return amounts


def _plan(spec: DepreciationSpec) -> list[_Year]:
    """The fiscal years of a schedule: each one's rounded amount and weighted months."""
    groups = _group_by_year(spec, _service_months(spec))
    amounts = _yearly_amounts(spec, len(groups))
    if len(amounts) != len(groups):  # pragma: no cover - a bug, not an input problem
        raise AssertionError(f"{len(amounts)} yearly amounts for {len(groups)} fiscal years")
    return [_Year(amount, months) for amount, months in zip(amounts, groups, strict=True)]


def _spread(
    amount: Decimal, months: Sequence[tuple[int, Decimal]], quantum: Decimal
) -> list[Decimal]:
    weight = sum((w for _, w in months), ZERO)
    if not months:
        return []
    if weight == 0:
        return [ZERO] * (len(months) - 1) + [amount]
    return _absorb([amount * w / weight for _, w in months], amount, quantum)


def _assemble(spec: DepreciationSpec, years: Sequence[_Year], **disposal: object) -> Schedule:
    periods: list[Period] = []
    accumulated = ZERO
    for year in years:
        for (month, _), amount in zip(
            year.months, _spread(year.amount, year.months, spec.quantum), strict=True
        ):
            accumulated += amount
            periods.append(
                Period(
                    start=cal.month_start(month),
                    end=cal.month_end(month),
                    fiscal_year=cal.fiscal_year_label(month, spec.fiscal_year_start_month),
                    amount=amount,
                    accumulated=accumulated,
                    book_value=spec.cost - accumulated,
                )
            )
    return Schedule(
        cost=spec.cost,
        salvage=spec.salvage,
        in_service=spec.in_service,
        periods=tuple(periods),
        _ends=tuple(period.end for period in periods),
        **disposal,  # type: ignore[arg-type]
    )


def build_schedule(spec: DepreciationSpec) -> Schedule:
    """The full schedule of an asset kept to the end of its life."""
    spec.validate()
    if spec.method is Method.NONE or spec.cost == spec.salvage:
        return Schedule(spec.cost, spec.salvage, spec.in_service, ())
    return _assemble(spec, _plan(spec))


def _deemed_kept_fraction(
    spec: DepreciationSpec, year_index: int, years: int, disposed: date
) -> Decimal:
    """For half-year and mid-quarter: the share of the disposal year's amount still
    allowed, measured in deemed time (disposal is deemed mid-year, or mid-quarter)."""
    start_month = spec.fiscal_year_start_month
    if spec.method is Method.MACRS_GDS and year_index == 0:
        # IRS Publication 946: no depreciation on property placed in service and disposed
        # of in the same tax year (under either convention).
        return ZERO
    if spec.convention is Convention.HALF_YEAR:
        deemed_start, deemed_end, deemed_out = HALF * 12, HALF * 12, HALF * 12
    else:
        placed = cal.fiscal_quarter(cal.month_ordinal(spec.in_service), start_month)
        out = cal.fiscal_quarter(cal.month_ordinal(disposed), start_month)
        deemed_start = deemed_end = Decimal(3 * (placed - 1)) + Decimal("1.5")
        deemed_out = Decimal(3 * (out - 1)) + Decimal("1.5")
    begin = deemed_start if year_index == 0 else ZERO
    finish = deemed_end if year_index == years - 1 else Decimal(12)
    if finish <= begin:
        return ZERO
    return max(ZERO, min(deemed_out, finish) - begin) / (finish - begin)


def _disposal_month_weight(
    spec: DepreciationSpec, weight: Decimal, month: int, disposed: date
) -> Decimal:
    """The part of the disposal month still depreciated under a monthly convention."""
    if spec.convention is Convention.FULL_MONTH:
        return ZERO
    if spec.convention is Convention.MID_MONTH:
        return max(ZERO, weight - HALF)
    first_day = max(cal.month_start(month), spec.in_service)
    return Decimal(max(0, (disposed - first_day).days))


def dispose(spec: DepreciationSpec, disposed_on: date, proceeds: Decimal) -> Schedule:
    """The schedule of an asset sold, scrapped or donated on ``disposed_on`` for
    ``proceeds`` (zero for scrap or donation): the disposal year's depreciation is cut to
    the part before the disposal under the convention, later periods are dropped, and the
    schedule carries the gain or loss."""
    spec.validate()
    if disposed_on < spec.in_service:
        raise DepreciationError("disposed_on", "is before the in-service date")
    if not isinstance(proceeds, Decimal) or proceeds < 0:
        raise DepreciationError("proceeds", "must be a Decimal of at least 0")
    disposal = {"disposed_on": disposed_on, "proceeds": proceeds}
    if spec.method is Method.NONE or spec.cost == spec.salvage:
        return Schedule(spec.cost, spec.salvage, spec.in_service, (), **disposal)  # type: ignore[arg-type]
    plan = _plan(spec)
    out_month = cal.month_ordinal(disposed_on)
    out_year = cal.fiscal_year_start(out_month, spec.fiscal_year_start_month)
    kept: list[_Year] = []
    for index, year in enumerate(plan):
        year_start = cal.fiscal_year_start(year.months[0][0], spec.fiscal_year_start_month)
        if year_start < out_year:
            kept.append(year)
            continue
        if year_start > out_year:
            break
        if spec.convention in MONTHLY_CONVENTIONS:
            months = [(m, w) for m, w in year.months if m < out_month]
            months += [
                (m, _disposal_month_weight(spec, w, m, disposed_on))
                for m, w in year.months
                if m == out_month
            ]
            total_weight = sum((w for _, w in year.months), ZERO)
            fraction = sum((w for _, w in months), ZERO) / total_weight
        else:
            months = [(m, w) for m, w in year.months if m <= out_month]
            fraction = _deemed_kept_fraction(spec, index, len(plan), disposed_on)
        amount = min(_round(year.amount * fraction, spec.quantum), year.amount)
        kept.append(_Year(amount, [(m, w) for m, w in months if w > 0] or months[-1:]))
    return _assemble(spec, kept, **disposal)
