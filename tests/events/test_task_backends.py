"""The same task tests against both task backends (ADR 0014): the database queue alone, and
Redis (the real server at ``ASSETGRAPH_TEST_REDIS_URL``, 127.0.0.1:6379 by default).

Each test of the Redis backend uses its own key prefix, so parallel test workers and runs
never see each other's jobs. Without a reachable Redis those tests skip, saying so, unless
``ASSETGRAPH_REQUIRE_REDIS=1`` (CI), where they fail.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks import task as django_task
from django_tasks.base import TaskResultStatus

from assetgraph.events.backends import DatabaseBackend, RedisBackend
from assetgraph.events.models import Job, JobState
from assetgraph.events.queue import enqueue, recover_orphaned_jobs, task
from assetgraph.events.worker import Worker
from tests.events.test_kill import _database_url

REDIS_URL = os.environ.get("ASSETGRAPH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
BACKENDS = {
    "database": "assetgraph.events.backends.DatabaseBackend",
    "redis": "assetgraph.events.backends.RedisBackend",
}


@task("tests.backends.add")
def add(a: int, b: int) -> dict[str, int]:
    return {"sum": a + b}


@task("tests.backends.fail")
def fail(message: str) -> None:
    raise RuntimeError(message)


@django_task
def hold(flag: str, started: str) -> dict[str, bool]:
    """Marks that it started, then waits while ``flag`` exists (the test kills its worker
    meanwhile). Declared with django-tasks' own ``@task``: a worker process that never
    imported this module finds it by its module path."""
    Path(started).touch()
    while Path(flag).exists():
        time.sleep(0.05)
    return {"held": True}


def _redis_or_skip() -> Any:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except Exception as exc:
        message = f"Redis is not reachable at {REDIS_URL} ({exc})"
        if os.environ.get("ASSETGRAPH_REQUIRE_REDIS") == "1":
            pytest.fail(f"{message}, and ASSETGRAPH_REQUIRE_REDIS=1")
        pytest.skip(f"{message}; set ASSETGRAPH_REQUIRE_REDIS=1 to fail instead")
    return client


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, settings: Any) -> Iterator[dict[str, str]]:
    """Configure one backend; for Redis, a key prefix of this test's own."""
    env = {"ASSETGRAPH_TASK_BACKEND": request.param}
    client = None
    if request.param == "redis":
        client = _redis_or_skip()
        prefix = f"assetgraph-test-{uuid.uuid4().hex[:12]}"
        settings.ASSETGRAPH_REDIS_URL = REDIS_URL
        settings.ASSETGRAPH_REDIS_PREFIX = prefix
        env |= {"ASSETGRAPH_REDIS_URL": REDIS_URL, "ASSETGRAPH_REDIS_PREFIX": prefix}
    settings.TASKS = {"default": {"BACKEND": BACKENDS[request.param]}}
    yield env
    if client is not None:
        keys = list(client.scan_iter(f"{env['ASSETGRAPH_REDIS_PREFIX']}:*"))
        if keys:
            client.delete(*keys)


def _announced(worker: Worker) -> list[int]:
    worker.idle(0.05)
    return list(worker.announced)


def test_the_configured_backend_is_ours(backend: dict[str, str]) -> None:
    expected = RedisBackend if backend["ASSETGRAPH_TASK_BACKEND"] == "redis" else DatabaseBackend
    assert type(task_backends[DEFAULT_TASK_BACKEND_ALIAS]) is expected


