"""The compliance position at scale (issue 11 item 7), side by side with a naive
per-entitlement ORM loop in the same run.

The estate: devices (CIs), installations spread over products (each mapped to a licensable
product; one device in 200 holds a product twice, one in 100 is stale), entitlements (per
device, per installation, per named user, subscription, a few per core on servers), 100,000
allocated seats at full scale. Figures (wall time, and the process's CPU time: SQLite runs in
it, and the shared machine's load does not inflate it):

- the whole position (:func:`assetgraph.licences.evidence.compute`), ``--runs`` times, against
  a loop that asks the ORM, entitlement by entitlement, for its product's consumption (run on
  ``--baseline`` entitlements and projected to all of them), and against the previous grouped
  queries (``compute(reference=True)``, once; ``--no-previous`` skips it);
- one product's position, p50/p95/max over ``--samples`` products, against the loop over the
  product's entitlements;
- a page of the licence list (API, 50 rows, keyset cursor from a random licence) with the
  allocated seats: ours reads the maintained counter; the baseline loads the page's seat rows
  (Snipe-IT's way), p50/p95/max over ``--samples`` pages.

Full scale is the issue's: 100,000 devices, 2,000,000 installations, 5,000 products, 20,000
entitlements, 100,000 seats (built in about 5 minutes). ``--scale 0.05`` runs a twentieth of
it; ``--data DIR`` keeps the estate in DIR and reuses it on the next run.

Run: ``python benchmarks/licences/bench_position.py [--scale 1.0] [--data DIR] [--runs 3]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from functools import partial
from typing import Any


def _setup() -> None:
    os.environ.setdefault("ASSETGRAPH_DATA_DIR", tempfile.mkdtemp(prefix="agbench-licences-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "assetgraph.settings")
    os.environ.setdefault("ASSETGRAPH_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def _secondary_indexes(table: str) -> list[tuple[str, str]]:
    """The table's secondary indexes as (name, CREATE statement): dropped while the fixture
    rows are loaded and created again afterwards (as in benchmarks/stock), so the timed reads
    see exactly the indexes the migrations declare."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s"
                " AND sql IS NOT NULL",
                [table],
            )
        else:
            cursor.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s AND"
                " NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
                [table],
            )
        return [(name, sql) for name, sql in cursor.fetchall()]


