"""``assetgraph export KIND``: CSV or XLSX export of a whole list (formula cells escaped)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from assetgraph.core import registry
from assetgraph.core.commandline import JsonCommand, json_text
from assetgraph.core.exporting import render_export


class Command(JsonCommand):
    help = "Export a list as CSV (default, to stdout), XLSX (needs --output) or JSON (--json)."

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
        if options["json"]:
            self._json(kind, objects, options["output"])
            return
        body = render_export(objects, list(kind.columns), options["format"], title=kind.slug)
        if options["output"] is None:
            sys.stdout.buffer.write(body)
            sys.stdout.flush()
        else:
            options["output"].write_bytes(body)
            self.stderr.write(f"wrote {options['output']}")

    def _json(self, kind: Any, objects: Any, output: Path | None) -> None:
        """One JSON document, ``{"kind": …, "rows": [{column: value}, …]}``, streamed row by row
        (a whole table need not fit in memory); values are raw (no formula escaping: JSON is
        not opened by a spreadsheet), dates ISO, decimals strings."""
        columns = list(kind.columns)
        target = output.open("w", encoding="utf-8") if output is not None else None

        def write(text: str) -> None:
            if target is not None:
                target.write(text)
            else:
                self.stdout.write(text, ending="")

        try:
            write('{"kind": ' + json_text(kind.slug) + ', "rows": [')
            for index, obj in enumerate(objects):
                row = {header: value(obj) for header, value in columns}
                write(("," if index else "") + "\n" + json_text(row, indent=None))
            write("\n]}\n")
        finally:
            if target is not None:
                target.close()
                self.stderr.write(f"wrote {output}")
            else:
                self.stdout.flush()
