"""``assetgraph licences position|allocate|reclaim|import-usage|import-concurrency|alerts|
apply-rules|load-core-factors``: software
licences from the shell, thin over the same services and reads as the UI and the API."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assetgraph.accounts.models import User
from assetgraph.core.actor import Actor
from assetgraph.core.commandline import cli_actor, json_text
from assetgraph.core.errors import ServiceError

from ... import services, usage
from ...evidence import compute
from ...exports import parse_as_of
from ...models import Allocation, Entitlement, Product
from ...position import totals
from ...reads import alerts_for, position_dict, position_for


def _product(value: str) -> Product:
    """A product by id or by (case-insensitive) name."""
    if value.isdigit():
        found = Product.objects.filter(pk=int(value)).first()
    else:
        matches = list(Product.objects.filter(name__iexact=value)[:2])
        if len(matches) > 1:
            raise CommandError(f"--product: {value!r} names several products; use the id")
        found = matches[0] if matches else None
    if found is None:
        raise CommandError(f"--product: no product {value!r}", returncode=2)
    return found


class Command(BaseCommand):
    help = "Licence compliance position, seat allocation and reclaim, SaaS usage import."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", help="act as this user (their permissions apply)")
        sub = parser.add_subparsers(dest="action", required=True)
        pos = sub.add_parser("position", help="the compliance position")
        pos.add_argument("--product", help="a product id or name")
        pos.add_argument("--as-of", dest="as_of", help="ISO date or date-time in the past")
        pos.add_argument("--json", action="store_true")
        alloc = sub.add_parser("allocate", help="allocate seats of a licence")
        alloc.add_argument("entitlement", type=int, help="licence (entitlement) id")
        target = alloc.add_mutually_exclusive_group(required=True)
        target.add_argument("--person", type=int)
        target.add_argument("--ci", type=int)
        target.add_argument("--asset", type=int)
        alloc.add_argument("--quantity", type=int, default=1)
        alloc.add_argument("--note", default="")
        rec = sub.add_parser("reclaim", help="reclaim allocations by id")
        rec.add_argument("ids", type=int, nargs="+")
        rec.add_argument("--reason", default="reclaimed")
        imp = sub.add_parser("import-usage", help="import a SaaS console export (CSV/JSON)")
        imp.add_argument("file")
        imp.add_argument("--product", required=True, help="a product id or name")
        imp.add_argument("--keep", action="store_true", help="keep users missing from the file")
        conc = sub.add_parser(
            "import-concurrency", help="import a licence server's concurrency log (CSV/JSON)"
        )
        conc.add_argument("file")
        conc.add_argument("--product", required=True, help="a product id or name")
        alerts = sub.add_parser("alerts", help="renewals, new shortfalls, licences > 90 % used")
        alerts.add_argument("--days", type=int, default=60)
        alerts.add_argument("--json", action="store_true")
        sub.add_parser("apply-rules", help="re-map the CMDB catalogue with the rules")
        sub.add_parser(
            "load-core-factors", help="add the rows of Oracle's core factor table that are missing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = cli_actor(options.get("user"))
        try:
            getattr(self, "_" + options["action"].replace("-", "_"))(actor, options)
        except ServiceError as exc:
            raise CommandError(exc.message, returncode=1) from exc

    def _json(self, data: Any) -> None:
        self.stdout.write(json_text(data))

    def _position(self, actor: Actor, options: dict[str, Any]) -> None:
        as_of = parse_as_of(options.get("as_of"), "--as-of")
        product = _product(options["product"]) if options.get("product") else None
        if actor.user is None:
            result = compute(
                Entitlement.objects.all(),
                as_of=as_of,
                product_ids={product.pk} if product else None,
            )
        else:
            user: User = actor.user
            result = position_for(user, as_of=as_of, product_id=product.pk if product else None)
        if options["json"]:
            self._json(position_dict(result))
            return
        self.stdout.write(
            f"{'product':40} {'metric':12} {'entitled':>9} {'consumed':>9} {'balance':>8} "
            f"{'status':11} {'true-up':>12}"
        )
        for row in result.rows:
            entitled = "unlimited" if row.entitled is None else str(row.entitled)
            balance = "" if row.balance is None else str(row.balance)
            money = f"{row.true_up_cost} {row.currency}" if row.true_up_cost else ""
            self.stdout.write(
                f"{row.product[:40]:40} {row.metric:12} {entitled:>9} {row.consumed:>9} "
                f"{balance:>8} {row.status:11} {money:>12}"
            )
            for exposure in row.exposure:
                self.stdout.write(f"    exposure: {exposure['path']} ({exposure['cores']} cores)")
        summary = totals(result.rows)
        self.stdout.write(f"rows by status: {summary['by_status']}")
        for currency, amount in summary["true_up"].items():
            self.stdout.write(f"true-up cost: {amount} {currency}")

    def _allocate(self, actor: Actor, options: dict[str, Any]) -> None:
        entitlement = Entitlement.objects.filter(pk=options["entitlement"]).first()
        if entitlement is None:
            raise CommandError(f"no licence {options['entitlement']}", returncode=2)
        values = {k: options[k] for k in ("person", "ci", "asset") if options.get(k) is not None}
        values.update(quantity=options["quantity"], note=options["note"])
        allocation = services.allocate_seats(actor, entitlement, values)
        entitlement.refresh_from_db()
        self.stdout.write(
            f"allocation {allocation.pk}: {allocation}; "
            f"{entitlement.allocated} of {entitlement.quantity or 'unlimited'} seats allocated"
        )

    def _reclaim(self, actor: Actor, options: dict[str, Any]) -> None:
        found = {a.pk: a for a in Allocation.objects.filter(pk__in=options["ids"])}
        missing = [pk for pk in options["ids"] if pk not in found]
        if missing:
            raise CommandError(f"no allocation {missing[0]}", returncode=2)
        done = services.reclaim_allocations(
            actor, [found[pk] for pk in options["ids"]], reason=options["reason"]
        )
        self.stdout.write(f"reclaimed {len(done)} allocation(s)")

    def _import_usage(self, actor: Actor, options: dict[str, Any]) -> None:
        product = _product(options["product"])
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file", returncode=2)
        rows = usage.parse_file(path.read_bytes(), path.name)
        counts = usage.import_usage(actor, product, rows, replace=not options["keep"])
        self.stdout.write(
            f"{product}: {counts['created']} created, {counts['updated']} updated, "
            f"{counts['removed']} removed, {counts['matched_people']} matched to people"
        )

    def _alerts(self, actor: Actor, options: dict[str, Any]) -> None:
        if actor.user is None:
            from assetgraph.accounts.models import User as UserModel

            user: Any = UserModel(is_superuser=True, is_active=True)
        else:
            user = actor.user
        found = alerts_for(user, days=options["days"])
        if options["json"]:
            self._json(found)
            return
        for alert in found:
            self.stdout.write(f"{alert['kind']:14} {alert['message']}")

    def _apply_rules(self, actor: Actor, options: dict[str, Any]) -> None:
        counts = services.apply_normalisation_rules(actor)
        self.stdout.write(
            f"{counts['mapped']} mapped, {counts['changed']} changed, {counts['unmapped']} unmapped"
        )

    def _import_concurrency(self, actor: Actor, options: dict[str, Any]) -> None:
        product = _product(options["product"])
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file", returncode=2)
        samples = usage.parse_concurrency_file(path.read_bytes(), path.name)
        created = usage.record_concurrency(actor, product, samples)
        self.stdout.write(f"{product}: {created} concurrency sample(s) imported")

    def _load_core_factors(self, actor: Actor, options: dict[str, Any]) -> None:
        added = services.load_oracle_core_factors(actor)
        self.stdout.write(f"{added} core factor(s) added")


__all__ = ["Command", "dataclasses"]
