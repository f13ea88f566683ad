"""REST endpoints of discovery beyond its resources' generic ones (``/api/discovery/…``):
start a run from a file, resolve or dismiss a queued item, CMDB health, unmanaged and
missing hardware.

A scanner authenticates with a write-enabled token of a user holding the Discovery Agent
role (a discovery-scoped token: it may run discovery and read what it needs, nothing else).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from ninja import Router
from ninja.files import UploadedFile
from ninja.params import functions as params

from assetgraph.accounts.permissions import get_object_or_404, has_perm, restrict
from assetgraph.api.importjobs import check_form
from assetgraph.api.pagination import Page, page_request, paginate
from assetgraph.assets.models import AssetModel
from assetgraph.cmdb.models import CI
from assetgraph.core.actor import api_actor
from assetgraph.core.errors import NotFound, PermissionDenied

from . import assets, health, jobs, schemas, services
from .models import DataSource, DiscoveryRun, ReconciliationItem

router = Router(tags=["discovery"])


def _source(request: HttpRequest, name: str) -> DataSource:
    queryset = restrict(DataSource.objects.all(), request.user)
    found = queryset.filter(name=name).first()
    if found is None and name.isdigit():
        found = queryset.filter(pk=int(name)).first()
    if found is None:
        raise NotFound(f"no data source {name!r}")
    return found


@router.post(
    "/run",
    response={202: schemas.RunOut},
    summary="Run discovery on a file (nmap XML, Ansible facts, CycloneDX, EC2 JSON, CSV)",
)
def run_file(
    request: HttpRequest,
    source: str,
    file: UploadedFile = params.File(...),
    scope: str = "",
    full_scan: bool = False,
    dry_run: bool = False,
) -> Any:
    """Answers 202 with the run, queued for a worker (issue 15: no upload is processed in the
    request); ``Location`` is the run, ``GET /api/discovery/runs/{id}``: poll it while
    ``state`` is running. It ends succeeded (counts, diff) or failed (``messages`` name the
    element or row; nothing was written)."""
    check_form(request)
    run = jobs.start_run(
        api_actor(request),
        _source(request, source),
        file.read(),
        scope=scope,
        full_scan=full_scan,
        dry_run=dry_run,
        filename=file.name or "",
        background=True,
    )
    url = f"/api/discovery/runs/{run.pk}"
    body = schemas.RunOut.from_orm(run).model_dump(mode="json")
    response = JsonResponse(body, status=202)
    response["Location"] = url
    return response


# Keyset-paged like every other list (``?limit=&cursor=&ordering=``; ``next`` is null on the
# last page): nothing is cut silently.
RUN_ORDERINGS = {"started": "started", "id": "pk"}
QUEUE_ORDERINGS = {"created": "created", "id": "pk"}


@router.get("/runs", response=Page[schemas.RunOut], summary="Discovery runs, newest first")
def runs(request: HttpRequest, source: str = "") -> Any:
    """Runs, newest first, one page at a time, optionally of one source."""
    if not has_perm(request.user, "discovery.discoveryrun", "view"):
        raise PermissionDenied("you may not view discovery runs")
    queryset = restrict(DiscoveryRun.objects.all(), request.user)
    if source:
        queryset = queryset.filter(source=_source(request, source))
    paging = page_request(request.GET, RUN_ORDERINGS, "-started")
    rows, next_cursor = paginate(queryset, paging, RUN_ORDERINGS)
    return {"results": rows, "next": next_cursor}


@router.get("/runs/{int:pk}", response=schemas.RunOut, summary="One discovery run")
def run_detail(request: HttpRequest, pk: int) -> Any:
    """A run with its counts, diff and messages (poll it while ``state`` is running)."""
    return get_object_or_404(DiscoveryRun.objects.all(), request.user, "view", pk=pk)


@router.get("/queue", response=Page[schemas.QueueItemOut], summary="The reconciliation queue")
def queue(request: HttpRequest, state: str = "open") -> Any:
    """Queued items (open ones by default), newest first, one page at a time."""
    if not has_perm(request.user, "discovery.reconciliationitem", "view"):
        raise PermissionDenied("you may not view the reconciliation queue")
    queryset = restrict(ReconciliationItem.objects.all(), request.user).filter(state=state)
    paging = page_request(request.GET, QUEUE_ORDERINGS, "-created")
    rows, next_cursor = paginate(queryset.prefetch_related("candidates"), paging, QUEUE_ORDERINGS)
    return {"results": rows, "next": next_cursor}


def _queued(request: HttpRequest, pk: int) -> ReconciliationItem:
    return get_object_or_404(ReconciliationItem.objects.all(), request.user, "change", pk=pk)


@router.post(
    "/queue/{int:pk}/resolve", response=schemas.QueueItemOut, summary="Resolve a queued item"
)
def resolve(request: HttpRequest, pk: int, payload: schemas.ResolveIn) -> Any:
    """Say which candidate CI the item is; its values are written to that CI."""
    item = _queued(request, pk)
    ci = get_object_or_404(item.candidates.all(), request.user, "change", pk=payload.ci_id)
    return services.resolve_item(api_actor(request), item, ci)


@router.post(
    "/queue/{int:pk}/dismiss", response=schemas.QueueItemOut, summary="Dismiss a queued item"
)
def dismiss(request: HttpRequest, pk: int) -> Any:
    """Close the item without writing anything."""
    return services.dismiss_item(api_actor(request), _queued(request, pk))


def _may_read_cmdb(request: HttpRequest) -> None:
    if not has_perm(request.user, "cmdb.ci", "view"):
        raise PermissionDenied("you may not view CIs")


@router.get("/health", response=dict[str, Any], summary="CMDB health per class and overall")
def health_scores(request: HttpRequest) -> Any:
    """Completeness, correctness and compliance now, per class and overall, with the trend."""
    _may_read_cmdb(request)
    result = health.compute()
    return {
        "overall": result["overall"],
        "classes": list(result["classes"].values()),
        "trend": health.trend(),
    }


@router.get("/health/offenders", response=list[dict[str, Any]], summary="Health drill-down")
def health_offenders(request: HttpRequest, class_id: int, measure: str) -> Any:
    """The CIs behind one measure of one class (duplicate, orphan, stale, incomplete,
    non_compliant)."""
    _may_read_cmdb(request)
    ids = health.compute()["offenders"].get(class_id, {}).get(measure)
    if ids is None:
        raise NotFound("no such class or measure")
    cis = restrict(CI.objects.filter(pk__in=ids), request.user).order_by("name")
    return [{"id": ci.pk, "name": ci.name} for ci in cis]


@router.get(
    "/unmanaged", response=list[dict[str, Any]], summary="Discovered hardware with no asset"
)
def unmanaged(request: HttpRequest) -> Any:
    """Hardware CIs discovery has seen that no asset stands for."""
    return [
        {
            "id": ci.pk,
            "name": ci.name,
            "class": ci.ci_class.name,
            "serial_number": ci.attributes.get("serial_number", ""),
        }
        for ci in assets.unmanaged(request.user)
    ]


@router.post(
    "/unmanaged/{int:pk}/make-asset", response={201: dict[str, Any]}, summary="Make an asset"
)
def make_asset(request: HttpRequest, pk: int, model_id: int) -> Any:
    """Register the CI as an asset of ``model_id`` and link them."""
    ci = get_object_or_404(CI.objects.current(), request.user, "change", pk=pk)
    model = get_object_or_404(AssetModel.objects.all(), request.user, "view", pk=model_id)
    asset = assets.make_asset(api_actor(request), ci, model)
    return 201, {"asset_id": asset.pk, "asset_tag": asset.asset_tag, "ci_id": ci.pk}


@router.post(
    "/unmanaged/{int:pk}/link", response=dict[str, Any], summary="Link to an asset by serial"
)
def link_asset(request: HttpRequest, pk: int) -> Any:
    """Link the CI to the registered asset with its serial number."""
    ci = get_object_or_404(CI.objects.current(), request.user, "change", pk=pk)
    asset = assets.link_by_serial(api_actor(request), ci)
    return {"asset_id": asset.pk, "asset_tag": asset.asset_tag, "ci_id": ci.pk}


@router.get("/missing", response=list[dict[str, Any]], summary="Assets discovery no longer sees")
def missing(
    request: HttpRequest, days: int = params.Query(assets.MISSING_AFTER_DAYS, ge=1, le=36500)
) -> Any:
    """Registered assets whose CI no source has seen for ``days`` days."""
    if not has_perm(request.user, "assets.asset", "view"):
        raise PermissionDenied("you may not view assets")
    return [
        {
            "asset_id": a.pk,
            "asset_tag": a.asset_tag,
            "ci_id": ci.pk,
            "location_id": a.location_id,
            "last_seen": seen,
        }
        for a, ci, seen in assets.missing(request.user, max(1, days))
    ]
