"""The database job queue: register tasks, enqueue jobs, claim and run them, recover the
jobs of a worker that died.

Why a queue in the database: the embedded default needs nothing beyond the database the app
already has, on SQLite and PostgreSQL alike, and a job row committed with the write that
asked for it is never lost (nor sent when that write rolled back). Any number of workers, on
any number of hosts, claim jobs with a conditional update (``queued`` → ``running``), which
only one of them wins on both databases.

A job that raises is queued again after ``retry_delay`` until its ``max_attempts`` are spent,
then marked failed with the exception as its reason. A worker heartbeats every few seconds
(:class:`~.models.WorkerHeartbeat`); a running job whose worker has not been seen for
``ASSETGRAPH_WORKER_STALE_SECONDS`` (it was killed, even with ``kill -9``) is queued again or,
with no attempts left, failed with "the worker … stopped while running it". Tasks run their
writes in their own transactions (services are atomic), so a killed job leaves nothing
half-written.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import traceback
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task as django_tasks_task
from django_tasks.base import Task

from .models import Job, JobState, Schedule, WorkerHeartbeat

logger = logging.getLogger(__name__)

TaskFunction = Callable[..., Any]
# name → the plain function (what a worker calls; tests call it directly)
TASKS: dict[str, TaskFunction] = {}
# name → the Django task (``.enqueue()`` goes through the configured backend)
DJANGO_TASKS: dict[str, Task[Any, Any]] = {}
_NAMES: dict[str, str] = {}  # a Django task's module path → its registered name
# What ``enqueue()`` adds to a job beyond Django's task API (attempts, starter, schedule).
_EXTRAS: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "assetgraph_job_extras", default=None
)


def task(name: str) -> Callable[[TaskFunction], Task[Any, Any]]:
    """Make a function the Django task ``name`` (keyword arguments, JSON values).

    The decorated name is a ``django_tasks`` Task: queue it with ``.enqueue(**kwargs)`` (or
    :func:`enqueue` by name), run it inline with ``.call(**kwargs)``.
    """

    def register(function: TaskFunction) -> Task[Any, Any]:
        django = django_tasks_task(function)
        TASKS[name] = function
        DJANGO_TASKS[name] = django
        _NAMES[django.module_path] = name
        return django

    return register


def task_name(django: Task[Any, Any]) -> str:
    """The name a job row stores for a Django task: its registered name, else its module
    path (a task declared with ``django_tasks.task`` in a layer below events)."""
    return _NAMES.get(django.module_path, django.module_path)


def django_task(name: str) -> Task[Any, Any] | None:
    """The Django task a job row names: registered by name, or a module path that resolves
    to a Django task (anything else, e.g. a plain function, is refused)."""
    found = DJANGO_TASKS.get(name)
    if found is not None or "." not in name:
        return found
    try:
        candidate = import_string(name)
    except ImportError:
        return None
    return candidate if isinstance(candidate, Task) else None


def _function(name: str) -> TaskFunction | None:
    if name in TASKS:
        return TASKS[name]
    found = django_task(name)
    return found.func if found is not None else None


def create_job(name: str, arguments: dict[str, Any], *, run_after: dt.datetime | None) -> Job:
    """The job row for a task being enqueued (the backends call this)."""
    extras = _EXTRAS.get() or {}
    user = extras.get("user")
    return Job.objects.create(
        task=name,
        arguments=arguments,
        run_after=run_after or timezone.now(),
        max_attempts=max(1, int(extras.get("max_attempts", 3))),
        user=user if getattr(user, "pk", None) else None,
        schedule=extras.get("schedule"),
    )


def enqueue(
    name: str,
    arguments: dict[str, Any] | None = None,
    *,
    run_after: dt.datetime | None = None,
    max_attempts: int = 3,
    user: Any = None,
    schedule: Schedule | None = None,
) -> Job:
    """Queue a run of task ``name`` through its Django task's ``.enqueue()``; inside a
    transaction it becomes visible (and is announced to workers) on commit."""
    django = django_task(name)
    if django is None:
        raise ValueError(f"unknown task {name!r}")
    token = _EXTRAS.set({"max_attempts": max_attempts, "user": user, "schedule": schedule})
    try:
        result = django.using(run_after=run_after).enqueue(**(arguments or {}))
    finally:
        _EXTRAS.reset(token)
    return Job.objects.get(pk=int(result.id))


def queue_depth() -> int:
    """Jobs waiting to run (due or not)."""
    return Job.objects.filter(state=JobState.QUEUED).count()


def claim(worker: str, job_id: int) -> Job | None:
    """Claim job ``job_id`` for ``worker`` if it is queued and due (the id a broker
    announced); None when another worker won it, or it is not due."""
    now = timezone.now()
    won = Job.objects.filter(pk=job_id, state=JobState.QUEUED, run_after__lte=now).update(
        state=JobState.RUNNING,
        worker=worker[:100],
        attempts=F("attempts") + 1,
        started=now,
    )
    return Job.objects.get(pk=job_id) if won else None


def claim_next(worker: str) -> Job | None:
    """Claim the oldest due job for ``worker``; None when nothing is due."""
    now = timezone.now()
    for candidate in Job.objects.filter(state=JobState.QUEUED, run_after__lte=now).order_by(
        "run_after", "id"
    )[:10]:
        won = claim(worker, candidate.pk)
        if won is not None:
            return won
    return None


def retry_delay(attempt: int) -> float:
    """Seconds before a failed job's next attempt: exponential from the base setting."""
    base = float(settings.ASSETGRAPH_JOB_RETRY_BASE_SECONDS)
    return float(min(3600.0, base * 2 ** (attempt - 1)))


