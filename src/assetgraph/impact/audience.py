"""Who an outage concerns: the teams to notify, the people to tell, the users affected.

Order of the "people to notify" list (docs/impact.md): owners of the affected services
first; the teams (owning and support groups) are their own list next to it; then the
affected *users* — custodians of end-user devices that lost or have degraded services,
grouped by the service they are listed under (a lost service before a degraded one, then
by name).

Users are counted per service they use (an edge from their device to an affected
infrastructure CI: "uses", "depends on"…), per site (the device's location, else its
asset's, else its user's; the enclosing *site* of the location tree) and per department
(the user's). Everything is vectorised over the affected devices: the only queries are one
per kind of object (assets, people, locations, departments, names of what is listed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from django.db.models import Q, QuerySet

from assetgraph import graph as engine
from assetgraph.accounts.permissions import restrict
from assetgraph.assets.models import Asset
from assetgraph.cmdb.models import CI
from assetgraph.org.choices import LocationKindChoices
from assetgraph.org.models import Department, Location, Person

from .affected import DOWN, Affected
from .report import (
    GroupCount,
    ImpactedCI,
    ImpactReport,
    PersonToNotify,
    ServiceUsers,
    TeamToNotify,
    UsersAffected,
)

__all__ = ["linked_assets", "notify"]

I64 = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]
LIST_CAP = 200
MAX_PEOPLE = 1_000
REASONS_PER_PERSON = 5
# Largest primary-key IN list sent to the database (SQLite allows 32,766 variables).
MAX_IN = 20_000


def notify(affected: Affected, report: ImpactReport) -> None:
    """Fill the report's teams, users affected and people to notify."""
    report.teams = _teams(affected, report.services)
    users, holders = _users(affected, report)
    report.users = users
    report.people = _people(affected, report, holders)


# ------------------------------------------------------------------------------ teams
def _teams(affected: Affected, services: list[ImpactedCI]) -> list[TeamToNotify]:
    """Owning teams and support groups of affected and failed CIs, most concerned first
    (department ids are small: ``bincount`` instead of one pass per team)."""
    cat = affected.cat
    infra = ~affected.endpoint
    rows = affected.rows[infra]
    down = affected.down[infra]
    f_rows, f_known = cat.rows(affected.failed_pks)
    columns = (cat.owning_team, cat.support_group)
    size = int(max(cat.owning_team.max(initial=0), cat.support_group.max(initial=0))) + 1

    def per_team(rows: I64, mask: Mask | None = None) -> I64:
        """CIs each team owns or supports (once when it does both)."""
        if mask is not None:
            rows = rows[mask]
        owning, support = (c[rows] for c in columns)
        both = np.bincount(owning[owning == support], minlength=size)
        out = np.bincount(owning, minlength=size) + np.bincount(support, minlength=size) - both
        out[0] = 0
        return out

    owns = np.bincount(cat.owning_team[rows], minlength=size)
    supports = np.bincount(cat.support_group[rows], minlength=size)
    owns[0] = supports[0] = 0
    down_count = per_team(rows, down)
    failed = per_team(f_rows[f_known])
    endpoints = per_team(affected.rows[affected.endpoint])
    ids = np.flatnonzero(owns + supports + failed + endpoints)
    if ids.size == 0:
        return []
    allowed = affected.viewer.visible(Department, ids.tolist())
    teams = Department.objects.in_bulk(sorted(allowed))
    out = [
        TeamToNotify(
            team,
            int(owns[team_id]),
            int(supports[team_id]),
            int(down_count[team_id]),
            sorted(
                s.ci.name
                for s in services
                if team_id in (s.ci.owning_team_id, s.ci.support_group_id)
            ),
            failed=int(failed[team_id]),
            endpoints=int(endpoints[team_id]),
        )
        for team_id, team in teams.items()
    ]
    out.sort(
        key=lambda t: (
            -len(t.services),
            -t.failed,
            -t.down,
            -(t.owns + t.supports),
            -t.endpoints,
            t.team.name,
        )
    )
    return out[:LIST_CAP]


