"""Pages of the security app (namespace ``ui:security``): the dashboard, advisories with
their upload and the CVE page (blast radius), findings with filters, bulk status changes and
the workflow, end of life, policy runs and evidence exports. Policies and exceptions use the
generic pages (resources.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from pydantic import ValidationError as PydanticError

from assetgraph.accounts.http import AuthedRequest
from assetgraph.accounts.permissions import has_perm, restrict
from assetgraph.api.importjobs import check_form
from assetgraph.cmdb.models import CI
from assetgraph.core.actor import ui_actor
from assetgraph.core.errors import ServiceError
from assetgraph.core.exporting import export_response
from assetgraph.framework.uploadjobs import StoredFile, store_upload
from assetgraph.ui.generic import selected_ids
from assetgraph.ui.uploadjobs import UploadJobKind, UploadJobPages

from . import eol, evidence, policies, reads, services, uploads
from .choices import FindingStatusChoices, SeverityChoices
from .exports import FINDING_COLUMNS
from .models import Advisory, EvidencePackage, Finding, Policy, PolicyRun
from .schemas import SecurityFindingFilter
from .services import ADVISORY_TYPE

SEVERITY_COLOURS = {
    "critical": "#7f1d1d",
    "high": "#dc2626",
    "medium": "#f59e0b",
    "low": "#3b82f6",
    "none": "#9ca3af",
    "unknown": "#6b7280",
}


def _require(request: AuthedRequest, object_type: str, action: str = "view") -> None:
    if not has_perm(request.user, object_type, action):
        raise PermissionDenied(f"you may not {action} {object_type}")


def _visible_or_404(queryset: Any, request: AuthedRequest, pk: int, action: str = "view") -> Any:
    found = restrict(queryset, request.user, action).filter(pk=pk).first()
    if found is None:
        raise Http404("not found")
    return found


# ------------------------------------------------------------------------------ dashboard
@login_required
def dashboard(request: AuthedRequest) -> HttpResponse:
    """Active findings by severity, age and service; overdue; end of life; policies."""
    _require(request, "security.finding")
    data = reads.dashboard(request.user)
    severities = list(data["by_severity"])
    charts = [
        {
            "id": "chart-severity",
            "title": "Active findings by severity",
            "type": "doughnut",
            "labels": severities,
            "counts": [data["by_severity"][s] for s in severities],
            "colours": [SEVERITY_COLOURS[s] for s in severities],
        },
        {
            "id": "chart-age",
            "title": "Active findings by age",
            "type": "bar",
            "labels": list(data["by_age"]),
            "counts": list(data["by_age"].values()),
            "colours": ["#0d6efd"] * len(data["by_age"]),
        },
        {
            "id": "chart-service",
            "title": "Active findings by business service",
            "type": "bar",
            "labels": [row["service"] for row in data["by_service"]],
            "counts": [row["total"] for row in data["by_service"]],
            "colours": ["#6f42c1"] * len(data["by_service"]),
        },
    ]
    urgent = (
        reads.visible_findings(request.user)
        .filter(status__in=["open", "in_progress"])
        .order_by("-priority", "pk")[:10]
    )
    eol_rows = eol.eol_report(request.user)
    context = {
        "data": data,
        "charts": charts,
        "urgent": urgent,
        "eol_counts": eol.eol_counts(eol_rows),
        "policies": reads.latest_runs(request.user),
    }
    return render(request, "security/dashboard.html", context)


# ------------------------------------------------------------------------------ uploads
def _advisory_summary(report: dict[str, Any]) -> str:
    matching = report.get("matching") or {}
    return (
        f"Imported {report['files']} file(s): {report['created']} new, {report['updated']} "
        f"updated, {report['unchanged']} unchanged, {report['withdrawn']} withdrawn, "
        f"{report['git_only']} with GIT ranges only (matched by commit only). Matching: "
        f"{matching.get('created', 0)} new finding(s), {matching.get('closed', 0)} closed, "
        f"{matching.get('reopened', 0)} reopened."
    )


def _exploit_summary(report: dict[str, Any]) -> str:
    return f"Exploit data applied to {report['changed']} advisories; priorities refreshed."


def _cycles_summary(report: dict[str, Any]) -> str:
    return f"{report['created']} cycle(s) added, {report['updated']} updated."


# The feed uploads of the pages run as worker jobs (issue 15), like the API's.
upload_jobs = UploadJobPages(
    UploadJobKind(
        "advisories", "Advisory import", "advisory_list", _advisory_summary, "Advisories"
    ),
    UploadJobKind("exploit-data", "Exploit data", "advisory_list", _exploit_summary, "Advisories"),
    UploadJobKind("eol-cycles", "End-of-life cycles", "eol", _cycles_summary, "End of life"),
)


def _refuse(request: AuthedRequest, page: Any, message: str) -> HttpResponse:
    """A cheap check failed: the page again, 422, with the message naming the field; nothing
    is queued."""
    messages.error(request, message)
    response: HttpResponse = page(request, status=422)
    return response


def _store(request: AuthedRequest, *fields: str) -> dict[str, StoredFile]:
    return {
        name: store_upload(upload, upload.name or name)
        for name in fields
        if (upload := request.FILES.get(name)) is not None
    }


# ------------------------------------------------------------------------------ advisories
@login_required
def advisory_list(request: AuthedRequest, status: int = 200) -> HttpResponse:
    """Advisories with search, and the upload forms (advisories, KEV/EPSS)."""
    _require(request, "security.advisory")
    if request.method == "POST" and status == 200:
        return _upload(request)
    advisories = restrict(Advisory.objects.all(), request.user, "view").order_by(
        "-modified", "identifier"
    )
    query = request.GET.get("q", "").strip()
    if query:
        advisories = advisories.filter(identifier__icontains=query) | advisories.filter(
            summary__icontains=query
        )
    page = Paginator(advisories, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "q": query,
        "can_import": has_perm(request.user, "security.advisory", "add"),
    }
    return render(request, "security/advisories.html", context, status=status)


def _upload(request: AuthedRequest) -> HttpResponse:
    """Queue an advisory feed or exploit data (KEV and/or EPSS) and go to the job's page;
    the job imports all or nothing, then runs matching."""
    _require(request, "security.advisory", "add")
    try:
        check_form(request)
    except ServiceError as exc:
        return _refuse(request, advisory_list, exc.message)
    if request.POST.get("kind") == "exploit":
        _require(request, "security.advisory", "change")
        files = _store(request, "kev", "epss")
        if not files:
            return _refuse(request, advisory_list, "kev: choose a KEV or an EPSS file")
        return upload_jobs.start(
            request, "exploit-data", ADVISORY_TYPE, files, uploads.exploit_data, {"match": True}
        )
    files = _store(request, "file")
    if not files:
        return _refuse(request, advisory_list, "file: choose a file to import")
    return upload_jobs.start(
        request, "advisories", ADVISORY_TYPE, files, uploads.advisories, {"match_all": True}
    )


@login_required
def advisory_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """The CVE page: the advisory, its findings and its blast radius."""
    advisory = _visible_or_404(Advisory.objects.all(), request, pk)
    radius = reads.blast_radius(request.user, advisory)
    findings = reads.visible_findings(request.user).filter(advisory=advisory).order_by("-priority")
    first_affected = next((c for c in radius["cis"] if c["role"] == "affected"), None)
    context = {
        "advisory": advisory,
        "radius": radius,
        "findings": findings,
        "map_ci": first_affected,
        "affected": [c for c in radius["cis"] if c["role"] == "affected"],
        "dependents": [c for c in radius["cis"] if c["role"] != "affected"],
    }
    return render(request, "security/advisory_detail.html", context)


@login_required
def blast_radius_lookup(request: AuthedRequest) -> HttpResponse:
    """``?cve=CVE-…``: the advisory page of an identifier or alias."""
    name = request.GET.get("cve", "").strip()
    found = reads.advisory_by_name(request.user, name) if name else None
    if found is None:
        raise Http404("advisory not found")
    return HttpResponseRedirect(reverse("ui:security:advisory_detail", args=[found.pk]))


# ------------------------------------------------------------------------------ findings
def _filters(request: HttpRequest) -> tuple[SecurityFindingFilter, str]:
    raw = {
        k: v
        for k, v in request.GET.items()
        if v not in ("", None) and k in SecurityFindingFilter.model_fields
    }
    try:
        return SecurityFindingFilter.model_validate(raw), ""
    except PydanticError as exc:
        return SecurityFindingFilter.model_validate(
            {}
        ), f"filters ignored: {exc.errors()[0].get('msg', 'invalid')}"


@login_required
def finding_list(request: AuthedRequest) -> HttpResponse:
    """Findings with filters, CSV/XLSX export and bulk status changes."""
    _require(request, "security.finding")
    filters, error = _filters(request)
    findings = filters.filter(reads.visible_findings(request.user)).order_by("-priority", "pk")
    if request.GET.get("format") in {"csv", "xlsx"}:
        return export_response(findings, FINDING_COLUMNS, "findings", request.GET["format"])
    page = Paginator(findings, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "filters": filters,
        "error": error,
        "statuses": FindingStatusChoices.choices,
        "severities": SeverityChoices.choices,
        "query": query.urlencode(),
        "can_change": has_perm(request.user, "security.finding", "change"),
        "today": timezone.localdate(),
    }
    return render(request, "security/findings.html", context)


@login_required
@require_POST
def finding_bulk(request: AuthedRequest) -> HttpResponse:
    """The selected findings' status, all or nothing."""
    _require(request, "security.finding", "change")
    ids = selected_ids(request)
    status = request.POST.get("status", "")
    findings = list(restrict(Finding.objects.filter(pk__in=ids), request.user, "view"))
    target = request.POST.get("next") or reverse("ui:security:finding_list")
    if not target.startswith("/"):
        target = reverse("ui:security:finding_list")
    if len(findings) != len(ids) or not ids:
        messages.error(request, "Select findings you can see.")
        return HttpResponseRedirect(target)
    try:
        changed = services.bulk_set_status(ui_actor(request), findings, status)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(target)
    messages.success(request, f"{changed} finding(s) now {status.replace('_', ' ')}.")
    return HttpResponseRedirect(target)


