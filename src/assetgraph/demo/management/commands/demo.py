"""``assetgraph demo``: load the demo company and print the demo logins."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandParser

from assetgraph.core.commandline import JsonCommand, working
from assetgraph.demo.generator import load_demo


class Command(JsonCommand):
    help = "Load the deterministic demo company (or reset the demo logins' passwords if loaded)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--people", type=int, default=300)

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        with working("Loading the demo company…"):
            result = load_demo(seed=options["seed"], people=options["people"])
        credentials = settings.DATA_DIR / "demo-logins.txt"
        if options["json"]:
            self._save(credentials, result.accounts)
            self.write_json(
                {
                    "created": result.created,
                    "people": result.people,
                    "locations": result.locations,
                    "logins": [
                        {"username": username, "role": role, "password": password}
                        for username, role, password in result.accounts
                    ],
                    "logins_file": str(credentials),
                }
            )
            return
        if result.created:
            self.stdout.write(
                f"Loaded the demo company: {result.people} people, {result.locations} locations."
            )
        else:
            loaded = f"The demo company is already loaded ({result.people} people)"
            self.stdout.write(f"{loaded}; demo passwords were reset.")
        lines = [
            f"  {username:<12} {password:<20} {role}"
            for username, role, password in result.accounts
        ]
        text = "Demo logins (username, password, role):\n" + "\n".join(lines)
        self.stdout.write(text)
        self._save(credentials, result.accounts)
        self.stdout.write(f"(also saved to {credentials})")

    @staticmethod
    def _save(credentials: Any, accounts: Any) -> None:
        """The demo logins in a file only its owner may read."""
        lines = [f"  {username:<12} {password:<20} {role}" for username, role, password in accounts]
        text = "Demo logins (username, password, role):\n" + "\n".join(lines)
        fd = os.open(credentials, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(text + "\n")
