"""``assetgraph restore FILE --yes``: verify an archive, restore aside, run ``audit verify`` on
the copy, then swap it in (stop the server and workers first; docs/operations.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from assetgraph.core.commandline import JsonCommand
from assetgraph.events.backup import BackupError, read_verified, restore_backup


class Command(JsonCommand):
    help = "Restore a backup archive; a damaged archive or chain changes nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path)
        parser.add_argument("--yes", action="store_true", help="replace the current data")
        parser.add_argument("--check", action="store_true", help="only verify the archive")
        parser.add_argument(
            "--target",
            default=None,
            help="restore into this SQLite file or PostgreSQL database instead of the current",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        archive: Path = options["archive"]
        try:
            if options["check"]:
                import tempfile

                with tempfile.TemporaryDirectory() as scratch:
                    manifest = read_verified(archive, Path(scratch))
                if options["json"]:
                    self.write_json(
                        {"archive": str(archive), "intact": True, "members": len(manifest["files"])}
                    )
                    return
                self.stdout.write(f"{archive}: intact ({len(manifest['files'])} members)")
                return
            if not options["yes"]:
                raise CommandError("restoring replaces the current data: add --yes", returncode=2)
            summary = restore_backup(archive, target_database=options["target"])
        except BackupError as exc:
            raise CommandError(f"restore refused, nothing changed: {exc}", returncode=1) from exc
        if options["json"]:
            self.write_json({"archive": str(archive), "restored": True, **summary})
            return
        self.stdout.write(
            f"restored {archive} (taken {summary['created']}); the previous database is kept "
            f"as {summary['previous_database']}"
        )
