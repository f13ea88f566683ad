"""The pure depreciation module against published worked examples, to the cent, and its
invariants under Hypothesis. No database: these run in milliseconds."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assetgraph.finance.depreciation import (
    Convention,
    DepreciationError,
    DepreciationSpec,
    Method,
    build_schedule,
    dispose,
    macrs,
)

D = Decimal


def yearly(spec: DepreciationSpec) -> list[str]:
    return [str(year.amount) for year in build_schedule(spec).years]


def test_straight_line_textbook_truck() -> None:
    """Needles, Powers & Crosson, *Principles of Financial Accounting*, "Straight-Line
    Method": a delivery truck costing $10,000 with a $1,000 residual value and a five-year
    life depreciates $1,800 a year; the book value ends at the residual value."""
    spec = DepreciationSpec(
        D("10000"), date(2026, 1, 1), Method.STRAIGHT_LINE, 5, salvage=D("1000")
    )
    schedule = build_schedule(spec)
    assert yearly(spec) == ["1800.00"] * 5
    assert [str(y.book_value) for y in schedule.years] == [
        "8200.00",
        "6400.00",
        "4600.00",
        "2800.00",
        "1000.00",
    ]
    assert all(period.amount == D("150.00") for period in schedule.periods)


def test_straight_line_wikipedia_vehicle() -> None:
    """Wikipedia, "Depreciation" § Straight-line depreciation: a vehicle bought for
    $17,000 with a $2,000 salvage value over five years depreciates $3,000 a year."""
    spec = DepreciationSpec(
        D("17000"), date(2026, 1, 1), Method.STRAIGHT_LINE, 5, salvage=D("2000")
    )
    assert yearly(spec) == ["3000.00"] * 5


def test_double_declining_wikipedia() -> None:
    """Wikipedia, "Depreciation" § Declining-balance method: cost $1,000, salvage $100,
    five years, rate 40 %: 400.00, 240.00, 144.00, 86.40 and 29.60 (the last year stops at
    salvage); book values 600, 360, 216, 129.60, 100."""
    spec = DepreciationSpec(
        D("1000"), date(2026, 1, 1), Method.DECLINING_BALANCE, 5, salvage=D("100")
    )
    schedule = build_schedule(spec)
    assert yearly(spec) == ["400.00", "240.00", "144.00", "86.40", "29.60"]
    assert [str(y.book_value) for y in schedule.years] == [
        "600.00",
        "360.00",
        "216.00",
        "129.60",
        "100.00",
    ]


def test_double_declining_textbook_truck() -> None:
    """Needles, Powers & Crosson, "Declining-Balance Method": a truck costing $10,000, $1,000
    residual, five years, double-declining (40 %): 4,000; 2,400; 1,440; 864; 296 — the last
    year is limited so the book value does not fall below the residual value."""
    spec = DepreciationSpec(
        D("10000"),
        date(2026, 1, 1),
        Method.DECLINING_BALANCE,
        5,
        salvage=D("1000"),
        switch_to_straight_line=False,
    )
    assert yearly(spec) == ["4000.00", "2400.00", "1440.00", "864.00", "296.00"]


def test_declining_balance_switches_to_straight_line_when_larger() -> None:
    """200 % declining balance with no salvage over five years: year 4 straight line over
    the remaining two years (2,160 ÷ 2 = 1,080) beats 40 % x 2,160 = 864, so the schedule
    switches: 4,000; 2,400; 1,440; 1,080; 1,080."""
    spec = DepreciationSpec(D("10000"), date(2026, 1, 1), Method.DECLINING_BALANCE, 5)
    assert yearly(spec) == ["4000.00", "2400.00", "1440.00", "1080.00", "1080.00"]


def test_declining_balance_150_percent_and_explicit_rate() -> None:
    """150 % over ten years is a 15 % rate; an explicit 25 % rate is used as given."""
    factor = DepreciationSpec(
        D("1000"), date(2026, 1, 1), Method.DECLINING_BALANCE, 10, declining_factor=D("1.5")
    )
    assert yearly(factor)[:2] == ["150.00", "127.50"]
    rate = DepreciationSpec(
        D("1000"),
        date(2026, 1, 1),
        Method.DECLINING_BALANCE,
        10,
        declining_rate=D("0.25"),
        switch_to_straight_line=False,
    )
    assert yearly(rate)[:3] == ["250.00", "187.50", "140.63"]
    assert sum(D(v) for v in yearly(rate)) == D("1000.00")


def test_declining_balance_is_annual_on_fiscal_year_book_value_spread_monthly() -> None:
    """The declining-balance amount is rate x book value at the start of the fiscal year,
    spread evenly over the year's months, not recomputed month by month."""
    spec = DepreciationSpec(D("12000"), date(2026, 1, 1), Method.DECLINING_BALANCE, 5)
    schedule = build_schedule(spec)
    first_year = [p.amount for p in schedule.periods if p.fiscal_year == 2026]
    assert first_year == [D("400.00")] * 12
    second_year = [p.amount for p in schedule.periods if p.fiscal_year == 2027]
    assert second_year == [D("240.00")] * 12  # 40 % of 7,200


