"""Natural, case-insensitive sort keys: "server2" before "server10", "alpha" with "Alpha".

Why a stored key rather than an ORDER BY expression: neither database can pad digit runs in
SQL portably (SQLite has no regular-expression replace), and an expression cannot use an
index, so a list of a million CIs sorted by name would sort the whole table for each page. A
:class:`NaturalSortKeyField` holds ``natural_key(<source>)``, is indexed, is filled on every
save (``pre_save``: services, ``bulk_create`` and the import engine's inserts) and by
:func:`sort_key_updates` for ``bulk_update``; the streaming import engine computes it from the
planned name column, and a data migration fills it for existing rows. Keyset paging orders by
it like any other column.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from django.db import models

_DIGITS = re.compile(r"\d+")


def natural_key(text: str | None) -> str:
    """The sort key of ``text``: case-folded (accents kept apart), each run of digits
    written as its length (two digits) and then the number without leading zeros, so that
    numbers compare by value at any length."""
    folded = unicodedata.normalize("NFKC", text or "").casefold().strip()
    return _DIGITS.sub(_number_key, folded)


def _number_key(match: re.Match[str]) -> str:
    """A run of digits as the key writes it: its length (two digits), then the number
    without leading zeros."""
    digits = match.group().lstrip("0") or "0"
    return f"{len(digits):02d}{digits}"


_TRAILING_DIGITS = re.compile(r"\d+$")
# Longest digit run a prefix search expects in a name (the key writes a run's length in two
# digits, so up to 99; 20 covers every real name number).
_MAX_RUN = 20


def prefix_ranges(text: str) -> tuple[list[tuple[str, str]], bool]:
    """Key ranges ``[low, high)`` that hold every name starting with ``text`` (case-folded),
    in key order, and whether a row in them must still be checked against ``text``.

    Without trailing digits, a name starts with ``text`` exactly when its key starts with
    ``text``'s key: one range, no check. A trailing number is a run the name may continue
    ("srv-1" → "srv-1", "srv-17", "srv-104"), whose key writes its length first, so there is a
    range per possible length, shortest first (which is also key order), and a check (the key
    drops leading zeros). An index on the key answers each range in order, so the first
    rows of a prefix search cost the same at any table size.
    """
    folded = unicodedata.normalize("NFKC", text).casefold().lstrip()
    trailing = _TRAILING_DIGITS.search(folded)
    if trailing is None:
        prefix = _DIGITS.sub(_number_key, folded)
        return ([(prefix, _successor(prefix))] if prefix else []), False
    base = _DIGITS.sub(_number_key, folded[: trailing.start()])
    value = trailing.group().lstrip("0")
    if not value:  # only zeros typed: any number may follow
        return ([(base, _successor(base))] if base else []), True
    starts = [f"{base}{length:02d}{value}" for length in range(len(value), _MAX_RUN + 1)]
    return [(start, _successor(start)) for start in starts], True


def _successor(prefix: str) -> str:
    """The smallest string after every string starting with ``prefix``."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def joined_key(*parts: object) -> str:
    """The sort key of several text values read in order ("Tran", "Lan" → as "tran lan"): a
    person sorts by last name, then first name, in one indexed column."""
    return natural_key(" ".join(str(part) if part is not None else "" for part in parts))


class NaturalSortKeyField(models.CharField):  # type: ignore[type-arg]
    """The natural sort key of another text field of the same model (``source``), or of
    several read in order (a tuple: a person's last and first names).

    Not editable, not audited (it is derived), indexed; kept current by ``pre_save``.
    """

    audited = False
    derived = True

    def __init__(self, *args: Any, source: str | tuple[str, ...] = "name", **kwargs: Any) -> None:
        self.source = source
        self.sources: tuple[str, ...] = (source,) if isinstance(source, str) else tuple(source)
        kwargs.setdefault("max_length", 600)
        kwargs.setdefault("db_index", True)
        kwargs.setdefault("default", "")
        kwargs["editable"] = False
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs.pop("editable", None)
        return name, path, args, kwargs

    def key_for(self, instance: Any) -> str:
        """The key of ``instance`` from its current source values."""
        return joined_key(*(getattr(instance, name, "") for name in self.sources))[
            : self.max_length
        ]

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        value = self.key_for(model_instance)
        setattr(model_instance, self.attname, value)
        return value


def sort_key_updates(
    model: type[models.Model], instances: Iterable[models.Model], fields: Iterable[str]
) -> list[str]:
    """Before a ``bulk_update`` of ``fields``: refresh the sort keys those fields feed and
    return the key fields to add to the update (``bulk_update`` calls no ``pre_save``)."""
    names = set(fields)
    keys = [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, NaturalSortKeyField) and names.intersection(f.sources)
    ]
    if keys:
        for instance in instances:
            for key in keys:
                key.pre_save(instance, False)
    return [f.name for f in keys]


__all__ = [
    "NaturalSortKeyField",
    "joined_key",
    "natural_key",
    "prefix_ranges",
    "sort_key_updates",
]


def fill_name_keys(app_label: str, model_name: str) -> Any:
    """A data migration's forward function: existing rows of the model get their natural sort
    key (new and changed rows get it on save). Works on the migration's historical model,
    whose ``name_key`` field says which source fields it reads."""

    def forward(apps: Any, schema_editor: Any) -> None:
        model = apps.get_model(app_label, model_name)
        field = model._meta.get_field("name_key")
        pending: list[Any] = []
        for row in model.objects.only("pk", *field.sources).iterator(chunk_size=2000):
            row.name_key = field.key_for(row)
            pending.append(row)
            if len(pending) >= 2000:
                model.objects.bulk_update(pending, ["name_key"])
                pending = []
        if pending:
            model.objects.bulk_update(pending, ["name_key"])

    return forward
