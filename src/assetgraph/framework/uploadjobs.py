"""Uploads that are not table imports (an advisory feed, a seat list, a licence server's log)
run by ``assetgraph worker`` as import jobs, never in the request that sent them (ADR 0014).

The endpoint validates what is cheap (a file is there, its type, who may send it), stores the
file under ``DATA_DIR/uploads``, records an :class:`~assetgraph.core.models.ImportJob` and
enqueues :func:`run_upload` in the same transaction. The worker rebuilds the actor (the user who
sent the file, their permissions, their token and request id), calls the endpoint's *runner*
and stores what the synchronous endpoint used to answer as the job's report: the body on
success, the error body (``{"error": {code, message, fields}}``) on a refused file. A runner is
one service call (or two, each all-or-nothing), so a failed job wrote nothing.

A runner is a module-level function decorated with :func:`upload_runner`; the worker refuses
any dotted path that does not name one, so a job's arguments cannot make it call anything
else.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import django_tasks
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.module_loading import import_string

from assetgraph.core.actor import Actor, Source
from assetgraph.core.errors import ServiceError
from assetgraph.core.models import ImportJob, ImportJobState

from . import jobs

# The uploads a queued job reads; web nodes and workers share the data directory.
UPLOAD_SUBDIR = "uploads"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredFile:
    """One uploaded file as the worker finds it: where it is stored and what it was called."""

    path: Path
    filename: str


Runner = Callable[[Actor, dict[str, StoredFile], dict[str, Any]], dict[str, Any]]
R = TypeVar("R", bound=Runner)


def upload_runner(function: R) -> R:
    """Mark ``function`` as a runner the worker may call for a queued upload."""
    function.is_upload_runner = True  # type: ignore[attr-defined]
    return function


def upload_dir() -> Path:
    """``DATA_DIR/uploads``, created on first use."""
    directory = Path(settings.DATA_DIR) / UPLOAD_SUBDIR
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def plain_suffix(name: str) -> str:
    """The file name's own suffix, if it is a plain one (a runner may read the type from it)."""
    suffix = Path(name.lower()).suffix
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) else ""


def store_upload(file: Any, filename: str, suffix: str | None = None) -> StoredFile:
    """Copy an uploaded file (anything with ``chunks()``) under ``DATA_DIR/uploads``."""
    target = (
        upload_dir() / f"{uuid.uuid4().hex}{plain_suffix(filename) if suffix is None else suffix}"
    )
    with target.open("wb") as out:
        for chunk in file.chunks():
            out.write(chunk)
    return StoredFile(target, filename)


def store_document(document: Any, filename: str) -> StoredFile:
    """Write a JSON request body under ``DATA_DIR/uploads``: a JSON-body import is queued
    like a file (the job's arguments stay small, whatever the body held)."""
    target = upload_dir() / f"{uuid.uuid4().hex}.json"
    with target.open("w", encoding="utf-8") as out:
        json.dump(document, out, default=str)
    return StoredFile(target, filename)


def queue_upload_job(
    *,
    actor: Actor,
    kind: str,
    object_type: str,
    files: dict[str, StoredFile],
    runner: Runner,
    options: dict[str, Any],
) -> ImportJob:
    """Record an import job for the stored ``files`` (started by ``actor.user``) and queue
    ``runner`` over them: what every queued upload, UI or API, does once its cheap checks
    have passed."""
    first = next(iter(files.values()))
    job = jobs.create_import_job(
        user=actor.user,
        kind=kind,
        object_type=object_type,
        filename=" + ".join(f.filename for f in files.values()),
        upload=first.path.name,
        dry_run=False,
        total_rows=None,
    )
    start_upload_job(job, actor, files, runner, options)
    return job


def _dotted(thing: Any) -> str:
    return f"{thing.__module__}.{thing.__qualname__}"


