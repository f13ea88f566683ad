"""``GET /api/audit/events`` and ``GET /api/audit/revision``."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from assetgraph.accounts.permissions import has_perm
from assetgraph.audit.models import AuditEvent
from assetgraph.audit.schemas import AuditEventFilter, AuditEventOut, RevisionOut
from assetgraph.audit.services import current_revision
from assetgraph.core.errors import PermissionDenied
from assetgraph.framework.redaction import redact, visible_events

from .pagination import Page, page_request, paginate

router = Router(tags=["audit"])
ORDERINGS = {"id": "pk", "timestamp": "timestamp"}


@router.get(
    "/events",
    response=Page[AuditEventOut],
    summary="List audit events",
)
def list_events(request: HttpRequest, filters: Query[AuditEventFilter]) -> dict[str, Any]:
    """Events newest first, filtered by object, actor, action, source and time range.

    Needs ``view`` on audit events; only events about objects the caller may view are listed,
    and fields they may not see (costs without ``view_cost``) are left out of them.
    """
    if not has_perm(request.user, "audit.auditevent", "view"):
        raise PermissionDenied("you may not view the audit log")
    events = visible_events(AuditEvent.objects.all(), request.user)
    paging = page_request(request.GET, ORDERINGS, "-id")
    rows, next_cursor = paginate(filters.filter(events), paging, ORDERINGS)
    return {"results": redact(rows, request.user), "next": next_cursor}


@router.get(
    "/revision",
    response=RevisionOut,
    summary="Current audit revision",
)
def revision(request: HttpRequest) -> dict[str, int]:
    """The newest event id: it only grows, so caches key on it."""
    return {"revision": current_revision()}
