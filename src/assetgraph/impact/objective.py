"""Objective graph answers for other apps (change assessment, later finance and security):
what failing a set of CIs takes down or degrades over the whole estate, regardless of who asks.

Not :func:`assetgraph.impact.analysis.analyse_impact`: that is a user-facing report (it needs a
user who can see every failed CI, and pages its lists); these are the plain facts, cheap enough
to run several times per request, and callers filter what they name with ``restrict``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import numpy as np
import numpy.typing as npt
from django.db.models import Count

from assetgraph import graph as engine
from assetgraph.audit.models import AuditEvent
from assetgraph.cmdb.choices import RedundancyModeChoices
from assetgraph.cmdb.models import Relationship
from assetgraph.framework.flags import IdList

from .catalogue import catalogue, node_rows
from .estate import (
    GRAPH_OBJECT_TYPES,
    KIND,
    LOOKBACK,
    EstateGraph,
    UnknownCI,
    cache_stats,
    estate_graph,
)

I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
Mask = npt.NDArray[np.bool_]
DOWN, DEGRADED = int(engine.NodeState.DOWN), int(engine.NodeState.DEGRADED)

EMPTY = np.zeros(0, dtype=np.int64)
EMPTY_NODES = np.zeros(0, dtype=np.int32)
# Bounds of the per-process caches below (LRU): single impacts (one per change and per pair
# that needed an engine run) and node masks (one per graph revision and set of classes).
IMPACT_CACHE_SIZE = 512
GROUP_CHUNK = 2_000  # ids per SQL IN list (SQLite limits query parameters)
# Up to this many DOWN CIs, groups_left_degraded reads the memberships of the DOWN CIs; beyond,
# every membership of the degraded groups (whichever is fewer rows, roughly).
MAX_DOWN_LOOKUP = 20_000
COUNT = KIND[RedundancyModeChoices.COUNT.value]  # "at least N members up" (else percent)
KINDS_CACHE_SIZE = 2

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
T = TypeVar("T")


class LRU(Generic[K, V]):
    """A small thread-safe least-recently-used map (per process; bounded by ``size``)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.lock = threading.Lock()
        self.items: OrderedDict[K, V] = OrderedDict()
        self.generation: Hashable = None
        self.hits = self.misses = 0

    def get(self, key: K) -> V | None:
        with self.lock:
            found = self.items.get(key)
            if found is None:
                self.misses += 1
                return None
            self.hits += 1
            self.items.move_to_end(key)
            return found

    def put(self, key: K, value: V, generation: Hashable = None) -> None:
        """Remember ``value``; a new ``generation`` (e.g. the audit revision) first forgets
        every entry of the previous one: they can no longer be asked for, and dead entries
        would only lengthen the garbage collector's full passes."""
        with self.lock:
            if generation is not None and generation != self.generation:
                self.items.clear()
                self.generation = generation
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.hits = self.misses = 0


def revision_key(eg: EstateGraph) -> tuple[int, int, str, int, int]:
    """What identifies the estate a graph was built from: the newest audit event id, the
    number of events in the look-back window below it (a late commit) and that event's
    timestamp (ids repeat after a restore), plus this process's graph rebuild and snapshot
    map counts (a bulk load writes no audit event; ``estate.clear_cache`` then forces a
    rebuild, which moves the key). Every write through a service appends an audit event, so
    a cached answer keyed by this cannot outlive a write."""
    stats = cache_stats()
    return eg.revision, eg.window_count, eg.revision_at, stats["rebuilds"], stats["mapped"]


class _Same:
    """An object in a cache key, compared by identity (held, so its id is not reused)."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and self.value is other.value

    def __hash__(self) -> int:
        return id(self.value)


# Graph-object events read per new revision at most (more: a new graph epoch, conservatively)
MAX_EPOCH_EVENTS = 5_000


class _GraphEpochs:
    """The graph epoch of recent revisions (see :func:`graph_key`)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latest: tuple[int, int, str, int, int] | None = None  # newest revision_key seen
        self.epoch = 0
        # ids of the graph-object events in the look-back window below ``latest``'s revision
        self.known: frozenset[int] = frozenset()
        self.by_key: OrderedDict[tuple[int, int, str, int, int], int] = OrderedDict()


_EPOCHS = _GraphEpochs()


