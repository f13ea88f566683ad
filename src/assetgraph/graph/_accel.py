"""Optional numba-compiled kernels (same results as the numpy kernels, ~5-10x faster).

numba is *optional*: if it is not installed (or ``ASSETGRAPH_GRAPH_BACKEND=numpy`` is
set) nothing here is compiled and the numpy kernels in :mod:`._kernels` are used. The
kernels are plain sequential queue-based traversals: on a 2-core server a tight compiled
loop over CSR arrays beats any vectorised frontier formulation, because it touches each
edge once with no temporary arrays.
"""

from __future__ import annotations

import importlib
import mmap
import os
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from ._kernels import I8, I32, I64, Adjacency, BfsResult, BoolArr, ImpactArrays, ImpactRaw

__all__ = [
    "available",
    "bfs",
    "impact_kernel",
    "nonzero_at",
    "reach_count",
    "reach_counts",
    "row_facts",
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


_U = np.uint64  # unsigned index type of the hot loops (see _impact_nb)
_DUMMY_I64 = np.zeros(1, np.int64)
_DUMMY_I32 = np.zeros(1, np.int32)
_DUMMY_B = np.zeros(1, np.bool_)
_SEEN = 1
_DOWN = 2
_SPREAD = 4  # DOWN, and its out-edges have been followed as DOWN
_DIRTY = 8  # DOWN, but its BFS chain passes a DEGRADED CI
_NEED = 16  # a clean DOWN predecessor of a dirty CI: its depth seeds the repair
_DONE = 32  # DOWN-chain distance final (chain repair)
_WORK_SLOTS = 7  # n-sized int32 regions of the workspace (see _impact_nb)


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
    rev_indptr: I64,
    rev_indices: I32,
    chains: bool,
    flags: npt.NDArray[np.uint8],
    cnt: I32,
    work: I32,
    alloc_limit: int,
) -> tuple[I32, I8, I32, I32, I32, np.int64, np.int64]:  # pragma: no cover - compiled
    """Queue BFS (depth/parent) fused with the DOWN worklist (redundancy thresholds).

    Per-node random-access state is one byte (seen/down/popped flags) plus a member
    counter that is only touched on member edges; depth and the parent's queue position
    live in arrays aligned with the BFS queue, so they are written sequentially.

    The per-node arrays are the caller's, reused between queries: ``flags`` and ``cnt``
    must hold zeros in their first ``n`` entries and are left that way (only the reached
    nodes are reset; counters through the list of the ones that were incremented, so
    memory is touched only where a query went), ``work`` is int32 workspace of
    ``_WORK_SLOTS * n`` entries, any content: queue, parents' queue positions, depths, the
    DOWN-propagation stack (later the dirty list), the chain repair's seeds (nodes and
    depths) and the touched counters, each written from its start. Fresh arrays would
    cost more than a small query itself (numba zero-fills them, and the memory pages in).

    With ``chains`` (and redundancy groups: without them every BFS chain is all DOWN),
    DOWN nodes below a DEGRADED node in the BFS tree get a shortest DOWN chain
    (:func:`_down_chains_nb`), returned as ``fix`` (the result positions of those nodes,
    then of their chain parents). Parents are result positions too (see
    :class:`~._kernels.ImpactRaw`).

    Returns (nodes, states, depths, parents, fix, queue tail, touched counters). When more than
    ``alloc_limit`` nodes were reached, nothing is allocated or returned but the tail: the
    caller allocates the result arrays and calls :func:`_finish_nb` (why: see
    :func:`impact_kernel`).
    """
    # Indices are unsigned in the hot loops: numba wraps negative signed indices around
    # (a compare and an add per access), which made this loop 1.5-2x slower than the same
    # loop in C; with unsigned indices it compiles to what a C compiler emits.
    one = _U(1)
    queue = work[:n]
    parq = work[n : 2 * n]  # queue position of the BFS parent
    depq = work[2 * n : 3 * n]
    stack = work[3 * n : 4 * n]
    touched = work[6 * n : 7 * n]  # nodes whose member counter left zero
    nct = 0
    n_up = 0  # CIs turned DOWN after they were seen, listed in ``stack``
    tail = _U(0)
    for f in failed:
        flags[_U(f)] = _SEEN | _DOWN
        queue[tail] = f
        parq[tail] = -1
        depq[tail] = 0
        tail += one
    # a CI discovered without redundancy groups is DOWN (every chain is all DOWN)
    mark = np.uint8(_SEEN) if has_counted else np.uint8(_SEEN | _DOWN)
    head = _U(0)
    while head < tail:
        u = _U(queue[head])
        du = depq[head]
        at = np.int32(head)
        head += one
        fu = flags[u]
        grow = depth_cap < 0 or du < depth_cap
        u_down = (fu & _DOWN) != 0
        e = _U(indptr[u])
        end = _U(indptr[u + one])
        if not (has_counted and u_down):
            # Nothing to count from this CI: the plain discovery loop, as tight as the C
            # reference's (with the member-counter branch in it, the loop ran ~25 % slower
            # on a 600k-CI query even though the branch was never taken).
            if grow:
                while e < end:
                    v = _U(indices[e])
                    e += one
                    fv = flags[v]
                    if (fv & _SEEN) == 0:
                        queue[tail] = np.int32(v)
                        parq[tail] = at
                        depq[tail] = du + 1
                        tail += one
                        flags[v] = fv | mark
            continue
        flags[u] = fu | _SPREAD
        while e < end:
            ev = e
            e += one
            v = _U(indices[ev])
            fv = flags[v]
            if (fv & _SEEN) == 0:
                queue[tail] = np.int32(v)
                parq[tail] = at
                depq[tail] = du + 1
                tail += one
                fv |= _SEEN
                flags[v] = fv
            if (fv & _DOWN) != 0:
                continue
            if counted[ev]:
                c = cnt[v] + 1
                cnt[v] = c
                if c == 1:
                    touched[nct] = np.int32(v)
                    nct += 1
                if c < threshold[v]:
                    continue
            flags[v] = fv | _DOWN
            # DOWN after it was seen: if it was already expanded, its edges must still be
            # followed as DOWN; whether it was is not known here (no per-CI queue position),
            # so every such CI is listed and the ones not spread by then are spread below
            stack[n_up] = np.int32(v)
            n_up += 1
    # Spread DOWN from the CIs that turned DOWN after they were expanded (the least fixpoint
    # does not depend on the order; depths and parents are the BFS's). Each CI is listed at
    # most once (when it turns DOWN) and spread at most once, so every member edge is
    # counted once.
    sp = n_up
    while sp > 0:
        sp -= 1
        w = _U(stack[sp])
        fw = flags[w]
        if (fw & _SPREAD) != 0:
            continue
        flags[w] = fw | _SPREAD
        e2 = _U(indptr[w])
        end2 = _U(indptr[w + one])
        while e2 < end2:
            ew = e2
            e2 += one
            x = _U(indices[ew])
            fx = flags[x]
            if (fx & _DOWN) != 0:
                continue
            if counted[ew]:
                c = cnt[x] + 1
                cnt[x] = c
                if c == 1:
                    touched[nct] = np.int32(x)
                    nct += 1
                if c < threshold[x]:
                    continue
            flags[x] = fx | _DOWN
            stack[sp] = np.int32(x)
            sp += 1
    k = failed.size
    tl = np.int64(tail)
    m = tl - k
    if m > alloc_limit:  # the caller brings one buffer for the results (see impact_kernel)
        none = np.empty(0, np.int32)
        return none, np.empty(0, np.int8), none, none, none, tl, np.int64(nct)
    nodes = np.empty(m, np.int32)
    states = np.empty(m, np.int8)
    depths = np.empty(m, np.int32)
    parents = np.empty(m, np.int32)
    fix = _finish_nb(
        n,
        indptr,
        indices,
        has_counted,
        k,
        tl,
        nct,
        to_ext,
        map_ext,
        rev_indptr,
        rev_indices,
        chains,
        flags,
        cnt,
        work,
        nodes,
        states,
        depths,
        parents,
    )
    return nodes, states, depths, parents, fix, tl, np.int64(nct)


