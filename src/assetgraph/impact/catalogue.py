"""Per-CI lookup columns (class, teams, asset) as numpy arrays, kept in sync with the audit spine.

Why: an impact result can name hundreds of thousands of CIs. Counting them per class, team or
site with SQL would need an ``IN`` list of that size (slow on PostgreSQL, over SQLite's
variable limit); looking the same facts up in a few arrays indexed by primary key takes
milliseconds. The columns are read once with one streamed query, then refreshed from the
``cmdb.ci`` audit events since (every CI write appends one), like the estate graph itself.
Only rows of the *current page* are ever fetched as model instances.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import connection
from django.db.models import Max

from assetgraph.audit.models import AuditEvent
from assetgraph.cmdb.models import CI

from .events import events_since

__all__ = ["Catalogue", "catalogue", "clear_catalogue", "node_rows", "seed"]

I64 = npt.NDArray[np.int64]
COLUMNS = ("pk", "ci_class_id", "owning_team_id", "support_group_id", "asset_id", "location_id")
# Events re-read below the cached revision (late-committing transactions; replays idempotent).
LOOKBACK = 1_000
MAX_INCREMENTAL = 20_000


@dataclass(frozen=True, eq=False)
class Catalogue:
    """Columns of every CI (retired ones too), sorted by primary key; 0 means "none"."""

    pks: I64
    ci_class: I64
    owning_team: I64
    support_group: I64
    asset: I64
    revision: int
    location: I64

    @cached_property
    def team_slots(self) -> int:
        """One more than the largest team id in either team column (a ``bincount`` size;
        computed once per version of the columns, not per impact request)."""
        return int(max(self.owning_team.max(initial=0), self.support_group.max(initial=0))) + 1

    @cached_property
    def class_slots(self) -> int:
        """One more than the largest class id (a count table's size, computed once)."""
        return int(self.ci_class.max(initial=0)) + 1

    def rows(self, pks: npt.ArrayLike) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_]]:
        """Positions of ``pks`` in the columns and which of them are known."""
        wanted = np.asarray(pks, dtype=np.int64)
        if self.pks.size == 0:
            return np.zeros(wanted.size, dtype=np.intp), np.zeros(wanted.size, dtype=np.bool_)
        pos = np.searchsorted(self.pks, wanted)
        clipped = np.minimum(pos, self.pks.size - 1)
        return clipped, (pos < self.pks.size) & (self.pks[clipped] == wanted)


def _read(ids: list[int] | None = None) -> npt.NDArray[np.int64]:
    """``(n, 6)`` int64 rows of :data:`COLUMNS` (NULL → 0), all CIs or those in ``ids``."""
    queryset = CI.objects.order_by()
    if ids is not None:
        queryset = queryset.filter(pk__in=ids)
    sql, params = queryset.values_list(*COLUMNS).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        flat = np.fromiter((v or 0 for v in itertools.chain.from_iterable(cursor)), dtype=np.int64)
    return flat.reshape(-1, len(COLUMNS))


def _from_rows(rows: npt.NDArray[np.int64], revision: int) -> Catalogue:
    order = np.argsort(rows[:, 0], kind="stable")
    rows = rows[order]
    return Catalogue(
        rows[:, 0].copy(),
        rows[:, 1].copy(),
        rows[:, 2].copy(),
        rows[:, 3].copy(),
        rows[:, 4].copy(),
        revision,
        rows[:, 5].copy(),
    )


def _merge(old: Catalogue, rows: npt.NDArray[np.int64], revision: int) -> Catalogue:
    """Replace or add the given rows (one query's fresh values) in a copy of ``old``."""
    if rows.size == 0:
        return replace(old, revision=revision)
    pos, found = old.rows(rows[:, 0])
    columns = [old.pks, old.ci_class, old.owning_team, old.support_group, old.asset, old.location]
    updated = [c.copy() for c in columns]
    for j, column in enumerate(updated):
        column[pos[found]] = rows[found, j]
    fresh = rows[~found]
    if fresh.size == 0:  # same CIs: keep the pks array, so node maps built on it stay valid
        return Catalogue(
            old.pks, updated[1], updated[2], updated[3], updated[4], revision, updated[5]
        )
    merged = np.concatenate([np.stack(updated, axis=1), fresh])
    return _from_rows(merged, revision)


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.current: Catalogue | None = None
        # (node → row map, which ci_pks array and catalogue it was built for)
        self.node_rows: tuple[Any, Any, Any] | None = None
        # (whether node i is row i for every CI node, for which ci_pks and catalogue)
        self.identity: tuple[bool, Any, Any] | None = None


