"""The CMDB as an Ansible inventory (the JSON of an inventory script: ``--list``/``--host``).

Hosts are the current CIs below the "Computer System" class (servers, virtual machines,
container nodes), leaving out end-user devices, narrowed by a query (environment, class,
status, location, a name search). Each host is named by its ``hostname`` attribute, else its
CI name. Groups:

- ``class_<class>`` for the CI's class and every class above it;
- ``env_<environment>``;
- ``location_<site>`` for every location on the path (region, site, building …);
- ``service_<service>`` for each business service that depends on the host (the dependency
  path from the impact graph);
- ``tag_<tag>`` from the CI attribute ``tags`` (a list or a comma-separated text).

Host variables: ``ansible_host`` (the ``ip_address`` attribute), ``assetgraph_id``,
``assetgraph_class``, ``assetgraph_environment``, ``assetgraph_status``,
``assetgraph_criticality``, ``assetgraph_location``, and the CI's attributes (all, or the keys
asked for), each prefixed ``cmdb_``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from assetgraph.accounts.permissions import restrict
from assetgraph.cmdb.choices import ClassSlug
from assetgraph.cmdb.models import CI, CIClass, semantic_class_ids, subclass_ids
from assetgraph.impact.costs import current_service_pks, needed_by

HOST_CLASS = "Computer System"


def group_name(prefix: str, text: str) -> str:
    """A valid Ansible group name: letters, digits and underscores."""
    slug = re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower()
    return f"{prefix}_{slug or 'none'}"


@dataclass(frozen=True)
class InventoryQuery:
    """Which hosts to list and which attributes become variables."""

    environment: str = ""
    classes: tuple[str, ...] = ()
    status: str = ""
    location: str = ""
    search: str = ""
    variables: tuple[str, ...] = ()  # empty: every attribute
    include_endpoints: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def hosts(query: InventoryQuery, user: Any = None) -> QuerySet[CI]:
    """The CIs the inventory lists (only those ``user`` may see, when given)."""
    roots = list(CIClass.objects.filter(name__in=query.classes or (HOST_CLASS,)))
    class_ids = set(subclass_ids(*[c.pk for c in roots])) if roots else set()
    if not query.include_endpoints and not query.classes:
        class_ids -= set(semantic_class_ids(ClassSlug.END_USER_DEVICE))
    cis: QuerySet[CI] = CI.objects.current().filter(ci_class_id__in=class_ids)
    if query.environment:
        cis = cis.filter(environment=query.environment)
    if query.status:
        cis = cis.filter(operational_status=query.status)
    if query.location:
        cis = cis.filter(
            Q(location__path=query.location) | Q(location__path__startswith=query.location + " / ")
        )
    if query.search:
        cis = cis.filter(name__icontains=query.search)
    if user is not None:
        cis = restrict(cis, user, "view")
    return cis.select_related("ci_class", "location").order_by("name", "pk")


def _ancestors(classes: dict[int, CIClass], start: int) -> list[CIClass]:
    chain: list[CIClass] = []
    current = classes.get(start)
    while current is not None and current not in chain:
        chain.append(current)
        current = classes.get(current.parent_id) if current.parent_id else None
    return chain


def _tags(ci: CI) -> list[str]:
    raw = (ci.attributes or {}).get("tags")
    if isinstance(raw, str):
        return [t.strip() for t in raw.split(",") if t.strip()]
    if isinstance(raw, list):
        return [str(t).strip() for t in raw if str(t).strip()]
    return []


def host_name(ci: CI) -> str:
    return str((ci.attributes or {}).get("hostname") or ci.name)


def host_vars(ci: CI, variables: Iterable[str] = ()) -> dict[str, Any]:
    """The variables of one host."""
    attributes = ci.attributes or {}
    wanted = set(variables)
    out: dict[str, Any] = {
        "assetgraph_id": ci.pk,
        "assetgraph_name": ci.name,
        "assetgraph_class": ci.ci_class.name,
        "assetgraph_environment": ci.environment,
        "assetgraph_status": ci.operational_status,
        "assetgraph_criticality": ci.criticality,
        "assetgraph_location": ci.location.path if ci.location is not None else "",
    }
    if attributes.get("ip_address"):
        out["ansible_host"] = attributes["ip_address"]
    for key, value in sorted(attributes.items()):
        if not wanted or key in wanted:
            out[f"cmdb_{key}"] = value
    return out


def build_inventory(query: InventoryQuery, user: Any = None) -> dict[str, Any]:
    """The ``--list`` JSON: groups with hosts, ``all`` with its children, and ``_meta``."""
    cis = list(hosts(query, user))
    classes = {c.pk: c for c in CIClass.objects.all()}
    groups: dict[str, set[str]] = defaultdict(set)
    hostvars: dict[str, dict[str, Any]] = {}
    by_pk: dict[int, str] = {}
    for ci in cis:
        name = host_name(ci)
        if name in hostvars:  # two CIs with one hostname: keep both, the second by its id
            name = f"{name}_{ci.pk}"
        by_pk[ci.pk] = name
        hostvars[name] = host_vars(ci, query.variables)
        for klass in _ancestors(classes, ci.ci_class_id):
            groups[group_name("class", klass.name)].add(name)
        groups[group_name("env", ci.environment)].add(name)
        if ci.location is not None:
            for part in ci.location.path.split(" / "):
                groups[group_name("location", part)].add(name)
        for tag in _tags(ci):
            groups[group_name("tag", tag)].add(name)
    services = current_service_pks()
    if services and by_pk:
        names = dict(CI.objects.filter(pk__in=services).values_list("pk", "name"))
        for service, needs in needed_by(services).items():
            for pk in needs & set(by_pk):
                groups[group_name("service", names[service])].add(by_pk[pk])
    inventory: dict[str, Any] = {
        name: {"hosts": sorted(members)} for name, members in sorted(groups.items())
    }
    grouped = set().union(*groups.values()) if groups else set()
    inventory["all"] = {"children": sorted([*groups, "ungrouped"])}
    inventory["ungrouped"] = {"hosts": sorted(set(hostvars) - grouped)}
    inventory["_meta"] = {"hostvars": hostvars}
    return inventory


def host_inventory(name: str, query: InventoryQuery, user: Any = None) -> dict[str, Any]:
    """The ``--host H`` JSON: that host's variables (``{}`` when unknown, as Ansible expects)."""
    for ci in hosts(query, user).filter(Q(name=name) | Q(attributes__hostname=name)):
        return host_vars(ci, query.variables)
    return {}