def _tell_starter(job: Job, succeeded: bool, detail: str = "") -> None:
    """Notify the user who started a job that it ended (a job they started ends)."""
    if job.user_id is None:
        return
    from .notifications import notify

    outcome = "finished" if succeeded else "failed"
    notify(
        job.user,
        "job_finished",
        f"Your job #{job.pk} ({job.task}) {outcome}",
        detail,
        key=f"job:{job.pk}",
    )


def _failed_attempt(job: Job, reason: str) -> None:
    if job.attempts < job.max_attempts:
        Job.objects.filter(pk=job.pk, state=JobState.RUNNING).update(
            state=JobState.QUEUED,
            error=reason[:4000],
            worker="",
            run_after=timezone.now() + dt.timedelta(seconds=retry_delay(job.attempts)),
        )
    else:
        failed = Job.objects.filter(pk=job.pk, state=JobState.RUNNING).update(
            state=JobState.FAILED, error=reason[:4000], finished=timezone.now()
        )
        if failed:
            _tell_starter(job, False, reason)


def run_job(job: Job) -> bool:
    """Run a claimed job; True when it succeeded."""
    function = _function(job.task)
    if function is None:
        job.attempts = job.max_attempts
        _failed_attempt(job, f"unknown task {job.task!r}")
        return False
    try:
        result = function(**(job.arguments or {}))
    except Exception as exc:
        logger.warning("job %s (%s) failed: %s", job.pk, job.task, exc)
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        _failed_attempt(job, detail)
        return False
    finished = Job.objects.filter(pk=job.pk, state=JobState.RUNNING).update(
        state=JobState.SUCCEEDED,
        result=result if isinstance(result, dict | list | int | str | float | None) else None,
        error="",
        finished=timezone.now(),
    )
    if finished:
        _tell_starter(job, True)
    return True


def recover_orphaned_jobs() -> int:
    """Queue again (or fail) running jobs whose worker stopped heartbeating; returns how many."""
    stale = timezone.now() - dt.timedelta(seconds=settings.ASSETGRAPH_WORKER_STALE_SECONDS)
    alive = set(WorkerHeartbeat.objects.filter(seen__gte=stale).values_list("name", flat=True))
    recovered = 0
    for job in Job.objects.filter(state=JobState.RUNNING).exclude(worker__in=alive):
        reason = f"the worker {job.worker or '?'} stopped while running it"
        _failed_attempt(job, reason)
        recovered += 1
    return recovered


def cancel_job(job: Job) -> bool:
    """Fail a queued job before it runs; False when it already started."""
    return bool(
        Job.objects.filter(pk=job.pk, state=JobState.QUEUED).update(
            state=JobState.FAILED, error="cancelled", finished=timezone.now()
        )
    )
