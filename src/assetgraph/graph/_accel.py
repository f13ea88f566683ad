"""Optional numba-compiled kernels (same results as the numpy kernels, ~5-10x faster).

numba is *optional*: if it is not installed (or ``ASSETGRAPH_GRAPH_BACKEND=numpy`` is
set) nothing here is compiled and the numpy kernels in :mod:`._kernels` are used. The
kernels are plain sequential queue-based traversals: on a 2-core server a tight compiled
loop over CSR arrays beats any vectorised frontier formulation, because it touches each
edge once with no temporary arrays.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from ._kernels import I8, I32, I64, Adjacency, BfsResult, BoolArr, ImpactArrays, ImpactRaw

__all__ = [
    "available",
    "bfs",
    "impact_kernel",
    "reach_count",
    "reach_counts",
    "symptom_states",
]

_nb: Any = None
if os.environ.get("ASSETGRAPH_GRAPH_BACKEND", "auto").lower() != "numpy":
    try:  # pragma: no cover - depends on the environment
        # Imported by name so type checking is the same with or without numba installed.
        _nb = importlib.import_module("numba")
    except ImportError:  # pragma: no cover - depends on the environment
        _nb = None


def available() -> bool:
    """True when numba could be imported (the compiled kernels can be used)."""
    return _nb is not None


def _jit(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``numba.njit(cache=True, nogil=True)`` when numba is present, else the plain function."""
    if _nb is None:
        return fn
    compiled: Callable[..., Any] = _nb.njit(cache=True, nogil=True)(fn)
    return compiled


_DUMMY_I64 = np.zeros(1, np.int64)
_DUMMY_I32 = np.zeros(1, np.int32)
_DUMMY_B = np.zeros(1, np.bool_)
_SEEN = 1
_DOWN = 2
_POPPED = 4


@_jit
def _impact_nb(
    n: int,
    indptr: I64,
    indices: I32,
    counted: BoolArr,
    threshold: I32,
    has_counted: bool,
    failed: I32,
    depth_cap: int,
    to_ext: I32,
    map_ext: bool,
) -> tuple[I32, I8, I32, I32]:  # pragma: no cover - compiled
    """Queue BFS (depth/parent) fused with the DOWN worklist (redundancy thresholds).

    Per-node random-access state is one byte (seen/down/popped flags) plus a member
    counter that is only touched on member edges; depth and parent live in arrays
    aligned with the BFS queue, so they are written sequentially.
    """
    flags = np.zeros(n, np.uint8)
    cnt = np.zeros(n if has_counted else 1, np.int32)
    queue = np.empty(n, np.int32)
    parq = np.empty(n, np.int32)
    depq = np.empty(n, np.int32)
    stack = np.empty(n if has_counted else 1, np.int32)
    tail = 0
    for f in failed:
        flags[f] = _SEEN | _DOWN
        queue[tail] = f
        parq[tail] = -1
        depq[tail] = 0
        tail += 1
    head = 0
    while head < tail:
        u = queue[head]
        du = depq[head]
        head += 1
        fu = flags[u] | _POPPED
        flags[u] = fu
        grow = depth_cap < 0 or du < depth_cap
        u_down = (fu & _DOWN) != 0
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            fv = flags[v]
            if (fv & _SEEN) == 0:
                if not grow:
                    continue
                queue[tail] = v
                parq[tail] = u
                depq[tail] = du + 1
                tail += 1
                fv |= _SEEN
                if not has_counted:
                    fv |= _DOWN
                flags[v] = fv
            if not has_counted or not u_down or (fv & _DOWN) != 0:
                continue
            if counted[e]:
                cnt[v] += 1
                if cnt[v] < threshold[v]:
                    continue
            flags[v] = fv | _DOWN
            if (fv & _POPPED) != 0:
                # upgraded after it was expanded: propagate DOWN now (depth-first)
                sp = 0
                stack[sp] = v
                sp += 1
                while sp > 0:
                    sp -= 1
                    w = stack[sp]
                    for e2 in range(indptr[w], indptr[w + 1]):
                        x = indices[e2]
                        fx = flags[x]
                        if (fx & _DOWN) != 0:
                            continue
                        if counted[e2]:
                            cnt[x] += 1
                            if cnt[x] < threshold[x]:
                                continue
                        flags[x] = fx | _DOWN
                        if (fx & _POPPED) != 0:
                            stack[sp] = x
                            sp += 1
    k = failed.size
    m = tail - k
    nodes = np.empty(m, np.int32)
    states = np.empty(m, np.int8)
    parents = np.empty(m, np.int32)
    for i in range(m):
        v = queue[k + i]
        states[i] = 2 if (flags[v] & _DOWN) != 0 else 1
        p = parq[k + i]
        if map_ext:
            nodes[i] = to_ext[v]
            parents[i] = to_ext[p]
        else:
            nodes[i] = v
            parents[i] = p
    return nodes, states, depq[k:tail].copy(), parents


