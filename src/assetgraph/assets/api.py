"""REST endpoints of the assets app: standard resources plus custody and lifecycle actions."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router
from ninja.files import UploadedFile
from ninja.params import functions as params

from assetgraph.accounts.permissions import get_object_or_404, has_perm, restrict
from assetgraph.api.crud import check_references, require_view
from assetgraph.api.importjobs import queue_import
from assetgraph.api.schemas import JobAcceptedOut
from assetgraph.api.validation import refuse_nulls
from assetgraph.core.actor import api_actor
from assetgraph.core.errors import MissingReference, NotFound, PermissionDenied, ValidationFailed
from assetgraph.core.exporting import export_response
from assetgraph.framework.bulk import apply_each
from assetgraph.framework.flags import outage_preview
from assetgraph.org.models import Location, Person
from assetgraph.org.schemas import PersonOut

from . import labels, reports, schemas, services
from .audits_api import router as audits_router
from .importers import AssetImporter
from .lifecycle import TRANSITIONS
from .models import Asset, CustodyRecord, Kit
from .querysets import ASSET_RELATED

#: ``?ids=1,2,3``: one to MAX_LABELS asset ids.
LABEL_IDS = "^[0-9]{1,18}(?:,[0-9]{1,18}){0," + str(labels.MAX_LABELS - 1) + "}$"
router = Router()
# Endpoints on the paths of the asset and kit resources (mounted by their declarations).
asset_routes = Router()
kit_routes = Router()


def _asset(request: HttpRequest, asset_id: int, action: str) -> Asset:
    queryset = Asset.objects.select_related(*ASSET_RELATED)
    return get_object_or_404(queryset, request.user, action, pk=asset_id)


def _visible_ref(request: HttpRequest, model: type[Any], pk: int | None, field: str) -> Any:
    """A referenced object the caller can see, or a 422 naming the field (hidden = absent)."""
    if pk is None:
        return None
    found = restrict(model._default_manager.all(), request.user, "view").filter(pk=pk).first()
    if found is None:
        noun = model._meta.verbose_name
        raise MissingReference(f"{field}: {noun} {pk} not found", fields={field: ["not found"]})
    return found


def _reload(request: HttpRequest, asset: Asset) -> Asset:
    return Asset.objects.select_related(*ASSET_RELATED).get(pk=asset.pk)


@asset_routes.post(
    "/{int:asset_id}/checkout",
    response={200: schemas.CustodyRecordOut},
    summary="Check an asset out to a person, a location or another asset",
)
def checkout(request: HttpRequest, asset_id: int, payload: schemas.CheckoutIn) -> Any:
    """Exactly one target; 409 when the asset is not available (the message names the rule)."""
    asset = _asset(request, asset_id, "checkout")
    return services.check_out_asset(
        api_actor(request),
        asset,
        to_person=_visible_ref(request, Person, payload.to_person_id, "to_person_id"),
        to_location=_visible_ref(request, Location, payload.to_location_id, "to_location_id"),
        to_asset=_visible_ref(request, Asset, payload.to_asset_id, "to_asset_id"),
        expected_return=payload.expected_return,
        notes=payload.notes,
    )


@asset_routes.post(
    "/{int:asset_id}/checkin",
    response=schemas.AssetOut,
    summary="Check an asset back into stock, with condition notes",
)
def checkin(request: HttpRequest, asset_id: int, payload: schemas.CheckinIn) -> Any:
    asset = _asset(request, asset_id, "checkin")
    updated = services.check_in_asset(
        api_actor(request),
        asset,
        condition_notes=payload.condition_notes,
        defective=payload.defective,
        location=_visible_ref(request, Location, payload.location_id, "location_id"),
    )
    return _reload(request, updated)


@asset_routes.post(
    "/bulk-checkin",
    response=list[schemas.AssetOut],
    summary="Check several assets in at once (all or nothing)",
)
def bulk_checkin(request: HttpRequest, payload: schemas.BulkCheckinIn) -> Any:
    """Each refused asset is named in ``fields`` (``ids.<id>.<field>``); nothing changes."""
    actor = api_actor(request)
    chosen = _bulk_assets(request, payload.assets, "checkin")
    done = apply_each(
        chosen,
        lambda a: services.check_in_asset(
            actor, a, condition_notes=payload.condition_notes, defective=payload.defective
        ),
    )
    return _reload_all(done)


def _bulk_assets(request: HttpRequest, ids: list[int], action: str) -> list[Asset]:
    """The assets a bulk request names, in its order; one the caller may not ``action`` is a
    404 naming it (hidden and absent alike), before anything changes."""
    visible = restrict(Asset.objects.filter(pk__in=ids), request.user, action)
    found = {a.pk: a for a in visible}
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise MissingReference(
            f"assets: asset {missing[0]} not found",
            fields={"assets": [f"{pk} not found" for pk in missing]},
        )
    return [found[pk] for pk in dict.fromkeys(ids)]


def _reload_all(done: list[Asset]) -> list[Asset]:
    return list(Asset.objects.select_related(*ASSET_RELATED).filter(pk__in=[a.pk for a in done]))


@asset_routes.post(
    "/bulk-update",
    response=list[schemas.AssetOut],
    summary="Apply the same partial update to several assets (all or nothing)",
)
def bulk_update(request: HttpRequest, payload: schemas.BulkUpdateIn) -> Any:
    """One ``update`` (and audit event) per asset; refused rows are named in ``fields``."""
    values = payload.changes.model_dump(exclude_unset=True)
    if not values:
        raise ValidationFailed("changes: name at least one field", fields={"changes": ["empty"]})
    refuse_nulls(Asset, values)
    check_references(request, Asset, values)
    actor = api_actor(request)
    chosen = _bulk_assets(request, payload.assets, "change")
    return _reload_all(apply_each(chosen, lambda a: services.update_asset(actor, a, values)))


@asset_routes.post(
    "/bulk-transition",
    response=list[schemas.AssetOut],
    summary="Move several assets along the same lifecycle transition (all or nothing)",
)
def bulk_transition(request: HttpRequest, payload: schemas.BulkTransitionIn) -> Any:
    """409 naming each asset the lifecycle table refuses; nothing changes then."""
    actor = api_actor(request)
    chosen = _bulk_assets(request, payload.assets, "change")
    disposal = payload.disposal.model_dump() if payload.disposal else None

    def move(asset: Asset) -> Asset:
        return services.transition_asset(
            actor,
            asset,
            payload.transition,
            substate=payload.substate,
            reason=payload.reason,
            disposal=disposal,
            confirm_impact=payload.confirm_impact,
        )

    return _reload_all(apply_each(chosen, move))


@asset_routes.get(
    "/{int:asset_id}/outage-preview",
    response=dict[str, Any],
    summary="What taking the asset's CI out of service breaks (before retiring or repairing)",
)
def outage_preview_endpoint(request: HttpRequest, asset_id: int) -> Any:
    """The business services that go down or degrade, people affected, redundancy groups that
    lose capacity, and whether a retirement or repair needs ``confirm_impact``
    (docs/both-layers.md). ``preview`` is null when the asset has no CI you may see."""
    asset = _asset(request, asset_id, "view")
    ci = getattr(asset, "ci", None)
    preview = None
    if (
        ci is not None
        and ci.valid_to is None
        and restrict(type(ci).objects.filter(pk=ci.pk), request.user, "view").exists()
    ):
        preview = outage_preview(request.user, [ci.pk])
    return {
        "asset": {"id": asset.pk, "display": str(asset)},
        "preview": preview.as_dict() if preview else None,
    }


@asset_routes.post(
    "/{int:asset_id}/transition",
    response=schemas.AssetOut,
    summary="Move an asset along the lifecycle (receive, repair, retire…)",
)
def transition(request: HttpRequest, asset_id: int, payload: schemas.AssetTransitionIn) -> Any:
    """409 with the rule's name when the lifecycle table does not allow it."""
    asset = _asset(request, asset_id, "change")
    updated = services.transition_asset(
        api_actor(request),
        asset,
        payload.transition,
        substate=payload.substate,
        reason=payload.reason,
        disposal=payload.disposal.model_dump() if payload.disposal else None,
        confirm_impact=payload.confirm_impact,
    )
    return _reload(request, updated)


