"""The :class:`Importer`: plan every row, then write all of it or nothing."""

from __future__ import annotations

import contextlib
import functools
import gc
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any, ClassVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction

from assetgraph.accounts.permissions import has_perm, restrict
from assetgraph.audit.services import EventSpec, record_events

from ..actor import Actor, Source
from ..errors import PermissionDenied, ValidationFailed
from ..registry import object_type_key
from ..tabular import Row, TableError, read_table
from .fastpath import FieldChecker, InstanceFactory, Snapshotter, snapshot_fields
from .inserts import insert_rows
from .statistics import refresh_planner_statistics

Progress = Callable[[int, int | None], None]


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while an import plans and writes.

    A large import allocates millions of container objects (rows, instances, snapshots) that
    live until it ends and form no cycles; the collector would rescan them over and over
    (~15 % of a 100k-row import). Reference counting still frees everything as usual; the
    collector resumes (if it was enabled) when the import ends, however it ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class RowError(Exception):
    """A problem with one cell or row; ``column`` names the column when known."""

    def __init__(self, message: str, column: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.column = column


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
    rows: list[RowResult]
    file_errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.file_errors and not any(r.action == "error" for r in self.rows)

    def counts(self) -> dict[str, int]:
        counts = {"create": 0, "update": 0, "unchanged": 0, "error": 0}
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


class Importer(ABC):
    """Base of every importer; subclasses define the key, the columns and the parsing."""

    model: ClassVar[type[models.Model]]
    key_column: ClassVar[str]
    required_columns: ClassVar[tuple[str, ...]] = ()
    optional_columns: ClassVar[tuple[str, ...]] = ()

    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        self.user = actor.user
        self._refs: dict[tuple[str, str], Any] = {}
        self._snapshot_fields = snapshot_fields(self.model)
        self.snapshot = Snapshotter(self.model)
        self.new_instance = InstanceFactory(self.model)
        # References were resolved to visible, existing objects by ``ref``: re-checking each
        # with a query per row would only repeat that. Keys and constraints are checked in
        # bulk (and by the database).
        self.checker = FieldChecker(
            self.model, (f.name for f in self.model._meta.concrete_fields if f.is_relation)
        )

    def ref(self, model: type[models.Model], value: str, column: str, *fields: str) -> Any:
        """Resolve a reference cell among visible objects, memoised per file."""
        if not value:
            return None
        key = (column, value.lower())
        if key not in self._refs:
            self._refs[key] = lookup(self.visible(model), value, column, *fields)
        return self._refs[key]

    # -- what subclasses implement --------------------------------------------------------

    @abstractmethod
    def existing(self, keys: list[str]) -> dict[str, models.Model]:
        """Existing objects by key, for the keys in the file (one query)."""

    @abstractmethod
    def values(self, row: Row) -> tuple[dict[str, Any], dict[str, Any]]:
        """Field values from a row: (immediate, deferred). Raise :class:`RowError`."""

    def order(self, rows: list[Row]) -> list[Row]:
        """The order rows are applied in (e.g. parents before children)."""
        return rows

    def prepare(self, instance: models.Model) -> None:  # noqa: B027 - optional hook
        """Adjust derived fields before validation (e.g. a location's path)."""

    def apply_deferred(self, results: list[RowResult]) -> list[models.Model]:
        """Apply values that reference rows of the same file; return changed instances."""
        return []

    # -- the engine ------------------------------------------------------------------------

    @property
    def object_type(self) -> str:
        return object_type_key(self.model)

    def visible(self, model: type[models.Model]) -> models.QuerySet[Any]:
        """Reference targets the importing user may see (everything for system actors)."""
        queryset = model._default_manager.all()
        return queryset if self.actor.is_system else restrict(queryset, self.user, "view")

    def columns(self) -> set[str]:
        """Every column the file may have."""
        return {self.key_column, *self.required_columns, *self.optional_columns}

    def check_header(self, header: list[str]) -> None:
        """A header missing a required column or naming an unknown one is a file error."""
        missing = [c for c in (self.key_column, *self.required_columns) if c not in header]
        if missing:
            raise TableError(f"missing column(s): {', '.join(missing)}")
        known = self.columns()
        unknown = [c for c in header if c and c not in known]
        if unknown:
            raise TableError(
                f"unknown column(s): {', '.join(unknown)} (known: {', '.join(sorted(known))})"
            )

    def run(
        self,
        stream: IO[bytes],
        filename: str,
        *,
        dry_run: bool,
        progress: Progress | None = None,
        job_id: str | None = None,
    ) -> ImportReport:
        """Plan every row, then write all of it or nothing."""
        job_id = job_id or uuid.uuid4().hex  # a background job passes its own id
        report = ImportReport(self.object_type, dry_run, applied=False, job_id=job_id, rows=[])
        try:
            header, row_iter = read_table(stream, filename)
            self.check_header(header)
            rows = list(row_iter)
        except TableError as exc:
            report.file_errors.append(str(exc))
            return report
        self._check_permissions()
        with _collector_paused():
            report.rows = self.plan(self.order(rows), progress)
            if report.ok and not dry_run:
                self.apply(report.rows, job_id, progress)
                report.applied = True
        if report.applied:
            refresh_planner_statistics([self.model], len(report.rows))
        return report

    def _check_permissions(self) -> None:
        if self.actor.is_system:
            return
        if not (
            has_perm(self.user, self.object_type, "add")
            or has_perm(self.user, self.object_type, "change")
        ):
            raise PermissionDenied(f"you may not import {self.model._meta.verbose_name_plural}")

    def plan(self, rows: list[Row], progress: Progress | None = None) -> list[RowResult]:
        """Validate each row against the database and the rest of the file."""
        keys = [r.values.get(self.key_column, "") for r in rows]
        existing = self.existing([k for k in keys if k])
        self.existing_objects = existing
        changeable = self._changeable(existing)
        can_add = self.actor.is_system or has_perm(self.user, self.object_type, "add")
        seen: dict[str, int] = {}
        results: list[RowResult] = []
        for index, row in enumerate(rows):
            key = row.values.get(self.key_column, "")
            result = RowResult(number=row.number, key=key, action="error")
            results.append(result)
            if progress and index % 500 == 0:
                progress(index, len(rows))
            if not key:
                result.errors.append(f"{self.key_column}: required")
                continue
            if key in seen:
                result.errors.append(
                    f"{self.key_column}: {key!r} already appears on row {seen[key]}"
                )
                continue
            seen[key] = row.number
            try:
                immediate, deferred = self.values(row)
            except RowError as exc:
                result.errors.append(f"{exc.column}: {exc.message}" if exc.column else exc.message)
                continue
            current = existing.get(key)
            if current is not None and current.pk not in changeable:
                result.errors.append(f"{self.key_column}: you may not change {key!r}")
                continue
            if current is None and not can_add:
                result.errors.append(
                    f"{self.key_column}: you may not create {self.model._meta.verbose_name_plural}"
                )
                continue
            self._plan_row(result, current, immediate, deferred)
        if progress:
            progress(len(rows), len(rows))
        return results

    def _changeable(self, existing: dict[str, models.Model]) -> set[Any]:
        pks = [obj.pk for obj in existing.values()]
        if self.actor.is_system:
            return set(pks)
        return set(
            restrict(
                self.model._default_manager.filter(pk__in=pks), self.user, "change"
            ).values_list("pk", flat=True)
        )

    def _plan_row(
        self,
        result: RowResult,
        current: models.Model | None,
        immediate: dict[str, Any],
        deferred: dict[str, Any],
    ) -> None:
        if current is None:
            instance = self.new_instance(immediate)
            before: dict[str, Any] = {}
        else:
            instance = current
            before = self.snapshot(current)
            for name, value in immediate.items():
                setattr(instance, name, value)
        self.prepare(instance)
        try:
            self.checker.check(instance)
        except DjangoValidationError as exc:
            failed = ValidationFailed.from_django(exc)
            result.errors.extend(
                f"{name}: {msg}" if name != "__all__" else msg
                for name, msgs in failed.fields.items()
                for msg in msgs
            )
            return
        result.instance = instance
        result.deferred = deferred
        if current is None:
            result.action = "create"
            result.planned = functools.partial(self._planned_snapshot, instance, deferred)
        else:
            after = self._planned_snapshot(instance, deferred)
            changed = {k: [before.get(k), after[k]] for k in after if before.get(k) != after[k]}
            result.changes = changed
            result.action = "update" if changed else "unchanged"

    def _planned_snapshot(self, instance: models.Model, deferred: dict[str, Any]) -> dict[str, Any]:
        after = self.snapshot(instance)
        for name, value in deferred.items():
            after[name] = value.pk if isinstance(value, models.Model) else value
        return after

    def apply(
        self, results: list[RowResult], job_id: str, progress: Progress | None = None
    ) -> None:
        """Write the plan in one transaction: bulk creates/updates, then bulk audit events."""
        actor = self.actor.for_job(
            job_id, Source.IMPORT if self.actor.source != Source.CLI else Source.CLI
        )
        creates = [r for r in results if r.action == "create"]
        updates = [r for r in results if r.action == "update"]
        with transaction.atomic():
            self.bulk_create([r.instance for r in creates])
            update_fields = sorted(
                {k for r in updates for k in r.changes if k not in self.deferred_fields()}
            )
            if update_fields:
                self.model._default_manager.bulk_update(
                    [r.instance for r in updates], update_fields, batch_size=1000
                )
            self.apply_deferred(results)
            self._verify_constraints([r.instance.pk for r in creates], "add")
            self._verify_constraints([r.instance.pk for r in updates], "change")
            record_events(actor, self._events(creates, updates))

    def deferred_fields(self) -> set[str]:
        """Field names set by :meth:`apply_deferred` instead of the bulk update."""
        return set()

    def bulk_create(self, instances: list[Any]) -> None:
        """Insert new objects (subclasses may need ordering, e.g. tree levels)."""
        insert_rows(self.model, instances)

    def _verify_constraints(self, pks: list[Any], action: str) -> None:
        if self.actor.is_system or not pks:
            return
        allowed = set(
            restrict(self.model._default_manager.filter(pk__in=pks), self.user, action).values_list(
                "pk", flat=True
            )
        )
        if len(allowed) != len(set(pks)):
            raise PermissionDenied(
                f"your permissions do not allow some of these {self.model._meta.verbose_name_plural}"  # noqa: E501
            )

    def _events(self, creates: list[RowResult], updates: list[RowResult]) -> Iterator[EventSpec]:
        for result in creates:
            after = self.snapshot(result.instance)
            yield EventSpec(
                self.object_type,
                result.instance.pk,
                "create",
                None,
                after,
                str(result.instance),
                self.snapshot.changed_on_create(after),
            )
        for result in updates:
            before = {k: v[0] for k, v in result.changes.items()}
            after = {k: v[1] for k, v in result.changes.items()}
            yield EventSpec(
                self.object_type, result.instance.pk, "update", before, after, str(result.instance)
            )


def lookup(
    queryset: models.QuerySet[Any],
    value: str,
    column: str,
    *fields: str,
    label: str | None = None,
) -> Any:
    """Resolve a reference cell by id (``#12`` or ``12`` when numeric) or by one of ``fields``."""
    if not value:
        return None
    candidates: Iterable[Any] = []
    for name in fields:
        found = list(queryset.filter(**{f"{name}__iexact": value})[:2])
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise RowError(f"{value!r} matches more than one {label or column}; use its id", column)
    stripped = value.removeprefix("#")
    if stripped.isdigit():
        candidates = list(queryset.filter(pk=int(stripped))[:1])
        if candidates:
            return candidates[0]
    raise RowError(f"{label or column} {value!r} not found", column)
