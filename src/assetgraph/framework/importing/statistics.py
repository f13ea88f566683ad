"""Planner statistics after a bulk load (PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, models

from assetgraph.audit.models import AuditEvent

# Below this many written rows autovacuum's own statistics stay close enough.
ANALYZE_AFTER_ROWS = 10_000


def refresh_planner_statistics(written: Iterable[type[models.Model]], rows: int) -> bool:
    """``ANALYZE`` the tables a large import filled (and the audit table), once committed.

    Why: until autovacuum gets to them, PostgreSQL plans with the old row counts and may scan
    instead of using an index — measured right after importing 1M CIs, a filtered 100-row
    CI page took 202 ms p95, and 19 ms after ``ANALYZE``. SQLite needs no refresh here (the
    queries it would mis-plan are written around that); inside an outer transaction (tests,
    nested use) the caller's commit is not ours, so nothing runs. Returns whether it ran.
    """
    if rows < ANALYZE_AFTER_ROWS or connection.vendor != "postgresql":
        return False
    if connection.in_atomic_block:
        return False
    tables = {model._meta.db_table for model in written} | {AuditEvent._meta.db_table}
    with connection.cursor() as cursor:
        for table in sorted(tables):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
    return True
