"""The per-row hot path of imports, compiled once per model: field checks, instances, snapshots.

Each piece is exact: anything it does not handle falls back to Django's own code, so an import
validates and records what ``full_clean``, ``Model(**values)`` and the audit snapshot would.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import DEFAULT_DB_ALIAS, models
from django.db.models import signals
from django.db.models.base import ModelState

from assetgraph.audit.services import json_value

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
    return [
        (f.name, f.attname)
        for f in model._meta.concrete_fields
        if f.name not in excluded and getattr(f, "audited", True)
    ]


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
    low: int | None = None
    high: int | None = None
    others = []
    for validator in field.validators:
        limit = getattr(validator, "limit_value", None)
        if type(validator) is MaxLengthValidator and type(limit) is int:
            max_length = limit
        elif type(validator) is MinValueValidator and type(limit) is int and kind is int:
            low = int(limit)
        elif type(validator) is MaxValueValidator and type(limit) is int and kind is int:
            high = int(limit)
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
        number: Any = value  # an int here (checked above); the alias keeps mypy's view wide
        if (low is not None and number < low) or (high is not None and number > high):
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


class ValueChecker:
    """The field checks of :class:`FieldChecker` for planned values that are not in a model
    instance (a streaming import keeps rows as tuples), for the fields named.

    Why: a million-row plan cannot afford an instance per row, yet its cells must meet the
    same limits (max length, ranges, choices, validators) with the same messages as a form
    or the API; they come from the fields themselves, never from copies of their limits.
    ``Model.clean()`` is not run: the importer applies the model's cross-field rules.
    """

    def __init__(self, model: type[models.Model], names: Iterable[str]) -> None:
        wanted = set(names)
        self.checks = [
            (f, f.name, f.attname, f.blank, tuple(f.empty_values), _fast_accept(f))
            for f in model._meta.fields
            if f.name in wanted or f.attname in wanted
        ]

    def errors(self, values: Mapping[str, Any]) -> list[str]:
        """``field: message`` for each invalid value of ``values`` (keyed by attname), in the
        model's field order; an empty list when every value is valid."""
        errors: list[str] = []
        for model_field, name, attname, blank, empty, accept in self.checks:
            value = values[attname]
            if blank and value in empty:
                continue
            if accept is not None and accept(value):
                continue
            try:
                model_field.clean(value, None)  # no instance: plain fields only
            except DjangoValidationError as exc:
                errors.extend(f"{name}: {message}" for message in exc.messages)
        return errors


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
