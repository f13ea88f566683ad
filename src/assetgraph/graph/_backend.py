"""Kernel dispatch: compiled (numba) kernels when available, numpy kernels otherwise.

Both backends return the same node sets, states and depths; only the order of nodes
*within* one BFS level and the choice among equally short parents may differ.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from . import _accel, _kernels
from ._kernels import I8, I32, I64, Adjacency, BfsResult, ImpactArrays, ImpactRaw

__all__ = [
    "bfs",
    "get_backend",
    "impact_kernel",
    "reach_count",
    "reach_counts",
    "set_backend",
    "symptom_states",
]

Backend = Literal["numba", "numpy"]
_ACTIVE: list[Backend] = ["numba" if _accel.available() else "numpy"]


def get_backend() -> Backend:
    """Name of the kernel backend in use ("numba" or "numpy")."""
    return _ACTIVE[0]


def set_backend(name: Backend | Literal["auto"]) -> Backend:
    """Select the kernel backend ("auto" = numba if importable); returns the one chosen.

    Why: benchmarks and tests compare both paths; production just keeps "auto".
    Raises ``ValueError`` when "numba" is requested but numba is not installed.
    """
    if name == "auto":
        _ACTIVE[0] = "numba" if _accel.available() else "numpy"
    elif name == "numba":
        if not _accel.available():
            raise ValueError("numba is not installed")
        _ACTIVE[0] = "numba"
    elif name == "numpy":
        _ACTIVE[0] = "numpy"
    else:
        raise ValueError(f"unknown backend {name!r}")
    return _ACTIVE[0]


def impact_kernel(
    g: ImpactArrays, failed: I32, max_depth: int | None, to_ext: I32 | None = None
) -> ImpactRaw:
    """Failure propagation (see :func:`._kernels.impact_kernel`) on the active backend.

    With ``to_ext`` (internal -> caller id map) nodes come back in caller ids (parents and
    fixes are positions in the result: see :class:`._kernels.ImpactRaw`).
    """
    if _ACTIVE[0] == "numba":
        return _accel.impact_kernel(g, failed, max_depth, to_ext)
    raw = _kernels.impact_kernel(g, failed, max_depth)
    if to_ext is None:
        return raw
    return raw._replace(nodes=to_ext[raw.nodes])


def bfs(
    n: int,
    adjs: tuple[Adjacency, ...],
    sources: I32,
    max_depth: int | None = None,
    node_limit: int | None = None,
) -> BfsResult:
    """Multi-source BFS (see :func:`._kernels.bfs`) on the active backend."""
    if _ACTIVE[0] == "numba" and len(adjs) <= 2:
        return _accel.bfs(n, adjs, sources, max_depth, node_limit)
    return _kernels.bfs(n, adjs, sources, max_depth, node_limit)


def reach_count(n: int, adj: Adjacency, source: int, cap: int | None) -> tuple[int, bool]:
    """Reachable-set size with an optional cap (see :func:`._kernels.reach_count`)."""
    if _ACTIVE[0] == "numba":
        return _accel.reach_count(n, adj, source, cap)
    return _kernels.reach_count(n, adj, source, cap)


def reach_counts(n: int, adj: Adjacency, sources: I32, cap: int | None) -> I64:
    """Reach-set sizes (source excluded) of many sources; ``cap + 1`` means "above cap"."""
    if _ACTIVE[0] == "numba":
        return _accel.reach_counts(n, adj, sources, cap)
    out = np.empty(sources.size, dtype=np.int64)
    for i, s in enumerate(sources.tolist()):
        c, trunc = _kernels.reach_count(n, adj, s, cap)
        out[i] = c + 1 if trunc else c
    return out


def symptom_states(g: ImpactArrays, cands: I32, sym: I32) -> tuple[I8, I32]:
    """(candidates x symptoms) states and depths when each candidate fails alone."""
    if _ACTIVE[0] == "numba":
        return _accel.symptom_states(g, cands, sym)
    states = np.zeros((cands.size, sym.size), dtype=np.int8)
    depths = np.full((cands.size, sym.size), -1, dtype=np.int32)
    where = np.full(g.n, -1, dtype=np.int64)
    where[sym] = np.arange(sym.size)
    for i, c in enumerate(cands.tolist()):
        raw = _kernels.impact_kernel(g, np.array([c], dtype=np.int32), None, chains=False)
        j = where[raw.nodes]
        hit = j >= 0
        states[i, j[hit]] = raw.states[hit]
        depths[i, j[hit]] = raw.depths[hit]
        if where[c] >= 0:
            states[i, where[c]] = 2
            depths[i, where[c]] = 0
    return states, depths
