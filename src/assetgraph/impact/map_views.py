"""The dependency-map page: a CI's neighbourhood drawn with Cytoscape.js.

The page is a shell: the controls are a plain GET form (depth, direction, node limit, impact
colouring), and ``static/impact/map.js`` fetches the map as JSON from the map API with the
same options and draws it (the CSP forbids inline script). Class filters are applied in the
browser from the classes the JSON lists, so toggling one does not refetch. Download links
export the same neighbourhood as DOT, GraphML or JSON.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from assetgraph.accounts.http import AuthedRequest
from assetgraph.accounts.permissions import has_perm, restrict
from assetgraph.cmdb.models import CI

from .maps import DEFAULT_DEPTH, DEFAULT_LIMIT, MAX_DEPTH, MAX_LIMIT, MIN_DEPTH, MIN_LIMIT

LIMIT_CHOICES = (50, 150, 300, 500)


def _int(value: str | None, default: int, low: int, high: int) -> int:
    """A bounded integer from the query string; anything else falls back to the default."""
    if value is None or not value.strip().isdigit():
        return default
    return min(max(int(value), low), high)


@login_required
def ci_map(request: AuthedRequest, pk: int) -> HttpResponse:
    """The map page of a CI the user may view (hidden or retired: 404)."""
    if not has_perm(request.user, "cmdb.ci", "view"):
        raise PermissionDenied("you may not view CIs")
    ci = (
        restrict(CI.objects.current().select_related("ci_class"), request.user, "view")
        .filter(pk=pk)
        .first()
    )
    if ci is None:
        raise Http404
    depth = _int(request.GET.get("depth"), DEFAULT_DEPTH, MIN_DEPTH, MAX_DEPTH)
    limit = _int(request.GET.get("limit"), DEFAULT_LIMIT, MIN_LIMIT, MAX_LIMIT)
    direction = request.GET.get("direction", "both")
    if direction not in ("up", "down", "both"):
        direction = "both"
    impact = request.GET.get("impact", "true") not in ("false", "0", "off")
    params = {
        "depth": depth,
        "direction": direction,
        "limit": limit,
        "impact": "true" if impact else "false",
    }
    api = f"/api/impact/map/{ci.pk}"
    context = {
        "object": ci,
        "depth": depth,
        "depths": range(MIN_DEPTH, MAX_DEPTH + 1),
        "direction": direction,
        "directions": [
            ("both", "Both ways"),
            ("up", "What it needs"),
            ("down", "What needs it (its failure's impact)"),
        ],
        "limit": limit,
        "limits": sorted({*LIMIT_CHOICES, limit}),
        "impact": impact,
        "data_url": f"{api}?{urlencode(params)}",
        "exports": [
            (label, f"{api}?{urlencode({**params, 'format': fmt, 'download': 'true'})}")
            for label, fmt in (("DOT", "dot"), ("GraphML", "graphml"), ("JSON", "json"))
        ],
        "ci_url": reverse("ui:cmdb:ci_detail", args=[ci.pk]),
    }
    return render(request, "impact/map.html", context)


def ci_map_section(request: HttpRequest, ci: CI) -> dict[str, Any] | None:
    """The CI page's link to its dependency map (current CIs only)."""
    if ci.valid_to is not None:
        return None
    return {
        "title": "Dependency map",
        "fields": [
            (
                "Map",
                {
                    "text": "Open the dependency map",
                    "url": reverse("ui:impact:map", args=[ci.pk]),
                },
            )
        ],
    }