def test_declining_balance_200_half_year_reproduces_irs_table_a1() -> None:
    """IRS Publication 946: the GDS tables are 200 % declining balance switching to straight
    line under the half-year convention. Computing that method directly on $10,000 gives
    Table A-1's 5-year column: 2,000; 3,200; 1,920; 1,152; 1,152; 576."""
    spec = DepreciationSpec(
        D("10000"), date(2026, 8, 1), Method.DECLINING_BALANCE, 5, convention=Convention.HALF_YEAR
    )
    assert yearly(spec) == ["2000.00", "3200.00", "1920.00", "1152.00", "1152.00", "576.00"]


def test_sum_of_years_digits_textbook_truck() -> None:
    """The principles-of-accounting course table "Sum-of-the-Years'-Digits Depreciation"
    (a truck: cost $90,000, expected salvage $10,000, five years; 5/15, 4/15 … of $80,000,
    printed in whole dollars as 26,667; 21,333; 16,000; 10,667; 5,333): to the cent."""
    spec = DepreciationSpec(
        D("90000"), date(2026, 1, 1), Method.SUM_OF_YEARS_DIGITS, 5, salvage=D("10000")
    )
    assert yearly(spec) == ["26666.67", "21333.33", "16000.00", "10666.67", "5333.33"]


def test_sum_of_years_digits_quickbooks_example() -> None:
    """QuickBooks Canada, "How to calculate sum-of-years digits depreciation": cost
    $100,000, salvage $15,000, four years: 34,000; 25,500; 17,000; 8,500."""
    spec = DepreciationSpec(
        D("100000"), date(2026, 1, 1), Method.SUM_OF_YEARS_DIGITS, 4, salvage=D("15000")
    )
    assert yearly(spec) == ["34000.00", "25500.00", "17000.00", "8500.00"]


def test_sum_of_years_digits_partial_first_year_blends_life_years() -> None:
    """Partial-period sum-of-the-years' digits as taught in Kieso, Weygandt & Warfield,
    *Intermediate Accounting* (each fiscal year takes its share of two life years), worked
    by hand for $10,000 over five years from 1 April (9 months):
    year 1 = 9/12 x 5/15 x 10,000 = 2,500; year 2 = 3/12 x 5/15 + 9/12 x 4/15 = 2,833.33."""
    spec = DepreciationSpec(D("10000"), date(2026, 4, 1), Method.SUM_OF_YEARS_DIGITS, 5)
    assert yearly(spec) == ["2500.00", "2833.33", "2166.67", "1500.00", "833.33", "166.67"]


