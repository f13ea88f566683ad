"""``assetgraph audit verify | seal | checkpoint``: check, extend or checkpoint the audit chain.

``verify`` only reads: it never seals pending events first, because sealing would link a row
inserted behind the application's back into the chain and so make it look genuine.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from assetgraph.audit.checkpoint import checkpoint_path, write_checkpoint
from assetgraph.audit.services import seal_pending, verify_chain
from assetgraph.core.commandline import JsonCommand


class Command(JsonCommand):
    help = (
        "verify: check the audit chain, its unsealed events and the last checkpoint without "
        "writing (exit 1 naming the first problem); seal: link pending events into the chain "
        "and checkpoint its head; checkpoint: write the signed checkpoint of the chain head."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify", "seal", "checkpoint"])
        parser.add_argument(
            "--no-seal",
            action="store_true",
            help="accepted for compatibility: verify never seals",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help=(
                "checkpoint: replace a checkpoint the chain no longer matches (only after "
                "restoring a backup on purpose: it stops verify reporting that truncation)"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "verify":
            self._verify()
            return
        sealed = None
        if action == "seal":
            sealed = seal_pending()
            self.say(f"sealed {sealed} pending event(s)")
        checkpoint, message = write_checkpoint(reset=options["reset"])
        if "not overwritten" in message or (checkpoint is None and "nothing sealed" not in message):
            raise CommandError(f"audit checkpoint: {message}", returncode=1)
        self.say(f"{message} ({checkpoint_path()})")
        if self.json_mode:
            self.write_json(
                {
                    "action": action,
                    "sealed": sealed,
                    "checkpoint": message,
                    "checkpoint_file": str(checkpoint_path()),
                }
            )

    def _verify(self) -> None:
        result = verify_chain()
        if not result.ok:
            where = []
            if result.broken_event_id is not None:
                where.append(f"event #{result.broken_event_id}")
            if result.broken_chain_seq is not None:
                where.append(f"chain position {result.broken_chain_seq}")
            at = f" at {' '.join(where[:1])}" if where else ""
            position = f" ({where[1]})" if len(where) > 1 else ""
            self.error_details = {
                "ok": False,
                "broken_event_id": result.broken_event_id,
                "broken_chain_seq": result.broken_chain_seq,
                "reason": result.reason,
                "checked": result.checked,
            }
            raise CommandError(
                f"audit chain broken{at}{position}: {result.reason}; "
                f"{result.checked} event(s) before it verified",
                returncode=1,
            )
        if self.json_mode:
            self.write_json(
                {
                    "ok": True,
                    "checked": result.checked,
                    "unsealed": result.unsealed,
                    "checkpoint_seq": result.checkpoint_seq,
                    "warnings": list(result.warnings),
                }
            )
            return
        for warning in result.warnings:
            self.stdout.write(self.style.WARNING(f"warning: {warning}"))
        against = (
            f", matches the checkpoint at position {result.checkpoint_seq}"
            if result.checkpoint_seq is not None
            else ""
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"audit chain intact: {result.checked} event(s) verified{against}"
                + (f", {result.unsealed} not yet sealed" if result.unsealed else "")
            )
        )
