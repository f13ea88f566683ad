"""``assetgraph ci list|show|create|relate|retire``: the CMDB from the shell, thin over the
services (the same validation and audit trail as the UI and API)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assetgraph.core.actor import Actor
from assetgraph.core.attributes import public_values
from assetgraph.core.commandline import cli_actor, json_text
from assetgraph.core.errors import ServiceError

from ... import services
from ...history import cis_as_of, parse_when
from ...models import CI, CIClass, RelationshipType, subclass_ids
from ...querysets import neighbours, visible_cis


class Command(BaseCommand):
    help = "List, show, create, relate and retire CIs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", help="act as this user (their permissions apply)")
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="list current CIs")
        listing.add_argument("--class", dest="ci_class", help="class name (subclasses too)")
        listing.add_argument("--q", help="name contains")
        listing.add_argument("--as-of", help="ISO timestamp")
        listing.add_argument("--limit", type=int, default=100)
        listing.add_argument("--json", action="store_true", help="JSON lines instead of a table")
        show = sub.add_parser("show", help="a CI with its attributes and relationships")
        show.add_argument("id", type=int)
        show.add_argument("--as-of", help="ISO timestamp")
        create = sub.add_parser("create", help="create a CI")
        create.add_argument("ci_class", help="class name")
        create.add_argument("name")
        create.add_argument(
            "--set", action="append", default=[], help="field=value or attr.key=value"
        )
        relate = sub.add_parser("relate", help="relate two CIs: SOURCE_ID TYPE TARGET_ID")
        relate.add_argument("source", type=int)
        relate.add_argument("type", help='relationship type name, e.g. "runs on"')
        relate.add_argument("target", type=int)
        retire = sub.add_parser("retire", help="retire a CI (its relationships end too)")
        retire.add_argument("id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self._actor(options.get("user"))
        try:
            getattr(self, f"_{options['action']}")(actor, options)
        except ServiceError as exc:
            raise CommandError(exc.message, returncode=1) from exc

    @staticmethod
    def _actor(username: str | None) -> Actor:
        return cli_actor(username)

    def _visible(self, actor: Actor, when: Any = None, **kwargs: Any) -> Any:
        if actor.is_system:
            base = CI.objects.select_related("ci_class")
            return base.as_of(when) if when else base.filter(**kwargs) if kwargs else base
        return visible_cis(actor.user, when, **kwargs)

    def _ci(self, actor: Actor, pk: int, when: Any = None) -> CI:
        found: CI | None = self._visible(actor, when).filter(pk=pk).first()
        if found is None:
            raise CommandError(f"CI {pk} not found", returncode=1)
        return found

    def _list(self, actor: Actor, options: dict[str, Any]) -> None:
        when = parse_when(options.get("as_of"))
        rows = self._visible(actor, when)
        if when is None:
            rows = rows.filter(valid_to__isnull=True)
        if options.get("ci_class"):
            ci_class = CIClass.objects.filter(name__iexact=options["ci_class"]).first()
            if ci_class is None:
                raise CommandError(f"no class {options['ci_class']!r}", returncode=2)
            rows = rows.filter(ci_class_id__in=subclass_ids(ci_class.pk))
        if options.get("q"):
            rows = rows.filter(name__icontains=options["q"])
        page = list(rows.order_by("name_key", "pk")[: options["limit"]])
        if when is not None:
            page = cis_as_of(page, when)
        if options.get("json"):  # one document: an array of CIs
            records = [
                {
                    "id": ci.pk,
                    "class": str(ci.ci_class),
                    "name": ci.name,
                    "status": ci.operational_status,
                }
                for ci in page
            ]
            self.stdout.write(json_text(records))
            return
        self.stdout.write("id\tclass\tname\tstatus")
        for ci in page:
            self.stdout.write(f"{ci.pk}\t{ci.ci_class}\t{ci.name}\t{ci.operational_status}")

    def _show(self, actor: Actor, options: dict[str, Any]) -> None:
        when = parse_when(options.get("as_of"))
        ci = self._ci(actor, options["id"], when)
        if when is not None:
            ci = cis_as_of([ci], when)[0]
        data = {
            "id": ci.pk,
            "name": ci.name,
            "class": str(ci.ci_class),
            "status": ci.operational_status,
            "environment": ci.environment,
            "criticality": ci.criticality,
            "attributes": public_values(ci.attributes),
            "valid_from": ci.valid_from.isoformat(),
            "valid_to": ci.valid_to.isoformat() if ci.valid_to else None,
        }
        if not actor.is_system:
            links = neighbours(actor.user, ci, "both", when)
            data["relationships"] = [f"{n.direction}: {n.verb} {n.ci} (#{n.ci.pk})" for n in links]
        else:
            data["relationships"] = self._system_links(ci, when)
        self.stdout.write(json_text(data))

    @staticmethod
    def _system_links(ci: CI, when: Any) -> list[str]:
        from ...models import Relationship

        rels = Relationship.objects.select_related("source", "target", "type")
        rels = rels.as_of(when) if when else rels.current()
        lines = [f"down: {r.type.name} {r.target} (#{r.target_id})" for r in rels.filter(source=ci)]
        lines += [
            f"up: {r.type.reverse_name} {r.source} (#{r.source_id})" for r in rels.filter(target=ci)
        ]
        return lines

    def _create(self, actor: Actor, options: dict[str, Any]) -> None:
        ci_class = CIClass.objects.filter(name__iexact=options["ci_class"]).first()
        if ci_class is None:
            raise CommandError(f"no class {options['ci_class']!r}", returncode=2)
        values: dict[str, Any] = {"name": options["name"], "ci_class": ci_class}
        attributes: dict[str, Any] = {}
        for pair in options["set"]:
            key, sep, value = pair.partition("=")
            if not sep:
                raise CommandError(f"--set {pair!r}: use field=value", returncode=2)
            if key.startswith("attr."):
                attributes[key[5:]] = value
            else:
                values[key] = value
        values["attributes"] = attributes
        ci = services.create_ci(actor, values)
        self.stdout.write(f"created CI {ci.pk} {ci}")

    def _relate(self, actor: Actor, options: dict[str, Any]) -> None:
        rel_type = RelationshipType.objects.filter(name__iexact=options["type"]).first()
        if rel_type is None:
            raise CommandError(f"no relationship type {options['type']!r}", returncode=2)
        rel = services.add_relationship(
            actor,
            {
                "source": self._ci(actor, options["source"]),
                "target": self._ci(actor, options["target"]),
                "type": rel_type,
            },
        )
        self.stdout.write(f"related: {rel} (relationship {rel.pk})")

    def _retire(self, actor: Actor, options: dict[str, Any]) -> None:
        ci = services.retire_ci(actor, self._ci(actor, options["id"]))
        self.stdout.write(f"retired CI {ci.pk} {ci} at {ci.valid_to:%Y-%m-%d %H:%M:%S}")
