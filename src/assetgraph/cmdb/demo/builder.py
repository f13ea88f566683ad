"""Bulk creation of demo CIs and relationships through the bulk-write engine, validated as
the services validate them."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from assetgraph.core.actor import Actor
from assetgraph.core.errors import ValidationFailed
from assetgraph.framework.importing import create_objects
from assetgraph.org.models import Department

from .. import services
from ..models import CI, CIClass, Relationship, RelationshipType, definitions_by_class

if TYPE_CHECKING:
    from assetgraph.demo.generator import DemoContext

from .data import DOMAIN, INFRA, OS_CHOICES, STORY_CIS, STORY_TYPES, SUBNETS


class _Estate:
    """Collects CIs and relationships, then writes them: bulk for most, services for the
    story objects. CI names are unique in the demo, so relationships name their ends."""

    def __init__(self, context: DemoContext) -> None:
        self.actor: Actor = context.actor
        self.rng = context.rng
        self.classes = {c.name: c for c in CIClass.objects.all()}
        self.definitions = definitions_by_class(c.pk for c in self.classes.values())
        self.types = {t.name: t for t in RelationshipType.objects.all()}
        self.departments = {d.code: d for d in Department.objects.all()}
        self.cis: dict[str, CI] = {}
        self.story = set(STORY_CIS)  # plus Minh's laptop, once known
        self.links: list[tuple[str, str, str]] = []
        self._seen: set[tuple[str, str, str]] = set()
        self._ips: dict[str, Iterator[ipaddress.IPv4Address]] = {}

    def team(self, code: str) -> Department | None:
        return self.departments.get(code) or self.departments.get(code.split("-")[0])

    def ip(self, subnet: str) -> str:
        if subnet not in self._ips:
            self._ips[subnet] = ipaddress.IPv4Network(SUBNETS[subnet][0]).hosts()
            next(self._ips[subnet])  # .1 is the gateway
        return str(next(self._ips[subnet]))

    def ci(self, klass: str, name: str, **values: Any) -> CI:
        if name in self.cis:
            raise ValueError(f"demo CI {name!r} defined twice")
        values.setdefault("owning_team", self.team(INFRA))
        values.setdefault("support_group", self.team(INFRA))
        values.setdefault("source", "demo")
        ci = CI(name=name, ci_class=self.classes[klass], **values)
        self.cis[name] = ci
        return ci

    def host(self, klass: str, name: str, subnet: str, **values: Any) -> CI:
        """A computer system with a host name, an address in ``subnet`` and an OS."""
        os_name, os_version = self.rng.choice(OS_CHOICES)
        attributes = {
            "hostname": name,
            "domain": DOMAIN,
            "ip_address": self.ip(subnet),
            "os": os_name,
            "os_version": os_version,
            **values.pop("attributes", {}),
        }
        return self.ci(klass, name, attributes=attributes, **values)

    def link(self, source: str, kind: str, target: str) -> None:
        key = (source, kind, target)
        if source == target or key in self._seen:
            return
        self._seen.add(key)
        self.links.append(key)

    # -- writing ------------------------------------------------------------------------

    def save(self) -> None:
        bulk = [ci for name, ci in self.cis.items() if name not in self.story]
        for ci in bulk:
            ci.use_definitions(self.definitions[ci.ci_class_id])
        _create(self.actor, bulk)
        for name in sorted(self.story):
            ci = self.cis[name]
            values = {
                f.name: getattr(ci, f.name)
                for f in CI._meta.concrete_fields
                if f.editable and f.name not in {"id", "valid_from", "valid_to", "created"}
            }
            self.cis[name] = services.create_ci(self.actor, values)
        story: list[tuple[str, str, str]] = []
        rels: list[Relationship] = []
        for source, kind, target in self.links:
            if source in self.story and target in self.story and kind in STORY_TYPES:
                story.append((source, kind, target))
                continue
            rels.append(
                Relationship(
                    source=self.cis[source], target=self.cis[target], type=self.types[kind]
                )
            )
        _create(self.actor, rels)
        for source, kind, target in story:
            services.add_relationship(
                self.actor,
                {"source": self.cis[source], "target": self.cis[target], "type": self.types[kind]},
            )


def _create(actor: Actor, instances: list[CI] | list[Relationship]) -> None:
    """Validate (the services' ``full_clean()``; references are built here, so they are not
    re-checked row by row, and uniqueness holds by construction: names and links are
    de-duplicated), insert and audit the rows in bulk."""
    try:
        create_objects(actor, instances)
    except ValidationFailed as exc:
        raise ValueError(f"demo estate: {exc.message}: {exc.fields}") from exc
