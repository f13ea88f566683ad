"""CMDB import and read benchmark, side by side with its baselines in the same run.

1. Generates a seeded, realistic estate as files, streamed to disk (a 1M-CI estate never sits
   in memory): business services → applications → components → VMs → farms → hypervisors →
   racks / switches / storage, shared DNS/LDAP/SSO, subnets, and laptops that use the
   services (4.5 relationships per CI, in files of at most 1,000,000 rows, the import limit).
2. Measures the baseline of one service call per row (``create_ci`` / ``add_relationship``)
   on the empty database, then imports the estate through the project's own path —
   ``CIImporter`` then ``RelationshipImporter`` per file (plan, all-or-nothing bulk writes,
   bulk audit events) — and reports rows/s (wall clock and per CPU second of the process).
3. With the estate loaded, reads through the API (Django test client, bearer token of an
   IT Operations user): CI detail p95, and a 100-row filtered page p95 (keyset cursor).

Run: ``nice python benchmarks/cmdb/bench_import.py [--cis 1000000] [--profile]`` (a throw-away
SQLite database, or ``ASSETGRAPH_DATABASE_URL``); ``--reads-only`` measures the reads again on
the estate already in ``ASSETGRAPH_DATA_DIR`` (``--reuse`` likewise, and ``--reads 0`` skips
them); ``--picker 60`` times the CI picker over 60 random prefixes beside its baseline.
Prints a Markdown table with ratios and the machine.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SHARED = ["DNS", "LDAP", "SSO"]
OS = ["Ubuntu", "Red Hat Enterprise Linux", "Windows Server"]


def _setup() -> None:
    os.environ.setdefault("ASSETGRAPH_DATA_DIR", tempfile.mkdtemp(prefix="agbench-cmdb-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "assetgraph.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _rss() -> str:
    import resource

    return f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB"


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18] * 1000


# -- the estate -------------------------------------------------------------------------------


CI_COLUMNS = [
    "class",
    "name",
    "criticality",
    "environment",
    "redundancy_mode",
    "redundancy_value",
    *(
        f"attr.{k}"
        for k in (
            "serial_number",
            "hostname",
            "ip_address",
            "os",
            "cpu_count",
            "ram_gb",
            "version",
            "engine",
            "height_u",
            "cidr",
        )
    ),
]
REL_FILE_ROWS = 1_000_000  # the import limit per file: big estates come in several files


class EstateWriter:
    """Streams CI rows and relationship rows to CSV files (relationships split into parts
    of at most ``REL_FILE_ROWS``), so a 1M-CI estate never sits in memory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.ci_path = directory / "cis.csv"
        self._ci_handle = self.ci_path.open("w", newline="")
        self._cis = csv.DictWriter(self._ci_handle, CI_COLUMNS)
        self._cis.writeheader()
        self.rel_paths: list[Path] = []
        self._rel_handle: Any = None
        self._rels: Any = None
        self.n_cis = 0
        self.n_rels = 0

    def ci(self, klass: str, name: str, **values: Any) -> str:
        self._cis.writerow({"class": klass, "name": name, **values})
        self.n_cis += 1
        return name

    def rel(self, source: str, kind: str, target: str) -> None:
        if self.n_rels % REL_FILE_ROWS == 0:
            if self._rel_handle is not None:
                self._rel_handle.close()
            path = self.directory / f"relationships-{len(self.rel_paths) + 1}.csv"
            self.rel_paths.append(path)
            self._rel_handle = path.open("w", newline="")
            self._rels = csv.writer(self._rel_handle)
            self._rels.writerow(["source", "type", "target"])
        self._rels.writerow((source, kind, target))
        self.n_rels += 1

    def close(self) -> None:
        self._ci_handle.close()
        if self._rel_handle is not None:
            self._rel_handle.close()


