"""Impact through the database: the adapter and the API on a 1M-CI estate, side by side with SQL.

1. Cold ``build_estate_graph()`` from the CMDB tables (target ≤ 8 s at 1M CIs / ~4.5M rels).
2. Incremental refresh of the cached graph after one relationship added through the service
   (target ≤ 50 ms; the service call itself is reported separately).
3. ``GET /api/impact/`` for a summarised result (Django test client, bearer token, limit=20)
   on three start sets measured separately — uniform random CIs, infrastructure CIs
   (hypervisors, storage arrays, switches, shared services in equal numbers) and storage
   arrays alone (target p95 ≤ 60 ms at 1M CIs) — p50/p95/max over ``--samples`` (≥ 50)
   requests, by default with a second CPU-bound process running (``--busy 0`` to switch it
   off), against the same question — which CIs a failure reaches, counted per class — as a
   recursive CTE on the same database over ``--cte-samples`` (≥ 30) of the same starts (the
   baseline; it ignores redundancy, so it does strictly less work than the engine).
4. ``--workers K``: K fresh worker processes started side by side on the loaded database map
   the shared graph snapshot; each reports the time to its first impact answer and its
   private (unshared) resident memory beyond what it held before touching the graph.

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
    # the test client below sends SERVER_NAME 127.0.0.1: it must be an allowed host even when
    # the caller's environment names others
    hosts = os.environ.get("ASSETGRAPH_ALLOWED_HOSTS", "testserver,localhost")
    os.environ["ASSETGRAPH_ALLOWED_HOSTS"] = ",".join(
        dict.fromkeys([*hosts.split(","), "127.0.0.1", "localhost", "testserver"])
    )
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


def _pct(samples: list[float]) -> tuple[float, float, float]:
    """p50, p95, max in ms."""
    a = np.array(samples) * 1000
    return float(np.percentile(a, 50)), float(np.percentile(a, 95)), float(a.max())


def _load() -> str:
    return f"{os.getloadavg()[0]:.2f}"


INFRA_LAYERS = {
    "hypervisor": ["hypervisor"],
    "storage": ["storage"],
    "network": ["tor_switch", "core_switch"],
    "shared services": ["dns_server", "ldap_server", "lb_appliance", "power_feed"],
}


def infrastructure_starts(layers: dict[str, Any], count: int, seed: int) -> np.ndarray:
    """``count`` starts drawn equally from the four infrastructure groups (0-based ids)."""
    rng = np.random.default_rng(seed)
    groups = [
        np.concatenate([layers[k] for k in names if k in layers]) for names in INFRA_LAYERS.values()
    ]
    per = -(-count // len(groups))
    picks = np.concatenate([rng.choice(g, per) for g in groups])
    rng.shuffle(picks)
    return picks[:count]


@contextlib.contextmanager
def busy(processes: int) -> Iterator[None]:
    """Run ``processes`` CPU-bound processes (a pure Python loop) for the duration."""
    import subprocess

    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(processes)]
    try:
        time.sleep(0.2 if procs else 0)
        yield
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def _chunks(n: int) -> Iterator[range]:
    for start in range(0, n, BATCH):
        yield range(start, min(start + BATCH, n))


def load(n_cis: int) -> tuple[Any, dict[int, int]]:
    """Write the generated estate with raw ``executemany``; returns it and type index → pk."""
    from django.db import connection, transaction
    from django.utils import timezone

    from assetgraph.cmdb.models import CI, CIClass, Relationship, RelationshipType
    from assetgraph.core.natural import natural_key

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
        "name_key",
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
                        natural_key(f"ci-{i + 1:07d}"),
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
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--cte-samples", type=int, default=30)
    parser.add_argument("--busy", type=int, default=1, help="CPU-bound processes during the API")
    parser.add_argument("--workers", type=int, default=0, help="fresh workers mapping the graph")
    parser.add_argument("--profile", action="store_true", help="cProfile storage-array requests")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep an estate already loaded in the database (same --cis) instead of loading",
    )
    parser.add_argument(
        "--workers-only",
        action="store_true",
        help="with --reuse: only the fresh-worker measurement on the loaded estate",
    )
    parser.add_argument("--worker-probe", action="store_true", help=argparse.SUPPRESS)
    args, _ = parser.parse_known_args()  # run.py passes every script the same extras
    if args.worker_probe:
        return worker_probe()
    _setup()
    from django.db import connection

    from assetgraph.cmdb.models import CI, RelationshipType

    if args.workers_only:
        _bench_token()
        estate = generate_estate(args.cis, seed=42)
        shared_workers(args.workers or 4, int(estate.layers["storage"][0]) + 1)
        return 0
    t0 = time.perf_counter()
    if args.reuse and CI.objects.exists():
        estate, types = generate_estate(args.cis, seed=42), _bench_types()
    else:
        estate, types = load(args.cis)
    load_s = time.perf_counter() - t0
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM cmdb_relationship")
        n_rels = int(cursor.fetchone()[0])
    print(f"loaded {estate.n_nodes:,} CIs / {n_rels:,} relationships in {load_s:.1f} s", flush=True)
    rng = np.random.default_rng(3)
    layers = estate.layers
    count = max(args.samples, 1)
    measure(
        f"estate: {estate.n_nodes:,} CIs, {n_rels:,} relationships, {connection.vendor}",
        components=layers["component"] + 1,
        vms=layers["vm"] + 1,
        runs_on=RelationshipType.objects.get(pk=types[2]),
        cases=[
            ("uniform random CI", rng.integers(0, estate.n_nodes, count) + 1),
            ("infrastructure CI", infrastructure_starts(layers, count, 5) + 1),
            ("storage array", rng.choice(layers["storage"], count) + 1),
        ],
        samples=args.samples,
        cte_samples=args.cte_samples,
        busy_processes=args.busy,
        profile=args.profile,
    )
    if args.workers:
        shared_workers(args.workers, int(layers["storage"][0]) + 1)
    return 0


def measure(
    title: str,
    *,
    components: Any,
    vms: Any,
    runs_on: Any,
    cases: list[tuple[str, Any]],
    samples: int,
    cte_samples: int = 30,
    busy_processes: int = 0,
    profile: bool = False,
) -> None:
    """Measure the adapter and the impact API on the loaded estate and print the table.

    ``components``/``vms``: CI pks to relate with ``runs_on`` for the incremental refresh;
    ``cases``: (label, CI pks) pools; ``samples`` requests are drawn from each (in order when
    the pool has exactly that many), the recursive CTE runs on the first ``cte_samples`` of
    them. Shared with the CMDB benchmark, which loads its estate through the import path.
    """
    from django.test import Client

    from assetgraph.cmdb import services
    from assetgraph.cmdb.models import CI
    from assetgraph.core.actor import Actor
    from assetgraph.core.errors import Conflict
    from assetgraph.impact import estate as adapter
    from assetgraph.impact.catalogue import catalogue

    os.environ[adapter.SNAPSHOTS_ENV] = "off"  # the cold build alone, no file write
    builds = [_timed(adapter.build_estate_graph) for _ in range(3)]
    cold = statistics.median(builds)
    os.environ.pop(adapter.SNAPSHOTS_ENV)
    adapter.clear_cache()
    snap_s = _timed(adapter.estate_graph)  # build + write + map the shared snapshot
    catalogue_s = _timed(catalogue)

    actor = Actor.system("bench")
    rng = np.random.default_rng(7)
    service_s, refresh_s = [], []
    while len(refresh_s) < 9:
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
    assert adapter.cache_stats()["refreshes"] >= 9

    token = _bench_token()
    client = Client(SERVER_NAME="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}")
    rows = []
    for label, pool in cases:
        pool = np.asarray(pool)
        picks = [int(p) for p in (pool if pool.size == samples else rng.choice(pool, samples))]
        for pk in picks[:3]:  # warm
            assert client.get("/api/impact/", {"ci": pk, "limit": 20}).status_code == 200
        api_s, sizes, cte_s = [], [], []
        with busy(busy_processes):
            load_api = _load()
            for pk in picks:
                start = time.perf_counter()
                response = client.get("/api/impact/", {"ci": pk, "limit": 20})
                api_s.append(time.perf_counter() - start)
                assert response.status_code == 200, response.content[:300]
                sizes.append(response.json()["summary"]["affected"])
            load_api = f"{load_api}→{_load()}"
        load_cte = _load()
        for pk in picks[:cte_samples]:
            start = time.perf_counter()
            cte_count(pk)
            cte_s.append(time.perf_counter() - start)
        load_cte = f"{load_cte}→{_load()}"
        rows.append((label, sizes, api_s, cte_s, load_api, load_cte))
        if profile and label == "storage array":
            import cProfile
            import pstats

            prof = cProfile.Profile()
            prof.enable()
            for pk in picks[:10]:
                client.get("/api/impact/", {"ci": pk, "limit": 20})
            prof.disable()
            pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(25)

    print()
    print(title)
    print()
    print(f"load average: {_load()} (2 cores); {busy_processes} CPU-bound process(es) beside")
    print("the API requests; times in ms unless stated")
    print()
    print("| measure | result | target | baseline | ratio |")
    print("|---|---|---|---|---|")
    print(f"| cold `build_estate_graph()` (median of {len(builds)}) | {cold:.2f} s | ≤ 8 s | | |")
    print(f"| first graph with shared snapshot (build + write + map) | {snap_s:.2f} s | | | |")
    print(f"| lookup columns (class, teams, asset) first read | {catalogue_s:.2f} s | | | |")
    r50, r95, _ = _pct(refresh_s)
    print(
        f"| incremental refresh after `add_relationship` ({len(refresh_s)} samples)"
        f" | p50 {r50:.1f}, p95 {r95:.1f} | ≤ 50 ms | full rebuild {cold * 1000:.0f} ms"
        f" | {cold * 1000 / r95:.0f}x |"
    )
    s50, s95, _ = _pct(service_s)
    print(f"| `add_relationship` service call | p50 {s50:.1f}, p95 {s95:.1f} | | | |")
    print()
    print(
        "| `GET /api/impact/` start set | n | affected p50 / p95 / max | API p50 / p95 / max"
        " | load (API) | CTE n | CTE p50 / p95 / max | load (CTE) | CTE p50 ÷ API p50 |"
        " CTE p95 ÷ API p95 |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for label, sizes, api_s, cte_s, load_api, load_cte in rows:
        a50, a95, amax = _pct(api_s)
        c50, c95, cmax = _pct(cte_s)
        z = np.array(sizes)
        print(
            f"| {label} | {len(api_s)} | {np.percentile(z, 50):,.0f} / {np.percentile(z, 95):,.0f}"
            f" / {z.max():,} | {a50:.1f} / {a95:.1f} / {amax:.1f} | {load_api} | {len(cte_s)}"
            f" | {c50:.1f} / {c95:.1f} / {cmax:.1f} | {load_cte} | {c50 / a50:.1f}x"
            f" | {c95 / a95:.1f}x |"
        )


def _bench_token() -> str:
    """A read-only API token of the "bench" user (created on first use), also put in the
    environment for the worker probes."""
    from assetgraph.accounts.models import User
    from assetgraph.accounts.services import create_api_token, create_user
    from assetgraph.core.actor import Actor

    actor = Actor.system("bench")
    user = User.objects.filter(username="bench").first() or create_user(
        actor, username="bench", password="bench-Password-1", roles=["Read-only"]
    )
    token = create_api_token(actor, user, name="bench", write_enabled=False).plaintext
    os.environ["AGBENCH_TOKEN"] = token
    return token


def _smaps() -> dict[str, int]:
    """This process's memory in kB from /proc/self/smaps_rollup (Linux)."""
    out: dict[str, int] = {}
    with open("/proc/self/smaps_rollup") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                out[parts[0].rstrip(":")] = int(parts[1])
    return out