@pytest.mark.parametrize("life", macrs.RECOVERY_PERIODS)
@pytest.mark.parametrize("quarter", [None, 1, 2, 3, 4])
def test_macrs_reproduces_every_irs_table(life: int, quarter: int | None) -> None:
    """IRS Publication 946, Appendix A, Tables A-1 (half-year) and A-2 to A-5 (mid-quarter,
    by quarter placed in service): $10,000 of property depreciates exactly the table
    percentage x $100 each recovery year."""
    month = 1 if quarter is None else 3 * (quarter - 1) + 2
    convention = Convention.HALF_YEAR if quarter is None else Convention.MID_QUARTER
    spec = DepreciationSpec(
        D("10000"), date(2026, month, 15), Method.MACRS_GDS, life, convention=convention
    )
    expected = [str((pct * 100).quantize(D("0.01"))) for pct in macrs.percentages(life, quarter)]
    assert yearly(spec) == expected
    assert build_schedule(spec).total == D("10000.00")


def test_macrs_five_year_half_year_issue_example() -> None:
    """IRS Table A-1, 5-year column on $10,000: 2,000.00 3,200.00 1,920.00 1,152.00
    1,152.00 576.00, whatever month of the year it was placed in service."""
    for month in (1, 6, 12):
        spec = DepreciationSpec(
            D("10000"), date(2026, month, 3), Method.MACRS_GDS, 5, convention=Convention.HALF_YEAR
        )
        assert yearly(spec) == ["2000.00", "3200.00", "1920.00", "1152.00", "1152.00", "576.00"]


def test_macrs_quarter_follows_the_fiscal_year() -> None:
    """With a July fiscal year, property placed in service in May is in the fourth quarter:
    Table A-5 (5-year: 5.00 % first year)."""
    spec = DepreciationSpec(
        D("10000"),
        date(2026, 5, 2),
        Method.MACRS_GDS,
        5,
        convention=Convention.MID_QUARTER,
        fiscal_year_start_month=7,
    )
    assert yearly(spec)[0] == "500.00"
    assert build_schedule(spec).years[0].fiscal_year == 2026


def test_macrs_tables_sum_to_one_hundred_percent() -> None:
    """Each published column recovers the whole basis."""
    for table in [macrs.HALF_YEAR, *macrs.MID_QUARTER.values()]:
        for life, row in table.items():
            assert sum(row) == D("100.00")
            assert len(row) == life + 1


def test_straight_line_half_year_matches_irs_table_a8() -> None:
    """IRS Publication 946, Table A-8 (straight line, half-year), 5-year recovery period:
    10 %, 20 %, 20 %, 20 %, 20 %, 10 %."""
    spec = DepreciationSpec(
        D("10000"), date(2026, 9, 9), Method.STRAIGHT_LINE, 5, convention=Convention.HALF_YEAR
    )
    assert yearly(spec) == ["1000.00", "2000.00", "2000.00", "2000.00", "2000.00", "1000.00"]


@pytest.mark.parametrize(
    ("month", "first", "last"),
    [
        (2, "1750.00", "250.00"),
        (5, "1250.00", "750.00"),
        (8, "750.00", "1250.00"),
        (11, "250.00", "1750.00"),
    ],
)
def test_straight_line_mid_quarter_matches_irs_tables_a9_to_a12(
    month: int, first: str, last: str
) -> None:
    """IRS Publication 946, Tables A-9 to A-12 (straight line, mid-quarter), 5-year period,
    first quarter: 17.50 % then 20 % … 2.50 %; fourth quarter: 2.50 % … 17.50 %."""
    spec = DepreciationSpec(
        D("10000"), date(2026, month, 1), Method.STRAIGHT_LINE, 5, convention=Convention.MID_QUARTER
    )
    amounts = yearly(spec)
    assert (amounts[0], amounts[-1]) == (first, last)
    assert amounts[1:-1] == ["2000.00"] * 4


