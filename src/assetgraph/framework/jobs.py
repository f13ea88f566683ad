"""Background import jobs: a large import runs in a worker (``assetgraph worker``), with live
progress, never in a thread of the web process.

The page creates the job row and enqueues :func:`run_import`, a Django task (ADR 0014), in the
same transaction; the worker rebuilds the importer for the user who started it and runs it. So
a web restart cannot abandon an import, and an import on one node can be applied by a worker on
another (their data directories must be shared: the upload and the progress file live there).

Where progress lives: an import holds one long transaction, so a progress row written inside
it is invisible to everyone else until the end, and on SQLite a second connection cannot write
at all while that transaction holds the write lock (it would wait on the busy timeout). So live
progress goes to one small JSON file per job in ``DATA_DIR/jobs/``, replaced atomically
(``os.replace``): every gunicorn worker on the host reads the same numbers, on both databases,
and a reader never sees half a file. The job row holds only the lifecycle (queued → running →
succeeded / failed) and the final counts and report, written outside the import's transaction.

A job whose worker died (``kill -9``, a crash) would stay ``running`` forever: the runner
rewrites its progress file every :data:`HEARTBEAT_SECONDS`, and a reader that finds the file
older than :data:`STALE_AFTER_SECONDS` marks the job failed ("interrupted"); until someone
looks, the task queue runs the job again on another worker. The import itself is
all-or-nothing, so an interrupted attempt wrote nothing. A job still ``queued`` waits for a
worker, however long: it is not interrupted.

Auditing: the job row is not audited. It is operational bookkeeping (like a session), not part
of the estate; it already records who started which file and when, and every object the import
writes gets its own audit event from the importer, tagged with the import's job id (which the
stored report carries). Auditing the bookkeeping would add noise to the spine, not history.

A job "succeeds" when its report is ok (a dry run with no row error, or an applied import);
a report with row or file errors makes it ``failed`` with the report kept, so the user sees
every error. Tests may set ``settings.IMPORT_JOBS_INLINE = True`` to run jobs in the calling
thread (inside the test's transaction).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import django_tasks
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connections, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from assetgraph.audit.models import AuditEvent
from assetgraph.core.actor import Actor, Source
from assetgraph.core.errors import ServiceError
from assetgraph.core.models import ImportJob, ImportJobState
from assetgraph.framework.importing import ImportBase, ImportReport

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5.0
STALE_AFTER_SECONDS = 60.0
# The stored report keeps every error row first, then changed rows, up to this many rows: the
# job page shows them, and a 100k-row diff is neither readable nor worth a 40 MB JSON value.
REPORT_ROW_LIMIT = 1_000
# Progress files are rewritten at most this often (the importer reports every 500 rows).
_MIN_WRITE_INTERVAL = 0.25
INTERRUPTED = "interrupted: the process running this import stopped; nothing was written"
WRITTEN_REPORT_LOST = (
    "the import was written, but the process stopped before recording its report; "
    "see the audit log for its changes"
)
ACTIVE_STATES = (ImportJobState.QUEUED, ImportJobState.RUNNING)


class JobConflict(Exception):
    """An apply of the same upload is already queued or running (``job`` is that one)."""

    def __init__(self, job: ImportJob) -> None:
        super().__init__(f"import job {job.pk} is already {job.state}")
        self.job = job


@dataclass(frozen=True)
class JobProgress:
    """Live progress of a running job, as stored in its progress file."""

    phase: str  # reading | checking | writing
    processed: int
    total: int | None
    updated: float  # time.time() of the last write: the heartbeat

    @property
    def percent(self) -> int:
        """0-100 for the progress bar (0 while the total is unknown)."""
        if not self.total:
            return 0
        return max(0, min(100, self.processed * 100 // self.total))


def jobs_dir() -> Path:
    """``DATA_DIR/jobs``, created on first use."""
    directory = Path(settings.DATA_DIR) / "jobs"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _progress_path(job_id: uuid.UUID | str) -> Path:
    return jobs_dir() / f"{uuid.UUID(str(job_id)).hex}.json"


def write_progress(job_id: uuid.UUID | str, progress: JobProgress) -> None:
    """Replace the job's progress file atomically (write a temporary file, then rename)."""
    target = _progress_path(job_id)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".progress-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(asdict(progress), out)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def read_progress(job_id: uuid.UUID | str) -> JobProgress | None:
    """The job's last written progress, or None when there is no (readable) file."""
    try:
        data = json.loads(_progress_path(job_id).read_text(encoding="utf-8"))
        return JobProgress(
            phase=str(data["phase"]),
            processed=int(data["processed"]),
            total=None if data["total"] is None else int(data["total"]),
            updated=float(data["updated"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _remove_progress(job_id: uuid.UUID | str) -> None:
    with contextlib.suppress(OSError):
        _progress_path(job_id).unlink()


class _Tracker:
    """The importer's ``progress`` callback plus the heartbeat thread of one job."""

    def __init__(self, job_id: uuid.UUID, dry_run: bool, total: int | None) -> None:
        self.job_id = job_id
        self.dry_run = dry_run
        self.state = JobProgress("reading", 0, total, time.time())
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.last_write = 0.0
        self.heartbeat = threading.Thread(
            target=self._beat, name=f"import-heartbeat-{job_id.hex[:8]}", daemon=True
        )

    def __call__(self, done: int, total: int | None) -> None:
        # The plan reports done == total once every row is checked; an apply then writes.
        phase = (
            "writing" if total is not None and done >= total and not self.dry_run else "checking"
        )
        with self.lock:
            self.state = JobProgress(phase, done, total, time.time())
            if time.monotonic() - self.last_write >= _MIN_WRITE_INTERVAL or phase == "writing":
                self._write()

    def _write(self) -> None:
        self.state = JobProgress(
            self.state.phase, self.state.processed, self.state.total, time.time()
        )
        try:
            write_progress(self.job_id, self.state)
        except OSError:
            logger.warning("cannot write progress of import job %s", self.job_id, exc_info=True)
        self.last_write = time.monotonic()

    def _beat(self) -> None:
        while not self.stopped.wait(HEARTBEAT_SECONDS):
            with self.lock:
                self._write()

    def start(self) -> None:
        with self.lock:
            self._write()
        self.heartbeat.start()

    def stop(self) -> None:
        self.stopped.set()
        if self.heartbeat.is_alive():
            self.heartbeat.join(timeout=HEARTBEAT_SECONDS)


# -- writes: small functions, each one conditional so that concurrent readers cannot race -----


def create_import_job(
    *,
    user: Any,
    kind: str,
    object_type: str,
    filename: str,
    upload: str,
    dry_run: bool,
    total_rows: int | None,
) -> ImportJob:
    """Record a queued job and its first progress file; raise :class:`JobConflict` when an
    apply of the same upload is already queued or running (a unique constraint closes the
    race between two clicks, on both databases)."""
    try:
        with transaction.atomic():
            job = ImportJob.objects.create(
                user=user,
                kind=kind,
                object_type=object_type,
                filename=filename[:255],
                upload=upload,
                dry_run=dry_run,
                total_rows=total_rows,
            )
    except IntegrityError:
        active = ImportJob.objects.filter(
            upload=upload, dry_run=False, state__in=ACTIVE_STATES
        ).first()
        if active is None:
            raise
        raise JobConflict(active) from None
    write_progress(job.pk, JobProgress("reading", 0, total_rows, time.time()))
    return job


def _mark_running(job_id: uuid.UUID) -> bool:
    return bool(
        ImportJob.objects.filter(pk=job_id, state=ImportJobState.QUEUED).update(
            state=ImportJobState.RUNNING, started=timezone.now()
        )
    )


def _finish(job_id: uuid.UUID, report: ImportReport) -> None:
    """Store the outcome; the runner's verdict wins even over an "interrupted" guess."""
    data = stored_report(report)
    counts = data["counts"]
    rows = sum(counts.values())
    error = ""
    if not report.ok:
        problems = counts["error"] + len(report.file_errors)
        error = f"{problems} error(s); nothing was written"
    ImportJob.objects.filter(pk=job_id).exclude(state=ImportJobState.SUCCEEDED).update(
        state=ImportJobState.SUCCEEDED if report.ok else ImportJobState.FAILED,
        total_rows=rows,
        processed_rows=rows,
        counts=counts,
        report=data,
        error=error,
        finished=timezone.now(),
    )


def _fail(job_id: uuid.UUID, message: str) -> None:
    ImportJob.objects.filter(pk=job_id).exclude(state=ImportJobState.SUCCEEDED).update(
        state=ImportJobState.FAILED, error=message[:2000], finished=timezone.now()
    )


def stored_report(report: ImportReport) -> dict[str, Any]:
    """``report.as_dict()`` with at most :data:`REPORT_ROW_LIMIT` rows, error rows first
    (listed in file order), plus ``rows_omitted``: how many changed rows are not listed.

    Only the kept rows are turned into dicts: the diff of a new object is computed when read,
    and diffing 100,000 rows to keep 1,000 would cost seconds.
    """
    listed = [r for r in report.rows if r.action != "unchanged"]
    errors = [r for r in listed if r.action == "error"][:REPORT_ROW_LIMIT]
    others = [r for r in listed if r.action != "error"][: REPORT_ROW_LIMIT - len(errors)]
    kept = sorted(errors + others, key=lambda r: r.number)
    data = dataclasses.replace(report, rows=kept).as_dict()
    data["counts"] = report.counts()
    data["ok"] = report.ok
    data["rows_omitted"] = len(listed) - len(kept)
    return data


def refresh(job: ImportJob) -> ImportJob:
    """The job as it stands, with a dead runner's job turned into failed ("interrupted")."""
    if job.done or job.state == ImportJobState.QUEUED:
        return job  # a queued job waits for a worker; the task queue keeps it
    progress = read_progress(job.pk)
    last = progress.updated if progress else job.created.timestamp()
    if time.time() - last > STALE_AFTER_SECONDS:
        if not job.dry_run and AuditEvent.objects.filter(job_id=job.pk.hex).exists():
            # the runner died after its transaction committed: the rows are written (their
            # audit events carry the job's id), only the report was lost
            outcome = {"state": ImportJobState.SUCCEEDED, "error": WRITTEN_REPORT_LOST}
        else:
            outcome = {"state": ImportJobState.FAILED, "error": INTERRUPTED}
        ImportJob.objects.filter(pk=job.pk, state__in=ACTIVE_STATES).update(
            **outcome, finished=timezone.now()
        )
        _remove_progress(job.pk)
    job.refresh_from_db()
    return job


def job_progress(job: ImportJob) -> JobProgress:
    """What the progress bar shows: the live file while running, the stored counts after."""
    if not job.done:
        live = read_progress(job.pk)
        if live is not None:
            return live
    total = job.total_rows
    return JobProgress(
        "done" if job.done else "reading",
        job.processed_rows if job.done else 0,
        total,
        time.time(),
    )


# -- running ----------------------------------------------------------------------------------


def start_import_job(
    job: ImportJob,
    importer: ImportBase,
    path: Path,
    *,
    on_done: Callable[[ImportJob, ImportReport | None], None] | None = None,
) -> None:
    """Queue the import of ``path`` for ``job`` as a Django task that ``assetgraph worker``
    runs (it is enqueued with the job row: when that commits, workers see it), or run it
    inline when ``settings.IMPORT_JOBS_INLINE`` is true (tests, inside their transaction).

    ``on_done`` (a module-level function: the worker finds it by its dotted path) runs after
    the outcome is stored (e.g. to delete the upload); it gets the report, or None when the
    import raised.
    """
    if getattr(settings, "IMPORT_JOBS_INLINE", False):
        _run(job, importer, path, on_done, own_connection=False)
        return
    actor = importer.actor
    run_import.enqueue(
        job_id=job.pk.hex,
        importer=_dotted(type(importer)),
        user_id=getattr(actor.user, "pk", None),
        source=str(actor.source),
        token_id=actor.token_id,
        request_id=actor.request_id,
        upload=str(path),
        on_done=_dotted(on_done) if on_done is not None else "",
    )


def _dotted(thing: Any) -> str:
    return f"{thing.__module__}.{thing.__qualname__}"


@django_tasks.task
def run_import(
    *,
    job_id: str,
    importer: str,
    user_id: int | None,
    source: str,
    token_id: int | None,
    request_id: str,
    upload: str,
    on_done: str,
) -> dict[str, Any]:
    """The worker's side of :func:`start_import_job`: rebuild the importer for the user who
    started the job (their permissions, as when they clicked) and run it.

    A job re-run after its worker died (``kill -9``) finds its row ``running``: the import is
    all-or-nothing, so nothing of the first attempt was written and it runs again from the
    start. Declared with django-tasks' own ``@task`` (the framework sits below the events app).
    """
    job = ImportJob.objects.filter(pk=uuid.UUID(job_id)).first()
    if job is None or job.done:
        return {"skipped": True}
    importer_class = import_string(importer)
    if not (isinstance(importer_class, type) and issubclass(importer_class, ImportBase)):
        raise ValueError(f"{importer!r} is not an importer")
    user = None
    if user_id is not None:
        user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
        if user is None:
            _fail(job.pk, "the user who started this import is no longer active")
            return {"state": ImportJobState.FAILED}
    actor = Actor(user=user, source=Source(source), token_id=token_id, request_id=request_id)
    callback = import_string(on_done) if on_done else None
    ImportJob.objects.filter(pk=job.pk, state=ImportJobState.RUNNING).update(
        state=ImportJobState.QUEUED
    )
    _run(job, importer_class(actor), Path(upload), callback, own_connection=False)
    job.refresh_from_db()
    return {"state": job.state, "counts": job.counts}


def _run(
    job: ImportJob,
    importer: ImportBase,
    path: Path,
    on_done: Callable[[ImportJob, ImportReport | None], None] | None,
    *,
    own_connection: bool,
) -> None:
    tracker = _Tracker(job.pk, job.dry_run, job.total_rows)
    report: ImportReport | None = None
    try:
        tracker.start()
        if not _mark_running(job.pk):
            return  # already marked interrupted, or started twice: leave it as it is
        try:
            with path.open("rb") as handle:
                report = importer.run(
                    handle,
                    job.filename,
                    dry_run=job.dry_run,
                    progress=tracker,
                    job_id=job.pk.hex,
                )
        except ServiceError as exc:
            _fail(job.pk, exc.message)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            _fail(job.pk, f"the uploaded file cannot be read ({reason}); upload it again")
        else:
            _finish(job.pk, report)
        if on_done is not None:
            job.refresh_from_db()
            on_done(job, report)
    except Exception as exc:
        logger.exception("import job %s failed", job.pk)
        if report is not None and report.applied:
            message = f"the import was applied, but then {type(exc).__name__} happened"
        else:
            message = f"the import failed unexpectedly ({type(exc).__name__}); nothing was written"
        with contextlib.suppress(Exception):
            _fail(job.pk, message)
    finally:
        tracker.stop()
        _remove_progress(job.pk)
        if own_connection:
            connections.close_all()  # this thread's connections only