# ------------------------------------------------------------------------------ users
def linked_assets(affected: Affected, rows: I64, extra: Q) -> QuerySet[Asset]:
    """Visible assets linked to the CIs at lookup ``rows`` matching ``extra``.

    The asset ids come from the lookup columns, so CIs without an asset (most servers of a
    big estate) cost nothing and the query is a primary-key lookup; only when very many
    assets are involved does it read every linked asset matching ``extra`` instead.
    """
    if not affected.viewer.assets:
        return Asset.objects.none()
    asset_ids = affected.cat.asset[rows]
    asset_ids = np.unique(asset_ids[asset_ids > 0])
    if asset_ids.size == 0:
        return Asset.objects.none()
    base = restrict(Asset.objects.filter(extra, ci__isnull=False), affected.viewer.user, "view")
    if asset_ids.size <= MAX_IN:
        return base.filter(pk__in=asset_ids.tolist())
    return base


@dataclass
class _Devices:
    """Per affected end-user device (visible): its index in the affected arrays, its user
    (0: none or hidden), the user's department and the device's site (0: none)."""

    index: I64
    person: I64
    department: I64
    site: I64


def _devices(affected: Affected) -> _Devices:
    """Users, departments and sites of the affected end-user devices (a few queries)."""
    index = np.flatnonzero(affected.endpoint)
    rows = affected.rows[index]
    asset_of = affected.cat.asset[rows]
    person = np.zeros(index.size, dtype=np.int64)
    department = np.zeros(index.size, dtype=np.int64)
    location = affected.cat.location[rows].copy()
    facts = list(
        linked_assets(affected, rows, Q()).values_list(
            "pk",
            "custodian_id",
            "custodian__department_id",
            "location_id",
            "custodian__location_id",
        )
    )
    if facts:
        table = np.array([[v or 0 for v in row] for row in facts], dtype=np.int64)
        order = np.argsort(table[:, 0])
        table = table[order]
        pos = np.minimum(np.searchsorted(table[:, 0], asset_of), table.shape[0] - 1)
        hit = (asset_of > 0) & (table[pos, 0] == asset_of)
        visible = (
            affected.viewer.visible(Person, table[:, 1][table[:, 1] > 0].tolist())
            if affected.viewer.people
            else set()
        )
        seen = np.isin(table[:, 1], np.fromiter(visible, dtype=np.int64))
        person = np.where(hit & seen[pos], table[pos, 1], 0)
        department = np.where(hit & seen[pos], table[pos, 2], 0)
        for column in (3, 4):  # the asset's location, then the user's
            fill = (location == 0) & hit & (table[pos, column] > 0)
            if column == 4:
                fill &= seen[pos]
            location = np.where(fill, table[pos, column], location)
    return _Devices(index, person, department, _sites(location))


def _sites(location: I64) -> I64:
    """The enclosing site of each location (itself if it is one; the top of its tree when
    no ancestor is a site; 0 for none). The location tree is small: one query."""
    if not location.any():
        return location
    parent: dict[int, tuple[int | None, str]] = {
        pk: (parent_id, kind)
        for pk, parent_id, kind in Location.objects.values_list("pk", "parent_id", "kind")
    }
    memo: dict[int, int] = {}

    def site(pk: int) -> int:
        if pk not in memo:
            node: int | None = pk
            top = pk
            found = 0
            seen: set[int] = set()
            while node is not None and node in parent and node not in seen:
                seen.add(node)
                top = node
                up, kind = parent[node]
                if kind == LocationKindChoices.SITE:
                    found = node
                    break
                node = up
            memo[pk] = found or top
        return memo[pk]

    distinct = np.unique(location[location > 0])
    mapped = np.array([site(int(p)) for p in distinct], dtype=np.int64)
    out = np.zeros(location.size, dtype=np.int64)
    has = location > 0
    out[has] = mapped[np.searchsorted(distinct, location[has])]
    return out


