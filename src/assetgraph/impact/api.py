"""The impact API router: ``/api/impact/…`` (impact, root cause, changes, maps).

Impact and root cause are reads: they need ``cmdb.ci`` view — checked once, by the service
(:class:`~assetgraph.impact.viewer.Viewer`), a 403 — and every CI they name passes
``restrict()`` (see :mod:`assetgraph.impact.analysis`). Both are offered as ``GET`` with query
parameters (bookmarkable, cacheable) and as ``POST`` with a JSON body (long CI lists).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Query, Router
from ninja.responses import NinjaJSONEncoder

from assetgraph.accounts.permissions import get_object_or_404
from assetgraph.assets.models import Asset
from assetgraph.cmdb.context import business_context
from assetgraph.cmdb.querysets import visible_cis
from assetgraph.core.errors import NotFound
from assetgraph.framework.flags import book_values, business_flags, service_monthly_costs

from . import schemas
from .analysis import run_impact
from .context import asset_ci_summary, service_dict
from .dependents import dependent_services
from .map_api import map_router
from .rootcause import run_root_cause

router = Router(tags=["impact"])
# The CMDB's context endpoints answer graph questions, so impact serves them where clients
# know them (``/api/cmdb/…``); the mount point reads ``ROUTERS``.
cmdb_routes = Router()
ROUTERS = [("/cmdb", cmdb_routes)]


def _document(document: dict[str, Any]) -> HttpResponse:
    """Send a built response document as JSON without re-validating it.

    Why: a summarised impact holds a few hundred nested objects (services, applications and
    their paths); running them back through the response schema cost a third of the
    request. The documents are built only by :func:`schemas.impact_document` /
    :func:`schemas.root_cause_document`, and the tests validate their output against
    ``ImpactOut`` / ``RootCauseOut``, which stay the documented (OpenAPI) responses.
    """
    return JsonResponse(document, encoder=NinjaJSONEncoder)


NO_SYMPTOMS: list[str] = []  # shared default, never mutated (run_root_cause copies it)
router.add_router("/map", map_router)


@router.get("/", response=schemas.ImpactOut)
def impact_get(
    request: HttpRequest,
    ci: Query[list[schemas.CIName]],
    as_of: str | None = None,
    state: str | None = None,
    ci_class: int | None = None,
    limit: int = 50,
    offset: int = 0,
    max_depth: int | None = None,
) -> HttpResponse:
    """What a failure of the CIs ``ci`` (repeat it; ids or exact names) takes down or degrades.

    Summary (services, applications, counts per class, teams, people, ITAM flags) plus one
    page of affected CIs (``limit``/``offset``, filtered by ``state``/``ci_class``), each with
    its state, depth and one chain back to a failed CI. ``as_of``: the estate as it was then.
    """
    report = run_impact(
        request.user,
        ci,
        as_of,
        state=state,
        ci_class=ci_class,
        limit=limit,
        offset=offset,
        max_depth=max_depth,
    )
    return _document(schemas.impact_document(report))


@router.post("/analyse", response=schemas.ImpactOut)
def impact_analyse(request: HttpRequest, payload: schemas.ImpactIn) -> HttpResponse:
    """The same as ``GET /api/impact/`` with a JSON body."""
    report = run_impact(
        request.user,
        payload.cis,
        payload.as_of,
        state=payload.state,
        ci_class=payload.ci_class,
        limit=payload.limit,
        offset=payload.offset,
        max_depth=payload.max_depth,
    )
    return _document(schemas.impact_document(report))


@router.get("/root-cause", response=schemas.RootCauseOut)
def root_cause_get(
    request: HttpRequest,
    symptom: Query[list[str]] = NO_SYMPTOMS,  # optional: person + service instead
    degraded: Query[list[str]] = NO_SYMPTOMS,
    person: str | None = None,
    service: str | None = None,
    slow: bool = False,
    window_days: int = 7,
    limit: int = 10,
) -> HttpResponse:
    """Which single CI failure best explains the ``symptom`` CIs (unavailable) and the
    ``degraded`` ones (slow), or a ``person`` who cannot reach a ``service`` (``slow``: it is
    slow), ranked with evidence: coverage, recent changes, status, paths."""
    report = run_root_cause(
        request.user,
        symptom,
        degraded=degraded,
        person=person,
        service=service,
        slow=slow,
        window_days=window_days,
        limit=limit,
    )
    return _document(schemas.root_cause_document(report))


@router.post("/root-cause", response=schemas.RootCauseOut)
def root_cause_post(request: HttpRequest, payload: schemas.RootCauseIn) -> HttpResponse:
    """The same as ``GET /api/impact/root-cause`` with a JSON body."""
    report = run_root_cause(
        request.user,
        payload.symptoms,
        degraded=payload.degraded,
        person=payload.person,
        service=payload.service,
        slow=payload.slow,
        window_days=payload.window_days,
        limit=payload.limit,
    )
    return _document(schemas.root_cause_document(report))


@cmdb_routes.get(
    "/cis/{int:ci_id}/context",
    response=dict[str, Any],
    tags=["CIs"],
    summary="Business context of a CI",
)
def ci_context(request: HttpRequest, ci_id: int) -> dict[str, Any]:
    """What ITAM knows about the CI's asset (custodian, lifecycle, warranty, end of life, cost
    with ``view_cost``), its business flags (each with its evidence), the net book value of
    its hardware, its monthly cost (a business service), and the business services that would
    be affected if it failed."""
    queryset = visible_cis(request.user, include_retired=True)
    ci = get_object_or_404(queryset, request.user, "view", pk=ci_id)
    value = book_values(request.user, [ci.pk]).get(ci.pk)
    cost = service_monthly_costs(request.user, [ci.pk]).get(ci.pk)
    return {
        "ci": {"id": ci.pk, "display": str(ci)},
        "business_context": business_context(request, ci),
        "business_flags": [
            f.as_dict() for f in business_flags(request.user, [ci.pk]).get(ci.pk, [])
        ],
        "book_value": value.as_dict() if value else None,
        "monthly_cost": cost.as_dict() if cost else None,
        "services": [service_dict(s) for s in dependent_services(request.user, ci)],
    }


@cmdb_routes.get(
    "/assets/{int:asset_id}/ci", response=dict[str, Any], tags=["CIs"], summary="The CI of an asset"
)
def asset_ci(request: HttpRequest, asset_id: int) -> dict[str, Any]:
    """The configuration item an asset is, and the business services that depend on it."""
    asset = get_object_or_404(
        Asset.objects.select_related("ci__ci_class"), request.user, "view", pk=asset_id
    )
    summary = asset_ci_summary(request, asset)
    if summary is None:
        raise NotFound("this asset has no configuration item you can see")
    return summary
