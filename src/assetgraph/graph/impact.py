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
    path (a failed CI or another affected CI). ``failed`` holds the unique failed CIs.
    ``max_depth`` records the depth filter that was applied, if any.
    """

    failed: I32
    nodes: I32
    states: I8
    depths: I32
    parents: I32
    max_depth: int | None = field(default=None)

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
        """One shortest impact chain ``[failed, ..., node]`` explaining why ``node`` is hit.

        Why: operators need to see *how* a failure reaches a CI, not just that it does.
        Raises ``KeyError`` if ``node`` is neither failed nor affected.
        """
        if self.is_failed(node):
            return np.array([node], dtype=np.int32)
        chain: list[int] = []
        cur = int(node)
        while True:
            i = self.index_of(cur)
            if i < 0:
                if chain and self.is_failed(cur):
                    chain.append(cur)
                    break
                raise KeyError(f"node {node} is not affected")
            chain.append(cur)
            cur = int(self.parents[i])
        return np.array(chain[::-1], dtype=np.int32)


def impact(graph: Graph, failed: npt.ArrayLike, max_depth: int | None = None) -> ImpactResult:
    """Compute what a failure of ``failed`` CIs (one, a rack, a site...) takes DOWN/DEGRADED.

    Why: the core "what breaks if X breaks" question of a CMDB. States are the least
    fixpoint of the propagation rules (redundancy groups tolerate member failures up to
    their policy; informational relations never propagate); depths are shortest hop
    distances from a failed CI. ``max_depth`` limits the *reported* CIs to that depth;
    their states stay exact (a group's state may depend on members further away).
    """
    if max_depth is not None and max_depth < 0:
        raise ValueError("max_depth must be >= 0")
    f = unique(graph.to_internal(failed, "failed"))
    raw = impact_kernel(graph.impact_arrays(), f, max_depth, graph._to_ext)
    return ImpactResult(
        failed=np.sort(graph.to_external(f)),
        nodes=raw.nodes,
        states=raw.states,
        depths=raw.depths,
        parents=raw.parents,
        max_depth=max_depth,
    )
