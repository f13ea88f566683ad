"""The fixed-asset register as of a date at 100,000 assets (issue 12 item 9: <= 1 s p95),
side by side with the naive per-asset register in the same run, on the same database.

The estate: ``--assets`` laptops, desktops, monitors and servers with a straight-line,
full-month profile per category (the common case), 90 % in EUR and 10 % in USD (with a
rate), custodians in 40 cost centres, 50 locations; ``--mixed`` percent of the assets get a
declining-balance profile of their own, which the register computes per asset.

Timed, each ``--samples`` times (p50/p95), database read included:

* **totals**: ``build_register`` (what the API's ``rows=false``, the CLI's summary and the
  Finance dashboard card need);
* **totals + rows**: the same plus every row object (the API with rows, the CSV export);
* **naive**: ``build_register_per_asset`` (one model instance and one Decimal schedule per
  asset), timed on ``--sample`` assets and scaled linearly (it is linear), after checking
  that both give the same totals on that sample.

Run: ``python benchmarks/finance/bench_register.py [--assets 100000] [--samples 7]
[--sample 2000] [--mixed 0]`` (a throw-away SQLite database unless
``ASSETGRAPH_DATABASE_URL`` is set).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import tempfile
import time
from decimal import Decimal


def _setup() -> None:
    os.environ.setdefault("ASSETGRAPH_DATA_DIR", tempfile.mkdtemp(prefix="agbench-register-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "assetgraph.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def _estate(count: int, mixed: int, seed: int = 11) -> None:
    """The assets and their finance settings, written in bulk (a benchmark fixture, not a
    domain write: no audit events)."""
    from django.utils import timezone

    from assetgraph.assets.models import Asset, AssetModel, Category
    from assetgraph.finance.models import AssetFinance, DepreciationProfile, ExchangeRate
    from assetgraph.org.models import Company, CostCentre, Location, Person

    rng = random.Random(seed)
    now = timezone.now()
    maker = Company.objects.create(name="Bench Maker", is_manufacturer=True)
    models = []
    for n, (kind, life) in enumerate(
        (("laptop", 3), ("desktop", 4), ("monitor", 5), ("server", 5))
    ):
        category = Category.objects.create(name=f"Bench {kind}s", kind=kind)
        DepreciationProfile.objects.create(
            name=f"{kind} SL", category=category, method="straight_line", life_years=life,
            salvage_percent=Decimal(5 * (n % 2)), start_basis="purchase",
        )  # fmt: skip
        models.append(
            AssetModel.objects.create(name=f"Bench {kind}", category=category, manufacturer=maker)
        )
    declining = DepreciationProfile.objects.create(
        name="DB 200%", method="declining_balance", life_years=5, start_basis="purchase"
    )
    ExchangeRate.objects.create(
        currency="USD", base="EUR", valid_from=dt.date(2015, 1, 1), rate=Decimal("0.9137")
    )
    region = Location.objects.create(name="Bench", kind="region", path="Bench")
    places = Location.objects.bulk_create(
        [
            Location(name=f"Site {n}", kind="site", parent=region, path=f"Bench / Site {n}")
            for n in range(50)
        ]
    )
    centres = CostCentre.objects.bulk_create(
        [CostCentre(code=f"CC-{n:03d}", name=f"Centre {n}") for n in range(40)]
    )
    people = Person.objects.bulk_create(
        [
            Person(
                employee_number=f"B{n:05d}",
                first_name="P",
                last_name=str(n),
                cost_centre=centres[n % 40],
            )
            for n in range(2000)
        ]
    )
    assets = []
    for n in range(count):
        model = models[n % 4]
        assets.append(
            Asset(
                asset_tag=f"BR-{n:07d}", name=f"Asset {n}", model=model, manufacturer=maker,
                location=places[n % 50], custodian=people[rng.randrange(2000)] if n % 3 else None,
                purchase_date=dt.date(
                    rng.randint(2019, 2026), rng.randint(1, 12), rng.randint(1, 28)
                ),
                cost=Decimal(rng.randint(20_000, 5_000_000)) / 100,
                currency="USD" if n % 10 == 0 else "EUR", created=now, updated=now,
            )
        )  # fmt: skip
    Asset.objects.bulk_create(assets, batch_size=5000)
    if mixed:
        ids = list(Asset.objects.order_by("pk").values_list("pk", flat=True))
        chosen = rng.sample(ids, len(ids) * mixed // 100)
        AssetFinance.objects.bulk_create(
            [
                AssetFinance(asset_id=pk, book_profile=declining, created=now, updated=now)
                for pk in chosen
            ],
            batch_size=5000,
        )  # fmt: skip


def _timed(run: object, samples: int) -> list[float]:
    times = []
    for _ in range(samples):
        began = time.perf_counter()
        run()  # type: ignore[operator]
        times.append(time.perf_counter() - began)
    return times


def _p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=7)
    parser.add_argument("--sample", type=int, default=2_000)
    parser.add_argument("--mixed", type=int, default=0, help="percent with a declining profile")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the estate already in ASSETGRAPH_DATA_DIR's database (same --assets)",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile one totals run")
    args = parser.parse_args()
    _setup()

    from assetgraph.assets.models import Asset

    began = time.perf_counter()
    if not (args.reuse and Asset.objects.exists()):
        _estate(args.assets, args.mixed)
        print(f"estate of {args.assets:,} assets written in {time.perf_counter() - began:.0f} s")
    from assetgraph.finance.register import (
        build_register,
        build_register_per_asset,
        register_assets,
    )

    as_of = dt.date(2026, 11, 30)
    every = register_assets(Asset.objects.all(), as_of)
    if args.profile:
        import cProfile
        import pstats

        build_register(every, as_of, "book")  # warm: profiles, rates, statement cache
        profiler = cProfile.Profile()
        profiler.runcall(lambda: len(build_register(every, as_of, "book").rows))
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        return
    totals = _timed(lambda: build_register(every, as_of, "book").grand_total, args.samples)
    with_rows = _timed(lambda: len(build_register(every, as_of, "book").rows), args.samples)
    on_books = build_register(every, as_of, "book").grand_total.assets

    sample_ids = list(every.values_list("pk", flat=True)[: args.sample])
    sample = register_assets(Asset.objects.filter(pk__in=sample_ids), as_of)
    fast = build_register(sample, as_of, "book").as_dict(with_rows=False)
    began = time.perf_counter()
    naive = build_register_per_asset(sample, as_of, "book").as_dict(with_rows=False)
    naive_scaled = (time.perf_counter() - began) * on_books / len(sample_ids)
    assert str(fast) == str(naive), "bulk and per-asset registers differ"

    title = f"Register as of {as_of} ({on_books:,} assets, {args.mixed} % per-asset)"
    print(f"| {title} | p50 | p95 | vs naive |")
    print("|---|---|---|---|")
    naive_label = f"naive per-asset register (timed on {len(sample_ids):,}, scaled linearly)"
    print(f"| {naive_label} | {naive_scaled:.1f} s | | 1x |")
    for label, times in (
        (f"totals (median/p95 of {args.samples})", totals),
        (f"totals + every row (of {args.samples})", with_rows),
    ):
        p50, p95 = statistics.median(times), _p95(times)
        print(f"| {label} | {p50:.2f} s | {p95:.2f} s | {naive_scaled / p95:.0f}x faster at p95 |")
    print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
