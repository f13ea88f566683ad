"""The built-in tasks and schedules of the events app.

``events.run_command`` lets a schedule run any management command by name (``audit seal``),
so an app can schedule work without events importing it; ``events.cleanup`` deletes finished
jobs and import jobs, deliveries, read notifications, and upload and progress files older than
``ASSETGRAPH_OPERATIONS_RETENTION_DAYS``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from assetgraph.core.models import ImportJob, ImportJobState

from .models import Delivery, DeliveryState, Job, JobState, Notification
from .queue import task
from .schedules import Every, ScheduleSpec, register_schedule


@task("events.run_command")
def run_command(command: str, args: list[str] | None = None) -> dict[str, Any]:
    """Run a management command; its output becomes the job's result."""
    out = io.StringIO()
    call_command(command, *(args or []), stdout=out, stderr=out)
    return {"output": out.getvalue()[-4000:]}


@task("events.cleanup")
def cleanup() -> dict[str, Any]:
    """Delete old finished jobs and import jobs (with their reports), deliveries, read
    notifications and upload files."""
    cutoff = timezone.now() - dt.timedelta(days=settings.ASSETGRAPH_OPERATIONS_RETENTION_DAYS)
    jobs, _ = Job.objects.filter(
        state__in=[JobState.SUCCEEDED, JobState.FAILED], finished__lt=cutoff
    ).delete()
    deliveries, _ = Delivery.objects.filter(
        state__in=[DeliveryState.SUCCEEDED, DeliveryState.FAILED], created__lt=cutoff
    ).delete()
    notes, _ = Notification.objects.filter(read__lt=cutoff, digest_pending=False).delete()
    imports, _ = ImportJob.objects.filter(
        state__in=[ImportJobState.SUCCEEDED, ImportJobState.FAILED], finished__lt=cutoff
    ).delete()
    files = _remove_old_files(cutoff)
    return {
        "jobs": jobs,
        "import_jobs": imports,
        "deliveries": deliveries,
        "notifications": notes,
        "files": files,
    }


def _remove_old_files(cutoff: dt.datetime) -> int:
    """Delete uploads never applied and progress files left by a dead import, older than the
    cutoff (an upload waiting for *Apply* is hours old, not a month)."""
    removed = 0
    oldest = cutoff.timestamp()
    for folder in ("uploads", "jobs"):
        directory = Path(settings.DATA_DIR) / folder
        if not directory.is_dir():
            continue
        for path in directory.iterdir():
            with contextlib.suppress(OSError):
                if path.is_file() and path.stat().st_mtime < oldest:
                    path.unlink()
                    removed += 1
    return removed


register_schedule(
    ScheduleSpec("Daily digest", "events.daily_digest", Every.DAY, at_time=dt.time(7, 0))
)
register_schedule(
    ScheduleSpec("Clean up old jobs and deliveries", "events.cleanup", at_time=dt.time(3, 30))
)
register_schedule(
    ScheduleSpec(
        "Seal the audit chain",
        "events.run_command",
        Every.INTERVAL,
        interval_seconds=300,
        arguments={"command": "audit", "args": ["seal"]},
    )
)


@task("events.backup")
def nightly_backup() -> dict[str, Any]:
    """Take a backup and keep the newest ``ASSETGRAPH_BACKUP_KEEP``."""
    from .backup import create_backup, prune_backups

    archive = create_backup()
    removed = prune_backups(settings.ASSETGRAPH_BACKUP_KEEP)
    return {"archive": str(archive), "removed": [p.name for p in removed]}


register_schedule(ScheduleSpec("Nightly backup", "events.backup", at_time=dt.time(2, 0)))
