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

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import itertools
import operator
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any, ClassVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import MaxLengthValidator
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.db.models import signals
from django.db.models.base import ModelState

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


_SNAPSHOT_PLAIN = frozenset({str, int, bool, float, type(None)})
# Exactly what ``audit.services.json_value`` returns for these types.
_SNAPSHOT_TYPED: dict[type, Callable[[Any], Any]] = {
    dt.date: dt.date.isoformat,
    dt.datetime: dt.datetime.isoformat,
    Decimal: str,
}


class Snapshotter:
    """:func:`fast_snapshot` compiled for one model: one C-level ``attrgetter`` call reads
    every audited attribute, and only values that are not already JSON-plain are converted.
    The result is the same dict as ``audit.services.snapshot``."""

    def __init__(self, model: type[models.Model]) -> None:
        fields = snapshot_fields(model)
        self.names = [name for name, _ in fields]
        self.sorted_names = sorted(self.names)
        self._get = operator.attrgetter(*(attname for _, attname in fields))

    def __call__(self, instance: models.Model) -> dict[str, Any]:
        values = self._get(instance)
        if len(self.names) == 1:
            values = (values,)
        return {
            name: value
            if type(value) in _SNAPSHOT_PLAIN
            else (_SNAPSHOT_TYPED.get(type(value)) or json_value)(value)
            for name, value in zip(self.names, values, strict=True)
        }

    def changed_on_create(self, after: dict[str, Any]) -> list[str]:
        """``audit.services.changed_fields(None, after)`` without sorting per event."""
        return [name for name in self.sorted_names if after.get(name) is not None]


def _json_plain(value: Any, depth: int = 0) -> bool:
    """Whether ``json.dumps`` certainly accepts ``value`` (so its check can be skipped)."""
    kind = type(value)
    if value is None or kind in _PLAIN:
        return True
    if depth > 4:
        return False
    if kind is dict:
        return all(type(k) is str and _json_plain(v, depth + 1) for k, v in value.items())
    if kind is list:
        return all(_json_plain(v, depth + 1) for v in value)
    return False


_FAST_TYPES: dict[str, type] = {
    "CharField": str,
    "TextField": str,
    "SlugField": str,
    "EmailField": str,
    "URLField": str,
    "IntegerField": int,
    "BigIntegerField": int,
    "SmallIntegerField": int,
    "PositiveIntegerField": int,
    "PositiveBigIntegerField": int,
    "PositiveSmallIntegerField": int,
    "BooleanField": bool,
    "DateField": dt.date,
    "DecimalField": Decimal,
}


def _fast_accept(field: models.Field[Any, Any]) -> Callable[[Any], bool] | None:
    """A predicate that is true only for values ``field.clean`` returns unchanged.

    It checks the exact Python type, blank/choices, and runs the field's own validators
    (a max-length check inlined). Anything it does not accept goes through ``field.clean``,
    which converts the value or raises Django's exact error.
    """
    internal = field.get_internal_type()
    if internal == "JSONField":
        return lambda value: type(value) in (dict, list) and _json_plain(value)
    kind = _FAST_TYPES.get(internal)
    if kind is None:
        return None
    choices = frozenset(k for k, _ in field.flatchoices) if field.choices else None
    max_length: int | None = None
    others = []
    for validator in field.validators:
        if type(validator) is MaxLengthValidator and isinstance(validator.limit_value, int):
            max_length = validator.limit_value
        else:
            others.append(validator)
    empty = tuple(field.empty_values)

    def accept(value: Any) -> bool:
        if type(value) is not kind or value in empty:
            return False
        if choices is not None and value not in choices:
            return False
        if max_length is not None and len(value) > max_length:  # type: ignore[arg-type]
            return False
        try:
            for validator in others:
                validator(value)
        except DjangoValidationError:
            return False
        return True

    return accept


