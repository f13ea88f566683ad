"""API schemas of the operations app: webhooks, event rules, allow-listed networks (generic
resources), and the schedules, jobs, deliveries and notifications of its own endpoints."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Field, FilterLookup, FilterSchema, Schema

from .models import Schedule

# --- webhook ---


class WebhookIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    url: str = Field(min_length=1, max_length=500)
    headers: dict[str, str] = Field(default_factory=dict)
    body_template: str = ""
    secret: str = Field("", max_length=200, description="Signs deliveries; never shown again.")
    enabled: bool = True
    timeout_seconds: int = Field(10, ge=1, le=60)


class WebhookPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    url: str | None = Field(None, min_length=1, max_length=500)
    headers: dict[str, str] | None = None
    body_template: str | None = None
    secret: str | None = Field(None, max_length=200)
    enabled: bool | None = None
    timeout_seconds: int | None = Field(None, ge=1, le=60)


class WebhookOut(Schema):
    id: int
    name: str
    url: str
    headers: dict[str, str]
    body_template: str
    has_secret: bool
    enabled: bool
    owner_id: int
    timeout_seconds: int

    @staticmethod
    def resolve_has_secret(obj: Any) -> bool:
        return bool(obj.secret)


class WebhookFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(["name__icontains", "url__icontains"])] = None
    enabled: bool | None = None


# --- event rule ---


class EventRuleIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    object_type: str = Field(min_length=1, max_length=100, examples=["assets.asset"])
    actions: list[str] = Field(default_factory=list, examples=[["checkout"]])
    conditions: dict[str, Any] = Field(default_factory=dict, examples=[{"state": "in_use"}])
    webhook_id: int
    enabled: bool = True


class EventRulePatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    object_type: str | None = Field(None, min_length=1, max_length=100)
    actions: list[str] | None = None
    conditions: dict[str, Any] | None = None
    webhook_id: int | None = None
    enabled: bool | None = None


class EventRuleOut(Schema):
    id: int
    name: str
    object_type: str
    actions: list[str]
    conditions: dict[str, Any]
    webhook_id: int
    enabled: bool


class EventRuleFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(["name__icontains"])] = None
    object_type: str | None = None
    webhook_id: int | None = None


# --- allowed network ---


class AllowedNetworkIn(Schema):
    cidr: str = Field(min_length=1, max_length=64, examples=["10.1.2.0/24"])
    note: str = Field("", max_length=200)


class AllowedNetworkPatch(Schema):
    cidr: str | None = Field(None, min_length=1, max_length=64)
    note: str | None = Field(None, max_length=200)


class AllowedNetworkOut(Schema):
    id: int
    cidr: str
    note: str


class AllowedNetworkFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(["cidr__icontains", "note__icontains"])] = None


# --- own endpoints ---


class DeliveryOut(Schema):
    id: int
    webhook_id: int
    rule_id: int | None
    event_id: int
    state: str
    attempts: int
    next_attempt: dt.datetime
    status_code: int | None
    response_ms: int | None
    error: str
    created: dt.datetime
    delivered: dt.datetime | None


class ScheduleOut(Schema):
    id: int
    name: str
    task: str
    arguments: dict[str, Any]
    every: str
    interval_seconds: int | None
    at_time: dt.time | None
    weekday: int | None
    day_of_month: int | None
    enabled: bool
    last_run: dt.datetime | None
    next_run: dt.datetime | None


class SchedulePatch(Schema):
    """Absent fields stay as they are; ``null`` is refused where the schedule needs a value."""

    every: Schedule.Every = Field(None)  # type: ignore[assignment]
    interval_seconds: int | None = Field(None, ge=1)
    at_time: dt.time | None = None
    weekday: int | None = Field(None, ge=0, le=6)
    day_of_month: int | None = Field(None, ge=1, le=31)
    enabled: bool = Field(None)  # type: ignore[assignment]


class JobOut(Schema):
    id: int
    task: str
    arguments: dict[str, Any]
    state: str
    attempts: int
    max_attempts: int
    run_after: dt.datetime
    worker: str
    schedule_id: int | None
    result: Any = None
    error: str
    created: dt.datetime
    started: dt.datetime | None
    finished: dt.datetime | None


class NotificationOut(Schema):
    id: int
    kind: str
    subject: str
    body: str
    url: str
    created: dt.datetime
    read: dt.datetime | None


class MarkReadIn(Schema):
    ids: list[int] | None = Field(None, description="These notifications; omitted: all.")


class PreferencesIn(Schema):
    in_app: bool = True
    email: bool = True
    digest: bool = False


class PreferencesOut(PreferencesIn):
    pass


class ScheduleFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(["name__icontains", "task__icontains"])] = None
    enabled: bool | None = None


class JobFilter(FilterSchema):
    state: str | None = None
    task: str | None = None
    schedule_id: int | None = None


class DeliveryFilter(FilterSchema):
    state: str | None = None
    webhook_id: int | None = None
    event_id: int | None = None
