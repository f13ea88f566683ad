"""UI pages of impact analysis and root cause (the change and map pages live in
``change_views``/``map_views``).

Both pages are GET forms (bookmarkable: a CI page links to ``/impact/analyse/?ci=<id>``) over the
same service calls as the API and the CLI. Errors (an unknown or hidden CI, an ambiguous
name, a bad time) are shown on the page with the API's status code: a hidden CI is a 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from assetgraph.accounts.http import AuthedRequest
from assetgraph.cmdb.models import CI
from assetgraph.core.errors import ServiceError

from .analysis import run_impact
from .rootcause import run_root_cause
from .viewer import Viewer


def _refs(request: HttpRequest, name: str) -> list[str]:
    """Repeated and comma-separated values of a parameter, e.g. ``?ci=12&ci=fin-db-01,SSO``."""
    return [p.strip() for raw in request.GET.getlist(name) for p in raw.split(",") if p.strip()]


def _int(request: HttpRequest, name: str, default: int) -> int:
    raw = request.GET.get(name, "")
    return int(raw) if raw.strip().lstrip("-").isdigit() else default


def _viewer(request: AuthedRequest) -> Viewer:
    """The request's one permission check (a 403 page without ``cmdb.ci`` view)."""
    try:
        return Viewer.of(request.user)
    except ServiceError as exc:
        raise PermissionDenied(exc.message) from exc


@login_required
def impact_page(request: AuthedRequest) -> HttpResponse:
    """Choose failed CIs (and a time), see services, users, classes, teams, people, flags."""
    viewer = _viewer(request)
    refs = _refs(request, "ci")
    # The page lists infrastructure by default: end-user devices are counted by site and
    # department in the summary, and listed only on request (there may be thousands).
    state = request.GET.get("state", "infrastructure")
    context: dict[str, Any] = {
        "refs": ", ".join(refs),
        "as_of_value": request.GET.get("as_of", ""),
        "state": state,
        "report": None,
        "error": None,
    }
    status = 200
    if refs:
        try:
            report = run_impact(
                viewer,
                refs,
                request.GET.get("as_of") or None,
                state=state or None,
                limit=_int(request, "limit", 50),
                offset=_int(request, "offset", 0),
            )
            context["report"] = report
            # "showing 51-100 of 240" (never "1-0": an empty page shows no range)
            context["shown_from"] = report.offset + 1 if report.details else 0
            context["shown_to"] = report.offset + len(report.details)
            context["export_query"] = _export_query(request)
            context["devices_query"] = _state_query(request, "devices")
            # Capped lists (services, applications, flags, people) link to the paged list of
            # every affected infrastructure CI and to its export (issue 17).
            context["infra_query"] = _state_query(request, "infrastructure")
            context["infra_export"] = (
                reverse("ui:impact:analyse_export")
                + "?"
                + _state_query(request, "infrastructure")
                + "&format=csv"
            )
            context["page_query"] = _page_query(request, report.next_offset)
            context["prev_query"] = (
                _page_query(request, max(report.offset - report.limit, 0))
                if report.offset
                else None
            )
        except ServiceError as exc:
            context["error"], status = exc.message, exc.status
    return render(request, "impact/analyse.html", context, status=status)


def _export_query(request: HttpRequest) -> str:
    query = request.GET.copy()
    for name in ("offset", "limit", "format"):
        query.pop(name, None)
    return query.urlencode()


def _state_query(request: HttpRequest, state: str) -> str:
    query = request.GET.copy()
    query.pop("offset", None)
    query["state"] = state
    return query.urlencode()


EXPORT_CAP = 20_000
EXPORT_PAGE = 500


