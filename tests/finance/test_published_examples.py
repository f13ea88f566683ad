"""Depreciation against published figures, typed in here independently of the module's own
tables, so a transcription error in either copy fails a test. No database.

Sources:
- IRS Publication 946, *How to Depreciate Property*, Appendix A, Tables A-1 (GDS, 200 %
  declining balance, half-year) and A-2 to A-5 (mid-quarter, placed in service in the first
  to fourth quarter), 3-, 5-, 7- and 10-year columns; chapter 4, "Using the MACRS Percentage
  Tables" and "Property Disposed of Before the End of the Recovery Period" (half-year: half
  of the year's deduction; mid-quarter: 12.5 %, 37.5 %, 62.5 %, 87.5 % of it for a disposal
  in the first to fourth quarter; nothing for property placed in service and disposed of in
  the same year).
- Kieso, Weygandt & Warfield, *Intermediate Accounting*, the partial-period exercise of a
  machine bought on 1 August for $150,000 with a $24,000 salvage value and a five-year life
  (calendar year-end): straight line $10,500, sum of the years' digits $17,500 and double
  declining balance $25,000 for the first five months; $25,200, $38,500 and $50,000 the next
  year.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from assetgraph.finance.depreciation import (
    Convention,
    DepreciationSpec,
    Method,
    build_schedule,
    dispose,
    macrs,
)

D = Decimal

# IRS Publication 946, Appendix A (percent of the unadjusted basis per recovery year).
_TABLES: dict[str | int, dict[int, str]] = {
    "A-1": {
        3: "33.33 44.45 14.81 7.41",
        5: "20.00 32.00 19.20 11.52 11.52 5.76",
        7: "14.29 24.49 17.49 12.49 8.93 8.92 8.93 4.46",
        10: "10.00 18.00 14.40 11.52 9.22 7.37 6.55 6.55 6.56 6.55 3.28",
    },
    1: {  # Table A-2, placed in service in the first quarter
        3: "58.33 27.78 12.35 1.54",
        5: "35.00 26.00 15.60 11.01 11.01 1.38",
        7: "25.00 21.43 15.31 10.93 8.75 8.74 8.75 1.09",
        10: "17.50 16.50 13.20 10.56 8.45 6.76 6.55 6.55 6.56 6.55 0.82",
    },
    2: {  # Table A-3
        3: "41.67 38.89 14.14 5.30",
        5: "25.00 30.00 18.00 11.37 11.37 4.26",
        7: "17.85 23.47 16.76 11.97 8.87 8.87 8.87 3.34",
        10: "12.50 17.50 14.00 11.20 8.96 7.17 6.55 6.55 6.56 6.55 2.46",
    },
    3: {  # Table A-4
        3: "25.00 50.00 16.67 8.33",
        5: "15.00 34.00 20.40 12.24 11.30 7.06",
        7: "10.71 25.51 18.22 13.02 9.30 8.85 8.86 5.53",
        10: "7.50 18.50 14.80 11.84 9.47 7.58 6.55 6.55 6.56 6.55 4.10",
    },
    4: {  # Table A-5
        3: "8.33 61.11 20.37 10.19",
        5: "5.00 38.00 22.80 13.68 10.94 9.58",
        7: "3.57 27.55 19.68 14.06 10.04 8.73 8.73 7.64",
        10: "2.50 19.50 15.60 12.48 9.98 7.99 6.55 6.55 6.56 6.55 5.74",
    },
}

PUB946: dict[str | int, dict[int, list[str]]] = {
    table: {life: row.split() for life, row in rows.items()} for table, rows in _TABLES.items()
}

CASES = [(table, life) for table, columns in PUB946.items() for life in columns]


def _spec(basis: str, life: int, table: str | int, fy_start: int = 1) -> DepreciationSpec:
    """Property placed in service in the middle month of the table's quarter (any month
    for the half-year table)."""
    if table == "A-1":
        month, convention = 11, Convention.HALF_YEAR
    else:
        assert isinstance(table, int)
        month, convention = (fy_start - 1 + 3 * (table - 1) + 1) % 12 + 1, Convention.MID_QUARTER
    return DepreciationSpec(
        D(basis),
        date(2025, month, 14),
        Method.MACRS_GDS,
        life,
        convention=convention,
        fiscal_year_start_month=fy_start,
    )


@pytest.mark.parametrize(("table", "life"), CASES)
def test_module_tables_equal_publication_946(table: str | int, life: int) -> None:
    """The module's typed-in tables are the publication's, column by column."""
    quarter = None if table == "A-1" else table
    assert [str(p) for p in macrs.percentages(life, quarter)] == PUB946[table][life]  # type: ignore[arg-type]


@pytest.mark.parametrize(("table", "life"), CASES)
def test_macrs_schedule_on_100000_is_the_table_to_the_cent(table: str | int, life: int) -> None:
    """$100,000 of property: each recovery year is exactly the table percentage x $1,000,
    and the years sum to the basis."""
    schedule = build_schedule(_spec("100000", life, table))
    expected = [str(D(pct) * 1000) for pct in PUB946[table][life]]
    assert [str(y.amount) for y in schedule.years] == [
        str(D(e).quantize(D("0.01"))) for e in expected
    ]
    assert schedule.total == D("100000.00")


@pytest.mark.parametrize(("table", "life"), CASES)
def test_macrs_odd_basis_rounds_each_year_half_up_and_last_year_absorbs(
    table: str | int, life: int
) -> None:
    """A basis of $12,345.67: every recovery year but the last is basis x percentage rounded
    half up to the cent; the last takes what is left, so the total is the basis exactly."""
    basis = D("12345.67")
    amounts = [y.amount for y in build_schedule(_spec(str(basis), life, table)).years]
    for amount, pct in zip(amounts[:-1], PUB946[table][life][:-1], strict=True):
        exact = basis * D(pct) / 100
        assert amount == exact.quantize(D("0.01"), rounding="ROUND_HALF_UP")
    assert sum(amounts) == basis


def test_macrs_quarters_follow_a_july_fiscal_year() -> None:
    """With a tax year starting in July, the quarters are Jul-Sep, Oct-Dec, Jan-Mar, Apr-Jun:
    5-year property on $100,000 placed in service in February is third quarter (Table A-4,
    15.00 %), in June fourth quarter (Table A-5, 5.00 %)."""
    for month, first in ((2, "15000.00"), (6, "5000.00"), (8, "35000.00"), (11, "25000.00")):
        spec = DepreciationSpec(
            D("100000"),
            date(2026, month, 9),
            Method.MACRS_GDS,
            5,
            convention=Convention.MID_QUARTER,
            fiscal_year_start_month=7,
        )
        assert str(build_schedule(spec).years[0].amount) == first, month


def test_pub946_seven_year_property_worked_example() -> None:
    """Publication 946, chapter 4, using the percentage tables: a $10,000 item of 7-year
    property under the half-year convention deducts 14.29 % ($1,429) in the first year and
    24.49 % ($2,449) in the second."""
    spec = DepreciationSpec(
        D("10000"), date(2026, 5, 1), Method.MACRS_GDS, 7, convention=Convention.HALF_YEAR
    )
    years = build_schedule(spec).years
    assert (years[0].amount, years[1].amount) == (D("1429.00"), D("2449.00"))
    assert years[1].book_value == D("6122.00")


@pytest.mark.parametrize(
    ("disposal_month", "share", "expected"),
    [
        (2, "0.125", "325.00"),
        (5, "0.375", "975.00"),
        (8, "0.625", "1625.00"),
        (11, "0.875", "2275.00"),
    ],
)
def test_pub946_mid_quarter_disposal_percentages(
    disposal_month: int, share: str, expected: str
) -> None:
    """Publication 946: under the mid-quarter convention, the year of disposal's deduction is
    the full year's times 12.5 %, 37.5 %, 62.5 % or 87.5 % for a disposal in the first to
    fourth quarter. 5-year property of $10,000 placed in service in Q1 2026 (Table A-2),
    disposed of in 2027, whose full-year deduction is 26.00 % = $2,600."""
    spec = DepreciationSpec(
        D("10000"), date(2026, 2, 1), Method.MACRS_GDS, 5, convention=Convention.MID_QUARTER
    )
    schedule = dispose(spec, date(2027, disposal_month, 15), D("0"))
    assert schedule.years[-1].amount == D(expected) == D("2600") * D(share)
    assert schedule.years[0].amount == D("3500.00")


@pytest.mark.parametrize("convention", [Convention.HALF_YEAR, Convention.MID_QUARTER])
def test_pub946_no_deduction_when_placed_and_disposed_in_the_same_year(
    convention: Convention,
) -> None:
    """Publication 946: property placed in service and disposed of in the same tax year is
    not depreciated, under either convention. Placed in Q1, sold in Q4 for $9,000: nothing
    booked, the loss is the whole $1,000 difference."""
    spec = DepreciationSpec(
        D("10000"), date(2026, 2, 1), Method.MACRS_GDS, 5, convention=convention
    )
    schedule = dispose(spec, date(2026, 11, 20), D("9000"))
    assert schedule.total == 0
    assert schedule.gain_loss == D("-1000")


def test_pub946_half_year_disposal_in_the_last_recovery_year_keeps_its_half_year() -> None:
    """The last recovery year of the half-year table is already a half year (5.76 % for
    5-year property): a disposal in it keeps that whole amount."""
    spec = DepreciationSpec(
        D("10000"), date(2026, 3, 1), Method.MACRS_GDS, 5, convention=Convention.HALF_YEAR
    )
    schedule = dispose(spec, date(2031, 3, 1), D("0"))
    assert [str(y.amount) for y in schedule.years] == [
        "2000.00",
        "3200.00",
        "1920.00",
        "1152.00",
        "1152.00",
        "576.00",
    ]


def _machine(method: Method, **extra: object) -> DepreciationSpec:
    return DepreciationSpec(
        D("150000"),
        date(2025, 8, 1),
        method,
        5,
        salvage=D("24000"),
        **extra,  # type: ignore[arg-type]
    )


def test_kieso_partial_period_straight_line() -> None:
    """Kieso: (150,000 - 24,000) ÷ 5 x 5/12 = 10,500 for August-December, then 25,200 a
    year; 12 x 2,100 a month; the last seven months (January-July of year 6) 14,700."""
    schedule = build_schedule(_machine(Method.STRAIGHT_LINE))
    assert [str(y.amount) for y in schedule.years] == [
        "10500.00",
        "25200.00",
        "25200.00",
        "25200.00",
        "25200.00",
        "14700.00",
    ]
    assert {p.amount for p in schedule.periods} == {D("2100.00")}
    assert schedule.periods[-1].end == date(2030, 7, 31)


def test_kieso_partial_period_sum_of_years_digits() -> None:
    """Kieso: 126,000 x 5/15 x 5/12 = 17,500; the second year 126,000 x (5/15 x 7/12 +
    4/15 x 5/12) = 24,500 + 14,000 = 38,500; each later year blends the same way (7/12 of
    one life year, 5/12 of the next): 30,100, 21,700, 13,300, and 7/12 x 8,400 = 4,900."""
    schedule = build_schedule(_machine(Method.SUM_OF_YEARS_DIGITS))
    assert [str(y.amount) for y in schedule.years] == [
        "17500.00",
        "38500.00",
        "30100.00",
        "21700.00",
        "13300.00",
        "4900.00",
    ]


def test_kieso_partial_period_double_declining_balance() -> None:
    """Kieso: 150,000 x 40 % x 5/12 = 25,000; the second year 40 % of the book value at its
    start, 125,000 x 40 % = 50,000 (not recomputed monthly: 4,166.67 a month, the last
    month 4,166.63); then 30,000 and 18,000. The fifth year's 40 % (10,800) would cross the
    salvage value, so it stops at it: 3,000, and nothing is left for the sixth."""
    schedule = build_schedule(_machine(Method.DECLINING_BALANCE))
    assert [str(y.amount) for y in schedule.years] == [
        "25000.00",
        "50000.00",
        "30000.00",
        "18000.00",
        "3000.00",
        "0.00",
    ]
    assert schedule.years[-1].book_value == D("24000.00")
    second = [p.amount for p in schedule.periods if p.fiscal_year == 2026]
    assert second == [D("4166.67")] * 11 + [D("4166.63")]
