"""``assetgraph drift [--fix] [--json]``: hardware CIs that disagree with their asset."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from assetgraph.core.actor import Actor, Source
from assetgraph.core.commandline import json_text

from ...drift import find_drift, fix_drift


class Command(BaseCommand):
    help = "Report (and with --fix, repair) drift between hardware CIs and their assets."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--fix", action="store_true", help="fix it through the services")
        parser.add_argument("--json", action="store_true", help="machine-readable output")

    def handle(self, *args: Any, **options: Any) -> None:
        found = find_drift()
        fixed: dict[str, int] | None = None
        if options["fix"] and found:
            actor = Actor.system("drift fix", source=Source.CLI)
            fixed = fix_drift(actor)
        if options["json"]:
            payload = {"drift": [d.as_dict() for d in found], "fixed": fixed}
            self.stdout.write(json_text(payload))
            return
        if not found:
            self.stdout.write("no drift: every hardware CI agrees with its asset")
            return
        for item in found:
            self.stdout.write(f"{item.kind:14} {item.ci.name}: {item.detail}")
        if fixed is not None:
            self.stdout.write("fixed: " + ", ".join(f"{k} {v}" for k, v in fixed.items()))
        else:
            self.stdout.write(f"{len(found)} drift(s); run with --fix to repair them")
