"""REST endpoints of the CMDB.

Classes, attributes and relationship types get the standard endpoints from their
declarations (``resources.py``). CIs and relationships have their own endpoints because every
read accepts ``as_of`` and deleting means ending an interval, never removing a row.
"""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Query, Router
from ninja.files import UploadedFile
from ninja.params import functions as params

from assetgraph.accounts.permissions import get_object_or_404, has_perm, restrict
from assetgraph.api.crud import check_references, if_match, reject_unknown_filters, require_view
from assetgraph.api.importjobs import queue_import
from assetgraph.api.pagination import Page, page_request, paginate
from assetgraph.api.schemas import JobAcceptedOut
from assetgraph.core.actor import api_actor
from assetgraph.core.attributes import apply_attribute_params
from assetgraph.core.errors import (
    MissingReference,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from assetgraph.core.exporting import export_response
from assetgraph.framework.bulk import apply_each
from assetgraph.framework.etags import etag_for

from . import exports, reads, schemas, services
from .estate import estate_json
from .history import cis_as_of, diff, overlay, parse_when, states_at
from .importers import CIImporter, RelationshipImporter
from .models import (
    CI,
    Relationship,
    SoftwareInstall,
    SoftwareProduct,
)
from .querysets import attribute_definitions, neighbours, visible_cis, visible_relationships

router = Router()

UNSHOWN = ("created", "updated")  # not in CIOut: not read (nor converted) for it
CI_ORDERINGS = {"name": "name_key", "id": "pk", "criticality": "criticality"}
REL_ORDERINGS = {"id": "pk"}


def _filtered_cis(request: HttpRequest, filters: schemas.CIFilter) -> tuple[Any, dict[str, str]]:
    when = parse_when(request.GET.get("as_of"))
    include_retired = request.GET.get("include_retired", "").lower() in {"true", "1", "yes"}
    queryset = filters.filter(visible_cis(request.user, when, include_retired=include_retired))
    queryset, extra = apply_attribute_params(
        queryset, request.GET, attribute_definitions(filters.ci_class_id)
    )
    return queryset, {**CI_ORDERINGS, **extra}


# --- CIs ---------------------------------------------------------------------------------------


@router.get("/cis/", response=Page[schemas.CIOut], tags=["CIs"])
def list_cis(
    request: HttpRequest,
    filters: Query[schemas.CIFilter],
    as_of: str | None = None,
    include_retired: bool = False,
) -> HttpResponse:
    """Current CIs (or, with ``as_of``, those that existed then, with their values then).

    Filters: class (subclasses included), status, environment, criticality, team, location,
    ``q`` and ``attr.<key>[__lookup]=``; ``include_retired`` lists retired CIs too.
    """
    require_view(request, "cmdb.ci")
    reject_unknown_filters(request, schemas.CIFilter, "as_of", "include_retired")
    queryset, orderings = _filtered_cis(request, filters)
    paging = page_request(request.GET, orderings, "name")
    # No joins for the page itself: related names come in one query per kind (see reads).
    rows, next_cursor = paginate(queryset.select_related(None).defer(*UNSHOWN), paging, orderings)
    when = parse_when(as_of)
    results = _out(request, cis_as_of(rows, when) if when else rows)
    return reads.respond(request, {"results": results, "next": next_cursor})


@router.get("/cis/export", tags=["CIs"])
def export_cis(
    request: HttpRequest, filters: Query[schemas.CIFilter], format: str = "csv"
) -> HttpResponse:
    """The filtered CI list as CSV or XLSX (columns match the import)."""
    require_view(request, "cmdb.ci")
    queryset, _ = _filtered_cis(request, filters)
    return export_response(queryset.order_by("name", "pk"), exports.CI_COLUMNS, "cis", format)


def _ci(request: HttpRequest, ci_id: int, action: str = "view") -> CI:
    return get_object_or_404(
        visible_cis(request.user, include_retired=True), request.user, action, pk=ci_id
    )


def _out(request: HttpRequest, cis: list[CI]) -> list[dict[str, Any]]:
    """CIs as ``CIOut`` dicts, related objects fetched in bulk."""
    return reads.ci_dicts(request, reads.ci_rows(cis))


def _one(request: HttpRequest, ci_id: int) -> dict[str, Any]:
    """One visible CI (current or retired) as a ``CIOut`` dict, without joins."""
    ci = get_object_or_404(
        visible_cis(request.user, include_retired=True).select_related(None).defer(*UNSHOWN),
        request.user,
        "view",
        pk=ci_id,
    )
    return _out(request, [ci])[0]


@router.get("/cis/{int:ci_id}", response=schemas.CIOut, tags=["CIs"])
def get_ci(
    request: HttpRequest, ci_id: int, response: HttpResponse, as_of: str | None = None
) -> Any:
    """One CI; with ``as_of`` as it was then (404 if it did not exist then)."""
    when = parse_when(as_of)
    if when is not None:
        ci = get_object_or_404(
            visible_cis(request.user, when).select_related(None), request.user, "view", pk=ci_id
        )
        return _out(request, [overlay(ci, states_at("cmdb.ci", [ci.pk], when).get(str(ci.pk)))])[0]
    ci = get_object_or_404(
        visible_cis(request.user, include_retired=True).select_related(None).defer(*UNSHOWN),
        request.user,
        "view",
        pk=ci_id,
    )
    tag = etag_for(ci)
    if request.headers.get("If-None-Match", "").strip() == tag:
        not_modified = HttpResponse(status=304)
        not_modified["ETag"] = tag
        return not_modified
    fast = reads.respond(request, _out(request, [ci])[0])
    fast["ETag"] = tag
    return fast


@router.post("/cis/", response={201: schemas.CIOut}, tags=["CIs"])
def create_ci(request: HttpRequest, payload: schemas.CIIn) -> tuple[int, Any]:
    """Register a CI; attributes are validated against the class (errors name
    ``attributes.<key>``)."""
    if not has_perm(request.user, "cmdb.ci", "add"):
        raise PermissionDenied("you may not add a CI")
    values = payload.model_dump()
    check_references(request, CI, values)
    ci = services.create_ci(api_actor(request), values)
    return 201, _one(request, ci.pk)


@router.patch("/cis/{int:ci_id}", response=schemas.CIOut, tags=["CIs"])
def update_ci(
    request: HttpRequest, ci_id: int, payload: schemas.CIPatch, response: HttpResponse
) -> Any:
    """Change a CI; ``attributes`` is partial. ``If-Match`` makes it conditional."""
    ci = _ci(request, ci_id, "change")
    values = payload.model_dump(exclude_unset=True)
    check_references(request, CI, values)
    services.update_ci(api_actor(request), ci, values, expected_etag=if_match(request))
    result = _ci(request, ci_id)
    response["ETag"] = etag_for(result)
    return _out(request, [result])[0]


@router.post(
    "/cis/bulk-update",
    response=list[schemas.CIOut],
    tags=["CIs"],
    summary="Apply the same partial update to several CIs (all or nothing)",
)
def bulk_update_cis(request: HttpRequest, payload: schemas.CIBulkUpdateIn) -> Any:
    """One ``update_ci`` (and audit event) per CI in one transaction; a CI you may not change
    is a 404 naming it, and any refusal names every refused CI (``ids.<id>.<field>``)."""
    values = payload.changes.model_dump(exclude_unset=True)
    if not values:
        raise ValidationFailed("changes: name at least one field", fields={"changes": ["empty"]})
    check_references(request, CI, values)
    ids = list(dict.fromkeys(payload.cis))
    found = {
        c.pk: c
        for c in restrict(visible_cis(request.user).filter(pk__in=ids), request.user, "change")
    }
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise MissingReference(
            f"cis: CI {missing[0]} not found", fields={"cis": [f"{pk} not found" for pk in missing]}
        )
    actor = api_actor(request)
    done = apply_each([found[pk] for pk in ids], lambda ci: services.update_ci(actor, ci, values))
    return _out(request, [_ci(request, ci.pk) for ci in done])


@router.post("/cis/{int:ci_id}/retire", response=schemas.CIOut, tags=["CIs"])
def retire_ci(request: HttpRequest, ci_id: int) -> Any:
    """Retire a CI: its interval closes and its relationships end; the row stays."""
    services.retire_ci(api_actor(request), _ci(request, ci_id, "change"))
    return _one(request, ci_id)


@router.delete("/cis/{int:ci_id}", response={204: None}, tags=["CIs"])
def delete_ci(request: HttpRequest, ci_id: int) -> tuple[int, None]:
    """Same as retire: CIs are never deleted, so history and as-of views stay whole."""
    services.retire_ci(api_actor(request), _ci(request, ci_id, "change"))
    return 204, None


@router.get(
    "/cis/{int:ci_id}/relationships",
    response=list[schemas.NeighbourOut],
    tags=["CIs"],
)
def ci_relationships(
    request: HttpRequest,
    ci_id: int,
    direction: Literal["up", "down", "both"] = "both",
    as_of: str | None = None,
) -> list[Any]:
    """One level of the graph: ``down`` = what this CI runs on / depends on / contains,
    ``up`` = what runs on / depends on it. Only relationships whose other end is visible."""
    if direction not in {"up", "down", "both"}:
        raise ValidationFailed(
            "direction: use up, down or both", fields={"direction": ["use up, down or both"]}
        )
    when = parse_when(as_of)
    ci = get_object_or_404(
        visible_cis(request.user, when, include_retired=when is None),
        request.user,
        "view",
        pk=ci_id,
    )
    require_view(request, "cmdb.relationship")
    return [
        {
            "id": n.id,
            "direction": n.direction,
            "verb": n.verb,
            "type": n.type,
            "ci": n.ci,
            "ci_class": n.ci_class,
            "description": n.description,
            "valid_from": n.valid_from,
            "valid_to": n.valid_to,
        }
        for n in neighbours(request.user, ci, direction, when)
    ]


# --- software ----------------------------------------------------------------------------------


@router.get(
    "/cis/{int:ci_id}/software",
    response=list[schemas.SoftwareInstallOut],
    tags=["software"],
)
def ci_software(request: HttpRequest, ci_id: int) -> list[Any]:
    """Software installed on a CI, by catalogue product."""
    ci = _ci(request, ci_id)
    require_view(request, "cmdb.softwareinstall")
    return list(
        restrict(
            SoftwareInstall.objects.filter(ci=ci).select_related("ci", "product"),
            request.user,
            "view",
        )
    )


@router.post(
    "/cis/{int:ci_id}/software",
    response={201: schemas.SoftwareInstallOut},
    tags=["software"],
)
def add_ci_software(
    request: HttpRequest, ci_id: int, payload: schemas.SoftwareInstallIn
) -> tuple[int, Any]:
    """Record an install; the raw publisher/product are normalised to a catalogue entry."""
    ci = _ci(request, ci_id)
    if not has_perm(request.user, "cmdb.softwareinstall", "add"):
        raise PermissionDenied("you may not add software installs")
    install = services.record_software_install(api_actor(request), ci, payload.model_dump())
    return 201, install


@router.delete(
    "/software-installs/{int:install_id}",
    response={204: None},
    tags=["software"],
)
def delete_software_install(request: HttpRequest, install_id: int) -> tuple[int, None]:
    """Forget an install (the audit spine keeps it)."""
    install = get_object_or_404(
        SoftwareInstall.objects.select_related("ci"), request.user, "delete", pk=install_id
    )
    services.remove_software_install(api_actor(request), install)
    return 204, None


@router.get(
    "/software-products",
    response=Page[schemas.SoftwareProductOut],
    tags=["software"],
)
def list_software_products(request: HttpRequest, q: str = "") -> dict[str, Any]:
    """The normalised software catalogue."""
    require_view(request, "cmdb.softwareproduct")
    queryset = restrict(SoftwareProduct.objects.all(), request.user, "view")
    if q:
        queryset = queryset.filter(name__icontains=q) | queryset.filter(publisher__icontains=q)
    orderings = {"name": "name", "id": "pk"}
    rows, next_cursor = paginate(queryset, page_request(request.GET, orderings, "name"), orderings)
    return {"results": rows, "next": next_cursor}


# --- relationships -----------------------------------------------------------------------------


def _relationship(request: HttpRequest, rel_id: int, action: str = "view") -> Relationship:
    return get_object_or_404(
        visible_relationships(request.user, include_ended=True), request.user, action, pk=rel_id
    )


@router.get(
    "/relationships/",
    response=Page[schemas.RelationshipOut],
    tags=["relationships"],
)
def list_relationships(
    request: HttpRequest,
    filters: Query[schemas.RelationshipFilter],
    as_of: str | None = None,
    include_ended: bool = False,
) -> dict[str, Any]:
    """Current relationships (or those valid at ``as_of``; ``include_ended`` for all)."""
    require_view(request, "cmdb.relationship")
    queryset = filters.filter(
        visible_relationships(request.user, parse_when(as_of), include_ended=include_ended)
    )
    rows, next_cursor = paginate(
        queryset, page_request(request.GET, REL_ORDERINGS, "id"), REL_ORDERINGS
    )
    return {"results": rows, "next": next_cursor}


@router.get("/relationships/export", tags=["relationships"])
def export_relationships(
    request: HttpRequest, filters: Query[schemas.RelationshipFilter], format: str = "csv"
) -> HttpResponse:
    """Current relationships as CSV or XLSX (columns match the import)."""
    require_view(request, "cmdb.relationship")
    queryset = filters.filter(visible_relationships(request.user)).select_related(
        "source__ci_class", "target__ci_class"
    )
    return export_response(
        queryset.order_by("pk"), exports.RELATIONSHIP_COLUMNS, "relationships", format
    )


@router.get(
    "/relationships/{int:rel_id}",
    response=schemas.RelationshipOut,
    tags=["relationships"],
)
def get_relationship(request: HttpRequest, rel_id: int, response: HttpResponse) -> Any:
    """One relationship (ended ones too)."""
    rel = _relationship(request, rel_id)
    response["ETag"] = etag_for(rel)
    return rel


@router.post(
    "/relationships/",
    response={201: schemas.RelationshipOut},
    tags=["relationships"],
)
def create_relationship(request: HttpRequest, payload: schemas.RelationshipIn) -> tuple[int, Any]:
    """Relate two current CIs (409 if already related this way)."""
    if not has_perm(request.user, "cmdb.relationship", "add"):
        raise PermissionDenied("you may not add a relationship")
    values = payload.model_dump()
    check_references(request, Relationship, values)
    rel = services.add_relationship(api_actor(request), values)
    return 201, _relationship(request, rel.pk)


@router.patch(
    "/relationships/{int:rel_id}",
    response=schemas.RelationshipOut,
    tags=["relationships"],
)
def update_relationship(
    request: HttpRequest, rel_id: int, payload: schemas.RelationshipPatch, response: HttpResponse
) -> Any:
    """Change a relationship's description."""
    rel = _relationship(request, rel_id, "change")
    services.update_relationship(
        api_actor(request), rel, payload.model_dump(exclude_unset=True), if_match(request)
    )
    result = _relationship(request, rel_id)
    response["ETag"] = etag_for(result)
    return result


@router.delete(
    "/relationships/{int:rel_id}",
    response={204: None},
    tags=["relationships"],
)
def delete_relationship(request: HttpRequest, rel_id: int) -> tuple[int, None]:
    """End the relationship (its interval closes; the row stays for history)."""
    services.remove_relationship(api_actor(request), _relationship(request, rel_id, "delete"))
    return 204, None


# --- time, import, export ---------------------------------------------------------------------


@router.get("/diff", response=schemas.DiffOut, tags=["CIs"])
def estate_diff(
    request: HttpRequest,
    start_at: str = params.Query(..., alias="from", description="ISO date or timestamp"),
    end_at: str | None = params.Query(None, alias="to", description="ISO date or timestamp; now"),
) -> dict[str, Any]:
    """What changed between ``from`` and ``to`` (ISO timestamps; ``to`` defaults to now):
    CIs added and retired, field and attribute changes, relationships added and removed."""
    from django.utils import timezone

    require_view(request, "cmdb.ci")
    start = parse_when(start_at, "from")
    if start is None:
        raise ValidationFailed("from: required", fields={"from": ["required"]})
    end = parse_when(end_at, "to") or timezone.now()
    cis = visible_cis(request.user, include_retired=True)
    rels = (
        visible_relationships(request.user, include_ended=True)
        if has_perm(request.user, "cmdb.relationship", "view")
        else Relationship.objects.none()
    )
    result = diff(cis, rels, start, end)
    return {
        "cis_added": result.added,
        "cis_retired": result.retired,
        "cis_changed": [
            {"ci": ci, "changes": [{"field": f, "old": o, "new": n} for f, o, n in changes]}
            for ci, changes in result.changed
        ],
        "relationships_added": result.relationships_added,
        "relationships_removed": result.relationships_removed,
    }


IMPORTERS = {"cis": CIImporter, "relationships": RelationshipImporter}


@router.post(
    "/import/{kind}",
    response={202: JobAcceptedOut},
    tags=["import"],
    summary="Import CIs or relationships from CSV/XLSX/JSON in a worker job (all-or-nothing)",
)
def import_file(
    request: HttpRequest, kind: str, file: UploadedFile = params.File(...), dry_run: bool = True
) -> Any:
    """Upsert from a file; with ``dry_run`` (the default) nothing is written. Answers 202 with
    the job; its report (``GET /api/jobs/{id}``) has the per-row plan or row errors."""
    importer = IMPORTERS.get(kind)
    if importer is None:
        raise NotFound(f"nothing to import called {kind!r} (use cis or relationships)")
    return queue_import(request, importer, kind, file, dry_run=dry_run)


@router.get("/estate", tags=["import"])
def export_estate(request: HttpRequest) -> JsonResponse:
    """The whole visible estate as JSON: classes, attributes, relationship types, current CIs
    and relationships (re-importable)."""
    require_view(request, "cmdb.ci")
    response = JsonResponse(estate_json(request.user), json_dumps_params={"ensure_ascii": False})
    response["Content-Disposition"] = 'attachment; filename="cmdb-estate.json"'
    return response
