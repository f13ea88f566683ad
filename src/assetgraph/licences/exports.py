"""The position as a table: CSV/XLSX columns (money only for ``view_cost``), parsing of
``as_of`` values shared by the API, the pages and the CLI."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from assetgraph.core.errors import ValidationFailed

from .position import PositionRow

BASE_COLUMNS: list[tuple[str, Any]] = [
    ("product", lambda r: r.product),
    ("metric", lambda r: r.metric),
    ("scope", lambda r: r.scope_label or r.scope),
    ("entitled", lambda r: "unlimited" if r.entitled is None else r.entitled),
    ("received_by_downgrade", lambda r: r.received),
    ("lent_by_downgrade", lambda r: r.lent),
    ("consumed", lambda r: r.consumed),
    ("balance", lambda r: "" if r.balance is None else r.balance),
    ("status", lambda r: r.status),
    ("reclaim_candidates", lambda r: r.candidate_count),
]
MONEY_COLUMNS: list[tuple[str, Any]] = [
    ("unit_price", lambda r: r.unit_price),
    ("currency", lambda r: r.currency),
    ("true_up_cost", lambda r: r.true_up_cost),
    ("unused_cost", lambda r: r.unused_cost),
]


def position_columns(with_money: bool) -> list[tuple[str, Any]]:
    """The export columns of position rows."""
    return BASE_COLUMNS + (MONEY_COLUMNS if with_money else [])


def parse_as_of(value: str | None, field: str = "as_of") -> dt.datetime | None:
    """An ISO date (end of that day) or date-time; naive means the server's time zone; a time
    in the future is "now" (None). A bad value is a 422 naming the field."""
    if not value:
        return None
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            parsed = dt.datetime.combine(day, dt.time(23, 59, 59))
        else:
            parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        message = f"not an ISO date or date-time ({value!r})"
        raise ValidationFailed(f"{field}: {message}", fields={field: [message]}) from None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return None if parsed >= timezone.now() else parsed


def row_label(row: PositionRow) -> str:
    return f"{row.product} · {row.metric}"
