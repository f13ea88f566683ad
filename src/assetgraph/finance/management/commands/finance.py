"""``assetgraph finance register|service-cost|renewals|coverage-gaps``: the fixed-asset
register as of a date (text, JSON or a CSV/XLSX file), the monthly cost of each business
service, contracts due for notice, and hardware tier-1/2 services need without support."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import QuerySet
from django.utils import timezone

from assetgraph.cmdb.models import CI
from assetgraph.core.commandline import cli_actor
from assetgraph.core.exporting import render_export

from ...access import visible_assets
from ...choices import BookChoices
from ...register import EXPORT_COLUMNS, build_register, register_assets
from ._common import dump, find_asset, parse_date, parse_month, require_costs


class Command(BaseCommand):
    help = "Finance reports: register, service cost, renewals, coverage gaps, TCO, forecast."

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

        cost = sub.add_parser("service-cost", help="monthly cost of each business service")
        cost.add_argument("--month", help="YYYY-MM (default this month)")
        cost.add_argument("--service", help="a service's breakdown by layer and CI (name)")
        cost.add_argument("--weight", help="split shared CIs by this CI attribute (vcpu…)")
        cost.add_argument("--json", action="store_true")
        renewals = sub.add_parser("renewals", help="contracts whose notice date has come")
        renewals.add_argument("--on", help="YYYY-MM-DD (default today)")
        renewals.add_argument("--json", action="store_true")
        gaps = sub.add_parser("coverage-gaps", help="tier-1/2 hardware without support")
        gaps.add_argument("--on", help="YYYY-MM-DD (default today)")
        gaps.add_argument("--json", action="store_true")
        plan = sub.add_parser("forecast", help="replacements due in the next quarters")
        plan.add_argument("--on", help="YYYY-MM-DD (default today)")
        plan.add_argument("--quarters", type=int, default=12, help="how many (default 12)")
        plan.add_argument("--base-currency", dest="base")
        plan.add_argument("--json", action="store_true")
        rep = sub.add_parser("report", help="depreciation forecast, spend, renewals calendar")
        rep.add_argument(
            "name", choices=["depreciation-forecast", "spend-by-supplier", "renewals-calendar"]
        )
        rep.add_argument("--start", help="YYYY-MM-DD (default today)")
        rep.add_argument("--end", help="YYYY-MM-DD (spend: default the start's year end)")
        rep.add_argument("--months", type=int, help="forecast 36, renewals 12 by default")
        rep.add_argument("--book", default=BookChoices.BOOK, choices=BookChoices.values)
        rep.add_argument("--base-currency", dest="base")
        rep.add_argument("--json", action="store_true")
        rep.add_argument("--format", choices=["csv", "xlsx"], help="the rows as a file")
        rep.add_argument("-o", "--output", help="file for --format (default stdout for csv)")
        tco = sub.add_parser("tco", help="an asset's total cost of ownership, line by line")
        tco.add_argument("asset", help="asset tag or id")
        tco.add_argument("--as-of", dest="as_of", help="YYYY-MM-DD (default today)")
        tco.add_argument("--base-currency", dest="base")
        tco.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = cli_actor(options.get("user"))
        action = options["action"]
        if action != "register":
            getattr(self, "_" + action.replace("-", "_"))(actor, options)
            return
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

    def _service_cost(self, actor: Any, options: dict[str, Any]) -> None:
        from assetgraph.accounts.permissions import restrict
        from assetgraph.cmdb.context import service_class_ids

        from ...service_cost import service_cost_breakdown, service_costs

        require_costs(actor)
        month = parse_month(options["month"], "month") if options.get("month") else None
        month = month or timezone.localdate().replace(day=1)
        visible: QuerySet[CI] = CI.objects.current()
        if not actor.is_system:
            visible = restrict(visible, actor.user, "view")
        if options.get("service"):
            service = visible.filter(
                ci_class__in=service_class_ids(), name=options["service"]
            ).first()
            if service is None:
                raise CommandError(
                    f"business service {options['service']!r} not found", returncode=1
                )
            data = service_cost_breakdown(month, service, visible, options.get("weight"))
            if options["json"]:
                self.stdout.write(dump(data))
                return
            self.stdout.write(
                f"{service.name} {data['month']}: {data['monthly_cost']} {data['base_currency']}"
            )
            for row in data["by_layer"]:
                self.stdout.write(f"  {row['layer']}\t{row['amount']}")
            for ci in data["by_ci"]:
                self.stdout.write(f"    {ci['name']}\t{ci['layer']}\t{ci['amount']}")
            return
        data = service_costs(month, visible, options.get("weight"))
        if options["json"]:
            self.stdout.write(dump(data))
            return
        self.stdout.write(f"service costs {data['month']} ({data['base_currency']})")
        for row in data["services"]:
            self.stdout.write(f"  {row['name']}\ttier {row['criticality']}\t{row['monthly_cost']}")
        self.stdout.write(f"  (no service)\t\t{data['stranded']}")

    def _renewals(self, actor: Any, options: dict[str, Any]) -> None:
        from ...contracts import renewal_alerts
        from ...models import Contract

        on = parse_date(options["on"], "on") if options.get("on") else timezone.localdate()
        contracts = Contract.objects.all()
        if not actor.is_system:
            from assetgraph.accounts.permissions import restrict

            contracts = restrict(contracts, actor.user, "view")
        alerts = [a.as_dict() for a in renewal_alerts(contracts, on)]
        if options["json"]:
            self.stdout.write(dump(alerts))
            return
        for a in alerts:
            self.stdout.write(
                f"{a['notice_date']}\t{a['term_end']}\t{a['name']}\t{a['supplier']}"
                + ("\tauto-renews" if a["auto_renew"] else "")
            )

    def _coverage_gaps(self, actor: Any, options: dict[str, Any]) -> None:
        from ...contracts import coverage_gaps

        on = parse_date(options["on"], "on") if options.get("on") else timezone.localdate()
        assets = visible_assets(None)
        if not actor.is_system:
            from assetgraph.accounts.permissions import restrict

            assets = restrict(assets, actor.user, "view")
        found = [g.as_dict() for g in coverage_gaps(on, assets)]
        if options["json"]:
            self.stdout.write(dump(found))
            return
        for g in found:
            self.stdout.write(
                f"{g['asset_tag']}\t{g['name']}\twarranty {g['warranty_end'] or '?'}\t"
                + ", ".join(g["services"])
            )

    def _tco(self, actor: Any, options: dict[str, Any]) -> None:
        from ...tco import asset_tco

        require_costs(actor)
        asset = find_asset(actor, options["asset"])
        as_of = (
            parse_date(options["as_of"], "as-of") if options.get("as_of") else timezone.localdate()
        )
        result = asset_tco(asset, as_of, options.get("base"))
        if options["json"]:
            self.stdout.write(dump(result.as_dict()))
            return
        self.stdout.write(
            f"{asset.asset_tag} TCO as of {as_of}: {result.total} {result.base_currency}"
        )
        for line in result.lines:
            self.stdout.write(
                f"  {line.source}\t{line.reference}\t{line.detail}\t{line.amount} {line.currency}"
            )
        if result.missing_rates:
            self.stdout.write(
                f"no rate to {result.base_currency} for: {', '.join(result.missing_rates)}"
            )

    def _forecast(self, actor: Any, options: dict[str, Any]) -> None:
        from ...replacement import forecast

        require_costs(actor)
        on = parse_date(options["on"], "on") if options.get("on") else timezone.localdate()
        quarters = options["quarters"]
        if not 1 <= quarters <= 40:
            raise CommandError("--quarters: 1-40", returncode=2)
        assets = visible_assets(None if actor.is_system else actor.user)
        data = forecast(assets, on, quarters, options.get("base"))
        if options["json"]:
            self.stdout.write(dump(data))
            return
        self.stdout.write(
            f"replacements from {on}: {data['total_count']} assets, "
            f"{data['total_budget']} {data['base_currency']}"
        )
        for q in data["quarters"]:
            self.stdout.write(f"  {q['quarter']}\t{q['count']}\t{q['budget']}")
        if data["missing_rates"]:
            self.stdout.write(
                f"no rate to {data['base_currency']} for: {', '.join(data['missing_rates'])}"
            )
        for item in data["items"]:
            tier = f"tier {item['priority']}" if item["priority"] else "-"
            self.stdout.write(
                f"{tier}\t{item['asset_tag']}\t{item['due']}\t{item['reason']}\t"
                + ", ".join(item["services"])
            )

    def _report(self, actor: Any, options: dict[str, Any]) -> None:
        from assetgraph.core.errors import ServiceError
        from assetgraph.core.exporting import key_columns

        from ...reports import EXPORT_COLUMNS as REPORT_COLUMNS
        from ...reports import run_report

        start = parse_date(options["start"], "start") if options.get("start") else None
        end = parse_date(options["end"], "end") if options.get("end") else None
        months = options.get("months")
        if months is not None and not 1 <= months <= 120:
            raise CommandError("--months: 1-120", returncode=2)
        name = options["name"]
        try:
            data = run_report(
                name,
                None if actor.is_system else actor.user,
                start=start or timezone.localdate(),
                end=end,
                months=months,
                book=options["book"],
                base=options.get("base"),
            )
        except ServiceError as exc:
            raise CommandError(str(exc), returncode=1) from None
        if options.get("format"):
            columns = key_columns(*REPORT_COLUMNS[name])
            body = render_export(data["rows"], columns, options["format"], title=name)
            if options.get("output"):
                Path(options["output"]).write_bytes(body)
            else:
                self.stdout.write(body.decode("utf-8", errors="replace"), ending="")
            return
        if options["json"]:
            self.stdout.write(dump(data))
            return
        for row in data["rows"]:
            self.stdout.write("\t".join(str(row[c]) for c in REPORT_COLUMNS[name]))
