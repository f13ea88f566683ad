"""``assetgraph roles``: the built-in roles and what each may do."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from assetgraph.accounts.roles import ROLE_DESCRIPTIONS, builtin_grants, roles_markdown
from assetgraph.core.commandline import JsonCommand


class Command(JsonCommand):
    help = "Show the built-in roles and their permission sets."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--markdown", action="store_true", help="print the table used in docs/roles.md"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["json"]:
            self.write_json(
                {
                    "roles": [
                        {
                            "role": role,
                            "description": ROLE_DESCRIPTIONS.get(role, ""),
                            "grants": {kind: list(actions) for kind, actions in grants.items()},
                        }
                        for role, grants in builtin_grants().items()
                    ]
                }
            )
            return
        if options["markdown"]:
            self.stdout.write(roles_markdown(), ending="")
            return
        from rich.console import Console
        from rich.table import Table

        table = Table(title="Built-in roles")
        table.add_column("Role")
        table.add_column("Object type")
        table.add_column("Actions")
        for role, grants in builtin_grants().items():
            first = True
            for object_type, actions in grants.items():
                table.add_row(role if first else "", object_type, ", ".join(actions))
                first = False
            if first:
                table.add_row(role, "—", ROLE_DESCRIPTIONS[role])
        Console(file=self.stdout).print(table)  # type: ignore[arg-type]