def graph_key(eg: EstateGraph) -> Hashable:
    """What identifies the estate *graph* (not the whole estate) ``eg`` was built from: the
    key of the engine-answer caches below.

    Why not :func:`revision_key`: every audited write moves the audit revision, also one that
    cannot change the graph (a change record's title). The estate graph is a function of the
    audit events on CIs, relationships and relationship types (``estate.GRAPH_OBJECT_TYPES``;
    it applies exactly those on refresh) and of this process's rebuilds and snapshot maps.
    So the epoch moves — and cached engine answers are recomputed — when between the last
    revision seen and this one there is any such event (including a late-committed one in
    the estate's look-back window: ids not seen before), a rebuild, a newly mapped snapshot,
    or the last revision's event changed (a restore). Otherwise the graph has the content it
    had, and an answer computed on it is exactly the engine's answer now. Conservative: an
    event that leaves the graph as it was (a CI's description) still moves it.

    The events are read once per new revision (one query on the audit table's id range, the
    look-back window and what was written since). As exact as the estate's own freshness
    check: the window must hold as many events as the graph counted when it was built
    (``window_count``), else an event committed late since and the graph is keyed by its
    objects. Past (``as_of``) graphs, and a graph older than the newest seen (another thread
    still holding it), are keyed by the graph objects themselves (identity, held by the key
    so no id is reused), which never mixes two graphs.
    """
    key = revision_key(eg)
    if eg.as_of is not None:
        return ("objects", _Same(eg.graph), _Same(eg.ci_pks), _Same(eg.redundancy))
    with _EPOCHS.lock:
        found = _EPOCHS.by_key.get(key)
        if found is not None:
            return ("epoch", found)
        latest = _EPOCHS.latest
        if latest is not None and key[0] < latest[0]:
            if _event_time(latest[0]) == latest[2]:  # an older graph, still in use
                return ("objects", _Same(eg.graph), _Same(eg.ci_pks), _Same(eg.redundancy))
            latest = None  # the newest revision seen is gone (a restore): a new history
        low = max(min(latest[0] if latest else key[0], key[0]) - LOOKBACK, 0)
        rows = list(
            AuditEvent.objects.filter(id__gt=low, id__lte=key[0])
            .order_by()
            .values_list("id", "object_type")[: MAX_EPOCH_EVENTS + 1]
        )
        window = key[0] - LOOKBACK
        if len(rows) <= MAX_EPOCH_EVENTS and sum(i > window for i, _ in rows) != key[1]:
            # the look-back window is not what the graph was built from (an event committed
            # late since): this graph is keyed by its objects, the epochs are left as they are
            return ("objects", _Same(eg.graph), _Same(eg.ci_pks), _Same(eg.redundancy))
        graph_types = set(GRAPH_OBJECT_TYPES)
        ids = [i for i, kind in rows if kind in graph_types]
        same = (
            latest is not None
            and len(rows) <= MAX_EPOCH_EVENTS
            and key[3:] == latest[3:]
            and not set(ids) - _EPOCHS.known
            and (key[:3:2] == latest[:3:2] or _event_time(latest[0]) == latest[2])
        )
        if not same:
            _EPOCHS.epoch += 1
        _EPOCHS.latest = key
        _EPOCHS.known = frozenset(i for i in ids if i > window)
        _EPOCHS.by_key[key] = _EPOCHS.epoch
        while len(_EPOCHS.by_key) > 8:
            _EPOCHS.by_key.popitem(last=False)
        return ("epoch", _EPOCHS.epoch)


def _event_time(event_id: int) -> str:
    """ISO timestamp of one audit event ("" when there is none), as ``revision_key`` has it."""
    at = AuditEvent.objects.filter(id=event_id).values_list("timestamp", flat=True).first()
    return at.isoformat() if at is not None else ""


def clear_caches() -> None:
    """Forget the cached impacts and node masks (tests, diagnostics; after a bulk load outside
    the services, which writes no audit event): the graph epoch moves too."""
    _IMPACTS.clear()
    _KINDS.clear()
    with _EPOCHS.lock:
        _EPOCHS.latest = None
        _EPOCHS.by_key.clear()


