"""``assetgraph import KIND FILE``: all-or-nothing CSV/XLSX import with a rich progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assetgraph.core import registry
from assetgraph.core.actor import Actor
from assetgraph.core.commandline import cli_actor, json_text, on_terminal
from assetgraph.core.errors import ServiceError


class Command(BaseCommand):
    help = "Import a CSV or XLSX file (exit 1 if any row has an error: then nothing is written)."

    def add_arguments(self, parser: CommandParser) -> None:
        kinds = [k.slug for k in registry.table_kinds().values() if k.importer is not None]
        parser.add_argument("kind", help=f"one of: {', '.join(kinds)}")
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help="show what would change; write nothing"
        )
        parser.add_argument(
            "--user", help="act as this user (their permissions apply); default: system"
        )
        parser.add_argument("--json", action="store_true", help="print the full report as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        kind = registry.table_kinds().get(options["kind"])
        if kind is None or kind.importer is None:
            raise CommandError(f"nothing to import called {options['kind']!r}", returncode=2)
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file", returncode=2)
        actor = self._actor(options.get("user"))
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            transient=True,
            console=Console(stderr=True),
            # On a terminal only: piped output stays the report alone.
            disable=options["json"] or options["verbosity"] == 0 or not on_terminal(),
        ) as bar:
            task = bar.add_task(f"checking {path.name}", total=None)

            def progress(done: int, total: int | None) -> None:
                bar.update(task, completed=done, total=total)

            try:
                with path.open("rb") as handle:
                    report = kind.importer(actor).run(
                        handle, path.name, dry_run=options["dry_run"], progress=progress
                    )
            except ServiceError as exc:
                raise CommandError(exc.message, returncode=1) from exc
        data = report.as_dict()
        if options["json"]:
            self.stdout.write(json_text(data))
        else:
            for error in data["file_errors"]:
                self.stderr.write(f"file: {error}")
            for row in data["rows"]:
                if row["errors"]:
                    self.stderr.write(
                        f"row {row['row']} ({row['key']}): {'; '.join(row['errors'])}"
                    )
            counts = data["counts"]
            summary = ", ".join(f"{counts[k]} {k}" for k in ("create", "update", "unchanged"))
            if report.ok and options["dry_run"]:
                self.stdout.write(f"{path.name}: dry run, nothing written: {summary}")
            elif report.ok:
                self.stdout.write(
                    self.style.SUCCESS(f"{path.name}: {summary} (job {report.job_id})")
                )
        if not report.ok:
            errors = data["counts"]["error"] + len(data["file_errors"])
            message = f"{path.name}: {errors} error(s); nothing was written"
            raise CommandError(message, returncode=1)

    @staticmethod
    def _actor(username: str | None) -> Actor:
        return cli_actor(username)