def _private_kb() -> int:
    """Anonymous resident memory: what this process holds that no other process can share.

    (``Private_Clean`` is no measure: a page of the shared file counts as private while only
    one process happens to have touched it.)"""
    return _smaps().get("Anonymous", 0)


def worker_probe() -> int:
    """One fresh worker: set up Django and warm the kernels, then the first impact request."""
    import json

    _setup()
    from django.test import Client

    from assetgraph.impact import estate as adapter

    adapter._warm_once()  # compiled kernels and the GC freeze: not the graph
    client = Client(
        SERVER_NAME="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {os.environ['AGBENCH_TOKEN']}"
    )
    pk = int(os.environ["AGBENCH_CI"])
    # Django's own first API request (URLconf, building the API document the query guard
    # checks against: seconds) is not the graph's cost; a gunicorn worker pays it either way
    client.get("/api/org/cost-centres/", {"limit": 1})
    before = _private_kb()
    # what gunicorn's post_worker_init runs before the worker accepts requests: map the
    # host's snapshot, read the lookup columns, size the kernel workspace
    from assetgraph.impact.operations import prepare_worker

    t0 = time.perf_counter()
    prepare_worker()
    graph_s = time.perf_counter() - t0
    eg = adapter.estate_graph()
    after_graph = _private_kb()
    from assetgraph.graph import impact

    t0 = time.perf_counter()
    impact(eg.graph, [eg.node_of(pk)])
    engine_s = time.perf_counter() - t0
    after_engine = _private_kb()
    t0 = time.perf_counter()
    response = client.get("/api/impact/", {"ci": pk, "limit": 20})
    api_s = time.perf_counter() - t0
    assert response.status_code == 200, response.content[:300]
    after_api = _private_kb()
    m = _smaps()
    print(
        json.dumps(
            {
                "graph_s": graph_s,
                "engine_s": engine_s,
                "api_s": api_s,
                "stats": adapter.cache_stats(),
                "private_graph_mb": (after_graph - before) / 1024,
                "private_engine_mb": (after_engine - before) / 1024,
                "private_api_mb": (after_api - before) / 1024,
                "shared_mb": (m.get("Shared_Clean", 0) + m.get("Shared_Dirty", 0)) / 1024,
                "rss_mb": m.get("Rss", 0) / 1024,
                "pss_mb": m.get("Pss", 0) / 1024,
            }
        ),
        flush=True,
    )
    return 0


