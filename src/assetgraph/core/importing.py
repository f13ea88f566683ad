"""All-or-nothing tabular imports with a dry-run diff and row-level errors.

An :class:`Importer` subclass says how to find an existing object from a row (the upsert key)
and how to turn cells into field values (resolving references by name or id). ``run`` first
*plans* every row (create / update / unchanged / error, with the field-level diff), then, if
no row failed and this is not a dry run, applies the plan in one transaction with batched
writes and bulk audit events. Any error means nothing is written.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any, ClassVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection, connections, models, transaction

from assetgraph.accounts.permissions import has_perm, restrict
from assetgraph.audit.services import EventSpec, json_value, record_events

from .actor import Actor, Source
from .errors import PermissionDenied, ValidationFailed
from .registry import object_type_key
from .tabular import Row, TableError, read_table

Progress = Callable[[int, int | None], None]
_PLAIN = (str, int, bool, float)
_IDENTITY_TYPES = frozenset(
    {
        "CharField",
        "TextField",
        "SlugField",
        "EmailField",
        "URLField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveBigIntegerField",
        "PositiveSmallIntegerField",
        "BooleanField",
        "ForeignKey",
        "OneToOneField",
    }
)


def snapshot_fields(model: type[models.Model]) -> list[tuple[str, str]]:
    """``(name, attname)`` of the fields :func:`audit.services.snapshot` records for a model."""
    excluded = set(getattr(model, "audit_exclude", ())) | {"created", "updated"}
    return [(f.name, f.attname) for f in model._meta.concrete_fields if f.name not in excluded]


def fast_snapshot(instance: models.Model, fields: list[tuple[str, str]]) -> dict[str, Any]:
    """The same dict as ``audit.services.snapshot`` (plain values pass through unchanged),
    without re-reading the model's metadata for every row of a large import."""
    data: dict[str, Any] = {}
    for name, attname in fields:
        value = getattr(instance, attname)
        data[name] = value if value is None or type(value) in _PLAIN else json_value(value)
    return data


def _max_params() -> int:
    if connection.vendor == "sqlite":
        import sqlite3

        # SQLite >= 3.32 allows 32,766 bound parameters (999 before).
        return 32_000 if sqlite3.sqlite_version_info >= (3, 32) else 990
    return 60_000  # PostgreSQL's protocol limit is 65,535


def insert_rows(model: type[models.Model], instances: list[Any], max_rows: int = 2000) -> None:
    """Insert new objects with multi-row ``INSERT … RETURNING pk`` and set their primary keys.

    Writes exactly what ``bulk_create`` writes (``pre_save`` for auto-now fields,
    ``get_db_prep_save`` for every value that is not already a plain database value) but
    prepares values with one converter per column instead of compiling each one through the
    ORM, which dominated large imports. Falls back to ``bulk_create`` when a primary key is set
    or the database cannot return rows from an insert.
    """
    if not instances:
        return
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    if any(obj.pk is not None for obj in instances) or not (
        connection.features.can_return_rows_from_bulk_insert
    ):
        model._default_manager.bulk_create(instances, batch_size=1000)
        return
    fields = [f for f in meta.concrete_fields if f is not pk and not getattr(f, "generated", False)]
    auto = [f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    plain = [f.get_internal_type() in _IDENTITY_TYPES for f in fields]
    db = connections[connection.alias]  # the wrapper itself: the proxy costs a lookup per value
    quote = db.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    head = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES "  # noqa: S608 - our names
    tail = f" RETURNING {quote(str(pk.column))}"
    per_batch = max(1, min(max_rows, _max_params() // max(1, len(fields))))
    with connection.cursor() as cursor:
        for start in range(0, len(instances), per_batch):
            batch = instances[start : start + per_batch]
            params: list[Any] = []
            for obj in batch:
                for field in auto:
                    field.pre_save(obj, True)
                for field, is_plain in zip(fields, plain, strict=True):
                    value = getattr(obj, field.attname)
                    if value is None or (is_plain and type(value) in _PLAIN):
                        params.append(value)
                    else:
                        params.append(field.get_db_prep_save(value, db))
            cursor.execute(head + ", ".join([row_sql] * len(batch)) + tail, params)
            ids = [row[0] for row in cursor.fetchall()]
            for obj, new_id in zip(batch, ids, strict=True):
                setattr(obj, pk.attname, pk.to_python(new_id))
                obj._state.adding = False
                obj._state.db = connection.alias


class RowError(Exception):
    """A problem with one cell or row; ``column`` names the column when known."""

    def __init__(self, message: str, column: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.column = column


@dataclass
class RowResult:
    """The plan for one row: what would happen and why."""

    number: int
    key: str
    action: str  # create | update | unchanged | error
    changes: dict[str, list[Any]] = field(default_factory=dict)  # field -> [old, new]
    errors: list[str] = field(default_factory=list)
    instance: Any = None
    deferred: dict[str, Any] = field(default_factory=dict)  # values applied after all rows exist


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

    def run(
        self, stream: IO[bytes], filename: str, *, dry_run: bool, progress: Progress | None = None
    ) -> ImportReport:
        """Plan every row, then write all of it or nothing."""
        job_id = uuid.uuid4().hex
        report = ImportReport(self.object_type, dry_run, applied=False, job_id=job_id, rows=[])
        try:
            header, row_iter = read_table(stream, filename)
            missing = [c for c in (self.key_column, *self.required_columns) if c not in header]
            if missing:
                raise TableError(f"missing column(s): {', '.join(missing)}")
            known = {self.key_column, *self.required_columns, *self.optional_columns}
            unknown = [c for c in header if c and c not in known]
            if unknown:
                raise TableError(
                    f"unknown column(s): {', '.join(unknown)} (known: {', '.join(sorted(known))})"
                )
            rows = list(row_iter)
        except TableError as exc:
            report.file_errors.append(str(exc))
            return report
        self._check_permissions()
        report.rows = self.plan(self.order(rows), progress)
        if report.ok and not dry_run:
            self.apply(report.rows, job_id, progress)
            report.applied = True
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
            instance = self.model(**immediate)
            before: dict[str, Any] = {}
        else:
            instance = current
            before = fast_snapshot(current, self._snapshot_fields)
            for name, value in immediate.items():
                setattr(instance, name, value)
        self.prepare(instance)
        # References were resolved to visible, existing objects by ``ref``: re-checking each
        # with a query per row would only repeat that. Keys and constraints are checked in bulk.
        resolved = [f.name for f in self.model._meta.concrete_fields if f.is_relation]
        try:
            instance.full_clean(exclude=resolved, validate_unique=False, validate_constraints=False)
        except DjangoValidationError as exc:
            failed = ValidationFailed.from_django(exc)
            result.errors.extend(
                f"{name}: {msg}" if name != "__all__" else msg
                for name, msgs in failed.fields.items()
                for msg in msgs
            )
            return
        after = fast_snapshot(instance, self._snapshot_fields)
        for name, value in deferred.items():
            after_value = value.pk if isinstance(value, models.Model) else value
            after[name] = after_value
        result.instance = instance
        result.deferred = deferred
        if current is None:
            result.action = "create"
            result.changes = {
                k: [None, v] for k, v in after.items() if k != "id" and v not in (None, "")
            }
        else:
            changed = {k: [before.get(k), after[k]] for k in after if before.get(k) != after[k]}
            result.changes = changed
            result.action = "update" if changed else "unchanged"

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
            yield EventSpec(
                self.object_type,
                result.instance.pk,
                "create",
                None,
                fast_snapshot(result.instance, self._snapshot_fields),
                str(result.instance),
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
