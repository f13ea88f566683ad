"""Root-cause candidates: "which single CI failure would explain these symptoms?"."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from . import _accel
from ._backend import bfs, get_backend, reach_counts, symptom_states
from ._kernels import (
    DEGRADED,
    DOWN,
    I32,
    I64,
    U64,
    BoolArr,
    ImpactArrays,
    expand,
    popcount_rows,
    unique,
)
from .graph import Graph

__all__ = ["RootCauseCandidate", "root_cause"]


@dataclass(frozen=True)
class RootCauseCandidate:
    """One CI whose single failure would explain some of the symptoms.

    ``covered_down``/``covered_degraded`` are indices into the ``symptoms`` sequence given
    to :func:`root_cause` that this failure would make DOWN/DEGRADED; ``distances[i]`` is
    the hop distance to ``covered[i]`` (0 for the candidate itself). ``collateral`` counts
    affected CIs that are *not* symptoms (the candidate itself excluded); when
    ``collateral_truncated`` it is only a lower bound (``collateral_cap`` reached). The raw
    numbers are exposed so callers can re-rank with other evidence (recent changes...).
    """

    node: int
    covered_down: tuple[int, ...]
    covered_degraded: tuple[int, ...]
    covered: tuple[int, ...]
    distances: tuple[int, ...]
    collateral: int
    collateral_truncated: bool = False

    @property
    def coverage(self) -> int:
        """Number of symptoms explained (DOWN or DEGRADED)."""
        return len(self.covered)

    @property
    def n_down(self) -> int:
        """Number of symptoms this failure would make DOWN."""
        return len(self.covered_down)

    @property
    def n_degraded(self) -> int:
        """Number of symptoms this failure would make DEGRADED."""
        return len(self.covered_degraded)

    @property
    def max_distance(self) -> int:
        """Largest hop distance to an explained symptom (how far up the stack it sits)."""
        return max(self.distances) if self.distances else 0

    @property
    def rank_key(self) -> tuple[int, int, int, int, int]:
        """Default ordering: coverage, then DOWN coverage, collateral, distance, node id."""
        return (-self.coverage, -self.n_down, self.collateral, self.max_distance, self.node)


class _Local:
    """The ancestor-closed sub-graph of the symptoms, in local ids ``0..len(nodes)-1``."""

    def __init__(self, graph: Graph, sym: I32) -> None:
        """Collect every CI that can reach a symptom and the impact edges among them."""
        n = graph.n_nodes
        res = bfs(n, (graph.adj_depends(),), unique(sym))
        self.nodes: I32 = res.order
        na = int(self.nodes.size)
        loc = np.empty(n, dtype=np.int32)
        loc[self.nodes] = np.arange(na, dtype=np.int32)
        self.sym: I32 = loc[sym]
        # in-edges of every local node; the closure is predecessor-closed so nothing leaks
        pos, cs = expand(graph._rev_indptr, self.nodes)
        v = np.searchsorted(cs, np.arange(pos.size), side="right").astype(np.int32)
        u = loc[graph._rev_indices[pos]]
        counted = graph._rev_member[pos] & (graph._kind[self.nodes[v]] != 0)
        self.rev_indptr: I64 = np.concatenate([[0], cs]).astype(np.int64)
        self.rev_indices: I32 = u
        order = np.argsort(u, kind="stable")
        fwd_indptr = np.zeros(na + 1, dtype=np.int64)
        np.cumsum(np.bincount(u, minlength=na), out=fwd_indptr[1:])
        self.arrays = ImpactArrays(
            na,
            fwd_indptr,
            v[order],
            counted[order],
            graph._threshold[self.nodes],
            bool(counted.any()),
        )

    def coverage_masks(self) -> tuple[U64, I64]:
        """Bit-parallel reverse propagation of one bit per symptom.

        Returns per local node the symptom bitmask it reaches (= exact coverage, since a
        node reached by a failure is at least DEGRADED) and the sum of hop distances to
        the reached symptoms (bits arriving in round r are r hops away).
        """
        na, k = int(self.nodes.size), int(self.sym.size)
        words = (k + 63) // 64
        masks = np.zeros((na, words), dtype=np.uint64)
        bits = np.arange(k)
        delta = np.zeros((k, words), dtype=np.uint64)
        delta[bits, bits // 64] = np.left_shift(np.uint64(1), (bits % 64).astype(np.uint64))
        masks[self.sym] = delta
        dist_sum = np.zeros(na, dtype=np.int64)
        frontier, fdelta = self.sym, delta
        rnd = 0
        while frontier.size:
            rnd += 1
            pos, cs = expand(self.rev_indptr, frontier)
            if pos.size == 0:
                break
            src = np.searchsorted(cs, np.arange(pos.size), side="right")
            tgt, inv = np.unique(self.rev_indices[pos], return_inverse=True)
            acc = np.zeros((tgt.size, words), dtype=np.uint64)
            np.bitwise_or.at(acc, inv, fdelta[src])
            new = acc & ~masks[tgt]
            nz = new.any(axis=1)
            frontier, fdelta = tgt[nz].astype(np.int32), new[nz]
            masks[frontier] |= fdelta
            dist_sum[frontier] += rnd * popcount_rows(fdelta)
        return masks, dist_sum


def _reach_sizes(graph: Graph, nodes: I32, cap: int | None) -> tuple[I64, BoolArr]:
    """Reach-set sizes (source excluded) of internal ``nodes``, memoised on the graph.

    Collateral of hub CIs (a datacenter, DNS) is the expensive part of root-cause
    ranking and the same for every query until the impact edges change, so sizes are
    kept in the graph's memo: ``m >= 0`` exact, ``m <= -2`` "more than ``-m - 2``".
    Returns ``(sizes, truncated)``; a truncated size is ``cap + 1``.
    """
    memo = graph.reach_memo()
    m = memo[nodes].astype(np.int64)
    sizes = np.where(m >= 0, m, -1)
    truncated = np.zeros(nodes.size, dtype=np.bool_)
    if cap is not None:
        above = (m <= -2) & (-m - 2 >= cap)
        sizes[above] = cap + 1
        truncated[above] = True
    todo = unique(nodes[sizes < 0])
    if todo.size:
        counts = reach_counts(graph.n_nodes, graph.adj_impact(), todo, cap)
        over = np.zeros(todo.size, dtype=np.bool_) if cap is None else counts > cap
        memo[todo] = np.where(over, -(counts - 1) - 2, counts).astype(np.int32)
        pos = np.searchsorted(todo, nodes)
        miss = sizes < 0
        sizes[miss] = counts[pos[miss]]
        truncated[miss] = over[pos[miss]]
    return sizes, truncated


def root_cause(
    graph: Graph,
    symptoms: npt.ArrayLike,
    limit: int = 20,
    *,
    max_candidates: int = 200,
    collateral_cap: int | None = 10_000,
) -> list[RootCauseCandidate]:
    """Rank CIs whose single failure best explains the observed ``symptoms``.

    Why: many alerts usually share one cause; the CMDB graph knows which CIs sit above
    all of them. Ranking: most symptoms explained, then most explained as DOWN, then
    least collateral (other CIs that would also be hit: parsimony), then smallest
    distance. Symptoms themselves are candidates.

    How: the symptoms' ancestor closure is extracted once (a small, predecessor-closed
    sub-graph, so states computed inside it are exact); a reverse sweep (bit-parallel, 64
    symptoms per uint64 word, on the numpy backend; one compiled BFS per symptom with
    numba) gives every ancestor's exact coverage (reached = at least DEGRADED); then
    candidates are evaluated exactly (redundancy states, distances) in coverage order, at most
    ``max_candidates`` of them; collateral needs a forward reach count on the full graph,
    memoised on the graph and cut at ``collateral_cap`` (a CI whose failure would hit
    more than that many other CIs is reported as ``collateral_truncated``; pass ``None``
    for exact counts at a higher cost). Exact whenever the ancestor closure has at most
    ``max_candidates`` CIs and no collateral exceeds the cap.
    """
    sym_ext = np.asarray(symptoms).reshape(-1)
    sym = graph.to_internal(sym_ext, "symptoms")
    if sym.size == 0 or limit < 1:
        return []
    if unique(sym).size != sym.size:
        raise ValueError("symptoms must be unique")
    loc = _Local(graph, sym)
    if get_backend() == "numba":
        coverage, dist_sum = _accel.coverage(
            int(loc.nodes.size), loc.rev_indptr, loc.rev_indices, loc.sym
        )
    else:
        masks, dist_sum = loc.coverage_masks()
        coverage = popcount_rows(masks)
    ext_ids = graph.to_external(loc.nodes)
    order = np.lexsort((ext_ids, dist_sum, -coverage))

    sym_pos = np.full(loc.nodes.size, -1, dtype=np.int64)
    sym_pos[loc.sym] = np.arange(sym.size)
    # candidates in coverage order; coverage is exact, so once `limit` candidates are
    # known, anything with lower coverage than the limit-th one cannot make the cut
    order = order[:max_candidates]
    cov_sorted = coverage[order]
    if order.size > limit:
        order = order[cov_sorted >= cov_sorted[limit - 1]]
    st, dp = symptom_states(loc.arrays, order.astype(np.int32), loc.sym)
    cov = coverage[order]
    n_down = (st == DOWN).sum(axis=1).astype(np.int64)
    maxd = np.where(st > 0, dp, 0).max(axis=1, initial=0).astype(np.int64)
    explained = cov - (sym_pos[order] >= 0)  # covered symptoms other than the candidate
    ext = ext_ids[order].astype(np.int64)
    # tiers by (coverage, DOWN coverage) are exact already; collateral decides within them
    tier = np.lexsort((ext, -n_down, -cov))
    boundary = tier[:0]
    if tier.size > limit:
        last = tier[limit - 1]
        same = (cov[tier] == cov[last]) & (n_down[tier] == n_down[last])
        better = (cov[tier] > cov[last]) | (
            (cov[tier] == cov[last]) & (n_down[tier] > n_down[last])
        )
        boundary = tier[same]
        tier = tier[better]
    coll = np.zeros(order.size, dtype=np.int64)
    trunc = np.zeros(order.size, dtype=np.bool_)
    if tier.size:  # tiers that certainly make the cut: every collateral is reported
        _collateral(
            graph, loc.nodes[order[tier]], explained[tier], collateral_cap, coll, trunc, tier
        )
    keep = tier.tolist()
    slots = limit - tier.size
    if boundary.size <= slots:
        if boundary.size:
            _collateral(
                graph,
                loc.nodes[order[boundary]],
                explained[boundary],
                collateral_cap,
                coll,
                trunc,
                boundary,
            )
        keep += boundary.tolist()
    else:
        # branch and bound: closest candidates first; a candidate whose reach exceeds the
        # current worst kept collateral cannot enter, so its count stops early
        cand = boundary[np.lexsort((ext[boundary], dist_sum[order[boundary]]))]
        if get_backend() == "numba":
            c_coll, c_trunc, chosen = _accel.best_collateral(
                graph.n_nodes,
                graph.adj_impact(),
                graph.reach_memo(),
                loc.nodes[order[cand]],
                explained[cand],
                maxd[cand],
                ext[cand],
                int(slots),
                collateral_cap,
            )
            coll[cand], trunc[cand] = c_coll, c_trunc
            keep += cand[chosen].tolist()
        else:
            keep += _best_collateral_py(
                graph,
                loc.nodes,
                order,
                cand,
                explained,
                maxd,
                ext,
                int(slots),
                collateral_cap,
                coll,
                trunc,
            )
    out: list[RootCauseCandidate] = []
    for i in keep:
        row = st[i]
        hit = np.flatnonzero(row > 0)
        out.append(
            RootCauseCandidate(
                node=int(ext[i]),
                covered_down=tuple(np.flatnonzero(row == DOWN).tolist()),
                covered_degraded=tuple(np.flatnonzero(row == DEGRADED).tolist()),
                covered=tuple(hit.tolist()),
                distances=tuple(dp[i, hit].tolist()),
                collateral=int(coll[i]),
                collateral_truncated=bool(trunc[i]),
            )
        )
    out.sort(key=lambda r: r.rank_key)
    return out[:limit]


def _best_collateral_py(
    graph: Graph,
    loc_nodes: I32,
    order: npt.NDArray[np.intp],
    cand: npt.NDArray[np.intp],
    explained: I64,
    maxd: I64,
    ext: I64,
    slots: int,
    collateral_cap: int | None,
    coll: I64,
    trunc: BoolArr,
) -> list[int]:
    """numpy-backend twin of the compiled branch-and-bound candidate selection."""
    best: list[tuple[int, int, int, int]] = []  # (collateral, max distance, ext id, i)
    for i in cand.tolist():
        bound = collateral_cap
        if len(best) >= slots:
            worst = best[slots - 1][0]
            bound = worst if bound is None else min(bound, worst)
        one = np.array([i])
        _collateral(graph, loc_nodes[order[one]], explained[one], bound, coll, trunc, one)
        pruned = collateral_cap is None or (bound is not None and bound < collateral_cap)
        if trunc[i] and pruned:
            continue  # strictly worse than every kept candidate
        key = (int(coll[i]), int(maxd[i]), int(ext[i]), i)
        if len(best) >= slots and key >= best[slots - 1]:
            continue
        best.append(key)
        best.sort()
        del best[slots:]
    return [b[3] for b in best]


def _collateral(
    graph: Graph,
    nodes: I32,
    explained: I64,
    cap: int | None,
    coll: I64,
    trunc: BoolArr,
    idx: npt.NDArray[np.intp],
) -> None:
    """Fill ``coll[idx]``/``trunc[idx]``: affected non-symptom CIs, cut at ``cap``."""
    reach_cap = None if cap is None else cap + int(explained.max(initial=0))
    sizes, over = _reach_sizes(graph, nodes, reach_cap)
    c = sizes - explained
    if cap is not None:
        over = over | (c > cap)
        c = np.where(over, cap, c)
    coll[idx] = np.maximum(c, 0)
    trunc[idx] = over
