"""The monthly cost of every business service at 1M CIs: the vectorised allocation
(``assetgraph.graph.costs.allocate_costs``, one ``bincount`` over the edges per round) side
by side with a naive Python loop over the same edges, in the same run. No database: the
estate is ``benchmarks/graph/generate.py``'s (about 1M CIs, 4.5M relationships), the edges
are the impact-direction adjacency the adapter feeds the engine (``impact/costs.py``).

The naive loop pushes each node's in-flight cost to its dependents edge by edge in Python,
round after round, exactly as the engine does with arrays; it is timed on ``--naive-rounds``
rounds and scaled to the number of rounds the engine needed (the table says so).

    python benchmarks/finance/bench_service_cost.py [--nodes 1000000] [--naive-rounds 1]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "graph"))

from generate import generate_estate

from assetgraph.graph import Graph
from assetgraph.graph.costs import allocate_costs, edge_fractions


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=1_000_000)
    parser.add_argument("--naive-rounds", type=int, default=1)
    args = parser.parse_args()

    started = time.perf_counter()
    est = generate_estate(args.nodes, seed=42)
    graph = Graph.build(
        est.n_nodes,
        est.rel_src,
        est.rel_dst,
        est.rel_type,
        est.type_direction,
        est.type_membership,
        est.redundancy_kind,
        est.redundancy_value,
    )
    adj = graph.adj_impact()
    counts = np.diff(adj.indptr)
    supplier = graph.to_external(np.repeat(np.arange(graph.n_nodes, dtype=np.int32), counts))
    dependent = graph.to_external(adj.indices.astype(np.int32))
    n = est.n_nodes
    absorbing = np.zeros(n, dtype=np.bool_)
    absorbing[est.layers["business_service"]] = True
    rng = np.random.default_rng(7)
    own = np.zeros(n, dtype=np.float64)
    for layer in ("server", "hypervisor", "vm", "lb_appliance", "tor_switch"):
        ids = est.layers[layer]
        own[ids] = rng.integers(1_000, 500_000, size=ids.size)  # 10.00 to 5,000.00 a month
    print(
        f"estate: {n:,} CIs, {est.n_relations:,} relationships, {supplier.size:,} impact "
        f"edges, {int(absorbing.sum()):,} services (built in {time.perf_counter() - started:.1f} s)"
    )

    times = []
    result = None
    for _ in range(3):
        t0 = time.perf_counter()
        result = allocate_costs(n, supplier, dependent, own, absorbing)
        times.append(time.perf_counter() - t0)
    assert result is not None
    engine = statistics.median(times)
    total = own.sum()
    conserved = result.absorbed.sum() + result.stranded.sum() + result.circulating
    print(
        f"engine: median {engine:.2f} s over 3 runs, {result.rounds} rounds; "
        f"absorbed {result.absorbed.sum() / total:.1%}, conserved to {abs(conserved - total):.3g}"
    )

    # Naive: the same rounds, one Python step per edge.
    keep = ~absorbing[supplier]
    sup, dep = supplier[keep].tolist(), dependent[keep].tolist()
    frac = edge_fractions(n, supplier[keep], dependent[keep]).tolist()
    has_out = [False] * n
    for s in sup:
        has_out[s] = True
    flight = [0.0 if absorbing[i] or not has_out[i] else float(own[i]) for i in range(n)]
    t0 = time.perf_counter()
    for _ in range(args.naive_rounds):
        received = [0.0] * n
        for s, d, f in zip(sup, dep, frac, strict=True):
            received[d] += flight[s] * f
        flight = [received[i] if has_out[i] else 0.0 for i in range(n)]
    per_round = (time.perf_counter() - t0) / args.naive_rounds
    naive = per_round * result.rounds
    print()
    print("| Service cost, all services of the estate | time | vs naive |")
    print("|---|---|---|")
    print(
        f"| naive Python loop over the edges ({args.naive_rounds} round(s) timed, "
        f"{per_round:.1f} s each, scaled to {result.rounds}) | {naive:.1f} s | 1x |"
    )
    print(
        f"| `allocate_costs` (numpy, median of 3) | {engine:.2f} s | {naive / engine:.0f}x faster |"
    )


if __name__ == "__main__":
    main()
