"""Bulk INSERTs prepared column by column (arrays per column on PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import itertools
import operator
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import connection, connections, models

from assetgraph.core.batching import rows_per_statement

from .fastpath import _IDENTITY_TYPES, _SNAPSHOT_PLAIN


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
        # Django sizes the batches from the connection's parameter limit.
        model._default_manager.bulk_create(instances)
        return
    fields = [f for f in meta.concrete_fields if f is not pk and not getattr(f, "generated", False)]
    auto = [
        f
        for f in fields
        if getattr(f, "auto_now", False)
        or getattr(f, "auto_now_add", False)
        or getattr(f, "derived", False)  # sort keys (core.natural) are computed on save
    ]
    db = connections[connection.alias]  # the wrapper itself: the proxy costs a lookup per value
    adapters = [_column_adapter(f, db) for f in fields]
    preps = [f.get_db_prep_save for f in fields]
    read = operator.attrgetter(*(f.attname for f in fields))
    quote = db.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    head = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES "  # noqa: S608 - our names
    tail = f" RETURNING {quote(str(pk.column))}"
    per_batch = rows_per_statement(len(fields), max_rows, connection.alias)
    unnest = _unnest_sql(fields, db)
    if unnest is not None:
        # One array parameter per column: the row count is not bound by the limit.
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
