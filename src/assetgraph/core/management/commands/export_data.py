"""``assetgraph export KIND``: CSV or XLSX export of a whole list (formula cells escaped)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assetgraph.core import registry
from assetgraph.core.exporting import render_export


class Command(BaseCommand):
    help = "Export a list as CSV (default, to stdout) or XLSX (needs --output)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", help=f"one of: {', '.join(registry.table_kinds())}")
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        parser.add_argument(
            "-o", "--output", type=Path, help="file to write (default: standard output)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        kind = registry.table_kinds().get(options["kind"])
        if kind is None:
            raise CommandError(f"nothing to export called {options['kind']!r}", returncode=2)
        if options["format"] == "xlsx" and options["output"] is None:
            raise CommandError("XLSX needs --output FILE", returncode=2)
        objects = (
            kind.model._default_manager.select_related(*kind.select_related)
            .order_by("pk")
            .iterator(chunk_size=2000)
        )
        body = render_export(objects, list(kind.columns), options["format"], title=kind.slug)
        if options["output"] is None:
            sys.stdout.buffer.write(body)
            sys.stdout.flush()
        else:
            options["output"].write_bytes(body)
            self.stderr.write(f"wrote {options['output']}")
