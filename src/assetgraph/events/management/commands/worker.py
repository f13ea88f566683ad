"""``assetgraph worker``: run the job queue, schedules, webhooks and notifications.

Runs until stopped (SIGTERM or Ctrl-C end it after the current unit of work); ``--once``
drains what is due now and exits (cron-style use, tests).
"""

from __future__ import annotations

import signal
from typing import Any

from django.core.management.base import CommandParser

from assetgraph.core.commandline import JsonCommand
from assetgraph.events.models import WorkerHeartbeat
from assetgraph.events.schedules import sync_schedules
from assetgraph.events.worker import Worker


class Command(JsonCommand):
    help = "Run background jobs, schedules, webhook deliveries and notifications."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Drain what is due, then exit.")
        parser.add_argument("--poll", type=float, default=None, help="Seconds between passes.")
        parser.add_argument("--name", default=None, help="This worker's name (default: host:pid).")

    def handle(self, *args: Any, **options: Any) -> None:
        worker = Worker(options["name"])
        if options["once"]:
            sync_schedules()
            try:
                worker.drain()
            finally:
                WorkerHeartbeat.objects.filter(name=worker.name).delete()
            if self.json_mode:
                self.write_json({"worker": worker.name, "drained": True})
                return
            self.stdout.write(f"worker {worker.name}: queue drained")
            return

        def stop(signum: int, frame: Any) -> None:
            worker.stop()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"worker {worker.name} running; Ctrl-C stops it")
        worker.run_forever(options["poll"])
