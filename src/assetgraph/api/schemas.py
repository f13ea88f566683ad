"""Schemas shared by every app's API."""

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

from django.db.models import Model
from ninja import Schema
from pydantic import Field

from assetgraph.accounts.permissions import can_view

HIDDEN = "(hidden)"


class Ref(Schema):
    """A reference to another object: its id and how it reads.

    Hidden means absent: a reference to an object the caller may not view keeps its id (a fact
    of the object being read) but never its name; ``display`` reads ``(hidden)``.
    """

    id: int
    display: str

    @staticmethod
    def resolve_display(obj: Any, context: dict[str, Any] | None = None) -> str:
        # Some endpoints build plain dicts ({"id", "display"} or {"id", "name"}): their display
        # was decided (and checked) where they were built; str() of one would leak its repr.
        if isinstance(obj, Mapping):
            return str(obj.get("display") or obj.get("name") or obj.get("id") or "")
        request = (context or {}).get("request")
        if request is not None and isinstance(obj, Model) and not can_view(request.user, obj):
            return HIDDEN
        return str(obj)


class ImportCountsOut(Schema):
    """How many rows of an import each action takes."""

    create: int
    update: int
    unchanged: int
    error: int


class ImportRowOut(Schema):
    """One row of an import report: what it does (or would do) and why."""

    row: int
    key: str
    action: Literal["create", "update", "unchanged", "error"]
    changes: dict[str, list[Any]] = Field(
        description="field → [old value, new value]", examples=[{"name": ["Lon", "London"]}]
    )
    errors: list[str]


class ImportReportOut(Schema):
    """What a file import did or would do (``ImportReport.as_dict()``): the same body for a
    clean preview or write (200) and for a file with row errors (422, nothing written), so a
    client reads both with one type."""

    object_type: str
    dry_run: bool
    applied: bool
    ok: bool
    job_id: str
    counts: ImportCountsOut
    file_errors: list[str]
    rows: list[ImportRowOut]


class JobAcceptedOut(Schema):
    """The answer of an import endpoint (202 Accepted): the job that will run it. Poll
    ``url`` (also the response's ``Location`` header) until ``state`` is succeeded or failed."""

    id: str = Field(description="the job's id (32 hex digits)", pattern="^[0-9a-f]{32}$")
    state: Literal["queued", "running", "succeeded", "failed"]
    url: str = Field(description="the job's status endpoint, GET /api/jobs/{id}")


class JobProgressOut(Schema):
    """How far a job has got (live while it runs; the final counts once it is done)."""

    phase: str = Field(description="reading, checking, writing or done")
    processed: int
    total: int | None
    percent: int


class ImportJobOut(Schema):
    """A background import (or other upload) and, once it ended, its report.

    ``report`` is what the synchronous endpoint used to answer: for a table import the import
    report (counts, file errors, row-level errors; rows capped at 1,000, error rows first,
    ``rows_omitted`` says how many are not listed), for other uploads the endpoint's body, or
    its error body (``{"error": {code, message, fields}}``) when the file was refused. A failed
    job wrote nothing."""

    id: str = Field(pattern="^[0-9a-f]{32}$")
    kind: str
    object_type: str
    filename: str
    dry_run: bool
    state: Literal["queued", "running", "succeeded", "failed"]
    progress: JobProgressOut
    created: dt.datetime
    started: dt.datetime | None
    finished: dt.datetime | None
    error: str = Field(description="why the job failed (empty while it has not)")
    report: dict[str, Any] | None
