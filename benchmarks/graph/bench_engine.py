"""Side-by-side micro-benchmark of the graph engine against simple baselines.

Run: ``PYTHONPATH=src python benchmarks/graph/bench_engine.py [--nodes N] [--queries Q]``

Measures on one synthetic estate (see generate.py): build time and memory, single-CI
impact p50/p95/max over random CIs, the worst case (a whole datacenter failing),
5-symptom root cause p95 (symptoms sampled from the blast radius of a random failure, as
correlated alerts are), and incremental updates. Columns: the engine on the compiled
(numba) backend when installed, the engine on its numpy backend, a plain
frontier-at-a-time numpy implementation of the same semantics, and networkx (on a smaller
estate when the full one would take too long; the table says which).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1] / "src"))

from generate import Estate, generate_estate  # noqa: E402

from assetgraph.graph import (  # noqa: E402
    Graph,
    get_backend,
    impact,
    root_cause,
    set_backend,
)

I32 = npt.NDArray[np.int32]


# ------------------------------------------------------------------ plain numpy baseline
def _uniq(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Sort-based unique (numpy 2.x hash-based ``np.unique`` would handicap the baseline)."""
    a = np.sort(a)
    if a.size > 1:
        a = a[np.concatenate([[True], a[1:] != a[:-1]])]
    return a


