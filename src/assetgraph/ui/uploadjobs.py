"""Pages of the queued uploads that are not table imports (an advisory feed, a receipt's CSV
of serial numbers): the UI side of :mod:`assetgraph.framework.uploadjobs`.

The upload page checks what is cheap (who may send it, that the file is there, its size and
type), stores the file, queues the job and redirects to the job's page, which polls a status
partial with HTMX (as the table imports' job page does) and then shows the outcome: the
runner's summary, or its error with every row it names. Nothing was written by a failed job.

A job is seen by the user who started it and by whoever may view jobs (``events.job``, as
``GET /api/jobs/{id}``); to everyone else it does not exist (404).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse

from assetgraph.accounts.http import AuthedRequest
from assetgraph.accounts.permissions import has_perm
from assetgraph.core.actor import Actor, Source
from assetgraph.core.models import ImportJob
from assetgraph.framework import jobs
from assetgraph.framework.uploadjobs import Runner, StoredFile, queue_upload_job

# Who else may read someone's job: the permission behind the Jobs pages (as the API's).
JOBS_PERMISSION = ("events.job", "view")


@dataclass(frozen=True)
class UploadJobKind:
    """One kind of queued upload: its job ``kind``, a label for the page, where "back" goes
    (a URL name in the app's namespace; ``done_url`` may name a better place from a
    succeeded job's report) and the sentence a succeeded job's report becomes."""

    kind: str
    label: str
    back: str
    summary: Callable[[dict[str, Any]], str]
    back_label: str = "Back"
    done_url: Callable[[dict[str, Any]], str | None] | None = None


def _namespace(request: HttpRequest) -> str:
    return request.resolver_match.namespace if request.resolver_match else ""


class UploadJobPages:
    """The job page (and its polled status partial) of an app's queued uploads."""

    def __init__(self, *kinds: UploadJobKind) -> None:
        self.kinds = {k.kind: k for k in kinds}

    def urls(self) -> list[URLPattern]:
        return [
            path("jobs/<uuid:job_id>/", login_required(self.job_view), name="upload_job"),
            path(
                "jobs/<uuid:job_id>/status/",
                login_required(self.job_status),
                name="upload_job_status",
            ),
        ]

    def start(
        self,
        request: AuthedRequest,
        kind: str,
        object_type: str,
        files: dict[str, StoredFile],
        runner: Runner,
        options: dict[str, Any],
    ) -> HttpResponse:
        """Queue ``runner`` over the stored ``files`` as the signed-in user and redirect to
        the job's page."""
        if kind not in self.kinds:
            raise ValueError(f"{kind!r} is not a kind of these pages")
        job = queue_upload_job(
            actor=Actor.from_request(request, Source.UI),
            kind=kind,
            object_type=object_type,
            files=files,
            runner=runner,
            options=options,
        )
        return HttpResponseRedirect(self._url(request, job, "upload_job"))

    def job_view(self, request: AuthedRequest, job_id: uuid.UUID) -> HttpResponse:
        """The job page: a spinner that polls while the job waits or runs, then its outcome."""
        return render(request, "ui/upload_job.html", self._context(request, job_id))

    def job_status(self, request: AuthedRequest, job_id: uuid.UUID) -> HttpResponse:
        """The polled partial (HTMX)."""
        return render(request, "ui/partials/upload_job_status.html", self._context(request, job_id))

    def _context(self, request: AuthedRequest, job_id: uuid.UUID) -> dict[str, Any]:
        job = ImportJob.objects.filter(pk=job_id, kind__in=list(self.kinds)).first()
        user = request.user
        if job is None or (job.user_id != user.pk and not has_perm(user, *JOBS_PERMISSION)):
            raise Http404("no such job")
        job = jobs.refresh(job)
        spec = self.kinds[job.kind]
        report = job.report if job.done and isinstance(job.report, dict) else None
        error = report.get("error") if report else None
        summary = spec.summary(report) if report and job.state == "succeeded" else ""
        back = reverse(f"{_namespace(request)}:{spec.back}")
        if report and job.state == "succeeded" and spec.done_url is not None:
            back = spec.done_url(report) or back
        return {
            "spec": spec,
            "job": job,
            "summary": summary,
            "error": error if isinstance(error, dict) else None,
            "back_url": back,
            "status_url": self._url(request, job, "upload_job_status"),
        }

    @staticmethod
    def _url(request: HttpRequest, job: ImportJob, name: str) -> str:
        return reverse(f"{_namespace(request)}:{name}", args=[job.pk])


__all__ = ["UploadJobKind", "UploadJobPages"]
