"""Impact through the database: the adapter and the API on a 1M-CI estate, side by side with SQL.

1. Cold ``build_estate_graph()`` from the CMDB tables (target ≤ 8 s at 1M CIs / ~4.5M rels).
2. Incremental refresh of the cached graph after one relationship added through the service
   (target ≤ 50 ms; the service call itself is reported separately).
3. ``GET /api/impact/`` for a summarised result (Django test client, bearer token, limit=20),
   p95 over the samples (target ≤ 100 ms), against the same question — which CIs a failure
   reaches, counted per class — as a recursive CTE on the same database (the baseline; it
   ignores redundancy, so it does strictly less work than the engine).

The estate comes from the seeded generator of the engine benchmark
(``benchmarks/graph/generate.py``); rows are written with raw ``executemany`` (the import
path is the CMDB benchmark's subject). Run: ``python benchmarks/impact/bench_adapter.py
[--cis N] [--samples K]`` (a throw-away SQLite database, or ``ASSETGRAPH_DATABASE_URL``).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "graph"))

from generate import TYPES, generate_estate

BATCH = 20_000
# generator layer -> CMDB class (services and applications are what impact summarises)
LAYER_CLASSES = {
    "business_service": "Business Service",
    "application": "Application",
    "component": "Application Component",
    "vm": "Virtual Machine",
    "hypervisor": "Hypervisor",
    "server": "Server",
    "storage": "Storage Array",
    "farm": "Cluster/Farm",
    "lb_pool": "Cluster/Farm",
    "power_group": "Cluster/Farm",
    "uplink_group": "Cluster/Farm",
    "core_group": "Cluster/Farm",
    "dns_service": "Application",
    "ldap_service": "Application",
    "tor_switch": "Switch",
    "core_switch": "Switch",
    "rack": "Rack",
}
DIRECTIONS = {1: "forward", -1: "reverse", 0: "none"}
KINDS = {0: "disabled", 1: "count", 2: "percent"}


def _setup() -> None:
    os.environ.setdefault("ASSETGRAPH_DATA_DIR", tempfile.mkdtemp(prefix="agbench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "assetgraph.settings")
    os.environ.setdefault("ASSETGRAPH_ALLOWED_HOSTS", "testserver,localhost")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _p95(samples: list[float]) -> float:
    return float(np.percentile(np.array(samples), 95))


def _chunks(n: int) -> Iterator[range]:
    for start in range(0, n, BATCH):
        yield range(start, min(start + BATCH, n))


def load(n_cis: int) -> tuple[Any, dict[int, int]]:
    """Write the generated estate with raw ``executemany``; returns it and type index → pk."""
    from django.db import connection, transaction
    from django.utils import timezone

    from assetgraph.cmdb.models import CI, CIClass, Relationship, RelationshipType

    estate = generate_estate(n_cis, seed=42)
    classes = dict(CIClass.objects.values_list("name", "pk"))
    default_class = classes["Computer System"]
    class_of = np.full(estate.n_nodes, default_class, dtype=np.int64)
    for layer, name in LAYER_CLASSES.items():
        if layer in estate.layers:
            class_of[estate.layers[layer]] = classes[name]
    types = {}
    for index, (name, direction, membership) in enumerate(TYPES):
        rel_type, _ = RelationshipType.objects.get_or_create(
            name=f"bench {name}",
            defaults={
                "reverse_name": f"bench {name} (reverse)",
                "impact_direction": DIRECTIONS[direction],
                "is_membership": membership,
            },
        )
        types[index] = rel_type.pk
    now = timezone.now() - dt.timedelta(days=30)
    stamp = connection.ops.adapt_datetimefield_value(now)
    ci_table, rel_table = CI._meta.db_table, Relationship._meta.db_table
    ci_cols = [
        "id",
        "name",
        "ci_class_id",
        "operational_status",
        "environment",
        "criticality",
        "description",
        "attributes",
        "source",
        "redundancy_mode",
        "redundancy_value",
        "valid_from",
        "created",
        "updated",
    ]
    rel_cols = [
        "source_id",
        "target_id",
        "type_id",
        "description",
        "valid_from",
        "created",
        "updated",
    ]
    ci_sql, rel_sql = _insert(ci_table, ci_cols), _insert(rel_table, rel_cols)
    kind, value = estate.redundancy_kind, estate.redundancy_value
    with transaction.atomic(), connection.cursor() as cursor, _without_indexes(cursor):
        for chunk in _chunks(estate.n_nodes):
            cursor.executemany(
                ci_sql,
                [
                    (
                        i + 1,
                        f"ci-{i + 1:07d}",
                        int(class_of[i]),
                        "live",
                        "production",
                        3,
                        "",
                        "{}",
                        "bench",
                        KINDS[int(kind[i])],
                        int(value[i]) if kind[i] else None,
                        stamp,
                        stamp,
                        stamp,
                    )
                    for i in chunk
                ],
            )
        src, dst, typ = estate.rel_src, estate.rel_dst, estate.rel_type
        # the CMDB refuses duplicate current relationships and self-links; so does the load
        key = (src.astype(np.int64) * estate.n_nodes + dst) * len(TYPES) + typ
        _, first = np.unique(key, return_index=True)
        keep = np.sort(first[src[first] != dst[first]])
        for chunk in _chunks(keep.size):
            rows = keep[chunk.start : chunk.stop]
            cursor.executemany(
                rel_sql,
                [
                    (int(src[r]) + 1, int(dst[r]) + 1, types[int(typ[r])], "", stamp, stamp, stamp)
                    for r in rows
                ],
            )
    return estate, types


@contextlib.contextmanager
def _without_indexes(cursor: Any) -> Iterator[None]:
    """On SQLite, drop the CMDB tables' secondary indexes for the load and rebuild them after.

    Why: inserting 4.5M rows into six B-trees at random positions thrashes SQLite's page cache
    (hours); building each index once from sorted data takes seconds. PostgreSQL keeps them.
    """
    from django.db import connection

    if connection.vendor != "sqlite":
        yield
        cursor.execute("ANALYZE")  # as autovacuum would, soon after a bulk load
        return
    cursor.execute("PRAGMA cache_size = -262144")  # 256 MB for the index builds
    cursor.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        " AND tbl_name IN ('cmdb_ci', 'cmdb_relationship')"
    )
    indexes = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    yield
    for _, sql in indexes:
        cursor.execute(sql)
    cursor.execute("ANALYZE")


def _insert(table: str, columns: list[str]) -> str:
    """A parameterised INSERT; table and column names are this module's constants."""
    marks = ", ".join(["%s"] * len(columns))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608


