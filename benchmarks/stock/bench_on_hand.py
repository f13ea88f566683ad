"""Stock on hand (issue 20 item 8): the maintained balance table against a plain ``SUM`` over
the ledger, side by side in the same run, on the same data.

The estate is ``--locations`` storerooms x ``--items`` stock items with a ``--lines`` ledger
(receipts into random storerooms, then issues, transfers and write-offs out of them, like a
real history). The balance table is built from the ledger in one ``INSERT … SELECT`` and
checked against it with :func:`assetgraph.stock.querysets.check_balances` before timing.

Three reads, each ``--samples`` times at random, reported as p50/p95 in milliseconds:

* **pair**: stock of one item at one storeroom (``on_hand`` vs ``ledger_on_hand``);
* **storeroom**: every item's stock at one storeroom (the storeroom page);
* **item**: one item's stock at every storeroom (where to take it from).

Target: <= 200 ms p95 at 1,000 locations x 5,000 items x 5,000,000 lines (``--scale full``).

Run: ``python benchmarks/stock/bench_on_hand.py [--scale small|full] [--locations N]
[--items N] [--lines N] [--samples N]`` (a throw-away SQLite database unless
``ASSETGRAPH_DATABASE_URL`` is set).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

SCALES = {"small": (200, 1000, 500_000), "full": (1000, 5000, 5_000_000)}


def _setup() -> None:
    os.environ.setdefault("ASSETGRAPH_DATA_DIR", tempfile.mkdtemp(prefix="agbench-stock-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "assetgraph.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def _estate(locations: int, items: int) -> tuple[list[int], list[int]]:
    """Locations (declared storerooms) and stock items, written in bulk (a benchmark fixture,
    not a domain write: no audit events)."""
    from django.utils import timezone

    from assetgraph.assets.models import AssetModel, Category
    from assetgraph.org.models import Company, Location
    from assetgraph.stock.models import StockItem, Storeroom

    maker = Company.objects.create(name="Bench Maker", is_manufacturer=True)
    category = Category.objects.create(name="Bench accessories", kind="peripheral")
    model = AssetModel.objects.create(name="Bench model", category=category, manufacturer=maker)
    region = Location.objects.create(name="Bench", kind="region", path="Bench")
    now = timezone.now()
    rooms = Location.objects.bulk_create(
        [
            Location(
                name=f"Store {n:05d}", kind="site", parent=region, path=f"Bench / Store {n:05d}"
            )
            for n in range(locations)
        ],
        batch_size=2000,
    )
    Storeroom.objects.bulk_create(
        [Storeroom(location=room, name=f"Store {n:05d}") for n, room in enumerate(rooms)],
        batch_size=2000,
    )
    made = StockItem.objects.bulk_create(
        [
            StockItem(
                name=f"Item {n:06d}", kind="accessory", model=model, min_quantity=n % 7,
                created=now, updated=now,
            )
            for n in range(items)
        ],
        batch_size=2000,
    )  # fmt: skip
    return [r.pk for r in rooms], [i.pk for i in made]


def _secondary_indexes(table: str) -> list[tuple[str, str]]:
    """The table's secondary indexes as (name, CREATE statement): dropped while the fixture
    ledger is loaded and created again afterwards, so the timed reads see exactly the indexes
    the migrations declare, but the load does not maintain five B-trees row by row."""
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


def _ledger(lines: int, rooms: list[int], items: list[int], rng: random.Random) -> None:
    """``lines`` ledger lines: half receipts of 20-60 into a storeroom, the rest issues of 1-3
    (to the outside, as if to people), transfers and write-offs of what is there.

    Loaded in committed batches with the secondary indexes dropped and rebuilt at the end: the
    single-transaction insert with live indexes did not finish 5,000,000 lines in 18 minutes."""
    from django.db import connection, transaction
    from django.utils import timezone

    from assetgraph.stock.models import StockMovement

    table = StockMovement._meta.db_table
    columns = (
        "item_id", "quantity", "reason", "from_location_id", "to_location_id", "unit_cost",
        "currency", "reference", "note", "occurred_at", "recorded_by",
    )  # fmt: skip
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608 - fixed names
    stocked: list[tuple[int, int]] = []
    held: dict[tuple[int, int], int] = {}
    start = timezone.now() - dt.timedelta(days=400)
    batch: list[tuple[Any, ...]] = []
    indexes = _secondary_indexes(table)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA synchronous = OFF")
        for name, _sql in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    with connection.cursor() as cursor:
        for n in range(lines):
            when = connection.ops.adapt_datetimefield_value(start + dt.timedelta(seconds=n * 6))
            if n % 2 == 0 or not stocked:
                pair = (rng.choice(items), rng.choice(rooms))
                qty = rng.randint(20, 60)
                if pair not in held:
                    stocked.append(pair)
                held[pair] = held.get(pair, 0) + qty
                row = (pair[0], qty, "received", None, pair[1], None, "", "PO", "", when, "b")
            else:
                item, room = stocked[rng.randrange(len(stocked))]
                qty = min(held[(item, room)], rng.randint(1, 3))
                if qty == 0:
                    qty, kind, target = 1, "received", room
                    held[(item, room)] += 1
                    row = (item, qty, kind, None, target, None, "", "", "", when, "b")
                elif n % 10 == 1:
                    other = rng.choice(rooms)
                    if other == room:
                        other = rooms[(rooms.index(room) + 1) % len(rooms)]
                    held[(item, room)] -= qty
                    if (item, other) not in held:
                        stocked.append((item, other))
                    held[(item, other)] = held.get((item, other), 0) + qty
                    row = (item, qty, "transferred", room, other, None, "", "", "", when, "b")
                else:
                    held[(item, room)] -= qty
                    reason = "written_off" if n % 25 == 3 else "issued"
                    row = (item, qty, reason, room, None, None, "", "", "", when, "b")
            batch.append(row)
            if len(batch) >= 50_000:
                with transaction.atomic():
                    cursor.executemany(sql, batch)
                batch.clear()
        if batch:
            with transaction.atomic():
                cursor.executemany(sql, batch)
        for _name, create in indexes:
            cursor.execute(create)


def _build_balances() -> None:
    """The balance table from the ledger in one statement (what a rebuild would do)."""
    from django.db import connection

    from assetgraph.stock.models import StockBalance, StockMovement

    ledger, balances = StockMovement._meta.db_table, StockBalance._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {balances} (item_id, location_id, on_hand) "  # noqa: S608 - fixed names
            f"SELECT item_id, location_id, SUM(q) FROM ("
            f" SELECT item_id, to_location_id AS location_id, quantity AS q FROM {ledger}"
            f"  WHERE to_location_id IS NOT NULL"
            f" UNION ALL SELECT item_id, from_location_id, -quantity FROM {ledger}"
            f"  WHERE from_location_id IS NOT NULL) AS lines GROUP BY item_id, location_id"
        )
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {ledger}; ANALYZE {balances}")
        else:
            cursor.execute("ANALYZE")


def _timed(samples: int, read: Callable[[], Any]) -> tuple[float, float]:
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        read()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--locations", type=int)
    parser.add_argument("--items", type=int)
    parser.add_argument("--lines", type=int)
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    locations, items, lines = SCALES[args.scale]
    locations, items, lines = args.locations or locations, args.items or items, args.lines or lines
    _setup()
    from django.db import connection
    from django.db.models import Q, Sum

    from assetgraph.stock.models import StockBalance, StockMovement
    from assetgraph.stock.querysets import check_balances, ledger_on_hand, on_hand

    rng = random.Random(20)
    started = time.perf_counter()
    rooms, item_ids = _estate(locations, items)
    _ledger(lines, rooms, item_ids, rng)
    _build_balances()
    built = time.perf_counter() - started
    start = time.perf_counter()
    problems = check_balances()
    checked = time.perf_counter() - start
    assert not problems, problems[:5]
    pairs = list(
        StockBalance.objects.filter(location__isnull=False).values_list("item_id", "location_id")
    )
    sample_pairs = [rng.choice(pairs) for _ in range(args.samples)]
    sample_rooms = [rng.choice(rooms) for _ in range(args.samples)]
    sample_items = [rng.choice(item_ids) for _ in range(args.samples)]
    pick = iter(range(10**9))

    def balance_pair() -> int:
        item, room = sample_pairs[next(pick) % len(sample_pairs)]
        return on_hand(item, room)

    def ledger_pair() -> int:
        item, room = sample_pairs[next(pick) % len(sample_pairs)]
        return ledger_on_hand(item, room)

    def balance_room_totals(room: int) -> dict[int, int]:
        rows = StockBalance.objects.filter(location_id=room).values_list("item_id", "on_hand")
        return dict(rows)

    def ledger_room_totals(room: int) -> dict[int, int]:
        lines_ = StockMovement.objects.filter(Q(to_location_id=room) | Q(from_location_id=room))
        rows = (
            lines_.values_list("item_id")
            .annotate(i=Sum("quantity", filter=Q(to_location_id=room)))
            .annotate(o=Sum("quantity", filter=Q(from_location_id=room)))
            .order_by()
        )
        return {item: (into or 0) - (out or 0) for item, into, out in rows}

    def balance_room() -> dict[int, int]:
        return balance_room_totals(sample_rooms[next(pick) % len(sample_rooms)])

    def ledger_room() -> dict[int, int]:
        return ledger_room_totals(sample_rooms[next(pick) % len(sample_rooms)])

    def balance_item() -> list[Any]:
        item = sample_items[next(pick) % len(sample_items)]
        return list(
            StockBalance.objects.filter(item_id=item, location__isnull=False).values_list(
                "location_id", "on_hand"
            )
        )

    def ledger_item() -> dict[int, int]:
        item = sample_items[next(pick) % len(sample_items)]
        totals: dict[int, int] = {}
        lines_ = StockMovement.objects.filter(item_id=item)
        for loc, n in (
            lines_.filter(to_location__isnull=False)
            .values_list("to_location_id")
            .annotate(n=Sum("quantity"))
            .order_by()
        ):
            totals[loc] = totals.get(loc, 0) + n
        for loc, n in (
            lines_.filter(from_location__isnull=False)
            .values_list("from_location_id")
            .annotate(n=Sum("quantity"))
            .order_by()
        ):
            totals[loc] = totals.get(loc, 0) - n
        return totals

    # the two answers agree before anything is timed
    for room in rooms[:3]:
        assert balance_room_totals(room) == ledger_room_totals(room), room
    results = []
    for name, fast, slow in (
        ("pair (one item at one storeroom)", balance_pair, ledger_pair),
        ("storeroom (every item at one storeroom)", balance_room, ledger_room),
        ("item (one item at every storeroom)", balance_item, ledger_item),
    ):
        fast50, fast95 = _timed(args.samples, fast)
        slow50, slow95 = _timed(args.samples, slow)
        results.append((name, fast50, fast95, slow50, slow95))
    print(
        f"\n{connection.vendor}, {locations:,} storerooms x {items:,} items, "
        f"{StockMovement.objects.count():,} ledger lines, {len(pairs):,} balances; "
        f"set-up {built:.0f} s, balance check {checked:.1f} s; "
        f"Python {platform.python_version()}, {args.samples} samples each\n"
    )
    print("| read | balance p50 | balance p95 | ledger SUM p50 | ledger SUM p95 | p95 ratio |")
    print("|---|---|---|---|---|---|")
    for name, f50, f95, s50, s95 in results:
        print(
            f"| {name} | {f50:.2f} ms | {f95:.2f} ms | {s50:.2f} ms | {s95:.2f} ms | "
            f"{s95 / f95:.0f}x |"
        )
    worst = max(r[2] for r in results)
    print(f"\nworst balance-table p95: {worst:.2f} ms (target <= 200 ms)")
    return 0 if worst <= 200 else 1


if __name__ == "__main__":
    sys.exit(main())
