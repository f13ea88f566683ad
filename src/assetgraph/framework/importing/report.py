"""What an import says about each row and about the file: errors, plans and the report."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

# Action codes of a streaming plan (one byte per row), and their names in reports.
CREATE, UPDATE, UNCHANGED, ERROR = 0, 1, 2, 3
ACTIONS = ("create", "update", "unchanged", "error")


class RowError(Exception):
    """A problem with one cell or row; ``column`` names the column when known."""

    def __init__(self, message: str, column: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.column = column

    def text(self) -> str:
        """``column: message``, as every report words a row error."""
        return f"{self.column}: {self.message}" if self.column else self.message


@dataclass
class RowResult:
    """The plan for one row: what would happen and why.

    ``changes`` (field → ``[old, new]``) of a new object is derived from a snapshot of the
    planned instance when first read (after an apply, that includes generated values): a
    large import that nobody diffs does not pay for it.
    """

    number: int
    key: str
    action: str  # create | update | unchanged | error
    errors: list[str] = field(default_factory=list)
    instance: Any = None
    deferred: dict[str, Any] = field(default_factory=dict)  # values applied after all rows exist
    planned: Callable[[], dict[str, Any]] | None = None  # snapshot of a new object
    _changes: dict[str, list[Any]] | None = field(default=None, repr=False)

    @property
    def changes(self) -> dict[str, list[Any]]:
        if self._changes is None:
            self._changes = {
                k: [None, v]
                for k, v in (self.planned() if self.planned else {}).items()
                if k != "id" and v is not None and v != ""
            }
        return self._changes

    @changes.setter
    def changes(self, value: dict[str, list[Any]]) -> None:
        self._changes = value


@dataclass
class ImportReport:
    """Outcome of an import: per-row results, counts, and whether it was written."""

    object_type: str
    dry_run: bool
    applied: bool
    job_id: str
    rows: Sequence[RowResult]
    file_errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.file_errors and not any(r.action == "error" for r in self.rows)

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(ACTIONS, 0)
        for row in self.rows:
            counts[row.action] += 1
        return counts

    def as_dict(self, include_unchanged: bool = False) -> dict[str, Any]:
        """JSON-ready report (changed and failed rows; unchanged rows only when asked)."""
        return {
            "object_type": self.object_type,
            "dry_run": self.dry_run,
            "applied": self.applied,
            "ok": self.ok,
            "job_id": self.job_id,
            "counts": self.counts(),
            "file_errors": self.file_errors,
            "rows": [
                {
                    "row": r.number,
                    "key": r.key,
                    "action": r.action,
                    "changes": r.changes,
                    "errors": r.errors,
                }
                for r in self.rows
                if include_unchanged or r.action != "unchanged"
            ],
        }


class PlannedRows(Sequence[RowResult]):
    """The per-row results of a streaming plan, built on access: a million-row import keeps
    only compact arrays, and the diff of a row is computed when a report lists it."""

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
