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
from django.http import HttpRequest, HttpResponse
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
    context: dict[str, Any] = {
        "refs": ", ".join(refs),
        "as_of_value": request.GET.get("as_of", ""),
        "state": request.GET.get("state", ""),
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
                state=request.GET.get("state") or None,
                limit=_int(request, "limit", 50),
                offset=_int(request, "offset", 0),
            )
            context["report"] = report
            context["page_query"] = _page_query(request, report.next_offset)
            context["prev_query"] = (
                _page_query(request, max(report.offset - report.limit, 0))
                if report.offset
                else None
            )
        except ServiceError as exc:
            context["error"], status = exc.message, exc.status
    return render(request, "impact/analyse.html", context, status=status)


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