@login_required
def finding_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """A finding: why it matched, its priority formula, the internet path, the workflow."""
    finding = _visible_or_404(
        Finding.objects.select_related("advisory", "ci", "owner", "accepted_by", "install"),
        request,
        pk,
    )
    if request.method == "POST":
        _require(request, "security.finding", "change")
        actor = ui_actor(request)
        try:
            if request.POST.get("action") == "accept":
                until = dt.date.fromisoformat(request.POST.get("until", ""))
                services.accept_risk(
                    actor, finding, reason=request.POST.get("reason", ""), until=until
                )
                messages.success(request, f"Risk accepted until {until}.")
            else:
                services.set_finding_status(
                    actor, finding, request.POST.get("status", ""), request.POST.get("note", "")
                )
                messages.success(request, f"Finding is now {finding.get_status_display().lower()}.")
        except ValueError:
            messages.error(request, "until: enter a date (YYYY-MM-DD).")
        except ServiceError as exc:
            messages.error(request, exc.message)
        return HttpResponseRedirect(reverse("ui:security:finding_detail", args=[finding.pk]))
    visible_cis = set(restrict(CI.objects.all(), request.user, "view").values_list("pk", flat=True))
    path = [
        step for step in finding.exposure.get("internet_path", []) if step.get("id") in visible_cis
    ]
    services_list = [s for s in finding.exposure.get("services", []) if s.get("id") in visible_cis]
    context = {
        "finding": finding,
        "explanation": finding.priority_explanation,
        "path": path,
        "services": services_list,
        "overdue": reads.is_overdue(finding),
        "can_change": has_perm(request.user, "security.finding", "change"),
        "transitions": [
            s for s in ("in_progress", "open", "fixed") if s in services.TRANSITIONS[finding.status]
        ],
        "default_until": (timezone.localdate() + dt.timedelta(days=90)).isoformat(),
    }
    return render(request, "security/finding_detail.html", context)


