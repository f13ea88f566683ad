"""Closest matches for a name nobody has: "stor-aus-01" → did you mean "stor-aus1-01"?

Why: impact, root cause and changes take names people type from memory or from a ticket; a
bare "not found" sends them to another page to look the name up. The candidates come from
the caller's queryset (already limited to what the caller may view, so a suggestion never
reveals a hidden object) with a few bounded queries (prefix and word probes, 200 rows each),
then are ranked by similarity in Python. It runs only on the error path.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import Any

from django.db.models import Q, QuerySet

PROBE_ROWS = 200
_SPLIT = re.compile(r"[\s\-_.,/#]+")


def _either(fields: Sequence[str], lookup: str, value: str) -> Q:
    condition = Q()
    for name in fields:
        condition |= Q(**{f"{name}__{lookup}": value})
    return condition


def closest_names(
    queryset: QuerySet[Any], fields: Sequence[str], text: str, limit: int = 5
) -> list[str]:
    """Up to ``limit`` names from ``queryset`` most like ``text`` (fields joined by a space:
    ``("first_name", "last_name")`` names a person), most similar first."""
    wanted = text.strip().lower()
    if not wanted:
        return []
    words = sorted({w for w in _SPLIT.split(wanted) if len(w) >= 2}, key=len, reverse=True)
    probes = [_either(fields, "istartswith", wanted[:3])]
    probes += [_either(fields, "icontains", word) for word in words[:3]]
    names: set[str] = set()
    for probe in probes:
        for values in queryset.filter(probe).values_list(*fields)[:PROBE_ROWS]:
            names.add(" ".join(str(v) for v in values if v))
    scored = [(difflib.SequenceMatcher(None, wanted, name.lower()).ratio(), name) for name in names]
    ranked = sorted((s for s in scored if s[0] >= 0.4), key=lambda s: (-s[0], s[1]))
    return [name for _, name in ranked[:limit]]


def did_you_mean(names: Sequence[str]) -> str:
    """``"; did you mean: a, b?"`` ("" when there is nothing to suggest)."""
    if not names:
        return ""
    return "; did you mean: " + ", ".join(names) + "?"


__all__ = ["closest_names", "did_you_mean"]