def test_full_month_convention_counts_the_in_service_month_whole() -> None:
    """In service on 20 March, 3-year straight line on $3,600: March counts as a full month,
    so the first calendar year is 10 months x $100 and the schedule ends in February."""
    spec = DepreciationSpec(D("3600"), date(2026, 3, 20), Method.STRAIGHT_LINE, 3)
    schedule = build_schedule(spec)
    assert yearly(spec) == ["1000.00", "1200.00", "1200.00", "200.00"]
    assert schedule.periods[0].start == date(2026, 3, 1)
    assert schedule.periods[-1].end == date(2029, 2, 28)
    assert len(schedule.periods) == 36


def test_mid_month_convention_takes_half_months_at_both_ends() -> None:
    """Mid-month: the in-service month and the month the life ends count half. $1,200 over
    one year from 10 January: January 50.00, February-December 100.00, next January 50.00."""
    spec = DepreciationSpec(
        D("1200"), date(2026, 1, 10), Method.STRAIGHT_LINE, 1, convention=Convention.MID_MONTH
    )
    schedule = build_schedule(spec)
    assert [str(p.amount) for p in schedule.periods] == ["50.00"] + ["100.00"] * 11 + ["50.00"]
    assert yearly(spec) == ["1150.00", "50.00"]


def test_actual_days_convention_prorates_by_days_in_service() -> None:
    """Actual days: $36,500 over one year from 1 July 2026: 184 of 2026's 365 days →
    18,400.00 in 2026 and 18,100.00 in 2027; July 2026 is a full 31-day month (3,100.00)."""
    spec = DepreciationSpec(
        D("36500"), date(2026, 7, 1), Method.STRAIGHT_LINE, 1, convention=Convention.ACTUAL_DAYS
    )
    schedule = build_schedule(spec)
    assert yearly(spec) == ["18400.00", "18100.00"]
    assert schedule.periods[0].amount == D("3100.00")
    assert schedule.periods[-1].end == date(2027, 6, 30)


def test_actual_days_partial_first_and_last_month() -> None:
    """From 16 January (16 of 31 days) over one year: the schedule ends on 15 January of the
    next year, so that month gets 15/31 of a month's share."""
    spec = DepreciationSpec(
        D("3650"), date(2026, 1, 16), Method.STRAIGHT_LINE, 1, convention=Convention.ACTUAL_DAYS
    )
    schedule = build_schedule(spec)
    assert schedule.periods[-1].start == date(2027, 1, 1)
    assert schedule.total == D("3650.00")
    # 350 of 365 days fall in 2026.
    assert yearly(spec) == ["3500.00", "150.00"]


def test_fiscal_year_start_shapes_the_years() -> None:
    """A July fiscal year: in service 1 January 2026, 2-year straight line on $2,400 gives
    FY2026 (Jan-Jun) 600, FY2027 1,200, FY2028 600."""
    spec = DepreciationSpec(
        D("2400"), date(2026, 1, 1), Method.STRAIGHT_LINE, 2, fiscal_year_start_month=7
    )
    schedule = build_schedule(spec)
    assert [(y.fiscal_year, str(y.amount)) for y in schedule.years] == [
        (2026, "600.00"),
        (2027, "1200.00"),
        (2028, "600.00"),
    ]


def test_rounding_last_period_absorbs_remainder() -> None:
    """$1,000 over 3 years: 333.33, 333.33, 333.34 — each month 27.78 with the year's last
    month taking what is left (27.75), so the schedule sums exactly to 1,000.00."""
    spec = DepreciationSpec(D("1000"), date(2026, 1, 1), Method.STRAIGHT_LINE, 3)
    schedule = build_schedule(spec)
    assert yearly(spec) == ["333.33", "333.33", "333.34"]
    assert schedule.periods[0].amount == D("27.78")
    assert schedule.periods[11].amount == D("27.75")
    assert schedule.total == D("1000.00")


