"""Capped lists that say so (issue 17): a section shows its first rows, "Showing N of M", a
link to the whole list paged (``?only=<section>&offset=…``) and an export of all of it
(``?only=<section>&format=csv``).

One helper for the page sections that used to slice with ``[:N]`` and say nothing (pending
acceptances, audit campaigns, audits due, an asset's audits, a discovery run's diff): the
paging, the counter and the links are computed here the same way for each, and rendered by
``ui/partials/capped.html`` (the pattern of the alerts page and related tables).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse

from assetgraph.core.errors import ServiceError
from assetgraph.core.exporting import Column, export_response


@dataclass
class Capped:
    """One capped section: its rows and what the page says about the rest."""

    section: str
    rows: list[Any]
    total: int
    first: int  # 1-based position of the first row shown (0: none)
    last: int
    full: bool  # the page shows this section alone, paged (``?only=<section>``)
    full_url: str = ""  # the whole list, paged (empty when everything is shown)
    export_url: str = ""
    next_url: str = ""
    previous_url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def capped(self) -> bool:
        """More rows exist than the section shows."""
        return self.total > len(self.rows)


def _offset(request: HttpRequest) -> int:
    raw = request.GET.get("offset", "")
    return int(raw) if raw.isdigit() else 0


def cap_rows(
    request: HttpRequest,
    section: str,
    rows: Any,
    cap: int,
    *,
    base_url: str = "",
    params: dict[str, Any] | None = None,
    total: int | None = None,
    alone: bool = False,
) -> Capped:
    """The first ``cap`` rows of ``rows`` (a queryset or a list), or one page of them when the
    request asks for this section alone (``?only=<section>&offset=N``).

    ``base_url`` is the page that lists the section in full (default: the same page);
    ``params`` are the filters to keep in its links (a window, a search); ``alone``: the
    page is that full list (as if ``?only=<section>``).
    """
    full = alone or request.GET.get("only") == section
    start = _offset(request) if full else 0
    shown = list(rows[start : start + cap])
    if total is None:
        total = rows.count() if hasattr(rows, "count") and not isinstance(rows, list) else len(rows)
    query = {**(params or {}), "only": section}
    base = base_url or ""
    result = Capped(
        section=section,
        rows=shown,
        total=total,
        first=start + 1 if shown else 0,
        last=start + len(shown),
        full=full,
        export_url=f"{base}?" + urlencode({**query, "format": "csv"}),
    )
    if full or total > len(shown):
        result.full_url = f"{base}?" + urlencode(query)
    if full and start + cap < total:
        result.next_url = f"{base}?" + urlencode({**query, "offset": start + cap})
    if full and start > 0:
        result.previous_url = f"{base}?" + urlencode({**query, "offset": max(0, start - cap)})
    return result


def export_section(
    request: HttpRequest, section: str, rows: Any, columns: Sequence[Column], basename: str
) -> HttpResponse | None:
    """The export of the whole section when the request asks for it (``?only=<section>&
    format=csv|xlsx``), else None. A wrong format is a 422 naming the parameter."""
    if request.GET.get("only") != section or not request.GET.get("format"):
        return None
    try:
        return export_response(rows, columns, basename, request.GET["format"])
    except ServiceError as exc:
        return HttpResponse(exc.message, status=422, content_type="text/plain")


def capped_table(
    request: HttpRequest,
    section: str,
    items: Any,
    cap: int,
    *,
    title: str,
    headers: Sequence[str],
    row: Callable[[Any], list[Any]],
    columns: Sequence[Column],
    basename: str,
) -> dict[str, Any]:
    """A detail page's related table capped the same way: its first ``cap`` rows, "Showing N
    of M", the whole list paged on the same page (``?only=<section>&offset=…``) and its
    export (``?only=<section>&format=csv``, returned by the generic detail view as
    ``response``)."""
    shown = cap_rows(request, section, items, cap)
    return {
        "id": section,
        "title": title,
        "headers": list(headers),
        "rows": [row(item) for item in shown.rows],
        "capped": shown,
        "response": export_section(request, section, items, columns, basename),
    }


__all__ = ["Capped", "cap_rows", "capped_table", "export_section"]