@_jit
def _finish_nb(
    n: int,
    indptr: I64,
    indices: I32,
    has_counted: bool,
    k: int,
    tl: int,
    nct: int,
    to_ext: I32,
    map_ext: bool,
    rev_indptr: I64,
    rev_indices: I32,
    chains: bool,
    flags: npt.NDArray[np.uint8],
    cnt: I32,
    work: I32,
    nodes: I32,
    states: I8,
    depths: I32,
    parents: I32,
) -> I32:  # pragma: no cover - compiled
    """Second half of :func:`_impact_nb`: write the reached nodes (queue positions ``k`` to
    ``tl`` of the workspace) into the given result arrays, find the DOWN chains, and leave
    ``flags``/``cnt`` zero again (``nct`` counters were touched). Returns the DOWN-chain
    fixes as one array of result positions: the fixed nodes', then their chain parents'."""
    one = _U(1)
    queue = work[:n]
    parq = work[n : 2 * n]
    depq = work[2 * n : 3 * n]
    dirty = work[3 * n : 4 * n]  # queue positions of dirty DOWN nodes (the stack is free)
    seed_n = work[4 * n : 5 * n]  # clean DOWN predecessors of dirty nodes...
    seed_p = work[5 * n : 6 * n]  # ...and their positions in the result
    touched = work[6 * n : 7 * n]
    m = tl - k
    want = chains and has_counted
    n_dirty = 0
    n_seed = 0
    # First pass in queue order. Caller ids go straight into ``nodes``; a parent is given by
    # its position in the result (negative: a failed CI, ``failed[p + k]``), which is its
    # queue position less ``k``: no read at all, where a parent's id would cost one. Then,
    # only when some CI is DOWN, a sequential pass over the states: a DOWN node is "dirty"
    # (its BFS chain passes a DEGRADED CI) when its BFS parent is DEGRADED or dirty, marked
    # 3 in ``states`` until the chains are repaired.
    uk = _U(k)
    um = _U(m)
    k32 = np.int32(k)
    n_down = 0
    i = _U(0)
    while i < um:
        q = uk + i
        v = _U(queue[q])
        nodes[i] = to_ext[v] if map_ext else np.int32(v)
        down = (flags[v] & _DOWN) != 0
        n_down += down
        states[i] = np.int8(2) if down else np.int8(1)
        parents[i] = parq[q] - k32
        depths[i] = depq[q]
        i += one
    # The DOWN chains, in a second pass over the DOWN CIs only (the first pass stays as
    # tight as a copy: most reached CIs are DEGRADED, and a large answer without any DOWN
    # CI skips this pass).
    shallowest = np.int32(1 << 30)
    if want and n_down:
        # dirty CIs: one sequential pass (parents come first, so a dirty parent's 3 is set)
        i = _U(0)
        while i < um:
            if states[i] == 2:
                q = uk + i
                pq = parq[q]
                if pq >= k and states[_U(pq) - uk] != 2:
                    states[i] = np.int8(3)
                    dirty[n_dirty] = np.int32(q)
                    n_dirty += 1
                    shallowest = min(shallowest, depq[q])
            i += one
    if n_dirty:
        # their clean DOWN predecessors seed the repair ...
        for t in range(n_dirty):
            w = _U(queue[dirty[t]])
            flags[w] |= _DIRTY
        need = 0
        for t in range(n_dirty):
            w = _U(queue[dirty[t]])
            e = _U(rev_indptr[w])
            end = _U(rev_indptr[w + one])
            while e < end:
                u = _U(rev_indices[e])
                e += one
                fu = flags[u]
                if (fu & _DOWN) != 0 and (fu & (_DIRTY | _NEED)) == 0:
                    flags[u] = fu | _NEED
                    need += 1
        # ... at their depths: read off the queue, over its DOWN CIs only, from the level
        # above the shallowest dirty CI (a predecessor is at most one level above), until
        # all are found
        i = _U(np.searchsorted(depq[k:tl], shallowest - 1))
        while i < um and n_seed < need:
            if states[i] == 2:
                q = uk + i
                v = _U(queue[q])
                if (flags[v] & _NEED) != 0:
                    seed_n[n_seed] = np.int32(v)
                    seed_p[n_seed] = np.int32(i)
                    n_seed += 1
            i += one
    fix = np.empty(0, np.int32)
    if n_dirty:
        fix = _down_chains_nb(
            indptr,
            indices,
            rev_indptr,
            rev_indices,
            flags,
            queue,
            dirty[:n_dirty],
            seed_n[:n_seed],
            seed_p[:n_seed],
            parq,
            depq,
            k,
        )
        for t in range(n_dirty):
            states[dirty[t] - k] = 2
    # leave the shared arrays as they were given: a few reached nodes one by one, a large
    # part of the estate with one sequential fill (cheaper than scattered writes); the
    # counters through their list, so that their pages are touched only where used
    if tl * 16 > n:
        flags[:n] = 0
    else:
        i = _U(0)
        ut = _U(tl)
        while i < ut:
            flags[_U(queue[i])] = 0
            i += one
    for t in range(nct):
        cnt[touched[t]] = 0
    return fix