def impact_kernel(
    g: ImpactArrays, failed: I32, max_depth: int | None, to_ext: I32 | None = None
) -> ImpactRaw:
    """Compiled equivalent of :func:`._kernels.impact_kernel` (same sets, states, depths).

    With ``to_ext`` the returned node and parent ids are already mapped to caller ids.
    """
    cap = -1 if max_depth is None or g.has_counted else max_depth
    nodes, states, depths, parents = _impact_nb(
        g.n,
        g.indptr,
        g.indices,
        g.counted,
        g.threshold,
        g.has_counted,
        failed,
        cap,
        _DUMMY_I32 if to_ext is None else to_ext,
        to_ext is not None,
    )
    if max_depth is not None and g.has_counted:
        keep = depths <= max_depth
        nodes, states, depths, parents = nodes[keep], states[keep], depths[keep], parents[keep]
    return ImpactRaw(nodes, states, depths, parents)


@_jit
def _bfs_nb(
    n: int,
    ip1: I64,
    ix1: I32,
    ty1: I32,
    ok1: BoolArr,
    ip2: I64,
    ix2: I32,
    ty2: I32,
    ok2: BoolArr,
    n_adj: int,
    filt1: bool,
    filt2: bool,
    sources: I32,
    depth_cap: int,
    node_limit: int,
) -> tuple[I32, I32, I32]:  # pragma: no cover - compiled
    """Level-ordered BFS over one or two CSR adjacencies; stops after the level crossing
    ``node_limit`` (the caller cuts that level)."""
    seen = np.zeros(n, np.bool_)
    queue = np.empty(n, np.int32)
    depth = np.empty(n, np.int32)
    parent = np.empty(n, np.int32)
    tail = 0
    for s in sources:
        seen[s] = True
        queue[tail] = s
        depth[tail] = 0
        parent[tail] = -1
        tail += 1
    head = 0
    level_end = tail
    level = 0
    while head < tail:
        if head == level_end:
            level += 1
            level_end = tail
            if node_limit >= 0 and tail > node_limit:
                break
        if depth_cap >= 0 and level >= depth_cap:
            break
        u = queue[head]
        head += 1
        for a in range(n_adj):
            ip = ip1 if a == 0 else ip2
            ix = ix1 if a == 0 else ix2
            ty = ty1 if a == 0 else ty2
            ok = ok1 if a == 0 else ok2
            filt = filt1 if a == 0 else filt2
            for e in range(ip[u], ip[u + 1]):
                v = ix[e]
                if seen[v]:
                    continue
                if filt and not ok[ty[e]]:
                    continue
                seen[v] = True
                queue[tail] = v
                depth[tail] = level + 1
                parent[tail] = u
                tail += 1
    return queue[:tail].copy(), depth[:tail].copy(), parent[:tail].copy()


def bfs(
    n: int,
    adjs: tuple[Adjacency, ...],
    sources: I32,
    max_depth: int | None = None,
    node_limit: int | None = None,
) -> BfsResult:
    """Compiled equivalent of :func:`._kernels.bfs` (same levels, same truncation rule)."""
    if not 1 <= len(adjs) <= 2:
        raise ValueError("1 or 2 adjacencies supported")
    a1 = adjs[0]
    a2 = adjs[1] if len(adjs) == 2 else Adjacency(_DUMMY_I64, _DUMMY_I32)
    f1 = a1.allowed is not None and a1.types is not None
    f2 = a2.allowed is not None and a2.types is not None
    order, depths, parents = _bfs_nb(
        n,
        a1.indptr,
        a1.indices,
        a1.types if a1.types is not None else _DUMMY_I32,
        a1.allowed if a1.allowed is not None else _DUMMY_B,
        a2.indptr,
        a2.indices,
        a2.types if a2.types is not None else _DUMMY_I32,
        a2.allowed if a2.allowed is not None else _DUMMY_B,
        len(adjs),
        f1,
        f2,
        sources,
        -1 if max_depth is None else max_depth,
        -1 if node_limit is None else node_limit,
    )
    truncated = False
    if node_limit is not None and order.size > node_limit:
        last = int(depths[-1])
        start = int(np.searchsorted(depths, last))
        room = node_limit - start
        sel = np.argsort(order[start:], kind="stable")[:room] + start
        keep = np.concatenate([np.arange(start), sel])
        order, depths, parents = order[keep], depths[keep], parents[keep]
        truncated = True
    return BfsResult(order, depths, parents, truncated)


