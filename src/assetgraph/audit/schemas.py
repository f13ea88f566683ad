"""API schemas of the audit spine."""

import datetime as dt
from typing import Annotated, Any

from ninja import Field, FilterLookup, FilterSchema, Schema


class AuditEventOut(Schema):
    """One audit event as the API returns it."""

    id: int
    timestamp: dt.datetime
    object_type: str
    object_id: str
    object_repr: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    changed_fields: list[str]
    actor_type: str
    actor_id: int | None
    actor_repr: str
    token_id: int | None
    source: str
    request_id: str
    job_id: str
    chain_seq: int | None
    hash: str


class AuditEventFilter(FilterSchema):
    """Filters for ``GET /api/audit/events``."""

    object_type: str | None = None
    object_id: str | None = None
    actor_id: int | None = None
    action: str | None = None
    source: str | None = None
    request_id: str | None = None
    job_id: str | None = None
    since: Annotated[dt.datetime | None, FilterLookup("timestamp__gte")] = Field(
        None, description="Events at or after this time"
    )
    until: Annotated[dt.datetime | None, FilterLookup("timestamp__lt")] = Field(
        None, description="Events before this time"
    )


class RevisionOut(Schema):
    """The audit revision: the newest event id, for cache keys."""

    revision: int