def start_upload_job(
    job: ImportJob,
    actor: Actor,
    files: dict[str, StoredFile],
    runner: Runner,
    options: dict[str, Any],
) -> None:
    """Queue ``runner`` over the stored ``files`` for ``job`` (JSON-able ``options``), or run
    it inline when ``settings.IMPORT_JOBS_INLINE`` is true (tests, in their transaction)."""
    if not getattr(runner, "is_upload_runner", False):
        raise ValueError(f"{_dotted(runner)} is not an upload runner")
    if getattr(settings, "IMPORT_JOBS_INLINE", False):
        _execute(job, actor, files, runner, options)
        return
    run_upload.enqueue(
        job_id=job.pk.hex,
        runner=_dotted(runner),
        user_id=getattr(actor.user, "pk", None),
        source=str(actor.source),
        token_id=actor.token_id,
        request_id=actor.request_id,
        files={name: [str(f.path), f.filename] for name, f in files.items()},
        options=options,
    )


@django_tasks.task
def run_upload(
    *,
    job_id: str,
    runner: str,
    user_id: int | None,
    source: str,
    token_id: int | None,
    request_id: str,
    files: dict[str, list[str]],
    options: dict[str, Any],
) -> dict[str, Any]:
    """The worker's side of :func:`start_upload_job`. A re-run after a dead worker finds the
    job ``running`` and starts it over (the runner is all-or-nothing)."""
    job = ImportJob.objects.filter(pk=uuid.UUID(job_id)).first()
    stored = {name: StoredFile(Path(path), filename) for name, (path, filename) in files.items()}
    if job is None or job.done:
        _discard(stored)
        return {"skipped": True}
    function = import_string(runner)
    if not getattr(function, "is_upload_runner", False):
        raise ValueError(f"{runner!r} is not an upload runner")
    user = None
    if user_id is not None:
        user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
        if user is None:
            _discard(stored)
            jobs._fail(job.pk, "the user who started this job is no longer active")
            return {"state": ImportJobState.FAILED}
    actor = Actor(user=user, source=Source(source), token_id=token_id, request_id=request_id)
    ImportJob.objects.filter(pk=job.pk, state=ImportJobState.RUNNING).update(
        state=ImportJobState.QUEUED
    )
    _execute(job, actor, stored, function, options)
    job.refresh_from_db()
    return {"state": job.state}


def error_report(exc: ServiceError) -> dict[str, Any]:
    """The error body the synchronous endpoint answered for a refused upload."""
    return {"error": {"code": exc.code, "message": exc.message, "fields": exc.fields}}


def _execute(
    job: ImportJob,
    actor: Actor,
    files: dict[str, StoredFile],
    runner: Runner,
    options: dict[str, Any],
) -> None:
    tracker = jobs._Tracker(job.pk, job.dry_run, None)
    try:
        tracker.start()  # the heartbeat: a live job is not taken for an interrupted one
        if not jobs._mark_running(job.pk):
            return
        try:
            body = runner(actor.for_job(job.pk.hex, actor.source), files, options)
        except ServiceError as exc:
            _store(job.pk, ImportJobState.FAILED, error_report(exc), exc.message)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            jobs._fail(job.pk, f"the uploaded file cannot be read ({reason}); upload it again")
        else:
            _store(job.pk, ImportJobState.SUCCEEDED, body, "")
    except Exception as exc:
        logger.exception("upload job %s failed", job.pk)
        jobs._fail(job.pk, f"the job failed unexpectedly ({type(exc).__name__})")
    finally:
        tracker.stop()
        jobs._remove_progress(job.pk)
        _discard(files)


def _store(job_id: uuid.UUID, state: str, report: dict[str, Any], error: str) -> None:
    counts = {k: v for k, v in report.items() if isinstance(v, int) and not isinstance(v, bool)}
    ImportJob.objects.filter(pk=job_id).exclude(state=ImportJobState.SUCCEEDED).update(
        state=state,
        report=report,
        counts=counts,
        error=error[:2000],
        finished=timezone.now(),
    )


def _discard(files: dict[str, StoredFile]) -> None:
    for stored in files.values():
        stored.path.unlink(missing_ok=True)


__all__ = [
    "Runner",
    "StoredFile",
    "error_report",
    "plain_suffix",
    "queue_upload_job",
    "start_upload_job",
    "store_document",
    "store_upload",
    "upload_dir",
    "upload_runner",
]