@dataclass(frozen=True, eq=False)
class EstateImpact:
    """Impact of taking some CIs down, as arrays (a change on a core switch can touch
    hundreds of thousands of CIs: no per-CI Python objects, no SQL ``IN`` lists of them).

    ``failed`` are the CIs taken down (sorted pks), ``affected``/``states`` the CIs the
    failure reaches and their engine state (DEGRADED or DOWN).
    """

    failed: I64
    affected: I64
    states: npt.NDArray[np.int8]
    # engine nodes of ``failed`` and ``affected`` (same order) in the graph the impact was
    # computed on: class and group lookups index node masks instead of sorting pks
    failed_nodes: I32 = field(default_factory=lambda: EMPTY_NODES)
    affected_nodes: I32 = field(default_factory=lambda: EMPTY_NODES)
    # memoised derived arrays (an impact is immutable and may sit in a cache)
    _memo: dict[Any, Any] = field(default_factory=dict, repr=False)

    def touched(self) -> I64:
        """Failed and affected CIs (sorted, unique)."""
        if "touched" not in self._memo:
            self._memo["touched"] = np.union1d(self.failed, self.affected)
        out: I64 = self._memo["touched"]
        return out

    def down(self) -> I64:
        """Failed CIs plus the affected ones that are DOWN (sorted, unique)."""
        if "down" not in self._memo:
            self._memo["down"] = np.union1d(self.failed, self.affected[self.states == DOWN])
        out: I64 = self._memo["down"]
        return out

    def remembered(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, kept with the impact under ``key``: for facts derived from it that
        depend on nothing the graph epoch does not cover (see :func:`graph_key`)."""
        if key not in self._memo:
            self._memo[key] = compute()
        out: T = self._memo[key]
        return out

    def state_of(self, pks: Iterable[int]) -> dict[int, int]:
        """Engine state of a few CIs (DOWN for failed ones; unaffected ones are left out)."""
        wanted = np.fromiter((int(p) for p in pks), dtype=np.int64)
        result: dict[int, int] = {}
        if wanted.size == 0:
            return result
        if self.affected.size:
            order = np.argsort(self.affected)
            keys = self.affected[order]
            pos = np.minimum(np.searchsorted(keys, wanted), keys.size - 1)
            hit = keys[pos] == wanted
            found = self.states[order][pos[hit]].tolist()
            for pk, state in zip(wanted[hit].tolist(), found, strict=True):
                result[pk] = int(state)
        for pk in np.intersect1d(wanted, self.failed).tolist():
            result[pk] = DOWN
        return result


NO_IMPACT = EstateImpact(EMPTY, EMPTY, np.zeros(0, dtype=np.int8))


def impact_of(down_pks: Iterable[int], eg: EstateGraph | None = None) -> EstateImpact:
    """Run the engine's impact for CIs taken down (retired/unknown CIs are ignored).

    Not :func:`assetgraph.impact.analysis.analyse_impact`: that is a user-facing report (it
    needs a user who can see every failed CI, and pages its lists); an assessment needs the
    objective impact, also of CIs the reader may not see, and several runs per change.
    ``eg``: the estate graph when the caller already holds it (saves the revision check).
    """
    pks = sorted({int(p) for p in down_pks})
    if not pks:
        return NO_IMPACT
    eg = eg or estate_graph()
    try:
        nodes = eg.nodes_of(pks)
    except UnknownCI as exc:
        missing = set(exc.pks)
        pks = [p for p in pks if p not in missing]
        if not pks:
            return NO_IMPACT
        nodes = eg.nodes_of(pks)
    result = engine.impact(eg.graph, nodes)
    return EstateImpact(
        np.array(pks, dtype=np.int64),
        eg.pks_of(result.nodes),
        result.states.astype(np.int8),
        nodes.astype(np.int32),
        result.nodes.astype(np.int32),
    )


_IMPACTS: LRU[tuple[Any, ...], Any] = LRU(IMPACT_CACHE_SIZE)


def cached_impact_of(down_pks: Iterable[int], eg: EstateGraph) -> EstateImpact:
    """:func:`impact_of`, remembered per process by (:func:`graph_key`, the CIs taken down).

    Why: assessing 30 changes in one window runs the same 30 single-change impacts 30 times;
    the impact depends on nothing but the graph and the failed CIs. Keyed by the graph itself
    epoch, not the audit revision, so a write that leaves the graph as it was (a change record
    edited) does not recompute them. Past (``as_of``) graphs are not cached.
    """
    pks = tuple(sorted({int(p) for p in down_pks}))
    if eg.as_of is not None or not pks:
        return impact_of(pks, eg)
    key = ("impact", graph_key(eg), pks)
    found = _IMPACTS.get(key)
    if found is None:
        found = impact_of(pks, eg)
        _IMPACTS.put(key, found, key[1])
    out: EstateImpact = found
    return out


@dataclass(frozen=True, eq=False)
class NodeKinds:
    """Per engine node: is it one of some classes (e.g. business services), and is it a
    redundancy group (redundancy enabled: the engine counts its DOWN members)."""

    of_class: Mask
    group: Mask
    key: tuple[Any, ...]  # graph_key, class ids


_KINDS: LRU[tuple[Any, ...], NodeKinds] = LRU(KINDS_CACHE_SIZE)


def node_kinds(eg: EstateGraph, class_ids: Iterable[int]) -> NodeKinds:
    """The :class:`NodeKinds` masks of ``eg``, cached by :func:`graph_key` (the catalogue's
    class column changes only with a CI's audit event, which moves the graph's epoch too)."""
    ids = tuple(sorted({int(c) for c in class_ids}))
    cat = catalogue()
    key = (graph_key(eg), ids)
    found = _KINDS.get(key)
    if found is not None:
        return found
    rows, known = node_rows(eg, cat)
    of_class = known.copy()
    if cat.pks.size:
        of_class &= np.isin(cat.ci_class[rows], np.array(ids, dtype=np.int64))
    group = np.zeros(eg.graph.n_nodes, dtype=np.bool_)
    if eg.redundancy and eg.ci_pks.size:
        red = np.fromiter(eg.redundancy, dtype=np.int64, count=len(eg.redundancy))
        pos = np.minimum(np.searchsorted(eg.ci_pks, red), eg.ci_pks.size - 1)
        group[pos[eg.ci_pks[pos] == red]] = True
    kinds = NodeKinds(of_class, group, key)
    _KINDS.put(key, kinds)
    return kinds


def touched_of_kind(impact: EstateImpact, kinds: NodeKinds) -> I64:
    """The failed and affected CIs of ``kinds``' classes (sorted pks; node masks, no sort of
    the whole impact). The impact must come from the graph ``kinds`` was built for."""
    if impact.failed_nodes.size != impact.failed.size:  # built without nodes (NO_IMPACT)
        return EMPTY
    memo = ("of_kind", kinds.key)
    if memo not in impact._memo:
        impact._memo[memo] = np.sort(
            np.concatenate(
                [
                    impact.failed[kinds.of_class[impact.failed_nodes]],
                    impact.affected[kinds.of_class[impact.affected_nodes]],
                ]
            )
        )
    out: I64 = impact._memo[memo]
    return out


def _degraded_group_nodes(impact: EstateImpact, kinds: NodeKinds) -> I32:
    """Engine nodes of redundancy groups the impact leaves DEGRADED (sorted)."""
    if "degraded_groups" not in impact._memo:
        nodes = impact.affected_nodes
        keep = (impact.states == DEGRADED) & kinds.group[nodes]
        impact._memo["degraded_groups"] = np.sort(nodes[keep])
    out: I32 = impact._memo["degraded_groups"]
    return out


def _down_members(impact: EstateImpact, eg: EstateGraph) -> tuple[I32, I64, I64]:
    """Redundancy groups with DOWN members under ``impact``, counted the engine's way (one per
    member edge into the group): ``(group nodes sorted, DOWN members, DOWN members that take
    the group down)``. Read from the graph's impact arrays (internal node order)."""
    if "down_members" not in impact._memo:
        graph = eg.graph
        arrays = graph.impact_arrays()
        down = np.concatenate([impact.failed_nodes, impact.affected_nodes[impact.states == DOWN]])
        if down.size == 0 or not arrays.has_counted:
            impact._memo["down_members"] = (EMPTY_NODES, EMPTY, EMPTY)
        else:
            inner = graph.to_internal(down).astype(np.int64)
            starts = arrays.indptr[inner]
            lengths = arrays.indptr[inner + 1] - starts
            offsets = np.cumsum(lengths) - lengths
            pos = np.arange(int(lengths.sum())) + np.repeat(starts - offsets, lengths)
            targets = arrays.indices[pos[arrays.counted[pos]]]
            groups, counts = np.unique(targets, return_counts=True)
            outer = graph.to_external(groups.astype(np.int32))
            order = np.argsort(outer)
            impact._memo["down_members"] = (
                outer[order].astype(np.int32),
                counts[order].astype(np.int64),
                arrays.threshold[groups][order].astype(np.int64),
            )
    found: tuple[I32, I64, I64] = impact._memo["down_members"]
    return found