@login_required
@require_POST
def run_matching(request: AuthedRequest) -> HttpResponse:
    """Match now (after a discovery run or a manual change)."""
    _require(request, "security.finding", "change")
    summary = services.run_matching(ui_actor(request))
    messages.success(
        request,
        f"Matching: {summary.matched} match(es), {summary.created} new, {summary.closed} closed, "
        f"{summary.reopened} reopened.",
    )
    return HttpResponseRedirect(reverse("ui:security:finding_list"))


# ------------------------------------------------------------------------------ end of life
@login_required
def eol_page(request: AuthedRequest, status: int = 200) -> HttpResponse:
    """Software, operating systems and hardware nearing or past end of life; cycle import
    (queued as a job: the page goes to the job's page)."""
    _require(request, "security.endoflifecycle")
    if request.method == "POST" and status == 200:
        _require(request, "security.endoflifecycle", "add")
        try:
            check_form(request)
        except ServiceError as exc:
            return _refuse(request, eol_page, exc.message)
        product = request.POST.get("product", "").strip()
        if not product:
            return _refuse(request, eol_page, "product: required")
        files = _store(request, "file")
        if not files:
            return _refuse(request, eol_page, "file: choose a file")
        names = [n.strip() for n in request.POST.get("names", "").split(",") if n.strip()]
        return upload_jobs.start(
            request,
            "eol-cycles",
            "security.endoflifecycle",
            files,
            uploads.cycles,
            {"product": product, "names": names},
        )
    try:
        days = max(0, min(3650, int(request.GET.get("days", eol.DEFAULT_WARNING_DAYS))))
    except ValueError:
        days = eol.DEFAULT_WARNING_DAYS
    report = eol.eol_report(request.user, warning_days=days)
    context = {
        "rows": [r for r in report if r.status != "supported"],
        "counts": eol.eol_counts(report),
        "days": days,
        "can_import": has_perm(request.user, "security.endoflifecycle", "add"),
    }
    return render(request, "security/eol.html", context, status=status)


