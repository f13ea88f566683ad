"""``assetgraph depreciation schedule|preview|run``: an asset's schedule, a what-if schedule
that saves nothing, and the monthly depreciation run that closes a period."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assetgraph.core.commandline import cli_actor
from assetgraph.core.errors import ServiceError

from ...books import asset_book
from ...choices import BookChoices, ConventionChoices, MethodChoices
from ...depreciation import DepreciationError
from ...presenting import book_dict, preview
from ._common import dump, find_asset, parse_date, parse_money, parse_month, require_costs


def _print_schedule(out: Any, data: dict[str, Any]) -> None:
    head = f"{data.get('profile') or 'what-if'}: {data['method']} {data['life_years']} years, "
    head += f"{data['convention']} from {data['start']}; cost {data['cost']} {data['currency']}"
    out.write(head + f", salvage {data['salvage']}")
    out.write("fiscal year\tdepreciation\tbook value")
    for year in data["years"]:
        out.write(f"FY{year['fiscal_year']}\t{year['amount']}\t{year['book_value']}")
    if data.get("gain_loss") is not None:
        out.write(
            f"disposed {data['disposed_on']} for {data['proceeds']}: gain/loss {data['gain_loss']}"
        )


class Command(BaseCommand):
    help = "Depreciation: an asset's schedule, a what-if preview, the monthly run."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", help="act as this user (their permissions apply)")
        sub = parser.add_subparsers(dest="action", required=True)
        schedule = sub.add_parser("schedule", help="an asset's schedule (by tag or id)")
        schedule.add_argument("asset")
        schedule.add_argument("--book", default=BookChoices.BOOK, choices=BookChoices.values)
        schedule.add_argument("--json", action="store_true", help="month by month, as JSON")
        what_if = sub.add_parser("preview", help="a what-if schedule; saves nothing")
        what_if.add_argument("--cost", required=True)
        what_if.add_argument("--method", required=True, choices=MethodChoices.values)
        what_if.add_argument("--life", required=True, type=int, help="years")
        what_if.add_argument("--in-service", required=True, dest="in_service")
        what_if.add_argument("--salvage", default="0")
        what_if.add_argument(
            "--convention", default=ConventionChoices.FULL_MONTH, choices=ConventionChoices.values
        )
        what_if.add_argument("--currency", default="EUR")
        what_if.add_argument(
            "--factor", default="2", help="declining balance: 2 = 200 %%, 1.5 = 150 %%"
        )
        what_if.add_argument("--fiscal-year-start", type=int, dest="fy_start", help="month 1-12")
        what_if.add_argument("--json", action="store_true")
        run = sub.add_parser("run", help="post a month's depreciation and close it")
        run.add_argument("--period", required=True, help="YYYY-MM")
        run.add_argument("--book", default=BookChoices.BOOK, choices=BookChoices.values)
        run.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = cli_actor(options.get("user"))
        try:
            getattr(self, f"_{options['action']}")(actor, options)
        except ServiceError as exc:
            raise CommandError(exc.message, returncode=1) from exc

    def _schedule(self, actor: Any, options: dict[str, Any]) -> None:
        asset = find_asset(actor, options["asset"])
        require_costs(actor)
        data = book_dict(asset_book(asset, options["book"]))
        if options["json"]:
            self.stdout.write(dump(data))
        elif data["note"]:
            self.stdout.write(f"{asset}: {data['note']}")
        else:
            _print_schedule(self.stdout, data)

    def _preview(self, actor: Any, options: dict[str, Any]) -> None:
        values = {
            "cost": parse_money(options["cost"], "cost"),
            "salvage": parse_money(options["salvage"], "salvage"),
            "method": options["method"],
            "life_years": options["life"],
            "in_service": parse_date(options["in_service"], "in-service"),
            "convention": options["convention"],
            "currency": options["currency"],
            "declining_factor": parse_money(options["factor"], "factor"),
            "fiscal_year_start_month": options.get("fy_start"),
        }
        try:
            data = preview(values)
        except DepreciationError as exc:
            raise CommandError(str(exc), returncode=2) from None
        if options["json"]:
            self.stdout.write(dump(data))
        else:
            _print_schedule(self.stdout, data)

    def _run(self, actor: Any, options: dict[str, Any]) -> None:
        from ...closing import close_period

        period = parse_month(options["period"], "period")
        result = close_period(actor, period, options["book"])
        if options["json"]:
            self.stdout.write(dump(result.as_dict()))
            return
        self.stdout.write(
            f"closed {period:%Y-%m} ({options['book']}): {result.closed.asset_count} assets, "
            f"{len(result.lines)} journal lines"
        )
        for line in result.lines:
            centre = line.cost_centre.code if line.cost_centre else "(none)"
            self.stdout.write(
                f"{line.expense_account}/{line.accumulated_account}\t{centre}\t"
                f"{line.amount} {line.currency}"
                + (f"\t(correction {line.correction})" if line.correction else "")
            )
