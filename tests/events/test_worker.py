"""The job queue, schedules and the worker: retries, failure reasons, recovery of the jobs of
a killed worker, schedules as data."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from assetgraph.events.models import Job, JobState, Schedule, WorkerHeartbeat
from assetgraph.events.queue import TASKS, claim_next, enqueue, recover_orphaned_jobs, task
from assetgraph.events.schedules import next_run_after, run_due_schedules, sync_schedules
from assetgraph.events.worker import Worker

CALLS: list[dict[str, Any]] = []


@task("tests.record")
def _record(**kwargs: Any) -> dict[str, Any]:
    CALLS.append(kwargs)
    return {"seen": kwargs}


@task("tests.explode")
def _explode(message: str = "boom") -> None:
    raise RuntimeError(message)


def test_a_queued_job_runs_once_with_its_arguments(db: None) -> None:
    CALLS.clear()
    job = enqueue("tests.record", {"n": 1})
    Worker().drain()
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED and job.attempts == 1
    assert job.result == {"seen": {"n": 1}} and CALLS == [{"n": 1}]
    Worker().drain()
    assert CALLS == [{"n": 1}]


def test_a_failing_job_is_retried_then_failed_with_its_reason(db: None) -> None:
    job = enqueue("tests.explode", {"message": "disk full"}, max_attempts=3)
    Worker().drain()
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.attempts == 3
    assert job.error == "RuntimeError: disk full"


def test_a_job_not_yet_due_waits(db: None) -> None:
    job = enqueue("tests.record", run_after=timezone.now() + dt.timedelta(hours=1))
    assert claim_next("w") is None
    job.refresh_from_db()
    assert job.state == JobState.QUEUED


def test_an_unknown_task_is_refused_or_failed(db: None) -> None:
    with pytest.raises(ValueError, match="unknown task"):
        enqueue("tests.nothing")
    job = Job.objects.create(task="tests.nothing", run_after=timezone.now())
    Worker().drain()
    job.refresh_from_db()
    assert job.state == JobState.FAILED and "unknown task" in job.error


def test_only_one_worker_claims_a_job(db: None) -> None:
    enqueue("tests.record")
    first = claim_next("a")
    assert first is not None and first.worker == "a"
    assert claim_next("b") is None


def test_a_dead_workers_job_is_queued_again_then_failed(db: None, settings: Any) -> None:
    settings.ASSETGRAPH_WORKER_STALE_SECONDS = 60
    job = enqueue("tests.record", max_attempts=2)
    claimed = claim_next("dead-worker")
    assert claimed is not None
    long_ago = timezone.now() - dt.timedelta(minutes=5)
    WorkerHeartbeat.objects.create(
        name="dead-worker", hostname="h", pid=1, started=long_ago, seen=long_ago
    )
    assert recover_orphaned_jobs() == 1
    job.refresh_from_db()
    assert job.state == JobState.QUEUED and "dead-worker stopped" in job.error
    claim_next("dead-worker")
    assert recover_orphaned_jobs() == 1
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.attempts == 2
    assert job.error == "the worker dead-worker stopped while running it"


def test_a_live_workers_job_is_left_alone(db: None) -> None:
    worker = Worker("alive")
    worker.beat()
    enqueue("tests.record")
    assert claim_next("alive") is not None
    assert recover_orphaned_jobs() == 0


def _schedule(**values: Any) -> Schedule:
    return Schedule(name="s", task="tests.record", **values)


def test_next_runs_of_daily_weekly_monthly_and_interval_schedules() -> None:
    moment = dt.datetime(2026, 1, 30, 8, 0, tzinfo=dt.UTC)  # a Friday
    daily = _schedule(every="day", at_time=dt.time(7, 0))
    assert next_run_after(daily, moment) == dt.datetime(2026, 1, 31, 7, 0, tzinfo=dt.UTC)
    weekly = _schedule(every="week", weekday=0, at_time=dt.time(6, 0))
    assert next_run_after(weekly, moment) == dt.datetime(2026, 2, 2, 6, 0, tzinfo=dt.UTC)
    monthly = _schedule(every="month", day_of_month=31, at_time=dt.time(1, 0))
    assert next_run_after(monthly, moment) == dt.datetime(2026, 1, 31, 1, 0, tzinfo=dt.UTC)
    after_january = dt.datetime(2026, 1, 31, 2, 0, tzinfo=dt.UTC)
    # day 31 in a 28-day month runs on its last day
    assert next_run_after(monthly, after_january) == dt.datetime(2026, 2, 28, 1, tzinfo=dt.UTC)
    interval = _schedule(every="interval", interval_seconds=90)
    assert next_run_after(interval, moment) == moment + dt.timedelta(seconds=90)


def test_a_due_schedule_queues_one_job_and_moves_on(db: None) -> None:
    CALLS.clear()
    schedule = Schedule.objects.create(
        name="Every minute",
        task="tests.record",
        every="interval",
        interval_seconds=60,
        arguments={"from": "schedule"},
        next_run=timezone.now() - dt.timedelta(seconds=1),
    )
    first = run_due_schedules()
    assert len(first) == 1 and run_due_schedules() == []  # a second pass does not fire again
    schedule.refresh_from_db()
    assert schedule.last_run is not None and schedule.next_run > timezone.now()
    Worker().drain()
    assert CALLS == [{"from": "schedule"}]
    assert list(schedule.jobs.values_list("state", flat=True)) == [JobState.SUCCEEDED]


def test_registered_schedules_are_created_once(db: None) -> None:
    sync_schedules()
    names = set(Schedule.objects.values_list("name", flat=True))
    assert {"Daily digest", "Seal the audit chain"} <= names
    assert sync_schedules() == 0
    assert all(s.next_run is not None for s in Schedule.objects.all())


def test_the_jobs_command_lists_retries_and_cancels(db: None) -> None:
    failed = enqueue("tests.explode", max_attempts=1)
    Worker().drain()
    out = io.StringIO()
    call_command("jobs", "list", stdout=out)
    assert f"{failed.pk}\ttests.explode\tfailed" in out.getvalue()
    call_command("jobs", "retry", str(failed.pk), stdout=out)
    again = Job.objects.filter(task="tests.explode", state=JobState.QUEUED).get()
    call_command("jobs", "cancel", str(again.pk), stdout=out)
    again.refresh_from_db()
    assert again.state == JobState.FAILED and again.error == "cancelled"
    with pytest.raises(CommandError, match="only queued"):
        call_command("jobs", "cancel", str(again.pk), stdout=out)
    call_command("jobs", "run", "tests.record", "n=3", stdout=out)
    assert Job.objects.filter(task="tests.record", arguments={"n": 3}).exists()
    assert "tests.record" in TASKS


def test_the_user_who_started_a_job_is_told_when_it_ends(db: None, make_user: Any) -> None:
    from assetgraph.events.models import Notification

    starter = make_user()
    ok = enqueue("tests.record", user=starter)
    bad = enqueue("tests.explode", {"message": "no space"}, max_attempts=1, user=starter)
    enqueue("tests.record")  # nobody started it: nobody is told
    Worker().drain()
    told = {n.subject: n.body for n in Notification.objects.filter(user=starter)}
    assert told == {
        f"Your job #{ok.pk} (tests.record) finished": "",
        f"Your job #{bad.pk} (tests.explode) failed": "RuntimeError: no space",
    }


def test_the_cleanup_task_removes_old_uploads_and_progress_files_only(
    db: None, settings: Any, tmp_path: Any
) -> None:
    import os

    from assetgraph.events.tasks import cleanup

    settings.DATA_DIR = tmp_path
    old = timezone.now() - dt.timedelta(days=settings.ASSETGRAPH_OPERATIONS_RETENTION_DAYS + 1)
    for folder in ("uploads", "jobs"):
        (tmp_path / folder).mkdir()
        stale, fresh = tmp_path / folder / "stale.csv", tmp_path / folder / "fresh.csv"
        stale.write_text("x")
        fresh.write_text("x")
        os.utime(stale, (old.timestamp(), old.timestamp()))
    assert cleanup.call()["files"] == 2
    assert sorted(p.name for p in tmp_path.rglob("*.csv")) == ["fresh.csv", "fresh.csv"]
