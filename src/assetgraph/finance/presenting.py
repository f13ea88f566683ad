"""Schedules as plain data, shared by the API, the CLI and the asset page's section, and
the what-if preview that saves nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from . import conf
from .books import AssetBook
from .depreciation import Convention, DepreciationSpec, Method, Schedule, build_schedule
from .money import minor_digits


def _schedule_parts(schedule: Schedule | None, today: dt.date) -> dict[str, Any]:
    if schedule is None:
        return {"years": [], "periods": []}
    return {
        "book_value_today": schedule.book_value_as_of(today),
        "disposed_on": schedule.disposed_on,
        "proceeds": schedule.proceeds,
        "gain_loss": schedule.gain_loss,
        "years": [y.__dict__ for y in schedule.years],
        "periods": [p.__dict__ for p in schedule.periods],
    }


def book_dict(entry: AssetBook, today: dt.date | None = None) -> dict[str, Any]:
    """An asset's schedule in one book (``DepreciationScheduleOut``)."""
    today = today or timezone.localdate()
    spec = entry.spec
    return {
        "asset_id": entry.asset.pk,
        "book": entry.book,
        "profile": str(entry.profile) if entry.profile else None,
        "currency": entry.currency,
        "cost": entry.asset.cost if entry.asset.cost is not None else Decimal(0),
        "salvage": spec.salvage if spec else Decimal(0),
        "start": entry.start,
        "method": spec.method.value if spec else None,
        "convention": spec.convention.value if spec else None,
        "life_years": spec.life_years if spec else None,
        "note": entry.reason,
        **_schedule_parts(entry.schedule, today),
    }


def preview(values: dict[str, Any]) -> dict[str, Any]:
    """A what-if schedule from plain values (``PreviewIn``); raises ``DepreciationError``
    naming the field on bad input. Nothing is saved."""
    currency = str(values.get("currency") or "EUR").upper()
    spec = DepreciationSpec(
        cost=Decimal(values["cost"]),
        salvage=Decimal(values.get("salvage") or 0),
        in_service=values["in_service"],
        method=Method(values["method"]),
        life_years=int(values["life_years"]),
        convention=Convention(values.get("convention") or Convention.FULL_MONTH),
        fiscal_year_start_month=values.get("fiscal_year_start_month")
        or conf.fiscal_year_start_month(),
        declining_factor=Decimal(values.get("declining_factor") or 2),
        declining_rate=values.get("declining_rate"),
        switch_to_straight_line=values.get("switch_to_straight_line", True),
        minor_digits=minor_digits(currency),
    )
    schedule = build_schedule(spec)
    return {
        "currency": currency,
        "cost": spec.cost,
        "salvage": spec.salvage,
        "start": spec.in_service,
        "method": spec.method.value,
        "convention": spec.convention.value,
        "life_years": spec.life_years,
        "note": "",
        **_schedule_parts(schedule, timezone.localdate()),
    }