def _load_installs(
    ci_ids: list[int], software: list[int], installs: int, server_products: int, rng: random.Random
) -> None:
    """``installs`` installations, raw ``executemany`` in committed batches of 50,000 with the
    secondary indexes dropped and rebuilt at the end (the ORM's ``bulk_create`` with live
    indexes is what kept the first version of this benchmark at 5 %).

    The last ``server_products`` products are server software (per core), installed on every
    50th device only; one device in 200 also carries a second version of one of its products
    (a duplicate installation: a reclaim candidate)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from assetgraph.cmdb.models import SoftwareInstall

    table = SoftwareInstall._meta.db_table
    columns = (
        "created", "updated", "ci_id", "product_id", "version", "source", "raw_publisher",
        "raw_name",
    )  # fmt: skip
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608 - fixed names
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    per_device = max(1, installs // len(ci_ids))
    desktop, server = software[:-server_products], software[-server_products:]
    indexes = _secondary_indexes(table)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA synchronous = OFF")
        for name, _create in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        batch: list[tuple[Any, ...]] = []
        for index, ci in enumerate(ci_ids):
            pool = server if index % 50 == 0 else desktop
            chosen = rng.sample(pool, min(per_device, len(pool)))
            for product in chosen:
                batch.append((now, now, ci, product, "1.0", "bench", "", ""))
            if index % 200 == 7:
                batch.append((now, now, ci, chosen[0], "2.0", "bench", "", ""))
            if len(batch) >= 50_000:
                with transaction.atomic():
                    cursor.executemany(sql, batch)
                batch.clear()
        if batch:
            with transaction.atomic():
                cursor.executemany(sql, batch)
        for _name, create in indexes:
            cursor.execute(create)
        if connection.vendor == "sqlite":
            cursor.execute(f"ANALYZE {table}")


def _build(scale: float, rng: random.Random) -> dict[str, int]:
    """Bulk-write the estate (benchmark fixtures: plain rows, no audit events)."""
    from django.utils import timezone

    from assetgraph.cmdb.models import CI, CIClass, SoftwareInstall, SoftwareProduct
    from assetgraph.licences.models import (
        Allocation,
        Entitlement,
        Product,
        ProductMapping,
        Publisher,
    )
    from assetgraph.org.models import Person

    devices = int(100_000 * scale)
    installs = int(2_000_000 * scale)
    products = max(50, int(5_000 * scale))
    entitlements = max(100, int(20_000 * scale))
    seats = int(100_000 * scale)
    people = max(seats // 5, 100)
    host = CIClass.objects.get(name="Computer System")
    seen, stale = timezone.now(), timezone.now() - dt.timedelta(days=200)
    CI.objects.bulk_create(
        [
            CI(
                name=f"dev-{n:07d}",
                ci_class=host,
                attributes={"cpu_count": 16, "cpu_sockets": 2} if n % 50 == 0 else {},
                # One device in a hundred has not been seen for 200 days (unused installs).
                last_seen=stale if n % 100 == 3 else seen,
            )
            for n in range(devices)
        ],
        batch_size=5000,
    )
    ci_ids = list(CI.objects.order_by("pk").values_list("pk", flat=True))
    publisher = Publisher.objects.create(name="Bench")
    SoftwareProduct.objects.bulk_create(
        [
            SoftwareProduct(publisher="Bench", name=f"App {n}", key=f"bench|app {n}")
            for n in range(products)
        ]
    )
    software = list(SoftwareProduct.objects.order_by("pk").values_list("pk", flat=True))
    Product.objects.bulk_create(
        [Product(publisher=publisher, name=f"App {n}") for n in range(products)]
    )
    licensable = list(Product.objects.order_by("pk").values_list("pk", flat=True))
    ProductMapping.objects.bulk_create(
        [
            ProductMapping(software_id=s, product_id=p)
            for s, p in zip(software, licensable, strict=True)
        ]
    )
    # The last 2 % of products are server software (per core), installed on servers only.
    server_products = max(1, products // 50)
    _load_installs(ci_ids, software, installs, server_products, rng)
    metrics = ["device"] * 6 + ["installation", "user", "subscription"]
    ents = []
    for n in range(entitlements):
        server_licence = n % 50 == 0
        metric = "core" if server_licence else metrics[n % len(metrics)]
        pool = licensable[-server_products:] if server_licence else licensable[:-server_products]
        ents.append(
            Entitlement(
                name=f"E{n}",
                product_id=pool[n % len(pool)],
                metric=metric,
                # Named-user licences (a ninth) hold the seats: room for 100,000 of them.
                quantity=rng.randint(10, 500)
                + (seats * 10 // entitlements if metric == "user" else 0),
                unit_cost=10,
                currency="EUR",
            )
        )
    Entitlement.objects.bulk_create(ents, batch_size=5000)
    Person.objects.bulk_create(
        [Person(employee_number=f"B{n}", first_name="P", last_name=str(n)) for n in range(people)],
        batch_size=5000,
    )
    person_ids = list(Person.objects.order_by("pk").values_list("pk", flat=True))
    user_ents = list(
        Entitlement.objects.filter(metric="user").order_by("pk").values_list("pk", "quantity")
    )
    allocations = []
    counts: dict[int, int] = {}
    offset = 0
    for n in range(seats):
        ent, quantity = user_ents[n % len(user_ents)]
        if counts.get(ent, 0) >= quantity:
            continue
        counts[ent] = counts.get(ent, 0) + 1
        allocations.append(
            Allocation(entitlement_id=ent, person_id=person_ids[(n + offset) % len(person_ids)])
        )
        if n % len(user_ents) == len(user_ents) - 1:
            offset += 1
    Allocation.objects.bulk_create(allocations, batch_size=5000)
    for ent, count in counts.items():
        Entitlement.objects.filter(pk=ent).update(allocated=count)
    from django.db import connection

    if connection.vendor == "postgresql":
        # Fresh statistics, as autovacuum gathers shortly after a bulk load (without them
        # PostgreSQL plans one product's queries as scans of the 2,000,000 installations).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {
        "devices": devices,
        "installs": SoftwareInstall.objects.count(),
        "products": products,
        "entitlements": entitlements,
        "seats": len(allocations),
    }


def _naive_consumption(entitlement: Any) -> int:
    """The baseline: the ORM asked, per entitlement, for its product's consumption."""
    from assetgraph.cmdb.models import SoftwareInstall
    from assetgraph.licences.models import Allocation

    installs = SoftwareInstall.objects.filter(
        product__licence_mapping__product_id=entitlement.product_id, ci__valid_to__isnull=True
    )
    if entitlement.metric == "installation":
        return installs.count()
    if entitlement.metric in ("user", "subscription"):
        return (
            Allocation.objects.filter(
                entitlement__product_id=entitlement.product_id, reclaimed_at__isnull=True
            )
            .values("person")
            .distinct()
            .count()
        )
    if entitlement.metric == "core":
        return sum(
            int((ci.attributes or {}).get("cpu_count", 0))
            for ci in [i.ci for i in installs.select_related("ci")]
        )
    return installs.values("ci").distinct().count()


