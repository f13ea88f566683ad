"""What the CMDB importers share: JSON input, the class cache, cell parsing and the bulk
import engine that plans millions of rows as tuples.

The project's generic :class:`~assetgraph.core.importing.Importer` plans a row by building a
model instance and running ``full_clean``; at a million CIs that is most of the time. The CMDB
importers keep its contract (all-or-nothing, dry-run diff, row-level errors naming row and
column, bulk audit events) but stream the file, validate each cell with the exact per-field
rule the model applies (same messages), resolve references in bulk and keep the plan as plain
tuples; :mod:`assetgraph.cmdb.bulk` then writes it with ``executemany``/``COPY``.
"""

from __future__ import annotations

import csv
import io
import uuid
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, overload

from django.db import models, transaction

from assetgraph.core.actor import Actor, Source
from assetgraph.core.importing import Importer, ImportReport, Progress, RowError, RowResult
from assetgraph.core.importing.statistics import refresh_planner_statistics
from assetgraph.core.tabular import (
    MAX_IMPORT_ROWS,
    Row,
    TableError,
    checked_csv_reader,
    read_table,
)

from .models import CIClass, ClassAttribute

CREATE, UPDATE, UNCHANGED, ERROR = 0, 1, 2, 3
ACTIONS = ("create", "update", "unchanged", "error")
CHUNK = 5_000  # rows planned together (one set of bulk look-ups)
IN_BATCH = 900  # values per IN (...) query: under SQLite's old 999-parameter limit


class JsonInput:
    """Accept a JSON array of objects as well as CSV/XLSX. :func:`~assetgraph.core.tabular.
    read_table` reads it (streaming, within the import limits, with messages saying what is
    wrong with a file that is not such an array); nested ``attributes`` objects become the
    JSON ``attributes`` column."""

    def run(self, stream: IO[bytes], filename: str, **kwargs: Any) -> Any:
        return super().run(stream, filename, **kwargs)  # type: ignore[misc]


class ClassCache:
    """Every class with its parent chain and effective definitions, loaded once per import
    (classes are few; walking parents per row would cost a query per level)."""

    def __init__(self) -> None:
        self.by_id: dict[int, CIClass] = {c.pk: c for c in CIClass.objects.all()}
        for ci_class in self.by_id.values():
            ci_class.parent = self.by_id.get(ci_class.parent_id) if ci_class.parent_id else None
        self.by_name = {c.name.lower(): c for c in self.by_id.values()}
        own: dict[int, list[ClassAttribute]] = {}
        for definition in ClassAttribute.objects.order_by("weight", "key"):
            own.setdefault(definition.ci_class_id, []).append(definition)
        self.definitions: dict[int, list[ClassAttribute]] = {
            pk: [d for c in ci_class.lineage() for d in own.get(c.pk, [])]
            for pk, ci_class in self.by_id.items()
        }
        self.keys: dict[int, frozenset[str]] = {
            pk: frozenset(d.key for d in defs) for pk, defs in self.definitions.items()
        }
        self.lineage: dict[int, frozenset[int]] = {
            pk: frozenset(ci_class.lineage_ids()) for pk, ci_class in self.by_id.items()
        }
        children: dict[int, list[int]] = {}
        for ci_class in self.by_id.values():
            if ci_class.parent_id:
                children.setdefault(ci_class.parent_id, []).append(ci_class.pk)
        self.children = children

    def subclasses(self, pk: int) -> list[int]:
        """The class and its descendants."""
        found, queue = [], [pk]
        while queue:
            node = queue.pop()
            if node not in found:
                found.append(node)
                queue.extend(self.children.get(node, []))
        return found


def choice(value: str, choices: Any, column: str) -> Any:
    """The stored value of a choice cell given by value or label (any case)."""
    lowered = value.strip().lower()
    for choice_value, label in choices.choices:
        if lowered in {str(choice_value).lower(), str(label).lower()}:
            return choice_value
    raise RowError(f"{value!r} is not one of {', '.join(str(v) for v in choices.values)}", column)


def attribute_cells(cells: dict[str, str], keys: Iterable[str]) -> dict[str, str]:
    """Attribute values given as ``attr.<key>`` or plain ``<key>`` columns."""
    found = {}
    for key in keys:
        if f"attr.{key}" in cells:
            found[key] = cells[f"attr.{key}"]
        elif key in cells:
            found[key] = cells[key]
    return found


def max_length_error(value: str, limit: int) -> str | None:
    """Django's ``MaxLengthValidator`` message, so bulk rows read like form errors."""
    if len(value) > limit:
        return f"Ensure this value has at most {limit} characters (it has {len(value)})."
    return None


class PlannedRows(Sequence[RowResult]):
    """The per-row results of a bulk plan, built on access: a million-row import keeps only
    compact arrays, and the diff of a row is computed when a report lists it."""

    def __init__(self, count: int, make: Callable[[int], RowResult]) -> None:
        self._count = count
        self._make = make

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> RowResult: ...

    @overload
    def __getitem__(self, index: slice) -> list[RowResult]: ...

    def __getitem__(self, index: int | slice) -> RowResult | list[RowResult]:
        if isinstance(index, slice):
            return [self._make(i) for i in range(*index.indices(self._count))]
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError(index)
        return self._make(index)

    def __iter__(self) -> Iterator[RowResult]:
        return (self._make(i) for i in range(self._count))