_HASH_MUL = 2654435761  # Knuth's multiplicative hash (odd, about 2**32 / golden ratio)


@_jit
def _index_table(keys: I32, values: I32) -> tuple[I32, I32]:  # pragma: no cover - compiled
    """Open-addressing table of distinct non-negative ``keys`` -> ``values``, sized by the
    keys (a power of two at least twice their number), for :func:`_lookup`."""
    size = 2
    while size < 2 * keys.size:
        size <<= 1
    mask = size - 1
    tk = np.full(size, -1, np.int32)
    tv = np.empty(size, np.int32)
    for i in range(keys.size):
        h = (np.int64(keys[i]) * _HASH_MUL) & mask
        while tk[h] >= 0:
            h = (h + 1) & mask
        tk[h] = keys[i]
        tv[h] = values[i]
    return tk, tv


@_jit
def _lookup(tk: I32, tv: I32, key: int) -> int:  # pragma: no cover - compiled
    """The value of ``key``, or -1 when it is not in the table (values are non-negative)."""
    mask = tk.size - 1
    h = (np.int64(key) * _HASH_MUL) & mask
    while tk[h] != key:
        if tk[h] < 0:  # an empty slot: absent (the table is at most half full)
            return -1
        h = (h + 1) & mask
    return int(tv[h])


