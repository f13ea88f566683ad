"""Low-level bulk writes of plain tuples: reserved ids, ``executemany``/``COPY``, audit rows.

A plan of millions of rows is cheapest to apply without model instances: ids are reserved up
front (so audit rows can name their objects without reading anything back), rows go in with
``executemany`` on SQLite and ``COPY`` on PostgreSQL, and one audit event per created or
changed object is written the same way, unsealed, for the sealer to link into the hash chain
after commit (as ``record_events`` does). :class:`~.tables.PlannedTable` builds on these for
one model; the instance-based :class:`~.importer.Importer` writes its events here too.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection, models

from assetgraph.audit.models import AuditEvent
from assetgraph.audit.services import BULK_COLUMNS as AUDIT_COLUMNS
from assetgraph.audit.services import EventSpec, actor_columns, changed_fields, schedule_seal
from assetgraph.core.actor import Actor

# Rows per ``executemany`` call: one prepared statement, so the parameter limit does not
# apply; the batch only bounds the memory of the materialised rows.
WRITE_BATCH = 20_000
dumps = json.JSONEncoder(ensure_ascii=False).encode


def reserve_ids(model: type[models.Model], count: int) -> Sequence[int]:
    """Primary keys for ``count`` new rows, taken before inserting them.

    PostgreSQL: drawn from the table's sequence (safe with concurrent writers). SQLite: above
    the current maximum, which is safe because imports run in a ``BEGIN IMMEDIATE``
    transaction (the settings' ``transaction_mode``) that holds the write lock; the no-op
    update below takes that lock even under a deferred transaction mode.
    """
    if count == 0:
        return []
    assert connection.in_atomic_block, "reserve ids inside the import's transaction"
    meta = model._meta
    assert meta.pk is not None
    table, column = meta.db_table, str(meta.pk.column)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(
            f"UPDATE {quote(table)} SET {quote(column)} = {quote(column)} WHERE 0"  # noqa: S608 - our names
        )
        cursor.execute(f"SELECT COALESCE(MAX({quote(column)}), 0) FROM {quote(table)}")  # noqa: S608
        top = int(cursor.fetchone()[0])
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        top = max(top, int(row[0]) if row else 0)
    return range(top + 1, top + 1 + count)


def write_rows(table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> int:
    """Insert plain tuples (values already in database form, JSON as text); returns the count.

    PostgreSQL gets ``COPY … FROM STDIN`` (JSON parsed by the server); SQLite one prepared
    ``INSERT`` run with ``executemany`` per batch.
    """
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        marks = ", ".join("%s" for _ in columns)
        sql = f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})"  # noqa: S608 - our names
        iterator = iter(rows)
        while batch := list(itertools.islice(iterator, WRITE_BATCH)):
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def update_rows(
    model: type[models.Model], columns: Sequence[str], rows: Iterable[tuple[Any, ...]]
) -> None:
    """``UPDATE table SET columns… WHERE pk = last value`` for each tuple (``executemany``).

    ``columns`` are database column names; JSON columns take JSON text (cast on PostgreSQL).
    """
    meta = model._meta
    assert meta.pk is not None
    quote = connection.ops.quote_name
    json_columns = {f.column for f in meta.concrete_fields if isinstance(f, models.JSONField)}
    cast = "::jsonb" if connection.vendor == "postgresql" else ""
    sets = ", ".join(f"{quote(c)} = %s{cast if c in json_columns else ''}" for c in columns)
    sql = f"UPDATE {quote(meta.db_table)} SET {sets} WHERE {quote(str(meta.pk.column))} = %s"  # noqa: S608
    iterator = iter(rows)
    with connection.cursor() as cursor:
        while batch := list(itertools.islice(iterator, WRITE_BATCH)):
            cursor.executemany(sql, batch)


def db_datetime(value: Any) -> Any:
    """A datetime as the database driver takes it in raw SQL."""
    return connection.ops.adapt_datetimefield_value(value)


class AuditRows:
    """Builds audit-event tuples for one actor and one moment, and writes them in bulk."""

    def __init__(self, actor: Actor, timestamp: Any) -> None:
        self.timestamp = db_datetime(timestamp)
        self.fixed = actor_columns(actor)

    def row(
        self,
        object_type: str,
        object_id: Any,
        object_repr: str,
        action: str,
        before: str | None,
        after: str | None,
        changed: str,
    ) -> tuple[Any, ...]:
        """One event; ``before``/``after``/``changed`` are JSON text already."""
        return (
            self.timestamp,
            object_type,
            str(object_id),
            object_repr[:200],
            action,
            before,
            after,
            changed,
            *self.fixed,
        )

    def update_row(
        self, object_type: str, object_id: Any, object_repr: str, changes: dict[str, list[Any]]
    ) -> tuple[Any, ...]:
        """An ``update`` event from a plan's ``field → [old, new]`` diff (JSON-ready values)."""
        return self.row(
            object_type,
            object_id,
            object_repr,
            "update",
            dumps({k: v[0] for k, v in changes.items()}),
            dumps({k: v[1] for k, v in changes.items()}),
            dumps(sorted(changes)),
        )

    def from_specs(self, specs: Iterable[EventSpec]) -> Iterator[tuple[Any, ...]]:
        """Rows for :class:`~assetgraph.audit.services.EventSpec` s, as ``record_events``
        would write them (changed fields computed when a spec does not name them)."""
        for spec in specs:
            changed = (
                spec.changed
                if spec.changed is not None
                else changed_fields(spec.before, spec.after)
            )
            yield self.row(
                spec.object_type,
                spec.object_id,
                spec.object_repr,
                spec.action,
                None if spec.before is None else dumps(spec.before),
                None if spec.after is None else dumps(spec.after),
                dumps(changed),
            )

    def write(self, rows: Iterable[tuple[Any, ...]]) -> int:
        """Append the events; the sealer links them into the chain after commit."""
        count = write_rows(AuditEvent._meta.db_table, AUDIT_COLUMNS, rows)
        if count:
            schedule_seal()
        return count


@contextmanager
def large_cache() -> Iterator[None]:
    """On SQLite, a 1 GiB page cache for the length of a bulk write (index inserts into
    multi-million-row tables otherwise spill and re-read pages), then the usual size."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = cursor.fetchone()[0]
        cursor.execute("PRAGMA cache_size = -1048576")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


__all__ = [
    "AuditRows",
    "db_datetime",
    "dumps",
    "large_cache",
    "reserve_ids",
    "update_rows",
    "write_rows",
]
