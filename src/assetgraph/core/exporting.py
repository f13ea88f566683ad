"""Exports of any list as CSV or XLSX, with formula cells escaped."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.http import HttpResponse
from django.utils import timezone

from .errors import ValidationFailed
from .tabular import write_csv, write_xlsx

Column = tuple[str, Callable[[Any], Any]]
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def key_columns(*names: str | tuple[str, str]) -> list[Column]:
    """Columns of rows that are dicts: a name is header and key, ``(header, key)`` renames."""
    columns: list[Column] = []
    for name in names:
        header, key = (name, name) if isinstance(name, str) else name
        columns.append((header, operator.itemgetter(key)))
    return columns


def export_rows(objects: Iterable[Any], columns: Sequence[Column]) -> Iterable[list[Any]]:
    """Yield one list of cell values per object."""
    for obj in objects:
        yield [getter(obj) for _, getter in columns]


def render_export(
    objects: Iterable[Any], columns: Sequence[Column], fmt: str, title: str = "export"
) -> bytes:
    """Render objects as CSV or XLSX bytes."""
    header = [name for name, _ in columns]
    rows = export_rows(objects, columns)
    if fmt == "csv":
        return write_csv(header, rows)
    if fmt == "xlsx":
        return write_xlsx(header, rows, title=title)
    raise ValidationFailed("format: use csv or xlsx", fields={"format": ["use csv or xlsx"]})


def export_response(
    objects: Any, columns: Sequence[Column], basename: str, fmt: str
) -> HttpResponse:
    """An attachment response with the rendered export."""
    if fmt not in CONTENT_TYPES:
        raise ValidationFailed("format: use csv or xlsx", fields={"format": ["use csv or xlsx"]})
    iterable = objects.iterator(chunk_size=2000) if hasattr(objects, "iterator") else objects
    body = render_export(iterable, columns, fmt, title=basename)
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{basename}-{stamp}.{fmt}"'
    return response
