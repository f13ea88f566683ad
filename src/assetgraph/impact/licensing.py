"""Graph answers for licensing: the physical hosts a piece of software can run on.

Why here: the licences app must not read the estate graph itself (only ``impact`` adapts the
CMDB to graph questions). Per-core licences count "the cores of the hardware the software
really runs on"; where a licence says so, software on a VM counts every host of the farm or
cluster the VM can move to. This module answers, for many CIs at once, which hosts those are
and the path that puts them in scope (``Oracle DB → runs on → fin-db-01 → hosted on →
Farm A → has member → 8 hosts``).

The walk is set-based: one query per level for all the CIs together (``runs on`` and
``hosted on`` edges downwards, at most :data:`MAX_DEPTH` levels), then one query for the
members of every group CI (farm, cluster) reached. Plain ids in, plain ids out.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import QuerySet

from assetgraph.cmdb.models import CI, Relationship

__all__ = ["HOSTING_TYPES", "MAX_DEPTH", "Exposure", "hosts_for"]

# Relationship types that mean "the source runs on the target's hardware".
HOSTING_TYPES = ("runs on", "hosted on")
MAX_DEPTH = 4


@dataclass(frozen=True)
class Exposure:
    """Where one CI's software runs.

    ``direct_hosts``: the hosts it runs on now (the end of the ``runs on``/``hosted on``
    chain, or the CI itself); ``farm_hosts``: those plus every member of a farm or cluster on
    the chain; ``path``: CI ids from the CI down to the first group (or host), followed by the
    group's member hosts; ``group``: the farm or cluster, if any.
    """

    ci: int
    direct_hosts: tuple[int, ...]
    farm_hosts: tuple[int, ...]
    path: tuple[int, ...] = ()
    group: int | None = None
    edges: tuple[str, ...] = field(default=())


def _relationships(as_of: dt.datetime | None) -> QuerySet[Relationship]:
    base = Relationship.objects.all()
    return base.as_of(as_of) if as_of is not None else base.current()


def _walk_down(
    starts: set[int], as_of: dt.datetime | None
) -> dict[int, dict[int, tuple[int, str]]]:
    """Per start CI, parent pointers ``{node: (previous node, edge name)}`` of everything it
    reaches along hosting edges (the start itself has none). One query per level."""
    parents: dict[int, dict[int, tuple[int, str]]] = {s: {} for s in starts}
    frontier: set[tuple[int, int]] = {(s, s) for s in starts}
    for _ in range(MAX_DEPTH):
        if not frontier:
            break
        by_node: dict[int, list[int]] = defaultdict(list)
        for start, node in frontier:
            by_node[node].append(start)
        rows = (
            _relationships(as_of)
            .filter(source_id__in=list(by_node), type__name__in=HOSTING_TYPES)
            .order_by("target_id")
            .values_list("source_id", "target_id", "type__name")
        )
        nxt: set[tuple[int, int]] = set()
        for source, target, name in rows:
            for start in by_node[source]:
                seen = parents[start]
                if target != start and target not in seen:
                    seen[target] = (source, name)
                    nxt.add((start, target))
        frontier = nxt
    return parents


def _chain(node: int, parent: dict[int, tuple[int, str]]) -> list[tuple[int, str]]:
    """``[(start, ""), (next, edge), …, (node, edge)]`` following the parent pointers up."""
    steps: list[tuple[int, str]] = []
    current = node
    while current in parent:
        previous, edge = parent[current]
        steps.append((current, edge))
        current = previous
    steps.append((current, ""))
    return list(reversed(steps))


def _members(groups: set[int], as_of: dt.datetime | None) -> dict[int, set[int]]:
    members: dict[int, set[int]] = defaultdict(set)
    if groups:
        for source, target in (
            _relationships(as_of)
            .filter(target_id__in=groups, type__is_membership=True)
            .values_list("source_id", "target_id")
        ):
            members[target].add(source)
    return members


def hosts_for(ci_ids: Iterable[int], *, as_of: dt.datetime | None = None) -> dict[int, Exposure]:
    """The :class:`Exposure` of each CI in ``ci_ids``. A handful of queries whatever the
    number of CIs.

    Without farm exposure a CI counts on ``direct_hosts``: the physical end of its hosting
    chain, or, when the chain ends at a farm or cluster (a VM not pinned to a host), the last
    CI before it (the VM: its virtual cores). With farm exposure it counts on every member
    host of that farm or cluster (``farm_hosts``).
    """
    starts = set(ci_ids)
    if not starts:
        return {}
    parents = _walk_down(starts, as_of)
    every = set(starts).union(*(set(p) for p in parents.values()))
    groups = set(
        CI.objects.filter(pk__in=every, ci_class__is_group=True).values_list("pk", flat=True)
    )
    members = _members(groups, as_of)
    result: dict[int, Exposure] = {}
    for start in starts:
        parent = parents[start]
        nodes = {start, *parent}
        with_out = {previous for previous, _ in parent.values()}
        group = next((n for n in sorted(nodes) if n in groups), None)
        if group is not None:
            chain = _chain(group, parent)
            before_group = chain[-2][0] if len(chain) > 1 else start
            hosts = sorted(members[group])
            result[start] = Exposure(
                ci=start,
                direct_hosts=(before_group,),
                farm_hosts=tuple(hosts),
                path=(*(n for n, _ in chain), *hosts),
                group=group,
                edges=(*(e for _, e in chain), *(["has member"] * len(hosts))),
            )
            continue
        leaves = sorted(n for n in nodes if n not in with_out) or [start]
        chain = _chain(leaves[0], parent)
        result[start] = Exposure(
            ci=start,
            direct_hosts=tuple(leaves),
            farm_hosts=tuple(leaves),
            path=tuple(n for n, _ in chain),
            edges=tuple(e for _, e in chain),
        )
    return result
