"""Keyset paging by descending id for event feeds: no COUNT(*) over a growing table."""

from __future__ import annotations

from typing import Any

from django.db import models

FEED_PAGE_SIZE = 50


def keyset_page(
    queryset: models.QuerySet[Any], before: str | None, size: int = FEED_PAGE_SIZE
) -> tuple[list[Any], int | None]:
    """Rows with id below ``before`` (newest first) and the id to continue from, if any."""
    if before and before.isdigit():
        queryset = queryset.filter(pk__lt=int(before))
    rows = list(queryset.order_by("-pk")[: size + 1])
    if len(rows) > size:
        return rows[:size], rows[size - 1].pk
    return rows, None