@_jit
def _reach_nb(
    n: int, indptr: I64, indices: I32, source: int, cap: int
) -> int:  # pragma: no cover - compiled
    """Count nodes reachable from ``source`` (excluded); returns cap+1 once above ``cap``."""
    seen = np.zeros(n, np.bool_)
    queue = np.empty(n, np.int32)
    seen[source] = True
    queue[0] = source
    head, tail = 0, 1
    while head < tail:
        u = queue[head]
        head += 1
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            if not seen[v]:
                seen[v] = True
                queue[tail] = v
                tail += 1
                if cap >= 0 and tail - 1 > cap:
                    return tail - 1
    return tail - 1


def reach_count(n: int, adj: Adjacency, source: int, cap: int | None) -> tuple[int, bool]:
    """Compiled equivalent of :func:`._kernels.reach_count`."""
    c = int(_reach_nb(n, adj.indptr, adj.indices, source, -1 if cap is None else cap))
    if cap is not None and c > cap:
        return cap, True
    return c, False


@_jit
def _reach_many_nb(
    n: int, indptr: I64, indices: I32, sources: I32, cap: int
) -> I64:  # pragma: no cover - compiled
    """Reach-set size (source excluded) of each source, stopping at ``cap + 1``.

    One visited-stamp array serves all sources (stamp = source index), so nothing is
    cleared between sources.
    """
    stamp = np.full(n, -1, np.int32)
    queue = np.empty(n, np.int32)
    out = np.zeros(sources.size, np.int64)
    for i in range(sources.size):
        s = sources[i]
        stamp[s] = i
        queue[0] = s
        head, tail = 0, 1
        done = False
        while head < tail and not done:
            u = queue[head]
            head += 1
            for e in range(indptr[u], indptr[u + 1]):
                v = indices[e]
                if stamp[v] != i:
                    stamp[v] = i
                    queue[tail] = v
                    tail += 1
                    if cap >= 0 and tail - 1 > cap:
                        done = True
                        break
        out[i] = tail - 1
    return out


def reach_counts(n: int, adj: Adjacency, sources: I32, cap: int | None) -> I64:
    """Reach-set sizes of many sources in one compiled call (``cap + 1`` = above cap)."""
    counts: I64 = _reach_many_nb(n, adj.indptr, adj.indices, sources, -1 if cap is None else cap)
    return counts


@_jit
def _symptom_states_nb(
    n: int,
    indptr: I64,
    indices: I32,
    counted: BoolArr,
    threshold: I32,
    has_counted: bool,
    cands: I32,
    sym: I32,
) -> tuple[I8, I32]:  # pragma: no cover - compiled
    """For each candidate: impact, then the state and depth of every symptom."""
    k = sym.size
    states = np.zeros((cands.size, k), np.int8)
    depths = np.full((cands.size, k), -1, np.int32)
    where = np.full(n, -1, np.int64)
    for j in range(k):
        where[sym[j]] = j
    one = np.empty(1, np.int32)
    for i in range(cands.size):
        c = cands[i]
        if where[c] >= 0:
            states[i, where[c]] = 2
            depths[i, where[c]] = 0
        one[0] = c
        nodes, st, dp, _ = _impact_nb(
            n, indptr, indices, counted, threshold, has_counted, one, -1, one, False
        )
        for t in range(nodes.size):
            j = where[nodes[t]]
            if j >= 0:
                states[i, j] = st[t]
                depths[i, j] = dp[t]
    return states, depths


def symptom_states(g: ImpactArrays, cands: I32, sym: I32) -> tuple[I8, I32]:
    """(candidates x symptoms) state and hop-depth matrices from single-CI failures."""
    states: I8
    depths: I32
    states, depths = _symptom_states_nb(
        g.n, g.indptr, g.indices, g.counted, g.threshold, g.has_counted, cands, sym
    )
    return states, depths


@_jit
def _coverage_nb(
    n: int, rev_indptr: I64, rev_indices: I32, sym: I32
) -> tuple[I64, I64]:  # pragma: no cover - compiled
    """Per node: how many symptoms its failure reaches, and the summed hop distances."""
    coverage = np.zeros(n, np.int64)
    dist_sum = np.zeros(n, np.int64)
    dist = np.full(n, -1, np.int32)
    queue = np.empty(n, np.int32)
    for j in range(sym.size):
        s = sym[j]
        dist[s] = 0
        queue[0] = s
        head, tail = 0, 1
        while head < tail:
            u = queue[head]
            head += 1
            coverage[u] += 1
            dist_sum[u] += dist[u]
            for e in range(rev_indptr[u], rev_indptr[u + 1]):
                v = rev_indices[e]
                if dist[v] < 0:
                    dist[v] = dist[u] + 1
                    queue[tail] = v
                    tail += 1
        for i in range(tail):
            dist[queue[i]] = -1
    return coverage, dist_sum