def may_take_down_together(
    a: EstateImpact, b: EstateImpact, kinds: NodeKinds, eg: EstateGraph
) -> bool:
    """False when failing both sets of CIs provably takes down nothing beyond what either
    takes down alone, so no engine run is needed for the pair.

    Why it is exact: DOWN is the least fixpoint of "a DOWN non-member predecessor, or at
    least *threshold* DOWN members of a redundancy group". Start from the union of both DOWN
    sets: a plain node with a DOWN predecessor from either side is already DOWN on that side,
    so the first CI that only the pair takes down must be a redundancy group that neither
    takes down (both leave it DEGRADED), with DOWN members from both sides that together
    reach its threshold — and the members down under both number at most the two counts
    added. No such group: the union is the fixpoint.
    """
    if a.failed.size == 0 or b.failed.size == 0:
        return False
    both = np.intersect1d(_degraded_group_nodes(a, kinds), _degraded_group_nodes(b, kinds))
    if both.size == 0:
        return False
    groups_a, counts_a, thresholds = _down_members(a, eg)
    groups_b, counts_b, _ = _down_members(b, eg)
    common, ia, ib = np.intersect1d(groups_a, groups_b, assume_unique=True, return_indices=True)
    enough = counts_a[ia] + counts_b[ib] >= thresholds[ia]
    return bool((enough & np.isin(common, both)).any())


