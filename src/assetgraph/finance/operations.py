"""The finance app's scheduled work, registered with the events app (found by name there): the
daily contract alerts, and the monthly depreciation run, which posts the previous month's
depreciation and closes it.

The contract alerts tell the users who manage contracts (``change`` on contracts:
Procurement) of every contract they may see whose notice date has come (the renewal alerts of
the contracts page), once per contract and term end.

The monthly run
is created **disabled**: closing a month locks it (corrections go into the next open
month), so an administrator turns it on (*Operations → Schedules*) once finance closes by the
calendar rather than by hand. When enabled it runs on the 1st at 04:00 UTC and closes the month
before; a month already closed (by hand, or by an earlier run) is skipped, not an error.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone

from assetgraph.accounts.permissions import restrict
from assetgraph.core.actor import Actor
from assetgraph.core.errors import Conflict
from assetgraph.events.notifications import notify, users_granted
from assetgraph.events.queue import task
from assetgraph.events.schedules import Every, ScheduleSpec, register_schedule

from .choices import BookChoices
from .closing import close_period
from .contracts import renewal_alerts
from .models import Contract


@task("finance.daily_alerts")
def daily_alerts() -> dict[str, Any]:
    """Notify contract managers of contracts whose notice date has come."""
    today = timezone.localdate()
    told = 0
    for user in users_granted("finance.contract", "change"):
        for alert in renewal_alerts(restrict(Contract.objects.all(), user, "view"), today):
            contract = alert.contract
            if notify(
                user,
                "expiring",
                f"The contract {contract.name} ends on {alert.term_end}",
                f"{contract.supplier}: notice date {alert.notice_date}, "
                + (
                    "renews automatically unless cancelled."
                    if contract.auto_renew
                    else "renew it or let it end."
                ),
                reverse("ui:finance:contract_detail", args=[contract.pk]),
                key=f"contract:{contract.pk}:{alert.term_end}",
            ):
                told += 1
    return {"expiring": told}


register_schedule(
    ScheduleSpec("Daily contract alerts", "finance.daily_alerts", Every.DAY, at_time=dt.time(6, 30))
)


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
