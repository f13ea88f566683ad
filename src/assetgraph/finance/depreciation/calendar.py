"""Month and fiscal-year arithmetic for depreciation schedules.

A month is handled as an ordinal (``year * 12 + month - 1``) so that ranges and differences
are plain integers. A fiscal year starts on the first day of ``start_month`` and is labelled
by the calendar year in which it ends (a fiscal year running July 2026 to June 2027 is
FY 2027; with a January start the label is the calendar year).
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta


def month_ordinal(day: date) -> int:
    """The month of ``day`` as an integer ordinal."""
    return day.year * 12 + day.month - 1


def month_start(ordinal: int) -> date:
    """The first day of an ordinal month."""
    return date(ordinal // 12, ordinal % 12 + 1, 1)


def month_end(ordinal: int) -> date:
    """The last day of an ordinal month."""
    year, month = ordinal // 12, ordinal % 12 + 1
    return date(year, month, calendar.monthrange(year, month)[1])


def days_in_month(ordinal: int) -> int:
    """How many days an ordinal month has."""
    return month_end(ordinal).day


def fiscal_year_start(ordinal: int, start_month: int) -> int:
    """The ordinal of the first month of the fiscal year containing ``ordinal``."""
    return ordinal - ((ordinal % 12 + 1 - start_month) % 12)


def fiscal_year_label(ordinal: int, start_month: int) -> int:
    """The fiscal year containing ``ordinal``, labelled by the calendar year it ends in."""
    return month_end(fiscal_year_start(ordinal, start_month) + 11).year


def fiscal_quarter(ordinal: int, start_month: int) -> int:
    """The quarter (1-4) of the fiscal year that ``ordinal`` falls in."""
    return (ordinal - fiscal_year_start(ordinal, start_month)) // 3 + 1


def fiscal_year_bounds(ordinal: int, start_month: int) -> tuple[date, date]:
    """First and last day of the fiscal year containing ``ordinal``."""
    first = fiscal_year_start(ordinal, start_month)
    return month_start(first), month_end(first + 11)


def add_years(day: date, years: int) -> date:
    """``day`` moved by whole years; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def previous_day(day: date) -> date:
    """The day before ``day``."""
    return day - timedelta(days=1)
