"""The estate as an engine graph: bulk-read from the database, cached, kept in sync.

This module is the only bridge between the CMDB tables and :mod:`assetgraph.graph`. It reads
CIs, relationship types, relationships and redundancy settings with a handful of
``values_list`` queries streamed into numpy arrays (no model instances: 4.5M relationships
must load in seconds), maps CI primary keys to dense node indices and builds an immutable
:class:`~assetgraph.graph.Graph`.

The current estate is cached per process and keyed by the audit revision (every CMDB write
appends an audit event in its own transaction). When the revision moves, the events since the
cached one are replayed *incrementally* — relationships added or ended, CIs created, redundancy
settings changed — with the engine's copy-on-write splices instead of a full rebuild; anything
the incremental path does not cover (a relationship type changed, too many events, no spare
node slots) falls back to a rebuild. Replays read the rows' current state, so applying an
event twice is harmless; that is what makes the look-back window over late-committing
transactions safe.

One graph per host (ADR 0009): whoever builds the graph writes it to a memory-mapped snapshot
in the data directory (``graph/<database>.graph``) and every worker process maps that file
read-only instead of building its own copy; a worker then replays the audit events since the
snapshot's revision on top (copy-on-write: only changed arrays become private) until a newer
snapshot appears, which it maps again. A snapshot is used only when its checksum, layout,
database and audit history match; otherwise it is rebuilt and rewritten.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import itertools
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from django.conf import settings
from django.db import connection
from django.db.models import Count, Max, QuerySet
from django.utils import timezone

from assetgraph import graph as engine
from assetgraph.audit.models import AuditEvent
from assetgraph.cmdb.choices import ImpactDirectionChoices, RedundancyModeChoices
from assetgraph.cmdb.history import states_at
from assetgraph.cmdb.models import CI, Relationship, RelationshipType
from assetgraph.graph import snapshot as snapshots

from . import catalogue as lookup
from .events import events_since

__all__ = [
    "EstateGraph",
    "UnknownCI",
    "build_estate_graph",
    "clear_cache",
    "estate_graph",
    "snapshot_path",
    "write_snapshot",
]

I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]

DIRECTION = {
    ImpactDirectionChoices.FORWARD.value: 1,
    ImpactDirectionChoices.REVERSE.value: -1,
    ImpactDirectionChoices.NONE.value: 0,
}
KIND = {
    RedundancyModeChoices.DISABLED.value: 0,
    RedundancyModeChoices.COUNT.value: 1,
    RedundancyModeChoices.PERCENT.value: 2,
}
GRAPH_OBJECT_TYPES = ("cmdb.ci", "cmdb.relationship", "cmdb.relationshiptype")
# Events replayed at most incrementally; beyond this a rebuild is cheaper than the lookups.
MAX_INCREMENTAL_EVENTS = 5_000
# Event ids below the cached revision that are re-read on refresh: a transaction that got its
# ids before another but committed after it is still picked up (replays are idempotent).
LOOKBACK = 1_000
AS_OF_CACHE_SIZE = 4
# A worker that refreshed incrementally writes a new shared snapshot at most this often, so a
# burst of writes costs one file per interval while workers replay the events in between.
SNAPSHOT_INTERVAL_S = 30.0
# ``ASSETGRAPH_GRAPH_SNAPSHOTS=off`` keeps every graph private to its process (no file).
SNAPSHOTS_ENV = "ASSETGRAPH_GRAPH_SNAPSHOTS"

log = logging.getLogger(__name__)


class UnknownCI(LookupError):
    """CI primary keys that are not nodes of the graph (unknown, or not in the estate)."""

    def __init__(self, pks: Sequence[int]) -> None:
        self.pks = list(pks)
        super().__init__(f"not in the estate: CI {', '.join(map(str, self.pks[:10]))}")


@dataclass(frozen=True, eq=False)
class EstateGraph:
    """An engine graph plus the maps between node indices and database ids.

    ``graph`` may have spare, isolated nodes past ``len(ci_pks)`` so that CIs created later
    can join without a rebuild; ``redundancy`` holds the non-default settings by CI pk
    (engine kind 1 = count, 2 = percent) so changes can be detected.
    """

    graph: engine.Graph
    ci_pks: I64
    type_pks: I64
    revision: int
    as_of: dt.datetime | None
    redundancy: dict[int, tuple[int, int]] = field(default_factory=dict)
    window_count: int = 0
    # timestamp of the audit event ``revision`` (ISO text): with ``revision`` it identifies
    # the audit history a snapshot was built from (ids alone repeat after a restore)
    revision_at: str = ""

    @property
    def n_cis(self) -> int:
        """Number of CIs mapped to nodes."""
        return int(self.ci_pks.size)

    def nodes_of(self, pks: Iterable[int]) -> I32:
        """Node indices of CI primary keys; raises :class:`UnknownCI` naming the missing ones."""
        wanted = np.fromiter((int(p) for p in pks), dtype=np.int64)
        pos = np.searchsorted(self.ci_pks, wanted)
        pos_clipped = np.minimum(pos, max(self.ci_pks.size - 1, 0))
        found = (
            (pos < self.ci_pks.size) & (self.ci_pks[pos_clipped] == wanted)
            if self.ci_pks.size
            else np.zeros(wanted.size, dtype=np.bool_)
        )
        if not found.all():
            raise UnknownCI([int(p) for p in wanted[~found]])
        return pos.astype(np.int32)

    def node_of(self, pk: int) -> int:
        """Node index of one CI (raises :class:`UnknownCI`)."""
        return int(self.nodes_of([pk])[0])

    def pks_of(self, nodes: npt.ArrayLike) -> I64:
        """CI primary keys of node indices (spare nodes never appear in results)."""
        index = np.asarray(nodes)
        if index.dtype.kind not in "iu":  # (int32 engine results index as they are)
            index = index.astype(np.int64)
        out: I64 = self.ci_pks[index]
        return out

    def type_index(self, type_pk: int) -> int:
        """Engine type index of a relationship type pk (raises ``KeyError`` when unknown)."""
        i = int(np.searchsorted(self.type_pks, type_pk))
        if i >= self.type_pks.size or int(self.type_pks[i]) != type_pk:
            raise KeyError(f"unknown relationship type {type_pk}")
        return i

    def type_pk(self, index: int) -> int:
        """Relationship type pk of an engine type index."""
        return int(self.type_pks[index])


# ------------------------------------------------------------------------------ bulk reads
def _int_columns(queryset: QuerySet[Any], *fields: str) -> I64:
    """Stream integer columns of a queryset into an ``(n, k)`` int64 array.

    Why: iterating ``values_list`` builds a tuple per row through Django's iterator; running
    the same compiled SQL on the raw cursor and feeding numpy directly is several times
    faster, and the ORM still writes the query (filters, interval conditions).
    """
    sql, params = queryset.order_by().values_list(*fields).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        # the DB-API cursor under Django's wrapper: rows are produced in C, not a generator
        flat = np.fromiter(itertools.chain.from_iterable(cursor.cursor), dtype=np.int64)
    return flat.reshape(-1, len(fields))


def _cis(as_of: dt.datetime | None) -> QuerySet[CI]:
    return CI.objects.current() if as_of is None else CI.objects.as_of(as_of)


def _relationships(as_of: dt.datetime | None) -> QuerySet[Relationship]:
    return Relationship.objects.current() if as_of is None else Relationship.objects.as_of(as_of)


def _redundancy(as_of: dt.datetime | None) -> dict[int, tuple[int, int]]:
    """Non-default redundancy settings by CI pk (as of ``as_of`` from the audit spine)."""
    if as_of is None:
        rows = (
            CI.objects.current()
            .exclude(redundancy_mode=RedundancyModeChoices.DISABLED)
            .values_list("pk", "redundancy_mode", "redundancy_value")
        )
        return {pk: (KIND[mode], value or 0) for pk, mode, value in rows}
    groups = list(_cis(as_of).filter(ci_class__is_group=True).values_list("pk", flat=True))
    settings: dict[int, tuple[int, int]] = {}
    for key, state in states_at("cmdb.ci", groups, as_of).items():
        kind = KIND.get(state.get("redundancy_mode") or "disabled", 0)
        if kind:
            settings[int(key)] = (kind, int(state.get("redundancy_value") or 0))
    return settings


def _spare(n: int) -> int:
    """Spare node slots for CIs created after a build (1 %, at least 256)."""
    return max(256, n // 100)


def _revision_key() -> tuple[int, int]:
    """The newest audit event id and how many events sit in the look-back window below it.

    The count catches a late-committing transaction whose ids are lower than the newest.
    """
    top = AuditEvent.objects.aggregate(top=Max("id"))["top"] or 0
    window = AuditEvent.objects.filter(id__gt=top - LOOKBACK).aggregate(n=Count("id"))["n"]
    return int(top), int(window)


def _event_time(event_id: int) -> str:
    """ISO timestamp of one audit event ("" when there is none)."""
    at = AuditEvent.objects.filter(id=event_id).values_list("timestamp", flat=True).first()
    return at.isoformat() if at is not None else ""


def build_estate_graph(as_of: dt.datetime | None = None) -> EstateGraph:
    """Build the engine graph of the estate now (``as_of=None``) or as it was at ``as_of``.

    Uncached: use :func:`estate_graph` in request paths. Current relationships whose ends are
    not current CIs (inconsistent data) are skipped rather than failing the build.
    """
    revision, window = _revision_key() if as_of is None else (0, 0)
    ci_pks = np.sort(_int_columns(_cis(as_of), "pk")[:, 0])
    types = list(
        RelationshipType.objects.order_by("pk").values_list(
            "pk", "impact_direction", "is_membership"
        )
    )
    type_pks = np.array([t[0] for t in types], dtype=np.int64)
    direction = np.array([DIRECTION.get(t[1], 0) for t in types], dtype=np.int8)
    membership = np.array([bool(t[2]) for t in types], dtype=np.bool_)

    rels = _int_columns(_relationships(as_of), "source_id", "target_id", "type_id")
    src, ok_s = _lookup(ci_pks, rels[:, 0])
    dst, ok_d = _lookup(ci_pks, rels[:, 1])
    typ, ok_t = _lookup(type_pks, rels[:, 2])
    keep = ok_s & ok_d & ok_t
    n = int(ci_pks.size)
    capacity = n + (_spare(n) if as_of is None else 0)
    redundancy = _redundancy(as_of)
    kind = np.zeros(capacity, dtype=np.int8)
    value = np.zeros(capacity, dtype=np.int32)
    if redundancy:
        red_pks = np.fromiter(redundancy, dtype=np.int64)
        idx, found = _lookup(ci_pks, red_pks)
        kv = np.array(list(redundancy.values()), dtype=np.int64).reshape(-1, 2)
        kind[idx[found]] = kv[found, 0]
        value[idx[found]] = kv[found, 1]
    g = engine.Graph.build(
        capacity,
        src[keep],
        dst[keep],
        typ[keep],
        direction,
        membership,
        kind,
        value,
        reorder=True,
    )
    _warm_once()
    at = _event_time(revision) if as_of is None else ""
    return EstateGraph(g, ci_pks, type_pks, revision, as_of, redundancy, window, at)


def _lookup(sorted_keys: I64, values: I64) -> tuple[I64, npt.NDArray[np.bool_]]:
    """Positions of ``values`` in ``sorted_keys`` and which were found.

    Database ids are nearly dense, so for bulk lookups a direct table (id -> position) answers
    4.5M of them in tens of milliseconds where a binary search takes seconds; few values or
    sparse ids use ``searchsorted``.
    """
    n = sorted_keys.size
    if n == 0:
        return np.zeros(values.size, dtype=np.int64), np.zeros(values.size, dtype=np.bool_)
    top = int(sorted_keys[-1])
    if values.size * 16 > n and int(sorted_keys[0]) >= 0 and top <= 8 * n + (1 << 20):
        table = np.full(top + 1, -1, dtype=np.int64)
        table[sorted_keys] = np.arange(n, dtype=np.int64)
        inside = (values >= 0) & (values <= top)
        pos = np.where(inside, table[np.clip(values, 0, top)], -1)
        found = pos >= 0
        return np.where(found, pos, 0), found
    pos = np.searchsorted(sorted_keys, values)
    clipped = np.minimum(pos, n - 1)
    return clipped.astype(np.int64), (pos < n) & (sorted_keys[clipped] == values)


_WARM = threading.Event()


def _warm_once() -> None:
    """Compile the engine's kernels once per process, then freeze the heap for the GC.

    Why the freeze: by now the process holds its long-lived objects (Django, numpy/scipy,
    numba's compiler: ~240k tracked objects), and every full cyclic collection re-scans them —
    a ~100 ms pause landing on a random request (measured: impact API p95 110 ms with it,
    83 ms without). ``gc.freeze`` moves them out of the collector's sight; objects created
    later are collected as usual.
    """
    if not _WARM.is_set():
        engine.warmup()
        gc.collect()
        gc.freeze()
        _WARM.set()


def warm_kernels() -> None:
    """Compile (or load) the engine's kernels and freeze the heap, once per process."""
    _warm_once()


# ------------------------------------------------------------------------------ incremental
def _refresh(eg: EstateGraph, revision: int, window: int) -> EstateGraph | None:
    """Bring a cached graph up to ``revision`` from the audit events, or ``None`` to rebuild."""
    events = events_since(max(eg.revision - LOOKBACK, 0), revision, GRAPH_OBJECT_TYPES)
    if events is None or len(events) > MAX_INCREMENTAL_EVENTS:
        return None
    ci_ids: set[int] = set()
    rel_ids: set[int] = set()
    for object_type, object_id in events:
        if object_type == "cmdb.relationshiptype":
            return None
        (ci_ids if object_type == "cmdb.ci" else rel_ids).add(int(object_id))
    with_cis = _apply_ci_changes(eg, ci_ids)
    updated = _apply_relationship_changes(with_cis, rel_ids) if with_cis else None
    if updated is None:
        return None
    return replace(
        updated, revision=revision, window_count=window, revision_at=_event_time(revision)
    )


def _apply_ci_changes(eg: EstateGraph, ci_ids: set[int]) -> EstateGraph | None:
    """New CIs take spare node slots; changed redundancy settings are re-applied."""
    if not ci_ids:
        return eg
    rows = list(
        CI.objects.filter(pk__in=ci_ids).values_list(
            "pk", "valid_to", "redundancy_mode", "redundancy_value"
        )
    )
    live = np.array(sorted(pk for pk, valid_to, _, _ in rows if valid_to is None), dtype=np.int64)
    new = live[~_lookup(eg.ci_pks, live)[1]]
    ci_pks = eg.ci_pks
    if new.size:
        last = int(ci_pks[-1]) if ci_pks.size else 0
        if int(new[0]) <= last or ci_pks.size + new.size > eg.graph.n_nodes:
            return None  # an out-of-order id or no spare slot: rebuild
        ci_pks = np.concatenate([ci_pks, new])
    graph = eg.graph
    redundancy = dict(eg.redundancy)
    changed: list[tuple[int, int, int]] = []
    for pk, valid_to, mode, value in rows:
        setting = (KIND.get(mode, 0), int(value or 0)) if valid_to is None else (0, 0)
        if redundancy.get(pk, (0, 0)) != setting:
            changed.append((pk, *setting))
            if setting[0]:
                redundancy[pk] = setting
            else:
                redundancy.pop(pk, None)
    if changed:
        nodes, _ = _lookup(ci_pks, np.array([c[0] for c in changed], dtype=np.int64))
        graph = graph.with_redundancy(nodes, [c[1] for c in changed], [c[2] for c in changed])
    return replace(eg, graph=graph, ci_pks=ci_pks, redundancy=redundancy)


def _apply_relationship_changes(eg: EstateGraph, rel_ids: set[int]) -> EstateGraph | None:
    """Add current relationships and remove ended ones (unless an equal one is current)."""
    if not rel_ids:
        return eg
    rows = list(
        Relationship.objects.filter(pk__in=rel_ids).values_list(
            "source_id", "target_id", "type_id", "valid_to"
        )
    )
    current = {(s, d, t) for s, d, t, valid_to in rows if valid_to is None}
    ended = {(s, d, t) for s, d, t, valid_to in rows if valid_to is not None} - current
    if ended:
        still = set(
            Relationship.objects.current()
            .filter(
                source_id__in={s for s, _, _ in ended},
                target_id__in={d for _, d, _ in ended},
            )
            .values_list("source_id", "target_id", "type_id")
        )
        ended -= still
    graph = eg.graph
    if ended:
        src, dst, typ, _ = _edge_indices(eg, ended)
        graph = graph.with_edges_removed(src, dst, typ)
    if current:
        src, dst, typ, complete = _edge_indices(eg, current)
        if not complete:
            return None  # a current relationship to a CI we do not know: rebuild
        graph = graph.with_edges_added(src, dst, typ)
    return replace(eg, graph=graph)


def _edge_indices(
    eg: EstateGraph, triples: set[tuple[int, int, int]]
) -> tuple[I64, I64, I64, bool]:
    """Node/type indices of ``(source pk, target pk, type pk)`` triples that map, and
    whether all of them did."""
    arr = np.array(sorted(triples), dtype=np.int64)
    src, ok_s = _lookup(eg.ci_pks, arr[:, 0])
    dst, ok_d = _lookup(eg.ci_pks, arr[:, 1])
    typ, ok_t = _lookup(eg.type_pks, arr[:, 2])
    keep = ok_s & ok_d & ok_t
    return src[keep], dst[keep], typ[keep], bool(keep.all())


# ------------------------------------------------------------------------------ snapshots
def snapshot_path() -> Path | None:
    """This database's shared graph file in the data directory (None when switched off)."""
    if os.environ.get(SNAPSHOTS_ENV, "on").lower() in {"off", "0", "false", "no"}:
        return None
    db = connection.settings_dict
    ident = f"{connection.vendor}:{db.get('HOST') or ''}:{db.get('PORT') or ''}:{db['NAME']}"
    digest = hashlib.sha256(ident.encode()).hexdigest()[:16]
    return Path(settings.DATA_DIR) / "graph" / f"estate-{digest}.graph"


def _file_id(path: Path) -> tuple[int, int] | None:
    """(inode, mtime) of the snapshot file, to notice cheaply that it was replaced."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns


def write_snapshot(eg: EstateGraph) -> bool:
    """Share ``eg`` with the other processes of this host (atomic replace of the file).

    Returns False (and logs) when it cannot be written: the graph still works, privately.
    """
    path = snapshot_path()
    if path is None or eg.as_of is not None:
        return False
    red_pks = np.fromiter(eg.redundancy, dtype=np.int64, count=len(eg.redundancy))
    red = np.array(list(eg.redundancy.values()), dtype=np.int64).reshape(-1, 2)
    # the lookup columns travel in the same file, so a new worker reads nothing per CI
    cat = lookup.catalogue()
    rows, known = lookup.node_rows(eg, cat)
    arrays: dict[str, Any] = {
        "ci_pks": eg.ci_pks,
        "type_pks": eg.type_pks,
        "red_pks": red_pks,
        "red": red,
        "cat_pks": cat.pks,
        "cat_class": cat.ci_class,
        "cat_team": cat.owning_team,
        "cat_support": cat.support_group,
        "cat_asset": cat.asset,
        "cat_location": cat.location,
        "node_rows": rows,
        "node_known": known,
    }
    try:
        snapshots.save_snapshot(
            path,
            eg.graph,
            eg.revision,
            {
                "window": eg.window_count,
                "revision_at": eg.revision_at,
                "catalogue_revision": cat.revision,
            },
            arrays,
        )
    except OSError:
        log.warning("could not write the graph snapshot %s", path, exc_info=True)
        return False
    _CACHE.written_at = time.monotonic()
    _CACHE.snapshot_writes += 1
    return True


def _map_snapshot(path: Path, revision: int) -> EstateGraph | None:
    """The shared graph if it can be trusted as a base for ``revision``, else None.

    Trusted means: checksum and layout intact, not newer than ``revision``, and built from this
    audit history (its newest event still exists with the same timestamp). An equal revision is
    served as is; an older one is brought up to date by replaying the events since.
    """
    try:
        snap = snapshots.load_snapshot(path)
    except snapshots.SnapshotError as exc:
        if exc.reason != "missing":
            log.warning("graph snapshot not used: %s", exc)
            _CACHE.snapshot_refused += 1
        return None
    meta = snap.meta
    if snap.revision > revision or _event_time(snap.revision) != meta.get("revision_at"):
        log.warning("graph snapshot not used: built from another audit history")
        _CACHE.snapshot_refused += 1
        return None
    extra = snap.extra
    red = extra["red"].reshape(-1, 2)
    redundancy = {
        int(pk): (int(k), int(v))
        for pk, (k, v) in zip(extra["red_pks"].tolist(), red.tolist(), strict=True)
    }
    _warm_once()
    cat_revision = int(meta.get("catalogue_revision", -1))
    if "cat_pks" in extra and 0 <= cat_revision <= revision:
        lookup.seed(
            lookup.Catalogue(
                extra["cat_pks"],
                extra["cat_class"],
                extra["cat_team"],
                extra["cat_support"],
                extra["cat_asset"],
                cat_revision,
                extra["cat_location"],
            ),
            extra["ci_pks"],
            extra["node_rows"],
            extra["node_known"],
        )
    return EstateGraph(
        snap.graph,
        extra["ci_pks"],
        extra["type_pks"],
        snap.revision,
        None,
        redundancy,
        int(meta.get("window", 0)),
        str(meta.get("revision_at", "")),
    )


# ------------------------------------------------------------------------------ the cache
class _Cache:
    """The per-process current graph plus a small LRU of as-of graphs."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.current: EstateGraph | None = None
        self.as_of: OrderedDict[dt.datetime, EstateGraph] = OrderedDict()
        self.rebuilds = 0
        self.refreshes = 0
        self.mapped = 0
        self.snapshot_writes = 0
        self.snapshot_refused = 0
        self.file_id: tuple[int, int] | None = None  # the snapshot file last looked at
        self.written_at = -1e18
        self.built_at: float | None = None  # wall time the current graph was made current
        self.build_seconds: float | None = None  # the last full build from the tables
        self.refresh_seconds: float | None = None  # the last incremental refresh


_CACHE = _Cache()


def estate_graph(as_of: dt.datetime | None = None) -> EstateGraph:
    """The estate's graph now, or as of a past time (cached; see the module docstring).

    A time at or after now means "now". Callers must still look CIs up through
    ``restrict()``: the graph knows nothing about permissions.
    """
    if as_of is not None and as_of < timezone.now():
        return _as_of_graph(as_of)
    revision, window = _revision_key()
    path = snapshot_path()
    with _CACHE.lock:
        cached = _CACHE.current
        file_id = _file_id(path) if path is not None else None
        new_file = file_id is not None and file_id != _CACHE.file_id
        current = cached is not None and (cached.revision, cached.window_count) == (
            revision,
            window,
        )
        if cached is not None and current and not new_file:
            return cached
        base = cached
        if path is not None and (cached is None or new_file):
            _CACHE.file_id = file_id
            mapped = _map_snapshot(path, revision) if file_id is not None else None
            if mapped is not None and (cached is None or mapped.revision >= cached.revision):
                base = mapped
                _CACHE.mapped += 1
                if (mapped.revision, mapped.window_count) == (revision, window):
                    _CACHE.current = mapped
                    _CACHE.built_at = time.time()
                    return mapped
        if cached is not None and current and base is cached:
            return cached  # a snapshot older than this process's graph: keep ours
        started = time.perf_counter()
        refreshed = _refresh(base, revision, window) if base is not None else None
        if refreshed is None:
            started = time.perf_counter()
            refreshed = build_estate_graph()
            _CACHE.build_seconds = time.perf_counter() - started
            _CACHE.rebuilds += 1
            due = True
        else:
            _CACHE.refresh_seconds = time.perf_counter() - started
            _CACHE.refreshes += 1
            due = time.monotonic() - _CACHE.written_at >= SNAPSHOT_INTERVAL_S
        if path is not None and due and write_snapshot(refreshed):
            # serve the file just written, so this process shares the mapping too
            _CACHE.file_id = _file_id(path)
            mapped = _map_snapshot(path, revision)
            if mapped is not None and mapped.revision == refreshed.revision:
                refreshed = replace(mapped, window_count=refreshed.window_count)
        _CACHE.current = refreshed
        _CACHE.built_at = time.time()
        return refreshed


def _as_of_graph(as_of: dt.datetime) -> EstateGraph:
    with _CACHE.lock:
        hit = _CACHE.as_of.get(as_of)
        if hit is not None:
            _CACHE.as_of.move_to_end(as_of)
            return hit
        built = build_estate_graph(as_of)
        _CACHE.as_of[as_of] = built
        while len(_CACHE.as_of) > AS_OF_CACHE_SIZE:
            _CACHE.as_of.popitem(last=False)
        return built


def cache_stats() -> dict[str, int]:
    """Rebuild, incremental-refresh and snapshot counters (tests, benchmarks, diagnostics)."""
    return {
        "rebuilds": _CACHE.rebuilds,
        "refreshes": _CACHE.refreshes,
        "mapped": _CACHE.mapped,
        "snapshot_writes": _CACHE.snapshot_writes,
        "snapshot_refused": _CACHE.snapshot_refused,
    }


def cache_timings() -> dict[str, float | None]:
    """This process's graph: when it became current (wall time) and how long the last full
    build and the last incremental refresh took, in seconds (None: not yet)."""
    return {
        "built_at": _CACHE.built_at,
        "build_seconds": _CACHE.build_seconds,
        "refresh_seconds": _CACHE.refresh_seconds,
    }


def clear_cache(*, shared: bool = True) -> None:
    """Forget every cached graph (tests; after a bulk load outside the services).

    A bulk load outside the services writes no audit events, so nothing would tell a worker
    that the shared snapshot no longer matches the tables: by default the snapshot file is
    deleted too and the next call rebuilds. ``shared=False`` forgets this process's graphs
    only (what a freshly started worker looks like).
    """
    path = snapshot_path() if shared else None
    with _CACHE.lock:
        _CACHE.built_at = None
        _CACHE.build_seconds = _CACHE.refresh_seconds = None
        _CACHE.current = None
        _CACHE.as_of.clear()
        _CACHE.file_id = None
        if path is not None:
            path.unlink(missing_ok=True)
