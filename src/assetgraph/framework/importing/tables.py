"""Writing a plan of plain tuples for one model: columns, conversions and create events are
derived from the model's fields, once per import.

A streaming importer keeps each planned row as a tuple of the fields it sets (``columns``,
by attname). :class:`PlannedTable` knows the rest from ``Model._meta``: the primary key
(reserved up front), the ``auto_now``/``auto_now_add`` stamps and ``default=timezone.now``
fields (the import's moment), constant defaults, nullable fields left empty, which columns
are JSON, and the audit snapshot (the same dict ``audit.services.snapshot`` records). A field
that is NOT NULL, has no default and is not planned is a configuration error, raised when the
table is declared rather than by the database half-way through an import.

The per-row work is compiled into one small function per import (a tuple expression and a
``%`` template over the snapshot's JSON): a million-row import spends microseconds per row,
and a generic loop over the columns would double that.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connections, models
from django.utils import timezone

from assetgraph.audit.services import json_value
from assetgraph.core.natural import joined_key
from assetgraph.core.registry import object_type_key

from .fastpath import _IDENTITY_TYPES, snapshot_fields
from .inserts import _column_adapter
from .writes import AuditRows, db_datetime, dumps, reserve_ids, update_rows, write_rows

# Integer types whose non-null values the create event writes with ``%d`` (no JSON call).
_INTEGER_TYPES = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveBigIntegerField",
        "PositiveSmallIntegerField",
    }
)


def _compile(args: str, expression: str, namespace: dict[str, Any]) -> Callable[..., Any]:
    """A one-line function ``(args) -> expression`` (see the module docstring for why)."""
    source = f"def _compiled({args}):\n    return {expression}\n"
    exec(source, namespace)  # noqa: S102 - built from model metadata (field indexes), never from data
    function: Callable[..., Any] = namespace["_compiled"]
    return function


def _natural_call(indexes: tuple[int, ...]) -> str:
    """The expression computing a sort key from the planned columns at ``indexes``."""
    return "_natural(" + ", ".join(f"r[{i}]" for i in indexes) + ")"


def _is_now(model_field: models.Field[Any, Any]) -> bool:
    """Whether the field is stamped with the write's moment (auto_now, auto_now_add,
    ``default=timezone.now``)."""
    return bool(
        getattr(model_field, "auto_now", False)
        or getattr(model_field, "auto_now_add", False)
        or model_field.default is timezone.now
    )


def _integer(model_field: models.Field[Any, Any]) -> bool:
    target = model_field.target_field if model_field.is_relation else model_field  # type: ignore[attr-defined]
    return target.get_internal_type() in _INTEGER_TYPES and not model_field.null


class PlannedTable:
    """Inserts, updates and create events for planned tuples of ``model``.

    ``columns`` are the attnames each planned tuple holds, in order. Everything else comes
    from the model: see the module docstring.
    """

    def __init__(self, model: type[models.Model], columns: Sequence[str]) -> None:
        meta = model._meta
        pk = meta.pk
        assert pk is not None
        fields = {f.attname: f for f in meta.concrete_fields}
        unknown = [c for c in columns if c not in fields or fields[c] is pk]
        if unknown:
            raise ImproperlyConfigured(f"{model.__name__}: not plannable column(s) {unknown}")
        self.model = model
        self.columns = tuple(columns)
        self.object_type = object_type_key(model)
        self.position = {name: i for i, name in enumerate(self.columns)}
        self.fields = [fields[c] for c in self.columns]
        self.now_fields: list[models.Field[Any, Any]] = []
        self.constants: list[tuple[models.Field[Any, Any], Any]] = []
        self.nulls: list[models.Field[Any, Any]] = []
        # Sort keys (core.natural) computed from planned columns: (field, their indexes).
        self.derived: list[tuple[models.Field[Any, Any], tuple[int, ...]]] = []
        missing = []
        for model_field in meta.concrete_fields:
            if model_field is pk or model_field.attname in self.position:
                continue
            if getattr(model_field, "generated", False):
                continue
            sources = getattr(model_field, "sources", ())
            if getattr(model_field, "derived", False) and all(s in self.position for s in sources):
                self.derived.append((model_field, tuple(self.position[s] for s in sources)))
                continue
            default = model_field.default
            if _is_now(model_field):
                self.now_fields.append(model_field)
            elif model_field.has_default() and (not callable(default) or default in (dict, list)):
                self.constants.append((model_field, model_field.get_default()))
            elif not model_field.has_default() and model_field.empty_strings_allowed:
                # Text without a default: "" (or NULL if nullable), as ``Model()`` would.
                self.constants.append((model_field, model_field.get_default()))
            elif model_field.null and not model_field.has_default():
                self.nulls.append(model_field)
            else:
                missing.append(model_field.attname)
        if missing:
            raise ImproperlyConfigured(
                f"{model.__name__}: plan the column(s) {missing} (NOT NULL, no constant default)"
            )
        self.pk_column = str(pk.column)
        self.insert_columns = (
            self.pk_column,
            *(str(f.column) for f in self.fields),
            *(str(f.column) for f in self.now_fields),
            *(str(f.column) for f, _ in self.constants),
            *(str(f.column) for f, _ in self.derived),
        )

    # -- database values ----------------------------------------------------------------------

    def _value_expressions(self, namespace: dict[str, Any]) -> list[str]:
        """Per planned column, the expression turning ``r[i]`` into its database value."""
        db = connections[self.model._default_manager.db]
        namespace["_dumps"] = dumps
        expressions = []
        for index, model_field in enumerate(self.fields):
            internal = model_field.get_internal_type()
            if isinstance(model_field, models.JSONField):
                expressions.append(f"_dumps(r[{index}])")
            elif model_field.is_relation or internal in _IDENTITY_TYPES:
                expressions.append(f"r[{index}]")
            else:
                adapt = _column_adapter(model_field, db)
                if adapt is None:
                    expressions.append(f"r[{index}]")
                else:
                    if internal == "DateTimeField":
                        # Planned rows mostly carry the write's moment: convert it once.
                        adapt = functools.lru_cache(maxsize=64)(adapt)
                    namespace[f"_adapt{index}"] = adapt
                    expressions.append(f"_adapt{index}(r[{index}])")
        return expressions

    def _constant(self, model_field: models.Field[Any, Any], value: Any) -> Any:
        if isinstance(model_field, models.JSONField):
            return dumps(value)
        db = connections[self.model._default_manager.db]
        return model_field.get_db_prep_save(value, db)

    def insert(
        self, rows: Iterable[tuple[Any, ...]], now: dt.datetime, count: int | None = None
    ) -> Sequence[int]:
        """Insert the planned rows with reserved ids; returns the ids, in row order.

        ``rows`` may be a generator when ``count`` says how many it yields (a plan kept as
        arrays need not materialise a million tuples).
        """
        if count is None:
            assert isinstance(rows, Sequence)
            count = len(rows)
        ids = reserve_ids(self.model, count)
        if not count:
            return ids
        namespace: dict[str, Any] = {"_stamp": db_datetime(now)}
        parts = ["pk", *self._value_expressions(namespace)]
        parts += ["_stamp"] * len(self.now_fields)
        for index, (model_field, value) in enumerate(self.constants):
            namespace[f"_const{index}"] = self._constant(model_field, value)
            parts.append(f"_const{index}")
        namespace["_natural"] = joined_key
        parts += [_natural_call(indexes) for _, indexes in self.derived]
        build = _compile("pk, r", "(" + ", ".join(parts) + ",)", namespace)
        write_rows(
            self.model._meta.db_table,
            self.insert_columns,
            (build(pk, row) for pk, row in zip(ids, rows, strict=True)),
        )
        return ids

    def update(
        self,
        rows: Iterable[tuple[int, tuple[Any, ...]]],
        now: dt.datetime,
        only: Sequence[str] | None = None,
    ) -> None:
        """Set the planned values of existing rows: ``rows`` are ``(pk, planned tuple)``;
        ``only`` limits the columns written (the ``auto_now`` stamps are always set)."""
        chosen = self.columns if only is None else tuple(only)
        namespace: dict[str, Any] = {"_stamp": db_datetime(now)}
        values = self._value_expressions(namespace)
        stamped = [f for f in self.now_fields if getattr(f, "auto_now", False)]
        parts = [values[self.position[name]] for name in chosen]
        derived = [
            (f, indexes)
            for f, indexes in self.derived
            if any(self.columns[i] in chosen for i in indexes)
        ]
        namespace["_natural"] = joined_key
        parts += [_natural_call(indexes) for _, indexes in derived]
        parts += ["_stamp"] * len(stamped) + ["pk"]
        build = _compile("pk, r", "(" + ", ".join(parts) + ",)", namespace)
        columns = [str(self.fields[self.position[name]].column) for name in chosen]
        columns += [str(f.column) for f, _ in derived]
        columns += [str(f.column) for f in stamped]
        update_rows(self.model, columns, (build(pk, row) for pk, row in rows))

    # -- audit --------------------------------------------------------------------------------

    def create_events(
        self,
        audit: AuditRows,
        ids: Sequence[int],
        rows: Iterable[tuple[Any, ...]],
        now: dt.datetime,
        describe: Callable[[tuple[Any, ...]], str],
    ) -> Iterator[tuple[Any, ...]]:
        """One ``create`` event per inserted row: the snapshot ``audit.services.snapshot``
        would record for the saved object, and its non-empty fields as the changed ones."""
        namespace: dict[str, Any] = {"_dumps": dumps, "_json_value": json_value}
        template: list[str] = []
        arguments: list[str] = []
        always: set[str] = set()
        maybe: dict[str, int] = {}
        pk_name = self.model._meta.pk.name
        by_attname = {f.attname: f for f in self.model._meta.concrete_fields}
        for name, attname in snapshot_fields(self.model):
            key = dumps(name) + ": "
            model_field = by_attname[attname]
            if name == pk_name:
                template.append(key + "%d")
                arguments.append("pk")
                always.add(name)
            elif attname in self.position:
                index = self.position[attname]
                if _integer(model_field):
                    template.append(key + "%d")
                    arguments.append(f"r[{index}]")
                elif isinstance(model_field, models.DateField | models.DecimalField):
                    template.append(key + "%s")
                    arguments.append(f"_dumps(_json_value(r[{index}]))")
                else:
                    template.append(key + "%s")
                    arguments.append(f"_dumps(r[{index}])")
                if model_field.null:
                    maybe[name] = index
                else:
                    always.add(name)
            else:
                value = self._snapshot_constant(model_field, now)
                template.append(key + dumps(value).replace("%", "%%"))
                if value is not None:
                    always.add(name)
        text = "{" + ", ".join(template) + "}"
        namespace["_template"] = text
        after = _compile("pk, r", f"_template % ({', '.join(arguments)},)", namespace)
        changed = self._changed(always, maybe)
        object_type = self.object_type
        row = audit.row
        for pk, planned in zip(ids, rows, strict=True):
            yield row(
                object_type,
                pk,
                describe(planned),
                "create",
                None,
                after(pk, planned),
                changed(planned),
            )

    def _snapshot_constant(self, model_field: models.Field[Any, Any], now: dt.datetime) -> Any:
        if _is_now(model_field):
            return json_value(now)
        for constant, value in self.constants:
            if constant is model_field:
                return json_value(value)
        return None

    @staticmethod
    def _changed(always: set[str], maybe: dict[str, int]) -> Callable[[tuple[Any, ...]], str]:
        """The JSON list of a created row's non-empty fields, sorted (cached per pattern of
        empty nullable columns: a file has a handful)."""
        if not maybe:
            fixed = dumps(sorted(always))
            return lambda _row: fixed
        names = sorted(maybe)
        indexes = [maybe[name] for name in names]
        cache: dict[tuple[bool, ...], str] = {}

        def changed(row: tuple[Any, ...]) -> str:
            pattern = tuple(row[i] is None for i in indexes)
            found = cache.get(pattern)
            if found is None:
                present = always | {n for n, empty in zip(names, pattern, strict=True) if not empty}
                found = cache[pattern] = dumps(sorted(present))
            return found

        return changed
