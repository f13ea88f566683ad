"""The monthly depreciation schedule: created disabled (closing locks a month), and when run
it closes the previous month once; a month already closed is skipped, not a failed job."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

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