@_jit
def _down_chains_nb(
    indptr: I64,
    indices: I32,
    rev_indptr: I64,
    rev_indices: I32,
    flags: npt.NDArray[np.uint8],
    queue: I32,
    dirty: I32,
    seed_n: I32,
    seed_p: I32,
    parq: I32,
    depq: I32,
    k: int,
) -> I32:  # pragma: no cover - compiled
    """Shortest DOWN chains of the "dirty" DOWN nodes — those below a DEGRADED node in
    the BFS tree, given as queue positions (flagged ``_DIRTY``) — returned as one array of
    result positions (queue position less ``k``): the dirty nodes', then those of their
    previous CI on such a chain.

    Every other DOWN node keeps its BFS parent: its BFS chain is all DOWN and no chain is
    shorter than its depth.

    ``seed_n``/``seed_p`` are the dirty nodes' clean DOWN predecessors (flagged ``_NEED``)
    and their result positions, read off the queue by the result pass. Exact DOWN distances
    then come from a unit-weight Dijkstra over the dirty nodes: seeds from those
    predecessors at depth + 1, in sorted order, merged with a FIFO of relaxations along
    dirty edges (their distances never decrease, so each node enters it once). Node-to-index
    lookups go through small hash tables: everything allocated here is sized by the dirty
    nodes and their predecessors (hundreds to thousands), never by the estate.
    """
    nt = dirty.size
    dn = np.empty(nt, np.int32)
    for t in range(nt):
        dn[t] = queue[dirty[t]]
    d_keys, d_index = _index_table(dn, np.arange(nt).astype(np.int32))
    s_keys, s_index = _index_table(seed_n, np.arange(seed_n.size).astype(np.int32))
    big = np.int64(1) << 40
    dist = np.full(nt, big, np.int64)
    dpar = np.full(nt, -1, np.int32)
    seed_dist = np.full(nt, big, np.int64)
    for t in range(nt):
        v = dn[t]
        best = big
        bp = -1
        for e in range(rev_indptr[v], rev_indptr[v + 1]):
            u = rev_indices[e]
            if (flags[u] & (_NEED | _DIRTY)) != _NEED:
                continue
            j = _lookup(s_keys, s_index, u)
            if j < 0:  # not a seed (cannot happen: every such predecessor was found)
                continue
            d = np.int64(depq[k + seed_p[j]]) + 1
            if d < best:
                best = d
                bp = u
        dist[t] = best
        dpar[t] = bp
        seed_dist[t] = best
    order = np.argsort(seed_dist, kind="mergesort")
    fifo = np.empty(nt, np.int32)
    fifo_d = np.empty(nt, np.int64)
    qh = 0
    qt = 0
    si = 0
    while si < nt or qh < qt:
        if qh < qt and (si >= nt or fifo_d[qh] <= seed_dist[order[si]]):
            t = fifo[qh]
            d = fifo_d[qh]
            qh += 1
        else:
            t = order[si]
            d = seed_dist[t]
            si += 1
        if d >= big or d != dist[t]:
            continue
        v = dn[t]
        fv = flags[v]
        if (fv & _DONE) != 0:
            continue
        flags[v] = fv | _DONE
        for e in range(indptr[v], indptr[v + 1]):
            w = indices[e]
            fw = flags[w]
            if (fw & _DIRTY) == 0 or (fw & _DONE) != 0:
                continue
            tw = _lookup(d_keys, d_index, w)
            if tw >= 0 and d + 1 < dist[tw]:
                dist[tw] = d + 1
                dpar[tw] = v
                fifo[qt] = tw
                fifo_d[qt] = d + 1
                qt += 1
    fix = np.empty(2 * nt, np.int32)
    k32 = np.int32(k)
    for t in range(nt):
        fix[t] = dirty[t] - k32
        u = dpar[t]
        at = parq[dirty[t]] - k32  # no DOWN predecessor (cannot happen): the BFS parent
        if u >= 0:
            tu = _lookup(d_keys, d_index, u)
            at = dirty[tu] - k32 if tu >= 0 else seed_p[_lookup(s_keys, s_index, u)]
        fix[nt + t] = at
    return fix


