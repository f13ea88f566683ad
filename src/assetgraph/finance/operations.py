"""The finance app's scheduled work, registered with the events app (found by name there): the
monthly depreciation run, which posts the previous month's depreciation and closes it.

It is created **disabled**: closing a month locks it (corrections go into the next open
month), so an administrator turns it on (*Operations → Schedules*) once finance closes by the
calendar rather than by hand. When enabled it runs on the 1st at 04:00 UTC and closes the month
before; a month already closed (by hand, or by an earlier run) is skipped, not an error.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from assetgraph.core.actor import Actor
from assetgraph.core.errors import Conflict
from assetgraph.events.queue import task
from assetgraph.events.schedules import Every, ScheduleSpec, register_schedule

from .choices import BookChoices
from .closing import close_period


@task("finance.monthly_depreciation")
def monthly_depreciation(book: str = BookChoices.BOOK) -> dict[str, Any]:
    """Post and close the previous month's depreciation in ``book``."""
    previous = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    try:
        result = close_period(Actor.system("monthly depreciation"), previous, book)
    except Conflict as exc:
        return {"period": f"{previous:%Y-%m}", "skipped": exc.message}
    return {
        "period": f"{previous:%Y-%m}",
        "assets": result.closed.asset_count,
        "journal_lines": len(result.lines),
    }


register_schedule(
    ScheduleSpec(
        "Monthly depreciation close",
        "finance.monthly_depreciation",
        Every.MONTH,
        at_time=dt.time(4, 0),
        day_of_month=1,
        enabled=False,
    )
)