def generate(n: int, seed: int, directory: Path, rels_per_ci: float = 4.5) -> EstateWriter:
    """Write ``cis.csv`` and ``relationships-*.csv`` for ``n`` CIs and ``rels_per_ci * n``
    relationships (laptops take up the remainder), every relationship distinct."""
    rng = random.Random(seed)
    out = EstateWriter(directory)
    ci, rel = out.ci, out.rel

    def count(share: float, minimum: int) -> int:
        return max(minimum, round(n * share))

    services = [
        ci("Business Service", f"svc-{i:05d}", criticality=rng.randint(1, 4))
        for i in range(count(0.0015, 15))
    ]
    shared = [ci("Application", name, **{"attr.version": "1.0"}) for name in SHARED]
    storage = [
        ci("Storage Array", f"stor-{i:04d}", **{"attr.serial_number": f"ST{i:08d}"})
        for i in range(count(0.002, 2))
    ]
    farms = []
    for i in range(count(0.002, 3)):
        mode, value = rng.choice([("count", 2), ("percent", 66), ("percent", 75)])
        farm = ci("Cluster/Farm", f"farm-{i:04d}", redundancy_mode=mode, redundancy_value=value)
        farms.append(farm)
        rel(farm, "depends on", rng.choice(storage))
    racks = [ci("Rack", f"rack-{i:04d}", **{"attr.height_u": 42}) for i in range(count(0.005, 2))]
    switches = [
        ci("Switch", f"sw-{i:05d}", **{"attr.serial_number": f"SW{i:08d}"})
        for i in range(count(0.01, 2))
    ]
    subnets = [
        ci("Subnet", f"net-{i:04d}", **{"attr.cidr": f"10.{i // 256 % 256}.{i % 256}.0/24"})
        for i in range(count(0.003, 2))
    ]
    for i in range(count(0.02, 6)):
        name = ci(
            "Hypervisor",
            f"hv-{i:05d}",
            **{"attr.serial_number": f"HV{i:08d}", "attr.hostname": f"hv-{i:05d}"},
        )
        rel(name, "member of", farms[i % len(farms)])
        rel(rng.choice(racks), "contains", name)
        rel(name, "connected to", rng.choice(switches))
    for i in range(count(0.03, 2)):
        name = ci(
            "Server",
            f"srv-{i:05d}",
            **{"attr.serial_number": f"SV{i:08d}", "attr.hostname": f"srv-{i:05d}"},
        )
        rel(rng.choice(racks), "contains", name)
        rel(name, "connected to", rng.choice(switches))
    vms = []
    for i in range(count(0.40, 10)):
        name = ci(
            "Virtual Machine",
            f"vm-{i:06d}",
            environment=rng.choice(["production", "production", "test", "development"]),
            **{
                "attr.hostname": f"vm-{i:06d}",
                "attr.ip_address": f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}",
                "attr.os": rng.choice(OS),
                "attr.cpu_count": rng.choice([2, 4, 8]),
                "attr.ram_gb": rng.choice([4, 8, 16, 32]),
            },
        )
        vms.append(name)
        rel(name, "hosted on", rng.choice(farms))
        rel(name, "connected to", rng.choice(subnets))
        rel(name, "depends on", rng.choice(shared))
    for i in range(count(0.01, 3)):
        app = ci("Application", f"app-{i:05d}", **{"attr.version": f"{rng.randint(1, 9)}.0"})
        rel(services[i % len(services)], "depends on", app)
        for target in rng.sample(shared, 2):
            rel(app, "depends on", target)
        db = ci("Database", f"db-{i:05d}", **{"attr.engine": "PostgreSQL"})
        rel(app, "depends on", db)
        rel(db, "runs on", rng.choice(vms))
        for c in range(3):
            component = ci("Application Component", f"app-{i:05d}-c{c}")
            rel(app, "depends on", component)
            for vm in rng.sample(vms, 3):
                rel(component, "runs on", vm)
    laptops = max(1, n - out.n_cis)
    # Each laptop is on a subnet and uses some services: spread the remaining relationships.
    per_laptop = max(1.0, (rels_per_ci * n - out.n_rels) / laptops)
    for i in range(laptops):
        name = ci(
            "Laptop",
            f"lt-{i:06d}",
            **{"attr.serial_number": f"LT{i:08d}", "attr.hostname": f"lt-{i:06d}"},
        )
        rel(name, "connected to", rng.choice(subnets))
        uses = int((i + 1) * per_laptop) - int(i * per_laptop) - 1
        for service in rng.sample(services, min(len(services), max(0, uses))):
            rel(name, "uses", service)
    out.close()
    return out


