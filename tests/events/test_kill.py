"""``kill -9`` of a real ``assetgraph worker`` in the middle of a large import: no partial
rows, the job is queued again, and a new worker finishes the queue."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from assetgraph.conf import postgres_url
from assetgraph.events.models import Job, JobState, WorkerHeartbeat
from assetgraph.events.queue import enqueue, recover_orphaned_jobs
from tests.shared_demo import reseed_builtin_data

# Large enough that the import is still running half a second after the job starts on an
# idle machine too (8,000 rows finished inside that window once the bulk path got faster).
ROWS = 30_000


def _database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    return postgres_url(settings, settings["NAME"])


@pytest.fixture
def reseeded(transactional_db: None) -> Iterator[None]:
    reseed_builtin_data()
    yield
    reseed_builtin_data()


def _worker(tmp_path: Path, *extra: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ASSETGRAPH_DATABASE_URL": _database_url(),
        "ASSETGRAPH_DATA_DIR": str(tmp_path / "worker-data"),
        "DJANGO_SETTINGS_MODULE": "assetgraph.settings",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "assetgraph.cli", "worker", "--poll", "0.1", *extra],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_kill_9_during_an_import_leaves_no_partial_rows(
    reseeded: None, tmp_path: Path, settings: Any
) -> None:
    from assetgraph.org.models import Person

    source = tmp_path / "people.csv"
    lines = ["employee_number,first_name,last_name"]
    lines += [f"K{n:06d},First{n},Last{n}" for n in range(ROWS)]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    job = enqueue("events.run_command", {"command": "import_data", "args": ["people", str(source)]})
    worker = _worker(tmp_path)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.state == JobState.RUNNING:
                break
            time.sleep(0.05)
        assert job.state == JobState.RUNNING
        time.sleep(0.5)  # in the middle of the import
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    job.refresh_from_db()
    assert job.state == JobState.RUNNING  # nobody finished it
    assert not Person.objects.filter(employee_number__startswith="K").exists()
    # the dead worker stops heartbeating; another worker's recovery queues the job again
    settings.ASSETGRAPH_WORKER_STALE_SECONDS = 0
    time.sleep(0.05)
    assert recover_orphaned_jobs() == 1
    job.refresh_from_db()
    assert job.state == JobState.QUEUED and "stopped while running it" in job.error
    Job.objects.filter(pk=job.pk).update(run_after=job.created)  # no backoff wait
    second = _worker(tmp_path, "--once")
    assert second.wait(timeout=300) == 0
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED, job.error
    assert job.attempts == 2
    assert Person.objects.filter(employee_number__startswith="K").count() == ROWS
    # a worker that exits cleanly removes its heartbeat; the killed one's is left, stale
    assert list(WorkerHeartbeat.objects.values_list("pid", flat=True)) == [worker.pid]
