"""Directory sync benchmark against a real OpenLDAP ``slapd`` (Debian's), side by side with
the directory read alone.

1. Starts slapd on 127.0.0.1 in a temporary directory and seeds ``--people`` entries
   (departments, a three-level management chain), as the tests do.
2. Baseline: the paged LDAP read and mapping alone (``read_directory``): entries/s.
3. First sync: every person created (one audited write each, managers first): people/s.
4. No-op sync: nothing changed, nothing written: entries/s.
5. Churn sync: 1 % movers, 1 % leavers (deactivated, offboarding opened), 1 % joiners:
   entries/s, and a check that exactly those changes were written.

Run: ``nice python benchmarks/integrations/bench_directory_sync.py [--people 5000]``
(a throw-away SQLite database, or ``ASSETGRAPH_DATABASE_URL``). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # the tests' slapd helper


def _setup() -> None:
    os.environ.setdefault("ASSETGRAPH_DATA_DIR", tempfile.mkdtemp(prefix="agbench-ldap-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "assetgraph.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=5000)
    options = parser.parse_args()
    _setup()
    from django.conf import settings

    from assetgraph.audit.models import AuditEvent
    from assetgraph.core.actor import Actor
    from assetgraph.integrations import conf
    from assetgraph.integrations.directory import read_directory
    from assetgraph.integrations.services import sync_directory
    from tests.integrations.slapd import ADMIN_DN, ADMIN_PASSWORD, PEOPLE, Directory, free_port

    server = Directory(Path(tempfile.mkdtemp(prefix="agbench-slapd-")), free_port())
    server.start()
    rows: list[tuple[str, int, float]] = []
    try:
        started = time.perf_counter()
        server.seed(options.people)
        seed_seconds = time.perf_counter() - started
        config = conf.directory(
            {
                "ASSETGRAPH_LDAP_URI": server.uri,
                "ASSETGRAPH_LDAP_BIND_DN": ADMIN_DN,
                "ASSETGRAPH_LDAP_BIND_PASSWORD": ADMIN_PASSWORD,
                "ASSETGRAPH_LDAP_USER_BASE": PEOPLE,
            }
        )
        settings.ASSETGRAPH_DIRECTORY = config
        actor = Actor.system("bench")

        started = time.perf_counter()
        records = read_directory(config)
        rows.append(
            ("LDAP read + mapping only (baseline)", len(records), time.perf_counter() - started)
        )

        started = time.perf_counter()
        first = sync_directory(actor)
        rows.append(
            ("first sync: every person created", first.created_count, time.perf_counter() - started)
        )
        assert first.created_count == options.people, first.errors[:3]

        started = time.perf_counter()
        noop = sync_directory(actor)
        rows.append(("no-op sync", noop.seen, time.perf_counter() - started))
        assert (noop.created_count, noop.updated_count, noop.deactivated_count) == (0, 0, 0)

        churn = max(1, options.people // 100)
        for n in range(1, churn + 1):
            server.modify(100 + n, departmentNumber="Finance", title="Controller")
            server.delete(options.people - n)
            server.add_person(options.people + n)
        events = AuditEvent.objects.filter(object_type="org.person").count()
        started = time.perf_counter()
        run = sync_directory(actor)
        rows.append(
            (
                f"churn sync: {churn} movers, leavers, joiners each",
                run.seen,
                time.perf_counter() - started,
            )
        )
        written = AuditEvent.objects.filter(object_type="org.person").count() - events
        assert run.created_count == churn
        assert run.deactivated_count == churn
        assert written == run.created_count + run.updated_count + run.deactivated_count
    finally:
        server.stop()

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(
        f"Directory sync, {options.people} people, {engine}, Python {platform.python_version()}, "
        f"slapd seeded in {seed_seconds:.1f} s\n"
    )
    print("| phase | entries | seconds | entries/s |")
    print("|---|---:|---:|---:|")
    for label, count, seconds in rows:
        print(f"| {label} | {count} | {seconds:.2f} | {count / seconds:,.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
