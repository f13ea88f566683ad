"""``assetgraph alerts``: expiring warranties, overdue returns, end of life, audits due, and
leavers with assets."""

from __future__ import annotations

import io
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from assetgraph.assets import reports
from assetgraph.assets.models import Asset
from assetgraph.core.commandline import json_text
from assetgraph.org.models import Person


class Command(BaseCommand):
    help = "List asset alerts (exit 0 even when there are alerts; use --json for scripts)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--warranty-days", type=int, default=30)
        parser.add_argument("--eol-months", type=int, default=6)
        parser.add_argument("--audit-days", type=int, default=30)
        parser.add_argument("--json", action="store_true", help="print the alerts as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.localdate()
        assets = Asset.objects.all()
        groups = {
            "warranty_expiring": reports.warranty_expiring(assets, options["warranty_days"], today),
            "overdue_returns": reports.overdue_returns(assets, today),
            "end_of_life": reports.end_of_life_within(assets, options["eol_months"], today),
            "audits_due": reports.audits_due(assets, options["audit_days"], today),
        }
        data: dict[str, Any] = {
            name: [
                {
                    "asset_tag": a.asset_tag,
                    "model": a.model.name,
                    "custodian": str(a.custodian) if a.custodian else "",
                    "warranty_end": a.warranty_end,
                    "expected_return": a.expected_return,
                    "eol_date": a.eol_date,
                    "next_audit_due": a.next_audit_due,
                }
                for a in queryset
            ]
            for name, queryset in groups.items()
        }
        data["leavers"] = [
            {"employee_number": p.employee_number, "name": str(p), "assets": p.asset_count}
            for p in reports.leavers_with_assets(Person.objects.all(), assets)
        ]
        if options["json"]:
            self.stdout.write(json_text(data))
            return
        from rich.console import Console
        from rich.table import Table

        buffer = io.StringIO()
        console = Console(file=buffer, width=120)
        for name, rows in data.items():
            table = Table(title=f"{name.replace('_', ' ')} ({len(rows)})")
            columns = list(rows[0]) if rows else ["(none)"]
            for column in columns:
                table.add_column(column)
            for row in rows[:200]:
                table.add_row(*(str(v or "") for v in row.values()))
            console.print(table)
        self.stdout.write(buffer.getvalue())
