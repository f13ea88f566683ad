"""The integrations endpoints (``/api/integrations/…``): directory sync runs (list, read, run
on demand or as a dry run) and offboardings (read, check in the return list, reclaim the seats).

Every read goes through ``restrict()``: a hidden object is a 404, and the return and reclaim
lists show only the assets and seats the caller may see.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from assetgraph.accounts.permissions import get_object_or_404, has_perm, restrict
from assetgraph.api.pagination import Page, page_request, paginate
from assetgraph.core.actor import api_actor
from assetgraph.core.errors import PermissionDenied

from . import schemas, services
from .inventory import InventoryQuery, build_inventory, host_inventory
from .models import DirectorySyncRun, Offboarding

router = Router(tags=["integrations"])
# Newest first, keyset-paged like every other list (``?limit=&cursor=&ordering=``).
NEWEST = {"started": "started", "id": "pk"}
SYNC_RUN = "integrations.directorysyncrun"
OFFBOARDING = "integrations.offboarding"


def _require(request: HttpRequest, object_type: str, action: str = "view") -> None:
    if not has_perm(request.user, object_type, action):
        raise PermissionDenied(f"you may not {action} {object_type}")


def offboarding_out(request: HttpRequest | None, offboarding: Offboarding) -> dict[str, Any]:
    """An offboarding with its live return and reclaim lists (what the caller may see)."""
    person = offboarding.person
    assets = services.return_list(person)
    seats = services.reclaim_list(person)
    if request is not None:
        assets = restrict(assets, request.user, "view")
        seats = restrict(seats, request.user, "view")
    return {
        "id": offboarding.pk,
        "person_id": person.pk,
        "person": str(person),
        "employee_number": person.employee_number,
        "state": offboarding.state,
        "started": offboarding.started,
        "finished": offboarding.finished,
        "sync_run_id": offboarding.sync_run_id,
        "assets_at_start": offboarding.assets_at_start,
        "seats_at_start": offboarding.seats_at_start,
        "return_list": [
            {"id": a.pk, "asset_tag": a.asset_tag, "name": a.name, "model": str(a.model)}
            for a in assets
        ],
        "reclaim_list": [
            {
                "id": s.pk,
                "entitlement_id": s.entitlement_id,
                "entitlement": str(s.entitlement),
                "quantity": s.quantity,
            }
            for s in seats
        ],
    }


@router.get(
    "/directory/runs",
    response=Page[schemas.DirectorySyncRunOut],
    summary="Directory sync runs, newest first, one page at a time",
)
def list_runs(request: HttpRequest, filters: Query[schemas.DirectorySyncRunFilter]) -> Any:
    _require(request, SYNC_RUN)
    runs = filters.filter(restrict(DirectorySyncRun.objects.all(), request.user))
    rows, next_cursor = paginate(runs, page_request(request.GET, NEWEST, "-started"), NEWEST)
    return {"results": rows, "next": next_cursor}


@router.get(
    "/directory/runs/{int:run_id}",
    response=schemas.DirectorySyncRunOut,
    summary="One directory sync run with its diff",
)
def get_run(request: HttpRequest, run_id: int) -> Any:
    return get_object_or_404(DirectorySyncRun.objects.all(), request.user, "view", pk=run_id)


@router.post(
    "/directory/sync",
    response={201: schemas.DirectorySyncRunOut},
    summary="Sync people from the directory now (or compute the diff with dry_run)",
)
def run_sync(request: HttpRequest, payload: schemas.DirectorySyncIn) -> tuple[int, Any]:
    _require(request, SYNC_RUN, "run")
    run = services.sync_directory(api_actor(request), dry_run=payload.dry_run, trigger="api")
    return 201, run


@router.get(
    "/offboardings",
    response=Page[schemas.OffboardingOut],
    summary="Offboardings of leavers, newest first, one page at a time",
)
def list_offboardings(request: HttpRequest, filters: Query[schemas.OffboardingFilter]) -> Any:
    _require(request, OFFBOARDING)
    found = filters.filter(restrict(Offboarding.objects.select_related("person"), request.user))
    rows, next_cursor = paginate(found, page_request(request.GET, NEWEST, "-started"), NEWEST)
    return {"results": [offboarding_out(request, o) for o in rows], "next": next_cursor}


@router.get(
    "/offboardings/{int:offboarding_id}",
    response=schemas.OffboardingOut,
    summary="One offboarding: the assets to return and the seats to reclaim",
)
def get_offboarding(request: HttpRequest, offboarding_id: int) -> Any:
    found = get_object_or_404(
        Offboarding.objects.select_related("person"), request.user, "view", pk=offboarding_id
    )
    return offboarding_out(request, found)


@router.post(
    "/offboardings/{int:offboarding_id}/return",
    response=schemas.OffboardingOut,
    summary="Check in every asset on the return list",
)
def complete_returns(request: HttpRequest, offboarding_id: int) -> Any:
    found = get_object_or_404(
        Offboarding.objects.select_related("person"), request.user, "change", pk=offboarding_id
    )
    if not has_perm(request.user, "assets.asset", "checkin"):
        raise PermissionDenied("you may not check in assets")
    services.complete_returns(api_actor(request), found)
    found.refresh_from_db()
    return offboarding_out(request, found)


@router.post(
    "/offboardings/{int:offboarding_id}/reclaim",
    response=schemas.OffboardingOut,
    summary="Reclaim every licence seat on the reclaim list",
)
def reclaim_seats(request: HttpRequest, offboarding_id: int) -> Any:
    found = get_object_or_404(
        Offboarding.objects.select_related("person"), request.user, "change", pk=offboarding_id
    )
    services.reclaim_seats(api_actor(request), found)
    found.refresh_from_db()
    return offboarding_out(request, found)


def _inventory_query(filters: schemas.InventoryFilter) -> InventoryQuery:
    return InventoryQuery(
        environment=filters.environment or "",
        classes=tuple(c for c in (filters.ci_class or "").split(",") if c),
        status=filters.status or "",
        location=filters.location or "",
        search=filters.search or "",
        variables=tuple(v.strip() for v in (filters.vars or "").split(",") if v.strip()),
    )


@router.get(
    "/inventory",
    response=dict[str, Any],
    summary="The CMDB as Ansible inventory JSON (what an inventory script prints for --list)",
)
def inventory_list(request: HttpRequest, filters: Query[schemas.InventoryFilter]) -> Any:
    _require(request, "cmdb.ci")
    return build_inventory(_inventory_query(filters), request.user)


@router.get(
    "/inventory/hosts/{name}",
    response=dict[str, Any],
    summary="One host's variables (what an inventory script prints for --host); {} if unknown",
)
def inventory_host(request: HttpRequest, name: str, filters: Query[schemas.InventoryFilter]) -> Any:
    _require(request, "cmdb.ci")
    return host_inventory(name, _inventory_query(filters), request.user)
