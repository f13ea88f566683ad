"""``assetgraph backup [-o FILE] [--keep N]``: a consistent online backup (docs/operations.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from assetgraph.core.commandline import JsonCommand
from assetgraph.events.backup import BackupError, create_backup, prune_backups


class Command(JsonCommand):
    help = "Back up the database and data files into one archive with a checksummed manifest."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("-o", "--output", type=Path, default=None)
        parser.add_argument(
            "--keep",
            type=int,
            default=None,
            help="then keep only this many archives in the backup directory",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            archive = create_backup(options["output"])
        except BackupError as exc:
            raise CommandError(str(exc), returncode=1) from exc
        keep = options["keep"]
        removed = []
        if keep is not None or options["output"] is None:
            removed = prune_backups(keep or settings.ASSETGRAPH_BACKUP_KEEP)
        if options["json"]:
            self.write_json(
                {
                    "archive": str(archive),
                    "bytes": Path(archive).stat().st_size,
                    "removed": [path.name for path in removed],
                }
            )
            return
        self.stdout.write(f"backup written to {archive}")
        for path in removed:
            self.stdout.write(f"removed old backup {path.name}")