# ------------------------------------------------------------------------------ policies
@login_required
@require_POST
def policy_evaluate(request: AuthedRequest, pk: int) -> HttpResponse:
    """Evaluate one policy now (or every enabled one with ``pk`` 0)."""
    actor = ui_actor(request)
    if pk == 0:
        _require(request, "security.policy", "change")
        runs = policies.evaluate_all(actor, trigger="on demand", user=request.user)
        messages.success(request, f"Evaluated {len(runs)} polic{'y' if len(runs) == 1 else 'ies'}.")
        return HttpResponseRedirect(reverse("ui:security:policies_overview"))
    policy = _visible_or_404(Policy.objects.all(), request, pk, "change")
    run = policies.evaluate_policy(actor, policy)
    messages.success(request, f"{run.failed} failing, {run.passed} passing, {run.exempt} exempt.")
    return HttpResponseRedirect(reverse("ui:security:policy_detail", args=[pk]))


@login_required
def policies_overview(request: AuthedRequest) -> HttpResponse:
    """Every policy with its latest result and trend (the last runs' failure counts)."""
    _require(request, "security.policy")
    rows = []
    for policy in restrict(Policy.objects.all(), request.user, "view").order_by("name"):
        runs = list(PolicyRun.objects.filter(policy=policy)[:12])
        rows.append(
            {
                "policy": policy,
                "latest": runs[0] if runs else None,
                "trend": [r.failed for r in reversed(runs)],
            }
        )
    context = {"rows": rows, "can_change": has_perm(request.user, "security.policy", "change")}
    return render(request, "security/policies.html", context)


