"""Bulk writes from lists: the same service per object, all or nothing, every failure named.

A bulk edit, state change or check-in is one service call per selected object (so each object
gets its own audit event and every domain rule applies), inside one transaction. Each call runs
in its own savepoint so that a refusal does not stop the others from being tried: the caller
learns every row that would fail, with the field and the reason, and then nothing is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import transaction

from assetgraph.core.errors import ServiceError

T = TypeVar("T")

# The most objects one bulk request may touch (a page of a list is at most 500 rows).
MAX_BULK = 1000


@dataclass(frozen=True)
class RowFailure:
    """Why one selected object could not be changed: the row, the field (or "") and the reason."""

    pk: Any
    label: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f" ({self.field})" if self.field else ""
        return f"{self.label}{where}: {self.message}"


class BulkFailed(ServiceError):
    """Some rows of a bulk write were refused; nothing was changed. ``failures`` names each row
    and field; ``fields`` repeats them as ``ids.<pk>.<field>`` for the API's error body."""

    status = 422
    code = "bulk_failed"

    def __init__(self, failures: Sequence[RowFailure], status: int | None = None) -> None:
        fields: dict[str, list[str]] = {}
        for failure in failures:
            key = f"ids.{failure.pk}" + (f".{failure.field}" if failure.field else "")
            fields.setdefault(key, []).append(f"{failure.label}: {failure.message}")
        first = failures[0]
        super().__init__(
            f"nothing was changed: {len(failures)} row(s) refused, first {first}", fields=fields
        )
        self.failures = list(failures)
        if status is not None:
            self.status = status


def failures_of(obj: Any, exc: ServiceError) -> list[RowFailure]:
    """One row's refusal as failures, one per field the service named (or one for the row)."""
    label = str(obj)
    named = [(f, m) for f, messages in exc.fields.items() for m in messages if f != "__all__"]
    if not named:
        message = exc.message
        field = ""
        if ": " in message and " " not in message.split(": ", 1)[0]:
            field, message = message.split(": ", 1)
        return [RowFailure(obj.pk, label, field, message)]
    return [RowFailure(obj.pk, label, f, m) for f, m in named]


def apply_each(objects: Iterable[T], apply: Callable[[T], Any]) -> list[Any]:
    """Call ``apply`` on every object in one transaction; any refusal undoes them all.

    Raises :class:`BulkFailed` naming every refused row (its status is the first refusal's:
    a 409 for a lifecycle rule, a 422 for bad values, a 403 for a permission).
    """
    results: list[Any] = []
    failures: list[RowFailure] = []
    status: int | None = None
    with transaction.atomic():
        for obj in objects:
            try:
                with transaction.atomic():
                    results.append(apply(obj))
            except ServiceError as exc:
                failures.extend(failures_of(obj, exc))
                status = status or exc.status
        if failures:
            raise BulkFailed(failures, status=status)
    return results


__all__ = ["MAX_BULK", "BulkFailed", "RowFailure", "apply_each", "failures_of"]
