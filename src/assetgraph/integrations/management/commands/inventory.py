"""``assetgraph inventory --list | --host H`` — the CMDB as an Ansible inventory script's JSON
(docs/integrations.md)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder

from assetgraph.core.commandline import JsonCommand
from assetgraph.integrations.inventory import InventoryQuery, build_inventory, host_inventory


class Command(JsonCommand):
    """Always JSON (Ansible reads it); ``--json`` is accepted like everywhere and makes an
    error a JSON object too."""

    help = "Print the CMDB as Ansible inventory JSON (--list) or one host's variables (--host)."

    def add_arguments(self, parser: CommandParser) -> None:
        mode = parser.add_mutually_exclusive_group(required=True)
        mode.add_argument("--list", action="store_true", help="every group and host")
        mode.add_argument("--host", metavar="H", help="one host's variables")
        parser.add_argument("--environment", default="", help="only this environment")
        parser.add_argument(
            "--class", dest="classes", action="append", default=[], help="CI class (repeatable)"
        )
        parser.add_argument("--status", default="", help="only this operational status")
        parser.add_argument("--location", default="", help="a location path, and below it")
        parser.add_argument("--search", default="", help="CI name contains")
        parser.add_argument("--vars", default="", help="attribute keys as variables (a,b,c)")
        parser.add_argument("--indent", type=int, default=2)

    def handle(self, *args: Any, **options: Any) -> None:
        query = InventoryQuery(
            environment=options["environment"],
            classes=tuple(options["classes"]),
            status=options["status"],
            location=options["location"],
            search=options["search"],
            variables=tuple(v.strip() for v in options["vars"].split(",") if v.strip()),
        )
        try:
            data = (
                build_inventory(query)
                if options["list"]
                else host_inventory(options["host"], query)
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(data, indent=options["indent"] or None, cls=DjangoJSONEncoder))
