"""The operations endpoints that are not generic (``/api/events/…``): schedules, jobs and
webhook deliveries (administrators), and each user's own notifications and preferences.

Webhooks, event rules and allow-listed networks get the standard endpoints from
resources.py. Everything here reads through ``restrict()``; a hidden object is a 404.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from assetgraph.accounts.permissions import get_object_or_404, has_perm, restrict
from assetgraph.api.pagination import Page, page_request, paginate
from assetgraph.core.actor import api_actor
from assetgraph.core.errors import Conflict, PermissionDenied

from . import schemas, services
from .models import Delivery, Job, JobState, Notification, Schedule
from .notifications import mark_read, preferences
from .queue import enqueue

router = Router(tags=["operations"])
# Newest first, keyset-paged like every other list (``?limit=&cursor=``; ``next`` is null on
# the last page): nothing is cut silently.
NEWEST = {"id": "pk"}


def _require(request: HttpRequest, object_type: str, action: str = "view") -> None:
    if not has_perm(request.user, object_type, action):
        raise PermissionDenied(f"you may not {action} {object_type}")


@router.get("/schedules", response=list[schemas.ScheduleOut])
def list_schedules(request: HttpRequest, filters: Query[schemas.ScheduleFilter]) -> Any:
    """Schedules with their last and next run."""
    _require(request, "events.schedule")
    return list(filters.filter(restrict(Schedule.objects.all(), request.user)))


@router.patch("/schedules/{int:schedule_id}", response=schemas.ScheduleOut)
def update_schedule(request: HttpRequest, schedule_id: int, payload: schemas.SchedulePatch) -> Any:
    """Change when (or whether) a schedule runs."""
    schedule = get_object_or_404(Schedule.objects.all(), request.user, "change", pk=schedule_id)
    return services.update_schedule(
        api_actor(request), schedule, payload.model_dump(exclude_unset=True)
    )


@router.get("/jobs", response=Page[schemas.JobOut])
def list_jobs(request: HttpRequest, filters: Query[schemas.JobFilter]) -> Any:
    """Jobs, newest first, one page at a time, filtered by state, task or schedule."""
    _require(request, "events.job")
    jobs = filters.filter(restrict(Job.objects.all(), request.user))
    rows, next_cursor = paginate(jobs, page_request(request.GET, NEWEST, "-id"), NEWEST)
    return {"results": rows, "next": next_cursor}


@router.get("/jobs/{int:job_id}", response=schemas.JobOut)
def get_job(request: HttpRequest, job_id: int) -> Any:
    """One job with its result or failure reason."""
    return get_object_or_404(Job.objects.all(), request.user, "view", pk=job_id)


@router.post("/jobs/{int:job_id}/retry", response={201: schemas.JobOut})
def retry_job(request: HttpRequest, job_id: int) -> tuple[int, Any]:
    """Queue a failed job again (as a new job)."""
    job = get_object_or_404(Job.objects.all(), request.user, "change", pk=job_id)
    if job.state != JobState.FAILED:
        raise Conflict(f"job {job.pk} is {job.state}; only failed jobs can be retried")
    return 201, enqueue(job.task, job.arguments, max_attempts=job.max_attempts, user=request.user)


@router.get("/deliveries", response=Page[schemas.DeliveryOut])
def list_deliveries(request: HttpRequest, filters: Query[schemas.DeliveryFilter]) -> Any:
    """The delivery log, newest first, one page at a time: state, attempts, status and
    response time."""
    _require(request, "events.delivery")
    deliveries = filters.filter(restrict(Delivery.objects.all(), request.user))
    rows, next_cursor = paginate(deliveries, page_request(request.GET, NEWEST, "-id"), NEWEST)
    return {"results": rows, "next": next_cursor}


@router.get("/notifications", response=Page[schemas.NotificationOut])
def list_notifications(request: HttpRequest, unread: bool = False) -> Any:
    """The caller's own notifications, newest first, one page at a time."""
    owner: Any = request.user
    mine = Notification.objects.filter(user=owner)
    if unread:
        mine = mine.filter(read__isnull=True)
    rows, next_cursor = paginate(mine, page_request(request.GET, NEWEST, "-id"), NEWEST)
    return {"results": rows, "next": next_cursor}


@router.post("/notifications/read")
def read_notifications(request: HttpRequest, payload: schemas.MarkReadIn) -> dict[str, int]:
    """Mark the caller's notifications read (these, or all)."""
    return {"marked": mark_read(request.user, payload.ids)}


@router.get(
    "/notifications/preferences",
    response=schemas.PreferencesOut,
)
def get_preferences(request: HttpRequest) -> Any:
    """The caller's channels."""
    return preferences(request.user)


@router.put(
    "/notifications/preferences",
    response=schemas.PreferencesOut,
)
def set_preferences(request: HttpRequest, payload: schemas.PreferencesIn) -> Any:
    """Choose channels: in the app, e-mail, and whether e-mails come as one daily digest."""
    return services.set_preferences(api_actor(request), request.user, **payload.model_dump())
