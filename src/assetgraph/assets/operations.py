"""The assets app's scheduled work, registered with the events app (found by name there):
the daily alerts that tell custodians of an expiring warranty or an overdue return."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone

from assetgraph.events.notifications import notify
from assetgraph.events.queue import task
from assetgraph.events.schedules import Every, ScheduleSpec, register_schedule

from . import reports
from .models import Asset

WARRANTY_NOTICE_DAYS = 30


@task("assets.daily_alerts")
def daily_alerts(warranty_days: int = WARRANTY_NOTICE_DAYS) -> dict[str, Any]:
    """Notify each custodian once per expiring warranty and once per overdue return."""
    today = timezone.localdate()
    assets = Asset.objects.filter(custodian__user__isnull=False)
    told = {"expiring": 0, "return_overdue": 0}
    for asset in reports.warranty_expiring(assets, warranty_days, today):
        if notify(
            asset.custodian,
            "expiring",
            f"The warranty of {asset} ends on {asset.warranty_end}",
            f"{asset} ({asset.model}) is covered until {asset.warranty_end}.",
            reverse("ui:assets:asset_detail", args=[asset.pk]),
            key=f"warranty:{asset.pk}:{asset.warranty_end}",
        ):
            told["expiring"] += 1
    for asset in reports.overdue_returns(assets, today):
        if notify(
            asset.custodian,
            "return_overdue",
            f"{asset} was due back on {asset.expected_return}",
            f"Please return {asset} or ask for a new return date.",
            reverse("ui:assets:asset_detail", args=[asset.pk]),
            key=f"overdue:{asset.pk}:{asset.expected_return}",
        ):
            told["return_overdue"] += 1
    return told


register_schedule(
    ScheduleSpec("Daily asset alerts", "assets.daily_alerts", Every.DAY, at_time=dt.time(6, 0))
)
