"""Reachability queries: upstream needs, downstream reach, paths, maps and cycles."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from ._backend import bfs
from ._kernels import EMPTY_I32, I32, Adjacency, BoolArr, expand, unique
from .graph import Graph, scc_labels

__all__ = [
    "Neighbourhood",
    "Reach",
    "direct_needs",
    "downstream_reach",
    "neighbourhood",
    "paths",
    "strongly_connected_components",
    "upstream",
]

Direction = Literal["up", "down", "both"]


@dataclass(frozen=True, eq=False)
class Reach:
    """CIs reached from the start CIs (excluded), in BFS order, with hop depth and parent.

    Unpacks as ``nodes, depths = upstream(...)``; ``parents[i]`` is the CI through which
    ``nodes[i]`` was reached (for drawing the tree).
    """

    nodes: I32
    depths: I32
    parents: I32

    def __iter__(self) -> Iterator[I32]:
        """Yield ``nodes`` then ``depths`` (so the result unpacks like a pair)."""
        yield self.nodes
        yield self.depths

    def __len__(self) -> int:
        """Number of CIs reached."""
        return int(self.nodes.size)


def _reach(graph: Graph, adj: Adjacency, start: npt.ArrayLike, max_depth: int | None) -> Reach:
    """Shared body of :func:`upstream` and :func:`downstream_reach`."""
    if max_depth is not None and max_depth < 0:
        raise ValueError("max_depth must be >= 0")
    src = unique(graph.to_internal(start, "nodes"))
    res = bfs(graph.n_nodes, (adj,), src, max_depth=max_depth)
    k = src.size
    return Reach(
        graph.to_external(res.order[k:]),
        res.depths[k:],
        graph.to_external(res.parents[k:]),
    )


def upstream(graph: Graph, nodes: npt.ArrayLike, max_depth: int | None = None) -> Reach:
    """Everything the given CI(s) need to work, transitively, with hop depth.

    Why: "what does this CI depend on?" for change planning and dependency maps. Follows
    impact edges backwards and ignores redundancy (a farm member is still *needed* even
    if the farm tolerates its loss). ``parents[i]`` is the CI that needs ``nodes[i]``.
    """
    return _reach(graph, graph.adj_depends(), nodes, max_depth)


def downstream_reach(graph: Graph, nodes: npt.ArrayLike, max_depth: int | None = None) -> Reach:
    """Every CI a failure of the given CI(s) can touch (DOWN or DEGRADED), with hop depth.

    Why: a cheap blast-radius bound without the redundancy state computation; it equals
    the affected set of :func:`assetgraph.graph.impact` (states aside).
    """
    return _reach(graph, graph.adj_impact(), nodes, max_depth)


def direct_needs(graph: Graph, nodes: npt.ArrayLike) -> tuple[I32, I32]:
    """What each of ``nodes`` directly needs: pairs ``(i, ci)`` meaning ``nodes[i]`` needs
    ``ci`` (its impact predecessors: a failure of ``ci`` affects ``nodes[i]``).

    Why: "which services does this laptop use?" for thousands of endpoints at once, in
    one gather over the reverse impact adjacency (informational relations excluded).
    Pairs come grouped by ``i`` in ascending order; ``ci`` in caller ids.
    """
    src = graph.to_internal(nodes, "nodes")
    adj = graph.adj_depends()
    pos, cs = expand(adj.indptr, src)
    owner = np.searchsorted(cs, np.arange(pos.size), side="right").astype(np.int32)
    return owner, graph.to_external(adj.indices[pos])


# ---------------------------------------------------------------------------- paths
def _dfs_paths(
    start: int,
    dist: npt.NDArray[np.int32],
    adj: tuple[Adjacency, ...],
    limit: int,
) -> Iterator[list[int]]:
    """Enumerate chains ``start -> ... -> x`` with dist[x] == 1, each step lowering dist."""
    if dist[start] == 1:
        yield [start]
        return

    # iterative DFS with explicit stack of candidate lists
    def nexts(node: int) -> list[int]:
        want = int(dist[node]) - 1
        out: set[int] = set()
        for a in adj:
            lo, hi = int(a.indptr[node]), int(a.indptr[node + 1])
            nb = a.indices[lo:hi]
            if a.allowed is not None and a.types is not None:
                nb = nb[a.allowed[a.types[lo:hi]]]
            out.update(int(x) for x in nb[dist[nb] == want])
        return sorted(out)

    stack: list[tuple[int, list[int], int]] = [(start, nexts(start), 0)]
    path = [start]
    produced = 0
    while stack:
        node, cands, i = stack[-1]
        if i >= len(cands):
            stack.pop()
            path.pop()
            continue
        stack[-1] = (node, cands, i + 1)
        nxt = cands[i]
        path.append(nxt)
        if dist[nxt] == 1:
            yield list(path)
            produced += 1
            if produced >= limit:
                return
            path.pop()
        else:
            stack.append((nxt, nexts(nxt), 0))


def paths(
    graph: Graph,
    source: int,
    target: int,
    *,
    max_depth: int | None = None,
    limit: int = 1,
    undirected: bool = False,
) -> list[I32]:
    """Shortest dependency chains from ``source`` to ``target`` (up to ``limit`` of them).

    Why: "how does this laptop depend on the finance database?". By default a step goes
    from a CI to something it needs (reverse impact direction: laptop -> VPN -> SSO...);
    ``undirected=True`` follows any relationship, informational ones included, either
    way. Uses bidirectional BFS (expanding the smaller frontier), so hubs such as DNS do
    not make it explore the whole estate. Returns ``[]`` if there is no path within
    ``max_depth`` hops; each path is an array ``[source, ..., target]``.
    """
    if limit < 1:
        return []
    s, t = (int(x) for x in graph.to_internal([source, target], "source/target"))
    if s == t:
        return [np.array([source], dtype=np.int32)]
    n = graph.n_nodes
    fwd: tuple[Adjacency, ...]
    bwd: tuple[Adjacency, ...]
    if undirected:
        fwd = bwd = graph.adj_raw()
    else:
        fwd, bwd = (graph.adj_depends(),), (graph.adj_impact(),)
    ds = np.zeros(n, dtype=np.int32)  # distance from source + 1 (0 = unseen)
    dt = np.zeros(n, dtype=np.int32)  # distance to target + 1
    stamp = np.empty(n, dtype=np.int32)
    ds[s] = 1
    dt[t] = 1
    fs = np.array([s], dtype=np.int32)
    ft = np.array([t], dtype=np.int32)
    a = b = 0
    meet = EMPTY_I32
    while fs.size and ft.size and (max_depth is None or a + b < max_depth):
        if fs.size <= ft.size:
            new = _step(n, ds, stamp, fwd, fs)
            ds[new] = a + 2
            a += 1
            fs = new
            meet = new[dt[new] > 0]
        else:
            new = _step(n, dt, stamp, bwd, ft)
            dt[new] = b + 2
            b += 1
            ft = new
            meet = new[ds[new] > 0]
        if meet.size:
            break
    if meet.size == 0:
        return []
    result: list[I32] = []
    for m in np.sort(meet):
        for head in _dfs_paths(int(m), ds, bwd, limit):
            for tail in _dfs_paths(int(m), dt, fwd, limit):
                chain = head[::-1] + tail[1:]
                result.append(graph.to_external(np.array(chain, dtype=np.int32)))
                if len(result) >= limit:
                    return result
    return result


def _step(
    n: int,
    dist: npt.NDArray[np.int32],
    stamp: npt.NDArray[np.int32],
    adjs: tuple[Adjacency, ...],
    frontier: I32,
) -> I32:
    """Unseen (dist == 0) neighbours of ``frontier`` over ``adjs``, deduplicated."""
    parts: list[I32] = []
    for adj in adjs:
        pos, _ = expand(adj.indptr, frontier)
        if pos.size == 0:
            continue
        nbr = adj.indices[pos]
        mask = dist[nbr] == 0
        if adj.allowed is not None and adj.types is not None:
            mask &= adj.allowed[adj.types[pos]]
        parts.append(nbr[mask])
    if not parts:
        return EMPTY_I32
    cand = np.concatenate(parts) if len(parts) > 1 else parts[0]
    if cand.size == 0:
        return EMPTY_I32
    ar = np.arange(cand.size, dtype=np.int32)
    stamp[cand] = ar
    out: I32 = cand[stamp[cand] == ar]
    return out


# ---------------------------------------------------------------------------- maps
@dataclass(frozen=True, eq=False)
class Neighbourhood:
    """A dependency-map extract: nodes with hop depth and the relationships among them.

    ``edge_src/edge_dst/edge_type`` are original relationships (as given to the builder)
    whose both ends are in ``nodes`` and whose type passes the filter. ``truncated`` is
    True when ``node_limit`` cut the traversal (the last level is cut by lowest index).
    """

    nodes: I32
    depths: I32
    edge_src: I32
    edge_dst: I32
    edge_type: I32
    truncated: bool


def neighbourhood(
    graph: Graph,
    center: npt.ArrayLike,
    depth: int = 2,
    direction: Direction = "both",
    type_filter: Iterable[int] | None = None,
    node_limit: int = 500,
) -> Neighbourhood:
    """Extract the CIs within ``depth`` hops of ``center`` plus their relationships.

    Why: feeds the interactive dependency map without shipping the whole graph.
    ``direction='down'`` follows relationships along impact (what the centre's failure
    would touch), ``'up'`` against it (what the centre needs) — informational types are
    not followed in those modes — and ``'both'`` follows every relationship either way.
    ``type_filter`` restricts both traversal and returned edges to those type ids.
    """
    if depth < 0:
        raise ValueError("depth must be >= 0")
    if node_limit < 1:
        raise ValueError("node_limit must be >= 1")
    allowed: BoolArr | None = None
    if type_filter is not None:
        allowed = np.zeros(graph.n_types, dtype=np.bool_)
        tf = np.fromiter(type_filter, dtype=np.int64)
        if tf.size and (tf.min() < 0 or tf.max() >= graph.n_types):
            raise ValueError("type_filter values must be valid type ids")
        allowed[tf] = True
    if direction == "both":
        adjs = graph.adj_raw(allowed)
    elif direction in ("up", "down"):
        adjs = graph.adj_raw_directed(direction == "down", allowed)
    else:
        raise ValueError("direction must be 'up', 'down' or 'both'")
    src = unique(graph.to_internal(center, "center"))
    cut_centres = src.size > node_limit
    if cut_centres:
        src = src[:node_limit]
    res = bfs(graph.n_nodes, adjs, src, max_depth=depth, node_limit=node_limit)
    nodes = res.order
    in_set = np.zeros(graph.n_nodes, dtype=np.bool_)
    in_set[nodes] = True
    pos, cs = expand(graph._out_indptr, nodes)
    esrc = nodes[np.searchsorted(cs, np.arange(pos.size), side="right")]
    edst = graph._out_dst[pos]
    etyp = graph._out_type[pos]
    keep = in_set[edst]
    if allowed is not None:
        keep &= allowed[etyp]
    return Neighbourhood(
        nodes=graph.to_external(nodes),
        depths=res.depths,
        edge_src=graph.to_external(esrc[keep]),
        edge_dst=graph.to_external(edst[keep]),
        edge_type=etyp[keep].astype(np.int32),
        truncated=res.truncated or cut_centres,
    )


# ---------------------------------------------------------------------------- cycles
def strongly_connected_components(graph: Graph) -> list[I32]:
    """Dependency cycles: strongly connected components of size > 1 (largest first).

    Why: circular dependencies are modelling smells (or real outage amplifiers) that a
    CMDB should report. Uses scipy's linear-time SCC on the impact graph; each component
    is a sorted array of CI indices.
    """
    n = graph.n_nodes
    if n == 0 or graph.n_impact_edges == 0:
        return []
    ncomp, labels = scc_labels(graph)
    sizes = np.bincount(labels, minlength=ncomp)
    big = np.flatnonzero(sizes > 1)
    if big.size == 0:
        return []
    ext = graph.to_external(np.arange(n, dtype=np.int32))
    sel = np.flatnonzero(sizes[labels] > 1)
    lab = labels[sel]
    order = np.lexsort((ext[sel], lab))
    sel, lab = sel[order], lab[order]
    bounds = np.flatnonzero(np.diff(lab)) + 1
    comps = [np.sort(ext[c]).astype(np.int32) for c in np.split(sel, bounds)]
    comps.sort(key=lambda c: (-c.size, int(c[0])))
    return comps