def _groups(
    affected: Affected, model: type[Location] | type[Department], keys: I64, person: I64
) -> list[GroupCount]:
    """Devices and distinct users per key (site or department); keys the caller may not
    see are merged into the ``None`` row."""
    allowed = affected.viewer.visible(model, np.unique(keys[keys > 0]).tolist())
    keys = np.where(np.isin(keys, np.fromiter(allowed, dtype=np.int64)), keys, 0)
    out: list[GroupCount] = []
    objects: dict[int, Location | Department] = dict(
        model._default_manager.in_bulk(sorted(allowed))
    )
    for key in np.unique(keys).tolist():
        mine = keys == key
        users = person[mine]
        out.append(
            GroupCount(
                objects.get(key),
                int(np.unique(users[users > 0]).size),
                int(np.count_nonzero(mine)),
            )
        )
    out.sort(key=lambda g: (g.key is None, -g.endpoints, str(g.key)))
    return out[:LIST_CAP]


@dataclass
class _Holder:
    """An affected user: their devices and the affected services those use."""

    devices: list[int]  # CI pks
    services: list[tuple[int, str]]  # (service pk, reported state), the grouping one first


def _users(affected: Affected, report: ImpactReport) -> tuple[UsersAffected, dict[int, _Holder]]:
    """Counts of affected devices and users per service, site and department, and each
    visible user's devices and services (for the people list)."""
    devices = _devices(affected)
    if devices.index.size == 0:
        return UsersAffected(), {}
    down = affected.down[devices.index]
    users = UsersAffected(
        people=int(np.unique(devices.person[devices.person > 0]).size),
        endpoints=int(devices.index.size),
        service_lost=int(np.count_nonzero(down)),
        service_degraded=int(np.count_nonzero(~down)),
    )
    owner, service_pk = _services_used(affected, devices)
    users.by_service = _by_service(affected, report, owner, service_pk, devices.person)
    users.by_site = _groups(affected, Location, devices.site, devices.person)
    users.by_department = _groups(affected, Department, devices.department, devices.person)
    return users, _holders(affected, devices, owner, service_pk)


def _services_used(affected: Affected, devices: _Devices) -> tuple[I64, I64]:
    """(device index into ``devices``, service pk) pairs: the visible affected
    infrastructure each device needs directly (engine adjacency, one gather)."""
    owner, needed = engine.direct_needs(affected.eg.graph, affected.nodes[devices.index])
    is_device = np.zeros(affected.eg.graph.n_nodes, dtype=np.bool_)
    is_device[affected.nodes[affected.endpoint]] = True
    keep = (affected.code[needed] > 0) & ~is_device[needed]
    pairs = np.unique(
        np.stack([owner[keep].astype(np.int64), affected.eg.pks_of(needed[keep])], axis=1),
        axis=0,
    ).reshape(-1, 2)
    return pairs[:, 0], pairs[:, 1]


def _state_of(affected: Affected, pk: int) -> str:
    return "down" if affected.code[affected.eg.node_of(pk)] == DOWN else "degraded"


def _by_service(
    affected: Affected, report: ImpactReport, owner: I64, service_pk: I64, person: I64
) -> list[ServiceUsers]:
    """Devices and distinct users per service used (lost services first, then most users)."""
    if service_pk.size == 0:
        return []
    keys, where = np.unique(service_pk, return_inverse=True)
    devices = np.bincount(where, minlength=keys.size)
    users = person[owner]
    pairs = np.unique(np.stack([where[users > 0], users[users > 0]], axis=1), axis=0)
    people = np.bincount(pairs[:, 0], minlength=keys.size) if pairs.size else devices * 0
    states = {int(pk): _state_of(affected, int(pk)) for pk in keys.tolist()}
    order = sorted(
        range(keys.size),
        key=lambda i: (states[int(keys[i])] != "down", -int(devices[i]), int(keys[i])),
    )
    if len(order) > LIST_CAP:
        report.truncated.append("users.by_service")
    chosen = [int(keys[i]) for i in order[:LIST_CAP]]
    found = CI.objects.select_related("ci_class").defer("attributes").in_bulk(chosen)
    return [
        ServiceUsers(found[int(keys[i])], states[int(keys[i])], int(people[i]), int(devices[i]))
        for i in order[:LIST_CAP]
        if int(keys[i]) in found
    ]