_LOCAL = threading.local()


def _small_pages(count: int, dtype: Any) -> npt.NDArray[Any]:
    """A zeroed array of ``count`` items whose memory is paged in 4 kB at a time.

    Why: numpy asks for transparent huge pages on allocations of 4 MB and more, so a
    query that writes the first 2.3 MB of the 4 MB queue region makes 4 MB resident, and
    one write anywhere in a 2 MB stretch makes all of it resident. The workspace is kept
    by every worker for its lifetime, so it is mapped privately with huge pages refused
    (``MADV_NOHUGEPAGE``): a worker then holds what its queries touched, not the rounding.
    Its regions are written sequentially or sparsely, so small pages cost no speed here.
    Falls back to ``np.zeros`` where anonymous ``mmap`` is not available.
    """
    nbytes = max(count * np.dtype(dtype).itemsize, 1)
    try:
        buf = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        no_huge = getattr(mmap, "MADV_NOHUGEPAGE", None)
        if no_huge is not None:
            buf.madvise(no_huge)
    except (AttributeError, OSError, ValueError):  # pragma: no cover - non-Linux
        return np.zeros(count, dtype)
    return np.frombuffer(buf, dtype=dtype, count=count)


def _workspace(n: int) -> tuple[npt.NDArray[np.uint8], I32, I32]:
    """This thread's reusable kernel arrays for graphs of up to ``n`` nodes: flags and
    counters (zero; the kernel leaves them zero) and int32 workspace (any content).

    Why: a query that touches a handful of CIs would otherwise spend most of its time
    allocating and zero-filling arrays for the whole estate. Memory is only paged in as
    far as queries reach (:func:`_small_pages`): after the largest query of a 1M-CI estate
    (570k CIs reached) a worker holds about 13 bytes per reached CI plus the flags.
    """
    ws: tuple[npt.NDArray[np.uint8], I32, I32] | None = getattr(_LOCAL, "ws", None)
    if ws is None or ws[0].size < n:
        ws = (
            _small_pages(n, np.uint8),
            _small_pages(n, np.int32),
            _small_pages(_WORK_SLOTS * n, np.int32),
        )
        _LOCAL.ws = ws
    return ws


