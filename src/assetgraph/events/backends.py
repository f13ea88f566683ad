"""Django task backends over the job table (ADR 0014).

Every background task is a Django task (``django_tasks.task``) and is queued with
``.enqueue()``; the backend named by ``ASSETGRAPH_TASK_BACKEND`` decides how workers hear of it:

- :class:`DatabaseBackend` (the default): the ``Job`` row is the queue; workers poll it. Needs
  nothing beyond the database.
- :class:`RedisBackend`: the same row, plus the job's id pushed onto a Redis list when the
  row commits. Workers on any host block on that list and start a job the moment it is queued.

Why both keep the row: it is what the retries, the recovery of a ``kill -9``'d worker's jobs,
the schedules, the Jobs pages, ``assetgraph jobs`` and ``/metrics`` read, and it commits with
the write that asked for the work (a rolled-back write queues nothing). The broker carries the
wake-up and the order only; a message lost with a Redis restart delays a job by one sweep of
the table, never loses it, and a duplicate cannot run it twice (claiming is a conditional
update of the row).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings
from django.db import transaction
from django_tasks.backends.base import BaseTaskBackend
from django_tasks.base import Task, TaskError, TaskResult, TaskResultStatus
from django_tasks.exceptions import InvalidTaskError, TaskResultDoesNotExist

logger = logging.getLogger(__name__)

_STATUS = {
    "queued": TaskResultStatus.READY,
    "running": TaskResultStatus.RUNNING,
    "succeeded": TaskResultStatus.SUCCESSFUL,
    "failed": TaskResultStatus.FAILED,
}


class DatabaseBackend(BaseTaskBackend):
    """Queue a task as a ``Job`` row; ``assetgraph worker`` polls the table."""

    supports_defer = True
    supports_get_result = True

    def validate_task(self, task: Task[Any, Any]) -> None:
        super().validate_task(task)
        if task.takes_context:
            raise InvalidTaskError("assetgraph tasks do not take a context")

    def enqueue(self, task: Task[Any, Any], args: Any, kwargs: Any) -> TaskResult[Any]:
        """Create the job row (visible when the surrounding transaction commits)."""
        from .queue import create_job, task_name

        self.validate_task(task)
        if args:
            raise InvalidTaskError("assetgraph tasks take keyword arguments only (JSON values)")
        job = create_job(task_name(task), dict(kwargs), run_after=task.run_after)
        self.announce(job.pk)
        return self._result(task, job)

    def announce(self, job_id: int) -> None:
        """Tell workers a job was queued: the table is enough here."""

    def wait(self, timeout: float, stopping: threading.Event) -> list[int]:
        """Wait up to ``timeout`` seconds for announced jobs; the database backend has none
        to offer: the worker sleeps (unless stopped), then sweeps the table."""
        stopping.wait(timeout)
        return []

    def problem(self) -> str | None:
        """What keeps this backend from working (for ``/health/ready``); None when fine.
        The database is checked by the caller."""
        return None

    def get_result(self, result_id: str) -> TaskResult[Any]:
        from .models import Job
        from .queue import django_task

        try:
            job = Job.objects.get(pk=int(result_id))
        except (Job.DoesNotExist, ValueError):
            raise TaskResultDoesNotExist(result_id) from None
        found = django_task(job.task)
        if found is None:
            raise TaskResultDoesNotExist(result_id)
        return self._result(found, job)

    def _result(self, task: Task[Any, Any], job: Any) -> TaskResult[Any]:
        status = _STATUS[job.state]
        errors = []
        if job.error and status != TaskResultStatus.SUCCESSFUL:
            errors.append(TaskError(exception_class_path="", traceback=job.error))
        result: TaskResult[Any] = TaskResult(
            task=task,
            id=str(job.pk),
            status=status,
            enqueued_at=job.created,
            started_at=job.started,
            finished_at=job.finished,
            last_attempted_at=job.started,
            args=[],
            kwargs=job.arguments or {},
            backend=self.alias,
            errors=errors,
            worker_ids=[job.worker] * job.attempts if job.worker else [""] * job.attempts,
        )
        object.__setattr__(result, "_return_value", job.result)
        return result


class RedisBackend(DatabaseBackend):
    """The job row, plus its id on a Redis list so that workers anywhere start it at once."""

    def __init__(self, alias: str, params: dict[str, Any]) -> None:
        super().__init__(alias, params)
        self._client: Any = None

    @property
    def key(self) -> str:
        """The Redis list of announced job ids (``ASSETGRAPH_REDIS_PREFIX:jobs``)."""
        return f"{settings.ASSETGRAPH_REDIS_PREFIX}:jobs"

    def client(self) -> Any:
        """The Redis client for ``ASSETGRAPH_REDIS_URL`` (one per backend instance)."""
        if self._client is None:
            import redis

            self._client = redis.Redis.from_url(
                settings.ASSETGRAPH_REDIS_URL, socket_connect_timeout=5, socket_timeout=30
            )
        return self._client

    def problem(self) -> str | None:
        """The broker does not answer ``PING``: jobs still run (the workers sweep the table),
        only later."""
        try:
            self.client().ping()
        except Exception as exc:
            return f"broker: Redis at {settings.ASSETGRAPH_REDIS_URL} ({type(exc).__name__})"
        return None

    def announce(self, job_id: int) -> None:
        """Push the id once the row is committed (a rolled-back job is never announced)."""
        transaction.on_commit(lambda: self._push(job_id), robust=True)

    def _push(self, job_id: int) -> None:
        try:
            self.client().lpush(self.key, job_id)
        except Exception:  # the sweep of the table still finds the job
            logger.warning("cannot announce job %s on Redis", job_id, exc_info=True)

    def wait(self, timeout: float, stopping: threading.Event) -> list[int]:
        """Block on the list up to ``timeout`` seconds; the id announced first, if any."""
        try:
            popped = self.client().brpop([self.key], timeout=max(0.05, timeout))
        except Exception:
            logger.warning("cannot read the Redis job list", exc_info=True)
            stopping.wait(timeout)
            return []
        # One id per wake-up, so that idle workers on every host share the announcements; the
        # jobs behind it are found by the sweep that follows in the same pass, oldest first.
        return [] if popped is None else [int(popped[1])]
