"""Failure impact analysis: "if these CIs go down, what is affected, and how badly?"."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from functools import cached_property

import numpy as np
import numpy.typing as npt

from ._backend import impact_kernel
from ._kernels import DEGRADED, DOWN, I8, I32, unique
from .graph import Graph

__all__ = ["ImpactResult", "NodeState", "impact"]


class NodeState(IntEnum):
    """Ordered node states; the fixpoint only ever raises a state."""

    OK = 0
    DEGRADED = 1
    DOWN = 2


@dataclass(frozen=True, eq=False)
class ImpactResult:
    """Outcome of :func:`impact` (caller node indices).

    ``nodes`` are the affected CIs (failed ones excluded) in non-decreasing ``depths``
    order; ``states[i]`` is a :class:`NodeState` value, ``depths[i]`` the shortest hop
    distance from a failed CI and ``parents[i]`` the previous CI on one such shortest
    path (a failed CI or another affected CI). A DOWN CI is explained by a chain of DOWN
    CIs (:meth:`path`): its previous CI on that chain is its BFS parent, except for the
    ``fix_nodes``, whose previous CI is ``fix_parents`` (see :attr:`down_parents`).
    ``failed`` holds the unique failed CIs. ``max_depth`` records the depth filter that was
    applied, if any; chains of reported CIs may pass CIs beyond it (kept privately so that
    :meth:`path` still works).
    """

    failed: I32
    nodes: I32
    states: I8
    depths: I32
    parents: I32
    fix_nodes: I32 = field(default_factory=lambda: np.empty(0, np.int32))
    fix_parents: I32 = field(default_factory=lambda: np.empty(0, np.int32))
    max_depth: int | None = field(default=None)
    # every affected CI when max_depth filtered some out: (nodes, states, parents)
    _all: tuple[I32, I8, I32] | None = field(default=None, repr=False)

    def __len__(self) -> int:
        """Number of affected CIs (failed CIs excluded)."""
        return int(self.nodes.size)

    @property
    def n_down(self) -> int:
        """Number of affected CIs that are DOWN."""
        return int(np.count_nonzero(self.states == DOWN))

    @property
    def n_degraded(self) -> int:
        """Number of affected CIs that are DEGRADED."""
        return int(np.count_nonzero(self.states == DEGRADED))

    def count_by_state(self) -> dict[NodeState, int]:
        """Affected CI counts per state, e.g. for a summary badge ``{DOWN: 12, ...}``."""
        return {NodeState.DOWN: self.n_down, NodeState.DEGRADED: self.n_degraded}

    def nodes_in_state(self, state: NodeState | int) -> I32:
        """Affected CIs currently in ``state`` (BFS order)."""
        out: I32 = self.nodes[self.states == int(state)]
        return out

    @cached_property
    def down_parents(self) -> I32:
        """Per reported CI: the previous CI on its DOWN chain (-1 for DEGRADED CIs)."""
        out = np.where(self.states == DOWN, self.parents, -1).astype(np.int32)
        if self.fix_nodes.size:
            pos = self._dense.where(self.fix_nodes)
            shown = pos < self.nodes.size
            out[pos[shown]] = self.fix_parents[shown]
        return out

    def positions(self, nodes: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """Position of each of ``nodes`` in :attr:`nodes`, ``len(self)`` for a CI that is not
        reported (failed, unaffected or beyond ``max_depth``): a gather once the locator is
        built (the same one :meth:`paths` uses)."""
        pos = self._dense.where(nodes)
        return np.minimum(pos, self.nodes.size)

    @cached_property
    def _sorted(self) -> tuple[I32, npt.NDArray[np.intp]]:
        """Lazily built lookup index (sorted node ids and their positions)."""
        order = np.argsort(self.nodes, kind="stable")
        return self.nodes[order], order

    @cached_property
    def _dense(self) -> _Chains:
        """Every affected CI (reported ones first, then those beyond ``max_depth``) with a
        locator of their positions, their states and BFS parents, and the DOWN-chain fixes
        (few: looked up by binary search, so the parents are never copied)."""
        if self._all is None:
            nodes, states, parents = self.nodes, self.states, self.parents
        else:
            nodes, states, parents = self._all
        size = int(max(nodes.max(initial=-1), self.failed.max(initial=-1))) + 1
        if self._all is not None:  # reported first: positions match self.nodes
            extra = ~np.isin(nodes, self.nodes)
            nodes = np.concatenate([self.nodes, nodes[extra]])
            states = np.concatenate([self.states, states[extra]])
            parents = np.concatenate([self.parents, parents[extra]])
        order = np.argsort(self.fix_nodes, kind="stable")
        return _Chains(
            int(nodes.size),
            _Locator(nodes, size),
            nodes,
            states,
            parents,
            self.fix_nodes[order].astype(np.int64),
            self.fix_parents[order].astype(np.int64),
        )

    def is_failed(self, node: int) -> bool:
        """True if ``node`` was one of the failed CIs."""
        i = int(np.searchsorted(self.failed, node))
        return i < self.failed.size and int(self.failed[i]) == node

    def index_of(self, node: int) -> int:
        """Position of ``node`` in :attr:`nodes`, or -1 if it is not affected."""
        keys, order = self._sorted
        i = int(np.searchsorted(keys, node))
        if i < keys.size and int(keys[i]) == node:
            return int(order[i])
        return -1

    def state_of(self, node: int) -> NodeState:
        """State of any CI: DOWN for failed ones, OK when unaffected (or beyond max_depth)."""
        if self.is_failed(node):
            return NodeState.DOWN
        i = self.index_of(node)
        return NodeState.OK if i < 0 else NodeState(int(self.states[i]))

    def path(self, node: int) -> I32:
        """The chain ``[failed, ..., node]`` that explains why ``node`` is hit.

        Why: operators need to see *how* a failure reaches a CI, and the chain must agree
        with the state shown next to it. A DOWN CI's chain is a shortest chain made only of
        DOWN CIs (it can be longer than ``depth`` when the shortest chain passes a CI that is
        merely degraded); a DEGRADED CI's chain is a shortest chain (``depth`` hops).
        Raises ``KeyError`` if ``node`` is neither failed nor affected.
        """
        return self.paths([node])[0]

    def paths(self, nodes: npt.ArrayLike) -> list[I32]:
        """:meth:`path` of many CIs at once, walking all chains one step at a time (a few
        numpy operations per step, however many chains). Raises ``KeyError`` for a CI that
        is neither failed nor affected."""
        want = np.asarray(nodes, dtype=np.int64).reshape(-1)
        if want.size == 0:
            return []
        chains = self._dense
        missing, where, states = chains.size, chains.where, chains.states
        fpos = np.minimum(np.searchsorted(self.failed, want), max(self.failed.size - 1, 0))
        failed = self.failed[fpos] == want if self.failed.size else np.zeros(want.size, bool)
        pos = where(want)
        found = pos < missing
        if not np.all(found | failed):
            raise KeyError(f"node {int(want[~(found | failed)][0])} is not affected")
        # a DOWN CI is followed along its DOWN chain: its BFS parent unless it is a fix node
        on_down = np.zeros(want.size, dtype=np.bool_)
        shown = np.flatnonzero(found & ~failed)
        on_down[shown] = states[pos[shown]] == DOWN
        steps = [want]
        active = found & ~failed
        cur_pos = pos
        while active.any():
            idx = np.flatnonzero(active)
            nxt = chains.parent(cur_pos[idx], on_down[idx])
            step = np.full(want.size, -1, dtype=np.int64)
            step[idx] = nxt
            steps.append(step)
            cur_pos = np.full(want.size, missing, dtype=np.int64)
            cur_pos[idx] = where(nxt)
            active[idx] = cur_pos[idx] < missing  # reached a failed CI otherwise
        table = np.stack(steps, axis=1)
        return [row_[row_ >= 0][::-1].astype(np.int32) for row_ in table]


@dataclass(frozen=True)
class _Chains:
    """What walking explanation chains needs: the affected CIs (``size`` of them), where
    each one is, their states and BFS parents, and the DOWN-chain fixes sorted by node."""

    size: int
    where: _Locator
    nodes: I32
    states: I8
    parents: I32
    fix_nodes: npt.NDArray[np.int64]
    fix_parents: npt.NDArray[np.int64]

    def parent(
        self, pos: npt.NDArray[np.int64], on_down: npt.NDArray[np.bool_]
    ) -> npt.NDArray[np.int64]:
        """The previous CI of the CIs at ``pos``: on the DOWN chain where ``on_down``."""
        out = self.parents[pos].astype(np.int64)
        if self.fix_nodes.size and on_down.any():
            node = self.nodes[pos]
            at = np.minimum(np.searchsorted(self.fix_nodes, node), self.fix_nodes.size - 1)
            fixed = on_down & (self.fix_nodes[at] == node)
            out[fixed] = self.fix_parents[at[fixed]]
        return out


class _Locator:
    """Positions of node ids in an array of distinct ids (``len(ids)`` for an id not in it).

    Why two ways: a direct id -> position table costs one scatter of the array's size but
    memory for every id up to the largest, so it is used when the ids are dense enough;
    otherwise a sorted copy is searched (chains of a small result cost a handful of binary
    searches instead of paging in an estate-sized table).
    """

    def __init__(self, ids: I32, size: int) -> None:
        self.missing = int(ids.size)
        self.table: npt.NDArray[np.int32] | None = None
        if ids.size * 16 >= size:
            self.table = np.full(size, ids.size, dtype=np.int32)
            self.table[ids] = np.arange(ids.size, dtype=np.int32)
        else:
            self.order = np.argsort(ids, kind="stable")
            self.keys = ids[self.order]

    def __call__(self, wanted: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """The position of each wanted id."""
        w = np.asarray(wanted, dtype=np.int64)
        if self.table is not None:
            inside = (w >= 0) & (w < self.table.size)
            return np.where(inside, self.table[np.where(inside, w, 0)], self.missing).astype(
                np.int64
            )
        if self.keys.size == 0:
            return np.full(w.size, self.missing, dtype=np.int64)
        i = np.minimum(np.searchsorted(self.keys, w), self.keys.size - 1)
        hit = self.keys[i] == w
        return np.where(hit, self.order[i], self.missing).astype(np.int64)


def impact(graph: Graph, failed: npt.ArrayLike, max_depth: int | None = None) -> ImpactResult:
    """Compute what a failure of ``failed`` CIs (one, a rack, a site...) takes DOWN/DEGRADED.

    Why: the core "what breaks if X breaks" question of a CMDB. States are the least
    fixpoint of the propagation rules (redundancy groups tolerate member failures up to
    their policy; informational relations never propagate); depths are shortest hop
    distances from a failed CI; every affected CI gets an explanation chain consistent
    with its state, found in the same sweep (:meth:`ImpactResult.path`). ``max_depth``
    limits the *reported* CIs to that depth; their states stay exact (a group's state may
    depend on members further away).
    """
    if max_depth is not None and max_depth < 0:
        raise ValueError("max_depth must be >= 0")
    f = unique(graph.to_internal(failed, "failed"))
    raw = impact_kernel(graph.impact_arrays(), f, max_depth, graph.external_ids)
    everything: tuple[I32, I8, I32] | None = None
    if max_depth is not None and raw.depths.size and int(raw.depths[-1]) > max_depth:
        everything = (raw.nodes, raw.states, raw.parents)
        keep = raw.depths <= max_depth
        raw = raw._replace(
            nodes=raw.nodes[keep],
            states=raw.states[keep],
            depths=raw.depths[keep],
            parents=raw.parents[keep],
        )
    return ImpactResult(
        failed=np.sort(graph.to_external(f)),
        nodes=raw.nodes,
        states=raw.states,
        depths=raw.depths,
        parents=raw.parents,
        fix_nodes=raw.fix_nodes,
        fix_parents=raw.fix_parents,
        max_depth=max_depth,
        _all=everything,
    )