# Above this many reached CIs the result arrays are allocated by numpy, as one buffer:
# numpy asks the kernel for transparent huge pages on allocations of 4 MB and more, so a
# 13-byte-per-CI buffer of 322k CIs or more is paged in by a few huge-page faults instead
# of one fault per 4 kB page (numba's own allocations get small pages: at 491k reached
# CIs the faults of four separate arrays cost more than the C kernel's whole BFS).
_BUFFER_FROM = 1 << 16


def impact_kernel(
    g: ImpactArrays, failed: I32, max_depth: int | None, to_ext: I32 | None = None
) -> ImpactRaw:
    """Compiled equivalent of :func:`._kernels.impact_kernel` (same sets, states, depths,
    DOWN-chain lengths; with redundancy groups the caller applies ``max_depth``).

    With ``to_ext`` the returned nodes are already mapped to caller ids (parents and fixes
    are result positions: no ids to map).
    Results of more than ``_BUFFER_FROM`` CIs are views of one buffer (nodes, depths,
    parents, states: 13 bytes per CI), freed when the last of them is.
    """
    cap = -1 if max_depth is None or g.has_counted else max_depth
    ext = _DUMMY_I32 if to_ext is None else to_ext
    flags, cnt, work = _workspace(g.n)
    nodes, states, depths, parents, fix, tail, touched = _impact_nb(
        g.n,
        g.indptr,
        g.indices,
        g.counted,
        g.threshold,
        g.has_counted,
        failed,
        cap,
        ext,
        to_ext is not None,
        g.rev_indptr,
        g.rev_indices,
        True,
        flags,
        cnt,
        work,
        _BUFFER_FROM,
    )
    m = int(tail) - failed.size
    if m > _BUFFER_FROM:
        buf = np.empty(13 * m, np.uint8)
        nodes = buf[: 4 * m].view(np.int32)
        depths = buf[4 * m : 8 * m].view(np.int32)
        parents = buf[8 * m : 12 * m].view(np.int32)
        states = buf[12 * m :].view(np.int8)
        fix = _finish_nb(
            g.n,
            g.indptr,
            g.indices,
            g.has_counted,
            failed.size,
            int(tail),
            int(touched),
            ext,
            to_ext is not None,
            g.rev_indptr,
            g.rev_indices,
            True,
            flags,
            cnt,
            work,
            nodes,
            states,
            depths,
            parents,
        )
    nt = fix.size // 2
    return ImpactRaw(nodes, states, depths, parents, fix[:nt], fix[nt:])


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
    no_rev_ptr = np.zeros(1, np.int64)  # chains are not computed here
    no_rev = np.zeros(1, np.int32)
    flags = np.zeros(n, np.uint8)  # shared by every candidate's run (left zero by it)
    cnt = np.zeros(n, np.int32)
    work = np.empty(_WORK_SLOTS * n, np.int32)
    for i in range(cands.size):
        c = cands[i]
        if where[c] >= 0:
            states[i, where[c]] = 2
            depths[i, where[c]] = 0
        one[0] = c
        nodes, st, dp, _, _, _, _ = _impact_nb(
            n,
            indptr,
            indices,
            counted,
            threshold,
            has_counted,
            one,
            -1,
            one,
            False,
            no_rev_ptr,
            no_rev,
            False,
            flags,
            cnt,
            work,
            n,
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
    n: int,
    rev_indptr: I64,
    rev_indices: I32,
    uncertain: BoolArr,
    sym: I32,
    degraded: BoolArr,
    want_sure: bool,
) -> tuple[I64, I64, I64, I64]:  # pragma: no cover - compiled
    """One reverse BFS per symptom: per node, the unavailable and the degraded symptoms its
    failure reaches, the unavailable ones it reaches over "sure" edges only, and the summed
    hop distances.

    Sureness rides on the same BFS: a node is sure when a sure node needs it through a
    sure edge; one that becomes sure after it was expanded passes it on through a small
    stack (each node at most once per symptom), so no second traversal is needed.
    """
    cov_un = np.zeros(n, np.int64)
    cov_deg = np.zeros(n, np.int64)
    sure_un = np.zeros(n, np.int64)
    dist_sum = np.zeros(n, np.int64)
    dist = np.full(n, -1, np.int32)
    sure = np.full(n, -1, np.int32)
    popped = np.full(n, -1, np.int32)
    queue = np.empty(n, np.int32)
    stack = np.empty(n, np.int32)
    for j in range(sym.size):
        s = sym[j]
        track = want_sure and not degraded[j]
        dist[s] = 0
        if track:
            sure[s] = j
        queue[0] = s
        head, tail = 0, 1
        while head < tail:
            u = queue[head]
            head += 1
            popped[u] = j
            u_sure = track and sure[u] == j
            for e in range(rev_indptr[u], rev_indptr[u + 1]):
                v = rev_indices[e]
                if dist[v] < 0:
                    dist[v] = dist[u] + 1
                    queue[tail] = v
                    tail += 1
                if not u_sure or uncertain[e] or sure[v] == j:
                    continue
                sure[v] = j
                if popped[v] != j:
                    continue
                sp = 0
                stack[sp] = v
                sp += 1
                while sp > 0:
                    sp -= 1
                    w = stack[sp]
                    for e2 in range(rev_indptr[w], rev_indptr[w + 1]):
                        x = rev_indices[e2]
                        if uncertain[e2] or sure[x] == j:
                            continue
                        sure[x] = j
                        if popped[x] == j:
                            stack[sp] = x
                            sp += 1
        for i in range(tail):
            u = queue[i]
            if degraded[j]:
                cov_deg[u] += 1
            else:
                cov_un[u] += 1
                if track and sure[u] == j:
                    sure_un[u] += 1
            dist_sum[u] += dist[u]
            dist[u] = -1
    return cov_un, cov_deg, sure_un, dist_sum


