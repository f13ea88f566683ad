"""REST endpoints of the licences app beyond the generic resources (``/api/licences/…``):
the position (whole, per product, as of a date, diff, export), alerts, allocation and reclaim,
the licence key (``view_key``), SaaS usage and concurrency imports and applying the
normalisation rules."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router
from ninja.files import UploadedFile
from ninja.params import functions as params

from assetgraph.accounts.permissions import get_object_or_404, has_perm, restrict
from assetgraph.api.crud import require_view
from assetgraph.api.importjobs import queue_document, queue_upload
from assetgraph.api.schemas import JobAcceptedOut
from assetgraph.core.actor import api_actor
from assetgraph.core.errors import NotFound, PermissionDenied
from assetgraph.core.exporting import export_response
from assetgraph.org.models import Person

from . import crosslayer, schemas, services, uploads
from .crosslayer import unlicensed_services
from .crypto import decrypt_key
from .exports import parse_as_of, position_columns
from .models import Allocation, Entitlement, Product
from .reads import alerts_for, diff_positions, may_see_cost, position_dict, position_for

router = Router(tags=["licence compliance"])
# Endpoints on the entitlement resource's own path (mounted by its declaration).
entitlement_routes = Router()

ALLOCATION_RELATED = ("entitlement", "person", "ci", "asset")


def _entitlement(request: HttpRequest, pk: int, action: str = "view") -> Entitlement:
    return get_object_or_404(Entitlement.objects.all(), request.user, action, pk=pk)


@router.get("/position", response=schemas.PositionOut, summary="The compliance position")
def position(
    request: HttpRequest, product: int | None = None, as_of: str | None = None
) -> dict[str, Any]:
    """Every (product, metric, scope) row; ``as_of`` (ISO date or date-time) for the past."""
    require_view(request, "licences.entitlement")
    return position_dict(position_for(request.user, as_of=parse_as_of(as_of), product_id=product))


@router.get(
    "/position/diff",
    response=list[schemas.PositionDiffRowOut],
    summary="Position changes between dates",
)
def position_diff(request: HttpRequest, since: str, until: str | None = None) -> Any:
    """Rows added, removed or changed between ``since`` and ``until`` (default now)."""
    require_view(request, "licences.entitlement")
    before = position_for(request.user, as_of=parse_as_of(since, "since"))
    after = position_for(request.user, as_of=parse_as_of(until, "until"))
    return diff_positions(before, after)


@router.get("/position/export", summary="The position as CSV or XLSX")
def position_export(
    request: HttpRequest, format: str = "csv", as_of: str | None = None
) -> HttpResponse:
    """Money columns only with ``view_cost``; formula-like cells are escaped."""
    require_view(request, "licences.entitlement")
    result = position_for(request.user, as_of=parse_as_of(as_of))
    columns = position_columns(may_see_cost(request.user))
    return export_response(result.rows, columns, "licence-position", format)


@router.get(
    "/position/{int:product_id}",
    response=schemas.PositionOut,
    summary="One product's position",
)
def product_position(request: HttpRequest, product_id: int, as_of: str | None = None) -> Any:
    """The rows of one licensable product (404 if there is no such product)."""
    when = parse_as_of(as_of)
    get_object_or_404(Product.objects.all(), request.user, "view", pk=product_id)
    require_view(request, "licences.entitlement")
    return position_dict(position_for(request.user, as_of=when, product_id=product_id))


@router.get("/alerts", response=list[schemas.LicenceAlertOut], summary="Renewals, shortfalls, busy")
def alerts(request: HttpRequest, days: int = 60) -> Any:
    """Renewals due within ``days``, new shortfalls (vs 30 days ago), licences > 90 % used."""
    require_view(request, "licences.entitlement")
    return alerts_for(request.user, days=max(1, min(days, 3650)))


@entitlement_routes.post(
    "/{int:entitlement_id}/allocate",
    response={201: schemas.AllocationOut},
    summary="Allocate seats of a licence to a person or a device (409 when none are left)",
)
def allocate(
    request: HttpRequest, entitlement_id: int, payload: schemas.AllocationIn
) -> tuple[int, Any]:
    """Race-safe: of simultaneous requests for the last seats, the extra ones get a 409."""
    entitlement = _entitlement(request, entitlement_id)
    values = payload.model_dump(exclude={"entitlement_id"})
    created = services.allocate_seats(api_actor(request), entitlement, values)
    return 201, Allocation.objects.select_related(*ALLOCATION_RELATED).get(pk=created.pk)


@entitlement_routes.get(
    "/{int:entitlement_id}/key",
    response=schemas.LicenceKeyOut,
    summary="Reveal a licence key (needs view_key)",
)
def licence_key(request: HttpRequest, entitlement_id: int) -> dict[str, str]:
    """Decrypted on demand; every reveal is refused without ``view_key`` (403)."""
    entitlement = _entitlement(request, entitlement_id)
    if not has_perm(request.user, "licences.entitlement", "view_key"):
        raise PermissionDenied("you may not view licence keys")
    return {"licence_key": decrypt_key(entitlement.licence_key)}


@router.post(
    "/allocations/reclaim",
    response=list[schemas.AllocationOut],
    summary="Reclaim seats in bulk (all or nothing)",
)
def reclaim(request: HttpRequest, payload: schemas.ReclaimAllocationsIn) -> Any:
    """Allocations the caller cannot see are 404; already reclaimed ones a 409."""
    visible = restrict(Allocation.objects.filter(pk__in=payload.ids), request.user, "view")
    found = {a.pk: a for a in visible}
    missing = [pk for pk in payload.ids if pk not in found]
    if missing:
        raise NotFound(f"allocation {missing[0]} not found")
    done = services.reclaim_allocations(
        api_actor(request),
        [found[pk] for pk in payload.ids],
        reason=payload.reason,
        confirm_services=payload.confirm_services,
    )
    return list(
        Allocation.objects.select_related(*ALLOCATION_RELATED).filter(pk__in=[a.pk for a in done])
    )


@router.get(
    "/people/{int:person_id}/seats",
    response=list[schemas.AllocationOut],
    summary="A person's active seats (offboarding)",
)
def person_seats(request: HttpRequest, person_id: int) -> Any:
    person = get_object_or_404(Person.objects.all(), request.user, "view", pk=person_id)
    require_view(request, "licences.allocation")
    held = Allocation.objects.filter(person=person, reclaimed_at__isnull=True)
    return list(restrict(held.select_related(*ALLOCATION_RELATED), request.user))


@router.post(
    "/people/{int:person_id}/reclaim",
    response=list[schemas.AllocationOut],
    summary="Reclaim every seat a leaver holds, in one action",
)
def reclaim_person(request: HttpRequest, person_id: int) -> Any:
    person = get_object_or_404(Person.objects.all(), request.user, "view", pk=person_id)
    done = services.reclaim_person_seats(api_actor(request), person)
    return list(
        Allocation.objects.select_related(*ALLOCATION_RELATED).filter(pk__in=[a.pk for a in done])
    )


@router.post(
    "/usage/import",
    response={202: JobAcceptedOut},
    summary="Import a SaaS console's seat list (JSON rows: user, last_active) in a worker job",
)
def import_usage_json(request: HttpRequest, payload: schemas.SaasUsageImportIn) -> Any:
    """Answers 202 with the job; its report (``GET /api/jobs/{id}``) holds the counts, or the
    error naming each bad row and field (all or nothing: then nothing was written). A body
    its schema refuses is a 422 at once, and nothing is queued."""
    product = get_object_or_404(Product.objects.all(), request.user, "view", pk=payload.product_id)
    _may_add(request, "licences.saasusage")
    return queue_document(
        request,
        kind="saas-usage",
        object_type="licences.saasusage",
        document={"rows": [r.model_dump(mode="json") for r in payload.rows]},
        runner=uploads.usage_rows,
        options={"product_id": product.pk, "replace": payload.replace},
    )


def _may_add(request: HttpRequest, object_type: str) -> None:
    if not has_perm(request.user, object_type, "add"):
        raise PermissionDenied(f"you may not add {object_type}")


@router.post(
    "/usage/import-file",
    response={202: JobAcceptedOut},
    summary="Import a SaaS console's export file (CSV or JSON) in a worker job",
)
def import_usage_file(
    request: HttpRequest,
    product_id: int,
    file: UploadedFile = params.File(...),
    replace: bool = True,
) -> Any:
    """Answers 202 with the job; its report (``GET /api/jobs/{id}``) holds the counts, or the
    error naming the row and field (all or nothing: then nothing was written)."""
    product = get_object_or_404(Product.objects.all(), request.user, "view", pk=product_id)
    _may_add(request, "licences.saasusage")
    return queue_upload(
        request,
        kind="saas-usage",
        object_type="licences.saasusage",
        files={"file": file},
        runner=uploads.usage_file,
        options={"product_id": product.pk, "replace": replace},
    )


@router.post(
    "/usage/concurrency-file",
    response={202: JobAcceptedOut},
    summary="Import a licence server's concurrency log (CSV or JSON) in a worker job",
)
def import_concurrency_file(
    request: HttpRequest, product_id: int, file: UploadedFile = params.File(...)
) -> Any:
    """The samples behind the concurrent-users metric (its peak over 90 days). Answers 202
    with the job; its report holds ``created``, or the error naming the row and field (all
    or nothing)."""
    product = get_object_or_404(Product.objects.all(), request.user, "view", pk=product_id)
    _may_add(request, "licences.concurrencysample")
    return queue_upload(
        request,
        kind="concurrency",
        object_type="licences.concurrencysample",
        files={"file": file},
        runner=uploads.concurrency_file,
        options={"product_id": product.pk},
    )


@router.post("/rules/apply", response=dict[str, int], summary="Apply the normalisation rules")
def apply_rules(request: HttpRequest) -> dict[str, int]:
    """Re-map the CMDB catalogue to licensable products (needs ``change`` on the mappings)."""
    if not has_perm(request.user, "licences.productmapping", "change"):
        raise PermissionDenied("you may not apply normalisation rules")
    return services.apply_normalisation_rules(api_actor(request))


__all__ = ["entitlement_routes", "router"]


@router.get(
    "/reports/unlicensed-services",
    response=dict[str, Any],
    summary="Business services running unlicensed or under-licensed software, with true-up cost",
)
def unlicensed_services_report(
    request: HttpRequest, max_tier: int = params.Query(4, ge=1, le=4)
) -> Any:
    """Each service of tier ``max_tier`` or better whose dependency path runs a product the
    position finds unlicensed or under-licensed there, with the product's true-up cost
    (``view_cost``); docs/both-layers.md."""
    return unlicensed_services(request.user, max_tier=max_tier)


@router.get(
    "/reports/unlicensed-services/export",
    summary="The unlicensed-services report as CSV or XLSX",
)
def unlicensed_services_export(
    request: HttpRequest, max_tier: int = params.Query(4, ge=1, le=4), format: str = "csv"
) -> HttpResponse:
    """One row per (service, product, CI), formula cells escaped."""
    report = unlicensed_services(request.user, max_tier=max_tier)
    return export_response(
        crosslayer.export_rows(report), crosslayer.EXPORT_COLUMNS, "unlicensed-services", format
    )
