"""Cursor (keyset) pagination and ordering for list endpoints.

A page is ``{"results": [...], "next": <cursor or null>}``. The cursor encodes the sort key of
the last row, so page N costs the same as page 1 and no ``COUNT(*)`` runs per page. Ordering is
``?ordering=name`` or ``?ordering=-name`` among the fields an endpoint allows; ``id`` breaks
ties so the order is total.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from ninja import Schema

from assetgraph.audit.services import json_value
from assetgraph.core.errors import ValidationFailed

T = TypeVar("T")
M = TypeVar("M", bound=models.Model)


class Page(Schema, Generic[T]):
    """One page of results and the cursor of the next page (null on the last)."""

    results: list[T]
    next: str | None = None


@dataclass(frozen=True)
class PageRequest:
    """The validated pagination and ordering parameters of a list request."""

    limit: int
    cursor: str | None
    ordering: str


def page_request(
    params: Mapping[str, Any], allowed: Mapping[str, str], default: str
) -> PageRequest:
    """Validate ``limit``, ``cursor`` and ``ordering`` from query parameters."""
    raw_limit = params.get("limit")
    limit = settings.ASSETGRAPH_API_PAGE_SIZE
    if raw_limit not in (None, ""):
        try:
            limit = int(raw_limit)
        except (TypeError, ValueError):
            raise ValidationFailed(
                "limit: not a whole number", fields={"limit": ["not a whole number"]}
            ) from None
    maximum = settings.ASSETGRAPH_API_MAX_PAGE_SIZE
    if not 1 <= limit <= maximum:
        raise ValidationFailed(
            f"limit: must be between 1 and {maximum}",
            fields={"limit": [f"must be between 1 and {maximum}"]},
        )
    ordering = params.get("ordering") or default
    if ordering.lstrip("-") not in allowed:
        options = ", ".join(sorted(allowed))
        raise ValidationFailed(
            f"ordering: use one of {options} (prefix - for descending)",
            fields={"ordering": [f"use one of {options}"]},
        )
    return PageRequest(limit=limit, cursor=params.get("cursor") or None, ordering=ordering)


def _encode(values: list[Any], ordering: str) -> str:
    raw = json.dumps({"o": ordering, "k": [json_value(v) for v in values]}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, ordering: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        if data["o"] != ordering or not isinstance(data["k"], list) or len(data["k"]) != 2:
            raise ValueError
        return list(data["k"])
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed(
            "cursor: invalid or from a different ordering",
            fields={"cursor": ["invalid or from a different ordering"]},
        ) from None


def paginate(
    queryset: models.QuerySet[M], request: PageRequest, allowed: Mapping[str, str]
) -> tuple[list[M], str | None]:
    """Return one page of ``queryset`` in the requested order and the next cursor."""
    descending = request.ordering.startswith("-")
    field_name = allowed[request.ordering.lstrip("-")]
    prefix = "-" if descending else ""
    queryset = queryset.order_by(f"{prefix}{field_name}", f"{prefix}pk")
    if request.cursor:
        value, pk = _decode(request.cursor, request.ordering)
        try:
            pk = int(pk)
            if field_name != "pk" and field_name not in queryset.query.annotations:
                model_field = queryset.model._meta.get_field(field_name.split("__")[0])
                if isinstance(model_field, models.Field) and not model_field.is_relation:
                    value = model_field.to_python(value)
        except Exception:  # any conversion failure means a forged or stale cursor
            raise ValidationFailed("cursor: invalid", fields={"cursor": ["invalid"]}) from None
        op = "lt" if descending else "gt"
        if field_name == "pk":
            queryset = queryset.filter(**{f"pk__{op}": pk})
        else:
            before = Q(**{f"{field_name}__{op}": value}) | Q(**{field_name: value, f"pk__{op}": pk})
            queryset = queryset.filter(before)
    rows = list(queryset[: request.limit + 1])
    next_cursor = None
    if len(rows) > request.limit:
        rows = rows[: request.limit]
        last = rows[-1]
        key_value = last.pk if field_name == "pk" else _attr(last, field_name)
        next_cursor = _encode([key_value, last.pk], request.ordering)
    return rows, next_cursor


def _attr(obj: Any, path: str) -> Any:
    for part in path.split("__"):
        obj = getattr(obj, part)
    return obj