def shared_workers(k: int, storage_pk: int) -> None:
    """Start ``k`` fresh workers at once on this database and print what each cost."""
    import json
    import subprocess

    from assetgraph.impact import estate as adapter

    adapter.write_snapshot(adapter.estate_graph())  # the file at the current revision
    path = adapter.snapshot_path()
    size = path.stat().st_size / 1e6 if path is not None and path.exists() else 0.0
    env = {**os.environ, "AGBENCH_CI": str(storage_pk)}
    load = _load()
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--worker-probe"], env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(k)
    ]
    results = []
    for proc in procs:
        out, _ = proc.communicate()
        results.append(json.loads(out.strip().splitlines()[-1]))
    print()
    print(
        f"{k} fresh workers side by side, shared snapshot {size:.0f} MB, load {load}→{_load()};"
        " private = growth of anonymous resident memory (smaps_rollup) from after Django"
        " set-up, kernel warm-up and one non-graph API request; prepare = the worker's"
        " post_worker_init (impact.operations.prepare_worker), before it accepts requests"
    )
    print()
    print(
        "| worker | prepare: map graph + warm (ms) | first impact, engine (ms) |"
        " first API request (ms) |"
        " private after graph (MB) | + engine query (MB) | + API request (MB) | shared (MB) |"
        " mapped/rebuilt |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for i, r in enumerate(results):
        st = r["stats"]
        print(
            f"| {i + 1} | {r['graph_s'] * 1000:.0f} | {r['engine_s'] * 1000:.1f} |"
            f" {r['api_s'] * 1000:.0f} | {r['private_graph_mb']:.1f} |"
            f" {r['private_engine_mb']:.1f} | {r['private_api_mb']:.1f} | {r['shared_mb']:.0f} |"
            f" {st['mapped']}/{st['rebuilds']} |"
        )


if __name__ == "__main__":
    raise SystemExit(main())