def test_currency_minor_unit_yen_has_no_decimals() -> None:
    """JPY has no minor unit: ¥100,000 over 3 years rounds to whole yen."""
    spec = DepreciationSpec(D("100000"), date(2026, 1, 1), Method.STRAIGHT_LINE, 3, minor_digits=0)
    assert yearly(spec) == ["33333", "33333", "33334"]


def test_method_none_never_depreciates() -> None:
    spec = DepreciationSpec(D("500"), date(2026, 1, 1), Method.NONE, 0)
    schedule = build_schedule(spec)
    assert schedule.periods == ()
    assert schedule.book_value_as_of(date(2040, 1, 1)) == D("500")


def test_book_value_as_of_any_date() -> None:
    """A month is booked on its last day: on 29 April three months (Jan-Mar = 3 x 150) are
    booked on 29 April; by 30 April, four months."""
    spec = DepreciationSpec(
        D("10000"), date(2026, 1, 1), Method.STRAIGHT_LINE, 5, salvage=D("1000")
    )
    schedule = build_schedule(spec)
    assert schedule.book_value_as_of(date(2025, 12, 31)) == D("10000")
    assert schedule.book_value_as_of(date(2026, 4, 29)) == D("9550.00")
    assert schedule.book_value_as_of(date(2026, 4, 30)) == D("9400.00")
    assert schedule.book_value_as_of(date(2035, 1, 1)) == D("1000.00")
    assert schedule.amount_in_month(2026, 4) == D("150.00")
    assert schedule.amount_in_month(2035, 4) == D("0")


def test_disposal_full_month_books_nothing_in_the_disposal_month_and_gain() -> None:
    """Full-month convention: sold on 15 July 2027 for $8,000; January 2026 to June 2027 are
    booked (18 x 150 = 2,700), book value 7,300, gain 700."""
    spec = DepreciationSpec(
        D("10000"), date(2026, 1, 1), Method.STRAIGHT_LINE, 5, salvage=D("1000")
    )
    schedule = dispose(spec, date(2027, 7, 15), D("8000"))
    assert schedule.total == D("2700.00")
    assert schedule.book_value_at_disposal == D("7300.00")
    assert schedule.gain_loss == D("700.00")
    assert schedule.book_value_as_of(date(2027, 7, 15)) == 0


def test_disposal_mid_month_takes_half_the_disposal_month() -> None:
    """Mid-month: in service 1 January 2026 (half a month), scrapped with no proceeds on 15
    July 2027 (half a month): ½ + 17 + ½ = 18 months of 150 = 2,700; the loss is the whole
    book value, 7,300."""
    spec = DepreciationSpec(
        D("10000"),
        date(2026, 1, 1),
        Method.STRAIGHT_LINE,
        5,
        salvage=D("1000"),
        convention=Convention.MID_MONTH,
    )
    schedule = dispose(spec, date(2027, 7, 15), D("0"))
    assert schedule.total == D("2700.00")
    assert schedule.periods[0].amount == D("75.00")
    assert schedule.periods[-1].amount == D("75.00")
    assert schedule.gain_loss == D("-7300.00")


def test_disposal_actual_days_counts_days_before_disposal() -> None:
    """Actual days: $3,650 over a year from 1 January, disposed on 11 February: 31 + 10 days
    → 410.00."""
    spec = DepreciationSpec(
        D("3650"), date(2026, 1, 1), Method.STRAIGHT_LINE, 1, convention=Convention.ACTUAL_DAYS
    )
    schedule = dispose(spec, date(2026, 2, 11), D("3000"))
    assert schedule.total == D("410.00")
    assert schedule.gain_loss == D("-240.00")


