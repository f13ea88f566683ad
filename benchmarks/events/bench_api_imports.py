"""How long an API import holds its web request (issue 15): queueing the job (202) against
running the import in the request, as the endpoint did before, side by side in one run on the
same file size.

* **queued**: ``POST /api/org/import/people?dry_run=false`` through Django's test client:
  the cheap checks, storing the upload, the job row and its task; the answer is a 202.
* **in request**: ``PersonImporter.run(..., dry_run=False)`` on the same file: what the
  synchronous endpoint spent before answering (plus the same request overhead, not counted:
  the ratio is a lower bound).

Each sample imports ``--rows`` new people (fresh keys). Reported: p50/p95 in milliseconds
and the ratio of the p50s, with the load average (the machine is shared: upper bounds).

Run: ``python benchmarks/events/bench_api_imports.py [--rows N] [--samples N]`` (a
throw-away SQLite database unless ``ASSETGRAPH_DATABASE_URL`` is set).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time


def _setup() -> None:
    os.environ.setdefault("ASSETGRAPH_DATA_DIR", tempfile.mkdtemp(prefix="agbench-imports-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "assetgraph.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def _csv(rows: int, start: int) -> bytes:
    lines = ["employee_number,first_name,last_name,email"]
    lines += [f"B{i:08d},Bench,Person{i},b{i}@example.com" for i in range(start, start + rows)]
    return ("\n".join(lines) + "\n").encode()


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--samples", type=int, default=7)
    args = parser.parse_args()
    _setup()
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from assetgraph.core.actor import Actor, Source
    from assetgraph.org.importers import PersonImporter

    user = get_user_model().objects.create_superuser("bench", "bench@example.com", "x")
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(user)
    queued: list[float] = []
    inline: list[float] = []
    # Warm-up, not counted: the first API request builds the OpenAPI document the request
    # guard checks against, and the first import compiles its plan.
    start = args.rows
    client.post("/api/org/import/people", {"file": SimpleUploadedFile("p.csv", _csv(1, 0))})
    PersonImporter(Actor(user=user, source=Source.API)).run(
        io.BytesIO(_csv(1, 0)), "people.csv", dry_run=True
    )
    for _ in range(args.samples):
        data = _csv(args.rows, start)
        start += args.rows
        began = time.perf_counter()
        response = client.post(
            "/api/org/import/people?dry_run=false",
            {"file": SimpleUploadedFile("people.csv", data)},
        )
        queued.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 202, response.content[:300]
        data = _csv(args.rows, start)
        start += args.rows
        began = time.perf_counter()
        report = PersonImporter(Actor(user=user, source=Source.API)).run(
            io.BytesIO(data), "people.csv", dry_run=False
        )
        inline.append((time.perf_counter() - began) * 1000)
        assert report.applied, report.file_errors
    load = os.getloadavg()
    print(f"rows per file: {args.rows}, samples: {args.samples}, load average: {load}")
    for name, values in (("queued (202)", queued), ("in request", inline)):
        print(
            f"{name:>14}: p50 {statistics.median(values):8.1f} ms  p95 {_pct(values, 0.95):8.1f} ms"
        )
    ratio = statistics.median(inline) / statistics.median(queued)
    print(f"ratio in-request / queued (p50): {ratio:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
