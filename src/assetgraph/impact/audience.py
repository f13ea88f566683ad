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
    report.users, devices, uses = _users(affected, report)
    report.people = _people(affected, report, devices, uses)


# ------------------------------------------------------------------------------ teams
def _teams(affected: Affected, services: list[ImpactedCI]) -> list[TeamToNotify]:
    """Owning teams and support groups of affected and failed CIs, most concerned first.

    The affected CIs were counted per owning team and per support group, split by DOWN and
    end-user device, in :func:`~assetgraph.impact.affected.affect`'s one pass over the
    lookup columns: a CI counts for each team that owns or supports it, once when the same
    team does both.
    """
    cat = affected.cat
    size = cat.team_slots
    tally = affected.team_tally
    by_owner, by_support = tally[0], tally[1]
    once = by_owner + by_support - tally[2]  # kinds: 2 * down + endpoint
    owns = by_owner[:, 0] + by_owner[:, 2]  # infrastructure CIs, down or degraded
    supports = by_support[:, 0] + by_support[:, 2]
    down_count = once[:, 2]
    endpoints = once[:, 1] + once[:, 3]
    f_rows, f_known = cat.rows(affected.failed_pks)
    f_rows = f_rows[f_known]
    f_owning, f_support = cat.owning_team[f_rows], cat.support_group[f_rows]
    failed = (
        np.bincount(f_owning, minlength=size)
        + np.bincount(f_support, minlength=size)
        - np.bincount(f_owning[f_owning == f_support], minlength=size)
    )
    failed[0] = 0
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
def linked_assets(affected: Affected, asset_ids: I64, extra: Q) -> QuerySet[Asset]:
    """Visible assets among ``asset_ids`` (those linked to some CIs, from the lookup
    columns: :func:`~assetgraph.graph.nonzero_at`) matching ``extra``.

    CIs without an asset (most servers of a big estate) cost nothing and the query is a
    primary-key lookup; only when very many assets are involved does it read every linked
    asset matching ``extra`` instead.
    """
    if not affected.viewer.assets:
        return Asset.objects.none()
    asset_ids = np.unique(asset_ids)
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
        linked_assets(affected, asset_of[asset_of > 0], Q()).values_list(
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


def _counts(keys: I64, person: I64) -> tuple[I64, I64, I64]:
    """Distinct keys, devices per key and distinct users (non-zero) per key (vectorised)."""
    distinct, where = np.unique(keys, return_inverse=True)
    devices = np.bincount(where, minlength=distinct.size)
    known = person > 0
    pairs = np.unique(np.stack([where[known], person[known]], axis=1), axis=0).reshape(-1, 2)
    people = np.bincount(pairs[:, 0], minlength=distinct.size)
    return distinct, devices, people


def _groups(
    affected: Affected, model: type[Location] | type[Department], keys: I64, person: I64
) -> list[GroupCount]:
    """Devices and distinct users per key (site or department); keys the caller may not
    see are merged into the ``None`` row."""
    allowed = affected.viewer.visible(model, np.unique(keys[keys > 0]).tolist())
    keys = np.where(np.isin(keys, np.fromiter(allowed, dtype=np.int64)), keys, 0)
    objects: dict[int, Location | Department] = dict(
        model._default_manager.in_bulk(sorted(allowed))
    )
    distinct, devices, people = _counts(keys, person)
    out = [
        GroupCount(objects.get(int(key)), int(people[i]), int(devices[i]))
        for i, key in enumerate(distinct.tolist())
    ]
    out.sort(key=lambda g: (g.key is None, -g.endpoints, str(g.key)))
    return out[:LIST_CAP]


@dataclass
class _Uses:
    """Which affected service each affected device uses, ranked for grouping: the
    (device index, service pk) pairs, each service's rank (lost before degraded, then by
    name) and state."""

    owner: I64
    service: I64
    rank: I64  # per pair
    services: dict[int, tuple[int, str]]  # service pk -> (rank, state)


def _users(affected: Affected, report: ImpactReport) -> tuple[UsersAffected, _Devices, _Uses]:
    """Counts of affected devices and users per service, site and department."""
    devices = _devices(affected)
    uses = _services_used(affected, devices)
    if devices.index.size == 0:
        return UsersAffected(), devices, uses
    down = affected.down[devices.index]
    users = UsersAffected(
        people=int(np.unique(devices.person[devices.person > 0]).size),
        endpoints=int(devices.index.size),
        service_lost=int(np.count_nonzero(down)),
        service_degraded=int(np.count_nonzero(~down)),
    )
    users.by_service = _by_service(report, uses, devices.person)
    users.by_site = _groups(affected, Location, devices.site, devices.person)
    users.by_department = _groups(affected, Department, devices.department, devices.person)
    return users, devices, uses


def _services_used(affected: Affected, devices: _Devices) -> _Uses:
    """The visible affected infrastructure each device needs directly (engine adjacency,
    one gather), with the grouping rank of each service."""
    if devices.index.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return _Uses(empty, empty, empty, {})
    owner, needed = engine.direct_needs(affected.eg.graph, affected.nodes[devices.index])
    is_device = np.zeros(affected.eg.graph.n_nodes, dtype=np.bool_)
    is_device[affected.nodes[affected.endpoint]] = True
    code = affected.code_of(needed)
    keep = (code > 0) & ~is_device[needed]
    down = code[keep] == DOWN
    pairs = np.unique(
        np.stack([owner[keep].astype(np.int64), affected.eg.pks_of(needed[keep]), down], axis=1),
        axis=0,
    ).reshape(-1, 3)
    state = {int(pk): "down" if lost else "degraded" for _, pk, lost in pairs.tolist()}
    names = dict(CI.objects.filter(pk__in=list(state)).values_list("pk", "name"))
    ranked = sorted(state, key=lambda pk: (state[pk] != "down", names.get(pk, ""), pk))
    services = {pk: (rank, state[pk]) for rank, pk in enumerate(ranked)}
    rank = np.array([services[pk][0] for pk in pairs[:, 1].tolist()], dtype=np.int64)
    return _Uses(pairs[:, 0], pairs[:, 1], rank, services)


def _by_service(report: ImpactReport, uses: _Uses, person: I64) -> list[ServiceUsers]:
    """Devices and distinct users per service used (lost services first, then most users)."""
    if uses.service.size == 0:
        return []
    keys, devices, people = _counts(uses.service, person[uses.owner])
    state = {pk: uses.services[pk][1] for pk in keys.tolist()}
    order = sorted(
        range(keys.size),
        key=lambda i: (state[int(keys[i])] != "down", -int(devices[i]), int(keys[i])),
    )
    if len(order) > LIST_CAP:
        report.truncated.append("users.by_service")
        report.totals["users.by_service"] = len(order)
    chosen = [int(keys[i]) for i in order[:LIST_CAP]]
    found = CI.objects.select_related("ci_class").defer("attributes").in_bulk(chosen)
    return [
        ServiceUsers(found[int(keys[i])], state[int(keys[i])], int(people[i]), int(devices[i]))
        for i in order[:LIST_CAP]
        if int(keys[i]) in found
    ]


# ------------------------------------------------------------------------------ people
def _people(
    affected: Affected, report: ImpactReport, devices: _Devices, uses: _Uses
) -> list[PersonToNotify]:
    """Owners of affected services first (by name), then affected users grouped by the
    service they are listed under (their best-ranked one: lost before degraded, then by
    name), then by name. At most ``MAX_PEOPLE``: users are chosen in group order."""
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
    # each user's group: the best rank over the services of all their devices
    people = np.unique(devices.person[devices.person > 0])
    last = len(uses.services)
    group = np.full(people.size, last, dtype=np.int64)
    if uses.owner.size:
        who = np.searchsorted(people, devices.person[uses.owner])
        known = devices.person[uses.owner] > 0
        np.minimum.at(group, who[known], uses.rank[known])
    order = np.lexsort((people, group))
    users = [int(pk) for pk in people[order].tolist() if int(pk) not in owners]
    if len(owners) + len(users) > MAX_PEOPLE:
        report.truncated.append("people")
        report.totals["people"] = len(owners) + len(users)
    users = users[: max(MAX_PEOPLE - len(owners), 0)]
    found = Person.objects.in_bulk([*owners, *users])
    reasons = _Reasons(affected, devices, uses, [*owners, *users])
    by_rank = {rank: pk for pk, (rank, _) in uses.services.items()}
    group_of = dict(zip(people.tolist(), group.tolist(), strict=True))
    groups = CI.objects.defer("attributes").in_bulk(
        {by_rank[group_of[pk]] for pk in users if group_of[pk] < last}
    )
    listed = [
        PersonToNotify(found[pk], sorted(r) + reasons.of(pk))
        for pk, r in owners.items()
        if pk in found
    ]
    listed.sort(key=lambda p: str(p.person))
    grouped = [
        PersonToNotify(
            found[pk],
            reasons.of(pk),
            role="user",
            group=groups.get(by_rank.get(group_of[pk], 0)),
        )
        for pk in users
        if pk in found
    ]
    grouped.sort(key=lambda p: (group_of[p.person.pk], str(p.person)))
    return listed + grouped


class _Reasons:
    """Why a user is listed, in words ("uses Finance (service lost) on lt-0042"), for the
    listed users only: their devices and services, and those names in one query."""

    LABEL = {"down": "service lost", "degraded": "service degraded"}

    def __init__(self, affected: Affected, devices: _Devices, uses: _Uses, listed: list[int]):
        wanted = np.isin(devices.person, np.array(listed, dtype=np.int64))
        device_pks = affected.pks_at(devices.index)
        self.devices: dict[int, list[int]] = {}
        for i in np.flatnonzero(wanted).tolist():
            self.devices.setdefault(int(devices.person[i]), []).append(int(device_pks[i]))
        self.services: dict[int, set[int]] = {}
        mine = wanted[uses.owner]
        for o, service in zip(uses.owner[mine].tolist(), uses.service[mine].tolist(), strict=True):
            self.services.setdefault(int(devices.person[o]), set()).add(service)
        self.rank = uses.services
        pks = {d for ds in self.devices.values() for d in ds[:3]}
        pks |= {s for ss in self.services.values() for s in ss}
        self.names = dict(CI.objects.filter(pk__in=pks).values_list("pk", "name"))

    def of(self, person: int) -> list[str]:
        """The reasons of one user (none when they are not an affected user)."""
        if person not in self.devices:
            return []
        on = ", ".join(self.names.get(d, f"CI {d}") for d in self.devices[person][:3])
        services = sorted(self.services.get(person, ()), key=lambda s: self.rank[s][0])
        return [
            f"uses {self.names.get(s, f'CI {s}')} ({self.LABEL[self.rank[s][1]]}) on {on}"
            for s in services[:REASONS_PER_PERSON]
        ]
