"""The bulk-write engine: every import, the demo and bulk services write through it.

An importer declares its model, upsert key, columns and reference lookups; the engine reads
the file (CSV, XLSX, optionally JSON), *plans* every row (create / update / unchanged /
error, with the field-level diff) using the model's own validation, then — if no row failed
and this is not a dry run — applies the plan in one transaction with batched writes and one
audit event per written object, written in bulk. Any error means nothing is written. Large
imports refresh PostgreSQL's planner statistics once committed.

Two planners share that contract (:class:`~.base.ImportBase`):

* :class:`Importer` — a model instance per row (people, locations, assets: up to ~100k rows);
* :class:`BulkImporter` — plans kept as tuples and arrays, streamed in chunks, written with
  ``executemany``/``COPY`` through a :class:`PlannedTable` (CIs, relationships: millions).

Code that already holds instances (the demo, generators) calls :func:`create_objects`. How
to write a new importer: ``docs/development/bulk-writes.md``.

The per-row hot path is compiled once per model (:class:`FieldChecker` for ``full_clean``,
:class:`InstanceFactory` for ``Model(**values)``, :class:`Snapshotter` for audit snapshots,
per-column adapters in :func:`insert_rows`, generated row builders in :class:`PlannedTable`);
each one is exact, falling back to Django's own code for anything it does not handle, so
imports validate and write what the ORM would. Query sizes come from
:mod:`assetgraph.core.batching` (the connection's parameter limit, in one place).
"""

from assetgraph.core.batching import in_batches, max_query_params

from .base import ImportBase, Progress, lookup
from .cells import (
    CellParsers,
    choice_parser,
    field_parser,
    nul_error,
    parse_boolean,
    parse_date,
    parse_decimal,
    parse_integer,
)
from .fastpath import (
    FieldChecker,
    InstanceFactory,
    Snapshotter,
    ValueChecker,
    fast_snapshot,
    snapshot_fields,
)
from .importer import Importer
from .inserts import insert_rows
from .objects import create_objects
from .report import (
    ACTIONS,
    CREATE,
    ERROR,
    UNCHANGED,
    UPDATE,
    ImportReport,
    PlannedReport,
    PlannedRows,
    RowError,
    RowResult,
)
from .statistics import refresh_planner_statistics
from .streaming import BulkImporter
from .tables import PlannedTable
from .writes import AuditRows, large_cache

__all__ = [
    "ACTIONS",
    "CREATE",
    "ERROR",
    "UNCHANGED",
    "UPDATE",
    "AuditRows",
    "BulkImporter",
    "CellParsers",
    "FieldChecker",
    "ImportBase",
    "ImportReport",
    "Importer",
    "InstanceFactory",
    "PlannedReport",
    "PlannedRows",
    "PlannedTable",
    "Progress",
    "RowError",
    "RowResult",
    "Snapshotter",
    "ValueChecker",
    "choice_parser",
    "create_objects",
    "fast_snapshot",
    "field_parser",
    "in_batches",
    "insert_rows",
    "large_cache",
    "lookup",
    "max_query_params",
    "nul_error",
    "parse_boolean",
    "parse_date",
    "parse_decimal",
    "parse_integer",
    "refresh_planner_statistics",
    "snapshot_fields",
]
