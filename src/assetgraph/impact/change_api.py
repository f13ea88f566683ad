"""REST endpoints of change records (``/api/impact/changes/…``) and blackout windows
(``/api/impact/changes/blackouts/…``): the standard resource endpoints plus ``transition``
and ``assess``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from assetgraph.accounts.permissions import get_object_or_404, restrict
from assetgraph.api.crud import Resource, build_router
from assetgraph.core.actor import Actor, Source

from . import change_schemas as schemas
from . import services
from .changes import assess_change, assessment_dict
from .models import BlackoutWindow, ChangeRecord

CHANGE_RELATED = ("requester", "owner", "team")
CHANGE_PREFETCH = ("items__ci__ci_class",)


def _ci_list(change: ChangeRecord) -> str:
    return ";".join(
        f"{item.ci_id}{':down' if item.takes_down else ''}" for item in change.items.all()
    )


change_router = build_router(
    Resource(
        model=ChangeRecord,
        out_schema=schemas.ChangeOut,
        in_schema=schemas.ChangeIn,
        patch_schema=schemas.ChangePatch,
        filter_schema=schemas.ChangeFilter,
        create=services.create_change,
        update=services.update_change,
        delete=services.delete_change,
        orderings={"planned_start": "planned_start", "title": "title", "id": "pk"},
        default_ordering="-planned_start",
        select_related=CHANGE_RELATED,
        prefetch_related=CHANGE_PREFETCH,
        tag="changes",
        export_columns=[
            ("number", lambda c: c.number),
            ("title", lambda c: c.title),
            ("type", lambda c: c.change_type),
            ("state", lambda c: c.state),
            ("planned_start", lambda c: c.planned_start),
            ("planned_end", lambda c: c.planned_end),
            ("requester", lambda c: str(c.requester or "")),
            ("owner", lambda c: str(c.owner or "")),
            ("team", lambda c: str(c.team or "")),
            ("cis", _ci_list),
        ],
    )
)


def _actor(request: HttpRequest) -> Actor:
    return Actor.from_request(request, Source.API)


def _change(request: HttpRequest, change_id: int, action: str = "view") -> ChangeRecord:
    base = ChangeRecord.objects.select_related(*CHANGE_RELATED).prefetch_related(*CHANGE_PREFETCH)
    return get_object_or_404(
        restrict(base, request.user, "view"), request.user, action, pk=change_id
    )


@change_router.post(
    "/{int:change_id}/transition",
    response=schemas.ChangeOut,
    operation_id="transition_changerecord",
    summary="Move a change along its lifecycle (schedule, start, complete, fail, cancel, …)",
)
def transition(request: HttpRequest, change_id: int, payload: schemas.TransitionIn) -> Any:
    """An impossible move is a 409 whose message names the rule and where it may start."""
    change = _change(request, change_id, "change")
    services.transition_change(_actor(request), change, payload.transition, reason=payload.reason)
    return _change(request, change_id)


@change_router.get(
    "/{int:change_id}/assess",
    response=schemas.AssessmentOut,
    operation_id="assess_changerecord",
    summary="Impact, redundancy lost, conflicts, blackouts and risk of a change",
)
def assess(request: HttpRequest, change_id: int) -> Any:
    """Computed now from the estate graph; lists name only what the caller may view."""
    change = _change(request, change_id)
    return assessment_dict(assess_change(change, request.user))


blackout_router = build_router(
    Resource(
        model=BlackoutWindow,
        out_schema=schemas.BlackoutOut,
        in_schema=schemas.BlackoutIn,
        patch_schema=schemas.BlackoutPatch,
        filter_schema=schemas.BlackoutFilter,
        create=services.create_blackout,
        update=services.update_blackout,
        delete=services.delete_blackout,
        orderings={"start": "start", "name": "name", "id": "pk"},
        default_ordering="-start",
        prefetch_related=("scope",),
        tag="blackout windows",
        export_columns=[
            ("name", lambda b: b.name),
            ("start", lambda b: b.start),
            ("end", lambda b: b.end),
            ("scope", lambda b: ";".join(str(ci.pk) for ci in b.scope.all())),
        ],
    )
)
change_router.add_router("/blackouts", blackout_router)
