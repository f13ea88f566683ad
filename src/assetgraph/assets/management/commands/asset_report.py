"""``assetgraph asset_report NAME``: asset counts by state, category, location, department,
custodian, or aging by purchase date; as a table, JSON, CSV or XLSX."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from assetgraph.assets import reports
from assetgraph.assets.models import Asset
from assetgraph.core.commandline import JsonCommand
from assetgraph.core.exporting import render_export


class Command(JsonCommand):
    help = "Print an asset report (state, category, location, department, custodian, aging)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", choices=sorted(reports.REPORTS))
        parser.add_argument("--format", choices=["table", "json", "csv", "xlsx"], default="table")
        parser.add_argument("--output", type=Path, help="write to this file (xlsx needs it)")

    def handle(self, *args: Any, **options: Any) -> None:
        result = reports.REPORTS[options["name"]](Asset.objects.all(), None)
        fmt = "json" if options["json"] else options["format"]
        if fmt in ("csv", "xlsx"):
            body = render_export(result.rows, reports.report_columns(), fmt, title=result.name)
            if options["output"]:
                options["output"].write_bytes(body)
                self.stdout.write(f"wrote {options['output']}")
            elif fmt == "xlsx":
                raise CommandError("--format xlsx needs --output FILE", returncode=2)
            else:
                self.stdout.write(body.decode("utf-8-sig"), ending="")
            return
        if fmt == "json":
            self.write_json(result.as_dict())
            return
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"{result.title} ({result.total})")
        table.add_column(result.dimension)
        table.add_column("Assets", justify="right")
        for row in result.rows:
            table.add_row(row.label, str(row.count))
        buffer = io.StringIO()
        Console(file=buffer, width=120).print(table)
        self.stdout.write(buffer.getvalue())
