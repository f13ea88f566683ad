"""``assetgraph records KIND list|show|create|update|delete``: CRUD from the command line.

Writes go through the kind's services (validation, audit events with source ``cli``), so the
CLI behaves exactly like the API and UI. Values are given as ``--set field=value``; references
take the related object's id (``--set department=3``) and an empty value clears a field.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models

from assetgraph.audit.services import snapshot
from assetgraph.core import registry
from assetgraph.core.actor import Actor, Source
from assetgraph.core.commandline import json_text
from assetgraph.core.errors import ServiceError

LIST_LIMIT = 50
BOOLEAN_WORDS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


class Command(BaseCommand):
    help = "List, show, create, update or delete records (people, locations, …) through services."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", help=f"one of: {', '.join(registry.table_kinds())}")
        parser.add_argument("action", choices=["list", "show", "create", "update", "delete"])
        parser.add_argument(
            "id", nargs="?", type=int, help="the record's id (show, update, delete)"
        )
        parser.add_argument(
            "--set", dest="values", action="append", default=[], metavar="FIELD=VALUE"
        )
        parser.add_argument("--limit", type=int, default=LIST_LIMIT, help="list: how many rows")
        parser.add_argument("--json", action="store_true", help="machine-readable output")

    def handle(self, *args: Any, **options: Any) -> None:
        kind = registry.table_kinds().get(options["kind"])
        if kind is None or kind.create is None:
            raise CommandError(f"no records called {options['kind']!r}", returncode=2)
        action = options["action"]
        actor = Actor.system("cli", source=Source.CLI)
        manager = kind.model._default_manager
        if action == "list":
            rows = manager.select_related(*kind.select_related).order_by("pk")[: options["limit"]]
            self._print(
                [{"id": r.pk, **{h: _plain(g(r)) for h, g in kind.columns}} for r in rows],
                options["json"],
            )
            return
        if action == "create":
            obj = self._write(lambda: kind.create(actor, _values(kind.model, options["values"])))
            self.stdout.write(f"created {kind.model._meta.verbose_name} {obj.pk}: {obj}")
            return
        if options["id"] is None:
            raise CommandError(f"{action} needs the record's id", returncode=2)
        obj = manager.filter(pk=options["id"]).first()
        if obj is None:
            raise CommandError(
                f"{kind.model._meta.verbose_name} {options['id']} not found", returncode=1
            )
        if action == "show":
            self._print([snapshot(obj)], options["json"])
        elif action == "update":
            obj = self._write(
                lambda: kind.update(actor, obj, _values(kind.model, options["values"]))
            )
            self.stdout.write(f"updated {kind.model._meta.verbose_name} {obj.pk}: {obj}")
        else:
            self._write(lambda: kind.delete(actor, obj))
            self.stdout.write(f"deleted {kind.model._meta.verbose_name} {options['id']}")

    @staticmethod
    def _write(call: Any) -> Any:
        try:
            return call()
        except ServiceError as exc:
            others = [f"{k}: {m}" for k, msgs in exc.fields.items() for m in msgs]
            others = [o for o in others if o != exc.message]
            detail = f" (also {'; '.join(others)})" if others else ""
            raise CommandError(exc.message + detail, returncode=1) from exc

    def _print(self, rows: list[dict[str, Any]], as_json: bool) -> None:
        if as_json:
            self.stdout.write(json_text(rows))
            return
        for row in rows:
            self.stdout.write("  ".join(f"{k}={v}" for k, v in row.items() if v not in ("", None)))


def _plain(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)


def _values(model: type[models.Model], pairs: list[str]) -> dict[str, Any]:
    """Parse ``--set field=value`` pairs into typed field values (references by id)."""
    values: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep:
            raise CommandError(f"--set {pair!r}: use FIELD=VALUE", returncode=2)
        try:
            field = model._meta.get_field(name)
        except Exception:
            raise CommandError(
                f"--set {name}: {model._meta.verbose_name} has no such field", returncode=2
            ) from None
        if not isinstance(field, models.Field) or not field.editable:
            raise CommandError(f"--set {name}: not an editable field", returncode=2)
        if raw == "" and field.null:
            values[field.attname] = None
            continue
        if isinstance(field, models.BooleanField) and raw.lower() in BOOLEAN_WORDS:
            values[field.attname] = BOOLEAN_WORDS[raw.lower()]
            continue
        try:
            target = field.target_field if field.is_relation else field  # type: ignore[attr-defined]
            values[field.attname] = target.to_python(raw)
        except DjangoValidationError as exc:
            raise CommandError(f"--set {name}: {exc.messages[0]}", returncode=2) from None
    return values
