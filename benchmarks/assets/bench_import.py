"""Asset import throughput (issue 3 item 9): the bulk ``AssetImporter`` path against the naive
baseline of one ``create_asset`` service call per row, side by side in the same run.

The file has every column the importer knows, references by name (model, location, supplier)
and a custom field, like a real procurement export. Target: >= 5,000 rows/s on SQLite.

Run: ``python benchmarks/assets/bench_import.py [--rows 100000] [--baseline-rows 500]
[--profile]`` (a throw-away SQLite database unless ``ASSETGRAPH_DATABASE_URL`` is set).
Prints a Markdown table; ``--profile`` prints the top of a cProfile of the bulk import.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import os
import platform
import pstats
import sqlite3
import sys
import tempfile
import time
from decimal import Decimal
from typing import Any


def _setup() -> None:
    os.environ.setdefault("ASSETGRAPH_DATA_DIR", tempfile.mkdtemp(prefix="agbench-assets-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "assetgraph.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def _catalogue() -> dict[str, Any]:
    from assetgraph.assets import services
    from assetgraph.core.actor import Actor
    from assetgraph.org import services as org

    actor = Actor.system("bench")
    dell = org.create_company(actor, {"name": "Dell", "is_manufacturer": True})
    cdw = org.create_company(actor, {"name": "CDW", "is_supplier": True})
    region = org.create_location(actor, {"name": "EMEA", "kind": "region"})
    site = org.create_location(actor, {"name": "London", "kind": "site", "parent": region})
    laptops = services.create_category(actor, {"name": "Laptops", "kind": "laptop"})
    monitors = services.create_category(actor, {"name": "Monitors", "kind": "monitor"})
    models = [
        services.create_model(
            actor,
            {
                "name": f"Latitude {n}",
                "category": laptops,
                "manufacturer": dell,
                "default_warranty_months": 36,
                "eol_months": 48,
            },
        )
        for n in range(3)
    ] + [
        services.create_model(
            actor, {"name": "U2723QE", "category": monitors, "manufacturer": dell}
        )
    ]
    services.create_custom_field(
        actor, {"key": "ram_gb", "label": "RAM", "type": "integer", "categories": [laptops.pk]}
    )
    return {"actor": actor, "models": models, "site": site, "supplier": cdw}


def _csv(rows: int, prefix: str, cat: dict[str, Any]) -> bytes:
    names = [m.name for m in cat["models"]]
    header = (
        "asset_tag,model,serial_number,name,state,location,supplier,order_number,"
        "invoice_number,purchase_date,cost,currency,notes,attr.ram_gb\n"
    )
    lines = []
    for i in range(rows):
        model = names[i % len(names)]
        ram = "" if model == "U2723QE" else str(8 << (i % 3))
        lines.append(
            f"{prefix}{i:07d},{model},SN{prefix}{i:09d},Asset {i},in_stock,EMEA / London,CDW,"
            f"PO-{i // 100},INV-{i // 50},2024-0{1 + i % 9}-1{i % 9},{1000 + i % 500}.50,EUR,"
            f"bench row {i},{ram}\n"
        )
    return (header + "".join(lines)).encode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--baseline-rows", type=int, default=500)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    _setup()
    from django.db import connection

    from assetgraph.assets import services
    from assetgraph.assets.importers import AssetImporter
    from assetgraph.assets.models import Asset
    from assetgraph.audit.models import AuditEvent

    cat = _catalogue()
    actor = cat["actor"]
    data = _csv(args.rows, "B", cat)
    profiler = cProfile.Profile() if args.profile else None
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    report = AssetImporter(actor).run(io.BytesIO(data), "assets.csv", dry_run=False)
    if profiler:
        profiler.disable()
    bulk = time.perf_counter() - start
    assert report.ok, report.as_dict()["rows"][:3]
    assert report.applied
    assert Asset.objects.filter(asset_tag__startswith="B").count() == args.rows
    assert (
        AuditEvent.objects.filter(object_type="assets.asset", action="create").count() >= args.rows
    )

    models = cat["models"]
    start = time.perf_counter()
    for i in range(args.baseline_rows):
        model = models[i % len(models)]
        services.create_asset(
            actor,
            {
                "asset_tag": f"N{i:07d}",
                "model": model,
                "serial_number": f"SNN{i:09d}",
                "name": f"Asset {i}",
                "location": cat["site"],
                "supplier": cat["supplier"],
                "purchase_date": dt.date(2024, 1, 15),
                "cost": Decimal("1000.50"),
                "currency": "EUR",
                "attributes": {} if model.name == "U2723QE" else {"ram_gb": 16},
            },
        )
    naive = time.perf_counter() - start
    bulk_rate, naive_rate = args.rows / bulk, args.baseline_rows / naive
    database = connection.vendor
    version = (
        sqlite3.sqlite_version if database == "sqlite" else str(connection.pg_version)  # type: ignore[attr-defined]
    )
    print(
        f"machine: {os.cpu_count()} CPUs (nproc), Python {platform.python_version()}, "
        f"{database} {version}"
    )
    print()
    print("| benchmark | size | time | throughput | ratio |")
    print("|---|---|---|---|---|")
    print(
        f"| asset import, bulk `AssetImporter` | {args.rows:,} rows | {bulk:.2f} s | "
        f"{bulk_rate:,.0f} rows/s | {bulk_rate / naive_rate:.0f}x |"
    )
    print(
        f"| asset import, one `create_asset` per row (baseline) | {args.baseline_rows:,} rows | "
        f"{naive:.2f} s | {naive_rate:,.0f} rows/s | 1x |"
    )
    if profiler:
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(35)
        print(stream.getvalue(), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