@login_required
def impact_export(request: AuthedRequest) -> HttpResponse:
    """The affected CIs of the analysis as on the page (same CIs, time and detail filter), as
    CSV, XLSX or JSON: state, CI, class, depth and the chain that explains it. At most
    ``EXPORT_CAP`` rows; a larger answer says so in its last row (CSV/XLSX) or ``truncated``."""
    from assetgraph.core.exporting import export_response

    viewer = _viewer(request)
    refs = _refs(request, "ci")
    fmt = request.GET.get("format", "csv")
    if fmt not in ("csv", "xlsx", "json"):
        return HttpResponse("format: use csv, xlsx or json", status=422, content_type="text/plain")
    rows: list[dict[str, Any]] = []
    offset: int | None = 0
    total = 0
    try:
        while offset is not None and len(rows) < EXPORT_CAP:
            report = run_impact(
                viewer,
                refs,
                request.GET.get("as_of") or None,
                state=request.GET.get("state", "infrastructure") or None,
                limit=EXPORT_PAGE,
                offset=offset or 0,
            )
            total = report.details_count
            rows.extend(
                {
                    "state": item.state,
                    "ci": item.ci.name,
                    "ci_id": item.ci.pk,
                    "class": str(item.ci.ci_class),
                    "depth": item.depth,
                    "why": " → ".join(step.display for step in item.path),
                }
                for item in report.details
            )
            offset = report.next_offset
    except ServiceError as exc:
        return HttpResponse(exc.message, status=exc.status, content_type="text/plain")
    truncated = total > len(rows)
    if fmt == "json":
        return JsonResponse({"count": total, "truncated": truncated, "results": rows})
    if truncated:
        rows.append(
            {
                "state": "",
                "ci": f"(cut at {len(rows)} of {total} rows)",
                "ci_id": "",
                "class": "",
                "depth": "",
                "why": "",
            }
        )
    columns = [
        ("State", lambda r: r["state"]),
        ("CI", lambda r: r["ci"]),
        ("CI id", lambda r: r["ci_id"]),
        ("Class", lambda r: r["class"]),
        ("Depth", lambda r: r["depth"]),
        ("Why (one chain from a failed CI)", lambda r: r["why"]),
    ]
    return export_response(rows, columns, "impact", fmt)


def _page_query(request: HttpRequest, offset: int | None) -> str | None:
    if offset is None:
        return None
    query = request.GET.copy()
    query["offset"] = str(offset)
    return query.urlencode()


@login_required
def root_cause_page(request: AuthedRequest) -> HttpResponse:
    """Symptom CIs, or a person and a service, ranked candidates with their evidence."""
    viewer = _viewer(request)
    symptoms = _refs(request, "symptom")
    degraded = _refs(request, "degraded")
    person = request.GET.get("person", "").strip()
    service = request.GET.get("service", "").strip()
    slow = request.GET.get("slow") in ("1", "on", "true")
    context: dict[str, Any] = {
        "symptoms": ", ".join(symptoms),
        "degraded": ", ".join(degraded),
        "person": person,
        "service": service,
        "slow": slow,
        "window_days": _int(request, "window_days", 7),
        "report": None,
        "error": None,
    }
    status = 200
    if symptoms or degraded or person or service:
        try:
            context["report"] = run_root_cause(
                viewer,
                symptoms,
                degraded=degraded,
                person=person or None,
                service=service or None,
                slow=slow,
                window_days=context["window_days"],
                limit=_int(request, "limit", 10),
            )
        except ServiceError as exc:
            context["error"], status = exc.message, exc.status
    return render(request, "impact/root_cause.html", context, status=status)


def ci_impact_section(request: HttpRequest, ci: CI) -> dict[str, Any] | None:
    """The "Impact" links on a CI page (registered in ``ImpactConfig.ready``)."""
    if ci.valid_to is not None:
        return None
    base = reverse("ui:impact:analyse")
    return {
        "title": "Impact",
        "fields": [
            ("If it fails", {"text": "Analyse impact", "url": f"{base}?ci={ci.pk}"}),
            (
                "If it misbehaves",
                {
                    "text": "Find the root cause",
                    "url": f"{reverse('ui:impact:root_cause')}?symptom={ci.pk}",
                },
            ),
        ],
    }
