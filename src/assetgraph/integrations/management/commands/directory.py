"""``assetgraph directory sync [--dry-run] [--json]`` and ``assetgraph directory runs``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from assetgraph.core.actor import Actor, Source
from assetgraph.core.commandline import JsonCommand
from assetgraph.core.errors import ServiceError
from assetgraph.integrations.models import DirectorySyncRun
from assetgraph.integrations.services import sync_directory


class Command(JsonCommand):
    help = "Sync people from the LDAP / Active Directory directory, or list past runs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["sync", "runs"])
        parser.add_argument("--dry-run", action="store_true", help="show the diff, change nothing")
        parser.add_argument("--json", action="store_true", help="print the run as JSON")
        parser.add_argument("--limit", type=int, default=50, help="runs: how many (newest first)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "runs":
            runs = list(DirectorySyncRun.objects.all()[: options["limit"]])
            if self.json_mode:
                self.write_json([_run_data(r) for r in runs])
                return
            total = DirectorySyncRun.objects.count()
            if total > len(runs):
                self.stdout.write(f"showing {len(runs)} of {total} runs (--limit N for more)")
            for run in runs:
                self.stdout.write(
                    f"#{run.pk} {run.started:%Y-%m-%d %H:%M} {run.state:8} {run.trigger:8} "
                    f"+{run.created_count} ~{run.updated_count} -{run.deactivated_count} "
                    f"errors {len(run.errors)}"
                )
            return
        try:
            run = sync_directory(
                Actor.system("directory sync", Source.CLI),
                dry_run=options["dry_run"],
                trigger="cli",
            )
        except ServiceError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.write_json({**_run_data(run), "diff": run.diff})
            return
        for row in run.diff:
            changes = ", ".join(
                f"{k}: {v[0]!s} -> {v[1]!s}" for k, v in (row.get("changes") or {}).items()
            )
            self.stdout.write(
                f"{row['action']:17} {row['employee_number']:12} {row.get('name', '')}  {changes}"
            )
        for error in run.errors:
            self.stderr.write(f"error {error['employee_number'] or error['dn']}: {error['error']}")
        self.stdout.write(
            f"{run.get_state_display()}: seen {run.seen}, joiners {run.created_count}, movers "
            f"{run.updated_count}, leavers {run.deactivated_count}, unchanged "
            f"{run.unchanged_count}, errors {len(run.errors)}"
        )


def _run_data(run: DirectorySyncRun) -> dict[str, Any]:
    """A sync run as ``--json`` prints it."""
    return {
        "run": run.pk,
        "started": run.started,
        "state": run.state,
        "trigger": run.trigger,
        "seen": run.seen,
        "created": run.created_count,
        "updated": run.updated_count,
        "deactivated": run.deactivated_count,
        "unchanged": run.unchanged_count,
        "errors": run.errors,
    }
