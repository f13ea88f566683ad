"""The asset reports page (counts by state, category, location, department, custodian; aging)
and its CSV/XLSX downloads. Counts cover only the assets the user may see."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render

from assetgraph.accounts.http import AuthedRequest
from assetgraph.accounts.permissions import has_perm, restrict
from assetgraph.core.errors import ServiceError
from assetgraph.core.exporting import export_response

from . import reports
from .models import Asset

CHARTS = {"state": "doughnut", "category": "bar", "aging": "bar"}


def _visible(request: AuthedRequest) -> object:
    if not has_perm(request.user, "assets.asset", "view"):
        raise PermissionDenied("you may not view assets")
    return restrict(Asset.objects.all(), request.user, "view")


@login_required
def reports_page(request: AuthedRequest) -> HttpResponse:
    """Every count report as a table; the state, category and aging ones also as charts."""
    visible = _visible(request)
    results = [make(visible, request.user) for make in reports.REPORTS.values()]
    charts = [
        {
            "id": f"chart-{r.name}",
            "type": CHARTS[r.name],
            "title": r.title,
            "labels": [row.label for row in r.rows],
            "counts": [row.count for row in r.rows],
        }
        for r in results
        if r.name in CHARTS
    ]
    return render(request, "assets/reports.html", {"reports": results, "charts": charts})


@login_required
def report_export(request: AuthedRequest, name: str) -> HttpResponse:
    """One report as CSV or XLSX (``?format=csv|xlsx``)."""
    make = reports.REPORTS.get(name)
    if make is None:
        raise Http404
    result = make(_visible(request), request.user)
    try:
        return export_response(
            result.rows,
            reports.report_columns(),
            f"assets-by-{name}",
            request.GET.get("format", "csv"),
        )
    except ServiceError as exc:
        return HttpResponse(exc.message, status=exc.status, content_type="text/plain")
