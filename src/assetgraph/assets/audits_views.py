"""UI pages of physical audits: campaigns, the scanning page, relocation, closing, due lists.

The scanning page is a text input submitted with Enter through HTMX, which is exactly what a
keyboard-wedge scanner produces; ``static/assets/audit-scan.js`` adds the phone camera via the
browser's ``BarcodeDetector`` where it exists (no inline script: the CSP forbids it).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from assetgraph.accounts.http import AuthedRequest
from assetgraph.accounts.permissions import get_object_or_404, has_perm, restrict
from assetgraph.audit.models import AuditEvent
from assetgraph.core.actor import ui_actor
from assetgraph.core.errors import NotFound, ServiceError
from assetgraph.core.errors import PermissionDenied as DomainPermissionDenied
from assetgraph.framework.redaction import history_events
from assetgraph.org.models import Location
from assetgraph.ui.capping import cap_rows, export_section
from assetgraph.ui.generic import prepare_form
from assetgraph.ui.history import describe
from assetgraph.ui.paging import keyset_page

from . import audits, reports, services
from .choices import AuditResultChoices
from .models import Asset, AuditCampaign

CAMPAIGN = "assets.auditcampaign"
RESULT_TITLES = [
    (AuditResultChoices.PENDING, "Not scanned yet"),
    (AuditResultChoices.MISSING, "Missing"),
    (AuditResultChoices.UNEXPECTED, "Unexpected (registered elsewhere)"),
    (AuditResultChoices.UNKNOWN, "Unknown tags"),
    (AuditResultChoices.FOUND, "Found"),
]


class StartAuditForm(forms.Form):
    location = forms.ModelChoiceField(Location.objects.all(), help_text="Sub-locations included.")
    name = forms.CharField(max_length=200, required=False, help_text="Default: location and date.")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


def _campaign(request: AuthedRequest, pk: int, action: str = "view") -> AuditCampaign:
    try:
        campaign = get_object_or_404(
            audits.with_counts(AuditCampaign.objects.all(), request.user),
            request.user,
            action,
            pk=pk,
        )
    except NotFound as exc:
        raise Http404 from exc
    except DomainPermissionDenied as exc:
        raise PermissionDenied(exc.message) from exc
    return audits.attach_counts(campaign)


# Rows per capped list of these pages; more say "Showing N of M", page and export (issue 17).
CAMPAIGN_CAP = 200
DUE_CAP = 500


def _count(campaign: Any, result: str) -> int:
    counts: dict[str, int] = getattr(audits.attach_counts(campaign), "result_counts", {})
    return int(counts.get(result, 0))


CAMPAIGN_COLUMNS = [
    ("id", lambda c: c.pk),
    ("name", lambda c: c.name),
    ("location", lambda c: c.location.path),
    ("status", lambda c: c.status),
    ("started_at", lambda c: c.started_at),
    ("started_by", lambda c: c.started_by),
    ("closed_at", lambda c: c.closed_at),
    *((result, lambda c, r=result: _count(c, r)) for result in ("expected", *audits.RESULTS)),
]
DUE_COLUMNS = [
    ("id", lambda a: a.pk),
    ("asset_tag", lambda a: a.asset_tag),
    ("model", lambda a: a.model.name),
    ("location", lambda a: a.location.path if a.location else ""),
    ("last_audit_date", lambda a: a.last_audit_date),
    ("next_audit_due", lambda a: a.next_audit_due),
]


@login_required
def audit_list(request: AuthedRequest) -> HttpResponse:
    """Campaigns, newest first, with their counts: the first :data:`CAMPAIGN_CAP`, saying so
    when there are more (``?only=campaigns`` pages through all, ``&format=csv`` exports)."""
    if not has_perm(request.user, CAMPAIGN, "view"):
        raise PermissionDenied("you may not view audit campaigns")
    every = (
        audits.campaigns_for(request.user).select_related("location").order_by("-started_at", "-pk")
    )
    exported = export_section(request, "campaigns", every, CAMPAIGN_COLUMNS, "audit-campaigns")
    if exported is not None:
        return exported
    campaigns = cap_rows(request, "campaigns", every, CAMPAIGN_CAP)
    campaigns.rows = [audits.attach_counts(c) for c in campaigns.rows]
    context = {"campaigns": campaigns, "can_start": has_perm(request.user, CAMPAIGN, "add")}
    return render(request, "assets/audit_list.html", context)


@login_required
def audit_start(request: AuthedRequest) -> HttpResponse:
    """Start a campaign at a location: the expected list is snapshotted now."""
    if not has_perm(request.user, CAMPAIGN, "add"):
        raise PermissionDenied("you may not start audit campaigns")
    form = StartAuditForm(request.POST or None, initial={"location": request.GET.get("location")})
    prepare_form(form, request)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            campaign = services.start_audit_campaign(
                ui_actor(request), data["location"], name=data["name"], notes=data["notes"]
            )
        except ServiceError as exc:
            form.add_error("location" if "location" in exc.fields else None, exc.message)
            status = exc.status
        else:
            messages.success(request, f"Started {campaign}.")
            return HttpResponseRedirect(reverse("ui:assets:audit_detail", args=[campaign.pk]))
    return render(
        request,
        "assets/asset_action.html",
        {
            "form": form,
            "title": "Start an audit campaign",
            "cancel_url": reverse("ui:assets:audit_list"),
        },
        status=status if status != 200 else (422 if form.errors else 200),
    )


def _results_context(
    request: AuthedRequest, campaign: AuditCampaign, **extra: Any
) -> dict[str, Any]:
    items = list(audits.items_of(campaign, user=request.user).order_by("tag"))
    groups = [
        (result.value, title, [i for i in items if i.result == result])
        for result, title in RESULT_TITLES
    ]
    user = request.user
    return {
        "campaign": campaign,
        "groups": [g for g in groups if g[2] or g[0] in ("found", "pending")],
        "can_scan": campaign.is_open and has_perm(user, CAMPAIGN, "scan"),
        "can_relocate": campaign.is_open and has_perm(user, "assets.asset", "relocate"),
        **extra,
    }


@login_required
def audit_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """The campaign page: the scan input (typed, wedge scanner, camera) and the results."""
    campaign = _campaign(request, pk)
    context = _results_context(
        request, campaign, can_close=campaign.is_open and has_perm(request.user, CAMPAIGN, "change")
    )
    return render(request, "assets/audit_detail.html", context)


def _after_action(
    request: AuthedRequest, campaign: AuditCampaign, message: str, level: str, status: int
) -> HttpResponse:
    if request.htmx:
        fresh = _campaign(request, campaign.pk)
        context = _results_context(request, fresh, flash=message, flash_level=level)
        return render(request, "assets/partials/audit_results.html", context, status=status)
    getattr(messages, "success" if level == "success" else "error")(request, message)
    return HttpResponseRedirect(reverse("ui:assets:audit_detail", args=[campaign.pk]))


@login_required
@require_POST
def audit_scan(request: AuthedRequest, pk: int) -> HttpResponse:
    """Record one scanned tag; HTMX gets the refreshed results with a message."""
    campaign = _campaign(request, pk, "scan")
    try:
        outcome = services.scan_asset_tag(ui_actor(request), campaign, request.POST.get("tag", ""))
    except ServiceError as exc:
        return _after_action(request, campaign, exc.message, "danger", exc.status)
    level = {"found": "success", "unexpected": "warning", "unknown": "danger"}.get(
        outcome.result, "info"
    )
    return _after_action(request, campaign, outcome.message, level, 200)


@login_required
@require_POST
def audit_relocate(request: AuthedRequest, pk: int, item_pk: int) -> HttpResponse:
    """Register an unexpected asset at the audited location."""
    campaign = _campaign(request, pk, "scan")
    item = campaign.items.filter(pk=item_pk).first()
    if item is None:
        raise Http404
    try:
        asset = services.relocate_audited_asset(ui_actor(request), item)
    except ServiceError as exc:
        return _after_action(request, campaign, exc.message, "danger", exc.status)
    message = f"{asset.asset_tag} is now registered at {campaign.location}."
    return _after_action(request, campaign, message, "success", 200)


@login_required
@require_POST
def audit_close(request: AuthedRequest, pk: int) -> HttpResponse:
    """Close the campaign: unscanned assets are missing; seen assets get their audit dates."""
    campaign = _campaign(request, pk, "change")
    try:
        summary = services.close_audit_campaign(ui_actor(request), campaign)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        counts = ", ".join(f"{v} {k}" for k, v in summary.counts.items())
        messages.success(request, f"Closed {campaign}: {counts}.")
    return HttpResponseRedirect(reverse("ui:assets:audit_detail", args=[pk]))


@login_required
def audits_due(request: AuthedRequest) -> HttpResponse:
    """Overdue audits, and audits due within N days (never-audited assets included)."""
    if not has_perm(request.user, "assets.asset", "view"):
        raise PermissionDenied("you may not view assets")
    value = request.GET.get("days", "")
    days = int(value) if value.isdigit() and int(value) <= 3650 else 30
    visible = restrict(Asset.objects.all(), request.user)
    today = timezone.localdate()
    lists = {
        "audits-overdue": reports.audits_overdue(visible, today),
        "audits-due": reports.audits_due(visible, days, today).exclude(next_audit_due__lt=today),
    }
    for section, rows in lists.items():
        related = rows.select_related("model", "location")
        exported = export_section(request, section, related, DUE_COLUMNS, section)
        if exported is not None:
            return exported
    only = request.GET.get("only", "")
    shown = {
        key: cap_rows(request, key, rows, DUE_CAP, params={"days": days})
        for key, rows in lists.items()
        if only in ("", key)
    }
    context = {
        "days": days,
        "overdue": shown.get("audits-overdue"),
        "due": shown.get("audits-due"),
        "all_url": "?" + urlencode({"days": days}),
    }
    return render(request, "assets/audits_due.html", context)


@login_required
def audit_history(request: AuthedRequest, pk: int) -> HttpResponse:
    """The campaign's History tab: start, every scan, relocations and the close, newest first."""
    campaign = _campaign(request, pk)
    events, older = keyset_page(
        history_events(
            AuditEvent.objects.for_object(CAMPAIGN, campaign.pk), CAMPAIGN, request.user
        ),
        request.GET.get("before"),
    )
    url = reverse("ui:assets:audit_history", args=[pk])
    context = {
        "events": describe(events, request.user),
        "object": campaign,
        "older_url": f"{url}?before={older}" if older else None,
    }
    return render(request, "ui/partials/history.html", context)