def _naive_product(product_id: int) -> None:
    """The baseline for one product: the loop over its entitlements."""
    from assetgraph.licences.models import Entitlement

    for entitlement in Entitlement.objects.filter(product_id=product_id):
        _naive_consumption(entitlement)


def _page(client: Any, cursor: str) -> None:
    """One page of the licence list through the API (what the list screen reads): the list
    pages by keyset cursor (``ORDER BY name, id``), here from a random licence onwards."""
    response = client.get(f"/api/licences/entitlements/?limit=50&cursor={cursor}")
    assert response.status_code == 200, response.content[:200]
    assert len(response.json()["results"]) > 0


def _naive_page(offset: int) -> None:
    """The baseline page: the page's licences (``OFFSET``) and, for each, its seat rows
    loaded (Snipe-IT's way)."""
    from assetgraph.licences.models import Allocation, Entitlement

    rows = list(Entitlement.objects.order_by("name", "id")[offset : offset + 50])
    for entitlement in rows:
        len(list(Allocation.objects.filter(entitlement=entitlement, reclaimed_at__isnull=True)))


def _stats(samples: list[float]) -> tuple[float, float, float]:
    """p50, p95 and max, in milliseconds."""
    ordered = sorted(samples)
    p95 = (
        statistics.quantiles(ordered, n=20, method="inclusive")[-1]
        if len(ordered) >= 2
        else ordered[0]
    )
    return statistics.median(ordered) * 1000, p95 * 1000, ordered[-1] * 1000


def _timed(call: Any) -> tuple[float, float]:
    """Wall and CPU seconds of one call (CPU: this process, SQLite included — the part of
    the wall time that the machine's other load does not inflate)."""
    wall, cpu = time.perf_counter(), time.process_time()
    call()
    return time.perf_counter() - wall, time.process_time() - cpu


