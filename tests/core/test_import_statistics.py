"""After a large import, PostgreSQL's planner statistics are refreshed (ANALYZE)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from assetgraph.framework.importing import statistics
from assetgraph.org.models import Department


@pytest.mark.django_db(transaction=True)
def test_a_large_committed_import_analyzes_its_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(statistics, "ANALYZE_AFTER_ROWS", 3)
    for name in ("Ops", "Finance", "Sales"):
        Department.objects.create(name=name)
    assert statistics.refresh_planner_statistics([Department], 2) is False  # small: skipped
    ran = statistics.refresh_planner_statistics([Department], 3)
    assert ran is (connection.vendor == "postgresql")
    if ran:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples FROM pg_class WHERE relname = %s", [Department._meta.db_table]
            )
            assert cursor.fetchone()[0] == 3  # ANALYZE counted the rows just written


@pytest.mark.django_db
def test_nothing_runs_inside_the_callers_transaction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(statistics, "ANALYZE_AFTER_ROWS", 1)
    with transaction.atomic():
        assert statistics.refresh_planner_statistics([Department], 100) is False