@asset_routes.get(
    "/{int:asset_id}/custody",
    response=list[schemas.CustodyRecordOut],
    summary="The asset's custody history, newest first",
)
def custody_history(request: HttpRequest, asset_id: int) -> Any:
    asset = _asset(request, asset_id, "view")
    return list(
        CustodyRecord.objects.filter(asset=asset).select_related(
            "asset", "person", "location", "parent"
        )
    )


@router.get(
    "/lifecycle",
    response=list[schemas.TransitionOut],
    tags=["assets"],
    summary="The lifecycle transition table",
)
def lifecycle(request: HttpRequest) -> Any:
    return [
        {
            "name": t.name,
            "label": t.label,
            "sources": [f"{s}.{sub}" for s, sub in t.sources],
            "target": t.target,
            "substates": list(t.substates),
            "requires": list(t.requires),
            "stamps": list(t.stamps),
            "custody_only": t.custody_only,
        }
        for t in TRANSITIONS.values()
    ]


@kit_routes.post(
    "/{int:kit_id}/issue",
    response=list[schemas.CustodyRecordOut],
    summary="Issue a kit to people (all or nothing; 409 lists what is short)",
)
def issue(request: HttpRequest, kit_id: int, payload: schemas.IssueKitIn) -> Any:
    kit = get_object_or_404(Kit.objects.all(), request.user, "view", pk=kit_id)
    if not has_perm(request.user, "assets.asset", "checkout"):
        raise PermissionDenied("you may not check out assets")
    people = restrict(Person.objects.filter(pk__in=payload.people), request.user, "view")
    found = {p.pk: p for p in people}
    missing = [pk for pk in payload.people if pk not in found]
    if missing:
        raise MissingReference(
            f"people: person {missing[0]} not found", fields={"people": [f"{missing[0]} not found"]}
        )
    records = services.issue_kit(
        api_actor(request),
        kit,
        [found[pk] for pk in payload.people],
        expected_return=payload.expected_return,
    )
    return list(
        CustodyRecord.objects.filter(pk__in=[r.pk for r in records]).select_related(
            "asset", "person", "location", "parent"
        )
    )


