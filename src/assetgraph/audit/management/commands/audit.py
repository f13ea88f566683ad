"""``assetgraph audit verify | seal``: check or extend the audit hash chain."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assetgraph.audit.services import seal_pending, verify_chain


class Command(BaseCommand):
    help = "Verify the audit chain (exit 1 naming the first broken event) or seal pending events."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify", "seal"])
        parser.add_argument(
            "--no-seal", action="store_true", help="verify: do not seal pending events first"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "seal" or not options["no_seal"]:
            sealed = seal_pending()
            if sealed:
                self.stdout.write(f"sealed {sealed} pending event(s)")
        if options["action"] == "seal":
            return
        result = verify_chain()
        if not result.ok:
            raise CommandError(
                f"audit chain broken at event #{result.broken_event_id} "
                f"(chain position {result.broken_chain_seq}): {result.reason}; "
                f"{result.checked} event(s) before it verified",
                returncode=1,
            )
        suffix = f", {result.unsealed} not yet sealed" if result.unsealed else ""
        self.stdout.write(
            self.style.SUCCESS(f"audit chain intact: {result.checked} event(s) verified{suffix}")
        )
