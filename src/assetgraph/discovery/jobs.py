"""Large discovery runs in the background, with progress (the import jobs' machinery).

A run of a file above :data:`BACKGROUND_BYTES` starts in a thread once its row is committed;
progress goes to the same per-job progress file as imports (``DATA_DIR/jobs``) and the run
page shows it. Tests set ``IMPORT_JOBS_INLINE`` to run inline.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db import connections, transaction

from assetgraph.core.actor import Actor
from assetgraph.core.errors import ServiceError
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
) -> DiscoveryRun:
    """Run now (small files, tests) or in a background thread (large files)."""
    size = len(data) if isinstance(data, bytes) else 0
    options = {
        "connector": connector,
        "scope": scope,
        "full_scan": full_scan,
        "dry_run": dry_run,
        "filename": filename,
    }
    if size < BACKGROUND_BYTES or getattr(settings, "IMPORT_JOBS_INLINE", False):
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

    def work() -> None:
        def progress(done: int, total: int | None) -> None:
            write_progress(run.job_id, JobProgress("checking", done, total, time.time()))

        try:
            services.run_discovery(actor, source, data, run=run, progress=progress, **options)  # type: ignore[arg-type]
        except ServiceError as exc:
            DiscoveryRun.objects.filter(pk=run.pk).update(state="failed", messages=[exc.message])
        except Exception:
            logger.exception("discovery run %s failed", run.pk)
            DiscoveryRun.objects.filter(pk=run.pk).update(
                state="failed", messages=["the run failed unexpectedly; nothing was written"]
            )
        finally:
            connections.close_all()

    thread = threading.Thread(target=work, name=f"discovery-run-{run.pk}", daemon=True)
    transaction.on_commit(thread.start)
    return run
