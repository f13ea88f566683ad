"""All-or-nothing tabular imports with a dry-run diff and row-level errors.

An :class:`Importer` subclass says how to find an existing object from a row (the upsert key)
and how to turn cells into field values (resolving references by name or id). ``run`` first
*plans* every row (create / update / unchanged / error, with the field-level diff), then, if
no row failed and this is not a dry run, applies the plan in one transaction with batched
writes and bulk audit events. Any error means nothing is written.

The per-row hot path is compiled once per model (:class:`FieldChecker` for ``full_clean``,
:class:`InstanceFactory` for ``Model(**values)``, :class:`Snapshotter` for audit snapshots,
per-column adapters in :func:`insert_rows`); each one is exact, falling back to Django's own
code for anything it does not handle, so imports validate and write what the ORM would.
"""

from .fastpath import FieldChecker, InstanceFactory, Snapshotter, fast_snapshot, snapshot_fields
from .importer import Importer, ImportReport, Progress, RowError, RowResult, lookup
from .inserts import insert_rows

__all__ = [
    "FieldChecker",
    "ImportReport",
    "Importer",
    "InstanceFactory",
    "Progress",
    "RowError",
    "RowResult",
    "Snapshotter",
    "fast_snapshot",
    "insert_rows",
    "lookup",
    "snapshot_fields",
]
