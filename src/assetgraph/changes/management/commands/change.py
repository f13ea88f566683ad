"""``assetgraph change list|show|create|transition|assess``: change records from the shell,
thin over the services (the same validation, lifecycle rules and audit trail as UI and API)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import QuerySet
from django.utils import timezone

from assetgraph.accounts.permissions import restrict
from assetgraph.core.actor import Actor
from assetgraph.core.commandline import cli_actor, json_text
from assetgraph.core.errors import ServiceError

from ... import services
from ...assessment import assess_change, assessment_dict
from ...lifecycle import ChangeStateChoices, ChangeTypeChoices
from ...models import ChangeRecord, parse_change_number


def _change_ref(value: str) -> int:
    """A change named by number (``CHG00002``) or id (``2``, ``#2``)."""
    pk = parse_change_number(value)
    if pk is None and value.lstrip("#").isdigit():
        pk = int(value.lstrip("#"))
    if pk is None:
        raise ValueError(value)
    return pk


_change_ref.__name__ = "change number (CHG00002) or id"


def _when(value: str | None, name: str) -> dt.datetime | None:
    """An ISO date-time (naive = server time zone); a bad one is a usage error."""
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--{name}: not an ISO date-time ({value!r})", returncode=2) from None
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


class Command(BaseCommand):
    help = "List, show, create, move along the lifecycle and assess change records."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", help="act as this user (their permissions apply)")
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="list changes (newest planned first)")
        listing.add_argument("--state", choices=[c.value for c in ChangeStateChoices])
        listing.add_argument("--ci", type=int, help="changes touching this CI id")
        listing.add_argument("--limit", type=int, default=100)
        listing.add_argument("--json", action="store_true", help="JSON lines instead of a table")
        show = sub.add_parser("show", help="a change with its CIs (JSON)")
        show.add_argument("id", type=_change_ref, help="CHG00002 or the id")
        create = sub.add_parser("create", help="record a change (in draft)")
        create.add_argument("title")
        create.add_argument(
            "--type",
            dest="change_type",
            default="normal",
            choices=[c.value for c in ChangeTypeChoices],
        )
        create.add_argument("--description", default="")
        create.add_argument("--start", help="planned start, ISO date-time")
        create.add_argument("--end", help="planned end, ISO date-time")
        create.add_argument(
            "--down", type=int, action="append", default=[], help="CI id taken down"
        )
        create.add_argument("--touch", type=int, action="append", default=[], help="CI id kept up")
        move = sub.add_parser("transition", help="schedule, start, complete, fail, cancel, …")
        move.add_argument("id", type=_change_ref, help="CHG00002 or the id")
        move.add_argument("name")
        move.add_argument("--reason", default="")
        assess = sub.add_parser("assess", help="impact, conflicts, blackouts and risk")
        assess.add_argument("id", type=_change_ref, help="CHG00002 or the id")
        assess.add_argument("--json", action="store_true", help="the API's JSON instead of text")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self._actor(options.get("user"))
        try:
            getattr(self, f"_{options['action']}")(actor, options)
        except ServiceError as exc:
            raise CommandError(exc.message, returncode=1) from exc

    @staticmethod
    def _actor(username: str | None) -> Actor:
        return cli_actor(username)

    def _visible(self, actor: Actor) -> QuerySet[ChangeRecord]:
        base = ChangeRecord.objects.select_related("team", "owner", "requester")
        return base if actor.is_system else restrict(base, actor.user, "view")

    def _change(self, actor: Actor, pk: int) -> ChangeRecord:
        found = self._visible(actor).filter(pk=pk).first()
        if found is None:
            raise CommandError(f"change CHG{pk:05d} not found", returncode=1)
        return found

    def _list(self, actor: Actor, options: dict[str, Any]) -> None:
        rows = self._visible(actor)
        if options.get("state"):
            rows = rows.filter(state=options["state"])
        if options.get("ci"):
            rows = rows.filter(items__ci_id=options["ci"])
        found = list(rows.order_by("-planned_start", "-pk")[: options["limit"]])
        if options.get("json"):  # one document: an array of changes
            records = [
                {
                    "id": c.pk,
                    "number": c.number,
                    "state": c.state,
                    "title": c.title,
                    "planned_start": c.planned_start,
                    "planned_end": c.planned_end,
                }
                for c in found
            ]
            self.stdout.write(json_text(records))
            return
        self.stdout.write("id\tnumber\tstate\tplanned start\tplanned end\ttitle")
        for c in found:
            start = f"{c.planned_start:%Y-%m-%d %H:%M}" if c.planned_start else "-"
            end = f"{c.planned_end:%Y-%m-%d %H:%M}" if c.planned_end else "-"
            self.stdout.write(f"{c.pk}\t{c.number}\t{c.state}\t{start}\t{end}\t{c.title}")

    def _show(self, actor: Actor, options: dict[str, Any]) -> None:
        c = self._change(actor, options["id"])
        items = c.items.select_related("ci")
        data = {
            "id": c.pk,
            "number": c.number,
            "title": c.title,
            "type": c.change_type,
            "state": c.state,
            "planned_start": c.planned_start,
            "planned_end": c.planned_end,
            "actual_start": c.actual_start,
            "actual_end": c.actual_end,
            "team": str(c.team) if c.team else None,
            "owner": str(c.owner) if c.owner else None,
            "requester": str(c.requester) if c.requester else None,
            "outcome": c.outcome,
            "cis": [{"id": i.ci_id, "name": i.ci.name, "takes_down": i.takes_down} for i in items],
        }
        self.stdout.write(json_text(data))

    def _create(self, actor: Actor, options: dict[str, Any]) -> None:
        cis = [{"ci_id": pk, "takes_down": True} for pk in options["down"]]
        cis += [{"ci_id": pk, "takes_down": False} for pk in options["touch"]]
        change = services.create_change(
            actor,
            {
                "title": options["title"],
                "description": options["description"],
                "change_type": options["change_type"],
                "planned_start": _when(options.get("start"), "start"),
                "planned_end": _when(options.get("end"), "end"),
                "cis": cis,
            },
        )
        self.stdout.write(f"created change {change.pk} {change}")

    def _transition(self, actor: Actor, options: dict[str, Any]) -> None:
        change = services.transition_change(
            actor, self._change(actor, options["id"]), options["name"], reason=options["reason"]
        )
        self.stdout.write(f"{change}: now {change.state}")

    def _assess(self, actor: Actor, options: dict[str, Any]) -> None:
        change = self._change(actor, options["id"])
        assessment = assess_change(change, None if actor.is_system else actor.user)
        data = assessment_dict(assessment)
        if options["json"]:
            self.stdout.write(json_text(data))
            return
        risk = data["risk"]
        lines = [f"{change}  [{change.state}]", f"risk: {risk['band']} ({risk['score']}/100)"]
        lines += [f"  {f['name']}: {f['points']}  ({f['detail']})" for f in risk["factors"]]
        lines.append(f"affected CIs: {data['affected_count']}")
        for key, title in (("services_down", "services down"), ("services_degraded", "degraded")):
            names = ", ".join(s["display"] for s in data[key]) or "-"
            lines.append(f"{title}: {names}")
        for r in data["redundancy_lost"]:
            lines.append(
                f"redundancy lost: {r['display']} ({r['members_down']} of {r['members']} down, "
                f"tolerates {r['tolerates']})"
            )
        for c in data["conflicts"]:
            shared = ", ".join(x["display"] for x in c["shared_cis"] + c["shared_services"])
            lines.append(f"CONFLICT with {c['change']['display']}: {shared}")
        for b in data["blackouts"]:
            window = f"{b['start']:%Y-%m-%d %H:%M} → {b['end']:%Y-%m-%d %H:%M}"
            lines.append(f"BLACKOUT: {b['display']} ({window})")
        for f in data["recent_failures"]:
            lines.append(f"recent failure: {f['display']}")
        lines.append(f"people affected: {data['people_count']}")
        lines.extend(f"note: {n}" for n in data["notes"])
        self.stdout.write("\n".join(lines))
