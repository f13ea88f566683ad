"""Run API imports to their end in a test: every API import answers 202 with a job (issue 15);
:func:`finish` runs the queued job in-process, as ``assetgraph worker`` would, and fetches its
status from ``GET /api/jobs/{id}``.

The returned :class:`Finished` answers ``status_code`` and ``json()`` as the synchronous
endpoint did before imports moved to the worker (200 with the report, or 422 with the row
errors; a refused upload's error body with its status), so a test states the behaviour it
checks once, and ``job`` holds the whole job body for tests of the job itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.test import Client

from assetgraph.core.errors import (
    Conflict,
    MissingReference,
    NotFound,
    PermissionDenied,
    ServiceError,
    ValidationFailed,
)
from assetgraph.events.worker import Worker

_STATUS = {
    cls.code: cls.status
    for cls in (ValidationFailed, MissingReference, NotFound, PermissionDenied, Conflict)
}


@dataclass
class Finished:
    """An import job that has ended, read through the API."""

    job: dict[str, Any]
    status_code: int

    def json(self) -> Any:
        """The job's report: what the import endpoint used to answer."""
        return self.job["report"]

    @property
    def state(self) -> str:
        return str(self.job["state"])


def accepted(response: Any) -> str:
    """Check a 202 answer (body, ``Location``) and return the job's status URL."""
    assert response.status_code == 202, response.content[:2000]
    body = response.json()
    assert body["state"] in ("queued", "succeeded", "failed")
    assert body["url"] == f"/api/jobs/{body['id']}"
    assert response["Location"] == body["url"]
    return str(body["url"])


def run_jobs() -> None:
    """Run every queued job now, in this process (and this test's transaction)."""
    Worker().drain()


def finish(client: Client, response: Any) -> Finished:
    """Run the job a 202 answer queued and read its outcome as its starter does."""
    url = accepted(response)
    run_jobs()
    status = client.get(url)
    assert status.status_code == 200, status.content
    job = status.json()
    assert job["state"] in ("succeeded", "failed"), job
    return Finished(job, _status_of(job))


def _status_of(job: dict[str, Any]) -> int:
    if job["state"] == "succeeded":
        return 200
    report = job["report"]
    if report is None:
        return 500  # the job crashed or was interrupted: ``error`` says why
    error = report.get("error")
    if isinstance(error, dict):
        return _STATUS.get(str(error.get("code")), ServiceError.status)
    return 422  # an import report with file or row errors


def post_import(client: Client, path: str, data: Any, **extra: Any) -> Finished:
    """``finish(client, client.post(path, data))``: one import, run to its end."""
    return finish(client, client.post(path, data, **extra))


def finish_page(client: Client, response: Any) -> Any:
    """A UI import: the page redirects to its job's page (every import runs on the worker);
    run the job and return the job page, which then shows the report."""
    assert response.status_code == 302, response.content[:2000]
    location = response["Location"]
    assert "/jobs/" in location, location
    run_jobs()
    page = client.get(location)
    assert page.status_code == 200
    return page


def finish_run(client: Client, response: Any) -> Any:
    """A discovery upload: 202 with the run (``Location`` is the run); run the queued run in
    the worker and return ``GET`` of it."""
    assert response.status_code == 202, response.content[:2000]
    url = f"/api/discovery/runs/{response.json()['id']}"
    assert response["Location"] == url
    run_jobs()
    run = client.get(url)
    assert run.status_code == 200 and run.json()["state"] != "running", run.content[:2000]
    return run