router.add_router("/audits", audits_router)


@router.get(
    "/people/{int:person_id}/custody",
    response=list[schemas.AssetOut],
    tags=["assets"],
    summary="Everything a person holds (for offboarding)",
)
def person_custody(request: HttpRequest, person_id: int) -> Any:
    person = get_object_or_404(Person.objects.all(), request.user, "view", pk=person_id)
    require_view(request, "assets.asset")
    held = Asset.objects.filter(custodian=person).select_related(*ASSET_RELATED)
    return list(restrict(held, request.user, "view").order_by("asset_tag"))


@router.post(
    "/people/{int:person_id}/offboard",
    response=list[schemas.AssetOut],
    tags=["assets"],
    summary="Check in everything a leaver returned, in one go",
)
def offboard(request: HttpRequest, person_id: int, condition_notes: str = "") -> Any:
    person = get_object_or_404(Person.objects.all(), request.user, "view", pk=person_id)
    if not has_perm(request.user, "assets.asset", "checkin"):
        raise PermissionDenied("you may not check in assets")
    done = services.offboard_person(api_actor(request), person, condition_notes=condition_notes)
    return list(Asset.objects.select_related(*ASSET_RELATED).filter(pk__in=[a.pk for a in done]))


class LeaverOut(PersonOut):
    asset_count: int


@router.get(
    "/reports/leavers",
    response=list[LeaverOut],
    tags=["assets"],
    summary="Leavers (left or leaving) who still hold assets",
)
def leavers(request: HttpRequest) -> Any:
    require_view(request, "assets.asset")
    people = restrict(
        Person.objects.select_related("department", "cost_centre", "manager", "location"),
        request.user,
        "view",
    )
    return reports.leavers_with_assets(people, restrict(Asset.objects.all(), request.user, "view"))


