"""Warming the compiled kernels up before the first real query.

A module of its own: it calls the public engine functions, which import the backend
dispatch, so the dispatch (``_backend``) must not import them back.
"""

from __future__ import annotations

import numpy as np

from ._backend import Backend, get_backend
from .graph import Graph
from .impact import impact
from .rootcause import root_cause
from .tallies import nonzero_at, row_facts
from .traversal import neighbourhood, upstream


def warmup() -> Backend:
    """Compile (or load from numba's on-disk cache) every kernel on a tiny graph.

    Why: the first call of a numba kernel compiles it (seconds); a server should pay
    that at start-up, not on a user's first impact query. No-op on the numpy backend.
    """
    if get_backend() == "numba":
        g = Graph.build(
            3, [0, 1, 0], [1, 2, 2], [0, 1, 1], [1, 1], [True, False], [0, 1, 0], [0, 1, 0]
        )
        impact(g, [0])
        # renumbered graphs (what the adapter builds and maps) pass a read-only id table:
        # another kernel signature, compiled or loaded here rather than on a first request
        impact(
            Graph.build(
                3,
                [0, 1, 0],
                [1, 2, 2],
                [0, 1, 1],
                [1, 1],
                [True, False],
                [0, 1, 0],
                [0, 1, 0],
                reorder=True,
            ),
            [0],
        )
        # a DOWN CI whose shortest chain passes a DEGRADED group: compiles the repair
        for reorder in (False, True):
            chains = Graph.build(
                6,
                [0, 4, 3, 3, 5, 2],
                [1, 1, 1, 5, 2, 0],
                [0, 0, 1, 1, 1, 1],
                [1, -1],
                [True, False],
                [0, 1, 0, 0, 0, 0],
                [0, 1, 0, 0, 0, 0],
                reorder=reorder,
            )
            impact(chains, [0]).path(3)
        upstream(g, [2])
        neighbourhood(g, 1, 2, "both")
        root_cause(g, [1, 2], limit=1)
        root_cause(g, [2], limit=1, collateral_cap=None)
        # the report's counts: over writable columns and over a mapped snapshot's read-only ones
        column = np.zeros(3, dtype=np.int64)
        flags = np.zeros(2, dtype=np.bool_)
        for _ in range(2):  # writable, then read-only
            nonzero_at(column, np.arange(2), flags)
            nonzero_at(column, np.arange(2))
            for rows in (np.arange(2, dtype=np.int32), np.arange(2)):  # engine nodes, rows
                row_facts(rows, column, np.zeros(1, np.uint8), column, column, 1, flags, column)
            column.setflags(write=False)
    return get_backend()
