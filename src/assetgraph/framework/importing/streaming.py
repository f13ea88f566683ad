"""The streaming engine: files of millions of rows planned in chunks, kept as compact arrays.

The instance engine (:class:`~.importer.Importer`) builds a model instance per row; at a
million CIs that is most of the time. A :class:`BulkImporter` keeps its contract — all or
nothing, dry-run diff, row-level errors naming row and column, bulk audit events — but
streams the file, validates each cell with the field's own rule and message
(:class:`~.fastpath.ValueChecker`), resolves references in bulk per chunk and keeps the plan
as tuples and arrays; :class:`~.tables.PlannedTable` writes it with ``executemany``/``COPY``.
"""

from __future__ import annotations

import io
from array import array
from collections.abc import Iterator
from typing import IO, Any

from django.db import transaction

from assetgraph.core.actor import Actor
from assetgraph.core.tabular import Row

from .base import ImportBase, Progress
from .reading import read_rows
from .report import ACTIONS, ERROR, ImportReport, PlannedReport, PlannedRows, RowResult

CHUNK = 5_000  # rows planned together (one set of bulk look-ups)


class BulkImporter(ImportBase):
    """Streams a file through :meth:`plan_chunk`, then writes the plan with :meth:`write`.

    Subclasses record each row with :meth:`record` (or :meth:`fail` it later), describe it
    for the report with :meth:`describe`, and write the plan in :meth:`write` (inside the
    import's transaction), typically through a :class:`~.tables.PlannedTable`.
    """

    def __init__(self, actor: Actor) -> None:
        super().__init__(actor)
        self.numbers = array("q")
        self.actions = bytearray()
        self.errors: dict[int, list[str]] = {}
        self.check_nul = True

    # -- what subclasses implement ---------------------------------------------------------

    def plan_chunk(self, rows: list[Row]) -> None:  # pragma: no cover - abstract
        """Validate a chunk of rows against the database and the rows before it."""
        raise NotImplementedError

    def finish_plan(self) -> None:
        """Checks that need the whole file (e.g. duplicates found by sorting)."""

    def describe(self, index: int) -> RowResult:  # pragma: no cover - abstract
        """The report row for planned row ``index``."""
        raise NotImplementedError

    def write(self, actor: Actor, progress: Progress | None) -> None:  # pragma: no cover
        """Apply the plan (inside the import's transaction)."""
        raise NotImplementedError

    # -- recording the plan ------------------------------------------------------------------

    def record(self, number: int, action: int, errors: list[str] | None = None) -> int:
        """Append one planned row; returns its index."""
        index = len(self.actions)
        self.numbers.append(number)
        self.actions.append(action)
        if errors:
            self.errors[index] = errors
        return index

    def fail(self, index: int, message: str) -> None:
        """Turn an already planned row into an error (e.g. a duplicate found later)."""
        self.actions[index] = ERROR
        self.errors.setdefault(index, []).append(message)

    def result(self, index: int, key: str, changes: dict[str, list[Any]]) -> RowResult:
        """A report row for planned row ``index``."""
        result = RowResult(
            number=self.numbers[index],
            key=key,
            action=ACTIONS[self.actions[index]],
            errors=list(self.errors.get(index, ())),
        )
        result.changes = changes
        return result

    # -- the engine ----------------------------------------------------------------------------

    def new_report(self, dry_run: bool, job_id: str) -> ImportReport:
        return PlannedReport(self.object_type, dry_run, applied=False, job_id=job_id, rows=[])

    def read(self, stream: IO[bytes], filename: str) -> tuple[list[str], Iterator[Row]]:
        raw = stream.read()
        # NUL characters cannot be stored by PostgreSQL: rows are checked only when the
        # file has any (an XLSX is compressed, so its rows are always checked).
        self.check_nul = b"\x00" in raw or not filename.lower().endswith((".csv", ".txt"))
        return read_rows(io.BytesIO(raw), filename)

    def plan_file(
        self, rows: Iterator[Row], report: ImportReport, progress: Progress | None
    ) -> None:
        chunk: list[Row] = []
        done = 0
        for row in rows:
            chunk.append(row)
            if len(chunk) >= CHUNK:
                self.plan_chunk(chunk)
                done += len(chunk)
                chunk = []
                if progress:
                    progress(done, None)
        if chunk:
            self.plan_chunk(chunk)
            done += len(chunk)
        self.finish_plan()
        if progress:
            progress(done, done)
        assert isinstance(report, PlannedReport)
        report.rows = PlannedRows(len(self.actions), self.describe)
        report.tally = {name: self.actions.count(code) for code, name in enumerate(ACTIONS)}

    def apply_plan(self, report: ImportReport, job_id: str, progress: Progress | None) -> None:
        with transaction.atomic():
            self.write(self.job_actor(job_id), progress)
            if progress:
                progress(len(self.actions), len(self.actions))