@dataclass
class PlannedReport(ImportReport):
    """An :class:`ImportReport` whose counts come from the plan, not from iterating rows."""

    tally: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.file_errors and not self.tally.get("error", 0)

    def counts(self) -> dict[str, int]:
        return {name: self.tally.get(name, 0) for name in ACTIONS}


class BulkImporter(Importer):
    """Streams a file through :meth:`plan_chunk`, then writes the plan with :meth:`write`.

    Subclasses record each row with :meth:`record` and describe it with :meth:`describe`.
    """

    def __init__(self, actor: Actor) -> None:
        super().__init__(actor)
        self.numbers = array("q")
        self.actions = bytearray()
        self.errors: dict[int, list[str]] = {}
        self.check_nul = True

    # The generic engine's per-row hooks: the bulk engine plans whole chunks instead.
    def existing(self, keys: list[str]) -> dict[str, models.Model]:
        """Not used: existing objects are looked up per chunk in :meth:`plan_chunk`."""
        raise NotImplementedError("bulk importers look up existing objects per chunk")

    def values(self, row: Row) -> tuple[dict[str, Any], dict[str, Any]]:
        """Not used: rows are parsed in :meth:`plan_chunk`."""
        raise NotImplementedError("bulk importers parse rows per chunk")

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

    # -- the engine ------------------------------------------------------------------------

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

    def run(
        self,
        stream: IO[bytes],
        filename: str,
        *,
        dry_run: bool,
        progress: Progress | None = None,
        job_id: str | None = None,
    ) -> ImportReport:
        """Plan every row (streaming), then write all of it in one transaction or nothing."""
        job_id = job_id or uuid.uuid4().hex  # a background job passes its own id
        report = PlannedReport(self.object_type, dry_run, applied=False, job_id=job_id, rows=[])
        try:
            raw = stream.read()
            # NUL characters cannot be stored by PostgreSQL: rows are checked only when the
            # file has any (an XLSX is compressed, so its rows are always checked).
            self.check_nul = b"\x00" in raw or not filename.lower().endswith((".csv", ".txt"))
            header, row_iter = read_rows(io.BytesIO(raw), filename)
            self.check_header(header)
            self._check_permissions()
            self.header = header
            self._plan(row_iter, progress)
        except TableError as exc:
            report.file_errors.append(str(exc))
            return report
        report.rows = PlannedRows(len(self.actions), self.describe)  # type: ignore[assignment]
        report.tally = {name: self.actions.count(code) for code, name in enumerate(ACTIONS)}
        if report.ok and not dry_run:
            actor = self.actor.for_job(
                job_id, Source.IMPORT if self.actor.source != Source.CLI else Source.CLI
            )
            with transaction.atomic():
                self.write(actor, progress)
            report.applied = True
            refresh_planner_statistics([self.model], len(self.actions))
        return report

    def _plan(self, rows: Iterator[Row], progress: Progress | None) -> None:
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

    def result(self, index: int, key: str, changes: dict[str, list[Any]]) -> RowResult:
        """A report row for planned row ``index``."""
        result = RowResult(
            number=self.numbers[index],
            key=key,
            action=ACTIONS[self.actions[index]],
            errors=list(self.errors.get(index, ())),
        )
        result.changes = changes  # a field or a property, depending on the engine's version
        return result


def read_rows(stream: IO[bytes], filename: str) -> tuple[list[str], Iterator[Row]]:
    """:func:`~assetgraph.core.tabular.read_table`, with a faster row loop for CSV.

    The header (and every file-level check) comes from ``read_table`` itself; CSV rows are
    then read with the same dialect, stripping and numbering, but built with C-level
    ``zip``/``map`` (a million-row file spends seconds in the generic per-cell loop).
    """
    if not filename.lower().endswith((".csv", ".txt")):
        return read_table(stream, filename)
    raw = stream.read()
    head = raw[:65536]
    if len(raw) > len(head) and b"\n" in head:
        head = head[: head.rindex(b"\n") + 1]  # whole lines: never cut a character in two
    header, _ = read_table(io.BytesIO(head if len(raw) > len(head) else raw), filename)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TableError(f"the file is not UTF-8 text (byte {exc.start})") from exc
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = checked_csv_reader(text, dialect)  # rows, columns and cells within the limits
    next(reader, None)
    width = len(header)
    strip = str.strip

    def rows() -> Iterator[Row]:
        for number, cells in enumerate(reader, start=2):
            values = list(map(strip, cells[:width]))
            if not any(values) and not any(map(strip, cells)):
                continue
            if number > MAX_IMPORT_ROWS + 1:
                raise TableError(f"more than {MAX_IMPORT_ROWS} rows")
            if len(values) < width:
                values.extend([""] * (width - len(values)))
            yield Row(number, dict(zip(header, values, strict=True)))

    return header, rows()


def nul_error(cells: dict[str, str]) -> RowError | None:
    """PostgreSQL cannot store NUL characters: name the first cell holding one."""
    for column, value in cells.items():
        if "\x00" in value:
            return RowError("Null characters are not allowed.", column)
    return None


def row_error_text(exc: RowError) -> str:
    """``column: message`` as the generic engine words it."""
    return f"{exc.column}: {exc.message}" if exc.column else exc.message