def test_disposal_macrs_half_year_takes_half_the_year() -> None:
    """IRS Publication 946, "Property Disposed of Before the End of the Recovery Period"
    (half-year convention): a half-year of the disposal year's deduction. 5-year property,
    $10,000, sold in year 3 for $5,000: 2,000 + 3,200 + 960 = 6,160; basis 3,840; gain 1,160."""
    spec = DepreciationSpec(
        D("10000"), date(2026, 3, 10), Method.MACRS_GDS, 5, convention=Convention.HALF_YEAR
    )
    schedule = dispose(spec, date(2028, 5, 3), D("5000"))
    assert [str(y.amount) for y in schedule.years] == ["2000.00", "3200.00", "960.00"]
    assert schedule.gain_loss == D("1160.00")


def test_disposal_macrs_mid_quarter_uses_the_disposal_quarter() -> None:
    """Mid-quarter: disposed in the third quarter of year 2 → 7.5 of 12 months of the year's
    deduction. Placed in Q1: year 2 is 26.00 % → 2,600 x 7.5/12 = 1,625."""
    spec = DepreciationSpec(
        D("10000"), date(2026, 2, 1), Method.MACRS_GDS, 5, convention=Convention.MID_QUARTER
    )
    schedule = dispose(spec, date(2027, 8, 20), D("0"))
    assert [str(y.amount) for y in schedule.years] == ["3500.00", "1625.00"]


def test_disposal_in_first_half_year_year_gets_nothing() -> None:
    """Half-year convention, disposed the year it was placed in service: no depreciation."""
    spec = DepreciationSpec(
        D("10000"), date(2026, 3, 10), Method.MACRS_GDS, 5, convention=Convention.HALF_YEAR
    )
    schedule = dispose(spec, date(2026, 11, 3), D("9000"))
    assert schedule.total == 0
    assert schedule.gain_loss == D("-1000")


def test_disposal_after_the_end_of_life_keeps_the_whole_schedule() -> None:
    spec = DepreciationSpec(D("1000"), date(2020, 1, 1), Method.STRAIGHT_LINE, 2, salvage=D("100"))
    schedule = dispose(spec, date(2026, 1, 1), D("150"))
    assert schedule.total == D("900.00")
    assert schedule.gain_loss == D("50.00")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"cost": D("-1")}, "cost"),
        ({"salvage": D("2000")}, "salvage"),
        ({"life_years": 0}, "life_years"),
        ({"fiscal_year_start_month": 13}, "fiscal_year_start_month"),
        (
            {"method": Method.MACRS_GDS, "life_years": 4, "convention": Convention.HALF_YEAR},
            "life_years",
        ),
        ({"method": Method.MACRS_GDS, "convention": Convention.FULL_MONTH}, "convention"),
        (
            {"method": Method.MACRS_GDS, "convention": Convention.HALF_YEAR, "salvage": D(1)},
            "salvage",
        ),
        ({"method": Method.DECLINING_BALANCE, "declining_rate": D("1.5")}, "declining_rate"),
    ],
)
def test_bad_specifications_name_the_field(changes: dict[str, object], field: str) -> None:
    base: dict[str, object] = {
        "cost": D("1000"),
        "in_service": date(2026, 1, 1),
        "method": Method.STRAIGHT_LINE,
        "life_years": 5,
    }
    with pytest.raises(DepreciationError) as caught:
        build_schedule(DepreciationSpec(**{**base, **changes}))  # type: ignore[arg-type]
    assert caught.value.field == field


def test_disposal_before_in_service_is_refused() -> None:
    spec = DepreciationSpec(D("1000"), date(2026, 1, 1), Method.STRAIGHT_LINE, 5)
    with pytest.raises(DepreciationError) as caught:
        dispose(spec, date(2025, 1, 1), D("0"))
    assert caught.value.field == "disposed_on"


money = st.decimals(min_value=D("0"), max_value=D("5000000"), places=2)