class FieldChecker:
    """``Model.full_clean`` for planned rows, compiled once per model (the import hot path).

    Same semantics as ``full_clean(exclude, validate_unique=False,
    validate_constraints=False)``: every field not excluded is cleaned (blank values of
    blank fields skipped), then ``Model.clean()`` runs even when a field failed, and the
    errors are Django's own, because any value the fast predicate does not accept goes
    through ``field.clean``. Uniqueness and constraints are checked in bulk by the importer
    and the database.
    """

    def __init__(self, model: type[models.Model], exclude: Iterable[str] = ()) -> None:
        skip = set(exclude)
        self.checks = [
            (f, f.attname, f.blank, tuple(f.empty_values), _fast_accept(f))
            for f in model._meta.fields
            if f.name not in skip and not getattr(f, "generated", False)
        ]

    def check(self, instance: models.Model) -> None:
        """Raise Django's ``ValidationError`` (a field → errors dict) for an invalid row."""
        errors: dict[str, Any] = {}
        for model_field, attname, blank, empty, accept in self.checks:
            value = getattr(instance, attname)
            if blank and value in empty:
                continue
            if accept is not None and accept(value):
                continue
            try:
                setattr(instance, attname, model_field.clean(value, instance))
            except DjangoValidationError as exc:
                errors[model_field.name] = exc.error_list
        if errors:
            errors = DjangoValidationError(errors).update_error_dict({})
        try:
            instance.clean()
        except DjangoValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise DjangoValidationError(errors)


class InstanceFactory:
    """Builds unsaved model instances for planned rows, like ``Model(**values)`` but without
    its per-keyword descriptor machinery (model instantiation was ~14 % of a large import).

    Falls back to the real constructor when the model has init signal receivers or a value
    is not a plain field value / related instance of the right class.
    """

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        meta = model._meta
        # Non-callable defaults are shared objects in Django too (``lambda: self.default``).
        dynamic = [f for f in meta.concrete_fields if f.has_default() and callable(f.default)]
        self.callables = [(f.attname, f.default) for f in dynamic]
        self.constant = {
            f.attname: f.get_default() for f in meta.concrete_fields if f not in dynamic
        }
        self.fields = {f.name: f for f in meta.concrete_fields}
        self.relations: dict[str, tuple[models.ForeignKey[Any, Any], type[models.Model]]] = {
            f.name: (f, f.related_model)
            for f in meta.concrete_fields
            if isinstance(f, models.ForeignKey)
        }
        self.exact = not (
            signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model)
        )

    def __call__(self, values: dict[str, Any]) -> Any:
        if not self.exact or any(name not in self.fields for name in values):
            return self.model(**values)
        instance = self.model.__new__(self.model)
        instance._state = ModelState()
        data = instance.__dict__
        data.update(self.constant)
        for attname, default in self.callables:
            data[attname] = default()
        for name, value in values.items():
            relation = self.relations.get(name)
            if relation is None:
                data[self.fields[name].attname] = value
            elif value is None:
                data[relation[0].attname] = None
            elif isinstance(value, relation[1]) and value._state.db in (None, DEFAULT_DB_ALIAS):
                data[relation[0].attname] = getattr(value, relation[0].target_field.attname)
                relation[0].set_cached_value(instance, value)
            else:
                setattr(instance, name, value)  # the descriptor raises Django's own error
        return instance


def _max_params() -> int:
    if connection.vendor == "sqlite":
        import sqlite3

        # SQLite >= 3.32 allows 32,766 bound parameters (999 before).
        return 32_000 if sqlite3.sqlite_version_info >= (3, 32) else 990
    return 60_000  # PostgreSQL's protocol limit is 65,535


def _adapt_column(
    values: tuple[Any, ...],
    adapt: Callable[[Any], Any] | None,
    prep: Callable[[Any, Any], Any],
    db: Any,
) -> list[Any] | tuple[Any, ...]:
    """One column of a batch as database values (plain values of plain columns as they are)."""
    if adapt is None:
        return [v if type(v) in _SNAPSHOT_PLAIN else prep(v, db) for v in values]
    return [adapt(v) for v in values]


def _column_adapter(model_field: models.Field[Any, Any], db: Any) -> Callable[[Any], Any] | None:
    """A converter to the database value for the common types, matching
    ``get_db_prep_save`` (which it falls back to); None for columns whose plain values
    (str, int, bool, float, None) pass as they are."""
    internal = model_field.get_internal_type()
    ops = db.ops
    prep = model_field.get_db_prep_save
    if internal in _IDENTITY_TYPES:
        return None
    if internal == "DateTimeField":
        # An aware datetime (what auto_now stamps) is what get_prep_value would produce.
        return lambda v: (
            ops.adapt_datetimefield_value(v)
            if type(v) is dt.datetime and v.tzinfo is not None
            else prep(v, db)
        )
    if internal == "DateField":
        return lambda v: ops.adapt_datefield_value(v) if type(v) is dt.date else prep(v, db)
    if internal == "DecimalField":
        digits, places = model_field.max_digits, model_field.decimal_places  # type: ignore[attr-defined]
        return lambda v: (
            ops.adapt_decimalfield_value(v, digits, places) if type(v) is Decimal else prep(v, db)
        )
    if internal == "JSONField":
        encoder = model_field.encoder  # type: ignore[attr-defined]
        return lambda v: (
            ops.adapt_json_value(v, encoder) if type(v) in (dict, list) else prep(v, db)
        )
    return lambda v: None if v is None else prep(v, db)