def coverage(
    n: int,
    rev_indptr: I64,
    rev_indices: I32,
    uncertain: BoolArr,
    sym: I32,
    degraded: BoolArr,
    want_sure: bool,
) -> tuple[I64, I64, I64, I64]:
    """Compiled per-symptom reverse BFS: unavailable and degraded coverage, sure unavailable
    coverage (``want_sure``; else zeros) and distance sum per node."""
    out: tuple[I64, I64, I64, I64] = _coverage_nb(
        n, rev_indptr, rev_indices, uncertain, sym, degraded, want_sure
    )
    return out


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
    counts (and proven lower bounds, as ``-bound - 2``) are written to ``memo``, plus one
    (its encoding: :meth:`Graph.reach_memo`).
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
        m = memo[node] - 1
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
                memo[node] = -(tail - 2) - 1  # reach > tail - 2 (plus one)
            else:
                reach = tail - 1
                memo[node] = reach + 1
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


@_jit
def _nonzero_at_nb(
    column: I64, index: I64, skip: BoolArr, use_skip: bool
) -> tuple[I64, bool]:  # pragma: no cover - compiled
    """See :func:`assetgraph.graph.tallies.nonzero_at`. False when an index is out of range."""
    out = np.empty(index.size, np.int64)
    found = 0
    n = column.size
    for i in range(index.size):
        if use_skip and skip[i]:
            continue
        r = index[i]
        if r < 0 or r >= n:
            return out[:0], False
        value = column[r]
        if value != 0:
            out[found] = value
            found += 1
    return out[:found].copy(), True