def _fmt(stats: tuple[float, float, float]) -> str:
    return f"{stats[0]:.0f} / {stats[1]:.0f} / {stats[2]:.0f} ms"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument(
        "--baseline", type=int, default=200, help="entitlements in the naive sample"
    )
    parser.add_argument("--runs", type=int, default=3, help="runs of the whole position")
    parser.add_argument("--samples", type=int, default=30, help="products and pages timed")
    parser.add_argument(
        "--no-previous",
        action="store_true",
        help="skip the whole position with the previous (reference) queries",
    )
    parser.add_argument(
        "--data",
        help="a data directory kept between runs: the estate is built once, then reused",
    )
    args = parser.parse_args()
    if args.data:
        os.makedirs(args.data, exist_ok=True)
        os.environ["ASSETGRAPH_DATA_DIR"] = args.data
    _setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from assetgraph.accounts import services as accounts
    from assetgraph.api.pagination import _encode
    from assetgraph.core.actor import Actor
    from assetgraph.licences.evidence import compute
    from assetgraph.licences.models import Entitlement, Product

    load_start = os.getloadavg()
    rng = random.Random(11)
    marker = os.path.join(args.data or "", f"built-{args.scale}.json")
    started = time.perf_counter()
    if args.data and os.path.exists(marker):
        with open(marker) as handle:
            sizes = json.load(handle)
    else:
        sizes = _build(args.scale, rng)
        if args.data:
            with open(marker, "w") as handle:
                json.dump(sizes, handle)
    built = time.perf_counter() - started

    rows = len(compute(Entitlement.objects.all()).rows)
    whole = [_timed(lambda: compute(Entitlement.objects.all())) for _ in range(args.runs)]
    previous = (
        None
        if args.no_previous
        else _timed(lambda: compute(Entitlement.objects.all(), reference=True))
    )

    sample = list(Entitlement.objects.order_by("?")[: args.baseline])

    def naive_sample() -> None:
        for entitlement in sample:
            _naive_consumption(entitlement)

    naive_wall, naive_cpu = _timed(naive_sample)
    scale_up = sizes["entitlements"] / max(1, len(sample))

    product_ids = list(Product.objects.order_by("?").values_list("pk", flat=True)[: args.samples])
    ours_product, naive_product, ours_product_cpu = [], [], []
    for product_id in product_ids:
        wall, cpu = _timed(partial(compute, Entitlement.objects.all(), product_ids={product_id}))
        ours_product.append(wall)
        ours_product_cpu.append(cpu)

        naive_product.append(_timed(partial(_naive_product, product_id))[0])

    user = get_user_model().objects.filter(username="bench").first() or accounts.create_user(
        Actor.system("bench"), username="bench", password="bench-Pass-123", is_superuser=True
    )
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(user)
    total = sizes["entitlements"]
    client.get("/api/licences/entitlements/?limit=50")  # warm-up: routers, schemas
    ordered = list(Entitlement.objects.order_by("name", "id").values_list("name", "pk"))
    ours_page, naive_page, ours_page_cpu = [], [], []
    for _ in range(args.samples):
        offset = rng.randrange(0, max(1, total - 50))
        cursor = _encode(list(ordered[offset]), "name")
        wall, cpu = _timed(partial(_page, client, cursor))
        ours_page.append(wall)
        ours_page_cpu.append(cpu)
        naive_page.append(_timed(partial(_naive_page, offset))[0])

    print(
        f"licences position benchmark — {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, "
        f"{platform.node()} {platform.machine()} ({os.cpu_count()} CPUs), Python "
        f"{sys.version.split()[0]}, database {os.environ.get('ASSETGRAPH_DATABASE_URL', 'sqlite')}"
    )
    print(f"scale {args.scale}: {sizes} (built in {built:.1f} s); position rows {rows}")
    load_end = os.getloadavg()
    print(f"load average (1, 5, 15 min): start {load_start}, end {load_end}")
    print()
    walls = sorted(w for w, _ in whole)
    cpus = sorted(c for _, c in whole)
    print("| figure | ours | naive per-entitlement ORM loop | ratio (wall) |")
    print("|---|---|---|---|")
    naive_whole = naive_wall * scale_up
    print(
        f"| whole position ({args.runs} runs: best / median / worst wall; CPU) | "
        f"{walls[0]:.1f} / {statistics.median(walls):.1f} / {walls[-1]:.1f} s; CPU "
        f"{cpus[0]:.1f}-{cpus[-1]:.1f} s | {naive_whole:.0f} s wall, CPU "
        f"{naive_cpu * scale_up:.0f} s (projected from {len(sample)} entitlements) | "
        f"{naive_whole / statistics.median(walls):.0f}x |"
    )
    if previous is not None:
        print(
            f"| whole position, previous queries (`compute(reference=True)`), 1 run | "
            f"{previous[0]:.1f} s wall; CPU {previous[1]:.1f} s | | "
            f"{previous[0] / statistics.median(walls):.1f}x slower than ours |"
        )
    ours_p, naive_p = _stats(ours_product), _stats(naive_product)
    cpu_p = _stats(ours_product_cpu)
    print(
        f"| one product's position, p50 / p95 / max ({len(product_ids)} products) | "
        f"{_fmt(ours_p)} (CPU p95 {cpu_p[1]:.0f} ms) | {_fmt(naive_p)} | "
        f"{naive_p[1] / ours_p[1]:.1f}x (p95) |"
    )
    ours_l, naive_l = _stats(ours_page), _stats(naive_page)
    print(
        f"| licence list page (50 rows with seats), p50 / p95 / max ({args.samples} pages) | "
        f"{_fmt(ours_l)} (CPU p95 {_stats(ours_page_cpu)[1]:.0f} ms) | {_fmt(naive_l)} "
        "(seat rows loaded) | "
        f"{naive_l[1] / ours_l[1]:.1f}x (p95) |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
