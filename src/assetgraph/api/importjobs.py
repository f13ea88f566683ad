"""Every API import runs as a worker job (issue 15, ADR 0014 §4): the endpoint checks what is
cheap, stores the upload, queues the job and answers ``202 Accepted`` with the job's id, a
``Location`` header and the job-status URL; ``GET /api/jobs/{id}`` answers its state, progress
and, once done, the report the endpoint used to answer synchronously.

Checked in the request, before anything is queued: the file is there (ninja: a 422 naming the
field), not over ``ASSETGRAPH_IMPORT_MAX_FILE_SIZE`` (413, the upload guard), of a type the
import reads (422 naming the field), and the caller may import at all (403). Everything else
(the rows, the references, the row-level permissions) is the job's and lands in its report.

A job is seen by the user who started it, or by whoever may view jobs (operators,
administrators: ``events.job``); to everyone else it does not exist (404).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django.http import HttpRequest, JsonResponse
from ninja import Router
from ninja.files import UploadedFile
from ninja.params import functions as params

from assetgraph.accounts.permissions import has_perm
from assetgraph.core.actor import Actor, Source
from assetgraph.core.errors import NotFound, ValidationFailed
from assetgraph.core.models import ImportJob
from assetgraph.core.text import forbidden_message
from assetgraph.framework import jobs
from assetgraph.framework.importing import ImportBase
from assetgraph.framework.uploadjobs import (
    Runner,
    queue_upload_job,
    store_document,
    store_upload,
    upload_dir,
)

from .schemas import ImportJobOut

router = Router(tags=["jobs"])
TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".json")
# Who else may read someone's import job: the permission behind the Jobs pages.
JOBS_PERMISSION = ("events.job", "view")
JOB_ID_PATTERN = "^[0-9a-f]{32}$"


def check_form(request: HttpRequest) -> None:
    """Refuse a text part of the form holding a NUL, control character or lone surrogate (the
    rule for all stored text, ``core.text``; the document's ``TEXT_PATTERN`` for form values)
    before the upload is queued: 422 naming the part. A synchronous import found such input
    while it ran; a queued one must not accept it first."""
    for name, values in request.POST.lists():
        message = next((m for m in map(forbidden_message, values) if m), "")
        if message:
            raise ValidationFailed(f"{name}: {message}", fields={name: [message]})


def check_type(file: UploadedFile, field: str, suffixes: tuple[str, ...]) -> str:
    """The upload's suffix, or a 422 naming ``field`` when the import cannot read that type."""
    name = (file.name or "").lower()
    suffix = Path(name).suffix
    if suffix not in suffixes:
        message = f"unsupported file type (use {', '.join(suffixes)})"
        raise ValidationFailed(f"{field}: {message}", fields={field: [message]})
    return suffix


def store(file: UploadedFile, suffix: str) -> Path:
    """Copy the upload under ``DATA_DIR/uploads`` (web nodes and workers share it)."""
    target = upload_dir() / f"{uuid.uuid4().hex}{suffix}"
    with target.open("wb") as out:
        for chunk in file.chunks():
            out.write(chunk)
    return target


def accepted(job: ImportJob) -> JsonResponse:
    """``202 Accepted``: the job, its status URL in the body and in ``Location``."""
    url = f"/api/jobs/{job.pk.hex}"
    response = JsonResponse({"id": job.pk.hex, "state": job.state, "url": url}, status=202)
    response["Location"] = url
    return response


def queue_import(
    request: HttpRequest,
    importer_class: type[ImportBase],
    kind: str,
    file: UploadedFile,
    *,
    dry_run: bool,
) -> JsonResponse:
    """Queue a table import (:class:`ImportBase`) of ``file``; answer 202."""
    check_form(request)
    suffix = check_type(file, "file", TABLE_SUFFIXES)
    actor = Actor.from_request(request, Source.API)
    importer = importer_class(actor)
    importer.check_permissions()  # 403 now rather than a failed job later
    stored = store(file, suffix)
    filename = file.name or f"upload{suffix}"
    job = jobs.create_import_job(
        user=request.user,
        kind=kind,
        object_type=importer.object_type,
        filename=filename,
        upload=stored.name,
        dry_run=dry_run,
        total_rows=None,
    )
    jobs.start_import_job(job, importer, stored, on_done=discard_upload)
    return accepted(job)


def queue_upload(
    request: HttpRequest,
    *,
    kind: str,
    object_type: str,
    files: dict[str, UploadedFile],
    runner: Runner,
    options: dict[str, Any],
) -> JsonResponse:
    """Queue ``runner`` over the uploads ``files`` (form field → file) with JSON-able
    ``options``; the caller has already checked who may send them. Answer 202."""
    check_form(request)
    stored = {field: store_upload(f, f.name or field) for field, f in files.items()}
    job = queue_upload_job(
        actor=Actor.from_request(request, Source.API),
        kind=kind,
        object_type=object_type,
        files=stored,
        runner=runner,
        options=options,
    )
    return accepted(job)


def queue_document(
    request: HttpRequest,
    *,
    kind: str,
    object_type: str,
    document: Any,
    runner: Runner,
    options: dict[str, Any],
) -> JsonResponse:
    """Queue ``runner`` over a JSON request body (already parsed and checked by its schema;
    the worker finds it as the file ``body``); the caller has checked who may send it.
    Answer 202."""
    job = queue_upload_job(
        actor=Actor.from_request(request, Source.API),
        kind=kind,
        object_type=object_type,
        files={"body": store_document(document, "request body.json")},
        runner=runner,
        options=options,
    )
    return accepted(job)


def discard_upload(job: ImportJob, report: Any) -> None:
    """After an API import: its upload is not needed again (the API has no apply step)."""
    (upload_dir() / job.upload).unlink(missing_ok=True)


def visible_job(request: HttpRequest, job_id: str) -> ImportJob:
    """The job if the caller started it or may view jobs; otherwise 404 (hidden = absent)."""
    try:
        pk = uuid.UUID(job_id)
    except ValueError:
        raise NotFound(f"no job {job_id!r}") from None
    job = ImportJob.objects.filter(pk=pk).first()
    user: Any = request.user
    if job is None or (job.user_id != user.pk and not has_perm(user, *JOBS_PERMISSION)):
        raise NotFound(f"no job {job_id!r}")
    return job


def job_body(job: ImportJob) -> dict[str, Any]:
    """What ``GET /api/jobs/{id}`` answers (a dead runner's job is failed first)."""
    job = jobs.refresh(job)
    progress = jobs.job_progress(job)
    return {
        "id": job.pk.hex,
        "kind": job.kind,
        "object_type": job.object_type,
        "filename": job.filename,
        "dry_run": job.dry_run,
        "state": job.state,
        "progress": {
            "phase": progress.phase,
            "processed": progress.processed,
            "total": progress.total,
            "percent": progress.percent,
        },
        "created": job.created,
        "started": job.started,
        "finished": job.finished,
        "error": job.error,
        "report": job.report if job.done else None,
    }


@router.get(
    "/{job_id}",
    response=ImportJobOut,
    summary="An import job: state, progress and, once done, its report",
)
def get_job(
    request: HttpRequest, job_id: str = params.Path(..., pattern=JOB_ID_PATTERN)
) -> dict[str, Any]:
    """Poll until ``state`` is succeeded or failed; ``report`` then holds what the import
    endpoint answered synchronously before imports moved to the worker."""
    return job_body(visible_job(request, job_id))


__all__ = ["accepted", "queue_document", "queue_import", "queue_upload", "router"]