def down_only_together(a: EstateImpact, b: EstateImpact, eg: EstateGraph, kinds: NodeKinds) -> I64:
    """CIs of ``kinds``' classes or redundancy groups that failing both sets takes DOWN and
    neither does alone (sorted pks), e.g. a farm that survives each change but not both.

    One engine run on the union of the failed CIs unless :func:`may_take_down_together`
    rules it out; only the DOWN nodes that are services or groups are mapped back to pks.
    Remembered per (:func:`graph_key`, both failed sets) like :func:`cached_impact_of`, in
    either order.
    """
    if not may_take_down_together(a, b, kinds, eg):
        return EMPTY
    sides = sorted((tuple(a.failed.tolist()), tuple(b.failed.tolist())))
    key = ("together", kinds.key, *sides)
    found = _IMPACTS.get(key)
    if found is not None:
        out: I64 = found
        return out
    failed = np.union1d(a.failed_nodes, b.failed_nodes)
    result = engine.impact(eg.graph, failed)
    down = result.nodes[result.states == DOWN]
    notable = down[kinds.of_class[down] | kinds.group[down]]
    pks = np.sort(eg.pks_of(notable))
    pks = pks[~(np.isin(pks, a.down()) | np.isin(pks, b.down()))]
    _IMPACTS.put(key, pks, kinds.key[0])
    return pks


def of_classes(pks: I64, class_ids: set[int]) -> I64:
    """The CIs among ``pks`` whose class is one of ``class_ids`` (catalogue lookup, numpy)."""
    if pks.size == 0 or not class_ids:
        return EMPTY
    cat = catalogue()
    pos, found = cat.rows(pks)
    classes = cat.ci_class[pos]
    keep = found & np.isin(classes, np.fromiter(class_ids, dtype=np.int64))
    return pks[keep]


def service_pks(impact: EstateImpact, service_ids: set[int]) -> set[int]:
    """Business services the impact touches (class lookup in the catalogue, no SQL).

    Only current CIs can be reached: a retired CI's relationships have ended, so in the
    estate graph it is isolated.
    """
    return set(of_classes(impact.touched(), service_ids).tolist())


_GROUP_PKS: LRU[_Same, I64] = LRU(2)


def redundant_groups(pks: I64, eg: EstateGraph | None = None) -> I64:
    """The CIs among ``pks`` with redundancy enabled (the estate graph knows them; sorted).

    The sorted pks of the groups are kept per settings dict (by identity: the estate makes a
    new one when a setting changes), not rebuilt from the dict on every call."""
    redundancy = (eg or estate_graph()).redundancy
    key = _Same(redundancy)
    groups = _GROUP_PKS.get(key)
    if groups is None:
        groups = np.sort(np.fromiter(redundancy.keys(), dtype=np.int64, count=len(redundancy)))
        _GROUP_PKS.put(key, groups)
    if groups.size == 0 or pks.size == 0:
        return EMPTY
    pos = np.minimum(np.searchsorted(groups, pks), groups.size - 1)
    return np.unique(pks[groups[pos] == pks])


