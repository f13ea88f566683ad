"""``assetgraph discover nmap|ansible|cyclonedx|ec2|csv FILE --source NAME [--scope S]
[--full-scan] [--dry-run]`` and ``assetgraph discover health [--record]``.

Thin over the services: the same identification, precedence, all-or-nothing writes and
audit trail (source ``discovery``, the run's job id) as the UI and the API. The source is
created on first use with the connector's defaults. Exit code 1 when the run failed
(nothing was written), 2 for usage errors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assetgraph.core.commandline import cli_actor, json_text, working
from assetgraph.core.errors import ServiceError

from ... import health, services
from ...models import ConnectorChoices, DataSource


class Command(BaseCommand):
    help = "Run discovery on a scanner or inventory file, or show CMDB health."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("connector", choices=[*(c.value for c in ConnectorChoices), "health"])
        parser.add_argument("file", nargs="?", help="the file (Ansible: a file or --tree folder)")
        parser.add_argument("--source", help="data source name (created if new)")
        parser.add_argument("--scope", default="", help="what the file covers (subnet, account)")
        parser.add_argument(
            "--full-scan",
            action="store_true",
            help="the file covers the whole scope: CIs of the scope it lacks become absent",
        )
        parser.add_argument("--dry-run", action="store_true", help="plan only, write nothing")
        parser.add_argument("--record", action="store_true", help="health: keep today's scores")
        parser.add_argument("--json", action="store_true", help="print the run as JSON")
        parser.add_argument("--user", help="act as this user (their permissions apply)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["connector"] == "health":
            self._health(options["record"])
            return
        if not options["file"] or not options["source"]:
            raise CommandError("FILE and --source NAME are required", returncode=2)
        path = Path(options["file"])
        if not path.exists():
            raise CommandError(f"{path}: no such file or folder", returncode=2)
        actor = cli_actor(options["user"])
        connector = options["connector"]
        source = DataSource.objects.filter(name=options["source"]).first()
        try:
            if source is None:
                source = services.create_source(
                    actor, {"name": options["source"], "connector": connector}
                )
            with working(f"Reading {path.name}…"):
                run = services.run_discovery(
                    actor,
                    source,
                    path,
                    connector=connector,
                    scope=options["scope"],
                    full_scan=options["full_scan"],
                    dry_run=options["dry_run"],
                    filename=path.name,
                )
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        if options["json"]:
            self.stdout.write(json_text(_as_dict(run)))
        else:
            counts = ", ".join(f"{k} {v}" for k, v in run.counts().items())
            prefix = "dry run: " if run.dry_run else ""
            self.stdout.write(f"{prefix}run {run.pk} {run.state}: {counts}; {run.events} events")
            for message in run.messages[:50]:
                self.stdout.write(f"  {message}")
            if len(run.messages) > 50:
                more = len(run.messages) - 50
                self.stdout.write(f"  … and {more} more messages (--json prints them all)")
        if run.state != "succeeded":
            raise CommandError("nothing was written", returncode=1)

    def _health(self, record: bool) -> None:
        result = health.compute()
        if record:
            health.record_snapshot(result)
        overall = result["overall"]
        self.stdout.write(
            f"{overall['cis']} CIs: completeness {overall['completeness']} %, "
            f"correctness {overall['correctness']} %, compliance {overall['compliance']} %"
        )
        for scores in result["classes"].values():
            self.stdout.write(
                f"  {scores['class']}: {scores['cis']} CIs, {scores['completeness']} / "
                f"{scores['correctness']} / {scores['compliance']}"
            )


def _as_dict(run: Any) -> dict[str, Any]:
    return {
        "id": run.pk,
        "job_id": run.job_id.hex,
        "source": run.source.name,
        "state": run.state,
        "dry_run": run.dry_run,
        "counts": run.counts(),
        "events": run.events,
        "messages": run.messages,
        "diff": run.diff,
    }
