"""``assetgraph requests list|show|submit|approve|reject|cancel|fulfil``: self-service
requests from the shell, thin over the services (same lifecycle, permissions and audit)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from assetgraph.core.actor import Actor
from assetgraph.core.commandline import JsonCommand, add_json_flag, cli_actor
from assetgraph.core.errors import ServiceError
from assetgraph.org.models import Location, Person

from ... import services
from ...api import request_steps
from ...choices import RequestStateChoices
from ...models import CatalogueEntry, StockRequest


class Command(JsonCommand):
    help = "List, show, submit and move self-service requests along their lifecycle."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", help="act as this user (their permissions apply)")
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="requests (newest first)")
        listing.add_argument("--state", choices=RequestStateChoices.values)
        listing.add_argument("--limit", type=int, default=100)
        add_json_flag(listing)
        show = sub.add_parser("show", help="a request with its steps (JSON)")
        show.add_argument("id", type=int)
        add_json_flag(show)  # show always prints JSON; accepted for uniformity
        submit = sub.add_parser("submit", help="request a catalogue entry")
        submit.add_argument("entry", help="catalogue entry title or id")
        submit.add_argument("--reason", required=True)
        submit.add_argument("--quantity", type=int, default=1)
        submit.add_argument("--for", dest="requester", help="employee number (on behalf)")
        add_json_flag(submit)
        for name in ("approve", "reject", "cancel", "fulfil"):
            move = sub.add_parser(name, help=f"{name} a request")
            move.add_argument("id", type=int)
            move.add_argument("--note", default="")
            add_json_flag(move)
            if name == "fulfil":
                move.add_argument("--from", dest="source", help="storeroom location path")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = cli_actor(options.get("user"))
        action = options["action"]
        try:
            if action in ("approve", "reject", "cancel", "fulfil"):
                self._transition(actor, action, options)
            else:
                getattr(self, f"_{action}")(actor, options)
        except ServiceError as exc:
            raise CommandError(exc.message, returncode=1) from exc

    def _visible(self, actor: Actor) -> Any:
        base = StockRequest.objects.select_related("requester", "entry")
        return base if actor.is_system else services.visible_requests(actor.user)

    def _request(self, actor: Actor, pk: int) -> StockRequest:
        found = self._visible(actor).filter(pk=pk).first()
        if found is None:
            raise CommandError(f"request {pk} not found", returncode=1)
        return found  # type: ignore[no-any-return]

    def _list(self, actor: Actor, options: dict[str, Any]) -> None:
        rows = self._visible(actor)
        if options.get("state"):
            rows = rows.filter(state=options["state"])
        page = list(rows.order_by("-created", "-pk")[: options["limit"]])
        if self.json_mode:
            self.write_json([_request_data(r) for r in page])
            return
        self.stdout.write("id\tnumber\tstate\trequester\tquantity\tentry")
        for r in page:
            self.stdout.write(
                f"{r.pk}\t{r.number}\t{r.state}\t{r.requester}\t{r.quantity}\t{r.entry.title}"
            )

    def _show(self, actor: Actor, options: dict[str, Any]) -> None:
        r = self._request(actor, options["id"])
        self.write_json({**_request_data(r), "steps": request_steps(r)})

    def _submit(self, actor: Actor, options: dict[str, Any]) -> None:
        raw = options["entry"]
        entries = CatalogueEntry.objects.filter(active=True)
        entry = entries.filter(pk=int(raw)).first() if raw.isdigit() else None
        entry = entry or entries.filter(title__iexact=raw).first()
        if entry is None:
            raise CommandError(f"catalogue entry {raw!r} not found", returncode=1)
        requester = None
        if options.get("requester"):
            requester = Person.objects.filter(employee_number=options["requester"]).first()
            if requester is None:
                raise CommandError(f"person {options['requester']!r} not found", returncode=1)
        made = services.submit_request(
            actor,
            entry,
            reason=options["reason"],
            quantity=options["quantity"],
            requester=requester,
        )
        self.say(f"submitted {made.number} ({made.state})")
        if self.json_mode:
            self.write_json(_request_data(made))

    def _transition(self, actor: Actor, name: str, options: dict[str, Any]) -> None:
        current = self._request(actor, options["id"])
        source = None
        if options.get("source"):
            source = Location.objects.filter(path__iexact=options["source"]).first()
            if source is None:
                raise CommandError(f"location {options['source']!r} not found", returncode=1)
        done = services.transition_request(
            actor, current, name, note=options["note"], from_location=source
        )
        self.say(f"{done.number}: {done.state} {done.fulfilment}".rstrip())
        if self.json_mode:
            self.write_json(_request_data(done))


def _request_data(r: StockRequest) -> dict[str, Any]:
    """A request as ``--json`` prints it."""
    return {
        "id": r.pk,
        "number": r.number,
        "requester": str(r.requester) if r.requester else None,
        "entry": r.entry.title,
        "quantity": r.quantity,
        "reason": r.reason,
        "state": r.state,
        "fulfilment": r.fulfilment,
        "created": r.created,
    }
