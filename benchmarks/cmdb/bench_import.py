"""CMDB import and read benchmark, side by side with its baselines in the same run.

1. Generates a seeded, realistic estate as files: business services → applications →
   components → VMs → farms → hypervisors → racks / switches / storage, shared DNS/LDAP/SSO,
   subnets, and laptops that use the services (about 4.5 relationships per CI).
2. Imports it through the project's own path — ``CIImporter`` then ``RelationshipImporter``
   (plan, all-or-nothing bulk writes, bulk audit events) — and measures rows/s, against the
   baseline of one service call per row (``create_ci`` / ``add_relationship``) on a sample.
3. With the estate loaded, reads through the API (Django test client, bearer token of an
   IT Operations user): CI detail p95, and a 100-row filtered page p95 (keyset cursor).

Run: ``python benchmarks/cmdb/bench_import.py [--cis N] [--profile]`` (a throw-away SQLite
database, or ``ASSETGRAPH_DATABASE_URL``). Prints a Markdown table with ratios and the machine.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
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


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18] * 1000


# -- the estate -------------------------------------------------------------------------------


def generate(n: int, seed: int, directory: Path) -> tuple[Path, Path, int, int]:
    """Write ``cis.csv`` and ``relationships.csv`` for an estate of about ``n`` CIs."""
    rng = random.Random(seed)
    cis: list[dict[str, Any]] = []
    rels: list[tuple[str, str, str]] = []

    def ci(klass: str, name: str, **values: Any) -> str:
        cis.append({"class": klass, "name": name, **values})
        return name

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
        rels.append((farm, "depends on", rng.choice(storage)))
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
        rels += [
            (name, "member of", farms[i % len(farms)]),
            (rng.choice(racks), "contains", name),
            (name, "connected to", rng.choice(switches)),
        ]
    for i in range(count(0.03, 2)):
        name = ci(
            "Server",
            f"srv-{i:05d}",
            **{"attr.serial_number": f"SV{i:08d}", "attr.hostname": f"srv-{i:05d}"},
        )
        rels += [
            (rng.choice(racks), "contains", name),
            (name, "connected to", rng.choice(switches)),
        ]
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
        rels += [
            (name, "hosted on", rng.choice(farms)),
            (name, "connected to", rng.choice(subnets)),
            (name, "depends on", rng.choice(shared)),
        ]
    for i in range(count(0.01, 3)):
        app = ci("Application", f"app-{i:05d}", **{"attr.version": f"{rng.randint(1, 9)}.0"})
        rels.append((services[i % len(services)], "depends on", app))
        rels += [(app, "depends on", s) for s in rng.sample(shared, 2)]
        db = ci("Database", f"db-{i:05d}", **{"attr.engine": "PostgreSQL"})
        rels += [(app, "depends on", db), (db, "runs on", rng.choice(vms))]
        for c in range(3):
            component = ci("Application Component", f"app-{i:05d}-c{c}")
            rels.append((app, "depends on", component))
            rels += [(component, "runs on", vm) for vm in rng.sample(vms, 3)]
    laptops = max(1, n - len(cis))
    for i in range(laptops):
        name = ci(
            "Laptop",
            f"lt-{i:06d}",
            **{"attr.serial_number": f"LT{i:08d}", "attr.hostname": f"lt-{i:06d}"},
        )
        rels.append((name, "connected to", rng.choice(subnets)))
        rels += [(name, "uses", s) for s in rng.sample(services, min(len(services), 5))]
    rels = list(dict.fromkeys(r for r in rels if r[0] != r[2]))
    columns = sorted({k for row in cis for k in row}, key=lambda c: (c != "class", c != "name", c))
    ci_path, rel_path = directory / "cis.csv", directory / "relationships.csv"
    with ci_path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        writer.writerows(cis)
    with rel_path.open("w", newline="") as handle:
        writer_r = csv.writer(handle)
        writer_r.writerow(["source", "type", "target"])
        writer_r.writerows(rels)
    return ci_path, rel_path, len(cis), len(rels)


# -- measurements -----------------------------------------------------------------------------


def bench_import(
    ci_path: Path, rel_path: Path, n_cis: int, n_rels: int, sample: int, profile: bool
) -> tuple[list[tuple[str, str, str, str]], dict[str, float]]:
    from assetgraph.cmdb import services
    from assetgraph.cmdb.importers import CIImporter, RelationshipImporter
    from assetgraph.cmdb.models import CI, CIClass, RelationshipType
    from assetgraph.core.actor import Actor

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
    ci_time = _timed(lambda: run(CIImporter, ci_path))
    rel_time = _timed(lambda: run(RelationshipImporter, rel_path))
    if profiler is not None:
        import pstats

        profiler.disable()
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(40)
    assert CI.objects.count() >= n_cis

    vm_class = CIClass.objects.get(name="Virtual Machine")
    depends = RelationshipType.objects.get(name="depends on")
    shared = CI.objects.get(name="DNS")

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
    ci_rate, rel_rate = n_cis / ci_time, n_rels / rel_time
    base_ci_rate, base_rel_rate = sample / base_ci, sample / base_rel
    total_rate = (n_cis + n_rels) / (ci_time + rel_time)
    base_total = 2 * sample / (base_ci + base_rel)
    rows = [
        (
            "CI import (CIImporter: plan + bulk write + bulk audit)",
            f"{n_cis:,} CIs in {ci_time:.1f} s",
            f"{ci_rate:,.0f} rows/s",
            f"{ci_rate / base_ci_rate:.1f}x",
        ),
        (
            "CIs, one `create_ci` per row (baseline)",
            f"{sample:,} CIs",
            f"{base_ci_rate:,.0f} rows/s",
            "1.0x",
        ),
        (
            "relationship import (RelationshipImporter)",
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
    ]
    return rows, {"ci_time": ci_time, "rel_time": rel_time}


def bench_reads(samples: int) -> list[tuple[str, str, str, str]]:
    from django.test import Client

    from assetgraph.accounts import services as accounts
    from assetgraph.cmdb.models import CI, CIClass
    from assetgraph.core.actor import Actor

    actor = Actor.system("bench")
    user = accounts.create_user(
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


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cis", type=int, default=20_000, help="estate size (CIs)")
    parser.add_argument("--sample", type=int, default=300, help="baseline rows (per-row services)")
    parser.add_argument("--reads", type=int, default=200, help="API read samples")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--profile", action="store_true", help="cProfile the imports to stderr")
    args = parser.parse_args()
    _setup()
    from django.db import connection

    directory = Path(tempfile.mkdtemp(prefix="agbench-cmdb-files-"))
    started = time.perf_counter()
    ci_path, rel_path, n_cis, n_rels = generate(args.cis, args.seed, directory)
    generated = time.perf_counter() - started
    rows, _ = bench_import(ci_path, rel_path, n_cis, n_rels, args.sample, args.profile)
    rows += bench_reads(args.reads)
    machine = (
        f"{connection.vendor}, {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), "
        f"python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )
    if connection.vendor == "postgresql":
        machine += f", PostgreSQL {connection.pg_version // 10000}"  # type: ignore[attr-defined]
    print(f"\nCMDB import and read benchmark ({machine}; files generated in {generated:.1f} s)\n")
    print("| measurement | size | result | ratio to baseline |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