# -- measurements -----------------------------------------------------------------------------


def bench_baseline(sample: int) -> tuple[float, float]:
    """Seconds for ``sample`` CIs through ``create_ci`` and as many relationships through
    ``add_relationship``, one service call per row, measured on the fresh database before the
    import (afterwards each commit would also seal part of the import's audit events)."""
    from assetgraph.cmdb import services
    from assetgraph.cmdb.models import CIClass, RelationshipType
    from assetgraph.core.actor import Actor

    actor = Actor.system("bench")
    vm_class = CIClass.objects.get(name="Virtual Machine")
    app_class = CIClass.objects.get(name="Application")
    depends = RelationshipType.objects.get(name="depends on")
    shared = services.create_ci(actor, {"name": "base-shared", "ci_class": app_class})

    def per_row_cis() -> list[Any]:
        return [
            services.create_ci(
                actor,
                {
                    "name": f"base-vm-{i:05d}",
                    "ci_class": vm_class,
                    "attributes": {"hostname": f"base-vm-{i:05d}", "os": "Ubuntu", "ram_gb": 8},
                },
            )
            for i in range(sample)
        ]

    made: list[Any] = []
    base_ci = _timed(lambda: made.extend(per_row_cis()))
    base_rel = _timed(
        lambda: [
            services.add_relationship(actor, {"source": ci, "target": shared, "type": depends})
            for ci in made
        ]
    )
    return base_ci, base_rel


def bench_import(
    estate: EstateWriter, sample: int, profile: bool
) -> list[tuple[str, str, str, str]]:
    from assetgraph.cmdb.importers import CIImporter, RelationshipImporter
    from assetgraph.cmdb.models import CI, Relationship
    from assetgraph.core.actor import Actor

    base_ci, base_rel = bench_baseline(sample)
    actor = Actor.system("bench")

    def run(importer: type[Any], path: Path) -> None:
        with path.open("rb") as handle:
            report = importer(actor).run(handle, path.name, dry_run=False)
        if not report.applied:
            failed = [r for r in report.rows if r.action == "error"][:5]
            raise SystemExit(f"import failed: {report.file_errors} {[r.errors for r in failed]}")

    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    n_cis, n_rels = estate.n_cis, estate.n_rels
    cpu = time.process_time()
    ci_time = _timed(lambda: run(CIImporter, estate.ci_path))
    print(f"CIs: {n_cis:,} in {ci_time:.1f} s ({_rss()})", file=sys.stderr, flush=True)
    rel_time = 0.0
    for path in estate.rel_paths:
        rel_time += _timed(lambda path=path: run(RelationshipImporter, path))
        print(f"{path.name}: {rel_time:.1f} s so far ({_rss()})", file=sys.stderr, flush=True)
    cpu = time.process_time() - cpu
    if profiler is not None:
        import pstats

        profiler.disable()
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(40)
    assert CI.objects.filter(name__in=["DNS", "SSO"]).count() == 2
    assert CI.objects.count() == n_cis + sample + 1
    assert Relationship.objects.count() == n_rels + sample

    ci_rate, rel_rate = n_cis / ci_time, n_rels / rel_time
    base_ci_rate, base_rel_rate = sample / base_ci, sample / base_rel
    total_rate = (n_cis + n_rels) / (ci_time + rel_time)
    base_total = 2 * sample / (base_ci + base_rel)
    return [
        (
            "CI import (CIImporter: plan + bulk write + bulk audit)",
            f"{n_cis:,} CIs in {ci_time:.1f} s",
            f"{ci_rate:,.0f} rows/s",
            f"{ci_rate / base_ci_rate:.1f}x",
        ),
        (
            "CIs, one `create_ci` per row (baseline, on the empty database)",
            f"{sample:,} CIs",
            f"{base_ci_rate:,.0f} rows/s",
            "1.0x",
        ),
        (
            f"relationship import (RelationshipImporter, {len(estate.rel_paths)} file(s))",
            f"{n_rels:,} rels in {rel_time:.1f} s",
            f"{rel_rate:,.0f} rows/s",
            f"{rel_rate / base_rel_rate:.1f}x",
        ),
        (
            "relationships, one `add_relationship` per row (baseline)",
            f"{sample:,} rels",
            f"{base_rel_rate:,.0f} rows/s",
            "1.0x",
        ),
        (
            "whole estate through the import path (target >= 20,000 rows/s)",
            f"{n_cis + n_rels:,} rows in {ci_time + rel_time:.1f} s",
            f"{total_rate:,.0f} rows/s",
            f"{total_rate / base_total:.1f}x",
        ),
        (
            "the same per CPU second of this process (contention-free figure)",
            f"{cpu:.1f} CPU s",
            f"{(n_cis + n_rels) / cpu:,.0f} rows/s",
            "-",
        ),
    ]


