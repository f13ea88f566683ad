"""``assetgraph audit_campaign start|scan|close|show``: physical audits from a terminal.

``start LOCATION`` (path, name or id) prints the new campaign's id; ``scan ID TAG…`` records
tags (or reads them one per line from stdin with ``-``, e.g. from a keyboard-wedge scanner);
``close ID`` marks the rest missing and stamps the audit dates; ``show ID`` lists the results.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import CommandError, CommandParser

from assetgraph.assets import audits, services
from assetgraph.assets.models import AuditCampaign
from assetgraph.core.actor import Actor
from assetgraph.core.commandline import JsonCommand, cli_actor
from assetgraph.core.errors import ServiceError
from assetgraph.framework.importing import RowError, lookup
from assetgraph.org.models import Location


class Command(JsonCommand):
    help = "Run a physical audit campaign: start LOCATION | scan ID TAG... | close ID | show ID."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["start", "scan", "close", "show"])
        parser.add_argument("target", help="a location (start) or a campaign id")
        parser.add_argument("tags", nargs="*", help="asset tags to scan ('-': read stdin)")
        parser.add_argument("--name", default="", help="campaign name (start)")
        parser.add_argument("--user", help="act as this user (their permissions apply)")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self._actor(options.get("user"))
        try:
            result = getattr(self, f"_{options['action']}")(actor, options)
        except ServiceError as exc:
            raise CommandError(exc.message, returncode=1) from exc
        if self.json_mode:
            self.write_json(result)

    @staticmethod
    def _campaign_data(campaign: AuditCampaign) -> dict[str, Any]:
        return {
            "id": campaign.pk,
            "name": campaign.name,
            "location": campaign.location.path,
            "status": campaign.status,
            "started_at": campaign.started_at,
            "closed_at": campaign.closed_at,
        }

    def _start(self, actor: Actor, options: dict[str, Any]) -> dict[str, Any]:
        try:
            location = lookup(Location.objects.all(), options["target"], "location", "path", "name")
        except RowError as exc:
            raise CommandError(exc.message, returncode=2) from exc
        campaign = services.start_audit_campaign(actor, location, name=options["name"])
        expected = campaign.items.count()
        self.say(f"started campaign {campaign.pk}: {campaign} ({expected} expected)")
        return {**self._campaign_data(campaign), "expected": expected}

    def _campaign(self, options: dict[str, Any]) -> AuditCampaign:
        target = str(options["target"]).removeprefix("#")
        campaign = (
            AuditCampaign.objects.filter(pk=int(target)).first() if target.isdigit() else None
        )
        if campaign is None:
            raise CommandError(f"no audit campaign {options['target']!r}", returncode=2)
        return campaign

    def _scan(self, actor: Actor, options: dict[str, Any]) -> dict[str, Any]:
        campaign = self._campaign(options)
        tags = list(options["tags"])
        if tags == ["-"]:
            tags = [line.strip() for line in sys.stdin if line.strip()]
        if not tags:
            raise CommandError("give the tags to scan (or '-' to read them from stdin)")
        scans = []
        for tag in tags:
            outcome = services.scan_asset_tag(actor, campaign, tag)
            note = " (again)" if outcome.repeated else ""
            self.say(f"{outcome.result}{note}: {outcome.message}")
            scans.append(
                {
                    "tag": tag,
                    "result": outcome.result,
                    "repeated": outcome.repeated,
                    "message": outcome.message,
                }
            )
        return {"campaign": campaign.pk, "scans": scans}

    def _close(self, actor: Actor, options: dict[str, Any]) -> dict[str, Any]:
        summary = services.close_audit_campaign(actor, self._campaign(options))
        counts = ", ".join(f"{k}: {v}" for k, v in summary.counts.items())
        self.say(f"closed {summary.campaign}: {counts}; {summary.stamped} assets stamped")
        return {
            **self._campaign_data(summary.campaign),
            "counts": dict(summary.counts),
            "stamped": summary.stamped,
        }

    def _show(self, actor: Actor, options: dict[str, Any]) -> dict[str, Any]:
        campaign = audits.attach_counts(self._campaign(options))
        self.say(f"{campaign} [{campaign.status}] at {campaign.location}")
        items = []
        for item in audits.items_of(campaign):
            self.say(f"  {item.tag:<20} {item.result}")
            items.append({"tag": item.tag, "result": item.result, "scanned_at": item.scanned_at})
        counts = getattr(campaign, "result_counts", {})
        return {**self._campaign_data(campaign), "counts": counts, "items": items}

    @staticmethod
    def _actor(username: str | None) -> Actor:
        return cli_actor(username)