def coverage(n: int, rev_indptr: I64, rev_indices: I32, sym: I32) -> tuple[I64, I64]:
    """Compiled per-symptom reverse BFS: exact coverage count and distance sum per node."""
    cov: I64
    dsum: I64
    cov, dsum = _coverage_nb(n, rev_indptr, rev_indices, sym)
    return cov, dsum


@_jit
def _bnb_nb(
    n: int,
    indptr: I64,
    indices: I32,
    memo: I32,
    nodes: I32,
    explained: I64,
    maxd: I64,
    ext: I64,
    slots: int,
    cap: int,
) -> tuple[I64, BoolArr, BoolArr]:  # pragma: no cover - compiled
    """Pick the ``slots`` smallest-collateral candidates (ties: distance, id) with pruning.

    Candidates are visited in the given order; once ``slots`` are kept, a reach count
    stops as soon as it proves the candidate worse than the worst kept one. Exact
    counts (and proven lower bounds, as ``-bound - 2``) are written to ``memo``.
    """
    k = nodes.size
    coll = np.zeros(k, np.int64)
    trunc = np.zeros(k, np.bool_)
    chosen = np.zeros(k, np.bool_)
    b_coll = np.zeros(slots + 1, np.int64)
    b_d = np.zeros(slots + 1, np.int64)
    b_ext = np.zeros(slots + 1, np.int64)
    b_i = np.zeros(slots + 1, np.int64)
    nb = 0
    stamp = np.full(n, -1, np.int32)
    queue = np.empty(n, np.int32)
    for j in range(k):
        bound = cap
        if nb >= slots:
            worst = b_coll[slots - 1]
            bound = worst if bound < 0 else min(bound, worst)
        limit = -1 if bound < 0 else bound + explained[j]
        node = nodes[j]
        m = memo[node]
        over = False
        reach = 0
        if m >= 0:
            reach = m
        elif m <= -2 and limit >= 0 and -m - 2 >= limit:
            over = True
        else:
            stamp[node] = j
            queue[0] = node
            head, tail = 0, 1
            while head < tail and not over:
                u = queue[head]
                head += 1
                for e in range(indptr[u], indptr[u + 1]):
                    v = indices[e]
                    if stamp[v] != j:
                        stamp[v] = j
                        queue[tail] = v
                        tail += 1
                        if limit >= 0 and tail - 1 > limit:
                            over = True
                            break
            if over:
                memo[node] = -(tail - 2) - 2  # reach > tail - 2
            else:
                reach = tail - 1
                memo[node] = reach
        c = reach - explained[j]
        if not over and bound >= 0 and c > bound:
            over = True
        if over:
            if cap < 0 or bound < cap:
                continue  # provably worse than every kept candidate
            c = cap
            trunc[j] = True
        if c < 0:
            c = 0
        coll[j] = c
        # insert (c, maxd, ext, j) into the sorted best list if it beats the worst
        pos = nb
        while pos > 0:
            p = pos - 1
            if (b_coll[p], b_d[p], b_ext[p]) > (c, maxd[j], ext[j]):
                pos -= 1
            else:
                break
        if pos >= slots:
            continue
        last = nb if nb < slots else slots - 1
        for q in range(last, pos, -1):
            b_coll[q] = b_coll[q - 1]
            b_d[q] = b_d[q - 1]
            b_ext[q] = b_ext[q - 1]
            b_i[q] = b_i[q - 1]
        b_coll[pos] = c
        b_d[pos] = maxd[j]
        b_ext[pos] = ext[j]
        b_i[pos] = j
        if nb < slots:
            nb += 1
    for q in range(nb):
        chosen[b_i[q]] = True
    return coll, trunc, chosen


def best_collateral(
    n: int,
    adj: Adjacency,
    memo: I32,
    nodes: I32,
    explained: I64,
    maxd: I64,
    ext: I64,
    slots: int,
    cap: int | None,
) -> tuple[I64, BoolArr, BoolArr]:
    """Compiled branch-and-bound selection of the ``slots`` best boundary candidates."""
    coll: I64
    trunc: BoolArr
    chosen: BoolArr
    coll, trunc, chosen = _bnb_nb(
        n,
        adj.indptr,
        adj.indices,
        memo,
        nodes,
        explained,
        maxd,
        ext,
        slots,
        -1 if cap is None else cap,
    )
    return coll, trunc, chosen
