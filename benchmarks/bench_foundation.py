"""Foundation benchmarks, each side by side with a baseline in the same run.

1. People import: the bulk import path (plan, batched writes, bulk audit events) against the
   naive baseline of one service call per row (full_clean + save + one audit event each).
2. A deep page of the people API: keyset cursor pagination against OFFSET pagination.
3. Audit append: ``record_events`` (bulk) against ``record_event`` per row.

Run: ``python benchmarks/bench_foundation.py [--rows N]`` (uses a throw-away SQLite database,
or ``ASSETGRAPH_DATABASE_URL`` when set). Prints a Markdown table with ratios.
"""

from __future__ import annotations

import argparse
import gc
import io
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable


def _setup() -> None:
    os.environ.setdefault("ASSETGRAPH_DATA_DIR", tempfile.mkdtemp(prefix="agbench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "assetgraph.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench_import(rows: int, baseline_rows: int) -> list[tuple[str, str, str, str]]:
    from assetgraph.core.actor import Actor
    from assetgraph.org import services
    from assetgraph.org.importers import PersonImporter
    from assetgraph.org.models import Person

    actor = Actor.system("bench")
    dept = services.create_department(actor, {"name": "Bench", "code": "BEN"})
    header = "employee_number,first_name,last_name,email,department,status,start_date\n"
    body = "".join(
        f"B{i:07d},First{i},Last{i},p{i}@example.com,BEN,active,2024-01-01\n" for i in range(rows)
    )
    data = (header + body).encode()
    bulk = _timed(lambda: PersonImporter(actor).run(io.BytesIO(data), "people.csv", dry_run=False))
    assert Person.objects.filter(employee_number__startswith="B").count() == rows

    def per_row() -> None:
        for i in range(baseline_rows):
            services.create_person(
                actor,
                {
                    "employee_number": f"N{i:07d}",
                    "first_name": "F",
                    "last_name": f"L{i}",
                    "email": f"n{i}@example.com",
                    "department": dept,
                    "status": "active",
                },
            )

    naive = _timed(per_row)
    bulk_rate, naive_rate = rows / bulk, baseline_rows / naive
    return [
        (
            "people import, bulk path",
            f"{rows:,} rows",
            f"{bulk_rate:,.0f} rows/s",
            f"{bulk_rate / naive_rate:.1f}x",
        ),
        (
            "people import, one service call per row (baseline)",
            f"{baseline_rows:,} rows",
            f"{naive_rate:,.0f} rows/s",
            "1.0x",
        ),
    ]


def bench_deep_page(samples: int = 100) -> list[tuple[str, str, str, str]]:
    from django.test import Client

    from assetgraph.accounts import services as accounts
    from assetgraph.api.pagination import PageRequest, paginate
    from assetgraph.core.actor import Actor
    from assetgraph.org.models import Person

    actor = Actor.system("bench")
    user = accounts.create_user(
        actor, username="bench", password="bench-password-123", roles=["Read-only"]
    )
    token = accounts.create_api_token(actor, user, name="bench").plaintext
    client = Client(SERVER_NAME="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}")
    total = Person.objects.count()
    orderings = {"employee_number": "employee_number"}
    rows = Person.objects.select_related("department", "cost_centre", "manager", "location")
    last = rows.order_by("-employee_number", "-pk")[100]
    from assetgraph.api.pagination import _encode

    cursor = _encode([last.employee_number, last.pk], "employee_number")
    deep = PageRequest(limit=100, cursor=cursor, ordering="employee_number")
    # The import above leaves a large heap; a full collection in the middle of the samples
    # would measure the benchmark's own garbage, not the request path.
    gc.collect()
    gc.freeze()
    keyset = [_timed(lambda: paginate(rows, deep, orderings)) for _ in range(samples)]
    offset_at = max(0, total - 100)
    offset = [
        _timed(
            lambda: (
                rows.count(),
                list(rows.order_by("employee_number", "pk")[offset_at : offset_at + 100]),
            )
        )
        for _ in range(samples)
    ]
    http = [
        _timed(
            lambda: client.get(
                "/api/org/people/", {"limit": 100, "ordering": "employee_number", "cursor": cursor}
            )
        )
        for _ in range(samples)
    ]
    k95, o95, h95 = (statistics.quantiles(x, n=20)[18] * 1000 for x in (keyset, offset, http))
    return [
        (
            f"last 100 of {total:,} people: keyset cursor query",
            "p95",
            f"{k95:.1f} ms",
            f"{o95 / k95:.1f}x",
        ),
        ("same page: COUNT(*) + OFFSET query (baseline)", "p95", f"{o95:.1f} ms", "1.0x"),
        ("same page through the API (auth, permissions, JSON)", "p95", f"{h95:.1f} ms", "-"),
    ]


def bench_audit(events: int) -> list[tuple[str, str, str, str]]:
    from django.db import transaction

    from assetgraph.audit.services import EventSpec, record_event, record_events
    from assetgraph.core.actor import Actor
    from assetgraph.org.models import Person

    actor = Actor.system("bench")
    person = Person.objects.first()
    assert person is not None
    with transaction.atomic():
        bulk = _timed(
            lambda: record_events(
                actor, (EventSpec("org.person", i, "bench") for i in range(events))
            )
        )
    single_n = max(1, events // 10)
    with transaction.atomic():
        single = _timed(
            lambda: [record_event(actor, "bench", person, after={"i": i}) for i in range(single_n)]
        )
    bulk_rate, single_rate = events / bulk, single_n / single
    return [
        (
            "audit append, record_events (bulk)",
            f"{events:,} events",
            f"{bulk_rate:,.0f} events/s",
            f"{bulk_rate / single_rate:.1f}x",
        ),
        (
            "audit append, record_event per event (baseline)",
            f"{single_n:,} events",
            f"{single_rate:,.0f} events/s",
            "1.0x",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()
    _setup()
    from django.db import connection

    rows = bench_import(args.rows, max(200, args.rows // 20))
    rows += bench_deep_page()
    rows += bench_audit(args.rows)
    print(f"\nFoundation benchmarks ({connection.vendor}, python {sys.version.split()[0]})\n")
    print("| measurement | size | result | ratio to baseline |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