def _unnest_sql(fields: list[models.Field[Any, Any]], db: Any) -> str | None:
    """``SELECT * FROM UNNEST(%s::type[], …)`` on PostgreSQL when every column allows it.

    The same conditions as Django's own ``InsertUnnest``: standard internal types only, no
    per-value placeholders; types without their parameters so nothing is truncated.
    """
    if db.vendor != "postgresql":
        return None
    casts = []
    for model_field in fields:
        target = model_field.target_field if model_field.is_relation else model_field  # type: ignore[attr-defined]
        if target.get_internal_type() not in db.data_types or hasattr(
            model_field, "get_placeholder"
        ):
            return None
        casts.append(f"(%s)::{str(model_field.db_type(db)).split('(')[0]}[]")
    return f"SELECT * FROM UNNEST({', '.join(casts)})"  # noqa: S608 - our column types


def _array(values: list[Any] | tuple[Any, ...]) -> list[Any]:
    """A column as a PostgreSQL array parameter (``str`` subclasses, e.g. choices, as ``str``)."""
    return [str.__str__(v) if isinstance(v, str) and type(v) is not str else v for v in values]


def insert_rows(model: type[models.Model], instances: list[Any], max_rows: int = 2000) -> None:
    """Insert new objects with multi-row ``INSERT … RETURNING pk`` and set their primary keys.

    Writes exactly what ``bulk_create`` writes (``pre_save`` for auto-now fields,
    ``get_db_prep_save`` semantics for every value) but reads each row with one
    ``attrgetter`` call and prepares values with one converter per column instead of
    compiling each one through the ORM, which dominated large imports. On PostgreSQL the
    rows travel as one array per column (``INSERT … SELECT * FROM UNNEST(%s::type[], …)``,
    as Django's own ``bulk_create`` does): a handful of parameters instead of tens of
    thousands, which the driver would otherwise parse out of the statement per batch. Falls
    back to ``bulk_create`` when a primary key is set or the database cannot return rows
    from an insert.
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
    db = connections[connection.alias]  # the wrapper itself: the proxy costs a lookup per value
    adapters = [_column_adapter(f, db) for f in fields]
    preps = [f.get_db_prep_save for f in fields]
    read = operator.attrgetter(*(f.attname for f in fields))
    quote = db.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    head = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES "  # noqa: S608 - our names
    tail = f" RETURNING {quote(str(pk.column))}"
    per_batch = max(1, min(max_rows, _max_params() // max(1, len(fields))))
    unnest = _unnest_sql(fields, db)
    if unnest is not None:
        head, per_batch = f"INSERT INTO {quote(meta.db_table)} ({columns}) {unnest}", 5000
    with connection.cursor() as cursor:
        for start in range(0, len(instances), per_batch):
            batch = instances[start : start + per_batch]
            for obj in batch:
                for auto_field in auto:
                    auto_field.pre_save(obj, True)
            rows = [read(obj) for obj in batch] if len(fields) > 1 else [(read(o),) for o in batch]
            columns_values = [
                _adapt_column(values, adapt, prep, db)
                for values, adapt, prep in zip(
                    zip(*rows, strict=True), adapters, preps, strict=True
                )
            ]
            if unnest is not None:
                cursor.execute(head + tail, [_array(values) for values in columns_values])
            else:
                params = list(itertools.chain.from_iterable(zip(*columns_values, strict=True)))
                cursor.execute(head + ", ".join([row_sql] * len(batch)) + tail, params)
            ids = [row[0] for row in cursor.fetchall()]
            for obj, new_id in zip(batch, ids, strict=True):
                setattr(obj, pk.attname, pk.to_python(new_id))
                obj._state.adding = False
                obj._state.db = connection.alias


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
        with _collector_paused():
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
