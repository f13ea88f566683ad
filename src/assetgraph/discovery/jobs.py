"""Discovery runs in a worker, with progress (the import jobs' machinery).

Every upload (API and pages, issue 15; other callers above :data:`BACKGROUND_BYTES`) is
stored under ``DATA_DIR/uploads`` and queued as the Django task ``discovery.run_upload``
with its run row, so ``assetgraph worker`` runs it (never a thread of the web process);
progress goes to the same per-job progress file as imports (``DATA_DIR/jobs``) and the run
page shows it. Tests set ``IMPORT_JOBS_INLINE`` to run inline.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model

from assetgraph.core.actor import Actor, Source
from assetgraph.core.errors import ServiceError
from assetgraph.events.queue import task
from assetgraph.framework.jobs import JobProgress, read_progress, write_progress

from . import services
from .models import DataSource, DiscoveryRun

logger = logging.getLogger(__name__)
BACKGROUND_BYTES = 2 * 1024 * 1024


def progress_of(run: DiscoveryRun) -> JobProgress | None:
    """A running run's last reported progress."""
    return read_progress(run.job_id) if run.state == "running" else None


def start_run(
    actor: Actor,
    source: DataSource,
    data: bytes | Path,
    *,
    connector: str | None = None,
    scope: str = "",
    full_scan: bool = False,
    dry_run: bool = False,
    filename: str = "",
    background: bool = False,
) -> DiscoveryRun:
    """Queue the run for a worker (``background``: every API upload; else large files), or
    run it now (a small file from a page; tests with ``IMPORT_JOBS_INLINE``)."""
    size = len(data) if isinstance(data, bytes) else 0
    options = {
        "connector": connector,
        "scope": scope,
        "full_scan": full_scan,
        "dry_run": dry_run,
        "filename": filename,
    }
    inline = not background and size < BACKGROUND_BYTES
    if inline or getattr(settings, "IMPORT_JOBS_INLINE", False):
        return services.run_discovery(actor, source, data, **options)  # type: ignore[arg-type]
    services.check_may_run(actor)
    run = DiscoveryRun.objects.create(
        source=source,
        connector=connector or source.connector,
        scope=scope or source.default_scope,
        full_scan=full_scan,
        dry_run=dry_run,
        filename=filename[:255],
        created_by=actor.user,
    )

    upload = Path(settings.DATA_DIR) / "uploads" / f"discovery-{run.job_id.hex}.bin"
    upload.parent.mkdir(parents=True, exist_ok=True)
    upload.write_bytes(data)  # type: ignore[arg-type]
    run_upload.enqueue(
        run_id=run.pk,
        user_id=getattr(actor.user, "pk", None),
        source=str(actor.source),
        token_id=actor.token_id,
        request_id=actor.request_id,
        upload=str(upload),
        options=options,
    )
    return run


@task("discovery.run_upload")
def run_upload(
    *,
    run_id: int,
    user_id: int | None,
    source: str,
    token_id: int | None,
    request_id: str,
    upload: str,
    options: dict[str, Any],
) -> dict[str, Any]:
    """The worker's side of :func:`start_run`: run the stored file as the user who uploaded
    it; the run is all-or-nothing, so a re-run after a dead worker starts over."""
    run = DiscoveryRun.objects.filter(pk=run_id, state="running").select_related("source").first()
    path = Path(upload)
    if run is None:
        path.unlink(missing_ok=True)
        return {"skipped": True}
    user = None
    if user_id is not None:
        user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    actor = Actor(user=user, source=Source(source), token_id=token_id, request_id=request_id)

    def progress(done: int, total: int | None) -> None:
        write_progress(run.job_id, JobProgress("checking", done, total, time.time()))

    try:
        if user_id is not None and user is None:
            raise ServiceError("the user who started this run is no longer active")
        services.run_discovery(
            actor, run.source, path.read_bytes(), run=run, progress=progress, **options
        )
    except ServiceError as exc:
        DiscoveryRun.objects.filter(pk=run.pk).update(state="failed", messages=[exc.message])
    except OSError:
        DiscoveryRun.objects.filter(pk=run.pk).update(
            state="failed", messages=["the uploaded file cannot be read; upload it again"]
        )
    except Exception:
        logger.exception("discovery run %s failed", run.pk)
        DiscoveryRun.objects.filter(pk=run.pk).update(
            state="failed", messages=["the run failed unexpectedly; nothing was written"]
        )
    path.unlink(missing_ok=True)
    run.refresh_from_db()
    return {"state": run.state, "items": run.items}
