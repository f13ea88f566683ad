"""The worker: one loop that heartbeats, recovers the jobs of dead workers, queues due
schedules, dispatches new audit events to webhooks and hooks, sends due deliveries and runs
queued jobs. ``assetgraph worker`` runs it; ``assetgraph serve`` starts one beside the web
server. Any number may run, on any hosts sharing the database (and, with the Redis task
backend, the broker: an idle worker blocks on it and starts an announced job at once).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid

from django.conf import settings
from django.db import close_old_connections, connections
from django.utils import timezone
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends

from .backends import DatabaseBackend
from .delivery import dispatch_new_events, send_due_deliveries
from .models import Job, WorkerHeartbeat
from .queue import claim, claim_next, recover_orphaned_jobs, run_job
from .schedules import run_due_schedules, sync_schedules

logger = logging.getLogger(__name__)


class Worker:
    """One worker process (or thread): a name, a heartbeat and the work loop."""

    def __init__(self, name: str | None = None) -> None:
        host = socket.gethostname()
        self.name = name or f"{host}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.hostname = host
        self.stopping = threading.Event()
        self.started = timezone.now()
        self.announced: list[int] = []  # job ids the broker woke us for, oldest first

    def beat(self) -> None:
        """Record that this worker is alive."""
        now = timezone.now()
        updated = WorkerHeartbeat.objects.filter(name=self.name).update(seen=now)
        if not updated:
            WorkerHeartbeat.objects.update_or_create(
                name=self.name,
                defaults={
                    "hostname": self.hostname[:200],
                    "pid": os.getpid(),
                    "started": self.started,
                    "seen": now,
                },
            )

    def run_once(self, max_jobs: int = 100) -> int:
        """One pass over everything due; returns how many units of work it did."""
        self.beat()
        done = recover_orphaned_jobs()
        done += len(run_due_schedules())
        done += dispatch_new_events()
        done += send_due_deliveries()
        for _ in range(max_jobs):
            if self.stopping.is_set():
                break
            job = self._next_job()
            if job is None:
                break
            run_job(job)
            done += 1
        return done

    def _next_job(self) -> Job | None:
        """An announced job first (in the broker's order), else the oldest due one in the
        table (a retry, a recovered job, or one whose announcement was lost)."""
        while self.announced:
            job = claim(self.name, self.announced.pop(0))
            if job is not None:
                return job
        return claim_next(self.name)

    def idle(self, timeout: float) -> None:
        """Wait for work: block on the task backend's broker, or just sleep."""
        backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
        if isinstance(backend, DatabaseBackend):
            self.announced.extend(backend.wait(timeout, self.stopping))
        else:
            self.stopping.wait(timeout)

    def drain(self, rounds: int = 50) -> None:
        """Run passes until nothing is left to do now (or ``rounds`` passes)."""
        for _ in range(rounds):
            if not self.run_once():
                return

    def _heartbeat_loop(self) -> None:
        interval = float(settings.ASSETGRAPH_WORKER_HEARTBEAT_SECONDS)
        try:
            while not self.stopping.wait(interval):
                try:
                    self.beat()
                except Exception:
                    logger.warning("worker %s: heartbeat failed", self.name, exc_info=True)
        finally:
            connections.close_all()

    def run_forever(self, poll: float | None = None) -> None:
        """Loop until :meth:`stop`; a separate thread keeps the heartbeat fresh during long
        jobs."""
        poll = float(settings.ASSETGRAPH_WORKER_POLL_SECONDS if poll is None else poll)
        sync_schedules()
        self.beat()
        heart = threading.Thread(target=self._heartbeat_loop, name="worker-heartbeat", daemon=True)
        heart.start()
        logger.info("worker %s started", self.name)
        try:
            while not self.stopping.is_set():
                close_old_connections()
                try:
                    busy = self.run_once()
                except Exception:
                    logger.exception("worker %s: pass failed", self.name)
                    busy = 0
                if not busy:
                    self.idle(poll)
        finally:
            self.stopping.set()
            WorkerHeartbeat.objects.filter(name=self.name).delete()
            logger.info("worker %s stopped", self.name)

    def stop(self) -> None:
        """Ask the loop to end after the current unit of work."""
        self.stopping.set()
