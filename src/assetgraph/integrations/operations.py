"""The integrations' scheduled work, registered with the events app: the directory sync,
run by the worker at ``ASSETGRAPH_LDAP_SYNC_INTERVAL`` when a directory is configured."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from assetgraph.core.actor import Actor, Source
from assetgraph.events.queue import task
from assetgraph.events.schedules import Every, ScheduleSpec, register_schedule

from .services import sync_directory


@task("integrations.directory_sync")
def directory_sync(dry_run: bool = False) -> dict[str, Any]:
    """Sync people from the directory (skipped when no directory is configured)."""
    if not settings.ASSETGRAPH_DIRECTORY.get("uri"):
        return {"skipped": "no directory configured (ASSETGRAPH_LDAP_URI)"}
    run = sync_directory(
        Actor.system("directory sync", Source.SYSTEM), dry_run=dry_run, trigger="schedule"
    )
    return {
        "run": run.pk,
        "created": run.created_count,
        "updated": run.updated_count,
        "deactivated": run.deactivated_count,
        "errors": len(run.errors),
    }


register_schedule(
    ScheduleSpec(
        "Directory sync",
        "integrations.directory_sync",
        Every.INTERVAL,
        interval_seconds=settings.ASSETGRAPH_DIRECTORY["sync_interval_seconds"],
    )
)
