"""Finance's scheduled work: the monthly depreciation close (created disabled, since closing
locks a month; when run it closes the previous month once, skipping a closed one) and the daily
contract alerts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from assetgraph.core.actor import Actor
from assetgraph.events.models import Job, JobState, Schedule
from assetgraph.events.queue import enqueue
from assetgraph.events.schedules import sync_schedules
from assetgraph.events.worker import Worker
from assetgraph.finance.models import ClosedPeriod

pytestmark = pytest.mark.django_db


def test_the_monthly_close_is_opt_in_and_closes_the_previous_month_once() -> None:
    sync_schedules()
    schedule = Schedule.objects.get(name="Monthly depreciation close")
    assert schedule.enabled is False and schedule.every == "month"
    assert (schedule.day_of_month, schedule.at_time) == (1, dt.time(4, 0))
    previous = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    first = enqueue("finance.monthly_depreciation")
    Worker().drain()
    first.refresh_from_db()
    assert first.state == JobState.SUCCEEDED, first.error
    assert first.result["period"] == f"{previous:%Y-%m}"
    assert list(ClosedPeriod.objects.values_list("period", flat=True)) == [previous]
    again = enqueue("finance.monthly_depreciation")
    Worker().drain()
    again = Job.objects.get(pk=again.pk)
    assert again.state == JobState.SUCCEEDED and "not after" in again.result["skipped"]
    assert ClosedPeriod.objects.count() == 1


def test_contracts_at_their_notice_date_notify_the_contract_managers(
    catalogue: dict[str, Any], make_user: Any, system: Actor
) -> None:
    from assetgraph.events.models import Notification
    from assetgraph.finance import services
    from assetgraph.finance.operations import daily_alerts

    procurement, finance = make_user("Procurement"), make_user("Finance")
    today = timezone.localdate()
    ending = services.create_contract(
        system,
        {
            "name": "Printer lease",
            "kind": "lease",
            "supplier": catalogue["cdw"],
            "start_date": today - dt.timedelta(days=300),
            "end_date": today + dt.timedelta(days=20),
            "notice_days": 30,
        },
    )
    services.create_contract(
        system,
        {
            "name": "Far off",
            "kind": "lease",
            "supplier": catalogue["cdw"],
            "start_date": today - dt.timedelta(days=10),
            "end_date": today + dt.timedelta(days=300),
            "notice_days": 30,
        },
    )
    assert daily_alerts.call() == {"expiring": 1}
    note = Notification.objects.get(user=procurement)
    assert note.kind == "expiring"
    assert note.subject == f"The contract Printer lease ends on {ending.end_date}"
    assert note.url == f"/finance/contracts/{ending.pk}/"
    assert not Notification.objects.filter(user=finance).exists()  # reads, does not manage
    assert daily_alerts.call() == {"expiring": 0}  # once per contract and term end
