"""Vectorised numpy kernels over CSR adjacency arrays (internal node ids only).

Everything here works on plain ``indptr``/``indices`` arrays so the same code runs on the
full estate graph and on the small induced sub-graphs that root-cause analysis builds.
The traversals are level-synchronous ("frontier at a time") but avoid the usual waste:

* the neighbour gather of a whole frontier is one ``repeat`` + one add on a cached
  ``arange`` (no Python loop, no per-node slicing);
* visited state lives in lazily zeroed (``calloc``) arrays, so a query that touches few
  nodes never pays for initialising a million-entry array;
* de-duplication of newly discovered nodes uses a scatter/gather "last writer wins" stamp
  instead of a sort;
* parent pointers are recovered with ``searchsorted`` only for the discovered nodes, not
  materialised for every scanned edge;
* the impact kernel discovers nodes (for depth) and propagates DOWN (for redundancy
  thresholds) in the *same* sweep, re-visiting a node's out-edges a second time only if it
  is upgraded from DEGRADED to DOWN after it was first reached.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

I8 = npt.NDArray[np.int8]
I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]
BoolArr = npt.NDArray[np.bool_]

OK: int = 0
DEGRADED: int = 1
DOWN: int = 2

EMPTY_I32: I32 = np.empty(0, dtype=np.int32)
EMPTY_I32.setflags(write=False)
EMPTY_I64: I64 = np.empty(0, dtype=np.int64)
EMPTY_I64.setflags(write=False)

_POP8 = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def popcount_rows(words: U64) -> I64:
    """Number of set bits per row of a 2-d uint64 array (numpy < 2 fallback included)."""
    out: I64
    if hasattr(np, "bitwise_count"):
        out = np.bitwise_count(words).sum(axis=1, dtype=np.int64)
    else:  # pragma: no cover - numpy < 2
        as_bytes = np.ascontiguousarray(words).view(np.uint8).reshape(words.shape[0], -1)
        out = _POP8[as_bytes].sum(axis=1, dtype=np.int64)
    return out


def unique(a: npt.NDArray[np.int32]) -> I32:
    """Sorted unique int32 values via sort + neighbour compare.

    numpy 2.x ``np.unique`` switched to a hash table that is several times slower than
    sorting for the id arrays used here.
    """
    out = np.sort(np.asarray(a, dtype=np.int32))
    if out.size > 1:
        keep = np.empty(out.size, dtype=np.bool_)
        keep[0] = True
        np.not_equal(out[1:], out[:-1], out=keep[1:])
        out = out[keep]
    return out


_ARANGE: list[I64] = [np.arange(1 << 16, dtype=np.int64)]


def arange_view(k: int) -> I64:
    """Return a read-only ``arange(k)`` view of a cached buffer, to avoid re-allocating it."""
    buf = _ARANGE[0]
    if k > buf.size:
        buf = np.arange(max(k, 2 * buf.size), dtype=np.int64)
        buf.setflags(write=False)
        _ARANGE[0] = buf
    return buf[:k]


def expand(indptr: I64, rows: I32) -> tuple[I64, I64]:
    """Positions of every CSR entry of ``rows`` (row-major) and the cumulative row sizes.

    ``cs[i]`` is the end offset (within the returned positions) of row ``rows[i]``; use
    ``np.searchsorted(cs, j, side='right')`` to map an entry back to its row.
    """
    starts = indptr[rows]
    cnt = indptr[rows + 1] - starts
    cs = np.cumsum(cnt)
    total = int(cs[-1]) if cs.size else 0
    if total == 0:
        return EMPTY_I64, cs
    pos = np.repeat(starts - (cs - cnt), cnt)
    pos += arange_view(total)
    return pos, cs


class Adjacency(NamedTuple):
    """One CSR adjacency to traverse, optionally filtered by a per-type boolean mask."""

    indptr: I64
    indices: I32
    types: I32 | None = None
    allowed: BoolArr | None = None


class BfsResult(NamedTuple):
    """Nodes reached by :func:`bfs` in BFS order, with depth and parent of each."""

    order: I32
    depths: I32
    parents: I32
    truncated: bool


def _new_nodes(
    n: int, seen: BoolArr, stamp: I32, adjs: tuple[Adjacency, ...], frontier: I32
) -> tuple[I32, I32]:
    """Unseen out-neighbours of ``frontier`` (deduplicated) and one frontier parent each."""
    cands: list[I32] = []
    pars: list[I32] = []
    for adj in adjs:
        pos, cs = expand(adj.indptr, frontier)
        if pos.size == 0:
            continue
        nbr = adj.indices[pos]
        mask = ~seen[nbr]
        if adj.allowed is not None and adj.types is not None:
            mask &= adj.allowed[adj.types[pos]]
        ei = np.flatnonzero(mask)
        if ei.size == 0:
            continue
        cands.append(nbr[ei])
        pars.append(frontier[np.searchsorted(cs, ei, side="right")])
    if not cands:
        return EMPTY_I32, EMPTY_I32
    cand = cands[0] if len(cands) == 1 else np.concatenate(cands)
    par = pars[0] if len(pars) == 1 else np.concatenate(pars)
    ar = arange_view(cand.size).astype(np.int32)
    stamp[cand] = ar
    keep = stamp[cand] == ar
    return cand[keep], par[keep]


def bfs(
    n: int,
    adjs: tuple[Adjacency, ...],
    sources: I32,
    max_depth: int | None = None,
    node_limit: int | None = None,
) -> BfsResult:
    """Multi-source BFS over the union of ``adjs``; sources are returned first at depth 0.

    ``node_limit`` caps the number of returned nodes (sources included); the level that
    crosses it is cut deterministically (lowest node ids kept) and ``truncated`` is set.
    """
    seen = np.zeros(n, dtype=np.bool_)
    stamp = np.empty(n, dtype=np.int32)
    seen[sources] = True
    levels: list[I32] = [sources]
    parents: list[I32] = [np.full(sources.size, -1, dtype=np.int32)]
    total = int(sources.size)
    truncated = False
    frontier = sources
    depth = 0
    while frontier.size and (max_depth is None or depth < max_depth):
        new, par = _new_nodes(n, seen, stamp, adjs, frontier)
        if new.size == 0:
            break
        if node_limit is not None and total + new.size > node_limit:
            room = node_limit - total
            order = np.argsort(new, kind="stable")[:room]
            new, par = new[order], par[order]
            truncated = True
        seen[new] = True
        levels.append(new)
        parents.append(par)
        total += int(new.size)
        depth += 1
        frontier = new
        if truncated:
            break
    sizes = np.fromiter((lv.size for lv in levels), dtype=np.int64, count=len(levels))
    depths = np.repeat(np.arange(len(levels), dtype=np.int32), sizes)
    return BfsResult(np.concatenate(levels), depths, np.concatenate(parents), truncated)


def reach_count(n: int, adj: Adjacency, source: int, cap: int | None) -> tuple[int, bool]:
    """Number of nodes reachable from ``source`` (itself excluded), stopping above ``cap``.

    Returns ``(count, truncated)``; when truncated, ``count`` is ``cap``.
    """
    seen = np.zeros(n, dtype=np.bool_)
    stamp = np.empty(n, dtype=np.int32)
    frontier = np.array([source], dtype=np.int32)
    seen[source] = True
    total = 0
    while frontier.size:
        new, _ = _new_nodes(n, seen, stamp, (adj,), frontier)
        total += int(new.size)
        if cap is not None and total > cap:
            return cap, True
        seen[new] = True
        frontier = new
    return total, False


class ImpactArrays(NamedTuple):
    """The arrays the impact kernel needs (global graph or an induced sub-graph).

    ``rev_indptr``/``rev_indices`` are the same edges reversed (v -> u for u -> v); the
    kernel reads them only to repair DOWN chains (see :func:`down_chain_repair`).
    """

    n: int
    indptr: I64
    indices: I32
    counted: BoolArr  # per edge: member edge into an active redundancy group
    threshold: I32  # per node: DOWN members needed to bring a group DOWN
    has_counted: bool
    rev_indptr: I64
    rev_indices: I32


class ImpactRaw(NamedTuple):
    """Kernel output: affected nodes in BFS order (failed nodes excluded).

    Other CIs are given by their *position*: ``p >= 0`` is ``nodes[p]``, ``p < 0`` is
    the failed CI ``failed[p + len(failed)]`` (in the order the kernel was given them).
    Why positions: they need no id mapping and no lookup table to walk a chain, and the
    compiled kernel writes them without reading anything.

    ``parents`` are the positions of the BFS parents (one shortest chain). A DOWN node's
    DOWN chain (the previous CI on a shortest chain made only of DOWN CIs) is its BFS
    parent, except for the nodes at positions ``fix_nodes``, whose DOWN-chain parents are
    at ``fix_parents`` (usually few: the DOWN nodes whose BFS chain passes a DEGRADED one).
    """

    nodes: I32
    states: I8
    depths: I32
    parents: I32
    fix_nodes: I32
    fix_parents: I32


def _positional(
    n: int,
    failed: I32,
    nodes: I32,
    states: I8,
    depths: I32,
    parents: I32,
    fix: I32 = EMPTY_I32,
    fix_parents: I32 = EMPTY_I32,
) -> ImpactRaw:
    """The numpy kernel's node ids of parents and fixes as positions (:class:`ImpactRaw`);
    a fix without a DOWN predecessor (cannot happen) keeps its BFS parent."""
    where = np.zeros(n, dtype=np.int32)
    where[failed] = np.arange(failed.size, dtype=np.int32) - np.int32(failed.size)
    where[nodes] = np.arange(nodes.size, dtype=np.int32)
    fix_pos = where[fix]
    fix_par = np.where(fix_parents >= 0, where[np.maximum(fix_parents, 0)], where[parents[fix_pos]])
    return ImpactRaw(nodes, states, depths, where[parents], fix_pos, fix_par.astype(np.int32))


def impact_kernel(
    g: ImpactArrays, failed: I32, max_depth: int | None, chains: bool = True
) -> ImpactRaw:
    """Least-fixpoint failure propagation from ``failed`` (unique internal ids).

    Non-OK nodes are exactly the nodes reachable from ``failed``; DOWN is the least
    fixpoint of "any DOWN non-member predecessor, or more DOWN members than the group
    tolerates". Both are computed in one level-synchronous sweep: the discovery frontier
    gives depth/parent, and DOWN propagates along the same gathered edges, with a small
    extra "upgrade" worklist for nodes that turn DOWN after they were first reached.
    ``max_depth`` cuts the sweep only when no redundancy group exists; with groups the
    whole sweep runs (a group's state may depend on members further away) and the caller
    filters. DOWN nodes also get a DOWN-chain parent (see :class:`ImpactRaw`) unless
    ``chains`` is False (root cause only needs states and depths: parents and fixes are
    then left empty).
    """
    n = g.n
    dep1 = np.zeros(n, dtype=np.int32)  # depth + 1; 0 = not reached
    state = np.zeros(n, dtype=np.int8)
    parent = np.empty(n, dtype=np.int32)
    stamp = np.empty(n, dtype=np.int32)
    cnt = np.zeros(n, dtype=np.int32) if g.has_counted else None
    dep1[failed] = 1
    state[failed] = DOWN
    levels: list[I32] = []
    frontier = failed
    upgrades = EMPTY_I32
    level = 0
    truncate_bfs = max_depth is not None and not g.has_counted
    while frontier.size or upgrades.size:
        if truncate_bfs and max_depth is not None and level >= max_depth:
            break
        new = EMPTY_I32
        pos = EMPTY_I64
        cs = EMPTY_I64
        nbr = EMPTY_I32
        if frontier.size:
            pos, cs = expand(g.indptr, frontier)
            if pos.size:
                nbr = g.indices[pos]
                ei = np.flatnonzero(dep1[nbr] == 0)
                if ei.size:
                    cand = nbr[ei]
                    ar = arange_view(cand.size).astype(np.int32)
                    stamp[cand] = ar
                    keep = stamp[cand] == ar
                    new = cand[keep]
                    dep1[new] = level + 2
                    parent[new] = frontier[np.searchsorted(cs, ei[keep], side="right")]
        if cnt is None:
            state[new] = DOWN
        else:
            # DOWN propagation from frontier nodes that were DOWN at round start, plus
            # upgraded nodes (reached earlier as DEGRADED, DOWN since).
            tgt_parts: list[I32] = []
            pos_parts: list[I64] = []
            if nbr.size:
                fdown = state[frontier] == DOWN
                if fdown.all():
                    tgt_parts.append(nbr)
                    pos_parts.append(pos)
                elif fdown.any():
                    em = np.repeat(fdown, np.diff(cs, prepend=0))
                    tgt_parts.append(nbr[em])
                    pos_parts.append(pos[em])
            if upgrades.size:
                upos, _ = expand(g.indptr, upgrades)
                if upos.size:
                    tgt_parts.append(g.indices[upos])
                    pos_parts.append(upos)
            hits: list[I32] = []
            if tgt_parts:
                tgt = tgt_parts[0] if len(tgt_parts) == 1 else np.concatenate(tgt_parts)
                tpos = pos_parts[0] if len(pos_parts) == 1 else np.concatenate(pos_parts)
                fl = g.counted[tpos]
                imm = tgt[~fl]
                imm = imm[state[imm] != DOWN]
                if imm.size:
                    state[imm] = DOWN
                    hits.append(imm)
                mem = tgt[fl]
                if mem.size:
                    mem = mem[state[mem] != DOWN]
                    if mem.size:
                        np.add.at(cnt, mem, 1)
                        hit = mem[cnt[mem] >= g.threshold[mem]]
                        if hit.size:
                            state[hit] = DOWN
                            hits.append(hit)
            if hits:
                h = hits[0] if len(hits) == 1 else np.concatenate(hits)
                h = h[dep1[h] <= level + 1]  # reached before this round -> upgrade
                upgrades = unique(h) if h.size else EMPTY_I32
            else:
                upgrades = EMPTY_I32
        if new.size:
            levels.append(new)
        level += 1
        frontier = new
    if not levels:
        return ImpactRaw(
            EMPTY_I32, np.empty(0, np.int8), EMPTY_I32, EMPTY_I32, EMPTY_I32, EMPTY_I32
        )
    nodes = np.concatenate(levels)
    depths = dep1[nodes] - 1
    parents = parent[nodes]
    if cnt is None:  # no redundancy: every reached node is DOWN through its BFS parent
        states = np.full(nodes.size, DOWN, np.int8)
        if not chains:
            return ImpactRaw(nodes, states, depths, EMPTY_I32, EMPTY_I32, EMPTY_I32)
        return _positional(n, failed, nodes, states, depths, parents)
    states = np.maximum(state[nodes], np.int8(DEGRADED))
    down = states == DOWN
    n_down = int(np.count_nonzero(down))
    if not chains:
        return ImpactRaw(nodes, states, depths, EMPTY_I32, EMPTY_I32, EMPTY_I32)
    if n_down == nodes.size or n_down == 0:  # all DOWN, or none: no repair
        return _positional(n, failed, nodes, states, depths, parents)
    # "dirty": DOWN, but the BFS chain passes a DEGRADED node. Found from the DOWN nodes
    # level by level when they are the fewer, else along BFS-tree edges out of the
    # DEGRADED nodes (the tree is known: ``parent`` is per node).
    dirty = np.zeros(n, dtype=np.bool_)
    found: list[I32] = []
    avg_degree = g.indptr[-1] / max(n, 1)
    if n_down <= avg_degree * (nodes.size - n_down):
        shallowest = int(depths[~down].min())  # nothing above the first DEGRADED CI is dirty
        for lv in levels[shallowest:]:
            lv = lv[state[lv] == DOWN]
            par = parent[lv]
            bad = (state[par] != DOWN) | dirty[par]
            dirty[lv] = bad
            found.append(lv[bad])
    else:
        frontier = nodes[~down]
        while frontier.size:
            pos, cs = expand(g.indptr, frontier)
            w = g.indices[pos]
            owner = frontier[np.searchsorted(cs, np.arange(pos.size), side="right")]
            child = (dep1[w] > 1) & (state[w] == DOWN)
            child &= parent[np.where(child, w, 0)] == owner
            child &= ~dirty[w]
            frontier = unique(w[child])
            dirty[frontier] = True
            found.append(frontier)
    fix = np.concatenate(found) if found else EMPTY_I32
    if fix.size == 0:
        return _positional(n, failed, nodes, states, depths, parents)
    repaired = down_chain_repair(g, fix, dirty, state, dep1)
    return _positional(n, failed, nodes, states, depths, parents, fix, repaired)


def down_chain_repair(g: ImpactArrays, dirty: I32, is_dirty: BoolArr, state: I8, dep1: I32) -> I32:
    """DOWN-chain parents of the DOWN nodes whose BFS chain passes a DEGRADED node.

    Why: the BFS parent gives a shortest chain, but a DOWN CI must be explained by a chain
    of DOWN CIs. A "clean" DOWN node (its BFS chain is all DOWN) already has the shortest
    possible DOWN chain (its depth); the few ``dirty`` ones get the shortest chain through
    DOWN predecessors: seeded from clean predecessors at ``depth + 1``, then relaxed along
    dirty-to-dirty edges (Bellman-Ford rounds, as many as the longest dirty chain).
    ``dep1`` is depth + 1 and ``state`` DOWN or not per node (failed CIs are DOWN).
    """
    n = g.n
    nd = dirty.size
    loc = np.empty(n, dtype=np.int64)
    loc[dirty] = np.arange(nd)
    pos, cs = expand(g.rev_indptr, dirty)
    owner = np.searchsorted(cs, np.arange(pos.size), side="right")
    pred = g.rev_indices[pos]
    inf = np.iinfo(np.int64).max // 2
    dist = np.full(nd, inf, dtype=np.int64)
    par = np.full(nd, -1, dtype=np.int32)
    seed = (state[pred] == DOWN) & ~is_dirty[pred]
    if seed.any():
        o, u = owner[seed], pred[seed]
        cand = dep1[u].astype(np.int64)  # depth(u) + 1
        first = np.lexsort((u, cand, o))
        o, u, cand = o[first], u[first], cand[first]
        head = np.ones(o.size, dtype=np.bool_)
        head[1:] = o[1:] != o[:-1]
        dist[o[head]] = cand[head]
        par[o[head]] = u[head]
    inner = is_dirty[pred]
    o_in, u_in = owner[inner], pred[inner]
    u_loc = loc[u_in]
    while o_in.size:
        cand = dist[u_loc] + 1
        better = cand < dist[o_in]
        if not better.any():
            break
        bo, bu, bc = o_in[better], u_in[better], cand[better]
        first = np.lexsort((bu, bc, bo))
        bo, bu, bc = bo[first], bu[first], bc[first]
        head = np.ones(bo.size, dtype=np.bool_)
        head[1:] = bo[1:] != bo[:-1]
        dist[bo[head]] = bc[head]
        par[bo[head]] = bu[head]
    return par