def _bench_types() -> dict[int, int]:
    """Type index → pk of the relationship types an earlier load created."""
    from assetgraph.cmdb.models import RelationshipType

    return {
        index: RelationshipType.objects.get(name=f"bench {name}").pk
        for index, (name, _, _) in enumerate(TYPES)
    }


def cte_count(ci_pk: int) -> int:
    """The baseline: reachability along impact edges with a recursive CTE, counted per class."""
    from django.db import connection

    sql = CTE_POSTGRESQL if connection.vendor == "postgresql" else CTE_SQLITE
    with connection.cursor() as cursor:
        cursor.execute(sql, [ci_pk, ci_pk])
        return sum(n for _, n in cursor.fetchall())


# SQLite allows two recursive terms; PostgreSQL wants one reference to the CTE, hence LATERAL.
CTE_SQLITE = """
    WITH RECURSIVE hit(id) AS (
        SELECT %s
        UNION
        SELECT r.source_id FROM hit
          JOIN cmdb_relationship r ON r.target_id = hit.id AND r.valid_to IS NULL
          JOIN cmdb_relationshiptype t ON t.id = r.type_id AND t.impact_direction = 'reverse'
        UNION
        SELECT r.target_id FROM hit
          JOIN cmdb_relationship r ON r.source_id = hit.id AND r.valid_to IS NULL
          JOIN cmdb_relationshiptype t ON t.id = r.type_id AND t.impact_direction = 'forward'
    )
    SELECT c.ci_class_id, COUNT(*) FROM hit JOIN cmdb_ci c ON c.id = hit.id
    WHERE hit.id <> %s GROUP BY c.ci_class_id
    """
CTE_POSTGRESQL = """
    WITH RECURSIVE hit(id) AS (
        SELECT CAST(%s AS bigint)
        UNION
        SELECT nb.id FROM hit CROSS JOIN LATERAL (
            SELECT r.source_id AS id FROM cmdb_relationship r
              JOIN cmdb_relationshiptype t
                ON t.id = r.type_id AND t.impact_direction = 'reverse'
             WHERE r.target_id = hit.id AND r.valid_to IS NULL
            UNION ALL
            SELECT r.target_id FROM cmdb_relationship r
              JOIN cmdb_relationshiptype t
                ON t.id = r.type_id AND t.impact_direction = 'forward'
             WHERE r.source_id = hit.id AND r.valid_to IS NULL
        ) nb
    )
    SELECT c.ci_class_id, COUNT(*) FROM hit JOIN cmdb_ci c ON c.id = hit.id
    WHERE hit.id <> %s GROUP BY c.ci_class_id
    """


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cis", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep an estate already loaded in the database (same --cis) instead of loading",
    )
    args, _ = parser.parse_known_args()  # run.py passes every script the same extras
    _setup()
    from django.db import connection

    from assetgraph.cmdb.models import CI, RelationshipType

    t0 = time.perf_counter()
    if args.reuse and CI.objects.exists():
        estate, types = generate_estate(args.cis, seed=42), _bench_types()
    else:
        estate, types = load(args.cis)
    load_s = time.perf_counter() - t0
    n_rels = int(
        connection.cursor().execute("SELECT COUNT(*) FROM cmdb_relationship").fetchone()[0]
    )
    print(f"loaded {estate.n_nodes:,} CIs / {n_rels:,} relationships in {load_s:.1f} s", flush=True)

    measure(
        f"estate: {estate.n_nodes:,} CIs, {n_rels:,} relationships, {connection.vendor}",
        components=estate.layers["component"] + 1,
        vms=estate.layers["vm"] + 1,
        runs_on=RelationshipType.objects.get(pk=types[2]),
        cases=[("VM", estate.layers["vm"] + 1), ("storage array", estate.layers["storage"] + 1)],
        samples=args.samples,
    )
    return 0


