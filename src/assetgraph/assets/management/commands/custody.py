"""``assetgraph custody issue-kit|checkout|checkin``: hand out and take back hardware.

``issue-kit KIT PERSON…`` checks one kit out to each person in one all-or-nothing operation;
``checkout TAG --to PERSON`` (or ``--to-location``) checks one asset out; ``checkin TAG…``
takes assets back into stock. Kits resolve by name or id, people by employee number, e-mail
or id, assets by tag or id. Writes go through the services (source ``cli``); ``--user`` acts
as that user, whose permissions then apply (hidden objects are "not found").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import models

from assetgraph.accounts.permissions import restrict
from assetgraph.assets import services
from assetgraph.assets.models import Asset, Kit
from assetgraph.core.actor import Actor
from assetgraph.core.commandline import JsonCommand, cli_actor
from assetgraph.core.errors import ServiceError
from assetgraph.framework.importing import RowError, lookup
from assetgraph.org.models import Location, Person


class Command(JsonCommand):
    help = "Custody from a terminal: issue-kit KIT PERSON... | checkout TAG --to P | checkin TAG..."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["issue-kit", "checkout", "checkin"])
        parser.add_argument("target", help="the kit (issue-kit) or an asset tag")
        parser.add_argument("more", nargs="*", help="people (issue-kit) or more asset tags")
        parser.add_argument("--to", dest="to_person", help="checkout: the person")
        parser.add_argument("--to-location", help="checkout: the location (path, name or id)")
        parser.add_argument("--expected-return", type=dt.date.fromisoformat, default=None)
        parser.add_argument("--notes", default="", help="checkout or condition notes")
        parser.add_argument("--defective", action="store_true", help="checkin: returned broken")
        parser.add_argument("--user", help="act as this user (their permissions apply)")

    def handle(self, *args: Any, **options: Any) -> None:
        self.actor = self._actor(options.get("user"))
        action = str(options["action"]).replace("-", "_")
        try:
            result = getattr(self, f"_{action}")(options)
        except RowError as exc:
            raise CommandError(exc.message, returncode=2) from exc
        except ServiceError as exc:
            raise CommandError(exc.message, returncode=1) from exc
        if self.json_mode:
            self.write_json(result)

    @staticmethod
    def _actor(username: str | None) -> Actor:
        return cli_actor(username)

    def _visible(self, model: type[models.Model]) -> models.QuerySet[Any]:
        queryset = model._default_manager.all()
        return queryset if self.actor.is_system else restrict(queryset, self.actor.user, "view")

    def _asset(self, value: str) -> Asset:
        found: Asset = lookup(self._visible(Asset), value, "asset", "asset_tag")
        return found

    def _person(self, value: str) -> Person:
        found: Person = lookup(
            self._visible(Person), value, "person", "employee_number", "email", label="person"
        )
        return found

    @staticmethod
    def _record(record: Any) -> dict[str, Any]:
        return {
            "id": record.pk,
            "asset": record.asset.asset_tag,
            "to": str(record.target),
            "person": record.person_id,
            "checked_out_at": record.checked_out_at,
            "expected_return": record.expected_return,
            "acceptance": record.acceptance,
        }

    def _issue_kit(self, options: dict[str, Any]) -> dict[str, Any]:
        kit = lookup(self._visible(Kit), options["target"], "kit", "name")
        if not options["more"]:
            raise CommandError("name the people to issue the kit to", returncode=2)
        people = [self._person(value) for value in options["more"]]
        records = services.issue_kit(
            self.actor, kit, people, expected_return=options["expected_return"]
        )
        for record in records:
            self.say(f"{record.asset.asset_tag}\t{record.person}")
        self.say(f"issued {kit} to {len(people)} people ({len(records)} assets)")
        return {"kit": kit.name, "records": [self._record(r) for r in records]}

    def _checkout(self, options: dict[str, Any]) -> dict[str, Any]:
        if bool(options["to_person"]) == bool(options["to_location"]):
            raise CommandError("give exactly one of --to PERSON or --to-location", returncode=2)
        asset = self._asset(options["target"])
        person = self._person(options["to_person"]) if options["to_person"] else None
        location = (
            lookup(self._visible(Location), options["to_location"], "location", "path", "name")
            if options["to_location"]
            else None
        )
        record = services.check_out_asset(
            self.actor,
            asset,
            to_person=person,
            to_location=location,
            expected_return=options["expected_return"],
            notes=options["notes"],
        )
        self.say(f"checked out {asset.asset_tag} to {record.target}")
        return self._record(record)

    def _checkin(self, options: dict[str, Any]) -> dict[str, Any]:
        assets = [self._asset(value) for value in [options["target"], *options["more"]]]
        done = services.check_in_assets(
            self.actor, assets, condition_notes=options["notes"], defective=options["defective"]
        )
        for asset in done:
            self.say(f"checked in {asset.asset_tag} ({asset.state})")
        return {"checked_in": [{"asset": a.asset_tag, "state": a.state} for a in done]}