@router.get(
    "/reports/{name}",
    response=schemas.ReportOut,
    tags=["assets"],
    summary="Asset counts by state, category, location, department, custodian; aging",
)
def report(
    request: HttpRequest,
    name: str,
    fmt: Literal["", "csv", "xlsx"] = params.Query("", alias="format"),
) -> Any:
    """Counts over the assets you may see; ``?format=csv|xlsx`` downloads the table."""
    require_view(request, "assets.asset")
    make = reports.REPORTS.get(name)
    if make is None:
        known = ", ".join(reports.REPORTS)
        raise NotFound(f"no report {name!r} (known: {known}, leavers)")
    result = make(restrict(Asset.objects.all(), request.user, "view"), request.user)
    if fmt:
        return export_response(result.rows, reports.report_columns(), f"assets-by-{name}", fmt)
    return result.as_dict()


@router.get(
    "/alerts",
    tags=["assets"],
    summary="Warranty, overdue-return, end-of-life and audits-due alerts",
)
def alerts(
    request: HttpRequest,
    warranty_days: int = params.Query(30, ge=0, le=3650),
    eol_months: int = params.Query(6, ge=0, le=240),
    audit_days: int = params.Query(30, ge=0, le=3650),
    limit: int = params.Query(100, ge=1, le=1000),
) -> dict[str, Any]:
    """Four lists (up to ``limit`` each) and their full counts, for the assets you can see."""
    require_view(request, "assets.asset")
    visible = restrict(Asset.objects.all(), request.user, "view")
    today = timezone.localdate()
    groups = {
        "warranty_expiring": reports.warranty_expiring(visible, warranty_days, today),
        "overdue_returns": reports.overdue_returns(visible, today),
        "end_of_life": reports.end_of_life_within(visible, eol_months, today),
        "audits_due": reports.audits_due(visible, audit_days, today),
    }
    result: dict[str, Any] = {"today": today.isoformat()}
    for name, queryset in groups.items():
        rows = list(queryset[:limit])
        result[name] = {
            "count": queryset.count(),
            "results": [_alert_row(a) for a in rows],
        }
    return result


def _alert_row(asset: Asset) -> dict[str, Any]:
    return {
        "id": asset.pk,
        "asset_tag": asset.asset_tag,
        "model": asset.model.name,
        "state": asset.state,
        "custodian": str(asset.custodian) if asset.custodian else None,
        "warranty_end": asset.warranty_end,
        "expected_return": asset.expected_return,
        "eol_date": asset.eol_date,
        "next_audit_due": asset.next_audit_due,
    }


@router.get(
    "/labels",
    response=list[schemas.LabelOut],
    tags=["assets"],
    summary="Label data with QR codes for the given asset ids (hidden ids are skipped)",
)
def asset_labels(
    request: HttpRequest,
    ids: str = params.Query(..., pattern=LABEL_IDS),
) -> Any:
    """``?ids=1,2,3`` (at most 500): what the printable label sheet shows, for other tools."""
    wanted = [int(part) for part in ids.replace(" ", "").split(",") if part.isdigit()]
    if not wanted or len(wanted) > labels.MAX_LABELS:
        message = f"give 1 to {labels.MAX_LABELS} asset ids, comma-separated"
        raise ValidationFailed(f"ids: {message}", fields={"ids": [message]})
    assets = restrict(
        Asset.objects.filter(pk__in=wanted).select_related("model"), request.user, "view"
    ).order_by("asset_tag")
    result = []
    for asset in assets:
        url = labels.label_url(request, asset)
        result.append(
            {
                "id": asset.pk,
                "asset_tag": asset.asset_tag,
                "name": asset.name,
                "model": asset.model.name,
                "url": url,
                "qr_svg": labels.qr_data_uri(url),
            }
        )
    return result


@router.post(
    "/import/assets",
    response={202: JobAcceptedOut},
    tags=["import"],
    summary="Import assets from CSV/XLSX in a worker job (all-or-nothing; dry_run previews)",
)
def import_assets(
    request: HttpRequest, file: UploadedFile = params.File(...), dry_run: bool = True
) -> Any:
    """Upsert by asset tag, else serial + manufacturer. Answers 202 with the job; its report
    (``GET /api/jobs/{id}``) lists row errors, in which case nothing was written."""
    return queue_import(request, AssetImporter, "assets", file, dry_run=dry_run)
