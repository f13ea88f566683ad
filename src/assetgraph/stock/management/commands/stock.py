"""``assetgraph stock check|on-hand|alerts|reorder|move``: the stock ledger from the shell,
thin over the services and reads (the same rules, permissions and audit trail as UI and API).

``check`` compares the maintained balance table with the sum of the ledger lines and exits 1
when any holder disagrees (run it after restores, or on a schedule).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from assetgraph.accounts.permissions import restrict
from assetgraph.assets.models import Asset
from assetgraph.core.actor import Actor
from assetgraph.core.commandline import cli_actor, json_text
from assetgraph.core.errors import ServiceError
from assetgraph.org.models import Location, Person

from ...api import _dispatch
from ...models import StockItem
from ...querysets import (
    below_minimum,
    check_balances,
    ledger_on_hand,
    on_hand,
    reorder_report,
)
from ...schemas import MovementIn


class Command(BaseCommand):
    help = "Check balances against the ledger, read stock on hand, alerts, reorder; move stock."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", help="act as this user (their permissions apply)")
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("check", help="balances against the sum of the ledger (exit 1 if not)")
        hand = sub.add_parser("on-hand", help="stock of an item at a location")
        hand.add_argument("item", help="item name or id")
        hand.add_argument("location", help="location path or id")
        hand.add_argument("--as-of", help="ISO date-time: sum the ledger up to then")
        alerts = sub.add_parser("alerts", help="storeroom stock below its minimum")
        alerts.add_argument("--json", action="store_true")
        reorder = sub.add_parser("reorder", help="what to order (90 days of consumption)")
        reorder.add_argument("--json", action="store_true")
        move = sub.add_parser("move", help="receive, issue, return, transfer, write_off, count")
        move.add_argument(
            "kind", choices=["receive", "issue", "return", "transfer", "write_off", "count"]
        )
        move.add_argument("item", help="item name or id")
        move.add_argument("quantity", type=int, help="quantity (for a count: what was found)")
        move.add_argument("--from", dest="source", help="location path or id (storeroom)")
        move.add_argument("--to", dest="target", help="location path or id")
        move.add_argument("--from-person", help="employee number")
        move.add_argument("--to-person", help="employee number")
        move.add_argument("--to-asset", help="asset tag (components)")
        move.add_argument("--from-asset", help="asset tag (components)")
        move.add_argument("--reference", default="")
        move.add_argument("--note", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = cli_actor(options.get("user"))
        try:
            getattr(self, "_" + options["action"].replace("-", "_"))(actor, options)
        except ServiceError as exc:
            raise CommandError(exc.message, returncode=1) from exc

    def _visible(self, actor: Actor, model: type[Any]) -> Any:
        base = model._default_manager.all()
        return base if actor.is_system else restrict(base, actor.user, "view")

    def _find(self, actor: Actor, model: type[Any], value: str | None, *fields: str) -> Any:
        if not value:
            return None
        rows = self._visible(actor, model)
        found = rows.filter(pk=int(value)).first() if value.isdigit() else None
        for name in fields:
            found = found or rows.filter(**{name: value}).first()
        if found is None:
            raise CommandError(f"{model._meta.verbose_name} {value!r} not found", returncode=1)
        return found

    def _check(self, actor: Actor, options: dict[str, Any]) -> None:
        problems = check_balances()
        for p in problems:
            self.stdout.write(
                f"MISMATCH item {p.item_id} {p.holder} {p.holder_id}: balance {p.balance}, "
                f"ledger {p.ledger}"
            )
        if problems:
            raise CommandError(f"{len(problems)} balance(s) disagree with the ledger", returncode=1)
        self.stdout.write("ok: every balance equals the sum of its ledger lines")

    def _on_hand(self, actor: Actor, options: dict[str, Any]) -> None:
        item = self._find(actor, StockItem, options["item"], "name__iexact")
        location = self._find(actor, Location, options["location"], "path__iexact", "name__iexact")
        raw = options.get("as_of")
        if raw:
            try:
                when = dt.datetime.fromisoformat(raw)
            except ValueError:
                raise CommandError(
                    f"--as-of: not an ISO date-time ({raw!r})", returncode=2
                ) from None
            when = timezone.make_aware(when) if timezone.is_naive(when) else when
            value = ledger_on_hand(item.pk, location.pk, when)
        else:
            value = on_hand(item.pk, location.pk)
        self.stdout.write(str(value))

    def _alerts(self, actor: Actor, options: dict[str, Any]) -> None:
        rows = [
            {"storeroom": str(b.location), "item": b.item.name, "on_hand": b.on_hand,
             "minimum": b.minimum}  # type: ignore[attr-defined]
            for b in below_minimum(actor.user)
        ]  # fmt: skip
        self._emit(rows, options)

    def _reorder(self, actor: Actor, options: dict[str, Any]) -> None:
        rows = [
            {"storeroom": str(r.balance.location), "item": r.balance.item.name,
             "on_hand": r.balance.on_hand, "minimum": r.minimum, "consumed_90_days": r.consumed,
             "suggested": r.suggested}
            for r in reorder_report(actor.user)
        ]  # fmt: skip
        self._emit(rows, options)

    def _emit(self, rows: list[dict[str, Any]], options: dict[str, Any]) -> None:
        if options.get("json"):
            self.stdout.write(json_text(rows))
            return
        for row in rows:
            self.stdout.write("\t".join(str(v) for v in row.values()))

    def _move(self, actor: Actor, options: dict[str, Any]) -> None:
        item = self._find(actor, StockItem, options["item"], "name__iexact")
        kind = options["kind"]
        quantity = options["quantity"]
        payload = MovementIn(
            action=kind,
            item_id=item.pk,
            quantity=None if kind == "count" else quantity,
            found=quantity if kind == "count" else None,
            reference=options["reference"],
            note=options["note"],
            currency="",
        )
        places = ("path__iexact", "name__iexact")
        ref = {
            "from_location": self._find(actor, Location, options.get("source"), *places),
            "to_location": self._find(actor, Location, options.get("target"), *places),
            "from_person": self._find(actor, Person, options.get("from_person"), "employee_number"),
            "to_person": self._find(actor, Person, options.get("to_person"), "employee_number"),
            "from_asset": self._find(actor, Asset, options.get("from_asset"), "asset_tag"),
            "to_asset": self._find(actor, Asset, options.get("to_asset"), "asset_tag"),
        }
        line = _dispatch(actor, payload, item, ref)
        if line is None:
            self.stdout.write("counted: no difference, nothing posted")
        else:
            self.stdout.write(f"line {line.pk}: {line.reason} {line.quantity} x {item.name}")