class PlainNumpy:
    """The straightforward vectorised approach: CSR + frontier-at-a-time + np.unique."""

    def __init__(self, est: Estate) -> None:
        """Build impact CSR (u -> v) and member flags the obvious way."""
        n = est.n_nodes
        d = est.type_direction[est.rel_type]
        m = (d != 0) & (est.rel_src != est.rel_dst)
        u = np.where(d == 1, est.rel_src, est.rel_dst)[m].astype(np.int64)
        v = np.where(d == 1, est.rel_dst, est.rel_src)[m].astype(np.int64)
        mem = (est.type_membership[est.rel_type] & (d == 1))[m]
        is_group = est.redundancy_kind != 0
        counted = mem & is_group[v]
        key = np.unique((u * n + v) * 2 + counted)
        self.n = n
        self.u = (key // 2 // n).astype(np.int32)
        self.v = (key // 2 % n).astype(np.int32)
        self.counted = (key % 2).astype(bool)
        self.indptr = np.zeros(n + 1, np.int64)
        np.cumsum(np.bincount(self.u, minlength=n), out=self.indptr[1:])
        cnt = np.bincount(self.v[self.counted], minlength=n)
        val = est.redundancy_value.astype(np.int64)
        k = est.redundancy_kind
        min_up = np.where(k == 1, val, np.where(k == 2, (val * cnt + 99) // 100, cnt))
        min_up = np.clip(min_up, 0, cnt)
        self.thr = np.where(is_group, cnt - min_up + 1, 1)
        order = np.argsort(self.v, kind="stable")
        self.rindptr = np.zeros(n + 1, np.int64)
        np.cumsum(np.bincount(self.v, minlength=n), out=self.rindptr[1:])
        self.rindices = self.u[order]

    def _nbrs(self, indptr: npt.NDArray[np.int64], frontier: I32) -> npt.NDArray[np.int64]:
        """Edge positions of a frontier (vectorised row-range concatenation)."""
        starts = indptr[frontier]
        cnt = indptr[frontier + 1] - starts
        total = int(cnt.sum())
        if total == 0:
            return np.empty(0, np.int64)
        offs = np.repeat(starts - np.concatenate([[0], np.cumsum(cnt)[:-1]]), cnt)
        return offs + np.arange(total)

    def impact(self, failed: I32) -> tuple[I32, npt.NDArray[np.int8], I32]:
        """BFS for depth, then a second frontier pass for DOWN thresholds."""
        depth = np.full(self.n, -1, np.int32)
        depth[failed] = 0
        frontier = _uniq(failed)
        level = 0
        while frontier.size:
            pos = self._nbrs(self.indptr, frontier)
            nb = _uniq(self.v[pos])
            nb = nb[depth[nb] < 0]
            level += 1
            depth[nb] = level
            frontier = nb.astype(np.int32)
        state = np.zeros(self.n, np.int8)
        state[failed] = 2
        cnt = np.zeros(self.n, np.int32)
        frontier = _uniq(failed)
        while frontier.size:
            pos = self._nbrs(self.indptr, frontier)
            tgt = self.v[pos]
            cf = self.counted[pos]
            imm = _uniq(tgt[~cf])
            imm = imm[state[imm] != 2]
            mt = tgt[cf]
            mt = mt[state[mt] != 2]
            np.add.at(cnt, mt, 1)
            hit = mt[cnt[mt] >= self.thr[mt]]
            new = _uniq(np.concatenate([imm, hit]))
            state[new] = 2
            frontier = new.astype(np.int32)
        nodes = np.flatnonzero(depth > 0).astype(np.int32)
        return nodes, np.maximum(state[nodes], 1), depth[nodes]

    def upstream(self, node: int) -> I32:
        """Plain reverse BFS."""
        seen = np.zeros(self.n, bool)
        seen[node] = True
        frontier = np.array([node], np.int32)
        while frontier.size:
            nb = _uniq(self.rindices[self._nbrs(self.rindptr, frontier)])
            nb = nb[~seen[nb]]
            seen[nb] = True
            frontier = nb
        return np.flatnonzero(seen).astype(np.int32)

    def root_cause(self, symptoms: I32, limit: int = 20) -> list[tuple[int, int, int]]:
        """Upstream per symptom, coverage count, exact impact of the top candidates."""
        cover = np.zeros(self.n, np.int32)
        for s in symptoms:
            cover[self.upstream(int(s))] += 1
        cands = np.flatnonzero(cover)
        top = cands[np.argsort(-cover[cands], kind="stable")][:limit]
        out = []
        for c in top:
            nodes, _states, _ = self.impact(np.array([c], np.int32))
            out.append((int(c), int(cover[c]), int(nodes.size)))
        return out


# ------------------------------------------------------------------ networkx baseline
class NetworkX:
    """networkx DiGraph of impact edges; BFS reach + depth (no redundancy states)."""

    def __init__(self, est: Estate) -> None:
        """Build the DiGraph (this alone takes a while at full size)."""
        import networkx as nx

        d = est.type_direction[est.rel_type]
        m = d != 0
        u = np.where(d == 1, est.rel_src, est.rel_dst)[m]
        v = np.where(d == 1, est.rel_dst, est.rel_src)[m]
        self.g = nx.DiGraph()
        self.g.add_nodes_from(range(est.n_nodes))
        self.g.add_edges_from(zip(u.tolist(), v.tolist(), strict=True))
        self.nx = nx

    def impact(self, failed: I32) -> int:
        """Multi-source BFS depths (reach only)."""
        return len(self.nx.multi_source_dijkstra_path_length(self.g, set(failed.tolist())))

    def root_cause(self, symptoms: I32, limit: int = 20) -> int:
        """Ancestors per symptom, coverage, reach of the top candidates."""
        cover: dict[int, int] = {}
        for s in symptoms.tolist():
            for a in self.nx.ancestors(self.g, s) | {s}:
                cover[a] = cover.get(a, 0) + 1
        top = sorted(cover, key=lambda x: -cover[x])[:limit]
        return sum(len(self.nx.descendants(self.g, c)) for c in top)


# ------------------------------------------------------------------ helpers
def timed(fn: Callable[[], Any], repeat: int = 1) -> float:
    """Best wall time of ``repeat`` runs, in ms."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best * 1000


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    """p50, p95, max."""
    a = np.asarray(samples)
    return float(np.percentile(a, 50)), float(np.percentile(a, 95)), float(a.max())


def rss_mb() -> float:
    """Resident set size of this process (Linux)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    except OSError:  # pragma: no cover - non-Linux
        return float("nan")


def symptom_sets(g: Graph, n: int, count: int, rng: np.random.Generator) -> list[I32]:
    """Correlated symptoms: 5 CIs sampled from the blast radius of a random failure."""
    out: list[I32] = []
    while len(out) < count:
        r = impact(g, [int(rng.integers(0, n))])
        if len(r) >= 5:
            out.append(rng.choice(r.nodes, 5, replace=False).astype(np.int32))
    return out


def fmt(x: float | None) -> str:
    """Format a millisecond figure for the table."""
    if x is None:
        return "-"
    return f"{x:,.1f}" if x >= 10 else f"{x:,.2f}"


Row = dict[str, float | None]


def measure(
    impact_fn: Callable[[I32], Any],
    rc_fn: Callable[[I32], Any],
    singles: I32,
    dc: I32,
    sym_sets: list[I32],
    before_rc: Callable[[], None] | None = None,
) -> Row:
    """Single-CI impact percentiles, datacenter worst case and root-cause percentiles."""
    impact_fn(singles[:3])  # warm-up (JIT compile when numba is used)
    rc_fn(sym_sets[0])
    ts = [timed(partial(impact_fn, np.array([v], np.int32))) for v in singles]
    p50, p95, mx = percentiles(ts)
    worst = timed(lambda: impact_fn(dc), repeat=3)
    rc = []
    for s in sym_sets:
        if before_rc is not None:
            before_rc()
        rc.append(timed(partial(rc_fn, s)))
    r50, r95, _ = percentiles(rc)
    return {
        "impact p50": p50,
        "impact p95": p95,
        "impact max": mx,
        "datacenter": worst,
        "rc p50": r50,
        "rc p95": r95,
    }


def build_engine(est: Estate, reorder: bool) -> Graph:
    """Build the engine graph of an estate."""
    return Graph.build(
        est.n_nodes,
        est.rel_src,
        est.rel_dst,
        est.rel_type,
        est.type_direction,
        est.type_membership,
        est.redundancy_kind,
        est.redundancy_value,
        reorder=reorder,
    )


def main() -> None:
    """Run every measurement and print a markdown table."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--nodes", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--rc-queries", type=int, default=200)
    ap.add_argument("--baseline-queries", type=int, default=200)
    ap.add_argument("--nx-nodes", type=int, default=200_000, help="estate size for networkx")
    ap.add_argument("--no-reorder", action="store_true")
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    print(f"load average at start: {os.getloadavg()[0]:.2f} (2-core machine)")

    rss0 = rss_mb()
    t0 = time.perf_counter()
    est = generate_estate(args.nodes, seed=args.seed)
    t_gen = time.perf_counter() - t0
    print(f"estate: {est.n_nodes:,} CIs, {est.n_relations:,} relations (generated in {t_gen:.1f}s)")
    gc.collect()
    rss1 = rss_mb()
    t0 = time.perf_counter()
    g = build_engine(est, reorder=not args.no_reorder)
    t_build = time.perf_counter() - t0
    gc.collect()
    rss2 = rss_mb()
    print(
        f"engine build {t_build:.1f}s, arrays {g.nbytes() / 1e6:.0f} MB, "
        f"RSS +{rss2 - rss1:.0f} MB (process {rss2:.0f} MB, before estate {rss0:.0f} MB); {g}"
    )

    singles = rng.integers(0, est.n_nodes, args.queries).astype(np.int32)
    dc = est.layers["datacenter"][:1]
    sym_sets = symptom_sets(g, est.n_nodes, args.rc_queries, rng)
    res_dc = impact(g, dc)
    print(
        f"worst case: datacenter {int(dc[0])} -> {len(res_dc):,} affected "
        f"({res_dc.n_down:,} DOWN, {res_dc.n_degraded:,} DEGRADED, "
        f"max depth {int(res_dc.depths.max())})"
    )
    sizes = np.array([len(impact(g, [v])) for v in singles[:300]])
    print(
        f"single-CI blast radius: p50 {np.percentile(sizes, 50):.0f}, "
        f"p95 {np.percentile(sizes, 95):.0f}, max {sizes.max():,}"
    )
    rows: dict[str, Row] = {}

    def eng_impact(f: I32) -> Any:
        return impact(g, f)

    def eng_rc(s: I32) -> Any:
        return root_cause(g, s)

    def forget() -> None:
        g.reach_memo()[:] = -1

    backends = ["numba", "numpy"] if set_backend("auto") == "numba" else ["numpy"]
    for b in backends:
        set_backend(b)  # type: ignore[arg-type]
        forget()
        cold = measure(eng_impact, eng_rc, singles, dc, sym_sets, before_rc=forget)
        warm = measure(eng_impact, eng_rc, singles[:50], dc, sym_sets)  # memo now warm
        cold["rc warm p50"], cold["rc warm p95"] = warm["rc p50"], warm["rc p95"]
        rows[f"engine/{b}"] = cold
        print(f"measured engine on {get_backend()}")
    set_backend("auto")

    # incremental updates
    s, d = int(est.layers["vm"][0]), int(est.layers["farm"][1])
    upd_add = timed(lambda: g.with_edges_added([s], [d], [2]), repeat=5)
    g2 = g.with_edges_added([s], [d], [2])
    upd_rm = timed(lambda: g2.with_edges_removed([s], [d], [2]), repeat=5)
    farm = est.layers["farm"][:1]
    upd_red = timed(lambda: g.with_redundancy(farm, 1, 2), repeat=5)

    # plain numpy baseline on the same graph (fewer queries: it is slower)
    t0 = time.perf_counter()
    plain = PlainNumpy(est)
    t_plain = time.perf_counter() - t0
    pn, ps, _pd = plain.impact(dc)
    assert np.array_equal(np.sort(pn), np.sort(res_dc.nodes)), "baseline disagrees"
    assert np.array_equal(ps[np.argsort(pn)], res_dc.states[np.argsort(res_dc.nodes)])
    rows["plain numpy"] = measure(
        plain.impact,
        plain.root_cause,
        singles[: args.baseline_queries],
        dc,
        sym_sets[: max(20, args.rc_queries // 10)],
    )
    print("measured plain numpy")

    # networkx (smaller estate unless --nx-nodes >= nodes)
    nx_n = min(args.nx_nodes, args.nodes)
    est_nx = est if nx_n == args.nodes else generate_estate(nx_n, seed=args.seed)
    t0 = time.perf_counter()
    nxg = NetworkX(est_nx)
    t_nx = time.perf_counter() - t0
    g_nx = g if est_nx is est else build_engine(est_nx, reorder=not args.no_reorder)
    nq = rng.integers(0, est_nx.n_nodes, args.baseline_queries).astype(np.int32)
    dc_nx = est_nx.layers["datacenter"][:1]
    nx_sets = symptom_sets(g_nx, est_nx.n_nodes, 20, rng)
    suffix = "" if nx_n == args.nodes else f" @{nx_n // 1000}k"
    rows["networkx" + suffix] = measure(nxg.impact, nxg.root_cause, nq, dc_nx, nx_sets)
    if suffix:
        g_nx.reach_memo()[:] = -1

        def small_impact(f: I32) -> Any:
            return impact(g_nx, f)

        def small_rc(s: I32) -> Any:
            return root_cause(g_nx, s)

        rows["engine" + suffix] = measure(
            small_impact, small_rc, nq, dc_nx, nx_sets, before_rc=lambda: None
        )
    print("measured networkx")

    # ---------------------------------------------------------------- report
    metrics = [
        "impact p50",
        "impact p95",
        "impact max",
        "datacenter",
        "rc p50",
        "rc p95",
        "rc warm p50",
        "rc warm p95",
    ]
    labels = list(rows)
    best = labels[0]
    print()
    print(
        f"estate {est.n_nodes:,} CIs / {est.n_relations:,} relations; "
        f"engine build {t_build:.1f}s, {g.nbytes() / 1e6:.0f} MB arrays, RSS +{rss2 - rss1:.0f} MB;"
        f" plain-numpy build {t_plain:.1f}s; networkx build {t_nx:.1f}s"
        f" ({'networkx' + suffix}); load average now {os.getloadavg()[0]:.2f}"
    )
    print("rc = 5 correlated symptoms, collateral memo cleared before each query (cold);")
    print("rc warm = same queries again with the graph's collateral memo populated")
    print("| metric (ms) | " + " | ".join(labels) + f" | plain numpy / {best} |")
    print("|---" * (len(labels) + 2) + "|")
    for m in metrics:
        vals = [rows[label].get(m) for label in labels]
        base = rows["plain numpy"].get(m.replace(" warm", ""))
        eng = rows[best].get(m)
        ratio = f"{base / eng:.1f}x" if base and eng else "-"
        print(f"| {m} | " + " | ".join(fmt(v) for v in vals) + f" | {ratio} |")
    print()
    print("| other | engine |")
    print("|---|---|")
    print(f"| update: add 1 relation (ms) | {fmt(upd_add)} |")
    print(f"| update: remove 1 relation (ms) | {fmt(upd_rm)} |")
    print(f"| update: redundancy of 1 CI (ms) | {fmt(upd_red)} |")
    print(f"| build (s) | {t_build:.1f} |")
    print(f"| engine arrays (MB) | {g.nbytes() / 1e6:.0f} |")


if __name__ == "__main__":
    main()
