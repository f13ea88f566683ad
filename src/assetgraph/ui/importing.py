"""Generic import pages: upload → dry-run report → apply, for any importer (``ImportBase``).

The uploaded file is kept in the data directory between the preview and the apply step, named
by a random id tied to the user's session, and deleted once applied.

No file is checked or applied inside the request, however small (issue 15): the page starts a
job (:mod:`assetgraph.framework.jobs`) that ``assetgraph worker`` runs, and redirects to the
job's page, which polls a status partial with HTMX and shows a progress bar, then the report
(the preview with its *Apply* button, or the row errors). Only the job's owner (or an admin)
sees a job; others get 404.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse

from assetgraph.accounts.http import AuthedRequest
from assetgraph.accounts.permissions import has_perm
from assetgraph.core.actor import Actor, Source
from assetgraph.core.models import ImportJob
from assetgraph.core.tabular import check_xlsx_archive
from assetgraph.framework import jobs
from assetgraph.framework.importing import ImportBase, ImportReport
from assetgraph.ui.uploadjobs import JOBS_PERMISSION

_UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")


class UploadForm(forms.Form):
    """The file to import."""

    file = forms.FileField(help_text="CSV (UTF-8) or XLSX; the first row holds the column names.")


@dataclass(frozen=True)
class ImportKind:
    """One importable thing: URL slug, label, importer class and its documented columns."""

    slug: str
    label: str
    importer: type[ImportBase]

    @property
    def object_type(self) -> str:
        meta = self.importer.model._meta
        return f"{meta.app_label}.{meta.model_name}"

    @property
    def columns(self) -> list[str]:
        imp = self.importer
        return [imp.key_column, *imp.required_columns, *imp.optional_columns]


def _upload_dir() -> Path:
    directory = Path(settings.DATA_DIR) / "uploads"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def estimate_rows(stored: Path) -> int | None:
    """Roughly how many data rows a stored upload holds (the progress bar's total; None when
    unknown).

    CSV: non-blank lines after the header (a quoted cell spanning lines counts twice, which
    only matters near the threshold). XLSX: the sheet's recorded dimension, else the size.
    """
    if stored.suffix == ".xlsx":
        from openpyxl import load_workbook

        try:
            with stored.open("rb") as handle:
                check_xlsx_archive(handle)  # never open a zip bomb, even to count its rows
            workbook = load_workbook(stored, read_only=True)
            rows = workbook.worksheets[0].max_row
            workbook.close()
        except Exception:  # an unreadable file: the import job reports it
            return None
        return None if rows is None else max(0, int(rows) - 1)
    with stored.open("rb") as handle:
        lines = sum(1 for line in handle if line.strip())
    return max(0, lines - 1)


class ImportPages:
    """The upload/preview/apply pages for a set of import kinds, and their job pages."""

    def __init__(self, *kinds: ImportKind) -> None:
        self.kinds = {k.slug: k for k in kinds}

    def urls(self) -> list[URLPattern]:
        return [
            path("import/<slug:kind>/", login_required(self.view), name="import"),
            path(
                "import/<slug:kind>/jobs/<uuid:job_id>/",
                login_required(self.job_view),
                name="import_job",
            ),
            path(
                "import/<slug:kind>/jobs/<uuid:job_id>/status/",
                login_required(self.job_status),
                name="import_job_status",
            ),
        ]

    # -- the upload / preview / apply page ---------------------------------------------------

    def view(self, request: AuthedRequest, kind: str) -> HttpResponse:
        spec = self._spec(request, kind)
        form = UploadForm(request.POST or None, request.FILES or None)
        actor = Actor.from_request(request, Source.UI)
        if request.method == "POST" and request.POST.get("upload_id"):
            stored = self._stored(request, request.POST["upload_id"])
            return self._start_job(
                request, spec, actor, stored, None, estimate_rows(stored), dry_run=False
            )
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            suffix = Path(upload.name).suffix.lower()
            suffix = suffix if suffix in {".xlsx", ".json"} else ".csv"
            upload_id = uuid.uuid4().hex
            target = _upload_dir() / f"{upload_id}{suffix}"
            with target.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            request.session[f"upload:{upload_id}"] = target.name
            return self._start_job(
                request, spec, actor, target, upload.name, estimate_rows(target), dry_run=True
            )
        context = {"spec": spec, "form": form, "report": None, "upload_id": None}
        # A form without its file is refused naming the field (nothing is queued).
        status = 422 if request.method == "POST" else 200
        return render(request, "ui/import.html", context, status=status)

    def _spec(self, request: AuthedRequest, kind: str) -> ImportKind:
        """The import kind, if the user may import it (403 if they can only view, else 404)."""
        spec = self.kinds.get(kind)
        if spec is None:
            raise Http404
        if not (
            has_perm(request.user, spec.object_type, "add")
            or has_perm(request.user, spec.object_type, "change")
        ):
            if has_perm(request.user, spec.object_type, "view"):
                raise PermissionDenied
            raise Http404
        return spec

    def _start_job(
        self,
        request: AuthedRequest,
        spec: ImportKind,
        actor: Actor,
        stored: Path,
        filename: str | None,
        rows: int | None,
        *,
        dry_run: bool,
    ) -> HttpResponse:
        """Queue a background dry run or apply of ``stored`` and redirect to its page."""
        if filename is None:  # an apply: name it as its preview did
            preview = ImportJob.objects.filter(upload=stored.name).only("filename").first()
            filename = preview.filename if preview else stored.name
        # The importer reads the file type from the name: keep the stored file's suffix.
        if not filename.lower().endswith(stored.suffix):
            filename = f"{filename}{stored.suffix}"
        try:
            job = jobs.create_import_job(
                user=request.user,
                kind=spec.slug,
                object_type=spec.object_type,
                filename=filename,
                upload=stored.name,
                dry_run=dry_run,
                total_rows=rows,
            )
        except jobs.JobConflict as conflict:
            messages.info(request, "This import is already running.")
            return HttpResponseRedirect(self._job_url(request, spec, conflict.job))
        jobs.start_import_job(job, spec.importer(actor), stored, on_done=_discard_upload)
        return HttpResponseRedirect(self._job_url(request, spec, job))

    @staticmethod
    def _stored(request: AuthedRequest, upload_id: str) -> Path:
        name = request.session.get(f"upload:{upload_id}") if _UPLOAD_ID.match(upload_id) else None
        stored: Path | None = _upload_dir() / name if name else None
        if stored is None or not stored.exists():
            raise Http404("the upload has expired; upload the file again")
        return stored

    # -- job pages ---------------------------------------------------------------------------

    def job_view(self, request: AuthedRequest, kind: str, job_id: uuid.UUID) -> HttpResponse:
        """The job page: a progress bar that polls while running, then the report."""
        spec, job = self._job(request, kind, job_id)
        return render(request, "ui/import_job.html", self._job_context(request, spec, job))

    def job_status(self, request: AuthedRequest, kind: str, job_id: uuid.UUID) -> HttpResponse:
        """The polled partial (HTMX), or the numbers as JSON for ``Accept: application/json``."""
        spec, job = self._job(request, kind, job_id)
        context = self._job_context(request, spec, job)
        if "application/json" in request.headers.get("Accept", "") and not request.htmx:
            progress: jobs.JobProgress = context["progress"]
            return JsonResponse(
                {
                    "id": str(job.pk),
                    "state": job.state,
                    "done": job.done,
                    "dry_run": job.dry_run,
                    "phase": progress.phase,
                    "processed": progress.processed,
                    "total": progress.total,
                    "percent": progress.percent,
                    "counts": job.counts,
                    "error": job.error,
                }
            )
        return render(request, "ui/partials/import_job_status.html", context)

    def _job(
        self, request: AuthedRequest, kind: str, job_id: uuid.UUID
    ) -> tuple[ImportKind, ImportJob]:
        """The job if this user may see it: its starter or whoever may view jobs (others: 404).

        The same rule as ``GET /api/jobs/{id}`` and the other queued uploads' pages
        (``events.job``: the Jobs pages' permission). Seeing is not acting: applying a
        previewed file needs its upload id in the starter's own session.
        """
        spec = self.kinds.get(kind)
        job = ImportJob.objects.filter(pk=job_id, kind=kind).first()
        if spec is None or job is None:
            raise Http404
        user = request.user
        if job.user_id != user.pk and not has_perm(user, *JOBS_PERMISSION):
            raise Http404
        return spec, jobs.refresh(job)

    def _job_context(
        self, request: AuthedRequest, spec: ImportKind, job: ImportJob
    ) -> dict[str, Any]:
        report = job.report if job.done else None
        upload_id = None
        if job.done and job.dry_run and job.state == "succeeded":
            upload_id = self._live_upload(request, job)
        retry_id = None
        if job.done and not job.dry_run and job.report is None:
            retry_id = self._live_upload(request, job)  # an apply that broke: may be retried
        return {
            "spec": spec,
            "job": job,
            "progress": jobs.job_progress(job),
            "report": report,
            "upload_id": upload_id,
            "retry_upload_id": retry_id,
            "import_url": reverse(f"{_namespace(request)}:import", args=[spec.slug]),
            "status_url": self._job_url(request, spec, job, "import_job_status"),
        }

    @staticmethod
    def _live_upload(request: AuthedRequest, job: ImportJob) -> str | None:
        """The session's upload id of the job's file, if that file is still there."""
        upload_id = Path(job.upload).stem
        if not _UPLOAD_ID.match(upload_id) or request.session.get(f"upload:{upload_id}") is None:
            return None
        return upload_id if (_upload_dir() / job.upload).exists() else None

    @staticmethod
    def _job_url(
        request: AuthedRequest, spec: ImportKind, job: ImportJob, name: str = "import_job"
    ) -> str:
        return reverse(f"{_namespace(request)}:{name}", args=[spec.slug, job.pk])


def _namespace(request: AuthedRequest) -> str:
    """The URL namespace the import pages are mounted under (e.g. ``ui:assets``)."""
    return request.resolver_match.namespace if request.resolver_match else ""


def _summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{counts[k]} {k}" for k in ("create", "update", "unchanged"))


def _discard_upload(job: ImportJob, report: ImportReport | None) -> None:
    """After a job: drop the upload once applied, or when its dry run found errors (the user
    must fix the file anyway); keep it after a clean dry run (for Apply) or a crash (retry)."""
    if report is None or (job.dry_run and report.ok):
        return
    if report.applied or not report.ok:
        (_upload_dir() / job.upload).unlink(missing_ok=True)


__all__ = ["ImportKind", "ImportPages", "UploadForm", "estimate_rows"]
