"""The licences app's scheduled work, registered with the events app (found by name there):
a daily check that tells the people who manage licences (``change`` on entitlements:
Procurement, Compliance) of a licence shortfall and of licences about to end.

Each user is told from the position *they* may see (constrained grants see fewer products),
once per shortfall figure (a shortfall that grows is news again; one that persists is not)
and once per entitlement and end date.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone

from assetgraph.events.notifications import notify, users_granted
from assetgraph.events.queue import task
from assetgraph.events.schedules import Every, ScheduleSpec, register_schedule

from .reads import position_for, visible_entitlements

ENDING_NOTICE_DAYS = 30
SHORTFALL_STATES = ("under", "unlicensed")


@task("licences.daily_alerts")
def daily_alerts(days: int = ENDING_NOTICE_DAYS) -> dict[str, Any]:
    """Notify licence managers of shortfalls and of entitlements ending within ``days``."""
    today = timezone.localdate()
    told = {"licence_shortfall": 0, "expiring": 0}
    for user in users_granted("licences.entitlement", "change"):
        for row in position_for(user).rows:
            if row.status not in SHORTFALL_STATES or not row.shortfall:
                continue
            scope = f", {row.scope_label}" if row.scope_label else ""
            if notify(
                user,
                "licence_shortfall",
                f"{row.product} ({row.metric}{scope}) is short of {row.shortfall} licence(s)",
                f"{row.consumed} consumed against {row.available or 0} available.",
                reverse("ui:licences:product_position", args=[row.product_id]),
                key=f"shortfall:{row.product_id}:{row.metric}:{row.scope}:{row.shortfall}",
            ):
                told["licence_shortfall"] += 1
        ending = visible_entitlements(user).filter(
            end_date__gte=today, end_date__lte=today + dt.timedelta(days=days)
        )
        for entitlement in ending.order_by("end_date", "pk"):
            if notify(
                user,
                "expiring",
                f"The licence {entitlement.name} ends on {entitlement.end_date}",
                f"{(entitlement.end_date - today).days} days left: renew it or plan the "  # type: ignore[operator]
                "replacement.",
                reverse("ui:licences:entitlement_detail", args=[entitlement.pk]),
                key=f"licence-end:{entitlement.pk}:{entitlement.end_date}",
            ):
                told["expiring"] += 1
    return told


register_schedule(
    ScheduleSpec("Daily licence alerts", "licences.daily_alerts", Every.DAY, at_time=dt.time(6, 15))
)
