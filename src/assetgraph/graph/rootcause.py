"""Root-cause candidates: "which single CI failure would explain these symptoms?".

Each symptom is observed *unavailable* (the default) or *degraded*. A failure explains an
unavailable symptom only if it makes that symptom DOWN, and a degraded one if it makes it
DEGRADED or DOWN: a hypervisor whose loss only degrades a farm explains nothing about a
service that is down.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import overload

import numpy as np
import numpy.typing as npt

from . import _accel
from ._backend import bfs, get_backend, reach_counts, symptom_states
from ._kernels import (
    DEGRADED,
    DOWN,
    EMPTY_I32,
    I8,
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

__all__ = [
    "RootCauseCandidate",
    "RootCauseResult",
    "explanation_paths",
    "root_cause",
    "score_candidates",
]


@dataclass(frozen=True)
class RootCauseCandidate:
    """One CI whose single failure would explain some of the symptoms.

    ``covered_down``/``covered_degraded`` are indices into the ``symptoms`` sequence given
    to :func:`root_cause` that this failure would make DOWN/DEGRADED (``covered`` is both,
    with ``distances[i]`` the hop distance to ``covered[i]``, 0 for the candidate itself).
    ``explained`` are the symptoms it explains: the unavailable ones it makes DOWN and the
    degraded ones it reaches; ``matched`` counts those whose state it predicts exactly
    (DOWN for unavailable, DEGRADED for degraded). ``collateral`` counts affected CIs that
    are *not* symptoms (the candidate itself excluded); when ``collateral_truncated`` it is
    only a lower bound (``collateral_cap`` reached). The raw numbers are exposed so callers
    can break ties with other evidence (recent changes...).
    """

    node: int
    covered_down: tuple[int, ...]
    covered_degraded: tuple[int, ...]
    covered: tuple[int, ...]
    distances: tuple[int, ...]
    collateral: int
    collateral_truncated: bool = False
    explained: tuple[int, ...] = ()
    matched: int = 0

    @property
    def coverage(self) -> int:
        """Number of symptoms explained (see the class docstring)."""
        return len(self.explained)

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
        explained = set(self.explained)
        return max(
            (d for i, d in zip(self.covered, self.distances, strict=True) if i in explained),
            default=0,
        )

    @property
    def tier(self) -> tuple[int, int]:
        """``(coverage, matched)``: candidates with equal tiers explain the symptoms equally."""
        return (self.coverage, self.matched)

    @property
    def rank_key(self) -> tuple[int, int, int, int, int]:
        """Default ordering: coverage, matched, collateral, largest distance, node id."""
        return (-self.coverage, -self.matched, self.collateral, self.max_distance, self.node)


@dataclass(frozen=True, eq=False)
class RootCauseResult(Sequence[RootCauseCandidate]):
    """The ranked candidates of :func:`root_cause` (a sequence of them) and their ties.

    ``tied`` candidates share the first candidate's tier (they explain the symptoms equally
    well; only collateral, distance and id order them), ``tie_nodes`` are those CIs. The
    count is exact when ``tied_complete``; otherwise the candidate cap (``max_candidates``)
    stopped the exact evaluation and it is a lower bound. ``evaluated`` candidates were
    evaluated exactly (``capped``: more were eligible).
    """

    candidates: tuple[RootCauseCandidate, ...] = ()
    tied: int = 0
    tied_complete: bool = True
    tie_nodes: I32 = field(default_factory=lambda: EMPTY_I32)
    evaluated: int = 0
    capped: bool = False

    @overload
    def __getitem__(self, i: int) -> RootCauseCandidate: ...

    @overload
    def __getitem__(self, i: slice) -> Sequence[RootCauseCandidate]: ...

    def __getitem__(self, i: int | slice) -> RootCauseCandidate | Sequence[RootCauseCandidate]:
        """The i-th ranked candidate (or a slice of them)."""
        return self.candidates[i]

    def __len__(self) -> int:
        """Number of candidates returned (at most ``limit``)."""
        return len(self.candidates)

    def __iter__(self) -> Iterator[RootCauseCandidate]:
        """Candidates in rank order."""
        return iter(self.candidates)


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
        threshold = graph._threshold[self.nodes]
        # a member edge into a group that one DOWN member cannot take down: DOWN may or may
        # not cross it (it depends on the other members), so it is not a "sure" edge
        self.uncertain: BoolArr = counted & (threshold[v] >= 2)
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
            threshold,
            bool(counted.any()),
            self.rev_indptr,
            self.rev_indices,
        )

    def coverage(self, degraded: BoolArr) -> tuple[I64, I64, I64]:
        """Per local node: upper and lower bounds of its coverage, and a distance sum.

        The upper bound counts every symptom its failure reaches (a reached symptom is at
        least DEGRADED); the lower bound counts the degraded symptoms it reaches plus the
        unavailable ones it reaches over sure edges only (every CI on such a chain is
        certainly DOWN). Without uncertain edges the two are equal and exact.
        """
        na = int(self.nodes.size)
        want_sure = bool(self.uncertain.any()) and not bool(degraded.all())
        if get_backend() == "numba":
            cov_un, cov_deg, sure_un, dist_sum = _accel.coverage(
                na,
                self.rev_indptr,
                self.rev_indices,
                self.uncertain,
                self.sym,
                degraded,
                want_sure,
            )
            upper = cov_un + cov_deg
            lower = cov_deg + (sure_un if want_sure else cov_un)
            return upper, lower, dist_sum
        masks, dist_sum = self.coverage_masks(self.rev_indptr, self.rev_indices, self.sym)
        upper = popcount_rows(masks)
        deg_bits = _bits(degraded)
        reach_deg = popcount_rows(masks & deg_bits)
        if not want_sure:
            return upper, upper, dist_sum
        keep = ~self.uncertain
        rows = np.repeat(np.arange(na), np.diff(self.rev_indptr))[keep]
        sure_indptr = np.zeros(na + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=na), out=sure_indptr[1:])
        seeds = np.where(degraded, -1, self.sym)
        sure, _ = self.coverage_masks(sure_indptr, self.rev_indices[keep], seeds)
        return upper, reach_deg + popcount_rows(sure), dist_sum

    def coverage_masks(
        self, rev_indptr: I64, rev_indices: I32, seeds: I64 | I32
    ) -> tuple[U64, I64]:
        """Bit-parallel reverse propagation of one bit per symptom (``seeds[j] < 0``: none).

        Returns per local node the bitmask of the symptoms it reaches over the given
        in-edges and the sum of hop distances to them (bits arriving in round r are r hops
        away).
        """
        na, k = int(self.nodes.size), int(self.sym.size)
        words = (k + 63) // 64
        masks = np.zeros((na, words), dtype=np.uint64)
        seed_arr = np.asarray(seeds, dtype=np.int64)
        bits = np.flatnonzero(seed_arr >= 0)
        frontier = seed_arr[bits].astype(np.int32)
        delta = np.zeros((bits.size, words), dtype=np.uint64)
        delta[np.arange(bits.size), bits // 64] = np.left_shift(
            np.uint64(1), (bits % 64).astype(np.uint64)
        )
        masks[frontier] |= delta
        dist_sum = np.zeros(na, dtype=np.int64)
        fdelta = delta
        rnd = 0
        while frontier.size:
            rnd += 1
            pos, cs = expand(rev_indptr, frontier)
            if pos.size == 0:
                break
            src = np.searchsorted(cs, np.arange(pos.size), side="right")
            tgt, inv = np.unique(rev_indices[pos], return_inverse=True)
            acc = np.zeros((tgt.size, words), dtype=np.uint64)
            np.bitwise_or.at(acc, inv, fdelta[src])
            new = acc & ~masks[tgt]
            nz = new.any(axis=1)
            frontier, fdelta = tgt[nz].astype(np.int32), new[nz]
            masks[frontier] |= fdelta
            dist_sum[frontier] += rnd * popcount_rows(fdelta)
        return masks, dist_sum


def _bits(flags: BoolArr) -> U64:
    """One uint64 row of the bits set in ``flags`` (for masking coverage bitmasks)."""
    k = flags.size
    out = np.zeros(max((k + 63) // 64, 1), dtype=np.uint64)
    for j in np.flatnonzero(flags).tolist():
        out[j // 64] |= np.uint64(1) << np.uint64(j % 64)
    return out[: (k + 63) // 64].reshape(1, -1)


def _reach_sizes(graph: Graph, nodes: I32, cap: int | None) -> tuple[I64, BoolArr]:
    """Reach-set sizes (source excluded) of internal ``nodes``, memoised on the graph.

    Collateral of hub CIs (a datacenter, DNS) is the expensive part of root-cause
    ranking and the same for every query until the impact edges change, so sizes are
    kept in the graph's memo: ``m >= 0`` exact, ``m <= -2`` "more than ``-m - 2``".
    Returns ``(sizes, truncated)``; a truncated size is ``cap + 1``.
    """
    memo = graph.reach_memo()  # stored plus one (Graph.reach_memo)
    m = memo[nodes].astype(np.int64) - 1
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
        memo[todo] = (np.where(over, -(counts - 1) - 2, counts) + 1).astype(np.int32)
        pos = np.searchsorted(todo, nodes)
        miss = sizes < 0
        sizes[miss] = counts[pos[miss]]
        truncated[miss] = over[pos[miss]]
    return sizes, truncated


def _observed(sym: I32, degraded: npt.ArrayLike | None) -> BoolArr:
    """Validated per-symptom "observed degraded" flags (default: all unavailable)."""
    if degraded is None:
        return np.zeros(sym.size, dtype=np.bool_)
    flags = np.asarray(degraded, dtype=np.bool_).reshape(-1)
    if flags.size != sym.size:
        raise ValueError("degraded must have one flag per symptom")
    return flags


@dataclass
class _Scores:
    """Exact evaluation of candidate local nodes: states and depths per symptom, and what
    they explain."""

    local: I64  # candidate local ids
    states: I8
    depths: I32
    coverage: I64
    matched: I64
    max_distance: I64
    reached_others: I64  # reached symptoms other than the candidate itself

    @classmethod
    def of(cls, loc: _Local, local: I64, degraded: BoolArr) -> _Scores:
        """Run one failure per candidate on the ancestor closure (exact states)."""
        st, dp = symptom_states(loc.arrays, local.astype(np.int32), loc.sym)
        down = st == DOWN
        explained = down | (degraded[None, :] & (st > 0))
        coverage = explained.sum(axis=1).astype(np.int64)
        matched = coverage - (down & degraded[None, :]).sum(axis=1)
        maxd = np.where(explained, dp, 0).max(axis=1, initial=0).astype(np.int64)
        sym_pos = np.full(loc.nodes.size, -1, dtype=np.int64)
        sym_pos[loc.sym] = np.arange(loc.sym.size)
        reached = (st > 0).sum(axis=1).astype(np.int64) - (sym_pos[local] >= 0)
        return cls(local, st, dp, coverage, matched, maxd, reached)

    @classmethod
    def concat(cls, parts: list[_Scores]) -> _Scores:
        """Scores of several batches as one."""
        if len(parts) == 1:
            return parts[0]
        return cls(
            np.concatenate([p.local for p in parts]),
            np.concatenate([p.states for p in parts]),
            np.concatenate([p.depths for p in parts]),
            np.concatenate([p.coverage for p in parts]),
            np.concatenate([p.matched for p in parts]),
            np.concatenate([p.max_distance for p in parts]),
            np.concatenate([p.reached_others for p in parts]),
        )

    def select(self, keep: npt.NDArray[np.intp] | BoolArr) -> _Scores:
        """The scores of a subset of the candidates."""
        return _Scores(
            self.local[keep],
            self.states[keep],
            self.depths[keep],
            self.coverage[keep],
            self.matched[keep],
            self.max_distance[keep],
            self.reached_others[keep],
        )

    def candidate(
        self, i: int, node: int, degraded: BoolArr, collateral: int, truncated: bool
    ) -> RootCauseCandidate:
        """The public record of candidate ``i`` (caller id ``node``)."""
        row = self.states[i]
        hit = np.flatnonzero(row > 0)
        explained = (row == DOWN) | (degraded & (row > 0))
        return RootCauseCandidate(
            node=node,
            covered_down=tuple(np.flatnonzero(row == DOWN).tolist()),
            covered_degraded=tuple(np.flatnonzero(row == DEGRADED).tolist()),
            covered=tuple(hit.tolist()),
            distances=tuple(self.depths[i, hit].tolist()),
            collateral=collateral,
            collateral_truncated=truncated,
            explained=tuple(np.flatnonzero(explained).tolist()),
            matched=int(self.matched[i]),
        )


def root_cause(
    graph: Graph,
    symptoms: npt.ArrayLike,
    limit: int = 20,
    *,
    degraded: npt.ArrayLike | None = None,
    max_candidates: int = 200,
    collateral_cap: int | None = 10_000,
) -> RootCauseResult:
    """Rank CIs whose single failure best explains the observed ``symptoms``.

    Why: many alerts usually share one cause; the CMDB graph knows which CIs sit above
    all of them. ``degraded[i]`` True means symptom ``i`` is slow rather than unavailable.
    Ranking: most symptoms explained (unavailable ones only by a failure that makes them
    DOWN), then most states matched exactly, then least collateral (other CIs that would
    also be hit: parsimony), then the smallest largest distance to an explained symptom,
    then node id. Symptoms themselves are candidates; a CI that explains nothing is not.

    How: the symptoms' ancestor closure is extracted once (a small, predecessor-closed
    sub-graph, so states computed inside it are exact); one reverse sweep gives every
    ancestor an upper and a lower bound of its coverage (reached symptoms; reached over
    edges that certainly carry DOWN); candidates whose upper bound reaches the
    ``limit``-th best lower bound are evaluated exactly (redundancy states, distances),
    most promising first, at most ``max_candidates`` of them (the candidate cap: beyond
    it ``capped`` is set and ties may be undercounted); collateral needs a forward
    reach count on the full graph, memoised on the graph and cut at ``collateral_cap`` (a
    CI whose failure would hit more than that many other CIs is reported as
    ``collateral_truncated``; pass ``None`` for exact counts at a higher cost). Exact
    whenever the eligible candidates fit the cap and no collateral exceeds its cap.
    """
    sym_ext = np.asarray(symptoms).reshape(-1)
    sym = graph.to_internal(sym_ext, "symptoms")
    if sym.size == 0 or limit < 1:
        return RootCauseResult()
    if unique(sym).size != sym.size:
        raise ValueError("symptoms must be unique")
    deg = _observed(sym, degraded)
    loc = _Local(graph, sym)
    upper, lower, dist_sum = loc.coverage(deg)
    ext_ids = graph.to_external(loc.nodes)
    eligible = np.flatnonzero(upper > 0)
    if eligible.size == 0:
        return RootCauseResult()
    # a candidate can only make the top `limit` if its upper bound reaches the limit-th
    # best lower bound (lower bounds are achieved, so that many candidates are at least
    # that good); exact scores raise that floor as they come in, best upper bounds first
    lows = np.sort(lower[eligible])[::-1]
    floor = int(lows[min(limit, lows.size) - 1])
    eligible = eligible[upper[eligible] >= floor]
    order = eligible[
        np.lexsort((ext_ids[eligible], dist_sum[eligible], -lower[eligible], -upper[eligible]))
    ]
    parts: list[_Scores] = []
    done = 0
    chunk = max(2 * limit, 64)
    while done < order.size and done < max_candidates and upper[order[done]] >= floor:
        batch = order[done : min(done + chunk, max_candidates)]
        batch = batch[upper[batch] >= floor]
        done += batch.size
        scored = _Scores.of(loc, batch.astype(np.int64), deg)
        parts.append(scored.select(scored.coverage > 0))
        covs = np.sort(np.concatenate([p.coverage for p in parts]))[::-1]
        if covs.size >= limit:
            floor = max(floor, int(covs[limit - 1]))
    rest = order[done:]
    capped = bool(rest.size) and bool((upper[rest] >= floor).any())
    scores = _Scores.concat(parts) if parts else None
    if scores is None or scores.local.size == 0:
        return RootCauseResult(evaluated=done, capped=capped, tied_complete=not capped)
    cov, matched = scores.coverage, scores.matched
    ext = ext_ids[scores.local].astype(np.int64)
    best_cov = int(cov.max())
    best_matched = int(matched[cov == best_cov].max())
    in_tier = (cov == best_cov) & (matched == best_matched)
    tie_nodes = np.sort(ext[in_tier]).astype(np.int32)
    tied_complete = not bool((upper[rest] >= best_cov).any())
    keep = _rank(graph, loc, scores, ext, limit, collateral_cap)
    out = [scores.candidate(i, int(ext[i]), deg, int(c), bool(t)) for i, c, t in keep]
    out.sort(key=lambda r: r.rank_key)
    return RootCauseResult(
        candidates=tuple(out[:limit]),
        tied=int(in_tier.sum()),
        tied_complete=tied_complete,
        tie_nodes=tie_nodes,
        evaluated=done,
        capped=capped,
    )


def score_candidates(
    graph: Graph,
    symptoms: npt.ArrayLike,
    candidates: npt.ArrayLike,
    *,
    degraded: npt.ArrayLike | None = None,
    collateral_cap: int | None = 10_000,
) -> list[RootCauseCandidate]:
    """The :func:`root_cause` record of given candidate CIs (in the given order).

    Why: a caller that breaks ties with evidence the engine does not have (recent changes,
    maintenance) may find such evidence on a tied candidate that did not make the first
    ``limit``; this scores it exactly as :func:`root_cause` would. A CI that explains no
    symptom gets a record with ``coverage`` 0.
    """
    sym = graph.to_internal(np.asarray(symptoms).reshape(-1), "symptoms")
    cand = graph.to_internal(np.asarray(candidates).reshape(-1), "candidates")
    if sym.size == 0 or cand.size == 0:
        return []
    if unique(sym).size != sym.size:
        raise ValueError("symptoms must be unique")
    deg = _observed(sym, degraded)
    loc = _Local(graph, sym)
    where = np.full(graph.n_nodes, -1, dtype=np.int64)
    where[loc.nodes] = np.arange(loc.nodes.size)
    local = where[cand]
    inside = np.flatnonzero(local >= 0)
    out = [RootCauseCandidate(int(c), (), (), (), (), 0) for c in graph.to_external(cand).tolist()]
    if inside.size == 0:
        return out
    scores = _Scores.of(loc, local[inside], deg)
    coll = np.zeros(inside.size, dtype=np.int64)
    trunc = np.zeros(inside.size, dtype=np.bool_)
    _collateral(
        graph,
        loc.nodes[local[inside]],
        scores.reached_others,
        collateral_cap,
        coll,
        trunc,
        np.arange(inside.size),
    )
    ext = graph.to_external(cand[inside]).tolist()
    for j, i in enumerate(inside.tolist()):
        out[i] = scores.candidate(j, int(ext[j]), deg, int(coll[j]), bool(trunc[j]))
    return out


def explanation_paths(
    graph: Graph, symptoms: npt.ArrayLike, candidates: npt.ArrayLike
) -> list[list[I32]]:
    """For each candidate, the chain from it to each symptom its failure reaches (an empty
    array where it does not), by the impact path rule: a DOWN symptom through DOWN CIs only
    (:meth:`ImpactResult.path`).

    Why: root cause shows how a candidate explains each symptom, and the chain must agree
    with the state it predicts. Each failure runs on the symptoms' ancestor closure only
    (every CI on a chain to a symptom is its ancestor, and states there are exact), so a hub
    candidate costs the size of that closure, not of its blast radius.
    """
    from ._backend import impact_kernel
    from .impact import ImpactResult

    sym = graph.to_internal(np.asarray(symptoms).reshape(-1), "symptoms")
    cand = graph.to_internal(np.asarray(candidates).reshape(-1), "candidates")
    if sym.size == 0 or cand.size == 0:
        return [[] for _ in range(cand.size)]
    loc = _Local(graph, unique(sym))
    where = np.full(graph.n_nodes, -1, dtype=np.int64)
    where[loc.nodes] = np.arange(loc.nodes.size)
    sym_local = where[sym]
    to_ext = graph.to_external(loc.nodes)
    empty = np.empty(0, dtype=np.int32)
    out: list[list[I32]] = []
    for c in where[cand].tolist():
        if c < 0:
            out.append([empty] * sym.size)
            continue
        raw = impact_kernel(loc.arrays, np.array([c], dtype=np.int32), None)
        result = ImpactResult.from_raw(raw, np.array([c], dtype=np.int32))
        hit = [int(s) == c or result.index_of(int(s)) >= 0 for s in sym_local.tolist()]
        reached = [int(s) for s, h in zip(sym_local.tolist(), hit, strict=True) if h]
        chains = iter(result.paths(reached))
        out.append([to_ext[next(chains)] if h else empty for h in hit])
    return out


def _rank(
    graph: Graph,
    loc: _Local,
    scores: _Scores,
    ext: I64,
    limit: int,
    collateral_cap: int | None,
) -> list[tuple[int, int, bool]]:
    """The candidates (score index, collateral, truncated) that make the first ``limit``.

    Tiers by (coverage, matched) are exact already; collateral decides within the tier
    that crosses the limit (branch and bound: closest candidates first, and a candidate
    whose reach exceeds the worst kept collateral cannot enter, so its count stops early).
    """
    cov, matched, maxd = scores.coverage, scores.matched, scores.max_distance
    reached = scores.reached_others  # symptoms among the affected CIs: not collateral
    nodes = loc.nodes[scores.local]
    tier = np.lexsort((ext, -matched, -cov))
    boundary = tier[:0]
    if tier.size > limit:
        last = tier[limit - 1]
        same = (cov[tier] == cov[last]) & (matched[tier] == matched[last])
        better = (cov[tier] > cov[last]) | (
            (cov[tier] == cov[last]) & (matched[tier] > matched[last])
        )
        boundary = tier[same]
        tier = tier[better]
    coll = np.zeros(cov.size, dtype=np.int64)
    trunc = np.zeros(cov.size, dtype=np.bool_)
    if tier.size:  # tiers that certainly make the cut: every collateral is reported
        _collateral(graph, nodes[tier], reached[tier], collateral_cap, coll, trunc, tier)
    keep = tier.tolist()
    slots = limit - tier.size
    if boundary.size <= slots:
        if boundary.size:
            _collateral(
                graph, nodes[boundary], reached[boundary], collateral_cap, coll, trunc, boundary
            )
        keep += boundary.tolist()
    else:
        cand = boundary[np.lexsort((ext[boundary], maxd[boundary]))]
        if get_backend() == "numba":
            c_coll, c_trunc, chosen = _accel.best_collateral(
                graph.n_nodes,
                graph.adj_impact(),
                graph.reach_memo(),
                nodes[cand],
                reached[cand],
                maxd[cand],
                ext[cand],
                int(slots),
                collateral_cap,
            )
            coll[cand], trunc[cand] = c_coll, c_trunc
            keep += cand[chosen].tolist()
        else:
            keep += _best_collateral_py(
                graph, nodes, cand, reached, maxd, ext, int(slots), collateral_cap, coll, trunc
            )
    return [(i, int(coll[i]), bool(trunc[i])) for i in keep]


def _best_collateral_py(
    graph: Graph,
    nodes: I32,
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
        _collateral(graph, nodes[one], explained[one], bound, coll, trunc, one)
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