def groups_left_degraded(
    impact: EstateImpact, eg: EstateGraph | None = None
) -> list[tuple[int, int, int, int]]:
    """``(group pk, members, members down, tolerated)`` of redundancy groups left degraded
    (by group pk).

    A group counts when redundancy is enabled, it is DEGRADED (not DOWN) and one of its own
    members is out: the change eats the group's spare capacity. The settings come from the
    estate graph (it holds every current group's), the members from one query per
    :data:`GROUP_CHUNK` groups, counted with numpy: a change under a hypervisor can leave
    thousands of groups degraded, some with thousands of members (a loop per group over all
    their members cost ~300 ms at 200k CIs). Which members are down comes first (the
    memberships of the DOWN CIs); members are then counted (SQL ``COUNT`` per group) only for
    the groups with a member down — the only ones listed — not for every degraded group
    (thousands of counts of which two were used). When the memberships of the degraded groups
    are read instead (more DOWN CIs than :data:`MAX_DOWN_LOOKUP`), they are the counts.
    """
    if "groups_left_degraded" not in impact._memo:
        impact._memo["groups_left_degraded"] = _groups_left_degraded(impact, eg or estate_graph())
    found: list[tuple[int, int, int, int]] = impact._memo["groups_left_degraded"]
    return list(found)


def _groups_left_degraded(impact: EstateImpact, eg: EstateGraph) -> list[tuple[int, int, int, int]]:
    """:func:`groups_left_degraded`, computed (its answer is kept on the impact: the
    memberships and settings it reads change only with audit events on relationships,
    relationship types and CIs, which give a new graph epoch and so new impacts)."""
    degraded = redundant_groups(impact.affected[impact.states == DEGRADED], eg)
    if degraded.size == 0:
        return []
    memberships = Relationship.objects.current().filter(type__is_membership=True)
    # the memberships of DOWN CIs (usually far fewer rows than all members of the groups)
    down = impact.down()
    by_source = down.size <= MAX_DOWN_LOOKUP
    rows: list[tuple[int, int]] = []
    keys = down if by_source else degraded
    for i in range(0, keys.size, GROUP_CHUNK):
        chunk = IdList(keys[i : i + GROUP_CHUNK].tolist())
        found_rows = (
            memberships.filter(source_id__in=chunk)
            if by_source
            else memberships.filter(target_id__in=chunk)
        )
        rows.extend(found_rows.values_list("source_id", "target_id").order_by())
    pairs = np.array(rows, dtype=np.int64).reshape(-1, 2)
    in_degraded = np.isin(pairs[:, 1], degraded)
    if not by_source:  # every membership of the degraded groups: their member counts
        total = np.bincount(np.searchsorted(degraded, pairs[:, 1]), minlength=degraded.size)
    pairs = pairs[in_degraded & np.isin(pairs[:, 0], down)]
    n_down = np.bincount(np.searchsorted(degraded, pairs[:, 1]), minlength=degraded.size)
    hit = np.flatnonzero(n_down > 0)
    if by_source:
        total = np.zeros(degraded.size, dtype=np.int64)
        wanted = degraded[hit]
        for i in range(0, wanted.size, GROUP_CHUNK):
            counts = np.array(
                memberships.filter(target_id__in=IdList(wanted[i : i + GROUP_CHUNK].tolist()))
                .values("target_id")
                .annotate(n=Count("id"))
                .values_list("target_id", "n")
                .order_by(),
                dtype=np.int64,
            ).reshape(-1, 2)
            total[np.searchsorted(degraded, counts[:, 0])] = counts[:, 1]
    found = []
    for i in hit.tolist():
        pk, members = int(degraded[i]), int(total[i])
        kind, value = eg.redundancy[pk]
        if kind == COUNT:
            min_up = min(value or members, members)
        else:
            min_up = -(-members * (value or 100) // 100)
        found.append((pk, members, int(n_down[i]), max(members - min_up, 0)))
    return found


# ----------------------------------------------------------------------------- results


def asset_ids_of(pks: I64) -> I64:
    """The asset ids linked to the CIs ``pks`` (the catalogue's asset column, no SQL)."""
    if pks.size == 0:
        return EMPTY
    cat = catalogue()
    pos, found = cat.rows(pks)
    assets = np.unique(cat.asset[pos][found])
    return assets[assets > 0]
