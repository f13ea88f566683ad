"""REST endpoints of physical audits (``/api/assets/audits/…``) and the due/overdue lists."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router
from ninja.params import functions as params

from assetgraph.accounts.permissions import get_object_or_404, restrict
from assetgraph.api.crud import require_view
from assetgraph.api.pagination import Page, page_request, paginate
from assetgraph.core.actor import api_actor
from assetgraph.core.errors import MissingReference
from assetgraph.org.models import Location

from . import audits, reports, schemas, services
from .choices import AuditResultChoices
from .models import Asset, AuditCampaign, AuditItem

router = Router(tags=["asset audits"])
CAMPAIGN = "assets.auditcampaign"
ORDERINGS = {"started_at": "started_at", "name": "name", "id": "pk"}


def _campaign(request: HttpRequest, campaign_id: int, action: str = "view") -> AuditCampaign:
    campaign = get_object_or_404(
        audits.with_counts(AuditCampaign.objects.all(), request.user),
        request.user,
        action,
        pk=campaign_id,
    )
    return audits.attach_counts(campaign)


def _fresh(request: HttpRequest, campaign: AuditCampaign) -> AuditCampaign:
    counted = audits.with_counts(AuditCampaign.objects.all(), request.user)
    return audits.attach_counts(counted.get(pk=campaign.pk))


@router.get(
    "/",
    response=Page[schemas.AuditCampaignOut],
    summary="List audit campaigns",
)
def list_campaigns(
    request: HttpRequest, filters: Query[schemas.AuditCampaignFilter]
) -> dict[str, Any]:
    require_view(request, CAMPAIGN)
    queryset = filters.filter(audits.campaigns_for(request.user))
    paging = page_request(request.GET, ORDERINGS, "-started_at")
    rows, next_cursor = paginate(queryset, paging, ORDERINGS)
    return {"results": [audits.attach_counts(c) for c in rows], "next": next_cursor}


@router.post(
    "/",
    response={201: schemas.AuditCampaignOut},
    summary="Start an audit campaign at a location (snapshots the expected list)",
)
def start(request: HttpRequest, payload: schemas.AuditCampaignIn) -> tuple[int, Any]:
    location = (
        restrict(Location.objects.all(), request.user, "view")
        .filter(pk=payload.location_id)
        .first()
    )
    if location is None:
        message = f"location {payload.location_id} not found"
        raise MissingReference(f"location_id: {message}", fields={"location_id": ["not found"]})
    campaign = services.start_audit_campaign(
        api_actor(request), location, name=payload.name, notes=payload.notes
    )
    return 201, _fresh(request, campaign)


@router.get(
    "/due",
    response=schemas.AssetsDueOut,
    summary="Assets whose audit is due within N days (or overdue, or never audited)",
)
def due(
    request: HttpRequest,
    days: int = params.Query(30, ge=0, le=3650),
    overdue_only: bool = False,
    limit: int = params.Query(200, ge=1, le=1000),
) -> Any:
    require_view(request, "assets.asset")
    visible = restrict(Asset.objects.all(), request.user, "view")
    today = timezone.localdate()
    queryset = (
        reports.audits_overdue(visible, today)
        if overdue_only
        else reports.audits_due(visible, days, today)
    )
    rows = list(queryset.select_related("assigned_location", "parent")[:limit])
    # The first ``limit`` and the full count: a capped list says so.
    count = len(rows) if len(rows) < limit else queryset.count()
    return {"count": count, "results": rows}


@router.get(
    "/{int:campaign_id}",
    response=schemas.AuditCampaignOut,
    summary="One audit campaign with its counts",
)
def detail(request: HttpRequest, campaign_id: int) -> Any:
    return _campaign(request, campaign_id)


@router.get(
    "/{int:campaign_id}/items",
    response=list[schemas.AuditItemOut],
    summary="The campaign's items: expected assets and scanned tags, by result",
)
def items(request: HttpRequest, campaign_id: int, result: AuditResultChoices | None = None) -> Any:
    campaign = _campaign(request, campaign_id)
    return list(audits.items_of(campaign, result.value if result else None, user=request.user))


@router.post(
    "/{int:campaign_id}/scan",
    response=schemas.ScanOut,
    summary="Record a scanned asset tag: found, unexpected or unknown",
)
def scan(request: HttpRequest, campaign_id: int, payload: schemas.ScanIn) -> Any:
    campaign = _campaign(request, campaign_id, "scan")
    outcome = services.scan_asset_tag(api_actor(request), campaign, payload.tag)
    return {
        "result": outcome.result,
        "repeated": outcome.repeated,
        "message": outcome.message,
        "item": AuditItem.objects.select_related("asset", "registered_location").get(
            pk=outcome.item.pk
        ),
    }


@router.post(
    "/{int:campaign_id}/items/{int:item_id}/relocate",
    response=schemas.AssetOut,
    summary="Register an unexpected asset at the audited location",
)
def relocate(request: HttpRequest, campaign_id: int, item_id: int) -> Any:
    campaign = _campaign(request, campaign_id, "scan")
    item = campaign.items.filter(pk=item_id).first()
    if item is None:
        raise MissingReference(
            f"item_id: item {item_id} not found", fields={"item_id": ["not found"]}
        )
    asset = services.relocate_audited_asset(api_actor(request), item)
    return Asset.objects.select_related(
        "model__category",
        "manufacturer",
        "location",
        "custodian",
        "assigned_location",
        "parent",
        "supplier",
    ).get(pk=asset.pk)


@router.post(
    "/{int:campaign_id}/close",
    response=schemas.CloseOut,
    summary="Close: unscanned assets become missing; seen assets get audit dates",
)
def close(request: HttpRequest, campaign_id: int) -> Any:
    campaign = _campaign(request, campaign_id, "change")
    summary = services.close_audit_campaign(api_actor(request), campaign)
    return {
        "campaign": _fresh(request, summary.campaign),
        "counts": summary.counts,
        "stamped": summary.stamped,
    }
