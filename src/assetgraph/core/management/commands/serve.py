"""``assetgraph serve``: apply pending migrations, then run the production server (gunicorn),
with one background worker (``assetgraph worker``) beside it unless ``--no-worker``.

The worker is a child process, started by name (core does not import the events app), and
started again if it exits; it stops when the server stops.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import shutil
import subprocess
import sys
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Apply pending migrations, then serve assetgraph with gunicorn."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=min(4, multiprocessing.cpu_count()))
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument(
            "--no-migrate", action="store_true", help="Do not apply pending migrations first."
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Do not start a background worker (run `assetgraph worker` elsewhere).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        # Metrics of every web process in one scrape (prometheus_client's multiprocess mode);
        # set before the application (and so its metrics) is loaded.
        metrics_dir = settings.DATA_DIR / "metrics"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True, exist_ok=True)
        os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(metrics_dir))
        from django.core.servers.basehttp import get_internal_wsgi_application
        from gunicorn.app.base import BaseApplication

        # settings.WSGI_APPLICATION, by name: core does not import the mount points.
        application = get_internal_wsgi_application()
        from assetgraph.core.serving import hide_server_header

        hide_server_header()

        bind = f"{options['host']}:{options['port']}"

        class Server(BaseApplication):  # type: ignore[misc]  # gunicorn ships no type hints
            def load_config(self) -> None:
                self.cfg.set("bind", bind)
                self.cfg.set("workers", options["workers"])
                self.cfg.set("threads", options["threads"])
                self.cfg.set("worker_class", "gthread")
                self.cfg.set("accesslog", "-")
                self.cfg.set("timeout", 120)
                self.cfg.set("graceful_timeout", 10)
                # The longest request line gunicorn allows short of "unlimited": room for
                # the API's query values (up to 2,048 characters each).
                self.cfg.set("limit_request_line", 8190)
                self.cfg.set("post_worker_init", prepare_worker)

            def load(self) -> Any:
                return application

        self.stdout.write(
            f"assetgraph serving at http://{bind}/ (data in {settings.DATA_DIR}); Ctrl-C stops it"
        )
        if not options["no_worker"]:
            start_worker_beside()
        Server().run()


def prepare_worker(worker: Any) -> None:
    """gunicorn ``post_worker_init``: run ``settings.WORKER_WARMUPS`` before the worker
    accepts requests, so its first user does not pay for them (the impact app maps the
    shared graph and warms its kernels there). A failing warm-up is logged, never fatal:
    the request path still does the same work lazily."""
    for path in getattr(settings, "WORKER_WARMUPS", ()):
        try:
            outcome = import_string(path)()
        except Exception:  # a warm-up must never stop a worker from serving
            logger.exception("worker warm-up %s failed", path)
        else:
            logger.info("worker warm-up %s: %s", path, outcome)


def start_worker_beside() -> None:
    """Run ``assetgraph worker`` as a child process, restarted if it exits, stopped at exit."""
    command = [sys.executable, "-m", "assetgraph.cli", "worker"]
    state: dict[str, subprocess.Popen[bytes] | None] = {"process": None}
    stopping = threading.Event()

    def supervise() -> None:
        # Let the web server boot first: both loading Django at once slows the start of each.
        if stopping.wait(5.0):
            return
        while not stopping.is_set():
            process = subprocess.Popen(command)  # noqa: S603 - our own command
            state["process"] = process
            while process.poll() is None and not stopping.is_set():
                time.sleep(1.0)
            if not stopping.is_set():
                time.sleep(2.0)  # do not spin if it keeps failing

    def stop() -> None:
        stopping.set()
        process = state["process"]
        if process is not None and process.poll() is None:
            # SIGTERM: the worker ends after its current unit of work on its own; the server
            # does not wait for it (a job may run for minutes, and a killed one is recovered).
            process.terminate()

    atexit.register(stop)
    threading.Thread(target=supervise, name="worker-supervisor", daemon=True).start()
