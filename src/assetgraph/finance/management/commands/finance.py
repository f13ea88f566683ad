"""``assetgraph finance register``: the fixed-asset register as of a date (text, JSON or a
CSV/XLSX file)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from assetgraph.core.commandline import cli_actor
from assetgraph.core.exporting import render_export

from ...access import visible_assets
from ...choices import BookChoices
from ...register import EXPORT_COLUMNS, build_register, register_assets
from ._common import dump, parse_date, require_costs


class Command(BaseCommand):
    help = "Finance reports: the fixed-asset register as of a date."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", help="act as this user (their permissions apply)")
        sub = parser.add_subparsers(dest="action", required=True)
        register = sub.add_parser("register", help="cost, accumulated depreciation, NBV")
        register.add_argument("--as-of", dest="as_of", help="YYYY-MM-DD (default today)")
        register.add_argument("--book", default=BookChoices.BOOK, choices=BookChoices.values)
        register.add_argument("--base-currency", dest="base")
        register.add_argument("--json", action="store_true")
        register.add_argument("--format", choices=["csv", "xlsx"], help="one row per asset")
        register.add_argument("-o", "--output", help="file for --format (default stdout for csv)")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = cli_actor(options.get("user"))
        require_costs(actor)
        as_of = (
            parse_date(options["as_of"], "as-of") if options.get("as_of") else timezone.localdate()
        )
        assets = register_assets(visible_assets(None if actor.is_system else actor.user), as_of)
        result = build_register(assets, as_of, options["book"], options.get("base"))
        if options.get("format"):
            body = render_export(result.rows, EXPORT_COLUMNS, options["format"], title="register")
            if options.get("output"):
                Path(options["output"]).write_bytes(body)
            else:
                self.stdout.write(body.decode("utf-8", errors="replace"), ending="")
            return
        if options["json"]:
            self.stdout.write(dump(result.as_dict(with_rows=False)))
            return
        total = result.grand_total
        self.stdout.write(
            f"register as of {as_of} ({result.book}), {result.base_currency}: "
            f"{total.assets} assets, cost {total.cost}, accumulated {total.accumulated}, "
            f"net book value {total.net_book_value}"
        )
        if result.missing_rates:
            self.stdout.write(
                f"no rate to {result.base_currency} for: {', '.join(result.missing_rates)}"
            )
        for dimension, groups in result.totals.items():
            self.stdout.write(f"\nby {dimension.replace('_', ' ')}")
            for key, group in sorted(groups.items()):
                self.stdout.write(
                    f"  {key}\t{group.assets}\t{group.cost}\t{group.accumulated}\t"
                    f"{group.net_book_value}"
                )
