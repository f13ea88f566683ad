"""From a cell (text) to a field value, by the model field's type: one rule per type.

Every importer reads dates, numbers and choices the same way and says the same thing about a
bad cell; the limits (max length, digits, ranges, choices) are then checked by the field
itself (:class:`~.fastpath.FieldChecker`), never by copies of them. What a cell may say:

* choices: the stored value or its label, any case (``"Tier 1 (mission critical)"`` or ``1``);
* dates: ``YYYY-MM-DD`` (a timestamp's date part is accepted);
* decimals: ``1,234.50`` (thousands commas dropped), rounded to the field's places;
* whole numbers: an optional sign and digits;
* booleans: true/false, yes/no, 1/0;
* text: as written (trimmed by the file reader).

An empty cell takes the field's default, else empty (``None`` for nullable fields); a field
that may be neither is ``required``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models

from .report import RowError

Parser = Callable[[str, str], Any]  # (cell, column) -> value, or RowError
TRUE, FALSE = frozenset({"true", "yes", "1", "y"}), frozenset({"false", "no", "0", "n"})


def parse_date(value: str, column: str) -> dt.date | None:
    """``YYYY-MM-DD`` (or a timestamp starting with one); empty is ``None``."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise RowError(f"{value!r} is not a date (use YYYY-MM-DD)", column) from None


def parse_decimal(value: str, column: str, places: int | None = None) -> Decimal | None:
    """A finite number (thousands commas allowed), rounded to ``places`` when given."""
    if not value:
        return None
    try:
        number = Decimal(value.replace(",", ""))
    except InvalidOperation:
        raise RowError(f"{value!r} is not a number", column) from None
    if not number.is_finite():
        raise RowError(f"{value!r} is not a number", column)
    if places is not None:
        # Too many digits to round: the field's own max_digits check reports it.
        with contextlib.suppress(InvalidOperation):
            number = number.quantize(Decimal(1).scaleb(-places))
    return number


def parse_integer(value: str, column: str) -> int | None:
    """An optionally signed whole number; empty is ``None``."""
    if not value:
        return None
    digits = value.strip()
    body = digits[1:] if digits[:1] in ("+", "-") else digits
    if not body.isdecimal():
        raise RowError("not a whole number", column)
    return int(digits)


def parse_boolean(value: str, column: str) -> bool | None:
    """true/false, yes/no, 1/0 (any case); empty is ``None``."""
    if not value:
        return None
    lowered = value.strip().lower()
    if lowered in TRUE:
        return True
    if lowered in FALSE:
        return False
    raise RowError(f"{value!r} is not true or false", column)


def choice_parser(choices: Iterable[tuple[Any, Any]]) -> Callable[[str, str], Any]:
    """A parser accepting a choice's value or label (any case), memoised per distinct cell
    (a file repeats a handful of values)."""
    pairs = list(choices)
    names: dict[str, Any] = {}
    for value, label in reversed(pairs):  # the first choice wins a clash, as a scan would
        names[str(label).lower()] = value
        names[str(value).lower()] = value
    listed = ", ".join(str(value) for value, _ in pairs)

    def parse(cell: str, column: str) -> Any:
        found = names.get(cell.strip().lower(), names)
        if found is names:
            raise RowError(f"{cell!r} is not one of {listed}", column)
        return found

    return parse


def _empty(model_field: models.Field[Any, Any]) -> Callable[[str], Any]:
    """What an empty cell means for the field: its default, empty, or an error."""
    if model_field.has_default():
        return lambda column: model_field.get_default()
    if model_field.null:
        return lambda column: None
    if model_field.blank:
        return lambda column: ""
    return _required


def _required(column: str) -> Any:
    raise RowError("required", column)


def field_parser(model_field: models.Field[Any, Any]) -> Parser:
    """The cell parser for one concrete, non-relational model field."""
    if model_field.is_relation:
        raise ImproperlyConfigured(f"{model_field.name}: references resolve through lookups")
    if model_field.choices:
        pick = choice_parser(model_field.flatchoices)
        empty = _empty(model_field)
        return lambda cell, column: pick(cell, column) if cell else empty(column)
    internal = model_field.get_internal_type()
    if internal == "DateField":
        return parse_date
    if internal == "DecimalField":
        places = model_field.decimal_places  # type: ignore[attr-defined]
        return lambda cell, column: parse_decimal(cell, column, places)
    if internal.endswith("IntegerField"):
        return parse_integer
    if internal == "BooleanField":
        empty = _empty(model_field)
        return lambda cell, column: parse_boolean(cell, column) if cell else empty(column)
    if internal in ("CharField", "TextField", "EmailField", "URLField", "SlugField"):
        return lambda cell, column: cell
    raise ImproperlyConfigured(
        f"{model_field.name}: no cell rule for a {internal}; parse it in the importer's values()"
    )


class CellParsers:
    """The cell parsers of one model's fields, built on first use."""

    def __init__(self, model: type[models.Model]) -> None:
        self.fields: Mapping[str, models.Field[Any, Any]] = {
            f.name: f for f in model._meta.concrete_fields
        }
        self._parsers: dict[str, Parser] = {}

    def parser(self, name: str) -> Parser:
        """The parser of field ``name``."""
        found = self._parsers.get(name)
        if found is None:
            found = self._parsers[name] = field_parser(self.fields[name])
        return found

    def parse(self, name: str, cell: str, column: str | None = None) -> Any:
        """The value of field ``name`` given as ``cell`` (errors name ``column`` or ``name``)."""
        return self.parser(name)(cell, column or name)


def nul_error(cells: Mapping[str, str]) -> RowError | None:
    """PostgreSQL cannot store NUL characters: name the first cell holding one (Django's
    ``ProhibitNullCharactersValidator`` message, which checked fields would give)."""
    for column, value in cells.items():
        if "\x00" in value:
            return RowError("Null characters are not allowed.", column)
    return None