def policy_runs_table(request: HttpRequest, policy: Policy) -> dict[str, Any] | None:
    """The policy page's runs (its trend) and its latest failures."""
    runs = list(PolicyRun.objects.filter(policy=policy)[:20])
    rows = [
        [
            r.evaluated_at.strftime("%Y-%m-%d %H:%M"),
            r.trigger,
            r.in_scope,
            r.passed,
            r.failed,
            r.exempt,
        ]
        for r in runs
    ]
    return {
        "title": "Runs (trend)",
        "headers": ["Evaluated", "Trigger", "In scope", "Passed", "Failed", "Exempt"],
        "rows": rows,
    }


def policy_results_table(request: HttpRequest, policy: Policy) -> dict[str, Any] | None:
    run = PolicyRun.objects.filter(policy=policy).first()
    if run is None:
        return {"title": "Latest results", "headers": ["CI", "Outcome", "Why"], "rows": []}
    visible = restrict(CI.objects.all(), request.user, "view")
    results = run.results.filter(ci__in=visible).select_related("ci")
    return {
        "title": f"Latest results ({run.evaluated_at:%Y-%m-%d %H:%M})",
        "headers": ["CI", "Outcome", "Why"],
        "rows": [[r.ci.name, r.outcome, r.detail] for r in results],
    }


# ------------------------------------------------------------------------------ evidence
@login_required
def evidence_page(request: AuthedRequest) -> HttpResponse:
    """Export audit evidence as of a date; the packages exported so far."""
    _require(request, "security.evidencepackage")
    if request.method == "POST":
        _require(request, "security.evidencepackage", "add")
        try:
            as_of = dt.datetime.fromisoformat(request.POST.get("as_of", ""))
            raw_start = request.POST.get("period_start", "")
            start = dt.datetime.fromisoformat(raw_start) if raw_start else None
        except ValueError:
            messages.error(request, "as_of: enter a date and time.")
            return HttpResponseRedirect(reverse("ui:security:evidence"))
        as_of = as_of if as_of.tzinfo else timezone.make_aware(as_of)
        if start is not None and start.tzinfo is None:
            start = timezone.make_aware(start)
        try:
            body, package = evidence.export_evidence(ui_actor(request), as_of, start)
        except ServiceError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(reverse("ui:security:evidence"))
        response = HttpResponse(body, content_type="application/zip")
        response["Content-Disposition"] = (
            f'attachment; filename="evidence-{as_of:%Y%m%d}-{package.pk}.zip"'
        )
        return response
    packages = restrict(
        EvidencePackage.objects.select_related("requested_by"), request.user, "view"
    )[:50]
    context = {
        "packages": packages,
        "now": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "reports": evidence.REPORTS,
        "can_export": has_perm(request.user, "security.evidencepackage", "add"),
    }
    return render(request, "security/evidence.html", context)


def security_urls() -> list[URLPattern]:
    """The app's own pages."""
    return [
        path("", dashboard, name="dashboard"),
        path("advisories/", advisory_list, name="advisory_list"),
        path("advisories/<int:pk>/", advisory_detail, name="advisory_detail"),
        path("blast-radius/", blast_radius_lookup, name="blast_radius"),
        path("findings/", finding_list, name="finding_list"),
        path("findings/bulk/", finding_bulk, name="finding_bulk"),
        path("findings/<int:pk>/", finding_detail, name="finding_detail"),
        path("matching/run/", run_matching, name="run_matching"),
        path("end-of-life/", eol_page, name="eol"),
        path("policy-overview/", policies_overview, name="policies_overview"),
        path("policies/<int:pk>/evaluate/", policy_evaluate, name="policy_evaluate"),
        path("evidence/", evidence_page, name="evidence"),
        *upload_jobs.urls(),
    ]
