"""REST endpoints of the security app under ``/api/security/``: advisories (list, import,
exploit data, blast radius), findings (list, export, workflow, bulk status, matching runs),
end of life, policy runs and results, evidence exports and the dashboard. Policies and
policy exceptions have the generated endpoints (resources.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router
from ninja.files import UploadedFile
from ninja.params import functions as params

from assetgraph.accounts.models import User
from assetgraph.accounts.permissions import get_object_or_404, has_perm, restrict
from assetgraph.api.crud import require_view
from assetgraph.api.importjobs import queue_upload
from assetgraph.api.pagination import Page, page_request, paginate
from assetgraph.api.schemas import JobAcceptedOut
from assetgraph.core.actor import api_actor
from assetgraph.core.errors import MissingReference, NotFound, PermissionDenied, ValidationFailed
from assetgraph.core.exporting import export_response

from . import eol, evidence, policies, reads, schemas, services, uploads
from .exports import FINDING_COLUMNS
from .models import Advisory, EndOfLifeCycle, EvidencePackage, Finding, Policy, PolicyRun
from .services import ADVISORY_TYPE

router = Router(tags=["security"])
ADVISORY_ORDERINGS = {
    "identifier": "identifier",
    "severity": "severity",
    "modified": "modified",
    "id": "pk",
}
FINDING_ORDERINGS = {
    "priority": "priority",
    "severity": "severity",
    "first_seen": "first_seen",
    "due_date": "due_date",
    "id": "pk",
}


# ------------------------------------------------------------------------------ advisories
@router.get(
    "/advisories",
    response=Page[schemas.SecurityAdvisoryOut],
    summary="List advisories",
)
def list_advisories(
    request: HttpRequest, filters: Query[schemas.SecurityAdvisoryFilter]
) -> dict[str, Any]:
    require_view(request, "security.advisory")
    rows = filters.filter(restrict(Advisory.objects.all(), request.user, "view"))
    paging = page_request(request.GET, ADVISORY_ORDERINGS, "identifier")
    results, next_cursor = paginate(rows, paging, ADVISORY_ORDERINGS)
    return {"results": results, "next": next_cursor}


def _may(request: HttpRequest, action: str, object_type: str = ADVISORY_TYPE) -> None:
    """The cheap check before a feed is queued (the job checks again, as the sender)."""
    if not has_perm(request.user, object_type, action):
        raise PermissionDenied(f"you may not {action} {object_type}")


@router.post(
    "/advisories/import",
    response={202: JobAcceptedOut},
    summary="Import OSV (JSON/YAML, or a zip) or NVD CVE JSON 2.0 advisories in a worker job",
)
def import_advisories(
    request: HttpRequest, file: UploadedFile = params.File(...), match: bool = True
) -> Any:
    """Answers 202 with the job. Its report (``GET /api/jobs/{id}``) is the import's counts
    (and, with ``match``, the matching run's), or the error naming each bad file or record:
    all or nothing."""
    _may(request, "add")
    return queue_upload(
        request,
        kind="advisories",
        object_type=ADVISORY_TYPE,
        files={"file": file},
        runner=uploads.advisories,
        options={"match": match},
    )


@router.post(
    "/advisories/exploit-data",
    response={202: JobAcceptedOut},
    summary="Import a CISA KEV catalogue (JSON) and/or an EPSS CSV in a worker job",
)
def import_exploit_data(
    request: HttpRequest,
    kev: UploadedFile | None = params.File(None),
    epss: UploadedFile | None = params.File(None),
) -> Any:
    """Answers 202 with the job; its report holds ``changed`` (advisories changed)."""
    if kev is None and epss is None:
        raise ValidationFailed("kev or epss: a file is required", fields={"kev": ["required"]})
    _may(request, "change")
    files = {name: f for name, f in (("kev", kev), ("epss", epss)) if f is not None}
    return queue_upload(
        request,
        kind="exploit-data",
        object_type=ADVISORY_TYPE,
        files=files,
        runner=uploads.exploit_data,
        options={},
    )


@router.get(
    "/advisories/{advisory_id}",
    response=schemas.SecurityAdvisoryOut,
    summary="One advisory",
)
def get_advisory(request: HttpRequest, advisory_id: int) -> Advisory:
    return get_object_or_404(Advisory.objects.all(), request.user, "view", pk=advisory_id)


@router.get(
    "/advisories/{advisory_id}/blast-radius",
    response=schemas.SecurityBlastRadiusOut,
    summary="Every CI and business service an advisory touches",
)
def advisory_blast_radius(request: HttpRequest, advisory_id: int) -> dict[str, Any]:
    advisory = get_object_or_404(Advisory.objects.all(), request.user, "view", pk=advisory_id)
    return reads.blast_radius(request.user, advisory)


@router.get(
    "/blast-radius",
    response=schemas.SecurityBlastRadiusOut,
    summary="Blast radius of an advisory by identifier or alias (e.g. a CVE id)",
)
def blast_radius_by_name(
    request: HttpRequest, advisory: str = params.Query(..., max_length=100)
) -> dict[str, Any]:
    found = reads.advisory_by_name(request.user, advisory)
    if found is None:
        raise NotFound(f"advisory {advisory} not found")
    return reads.blast_radius(request.user, found)


# ------------------------------------------------------------------------------ findings
def _findings(request: HttpRequest, filters: schemas.SecurityFindingFilter) -> Any:
    require_view(request, "security.finding")
    return filters.filter(reads.visible_findings(request.user))


@router.get(
    "/findings",
    response=Page[schemas.SecurityFindingOut],
    summary="List findings, most urgent first",
)
def list_findings(
    request: HttpRequest, filters: Query[schemas.SecurityFindingFilter]
) -> dict[str, Any]:
    rows = _findings(request, filters)
    paging = page_request(request.GET, FINDING_ORDERINGS, "-priority")
    results, next_cursor = paginate(rows, paging, FINDING_ORDERINGS)
    return {"results": results, "next": next_cursor}


@router.get(
    "/findings/export",
    summary="Findings as CSV or XLSX (for auditors)",
    response={200: None},
)
def export_findings(
    request: HttpRequest, filters: Query[schemas.SecurityFindingFilter], format: str = "csv"
) -> HttpResponse:
    rows = _findings(request, filters).order_by("-priority", "pk")
    return export_response(rows, FINDING_COLUMNS, "findings", format)


@router.post(
    "/findings/bulk-status",
    response=schemas.SecurityBulkOut,
    summary="The same status on many findings (all or nothing)",
)
def bulk_status(request: HttpRequest, payload: schemas.SecurityBulkStatusIn) -> dict[str, int]:
    visible = restrict(Finding.objects.filter(pk__in=payload.ids), request.user, "view")
    found = list(visible)
    missing = sorted(set(payload.ids) - {f.pk for f in found})
    if missing:
        raise NotFound(f"finding(s) {missing[:20]} not found")
    return {"changed": services.bulk_set_status(api_actor(request), found, payload.status)}


@router.get(
    "/findings/{finding_id}",
    response=schemas.SecurityFindingOut,
    summary="One finding with why it matched and its priority",
)
def get_finding(request: HttpRequest, finding_id: int) -> Finding:
    return get_object_or_404(
        reads.visible_findings(request.user), request.user, "view", pk=finding_id
    )


@router.post(
    "/findings/{finding_id}/status",
    response=schemas.SecurityFindingOut,
    summary="Move a finding: open, in progress, fixed",
)
def set_status(request: HttpRequest, finding_id: int, payload: schemas.SecurityStatusIn) -> Finding:
    finding = get_object_or_404(Finding.objects.all(), request.user, "view", pk=finding_id)
    return services.set_finding_status(api_actor(request), finding, payload.status, payload.note)


@router.post(
    "/findings/{finding_id}/accept-risk",
    response=schemas.SecurityFindingOut,
    summary="Accept a finding's risk until a date (approver, reason)",
)
def accept_risk(
    request: HttpRequest, finding_id: int, payload: schemas.SecurityAcceptIn
) -> Finding:
    finding = get_object_or_404(Finding.objects.all(), request.user, "view", pk=finding_id)
    approver = None
    if payload.approver_id is not None:
        approver = User.objects.filter(pk=payload.approver_id, is_active=True).first()
        if approver is None:
            raise MissingReference(
                "approver_id: user not found", fields={"approver_id": ["not found"]}
            )
    return services.accept_risk(
        api_actor(request), finding, reason=payload.reason, until=payload.until, approver=approver
    )


@router.post(
    "/matching/run",
    response=dict[str, int],
    summary="Match installed software against the advisories now",
)
def run_matching(request: HttpRequest) -> dict[str, int]:
    return services.run_matching(api_actor(request)).as_dict()


# ------------------------------------------------------------------------------ end of life
@router.get(
    "/eol/cycles",
    response=Page[schemas.SecurityEolCycleOut],
    summary="Imported release cycles",
)
def list_cycles(request: HttpRequest, filters: Query[schemas.SecurityEolFilter]) -> dict[str, Any]:
    require_view(request, "security.endoflifecycle")
    rows = filters.filter(
        restrict(EndOfLifeCycle.objects.select_related("product"), request.user, "view")
    )
    orderings = {"cycle": "cycle", "eol": "eol", "id": "pk"}
    results, next_cursor = paginate(rows, page_request(request.GET, orderings, "id"), orderings)
    return {"results": results, "next": next_cursor}


@router.post(
    "/eol/import",
    response={202: JobAcceptedOut},
    summary="Import a product's release cycles (endoflife.date JSON) in a worker job",
)
def import_cycles(
    request: HttpRequest,
    product: str = params.Form(..., max_length=100),
    names: str = params.Form(""),
    file: UploadedFile = params.File(...),
) -> Any:
    """Answers 202 with the job; its report holds ``created`` and ``updated``, or the error
    naming each bad cycle (all or nothing)."""
    _may(request, "add", "security.endoflifecycle")
    return queue_upload(
        request,
        kind="eol-cycles",
        object_type="security.endoflifecycle",
        files={"file": file},
        runner=uploads.cycles,
        options={
            "product": product,
            "names": [n.strip() for n in names.split(",") if n.strip()],
        },
    )


@router.get(
    "/eol/report",
    response=list[schemas.SecurityEolRowOut],
    summary="Software, operating systems and hardware nearing or past end of life",
)
def eol_report(
    request: HttpRequest,
    warning_days: int = params.Query(eol.DEFAULT_WARNING_DAYS, ge=0, le=3650),
    include_supported: bool = False,
) -> list[dict[str, Any]]:
    require_view(request, "security.endoflifecycle")
    rows = eol.eol_report(request.user, warning_days=warning_days)
    return [
        {
            "kind": r.kind,
            "ci": r.ci,
            "asset": r.asset,
            "product": r.product,
            "version": r.version,
            "cycle": r.cycle,
            "eol": r.eol,
            "status": r.status,
            "days_left": r.days_left,
        }
        for r in rows
        if include_supported or r.status != "supported"
    ]


# ------------------------------------------------------------------------------ policies
@router.post(
    "/policies/{policy_id}/evaluate",
    response=schemas.SecurityPolicyRunOut,
    summary="Evaluate a policy now",
)
def evaluate(request: HttpRequest, policy_id: int) -> PolicyRun:
    policy = get_object_or_404(Policy.objects.all(), request.user, "change", pk=policy_id)
    return policies.evaluate_policy(api_actor(request), policy)


RUN_ORDERINGS = {"evaluated_at": "evaluated_at", "id": "pk"}


@router.get(
    "/policies/{policy_id}/runs",
    response=Page[schemas.SecurityPolicyRunOut],
    summary="A policy's runs, newest first (its trend), one page at a time",
)
def policy_runs(request: HttpRequest, policy_id: int) -> dict[str, Any]:
    policy = get_object_or_404(Policy.objects.all(), request.user, "view", pk=policy_id)
    paging = page_request(request.GET, RUN_ORDERINGS, "-evaluated_at")
    rows, next_cursor = paginate(policy.runs.all(), paging, RUN_ORDERINGS)
    return {"results": rows, "next": next_cursor}


@router.get(
    "/policies/{policy_id}/results",
    response=list[schemas.SecurityPolicyResultOut],
    summary="Failing and exempt CIs of the policy's latest run",
)
def policy_results(request: HttpRequest, policy_id: int) -> list[Any]:
    policy = get_object_or_404(Policy.objects.all(), request.user, "view", pk=policy_id)
    run = policy.runs.first()
    if run is None:
        return []
    from assetgraph.cmdb.models import CI

    visible = restrict(CI.objects.all(), request.user, "view")
    return list(run.results.filter(ci__in=visible).select_related("ci"))


# ------------------------------------------------------------------------------ evidence
@router.get(
    "/evidence",
    response=list[schemas.SecurityEvidenceOut],
    summary="Evidence packages exported so far",
)
def list_evidence(request: HttpRequest) -> list[EvidencePackage]:
    require_view(request, "security.evidencepackage")
    return list(
        restrict(EvidencePackage.objects.select_related("requested_by"), request.user, "view")[:200]
    )


@router.post(
    "/evidence",
    summary="Export audit evidence as of a date: a zip with a manifest and checksums",
    response={200: None},
)
def export_evidence(request: HttpRequest, payload: schemas.SecurityEvidenceIn) -> HttpResponse:
    as_of = payload.as_of if payload.as_of.tzinfo else payload.as_of.replace(tzinfo=dt.UTC)
    body, package = evidence.export_evidence(api_actor(request), as_of, payload.period_start)
    response = HttpResponse(body, content_type="application/zip")
    response["Content-Disposition"] = (
        f'attachment; filename="evidence-{as_of:%Y%m%d}-{package.pk}.zip"'
    )
    return response


# ------------------------------------------------------------------------------ dashboard
@router.get(
    "/dashboard",
    response=schemas.SecurityDashboardOut,
    summary="Counts for the security dashboard",
)
def dashboard(request: HttpRequest) -> dict[str, Any]:
    require_view(request, "security.finding")
    data = reads.dashboard(request.user)
    data["eol"] = eol.eol_counts(eol.eol_report(request.user))
    data["policies"] = reads.latest_runs(request.user)
    return data
