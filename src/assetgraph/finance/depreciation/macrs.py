"""The IRS MACRS General Depreciation System percentage tables, typed in from
IRS Publication 946 (How to Depreciate Property), Appendix A:

- Table A-1: 3-, 5-, 7-, 10-year property, half-year convention;
- Tables A-2 to A-5: the same classes, mid-quarter convention, placed in service in the
  first, second, third or fourth quarter of the tax year.

Every class is 200 % declining balance switching to straight line; the percentages are the
published ones (two decimals), not recomputed, because a tax return must use the table.
Each row lists the recovery years 1 .. life + 1.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final


def _row(*values: str) -> tuple[Decimal, ...]:
    return tuple(Decimal(value) for value in values)


# Table A-1, half-year convention.
HALF_YEAR: Final[dict[int, tuple[Decimal, ...]]] = {
    3: _row("33.33", "44.45", "14.81", "7.41"),
    5: _row("20.00", "32.00", "19.20", "11.52", "11.52", "5.76"),
    7: _row("14.29", "24.49", "17.49", "12.49", "8.93", "8.92", "8.93", "4.46"),
    10: _row(
        "10.00", "18.00", "14.40", "11.52", "9.22", "7.37", "6.55", "6.55", "6.56", "6.55", "3.28"
    ),
}

# Tables A-2 .. A-5, mid-quarter convention, keyed by the quarter placed in service.
MID_QUARTER: Final[dict[int, dict[int, tuple[Decimal, ...]]]] = {
    1: {  # Table A-2
        3: _row("58.33", "27.78", "12.35", "1.54"),
        5: _row("35.00", "26.00", "15.60", "11.01", "11.01", "1.38"),
        7: _row("25.00", "21.43", "15.31", "10.93", "8.75", "8.74", "8.75", "1.09"),
        10: _row(
            "17.50",
            "16.50",
            "13.20",
            "10.56",
            "8.45",
            "6.76",
            "6.55",
            "6.55",
            "6.56",
            "6.55",
            "0.82",
        ),
    },
    2: {  # Table A-3
        3: _row("41.67", "38.89", "14.14", "5.30"),
        5: _row("25.00", "30.00", "18.00", "11.37", "11.37", "4.26"),
        7: _row("17.85", "23.47", "16.76", "11.97", "8.87", "8.87", "8.87", "3.34"),
        10: _row(
            "12.50",
            "17.50",
            "14.00",
            "11.20",
            "8.96",
            "7.17",
            "6.55",
            "6.55",
            "6.56",
            "6.55",
            "2.46",
        ),
    },
    3: {  # Table A-4
        3: _row("25.00", "50.00", "16.67", "8.33"),
        5: _row("15.00", "34.00", "20.40", "12.24", "11.30", "7.06"),
        7: _row("10.71", "25.51", "18.22", "13.02", "9.30", "8.85", "8.86", "5.53"),
        10: _row(
            "7.50",
            "18.50",
            "14.80",
            "11.84",
            "9.47",
            "7.58",
            "6.55",
            "6.55",
            "6.56",
            "6.55",
            "4.10",
        ),
    },
    4: {  # Table A-5
        3: _row("8.33", "61.11", "20.37", "10.19"),
        5: _row("5.00", "38.00", "22.80", "13.68", "10.94", "9.58"),
        7: _row("3.57", "27.55", "19.68", "14.06", "10.04", "8.73", "8.73", "7.64"),
        10: _row(
            "2.50",
            "19.50",
            "15.60",
            "12.48",
            "9.98",
            "7.99",
            "6.55",
            "6.55",
            "6.56",
            "6.55",
            "5.74",
        ),
    },
}

RECOVERY_PERIODS: Final[tuple[int, ...]] = (3, 5, 7, 10)


def percentages(life_years: int, quarter: int | None) -> tuple[Decimal, ...]:
    """The published percentages for a recovery period: the half-year table when ``quarter``
    is None, else the mid-quarter table of the quarter (1-4) the property was placed in
    service. Raises ``ValueError`` for a class the tables do not cover."""
    if life_years not in RECOVERY_PERIODS:
        raise ValueError(f"life_years: MACRS GDS covers {RECOVERY_PERIODS} years, not {life_years}")
    if quarter is None:
        return HALF_YEAR[life_years]
    if quarter not in MID_QUARTER:
        raise ValueError(f"quarter: must be 1-4, not {quarter}")
    return MID_QUARTER[quarter][life_years]