@st.composite
def specs(draw: st.DrawFn) -> DepreciationSpec:
    method = draw(st.sampled_from([m for m in Method if m is not Method.NONE]))
    cost = draw(money)
    if method is Method.MACRS_GDS:
        life = draw(st.sampled_from(macrs.RECOVERY_PERIODS))
        convention = draw(st.sampled_from([Convention.HALF_YEAR, Convention.MID_QUARTER]))
        salvage = D(0)
    else:
        life = draw(st.integers(1, 12))
        convention = draw(st.sampled_from(list(Convention)))
        salvage = draw(st.decimals(min_value=D(0), max_value=cost, places=2))
    return DepreciationSpec(
        cost=cost,
        salvage=salvage,
        in_service=draw(st.dates(date(2000, 1, 1), date(2040, 12, 31))),
        method=method,
        life_years=life,
        convention=convention,
        fiscal_year_start_month=draw(st.integers(1, 12)),
        declining_factor=draw(st.sampled_from([D("1.5"), D("2")])),
        switch_to_straight_line=draw(st.booleans()),
    )


@settings(max_examples=150, deadline=None)
@given(specs())
def test_schedule_invariants(spec: DepreciationSpec) -> None:
    """Sum = cost - salvage exactly; every amount is in cents and not negative; the book
    value never falls below salvage and never rises; months are consecutive."""
    schedule = build_schedule(spec)
    assert schedule.total == spec.cost - spec.salvage
    previous = spec.cost
    for period in schedule.periods:
        assert period.amount >= 0
        assert period.amount == period.amount.quantize(D("0.01"))
        assert spec.salvage <= period.book_value <= previous
        previous = period.book_value
    ends = [p.end for p in schedule.periods]
    assert ends == sorted(set(ends))
    assert sum(y.amount for y in schedule.years) == schedule.total


@settings(max_examples=100, deadline=None)
@given(specs(), st.integers(0, 6000), money)
def test_disposal_invariants(spec: DepreciationSpec, days: int, proceeds: Decimal) -> None:
    """A disposal never books more than the full schedule by then, and the gain or loss is
    proceeds - (cost - depreciation booked)."""
    from datetime import timedelta

    disposed_on = spec.in_service + timedelta(days=days)
    full = build_schedule(spec)
    schedule = dispose(spec, disposed_on, proceeds)
    assert 0 <= schedule.total <= full.total
    if schedule.periods:
        last_year = schedule.periods[-1].fiscal_year
        by_then = sum((p.amount for p in full.periods if p.fiscal_year <= last_year), D(0))
        assert schedule.total <= by_then
    assert schedule.gain_loss == proceeds - (spec.cost - schedule.total)
    assert all(p.end.replace(day=1) <= disposed_on for p in schedule.periods)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 10**9),
            st.integers(0, 100),
            st.dates(date(2000, 1, 1), date(2040, 12, 31)),
            st.integers(1, 10),
        ),
        min_size=1,
        max_size=20,
    ),
    st.integers(1, 12),
)
def test_batch_straight_line_equals_the_schedule(
    assets: list[tuple[int, int, date, int]], fy_start: int
) -> None:
    """The vectorised straight-line full-month batch gives exactly build_schedule's months."""
    from assetgraph.finance.depreciation.batch import straight_line_full_month

    costs = [c for c, _, _, _ in assets]
    salvages = [c * p // 100 for c, p, _, _ in assets]
    starts = [d.year * 12 + d.month - 1 for _, _, d, _ in assets]
    lives = [life for _, _, _, life in assets]
    batch = straight_line_full_month(costs, salvages, starts, lives, fy_start)
    for i, (cost, salvage, (_, _, day, life)) in enumerate(
        zip(costs, salvages, assets, strict=True)
    ):
        spec = DepreciationSpec(
            D(cost) / 100,
            day,
            Method.STRAIGHT_LINE,
            life,
            salvage=D(salvage) / 100,
            fiscal_year_start_month=fy_start,
        )
        expected = [int(p.amount * 100) for p in build_schedule(spec).periods]
        got = batch.amounts[batch.offsets[i] : batch.offsets[i + 1]].tolist()
        if cost == salvage:
            assert sum(got) == 0
            continue
        assert got == expected