def measure(
    title: str,
    *,
    components: Any,
    vms: Any,
    runs_on: Any,
    cases: list[tuple[str, Any]],
    samples: int,
) -> None:
    """Measure the adapter and the impact API on the loaded estate and print the table.

    ``components``/``vms``: CI pks to relate with ``runs_on`` for the incremental refresh;
    ``cases``: (label, CI pks) pools to sample impact requests from. Shared with the CMDB
    benchmark, which loads its estate through the import path.
    """
    from django.test import Client

    from assetgraph.accounts.models import User
    from assetgraph.accounts.services import create_api_token, create_user
    from assetgraph.cmdb import services
    from assetgraph.cmdb.models import CI
    from assetgraph.core.actor import Actor
    from assetgraph.core.errors import Conflict
    from assetgraph.impact import estate as adapter
    from assetgraph.impact.catalogue import catalogue

    builds = [_timed(adapter.build_estate_graph) for _ in range(2)]
    cold = min(builds)
    adapter.clear_cache()
    adapter.estate_graph()
    catalogue_s = _timed(catalogue)

    actor = Actor.system("bench")
    rng = np.random.default_rng(7)
    service_s, refresh_s = [], []
    while len(refresh_s) < 5:
        a, b = int(rng.choice(components)), int(rng.choice(vms))
        try:
            service_s.append(
                _timed(
                    lambda a=a, b=b: services.add_relationship(
                        actor,
                        {
                            "source": CI.objects.get(pk=a),
                            "target": CI.objects.get(pk=b),
                            "type": runs_on,
                        },
                    )
                )
            )
        except Conflict:  # already related (a reused database): pick another pair
            continue
        refresh_s.append(_timed(adapter.estate_graph))
    assert adapter.cache_stats()["refreshes"] >= 5

    user = User.objects.filter(username="bench").first() or create_user(
        actor, username="bench", password="bench-Password-1", roles=["Read-only"]
    )
    token = create_api_token(actor, user, name="bench", write_enabled=False).plaintext
    client = Client(SERVER_NAME="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}")
    rows = []
    for label, pool in cases:
        picks = [int(p) for p in rng.choice(pool, size=samples)]
        client.get("/api/impact/", {"ci": picks[0], "limit": 20})  # warm
        api_s, sizes, cte_s = [], [], []
        for pk in picks:
            start = time.perf_counter()
            response = client.get("/api/impact/", {"ci": pk, "limit": 20})
            api_s.append(time.perf_counter() - start)
            assert response.status_code == 200, response.content[:300]
            sizes.append(response.json()["summary"]["affected"])
        for pk in picks[: max(3, samples // 5)]:
            start = time.perf_counter()
            cte_count(pk)
            cte_s.append(time.perf_counter() - start)
        rows.append((label, statistics.median(sizes), api_s, cte_s))

    print()
    print(title)
    print()
    print("| measure | result | target | baseline | ratio |")
    print("|---|---|---|---|---|")
    print(f"| cold `build_estate_graph()` | {cold:.2f} s | ≤ 8 s | | |")
    print(f"| lookup columns (class, teams, asset) first read | {catalogue_s:.2f} s | | | |")
    print(
        f"| incremental refresh after `add_relationship` | p95 {_p95(refresh_s) * 1000:.1f} ms"
        f" | ≤ 50 ms | full rebuild {cold * 1000:.0f} ms | {cold / _p95(refresh_s):.0f}x |"
    )
    print(f"| `add_relationship` service call | p95 {_p95(service_s) * 1000:.1f} ms | | | |")
    for label, size, api_s, cte_s in rows:
        p95, cte = _p95(api_s), statistics.median(cte_s)
        print(
            f"| `GET /api/impact/` one {label} (median {size:,.0f} affected)"
            f" | p95 {p95 * 1000:.1f} ms | ≤ 100 ms"
            f" | recursive CTE median {cte * 1000:.1f} ms | {cte / p95:.2f}x |"
        )


if __name__ == "__main__":
    raise SystemExit(main())