def nonzero_at(column: npt.NDArray[np.integer], index: I64, skip: BoolArr | None) -> I64:
    """Compiled :func:`assetgraph.graph.tallies.nonzero_at`."""
    out, ok = _nonzero_at_nb(column, index, _DUMMY_B if skip is None else skip, skip is not None)
    if not ok:
        raise ValueError("an index is out of range of the column")
    values: I64 = out
    return values


@_jit
def _row_facts_nb(
    index: npt.NDArray[np.integer],
    key: I64,
    labels: npt.NDArray[np.uint8],
    first: I64,
    second: I64,
    slots: int,
    major: BoolArr,
    linked: I64,
) -> tuple[I64, npt.NDArray[np.uint8], I64, I64, I64, bool]:  # pragma: no cover - compiled
    """See :func:`assetgraph.graph.tallies.row_facts`: every column read at each row in the
    same iteration (their cache misses overlap), nothing but the outputs allocated. False
    (and partial outputs) when an index or a value is out of range."""
    count = index.size
    values = np.empty(count, np.int64)
    lab = np.empty(count, np.uint8)
    by_key = np.zeros((labels.size, 4), np.int64)
    teams = np.zeros((3, slots, 4), np.int64)
    found = np.empty(count, np.int64)  # pages are touched only where a value is found
    nf = 0
    n = min(key.size, first.size, second.size, linked.size)
    key_slots = labels.size
    for i in range(count):
        r = np.int64(index[i])
        if r < 0 or r >= n:
            return values, lab, by_key, teams, found[:0], False
        c = key[r]
        a = first[r]
        b = second[r]
        if c < 0 or c >= key_slots or a < 0 or a >= slots or b < 0 or b >= slots:
            return values, lab, by_key, teams, found[:0], False
        values[i] = c
        lb = labels[c]
        lab[i] = lb
        minor = np.int64(lb & 1)
        kind = 2 * np.int64(major[i]) + minor
        by_key[c, kind] += 1
        if a != 0:  # 0 is "none": not counted
            teams[0, a, kind] += 1
            if a == b:
                teams[2, a, kind] += 1
        if b != 0:
            teams[1, b, kind] += 1
        if minor == 0:
            v = linked[r]
            if v != 0:
                found[nf] = v
                nf += 1
    return values, lab, by_key, teams, found[:nf].copy(), True


def row_facts(
    index: npt.NDArray[np.integer],
    key: npt.NDArray[np.integer],
    labels: npt.NDArray[np.uint8],
    first: npt.NDArray[np.integer],
    second: npt.NDArray[np.integer],
    slots: int,
    major: BoolArr,
    linked: npt.NDArray[np.integer],
) -> tuple[I64, npt.NDArray[np.uint8], I64, I64, I64]:
    """Compiled :func:`assetgraph.graph.tallies.row_facts`."""
    *out, ok = _row_facts_nb(index, key, labels, first, second, slots, major, linked)
    if not ok:
        raise ValueError("an index or a column value is out of range")
    values, lab, by_key, teams, found = out
    return values, lab, by_key, teams, found