_STATE = _State()


def catalogue() -> Catalogue:
    """The columns as of the newest audit event (read once, then refreshed incrementally)."""
    top = int(AuditEvent.objects.aggregate(top=Max("id"))["top"] or 0)
    with _STATE.lock:
        cached = _STATE.current
        if cached is not None and cached.revision == top:
            return cached
        fresh: Catalogue | None = None
        if cached is not None and top > cached.revision:
            events = events_since(max(cached.revision - LOOKBACK, 0), top, ("cmdb.ci",))
            ids = sorted({key for _, key in events}) if events is not None else None
            if ids is not None and len(ids) <= MAX_INCREMENTAL:
                rows = _read([int(i) for i in ids]) if ids else np.empty((0, len(COLUMNS)))
                fresh = _merge(cached, rows.astype(np.int64), top)
        if fresh is None:
            fresh = _from_rows(_read(), top)
        _STATE.current = fresh
        return fresh


def node_rows(eg: Any, cat: Catalogue) -> tuple[I64, npt.NDArray[np.bool_]]:
    """Lookup-column row of every graph node (and whether the CI is known), memoised for
    the last pair of (graph pk array, catalogue pk array) — both stay the same objects until
    CIs are added: a gather per query instead of 500k binary
    searches. ``eg`` is an :class:`~assetgraph.impact.estate.EstateGraph`."""
    with _STATE.lock:
        memo = _STATE.node_rows
        if memo is not None and memo[1] is eg.ci_pks and memo[2] is cat.pks:
            memoised: tuple[I64, npt.NDArray[np.bool_]] = memo[0]
            return memoised
    pos, found = cat.rows(eg.ci_pks)
    rows = np.zeros(eg.graph.n_nodes, dtype=np.int64)
    known = np.zeros(eg.graph.n_nodes, dtype=np.bool_)
    rows[: pos.size] = pos
    known[: found.size] = found
    with _STATE.lock:
        _STATE.node_rows = ((rows, known), eg.ci_pks, cat.pks)
    return rows, known


def rows_are_nodes(eg: Any, cat: Catalogue) -> bool:
    """True when every CI node of the graph is the lookup row of the same number — the usual
    case, both being the current CIs in primary-key order — so a query indexes the columns
    with its engine nodes directly (memoised like :func:`node_rows`).

    Why: at 500k affected CIs the gather through the node → row map is a random read of an
    8 MB table per CI (~5 ms of an impact request), and the answer is the nodes themselves.
    Spare nodes (room for CIs created since the build) never appear in results.
    """
    with _STATE.lock:
        memo = _STATE.identity
        if memo is not None and memo[1] is eg.ci_pks and memo[2] is cat.pks:
            return bool(memo[0])
    rows, known = node_rows(eg, cat)
    k = int(eg.ci_pks.size)
    same = bool(known[:k].all()) and bool(np.array_equal(rows[:k], np.arange(k)))
    with _STATE.lock:
        _STATE.identity = (same, eg.ci_pks, cat.pks)
    return same


def seed(cat: Catalogue, ci_pks: Any, rows: I64, known: npt.NDArray[np.bool_]) -> bool:
    """Adopt columns mapped from the shared graph snapshot (and the node → row map built for
    that snapshot's ``ci_pks``) when this process has none or older ones; True if adopted.

    Why: a new worker would otherwise read every CI's columns from the database on its first
    impact request (0.75 s at 1M CIs) and hold a private copy of them.
    """
    with _STATE.lock:
        if _STATE.current is not None and _STATE.current.revision >= cat.revision:
            return False
        _STATE.current = cat
        _STATE.node_rows = ((rows, known), ci_pks, cat.pks)
        return True


def clear_catalogue() -> None:
    """Forget the cached columns (tests; after a bulk load outside the services)."""
    with _STATE.lock:
        _STATE.current = None
        _STATE.node_rows = None