def _holders(
    affected: Affected, devices: _Devices, owner: I64, service_pk: I64
) -> dict[int, _Holder]:
    """Each visible user's devices and the services they lost (lost first, then name)."""
    holders: dict[int, _Holder] = {}
    device_pks = affected.pks[devices.index]
    for i, person in enumerate(devices.person.tolist()):
        if person:
            holders.setdefault(person, _Holder([], [])).devices.append(int(device_pks[i]))
    if not holders:
        return holders
    per_device: dict[int, list[int]] = {}
    for o, s in zip(owner.tolist(), service_pk.tolist(), strict=True):
        per_device.setdefault(o, []).append(s)
    names = dict(CI.objects.filter(pk__in=set(service_pk.tolist())).values_list("pk", "name"))
    for i, person in enumerate(devices.person.tolist()):
        if not person:
            continue
        known = holders[person].services
        for s in per_device.get(i, []):
            entry = (s, _state_of(affected, s))
            if entry not in known:
                known.append(entry)
    for holder in holders.values():
        holder.services.sort(key=lambda e: (e[1] != "down", names.get(e[0], ""), e[0]))
    return holders


# ------------------------------------------------------------------------------ people
def _people(
    affected: Affected, report: ImpactReport, holders: dict[int, _Holder]
) -> list[PersonToNotify]:
    """Owners of affected services first (by name), then affected users grouped by the
    service they are listed under (lost before degraded, then by service name, then by
    their name). At most ``MAX_PEOPLE``."""
    if not affected.viewer.people:
        return []
    owners: dict[int, list[str]] = {}
    for service in report.services:
        owner = (service.ci.attributes or {}).get("service_owner")
        if isinstance(owner, int) or (isinstance(owner, str) and owner.isdigit()):
            owners.setdefault(int(owner), []).append(
                f"owner of {service.ci.name} ({service.state})"
            )
    seen = affected.viewer.visible(Person, owners)
    owners = {pk: r for pk, r in owners.items() if pk in seen}
    services = CI.objects.defer("attributes").in_bulk(
        {h.services[0][0] for h in holders.values() if h.services}
    )

    def group_key(pk: int) -> tuple[bool, str, int]:
        first = holders[pk].services[:1]
        lost = bool(first) and first[0][1] == "down"
        name = services[first[0][0]].name if first and first[0][0] in services else "~"
        return (not lost, name, pk)

    ranked = sorted((pk for pk in holders if pk not in owners), key=group_key)
    if len(owners) + len(ranked) > MAX_PEOPLE:
        report.truncated.append("people")
    ranked = ranked[: max(MAX_PEOPLE - len(owners), 0)]
    found = Person.objects.in_bulk([*owners, *ranked])
    reasons = _Reasons(affected, [holders[pk] for pk in [*owners, *ranked] if pk in holders])
    out = [
        PersonToNotify(found[pk], sorted(r) + reasons.of(holders.get(pk)))
        for pk, r in owners.items()
        if pk in found
    ]
    out.sort(key=lambda p: str(p.person))
    users = [
        PersonToNotify(
            found[pk],
            reasons.of(holders[pk]),
            role="user",
            group=services.get(holders[pk].services[0][0]) if holders[pk].services else None,
        )
        for pk in ranked
        if pk in found
    ]
    users.sort(key=lambda p: (group_key(p.person.pk)[:2], str(p.person)))
    return (out + users)[:MAX_PEOPLE]


class _Reasons:
    """Why a user is listed, in words ("uses Finance (service lost) on lt-0042"): the names
    of the listed users' services and devices, read in two queries."""

    LABEL = {"down": "service lost", "degraded": "service degraded"}

    def __init__(self, affected: Affected, listed: list[_Holder]) -> None:
        services = {s for h in listed for s, _ in h.services[:REASONS_PER_PERSON]}
        devices = {d for h in listed for d in h.devices[:3]}
        self.names = dict(CI.objects.filter(pk__in=services | devices).values_list("pk", "name"))

    def of(self, holder: _Holder | None) -> list[str]:
        """The reasons of one user (none when ``holder`` is None)."""
        if holder is None:
            return []
        on = ", ".join(self.names.get(d, f"CI {d}") for d in holder.devices[:3])
        return [
            f"uses {self.names.get(s, f'CI {s}')} ({self.LABEL[state]}) on {on}"
            for s, state in holder.services[:REASONS_PER_PERSON]
        ]
