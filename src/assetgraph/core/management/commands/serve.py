"""``assetgraph serve``: apply pending migrations, then run the production server (gunicorn)."""

from __future__ import annotations

import multiprocessing
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


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

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
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

            def load(self) -> Any:
                return application

        self.stdout.write(
            f"assetgraph serving at http://{bind}/ (data in {settings.DATA_DIR}); Ctrl-C stops it"
        )
        Server().run()
