"""The graph engine beside a compiled-C BFS and networkx, on the hard cases as well as the easy.

Run: ``python benchmarks/graph/bench_engine.py [--nodes N] [--samples K] [--runs R]``

On one synthetic estate (generate.py): build time and memory, then single-CI impact on two
start sets reported separately — uniform random CIs (mostly leaves: tiny blast radius) and
infrastructure CIs (hypervisors, storage arrays, switches and shared services in equal
numbers: the failures that matter) — as p50 / p95 / max over K starts, repeated R times and
reported as the median of each run's figure (never the best run). Every engine query is timed
beside the C reference kernel (cref.py, compiled here with the system compiler) on the same
CSR arrays, alternating which goes first, and the ratio is taken per run. Also: a whole
datacenter failing (median of 5), root cause on symptoms drawn from both start sets,
incremental updates, and networkx ``descendants`` (a plain BFS) on the same estate. The load
average is printed beside each figure: the machine is shared.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
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

from cref import load as load_c  # noqa: E402
from generate import Estate, generate_estate  # noqa: E402

from assetgraph.graph import (  # noqa: E402
    Graph,
    impact,
    root_cause,
    set_backend,
    warmup,
)

I32 = npt.NDArray[np.int32]


# ------------------------------------------------------------------ networkx baseline
class NetworkX:
    """networkx DiGraph of the impact edges; ``descendants`` is its BFS reach (no states)."""

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

    def reach(self, start: int) -> int:
        """How many CIs a failure of ``start`` reaches (BFS, redundancy ignored)."""
        return len(self.nx.descendants(self.g, start))


# ------------------------------------------------------------------ helpers
def pct(samples: list[float]) -> tuple[float, float, float]:
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


def load() -> float:
    """1-minute load average."""
    return os.getloadavg()[0]


def fmt(x: float | None) -> str:
    """Format a millisecond figure for the table."""
    if x is None or x != x:
        return "-"
    return f"{x:,.1f}" if x >= 10 else f"{x:,.3f}" if x < 1 else f"{x:,.2f}"


def build_engine(est: Estate, reorder: bool = True) -> Graph:
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


INFRA = {
    "hypervisor": ["hypervisor"],
    "storage": ["storage"],
    "network": ["tor_switch", "core_switch"],
    "shared services": ["dns_server", "ldap_server", "lb_appliance", "power_feed"],
}


def start_sets(est: Estate, count: int, rng: np.random.Generator) -> dict[str, I32]:
    """Uniform random CIs, and infrastructure CIs drawn equally from the four groups."""
    groups = [np.concatenate([est.layers[k] for k in names]) for names in INFRA.values()]
    per = -(-count // len(groups))
    infra = np.concatenate([rng.choice(g, per) for g in groups])
    rng.shuffle(infra)
    return {
        "uniform": rng.integers(0, est.n_nodes, count).astype(np.int32),
        "infrastructure": infra[:count].astype(np.int32),
    }


def timed(fn: Callable[[], Any]) -> float:
    """Wall time of one call in ms."""
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


Series = dict[str, list[float]]


def one_run(g: Graph, c: Any, starts: I32, check: bool) -> tuple[Series, list[int], int]:
    """One pass over ``starts``: engine (current backend) and C side by side, alternating
    which goes first; returns times, blast radii and the number of reach mismatches."""
    ip, ix, to_int = g._fwd_indptr, g._fwd_indices, g._to_int
    out: Series = {"engine": [], "C": []}
    sizes: list[int] = []
    bad = 0
    for i, s in enumerate(starts.tolist()):
        internal = np.array([s if to_int is None else to_int[s]], np.int32)
        pair = [
            ("engine", partial(impact, g, [s])),
            ("C", partial(c.reach, ip, ix, internal) if c else None),
        ]
        if i % 2:
            pair.reverse()
        for name, fn in pair:
            if fn is not None:
                out[name].append(timed(fn))
        r = impact(g, [s])
        sizes.append(len(r))
        if c and check:
            got = np.sort(r.nodes)
            want = np.sort(g.to_external(c.reached(ip, ix, internal)))
            bad += int(not np.array_equal(got, want))
    return out, sizes, bad


def main() -> None:  # noqa: C901 - one linear script of measurements
    """Run every measurement and print the tables."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--nodes", type=int, default=1_000_000)
    ap.add_argument("--samples", type=int, default=200, help="starts per start set (>= 50)")
    ap.add_argument("--runs", type=int, default=5, help="repeated runs; medians are reported")
    ap.add_argument("--rc-samples", type=int, default=50)
    ap.add_argument("--nx-samples", type=int, default=50)
    ap.add_argument("--no-networkx", action="store_true")
    ap.add_argument("--no-numpy", action="store_true", help="skip the numpy backend")
    ap.add_argument("--seed", type=int, default=42)
    args, _ = ap.parse_known_args()  # run.py passes every script the same extras
    rng = np.random.default_rng(args.seed)
    cref = load_c()
    print(f"load average at start: {load():.2f} (2-core machine)")
    print(f"C reference: {cref.compiler if cref else 'no compiler found: ratios omitted'}")

    t0 = time.perf_counter()
    est = generate_estate(args.nodes, seed=args.seed)
    t_gen = time.perf_counter() - t0
    gc.collect()
    rss1 = rss_mb()
    builds = []
    for _ in range(3):
        t0 = time.perf_counter()
        g = build_engine(est)
        builds.append(time.perf_counter() - t0)
        gc.collect()
    t_build = statistics.median(builds)
    rss2 = rss_mb()
    informational = int(np.count_nonzero(est.type_direction[est.rel_type] == 0))
    print(
        f"estate: {est.n_nodes:,} CIs, {est.n_relations:,} generated relationships "
        f"(generated in {t_gen:.1f}s); kept {g.n_relations:,} after removing duplicates and "
        f"self-links, of which {informational:,} generated are informational (never "
        f"traversed); impact edges traversed: {g.n_impact_edges:,}"
    )
    print(
        f"engine build median of 3: {t_build:.1f}s, arrays {g.nbytes() / 1e6:.0f} MB, "
        f"RSS +{rss2 - rss1:.0f} MB"
    )

    sets = start_sets(est, max(args.samples, 50), rng)
    dc = est.layers["datacenter"][:1]
    warmup()
    backends = ["numba", "numpy"] if set_backend("auto") == "numba" else ["numpy"]
    if args.no_numpy and len(backends) > 1:
        backends = ["numba"]
    # table rows: (backend, set) -> per-run (p50, p95, max) and ratios to C
    rows: dict[tuple[str, str], dict[str, list[float]]] = {}
    radius: dict[str, list[int]] = {}
    mismatches = 0
    for b in backends:
        set_backend(b)  # type: ignore[arg-type]
        for name, starts in sets.items():
            one_run(g, cref, starts[:5], check=False)  # warm (JIT, page cache)
            acc: dict[str, list[float]] = {}
            runs = args.runs if b == "numba" else max(1, args.runs // 2)
            for run in range(runs):
                ld = load()
                series, sizes, bad = one_run(g, cref, starts, check=run == 0 and b == "numba")
                mismatches += bad
                radius[name] = sizes
                e50, e95, emax = pct(series["engine"])
                for key, val in (("p50", e50), ("p95", e95), ("max", emax), ("load", ld)):
                    acc.setdefault(key, []).append(val)
                if series["C"]:
                    c50, c95, cmax = pct(series["C"])
                    for key, val in (
                        ("C p50", c50),
                        ("C p95", c95),
                        ("C max", cmax),
                        ("r50", e50 / c50),
                        ("r95", e95 / c95),
                    ):
                        acc.setdefault(key, []).append(val)
            rows[(b, name)] = acc
            print(f"measured {b} / {name}", flush=True)
    set_backend("auto")

    # the worst case: a whole datacenter, median of 5
    dc_e = statistics.median(timed(partial(impact, g, dc)) for _ in range(5))
    dc_int = g.to_internal(dc)
    dc_c = (
        statistics.median(
            timed(partial(cref.reach, g._fwd_indptr, g._fwd_indices, dc_int)) for _ in range(5)
        )
        if cref
        else float("nan")
    )
    res_dc = impact(g, dc)

    # root cause: 5 symptoms from the blast radius of a failure of each start set
    rc_rows = {}
    for name, starts in sets.items():
        sym_sets = []
        for s in starts.tolist():
            r = impact(g, [s])
            if len(r) >= 5:
                sym_sets.append(rng.choice(r.nodes, 5, replace=False).astype(np.int32))
            if len(sym_sets) >= args.rc_samples:
                break
        cold, warm = [], []
        for sym in sym_sets:
            g.reach_memo()[:] = 0  # forget (the memo stores size + 1)
            cold.append(timed(partial(root_cause, g, sym)))
            warm.append(timed(partial(root_cause, g, sym)))
        rc_rows[name] = (len(sym_sets), pct(cold), pct(warm), load())

    # incremental updates, median of 9
    s_, d_ = int(est.layers["vm"][0]), int(est.layers["farm"][1])
    upd_add = statistics.median(
        timed(lambda: g.with_edges_added([s_], [d_], [2])) for _ in range(9)
    )
    g2 = g.with_edges_added([s_], [d_], [2])
    upd_rm = statistics.median(
        timed(lambda: g2.with_edges_removed([s_], [d_], [2])) for _ in range(9)
    )
    farm = est.layers["farm"][:1]
    upd_red = statistics.median(timed(lambda: g.with_redundancy(farm, 1, 2)) for _ in range(9))

    # networkx BFS (descendants) on the same estate
    nx_rows: dict[str, tuple[int, tuple[float, float, float], float]] = {}
    t_nx = float("nan")
    if not args.no_networkx:
        t0 = time.perf_counter()
        nxg = NetworkX(est)
        t_nx = time.perf_counter() - t0
        for name, starts in sets.items():
            picks = starts[: args.nx_samples]
            ts = [timed(partial(nxg.reach, int(s))) for s in picks.tolist()]
            nx_rows[name] = (len(ts), pct(ts), load())
        del nxg
        gc.collect()

    # ---------------------------------------------------------------- report
    med = statistics.median
    print()
    print(
        f"estate {est.n_nodes:,} CIs; {g.n_relations:,} relationships kept, "
        f"{g.n_impact_edges:,} impact edges traversed; build {t_build:.1f}s (median of 3), "
        f"{g.nbytes() / 1e6:.0f} MB arrays; load average now {load():.2f} (2 cores, shared)"
    )
    for name in sets:
        z = np.array(radius[name])
        print(
            f"blast radius, {name} starts: p50 {np.percentile(z, 50):,.0f}, "
            f"p95 {np.percentile(z, 95):,.0f}, max {z.max():,} CIs"
        )
    print(
        f"reach sets compared with the C kernel: {len(sets) * max(args.samples, 50)}, "
        f"differing: {mismatches}"
    )
    print()
    print(
        "Single-CI impact, ms: median over runs of each run's p50 / p95 / max "
        f"({max(args.samples, 50)} starts per set; numba {args.runs} runs, numpy "
        f"{max(1, args.runs // 2)}); engine ÷ C computed per run, side by side"
    )
    print()
    print(
        "| backend | start set | p50 | p95 | max | C p50 | C p95 | C max | ÷ C p50 | ÷ C p95 "
        "| load (runs) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for (b, name), acc in rows.items():
        c = [fmt(med(acc[k])) if k in acc else "-" for k in ("C p50", "C p95", "C max")]
        r = [f"{med(acc[k]):.2f}x" if k in acc else "-" for k in ("r50", "r95")]
        loads = "-".join(f"{x:.1f}" for x in (min(acc["load"]), max(acc["load"])))
        print(
            f"| engine/{b} | {name} | {fmt(med(acc['p50']))} | {fmt(med(acc['p95']))} "
            f"| {fmt(med(acc['max']))} | {' | '.join(c)} | {' | '.join(r)} | {loads} |"
        )
    for name, (n, (p50, p95, mx), ld) in nx_rows.items():
        print(
            f"| networkx `descendants` (BFS), same estate | {name} ({n} starts) | {fmt(p50)} "
            f"| {fmt(p95)} | {fmt(mx)} | | | | | | {ld:.1f} |"
        )
    if args.no_networkx:
        print("| networkx | skipped (--no-networkx) | | | | | | | | | |")
    print()
    print(
        f"Whole datacenter failing ({len(res_dc):,} affected, {res_dc.n_down:,} DOWN, "
        f"{res_dc.n_degraded:,} DEGRADED), median of 5: engine {fmt(dc_e)} ms, C {fmt(dc_c)} "
        f"ms ({dc_e / dc_c:.2f}x), load {load():.2f}"
    )
    print()
    print(
        "| root cause, 5 correlated symptoms | samples | cold p50 / p95 / max "
        "| warm p50 / p95 / max | load |"
    )
    print("|---|---|---|---|---|")
    for name, (n, cold, warm, ld) in rc_rows.items():
        print(
            f"| symptoms from {name} failures | {n} | {' / '.join(fmt(x) for x in cold)} "
            f"| {' / '.join(fmt(x) for x in warm)} | {ld:.2f} |"
        )
    print()
    print("| other (median of 9) | engine |")
    print("|---|---|")
    print(f"| update: add 1 relation (ms) | {fmt(upd_add)} |")
    print(f"| update: remove 1 relation (ms) | {fmt(upd_rm)} |")
    print(f"| update: redundancy of 1 CI (ms) | {fmt(upd_red)} |")
    print(f"| build (s, median of 3) | {t_build:.1f} |")
    print(f"| networkx DiGraph build (s) | {t_nx:.1f} |")
    print(f"| engine arrays (MB) | {g.nbytes() / 1e6:.0f} |")


if __name__ == "__main__":
    main()
