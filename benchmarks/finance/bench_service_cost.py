"""The monthly cost of every business service at 1M CIs, database read included (issue 12:
<= 2 s), side by side with the naive per-asset path in the same run, on the same database.

The estate is the impact benchmark's (``benchmarks/impact/bench_adapter.py``: the graph
benchmark's seeded generator, about 1M CIs and 4.4M relationships written with raw
``executemany``), plus one asset per physical CI — every server, hypervisor, top-of-rack and
core switch, storage array and load-balancer appliance (about 76,000 at 1M CIs) — with a
cost, a purchase date in 2019 to 2026 and a straight-line, full-month 5-year profile, 90 % in
EUR and 10 % in USD (with a rate): the depreciation of the month is the cost every other
CI inherits.

Timed, database read included, as the CLI (``assetgraph finance service-cost``, system
actor), the API and the page call it — ``service_cost.service_costs(month, visible)``:

* **cold**: the first call of the process (it maps the shared graph snapshot, or builds the
  graph from the CMDB tables when there is none);
* **warm**: ``--samples`` further calls (p50/p95), the graph cached as in a served worker;
* **naive**: the same function with the per-asset cost read
  (``ci_monthly_costs_per_asset``: one model instance and one Decimal schedule per asset),
  ``--naive-samples`` calls, after checking that both give the same answer.

    python benchmarks/finance/bench_service_cost.py [--cis 1000000] [--samples 7]
        [--data-dir DIR [--reuse]]

``--data-dir`` keeps the database (SQLite, unless ``ASSETGRAPH_DATABASE_URL`` is set) so a
second run with ``--reuse`` skips the load (minutes at 1M CIs).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "impact"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "graph"))

PHYSICAL = ("server", "hypervisor", "tor_switch", "core_switch", "storage", "lb_appliance")
MONTH = dt.date(2026, 11, 1)


def _assets(estate: Any) -> int:
    """One asset per physical CI, linked to it (a benchmark fixture: no audit events)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from assetgraph.assets.models import Asset, AssetModel, Category
    from assetgraph.finance.models import DepreciationProfile, ExchangeRate
    from assetgraph.org.models import Company

    rng = np.random.default_rng(17)
    now = timezone.now()
    maker = Company.objects.create(name="Bench Hardware Maker", is_manufacturer=True)
    category = Category.objects.create(name="Bench data-centre hardware", kind="server")
    DepreciationProfile.objects.create(
        name="DC hardware SL 5y", category=category, method="straight_line", life_years=5,
        salvage_percent=Decimal(5), start_basis="purchase",
    )  # fmt: skip
    model = AssetModel.objects.create(name="Bench DC unit", category=category, manufacturer=maker)
    ExchangeRate.objects.get_or_create(
        currency="USD", base="EUR", valid_from=dt.date(2015, 1, 1),
        defaults={"rate": Decimal("0.9137")},
    )  # fmt: skip
    nodes = np.sort(np.concatenate([estate.layers[k] for k in PHYSICAL if k in estate.layers]))
    cents = rng.integers(100_000, 5_000_000, size=nodes.size)  # 1,000.00 to 50,000.00
    days = rng.integers(0, (dt.date(2026, 10, 31) - dt.date(2019, 1, 1)).days, size=nodes.size)
    with transaction.atomic():
        Asset.objects.bulk_create(
            [
                Asset(
                    asset_tag=f"DC-{int(node) + 1:07d}",
                    name=f"ci-{int(node) + 1:07d}",
                    model=model,
                    manufacturer=maker,
                    purchase_date=dt.date(2019, 1, 1) + dt.timedelta(days=int(day)),
                    cost=Decimal(int(cost)) / 100,
                    currency="USD" if k % 10 == 0 else "EUR",
                    created=now,
                    updated=now,
                )
                for k, (node, cost, day) in enumerate(zip(nodes, cents, days, strict=True))
            ],
            batch_size=5000,
        )
        by_tag = dict(Asset.objects.values_list("asset_tag", "pk"))
        with connection.cursor() as cursor:
            cursor.executemany(
                "UPDATE cmdb_ci SET asset_id = %s WHERE id = %s",
                [(by_tag[f"DC-{int(node) + 1:07d}"], int(node) + 1) for node in nodes],
            )
    return int(nodes.size)


def _timed(run: Any, samples: int) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(samples):
        began = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - began)
    return times, result


def _p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cis", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=7)
    parser.add_argument("--naive-samples", type=int, default=1)
    parser.add_argument("--data-dir", help="keep the database here (with --reuse: reuse it)")
    parser.add_argument("--reuse", action="store_true", help="skip the load if CIs exist")
    parser.add_argument("--load-only", action="store_true", help="load the estate and stop")
    parser.add_argument("--profile", action="store_true", help="cProfile one warm call")
    args, _ = parser.parse_known_args()  # run.py passes every script the same extras
    if args.data_dir:
        os.makedirs(args.data_dir, exist_ok=True)
        os.environ["ASSETGRAPH_DATA_DIR"] = args.data_dir
    from bench_adapter import _setup, load

    _setup()
    from assetgraph.assets.models import Asset
    from assetgraph.cmdb.models import CI

    began = time.perf_counter()
    if not (args.reuse and CI.objects.exists()):
        estate, _ = load(args.cis)
        print(f"CIs and relationships loaded in {time.perf_counter() - began:.0f} s", flush=True)
        linked = _assets(estate)
        print(f"{linked:,} assets linked in {time.perf_counter() - began:.0f} s", flush=True)
    if args.load_only:
        return 0
    from assetgraph.finance import service_cost

    n_cis = CI.objects.count()
    n_assets = Asset.objects.filter(ci__isnull=False).count()
    visible = CI.objects.current()
    print(f"estate: {n_cis:,} CIs, {n_assets:,} assets with a CI; month {MONTH:%Y-%m}")

    def fast() -> dict[str, Any]:
        return service_cost.service_costs(MONTH, visible)

    def naive() -> dict[str, Any]:
        return service_cost.service_costs(
            MONTH, visible, costs_of=service_cost.ci_monthly_costs_per_asset
        )

    load_cold = _load()
    cold, _ = _timed(fast, 1)
    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        fast()  # the graph and its cost flow cached, as in a served worker
        profiler.runcall(fast)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
        return 0
    load_warm = _load()
    warm, answer = _timed(fast, args.samples)
    load_warm += f"→{_load()}"
    load_naive = _load()
    slow, reference = _timed(naive, args.naive_samples)
    load_naive += f"→{_load()}"
    assert answer == reference, "the bulk and per-asset service costs differ"
    services = len(answer["services"])
    naive_p50 = statistics.median(slow)
    print()
    print(
        f"| Service cost, {services:,} services ({n_cis:,} CIs) | n | p50 | p95 | load | vs naive |"
    )
    print("|---|---|---|---|---|---|")
    print(
        f"| naive: per-asset cost read (`ci_monthly_costs_per_asset`) | {len(slow)} "
        f"| {naive_p50:.2f} s | {_p95(slow):.2f} s | {load_naive} | 1x |"
    )
    print(
        f"| `service_costs`, first call of the process (graph mapped or built) | 1 "
        f"| {cold[0]:.2f} s | | {load_cold} | {naive_p50 / cold[0]:.1f}x faster |"
    )
    print(
        f"| `service_costs`, warm (graph cached) | {len(warm)} | {statistics.median(warm):.2f} s "
        f"| {_p95(warm):.2f} s | {load_warm} | {naive_p50 / _p95(warm):.1f}x faster at p95 |"
    )
    print(f"total CI cost {answer['total_cis_cost']} {answer['base_currency']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
