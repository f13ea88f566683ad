"""Schedules as data: a task every N seconds, or daily, weekly or monthly at a time (UTC).

Apps register the schedules they need with :func:`register_schedule` (in their
``AppConfig.ready``, or a module events imports by name); :func:`sync_schedules` creates the
missing rows (existing rows keep what an administrator changed). The worker runs
:func:`run_due_schedules`: each due schedule is advanced with a conditional update on its
``next_run`` (so two workers never both fire it) and one job is queued for it; the schedule's
history is its jobs.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from .models import Job, Schedule

Every = Schedule.Every


@dataclass(frozen=True)
class ScheduleSpec:
    """The default of one registered schedule."""

    name: str
    task: str
    every: str = Every.DAY
    interval_seconds: int | None = None
    at_time: dt.time | None = None
    weekday: int | None = None
    day_of_month: int | None = None
    arguments: dict[str, Any] = field(default_factory=dict)
    # False for work an administrator must opt into (closing a month locks it)
    enabled: bool = True


REGISTERED: dict[str, ScheduleSpec] = {}


def register_schedule(spec: ScheduleSpec) -> None:
    """Declare a schedule an app needs; created by :func:`sync_schedules`."""
    REGISTERED[spec.name] = spec


def sync_schedules() -> int:
    """Create the registered schedules that have no row yet; returns how many."""
    existing = set(Schedule.objects.values_list("name", flat=True))
    created = 0
    for spec in REGISTERED.values():
        if spec.name in existing:
            continue
        schedule = Schedule(
            name=spec.name,
            task=spec.task,
            every=spec.every,
            interval_seconds=spec.interval_seconds,
            at_time=spec.at_time,
            weekday=spec.weekday,
            day_of_month=spec.day_of_month,
            arguments=spec.arguments,
            enabled=spec.enabled,
        )
        schedule.next_run = next_run_after(schedule, timezone.now())
        schedule.save()
        created += 1
    return created


def _at(day: dt.date, at: dt.time | None) -> dt.datetime:
    return dt.datetime.combine(day, at or dt.time(0, 0), tzinfo=dt.UTC)


def next_run_after(schedule: Schedule, moment: dt.datetime) -> dt.datetime:
    """The first run of ``schedule`` strictly after ``moment``."""
    moment = moment.astimezone(dt.UTC)
    if schedule.every == Every.INTERVAL:
        return moment + dt.timedelta(seconds=max(1, schedule.interval_seconds or 3600))
    day = moment.date()
    for offset in range(400):
        candidate_day = day + dt.timedelta(days=offset)
        if schedule.every == Every.WEEK and candidate_day.weekday() != (schedule.weekday or 0):
            continue
        if schedule.every == Every.MONTH:
            last = calendar.monthrange(candidate_day.year, candidate_day.month)[1]
            if candidate_day.day != min(schedule.day_of_month or 1, last):
                continue
        candidate = _at(candidate_day, schedule.at_time)
        if candidate > moment:
            return candidate
    raise ValueError(f"schedule {schedule.name} never runs")


def _queue(schedule: Schedule, now: dt.datetime) -> Job:
    """The schedule's job, through its Django task's ``.enqueue()``; a task no installed app
    registers still gets a row, which the worker fails at once with that reason."""
    from .queue import django_task, enqueue

    if django_task(schedule.task) is not None:
        return enqueue(schedule.task, schedule.arguments, schedule=schedule)
    return Job.objects.create(
        task=schedule.task, arguments=schedule.arguments, run_after=now, schedule=schedule
    )


def run_due_schedules() -> list[Job]:
    """Queue one job for every enabled schedule whose next run has come."""
    now = timezone.now()
    queued: list[Job] = []
    for schedule in Schedule.objects.filter(enabled=True, next_run__lte=now):
        following = next_run_after(schedule, now)
        won = Schedule.objects.filter(pk=schedule.pk, next_run=schedule.next_run).update(
            next_run=following, last_run=now
        )
        if won:
            queued.append(_queue(schedule, now))
    for schedule in Schedule.objects.filter(enabled=True, next_run__isnull=True):
        Schedule.objects.filter(pk=schedule.pk, next_run__isnull=True).update(
            next_run=next_run_after(schedule, now)
        )
    return queued
