"""How many values one SQL statement may carry: read from the connection, in one place.

SQLite refuses a statement with more bound parameters than it was compiled for (999 before
3.32, 32,766 since; :mod:`assetgraph.core.backends.sqlite3` reports the real figure through
``connection.features.max_query_params``). PostgreSQL's wire protocol caps a statement at
65,535 parameters and Django reports no limit (``None``). Every chunked ``IN`` query, multi-row
``INSERT`` and bulk update sizes its batches here, so the limit is never re-derived by hand.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

from django.db import DEFAULT_DB_ALIAS, connections

T = TypeVar("T")

# PostgreSQL's protocol limit (a 16-bit parameter count), for backends that report none.
PROTOCOL_LIMIT = 65_535
# Parameters left for the rest of a chunked query: its other filters and the permission
# constraints ``restrict`` adds. At SQLite's legacy limit this leaves 900 values per IN list.
RESERVED_PARAMS = 99
# Rows per bulk UPDATE: Django writes one ``CASE WHEN pk = … THEN …`` branch per row and
# field, whose cost grows faster than the row count, so batches stay small on any backend.
UPDATE_BATCH = 1_000


def max_query_params(using: str = DEFAULT_DB_ALIAS) -> int:
    """The bound-parameter limit of a statement on ``using``."""
    return connections[using].features.max_query_params or PROTOCOL_LIMIT


def in_batch_size(per_value: int = 1, using: str = DEFAULT_DB_ALIAS) -> int:
    """Values per chunk of an ``IN`` query whose values each appear ``per_value`` times.

    ``per_value`` counts how often the chunk is bound: ``name IN chunk OR hostname IN chunk``
    binds it twice.
    """
    limit = max_query_params(using)
    return max(1, (limit - min(RESERVED_PARAMS, limit // 10)) // max(1, per_value))


def in_batches(
    values: Sequence[T], per_value: int = 1, using: str = DEFAULT_DB_ALIAS
) -> Iterator[Sequence[T]]:
    """``values`` in chunks small enough for one ``IN (…)`` query each."""
    size = in_batch_size(per_value, using)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def rows_per_statement(columns: int, cap: int, using: str = DEFAULT_DB_ALIAS) -> int:
    """Rows of a multi-row ``INSERT … VALUES`` binding ``columns`` parameters each, at most
    ``cap`` (past a few thousand rows a statement gains nothing and holds more memory)."""
    return max(1, min(cap, max_query_params(using) // max(1, columns)))
