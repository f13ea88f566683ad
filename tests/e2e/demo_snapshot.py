"""The demo company for the browser tests: loaded once per worker, then restored from a copy.

Why: a browser test needs committed data (the live server reads it from other threads), so it
cannot share the unit tests' demo transaction (``tests/shared_demo.py``), and the flush after
each transactional test empties every table. Loading the demo through the services takes
15 to 30 s; restoring a copy of the loaded tables takes well under a second. So the first test of
a worker that wants a demo variant (seed, people) loads it and copies the database; every
later one restores the copy. The data is the same either way: the copy is taken straight after
``load_demo``, before the test does anything.

How, per database:

- SQLite: the online backup API copies the whole test database into a private in-memory one,
  and back (the live server's connections see the restored file at their next statement).
- PostgreSQL: every table of the public schema is copied into a schema of its own
  (``e2e_demo_<seed>_<people>``, in the test database, which the flush does not touch), and
  restored with one ``TRUNCATE`` and one ``INSERT … SELECT`` per table, foreign keys checked at
  commit; the sequences get their values back too.

The audit checkpoint the load wrote (a file per test, ``ASSETGRAPH_AUDIT_CHECKPOINT_FILE``) is
kept with the copy and written back. A restore brings back the copy's ids and audit revision,
which a test before it may have reached with other data, so every cache keyed by them is
emptied: the in-process graph caches and Django's cache (the dashboard cards).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.shared_demo import clear_graph_caches


@dataclass
class _Copy:
    """One loaded demo variant's saved state."""

    sqlite: sqlite3.Connection | None
    schema: str | None
    tables: list[str]
    sequences: list[tuple[str, int]]
    checkpoint: bytes | None


_COPIES: dict[tuple[int, int], _Copy] = {}


def load_demo_once(seed: int = 42, people: int = 300) -> None:
    """Put the demo company (``seed``, ``people``) in the test database, from a copy if any."""
    from django.core.cache import cache
    from django.db import connection

    from assetgraph.demo.generator import load_demo

    key = (seed, people)
    copy = _COPIES.get(key)
    clear_graph_caches()
    cache.clear()
    if copy is None:
        load_demo(seed=seed, people=people)
        _COPIES[key] = _save(connection, key)
    else:
        _restore(connection, copy)
    clear_graph_caches()
    cache.clear()


def _checkpoint_path() -> Path:
    from django.conf import settings

    return Path(settings.ASSETGRAPH_AUDIT_CHECKPOINT_FILE)


def _save(connection: Any, key: tuple[int, int]) -> _Copy:
    path = _checkpoint_path()
    checkpoint = path.read_bytes() if path.exists() else None
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        target = sqlite3.connect(":memory:", check_same_thread=False)
        connection.connection.backup(target)
        return _Copy(target, None, [], [], checkpoint)
    schema = f"e2e_demo_{key[0]}_{key[1]}"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
        tables = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT sequencename, last_value FROM pg_sequences "
            "WHERE schemaname = 'public' AND last_value IS NOT NULL"
        )
        sequences = [(str(name), int(value)) for name, value in cursor.fetchall()]
        cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        cursor.execute(f'CREATE SCHEMA "{schema}"')
        for table in tables:
            cursor.execute(f'CREATE TABLE "{schema}"."{table}" AS TABLE public."{table}"')
    return _Copy(None, schema, tables, sequences, checkpoint)


def _restore(connection: Any, copy: _Copy) -> None:
    from django.db import transaction

    connection.ensure_connection()
    if copy.sqlite is not None:
        copy.sqlite.backup(connection.connection)
    else:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            listed = ", ".join(f'public."{table}"' for table in copy.tables)
            cursor.execute(f"TRUNCATE {listed}")
            for table in copy.tables:
                source = f'"{copy.schema}"."{table}"'
                cursor.execute(f'INSERT INTO public."{table}" SELECT * FROM {source}')
            for sequence, value in copy.sequences:
                cursor.execute("SELECT setval(%s, %s, true)", [f'public."{sequence}"', value])
    path = _checkpoint_path()
    if copy.checkpoint is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(copy.checkpoint)
    elif path.exists():
        path.unlink()