def test_an_enqueued_task_is_run_by_a_worker_and_its_result_recorded(
    backend: dict[str, str], db: None, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        result = add.enqueue(a=2, b=3)
    assert result.status == TaskResultStatus.READY
    worker = Worker()
    # Redis announces the committed job to an idle worker; the database queue has no broker
    announced = _announced(worker)
    assert announced == ([int(result.id)] if backend["ASSETGRAPH_TASK_BACKEND"] == "redis" else [])
    assert worker.run_once() >= 1
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == {"sum": 5}
    job = Job.objects.get(pk=int(result.id))
    assert (job.state, job.attempts, job.task) == (JobState.SUCCEEDED, 1, "tests.backends.add")
    Worker().drain()
    job.refresh_from_db()
    assert job.attempts == 1  # it runs once


def test_a_write_that_rolls_back_queues_and_announces_nothing(
    backend: dict[str, str], db: None, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    def write_that_fails() -> None:
        with transaction.atomic():
            add.enqueue(a=1, b=1)
            raise RuntimeError("the write failed")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        write_that_fails()
    assert not Job.objects.exists()
    worker = Worker()
    assert _announced(worker) == []
    worker.run_once()
    assert not Job.objects.exists()


def test_a_failing_task_is_retried_then_failed_with_its_reason(
    backend: dict[str, str], db: None, settings: Any
) -> None:
    settings.ASSETGRAPH_JOB_RETRY_BASE_SECONDS = 0
    job = enqueue("tests.backends.fail", {"message": "disk full"}, max_attempts=3)
    Worker().drain()
    job.refresh_from_db()
    assert (job.state, job.attempts, job.error) == (JobState.FAILED, 3, "RuntimeError: disk full")
    result = task_backends[DEFAULT_TASK_BACKEND_ALIAS].get_result(str(job.pk))
    assert result.status == TaskResultStatus.FAILED
    assert result.errors[-1].traceback == "RuntimeError: disk full"
    assert result.attempts == 3


def _worker(tmp_path: Path, env: dict[str, str], *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "assetgraph.cli", "worker", "--poll", "0.1", *extra],
        env={
            **os.environ,
            **env,
            "ASSETGRAPH_DATABASE_URL": _database_url(),
            "ASSETGRAPH_DATA_DIR": str(tmp_path / "worker-data"),
            "DJANGO_SETTINGS_MODULE": "assetgraph.settings",
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_kill_9_of_a_worker_mid_task_loses_nothing_and_a_new_worker_finishes_the_queue(
    backend: dict[str, str], transactional_db: None, tmp_path: Path, settings: Any
) -> None:
    flag, started = tmp_path / "hold", tmp_path / "started"
    flag.touch()
    held = hold.enqueue(flag=str(flag), started=str(started))
    worker = _worker(tmp_path, backend)
    try:
        deadline = time.monotonic() + 60
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert started.exists(), "the worker never started the task"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    job = Job.objects.get(pk=int(held.id))
    assert job.state == JobState.RUNNING and job.attempts == 1  # nobody finished it
    # the dead worker stops heartbeating: another worker's recovery queues it again
    settings.ASSETGRAPH_WORKER_STALE_SECONDS = 0
    time.sleep(0.05)
    assert recover_orphaned_jobs() == 1
    job.refresh_from_db()
    assert job.state == JobState.QUEUED and "stopped while running it" in job.error
    Job.objects.filter(pk=job.pk).update(run_after=job.created)  # no backoff wait
    flag.unlink()
    more = [add.enqueue(a=n, b=n) for n in range(3)]  # queued behind it
    second = _worker(tmp_path, backend, "--once")
    assert second.wait(timeout=120) == 0
    held.refresh()
    assert held.status == TaskResultStatus.SUCCESSFUL and held.return_value == {"held": True}
    assert held.attempts == 2
    for n, result in enumerate(more):
        result.refresh()
        assert result.return_value == {"sum": 2 * n}


def test_with_redis_down_a_job_is_still_queued_and_run_and_readiness_says_why(
    db: None,
    settings: Any,
    client: Any,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """No Redis needed: the broker is unreachable. The row is the record, so the job is
    queued (the announcement fails, logged) and a worker's sweep of the table runs it."""
    settings.ASSETGRAPH_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    settings.ASSETGRAPH_REDIS_PREFIX = f"assetgraph-test-{uuid.uuid4().hex[:12]}"
    settings.TASKS = {"default": {"BACKEND": BACKENDS["redis"]}}
    with django_capture_on_commit_callbacks(execute=True):
        result = add.enqueue(a=20, b=22)
    worker = Worker()
    assert _announced(worker) == []
    worker.run_once()
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL and result.return_value == {"sum": 42}
    worker.beat()
    ready = client.get("/health/ready")
    assert ready.status_code == 503
    assert [p for p in ready.json()["problems"] if p.startswith("broker: Redis")]
