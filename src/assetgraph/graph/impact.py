"""Failure impact analysis: "if these CIs go down, what is affected, and how badly?"."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from functools import cached_property

import numpy as np
import numpy.typing as npt

from ._backend import impact_kernel
from ._kernels import DEGRADED, DOWN, I8, I32, ImpactRaw, unique
from .graph import Graph

__all__ = ["ImpactResult", "NodeState", "impact"]


class NodeState(IntEnum):
    """Ordered node states; the fixpoint only ever raises a state."""

    OK = 0
    DEGRADED = 1
    DOWN = 2


_END = np.iinfo(np.int64).min  # past the end of a chain (positions of failed CIs are > -2**31)


@dataclass(frozen=True, eq=False)
class Chains:
    """Every affected CI of one answer — the reported ones first, then any beyond
    ``max_depth`` — and how each is explained, by *position* (``p >= 0``: ``nodes[p]``;
    ``p < 0``: the failed CI ``seeds[p + len(seeds)]``).

    ``parents`` holds each CI's BFS parent; a DOWN CI at one of the ``fix_pos`` positions
    (sorted) has its DOWN-chain parent at the matching ``fix_parents``. Why positions: a
    chain is walked by reading positions, with no node -> position table (4 MB and a
    scatter of the whole answer at 500k CIs), and the kernel writes them without a read.
    """

    nodes: I32
    states: I8
    parents: I32
    fix_pos: I32
    fix_parents: I32
    seeds: I32

    def node_at(self, pos: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """The CI at each position (affected or failed)."""
        p = np.asarray(pos, dtype=np.int64)
        k = self.seeds.size
        affected = p >= 0
        out = np.empty(p.size, dtype=np.int64)
        out[affected] = self.nodes[p[affected]]
        out[~affected] = self.seeds[p[~affected] + k]
        return out

    def parent(
        self, pos: npt.NDArray[np.int64], on_down: npt.NDArray[np.bool_]
    ) -> npt.NDArray[np.int64]:
        """The position of the previous CI of the CIs at ``pos``: on the DOWN chain where
        ``on_down`` (the BFS parent unless the CI is a fix)."""
        out = self.parents[pos].astype(np.int64)
        if self.fix_pos.size and on_down.any():
            at = np.minimum(np.searchsorted(self.fix_pos, pos), self.fix_pos.size - 1)
            fixed = on_down & (self.fix_pos[at] == pos)
            out[fixed] = self.fix_parents[at[fixed]]
        return out

    def walk(self, start: npt.NDArray[np.int64]) -> list[npt.NDArray[np.int64]]:
        """The chain of positions from each ``start`` position back to a failed CI, failed
        CI first (a DOWN CI's along DOWN CIs, a DEGRADED CI's along its BFS parents), all
        chains one step at a time: a few numpy operations per step."""
        size = int(start.size)
        if size == 0:
            return []
        on_down = np.zeros(size, dtype=np.bool_)
        affected = np.flatnonzero(start >= 0)
        on_down[affected] = self.states[start[affected]] == DOWN
        steps = [start]
        current = start.copy()
        active = start >= 0
        while active.any():
            idx = np.flatnonzero(active)
            nxt = self.parent(current[idx], on_down[idx])
            step = np.full(size, _END, dtype=np.int64)
            step[idx] = nxt
            steps.append(step)
            current[idx] = nxt
            active[idx] = nxt >= 0  # reached a failed CI otherwise
        table = np.stack(steps, axis=1)
        return [row[row != _END][::-1] for row in table]


@dataclass(frozen=True, eq=False)
class ImpactResult:
    """Outcome of :func:`impact` (caller node indices).

    ``nodes`` are the affected CIs (failed ones excluded) in non-decreasing ``depths``
    order; ``states[i]`` is a :class:`NodeState` value, ``depths[i]`` the shortest hop
    distance from a failed CI and :attr:`parents` ``[i]`` the previous CI on one such
    shortest path (a failed CI or another affected CI). A DOWN CI is explained by a chain of
    DOWN CIs (:meth:`path`): its previous CI on that chain is its BFS parent, except for the
    :attr:`fix_nodes`, whose previous CI is :attr:`fix_parents` (see :attr:`down_parents`).
    ``failed`` holds the unique failed CIs. ``max_depth`` records the depth filter that was
    applied, if any; the reported CIs are then the first ``len(nodes)`` of ``chains``, whose
    chains may pass CIs beyond it (kept there so that :meth:`path` still works).
    """

    failed: I32
    nodes: I32
    states: I8
    depths: I32
    chains: Chains
    max_depth: int | None = field(default=None)

    @classmethod
    def from_raw(
        cls, raw: ImpactRaw, seeds: I32, reported: int | None = None, max_depth: int | None = None
    ) -> ImpactResult:
        """The result of a kernel run from the failed CIs ``seeds`` (in the order the kernel
        got them), reporting the first ``reported`` affected CIs (default: all)."""
        fix_nodes, fix_parents = raw.fix_nodes, raw.fix_parents
        if fix_nodes.size > 1:
            order = np.argsort(fix_nodes, kind="stable")
            fix_nodes, fix_parents = fix_nodes[order], fix_parents[order]
        seeds = np.asarray(seeds, dtype=np.int32)
        chains = Chains(raw.nodes, raw.states, raw.parents, fix_nodes, fix_parents, seeds)
        nodes, states, depths = raw.nodes, raw.states, raw.depths
        if reported is not None and reported < nodes.size:
            nodes, states, depths = nodes[:reported], states[:reported], depths[:reported]
        return cls(
            failed=seeds if seeds.size < 2 else np.sort(seeds),
            nodes=nodes,
            states=states,
            depths=depths,
            chains=chains,
            max_depth=max_depth,
        )

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
    def parents(self) -> I32:
        """Per reported CI: its BFS parent (a failed CI or another affected CI)."""
        pos = self.chains.parents[: self.nodes.size]
        return self.chains.node_at(pos).astype(np.int32)

    @cached_property
    def fix_nodes(self) -> I32:
        """The DOWN CIs whose DOWN chain does not follow their BFS parent."""
        return self.chains.node_at(self.chains.fix_pos).astype(np.int32)

    @cached_property
    def fix_parents(self) -> I32:
        """The previous CI on the DOWN chain of each of :attr:`fix_nodes`."""
        return self.chains.node_at(self.chains.fix_parents).astype(np.int32)

    @cached_property
    def down_parents(self) -> I32:
        """Per reported CI: the previous CI on its DOWN chain (-1 for DEGRADED CIs)."""
        out = np.where(self.states == DOWN, self.parents, -1).astype(np.int32)
        fix = self.chains.fix_pos
        shown = fix < self.nodes.size
        out[fix[shown]] = self.fix_parents[shown]
        return out

    @cached_property
    def _where(self) -> _Locator:
        """Positions of every affected CI's id, for :meth:`paths` of CIs given by id (built
        on first use: 4 MB and a scatter of the whole answer at 500k CIs, which
        :meth:`paths_at` avoids)."""
        size = int(max(self.chains.nodes.max(initial=-1), self.failed.max(initial=-1))) + 1
        return _Locator(self.chains.nodes, size)

    @cached_property
    def _sorted(self) -> tuple[I32, npt.NDArray[np.intp]]:
        """Lazily built lookup index (sorted node ids and their positions)."""
        order = np.argsort(self.nodes, kind="stable")
        return self.nodes[order], order

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
        """:meth:`path` of many CIs at once. Raises ``KeyError`` for a CI that is neither
        failed nor affected."""
        want = np.asarray(nodes, dtype=np.int64).reshape(-1)
        if want.size == 0:
            return []
        seeds = self.chains.seeds
        k = seeds.size
        pos = self._where(want)
        found = pos < self.chains.nodes.size
        if not found.all():
            order = np.argsort(seeds, kind="stable")
            at = np.minimum(np.searchsorted(seeds[order], want), max(k - 1, 0))
            failed = seeds[order][at] == want if k else np.zeros(want.size, bool)
            missing = ~(found | failed)
            if missing.any():
                raise KeyError(f"node {int(want[missing][0])} is not affected")
            pos = np.where(found, pos, order[at] - k)
        return [self.chains.node_at(c).astype(np.int32) for c in self.chains.walk(pos)]

    def paths_at(self, positions: npt.ArrayLike) -> list[npt.NDArray[np.int64]]:
        """The chains of the reported CIs at ``positions``, as positions (see
        :class:`Chains`; :meth:`Chains.node_at` names them): no id lookup at all."""
        pos = np.asarray(positions, dtype=np.int64).reshape(-1)
        if pos.size and (int(pos.min()) < 0 or int(pos.max()) >= self.nodes.size):
            raise IndexError("positions must be those of reported CIs")
        return self.chains.walk(pos)


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
    reported = None
    if max_depth is not None and raw.depths.size and int(raw.depths[-1]) > max_depth:
        # BFS order is by depth: the reported CIs are a prefix, and positions stay valid
        reported = int(np.searchsorted(raw.depths, max_depth, side="right"))
    return ImpactResult.from_raw(raw, graph.to_external(f), reported, max_depth)
