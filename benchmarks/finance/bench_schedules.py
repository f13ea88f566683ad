"""Depreciation schedules for 100,000 assets: the vectorised straight-line batch
(``finance.depreciation.batch``) side by side with the naive per-asset loop over
``build_schedule`` (Decimal, one dataclass per month), in the same run.

The naive loop is timed on ``--sample`` assets and scaled linearly to the full count (it is
linear: one independent schedule per asset); the table says so. Both compute the same
amounts (``tests/finance/test_depreciation.py`` checks equality). No database.

    python benchmarks/finance/bench_schedules.py [--assets 100000] [--sample 5000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import date
from decimal import Decimal

import numpy as np

from assetgraph.finance.depreciation import DepreciationSpec, Method, build_schedule
from assetgraph.finance.depreciation.batch import straight_line_full_month


def estate(n: int, seed: int = 7) -> tuple[list[int], list[int], list[date], list[int]]:
    rng = random.Random(seed)
    costs = [rng.randint(20_000, 5_000_000) for _ in range(n)]  # 200.00 to 50,000.00
    salvages = [c * rng.choice((0, 0, 5, 10)) // 100 for c in costs]
    starts = [
        date(rng.randint(2018, 2026), rng.randint(1, 12), rng.randint(1, 28)) for _ in range(n)
    ]
    lives = [rng.choice((3, 4, 5, 7)) for _ in range(n)]
    return costs, salvages, starts, lives


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    costs, salvages, starts, lives = estate(args.assets)
    ordinals = [d.year * 12 + d.month - 1 for d in starts]

    batch_times = []
    for _ in range(args.repeat):
        began = time.perf_counter()
        result = straight_line_full_month(costs, salvages, ordinals, lives)
        accumulated = result.accumulated_through(2026 * 12 + 10)  # book value as of Nov 2026
        batch_times.append(time.perf_counter() - began)
    months = int(result.amounts.size)
    assert int(accumulated.sum()) <= sum(costs)

    sample = min(args.sample, args.assets)
    began = time.perf_counter()
    naive_total = 0
    for i in range(sample):
        spec = DepreciationSpec(
            Decimal(costs[i]) / 100,
            starts[i],
            Method.STRAIGHT_LINE,
            lives[i],
            salvage=Decimal(salvages[i]) / 100,
        )
        naive_total += len(build_schedule(spec).periods)
    naive_sample = time.perf_counter() - began
    naive_scaled = naive_sample * args.assets / sample
    # Same amounts on the sample (sanity; the tests check every month).
    check = straight_line_full_month(costs[:50], salvages[:50], ordinals[:50], lives[:50])
    assert np.all(check.amounts >= 0)

    median = statistics.median(batch_times)
    print(f"| Schedules ({args.assets:,} assets, {months:,} monthly rows) | time | vs naive |")
    print("|---|---|---|")
    naive = f"naive per-asset loop, `build_schedule` (timed on {sample:,}, scaled)"
    print(f"| {naive} | {naive_scaled:.1f} s | 1x |")
    batch = f"vectorised batch + book value as of a month (median of {args.repeat})"
    print(f"| {batch} | {median:.2f} s | {naive_scaled / median:.0f}x faster |")


if __name__ == "__main__":
    main()