def bench_reads(samples: int) -> list[tuple[str, str, str, str]]:
    from django.test import Client

    from assetgraph.accounts import services as accounts
    from assetgraph.accounts.models import User
    from assetgraph.cmdb.models import CI, CIClass
    from assetgraph.core.actor import Actor

    actor = Actor.system("bench")
    user = User.objects.filter(username="bench-noc").first() or accounts.create_user(
        actor, username="bench-noc", password="bench-password-123", roles=["IT Operations (NOC)"]
    )
    token = accounts.create_api_token(actor, user, name="bench").plaintext
    client = Client(SERVER_NAME="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}")
    rng = random.Random(7)
    top = CI.objects.order_by("-pk").values_list("pk", flat=True).first() or 1
    ids = [rng.randint(1, top) for _ in range(samples)]

    def get(url: str, params: dict[str, Any] | None = None) -> Any:
        response = client.get(url, params or {})
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
        return response

    for pk in ids[:20]:  # warm-up
        get(f"/api/cmdb/cis/{pk}")
    detail = [_timed(lambda pk=pk: get(f"/api/cmdb/cis/{pk}")) for pk in ids]
    vm = CIClass.objects.get(name="Virtual Machine").pk

    def walk(params: dict[str, Any]) -> list[float]:
        times: list[float] = []
        cursor = None
        for _ in range(samples // 2):
            query = {**params, "limit": 100, **({"cursor": cursor} if cursor else {})}
            start = time.perf_counter()
            body = json.loads(get("/api/cmdb/cis/", query).content)
            times.append(time.perf_counter() - start)
            assert body["results"], params
            cursor = body["next"]  # keyset: the next page; past the end, start again
        return times

    walk({"ci_class_id": vm, "environment": "production"})  # warm-up
    by_class = walk({"ci_class_id": vm, "environment": "production"})
    by_attr = walk({"ci_class_id": vm, "attr.os": "Ubuntu"})
    return [
        (
            "API: CI detail `GET /api/cmdb/cis/{id}` (target p95 <= 10 ms)",
            "p95",
            f"{_p95(detail):.1f} ms",
            "-",
        ),
        (
            "API: 100-row page, class + environment filter, keyset (target p95 <= 25 ms)",
            "p95",
            f"{_p95(by_class):.1f} ms",
            "-",
        ),
        (
            "API: 100-row page, class + `attr.os` filter, keyset",
            "p95",
            f"{_p95(by_attr):.1f} ms",
            "-",
        ),
    ]


def _naive_search(
    request: Any, resource: Any, text: str, limit: int = 20
) -> tuple[list[Any], bool]:
    """The picker's search before the indexed prefix pass (the baseline): an id, then
    ``istartswith`` over the searched fields, then ``icontains``, each ordered by the list
    order and cut at ``limit + 1`` (no key ranges, no minimum length for "anywhere")."""
    from assetgraph.ui import pickers

    queryset = resource.queryset(request).select_related(*resource.picker_related)
    ordering = resource.orderings.get(resource.default_ordering, "pk")
    queryset = queryset.order_by(ordering, "pk")
    text = text.strip()
    if not text:
        rows = list(queryset[: limit + 1])
        return rows[:limit], len(rows) > limit
    words = text.split()
    found: list[Any] = []
    for lookup in ("istartswith", "icontains"):
        if len(found) > limit:
            break
        seen = [obj.pk for obj in found]
        more = queryset.filter(pickers._words_condition(resource.search_fields, words, lookup))
        found += list(more.exclude(pk__in=seen)[: limit + 1 - len(found)])
    return found[:limit], len(found) > limit


def bench_picker(samples: int, seed: int) -> list[tuple[str, str, str, str]]:
    """The CI picker (``GET /pick/cmdb.ci/?q=``, what every CI reference input asks as the user
    types) over random prefixes of 1-4 characters, through the same endpoint with the baseline
    search swapped in, in the same run: p50/p95 per request, load average beside each."""
    from django.test import Client
    from django.urls import reverse

    from assetgraph.accounts import services as accounts
    from assetgraph.accounts.models import User
    from assetgraph.cmdb.models import CI
    from assetgraph.core.actor import Actor
    from assetgraph.ui import pickers

    actor = Actor.system("bench")
    user = User.objects.filter(username="bench-noc").first() or accounts.create_user(
        actor, username="bench-noc", password="bench-password-123", roles=["IT Operations (NOC)"]
    )
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(user)
    url = reverse("ui:pick", args=["cmdb.ci"])
    rng = random.Random(seed)
    top = CI.objects.order_by("-pk").values_list("pk", flat=True).first() or 1
    names: list[str] = []
    while len(names) < samples:
        name = CI.objects.filter(pk__gte=rng.randint(1, top)).values_list("name", flat=True)[:1]
        if name:
            names.append(name[0])
    typed = [name[: rng.randint(1, 4)] for name in names]  # the start of a real name
    letters = "abcdefghijklmnopqrstuvwxyz"
    random_letters = ["".join(rng.choice(letters) for _ in range(rng.randint(1, 4))) for _ in names]
    n_cis = CI.objects.count()

    def run(prefixes: list[str]) -> tuple[list[float], int]:
        times, found = [], 0
        for q in prefixes:
            start = time.perf_counter()
            response = client.get(url, {"q": q})
            times.append(time.perf_counter() - start)
            assert response.status_code == 200, (q, response.status_code)
            found += len(response.json()["results"])
        return times, found

    def p50(values: list[float]) -> float:
        return statistics.median(values) * 1000

    rows: list[tuple[str, str, str, str]] = []
    run(typed[:5])  # warm-up
    for label, prefixes in (
        ("the start of a real name", typed),
        ("random letters", random_letters),
    ):
        load_new = os.getloadavg()[0]
        new, new_found = run(prefixes)
        original = pickers.search
        pickers.search = _naive_search  # type: ignore[assignment]
        try:
            load_base = os.getloadavg()[0]
            base, base_found = run(prefixes)
        finally:
            pickers.search = original
        ratio = f"{p50(base) / p50(new):.1f}x (p50), {_p95(base) / _p95(new):.1f}x (p95)"
        rows += [
            (
                f"CI picker, {label} (1-4 chars), indexed key prefix; "
                f"{new_found / len(prefixes):.1f} suggestions/request; load {load_new:.1f}",
                f"{len(prefixes)} requests, {n_cis:,} CIs",
                f"p50 {p50(new):.1f} ms, p95 {_p95(new):.1f} ms",
                ratio,
            ),
            (
                f"CI picker, {label}, baseline (istartswith then icontains); "
                f"{base_found / len(prefixes):.1f} suggestions/request; load {load_base:.1f}",
                f"{len(prefixes)} requests",
                f"p50 {p50(base):.1f} ms, p95 {_p95(base):.1f} ms",
                "1.0x",
            ),
        ]
    return rows


def _measure_impact(samples: int) -> None:
    """The impact issue's DB-level targets on this estate, loaded through the import path."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "impact"))
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "graph"))
    from bench_adapter import measure
    from django.db import connection

    from assetgraph.cmdb.models import CI, Relationship, RelationshipType

    def pool(klass: str) -> list[int]:
        return list(CI.objects.current().filter(ci_class__name=klass).values_list("pk", flat=True))

    measure(
        f"impact on the imported estate: {CI.objects.count():,} CIs, "
        f"{Relationship.objects.count():,} relationships, {connection.vendor}",
        components=pool("Application Component"),
        vms=pool("Virtual Machine"),
        runs_on=RelationshipType.objects.get(name="runs on"),
        cases=[("VM", pool("Virtual Machine")), ("storage array", pool("Storage Array"))],
        samples=min(samples, 30),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cis", type=int, default=20_000, help="estate size (CIs)")
    parser.add_argument("--sample", type=int, default=300, help="baseline rows (per-row services)")
    parser.add_argument("--reads", type=int, default=200, help="API read samples")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--profile", action="store_true", help="cProfile the imports to stderr")
    parser.add_argument(
        "--reads-only",
        action="store_true",
        help="only the API reads, on the estate already in ASSETGRAPH_DATA_DIR's database",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="no import: measure on the estate already in ASSETGRAPH_DATA_DIR's database "
        "(as --reads-only)",
    )
    parser.add_argument(
        "--picker",
        type=int,
        default=0,
        metavar="N",
        help="then time the CI picker over N random prefixes of 1-4 characters, side by side "
        "with the baseline search (at least 50 for the figures in docs/performance.md)",
    )
    parser.add_argument(
        "--impact",
        action="store_true",
        help="then measure the impact adapter and API on the imported estate "
        "(benchmarks/impact/bench_adapter.py's measurements, side by side with a recursive CTE)",
    )
    args = parser.parse_args()
    _setup()
    from django.db import connection

    rows: list[tuple[str, str, str, str]] = []
    generated = 0.0
    if not (args.reads_only or args.reuse):
        directory = Path(tempfile.mkdtemp(prefix="agbench-cmdb-files-"))
        started = time.perf_counter()
        estate = generate(args.cis, args.seed, directory)
        generated = time.perf_counter() - started
        print(
            f"generated {estate.n_cis:,} CIs, {estate.n_rels:,} relationships "
            f"in {generated:.1f} s (in {directory})",
            file=sys.stderr,
            flush=True,
        )
        rows += bench_import(estate, args.sample, args.profile)
        shutil.rmtree(directory)
    if args.reads:
        rows += bench_reads(args.reads)
    if args.picker:
        rows += bench_picker(args.picker, args.seed)
    if args.impact:
        _measure_impact(args.reads)
    machine = (
        f"{connection.vendor}, {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), "
        f"python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )
    if connection.vendor == "postgresql":
        machine += f", PostgreSQL {connection.pg_version // 10000}"  # type: ignore[attr-defined]
    print(
        f"\nCMDB import and read benchmark ({machine}; files generated in {generated:.1f} s; "
        f"{_rss()})\n"
    )
    print("| measurement | size | result | ratio to baseline |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
