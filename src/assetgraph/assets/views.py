"""UI pages of the assets app: generic resources plus the custody and lifecycle pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from assetgraph.accounts.http import AuthedRequest
from assetgraph.accounts.permissions import get_object_or_404, has_perm, restrict
from assetgraph.core.actor import Actor, Source, ui_actor
from assetgraph.core.attributes import public_values
from assetgraph.core.errors import NotFound, ServiceError
from assetgraph.core.errors import PermissionDenied as DomainPermissionDenied
from assetgraph.core.exporting import export_response
from assetgraph.framework.flags import OutagePreview, outage_preview
from assetgraph.framework.spec import render_sections
from assetgraph.org.models import Person
from assetgraph.ui.capping import Capped, cap_rows, export_section
from assetgraph.ui.generic import (
    apply_service_errors,
    link,
    prepare_form,
)

from . import forms, reports, services
from .choices import AcceptanceChoices
from .lifecycle import TRANSITIONS, available_transitions, state_label
from .models import (
    Asset,
    AuditCampaign,
    AuditItem,
    CustodyRecord,
    Kit,
)
from .querysets import ASSET_RELATED
from .resources import ASSET, KIT, holder


def _fetch(request: AuthedRequest, queryset: Any, action: str, pk: int) -> Any:
    try:
        return get_object_or_404(queryset, request.user, action, pk=pk)
    except NotFound as exc:
        raise Http404 from exc
    except DomainPermissionDenied as exc:
        raise PermissionDenied(exc.message) from exc


def _asset(request: AuthedRequest, pk: int, action: str = "view") -> Asset:
    asset: Asset = _fetch(request, Asset.objects.select_related(*ASSET_RELATED), action, pk)
    return asset


def _money(asset: Asset, request: HttpRequest) -> str:
    if asset.cost is None or not has_perm(request.user, "assets.asset", "view_cost"):
        return ""
    return f"{asset.cost:,.2f} {asset.currency}"


# An asset's audits shown on its page; more say "Showing 50 of N" and link to all (issue 17).
AUDIT_ITEMS_CAP = 50
AUDIT_ITEM_COLUMNS = [
    ("campaign", lambda i: i.campaign.name),
    ("location", lambda i: i.campaign.location.path),
    ("status", lambda i: i.campaign.status),
    ("result", lambda i: i.result),
    ("relocated", lambda i: i.relocated),
    ("scanned_at", lambda i: i.scanned_at),
    ("scanned_by", lambda i: i.scanned_by),
]


def _audit_item_rows(request: AuthedRequest, asset: Asset) -> Any:
    """The asset's audit items in campaigns the user may see, newest campaign first."""
    if not has_perm(request.user, "assets.auditcampaign", "view"):
        return AuditItem.objects.none()
    return (
        AuditItem.objects.filter(
            asset=asset, campaign__in=restrict(AuditCampaign.objects.all(), request.user)
        )
        .select_related("campaign__location")
        .order_by("-campaign__started_at", "-pk")
    )


def _audit_items(request: AuthedRequest, asset: Asset) -> Capped:
    full = reverse("ui:assets:asset_audits", args=[asset.pk])
    return cap_rows(
        request, "audits", _audit_item_rows(request, asset), AUDIT_ITEMS_CAP, base_url=full
    )


@login_required
def asset_audits(request: AuthedRequest, pk: int) -> HttpResponse:
    """All the audits an asset was part of, paged (``?offset=``), and their export
    (``?only=audits&format=csv``): where the asset page's capped Audits tab links."""
    asset = _asset(request, pk)
    rows = _audit_item_rows(request, asset)
    exported = export_section(
        request, "audits", rows, AUDIT_ITEM_COLUMNS, f"asset-{asset.asset_tag}-audits"
    )
    if exported is not None:
        return exported
    base = reverse("ui:assets:asset_audits", args=[asset.pk])
    items = cap_rows(request, "audits", rows, AUDIT_ITEMS_CAP, base_url=base, alone=True)
    return render(request, "assets/asset_audits.html", {"object": asset, "audit_items": items})


@login_required
def asset_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """Overview (identity, custody, purchase, warranty, EOL, custom fields), custody, history."""
    asset = _asset(request, pk)
    user = request.user
    custody = list(
        CustodyRecord.objects.filter(asset=asset).select_related("person", "location", "parent")
    )
    today = timezone.localdate()
    audit_items = _audit_items(request, asset)
    overview = [
        ("Model", link(asset.model, "ui:assets:assetmodel_detail")),
        ("Category", link(asset.model.category, "ui:assets:category_detail")),
        ("Manufacturer", asset.manufacturer.name),
        ("Serial number", asset.serial_number),
        ("State", state_label(asset.state, asset.substate)),
        ("Held by", holder(asset)),
        ("Expected return", asset.expected_return),
        ("Location", link(asset.location, "ui:org:location_detail")),
        ("Notes", asset.notes),
    ]
    purchase = [
        ("Supplier", link(asset.supplier, "ui:org:company_detail")),
        ("Order number", asset.order_number),
        ("Invoice number", asset.invoice_number),
        ("Purchase date", asset.purchase_date),
        ("Cost", _money(asset, request)),
        ("Warranty end", asset.warranty_end),
        ("End of life", asset.eol_date),
        ("Received", asset.received_date),
        ("Deployed", asset.deployed_date),
        ("Retired", asset.retired_date),
        ("Last audit", asset.last_audit_date),
        ("Next audit due", asset.next_audit_due),
    ]
    context = {
        "object": asset,
        "resource": ASSET,
        "meta": Asset._meta,
        "overview": overview,
        "purchase": purchase,
        "attributes": sorted(public_values(asset.attributes).items()),
        "custody": custody,
        "audit_items": audit_items,
        "warranty_expired": bool(asset.warranty_end and asset.warranty_end < today),
        "can_change": has_perm(user, "assets.asset", "change"),
        "can_delete": has_perm(user, "assets.asset", "delete"),
        "can_checkout": asset.state == "in_stock"
        and asset.substate in ("available", "reserved")
        and has_perm(user, "assets.asset", "checkout"),
        "can_checkin": asset.state == "in_use" and has_perm(user, "assets.asset", "checkin"),
        "transitions": available_transitions(asset.state, asset.substate)
        if has_perm(user, "assets.asset", "change")
        else [],
        "history_url": ASSET.url("history", pk),
        "sections": render_sections(request, ASSET.key, asset),
    }
    return render(request, "assets/asset_detail.html", context)


def _action_page(
    request: AuthedRequest,
    asset: Asset,
    form: Any,
    title: str,
    status: int = 200,
    preview: OutagePreview | None = None,
) -> HttpResponse:
    prepare_form(form, request)
    back = _back_url(request, asset)
    return render(
        request,
        "assets/asset_action.html",
        {
            "object": asset,
            "form": form,
            "title": title,
            "cancel_url": back,
            "preview": preview,
        },
        status=status if status != 200 else (422 if form.errors else 200),
    )


def _back_url(request: HttpRequest, asset: Asset) -> str:
    """Where a custody action returns: the scan page when it started there (the storeroom's
    next scan is one tap away), else the asset's page."""
    if request.GET.get("from") == "scan":
        return reverse("ui:assets:scan")
    return str(ASSET.url("detail", asset.pk))


@login_required
def asset_checkout(request: AuthedRequest, pk: int) -> HttpResponse:
    """Check an asset out to a person, a location or another asset."""
    asset = _asset(request, pk, "checkout")
    form = forms.CheckoutForm(request.POST or None, asset=asset)
    prepare_form(form, request)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            record = services.check_out_asset(
                ui_actor(request),
                asset,
                to_person=data["to_person"],
                to_location=data["to_location"],
                to_asset=data["to_asset"],
                expected_return=data["expected_return"],
                notes=data["notes"],
            )
        except ServiceError as exc:
            apply_service_errors(form, exc)
            status = exc.status
        else:
            messages.success(request, f"Checked out {asset.asset_tag} to {record.target}.")
            if record.acceptance_token:
                link = reverse("ui:assets:accept", args=[record.acceptance_token])
                messages.info(request, f"Acceptance link for the custodian: {link}")
            return HttpResponseRedirect(_back_url(request, asset))
    return _action_page(request, asset, form, f"Check out {asset.asset_tag}", status)


@login_required
def asset_checkin(request: AuthedRequest, pk: int) -> HttpResponse:
    """Check an asset back in with condition notes."""
    asset = _asset(request, pk, "checkin")
    form = forms.CheckinForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.check_in_asset(
                ui_actor(request),
                asset,
                condition_notes=form.cleaned_data["condition_notes"],
                defective=form.cleaned_data["defective"],
            )
        except ServiceError as exc:
            apply_service_errors(form, exc)
            status = exc.status
        else:
            messages.success(request, f"Checked in {asset.asset_tag}.")
            return HttpResponseRedirect(_back_url(request, asset))
    return _action_page(request, asset, form, f"Check in {asset.asset_tag}", status)


@login_required
def asset_transition(request: AuthedRequest, pk: int) -> HttpResponse:
    """Apply a lifecycle transition (receive, repair, retire…)."""
    asset = _asset(request, pk, "change")
    names = [t.name for t in available_transitions(asset.state, asset.substate)]
    initial = {"transition": request.GET.get("transition", "")}
    form = forms.TransitionForm(request.POST or None, names=names, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        disposal = (
            {
                "recipient": data["recipient"],
                "certificate_number": data["certificate_number"],
                "proceeds": data["proceeds"],
                "currency": data["currency"].upper(),
            }
            if data["recipient"]
            else None
        )
        try:
            services.transition_asset(
                ui_actor(request),
                asset,
                data["transition"],
                substate=data["substate"],
                reason=data["reason"],
                disposal=disposal,
                confirm_impact=data["confirm_impact"],
            )
        except ServiceError as exc:
            apply_service_errors(form, exc)
            status = exc.status
        else:
            messages.success(request, f"{asset.asset_tag}: {data['transition']} done.")
            return HttpResponseRedirect(ASSET.url("detail", pk))
    return _action_page(
        request,
        asset,
        form,
        f"Change the state of {asset.asset_tag}",
        status,
        preview=_preview(request, asset, names),
    )


def _preview(request: AuthedRequest, asset: Asset, names: list[str]) -> OutagePreview | None:
    """What taking the asset's CI out of service breaks, when one of the transitions on offer
    does (retire, decommission, repair) and the caller may see the CI."""
    if not any(TRANSITIONS[n].takes_out_of_service for n in names):
        return None
    ci = getattr(asset, "ci", None)
    if ci is None or ci.valid_to is not None:
        return None
    if not restrict(type(ci).objects.filter(pk=ci.pk), request.user, "view").exists():
        return None
    return outage_preview(request.user, [ci.pk])


@login_required
def person_custody(request: AuthedRequest, pk: int) -> HttpResponse:
    """Everything a person holds; check in the selected items (offboarding), print labels."""
    person = _fetch(request, Person.objects.all(), "view", pk)
    if not has_perm(request.user, "assets.asset", "view"):
        raise Http404
    held = restrict(
        Asset.objects.filter(custodian=person).select_related(*ASSET_RELATED), request.user
    ).order_by("asset_tag")
    if request.method == "POST":
        ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
        chosen = list(restrict(held.filter(pk__in=ids), request.user, "checkin"))
        if not chosen:
            messages.error(request, "Select at least one asset you may check in.")
        else:
            try:
                services.check_in_assets(
                    ui_actor(request),
                    chosen,
                    condition_notes=request.POST.get("condition_notes", ""),
                )
            except ServiceError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, f"Checked in {len(chosen)} asset(s) from {person}.")
                return HttpResponseRedirect(request.path)
    context = {
        "person": person,
        "assets": list(held),
        "can_checkin": has_perm(request.user, "assets.asset", "checkin"),
    }
    return render(request, "assets/person_custody.html", context)


@login_required
def kit_issue(request: AuthedRequest, pk: int) -> HttpResponse:
    """Issue a kit to several people at once (all or nothing)."""
    kit = _fetch(request, Kit.objects.all(), "view", pk)
    if not has_perm(request.user, "assets.asset", "checkout"):
        raise PermissionDenied("you may not check out assets")
    form = forms.IssueKitForm(request.POST or None)
    prepare_form(form, request)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            records = services.issue_kit(
                ui_actor(request),
                kit,
                list(form.cleaned_data["people"]),
                expected_return=form.cleaned_data["expected_return"],
            )
        except ServiceError as exc:
            form.add_error(None, exc.message)
            status = exc.status
        else:
            messages.success(request, f"Issued {kit} ({len(records)} assets).")
            return HttpResponseRedirect(KIT.url("detail", pk))
    return render(
        request,
        "assets/asset_action.html",
        {
            "object": kit,
            "form": form,
            "title": f"Issue {kit}",
            "cancel_url": KIT.url("detail", pk),
        },
        status=status if status != 200 else (422 if form.errors else 200),
    )


def accept(request: HttpRequest, token: str) -> HttpResponse:
    """The custodian's acceptance page: the category's terms, accept or decline (once)."""
    record = (
        CustodyRecord.objects.select_related("asset__model", "person")
        .filter(acceptance_token=token)
        .first()
    )
    if record is None:
        raise Http404
    if request.method == "POST":
        user = request.user if request.user.is_authenticated else None
        actor = (
            Actor(user=user, source=Source.UI)
            if user is not None
            else Actor.system(f"acceptance link ({record.person})", source=Source.UI)
        )
        try:
            record = services.respond_to_acceptance(
                actor,
                token,
                accept=request.POST.get("answer") == "accept",
                note=request.POST.get("note", "")[:1000],
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
    return render(request, "assets/accept.html", {"record": record})


# Pending acceptances shown on the alerts page; more say "Showing 200 of N" (issue 17).
PENDING_CAP = 200
PENDING_SECTION = "pending-acceptances"
PENDING_COLUMNS = [
    ("asset_tag", lambda r: r.asset.asset_tag),
    ("custodian", lambda r: str(r.person) if r.person else ""),
    ("checked_out_at", lambda r: r.checked_out_at),
    ("expected_return", lambda r: r.expected_return),
]


def _pending_records(visible: Any) -> Any:
    return (
        CustodyRecord.objects.filter(
            checked_in_at__isnull=True, acceptance=AcceptanceChoices.PENDING, asset__in=visible
        )
        .select_related("asset", "person")
        .order_by("checked_out_at", "pk")
    )


def _pending_acceptances(request: HttpRequest, visible: Any, windows: dict[str, int]) -> Capped:
    """Open check-outs waiting for the custodian's acceptance, each with its full link (to send
    by hand until notifications e-mail it); capped, saying so, with the full list paged."""
    pending = cap_rows(
        request, PENDING_SECTION, _pending_records(visible), PENDING_CAP, params=windows
    )
    pending.rows = [
        {
            "record": r,
            "link": request.build_absolute_uri(
                reverse("ui:assets:accept", args=[r.acceptance_token])
            )
            if r.acceptance_token
            else "",
        }
        for r in pending.rows
    ]
    return pending


# Rows per alert section; a longer section says "Showing 200 of N" and links to its full,
# paged list (``?only=<section>``) and its export (issue 17: no list is cut silently).
ALERT_CAP = 200
ALERT_COLUMNS = [
    ("id", lambda a: a.pk),
    ("asset_tag", lambda a: a.asset_tag),
    ("model", lambda a: a.model.name),
    ("state", lambda a: a.state),
    ("custodian", lambda a: str(a.custodian) if a.custodian else ""),
    ("warranty_end", lambda a: a.warranty_end),
    ("expected_return", lambda a: a.expected_return),
    ("eol_date", lambda a: a.eol_date),
    ("next_audit_due", lambda a: a.next_audit_due),
]


def _alert_groups(request: AuthedRequest) -> tuple[dict[str, int], list[tuple[str, str, Any]]]:
    """The windows asked for and the alert sections (id, title, queryset) of the visible
    assets."""

    def number(name: str, default: int) -> int:
        value = request.GET.get(name, "")
        return int(value) if value.isdigit() and int(value) <= 3650 else default

    days, months = number("warranty_days", 30), number("eol_months", 6)
    audit_days = number("audit_days", 30)
    visible = restrict(Asset.objects.all(), request.user)
    today = timezone.localdate()
    windows = {"warranty_days": days, "eol_months": months, "audit_days": audit_days}
    return windows, [
        (
            "warranty-expiring",
            f"Warranty ends within {days} days",
            reports.warranty_expiring(visible, days, today),
        ),
        ("overdue-returns", "Overdue returns", reports.overdue_returns(visible, today)),
        (
            "end-of-life",
            f"End of life within {months} months",
            reports.end_of_life_within(visible, months, today),
        ),
        (
            "audits-due",
            f"Audits due within {audit_days} days (or overdue, or never audited)",
            reports.audits_due(visible, audit_days, today),
        ),
    ]


@login_required
def alerts(request: AuthedRequest) -> HttpResponse:
    """Warranty, overdue-return and end-of-life alerts, and leavers still holding assets.

    Each section shows at most :data:`ALERT_CAP` rows and says when it has more; ``?only=<id>``
    pages through one section in full, ``&format=csv|xlsx`` exports all of it.
    """
    if not has_perm(request.user, "assets.asset", "view"):
        raise PermissionDenied("you may not view assets")
    windows, groups = _alert_groups(request)
    only = request.GET.get("only", "")
    visible = restrict(Asset.objects.all(), request.user)
    if only == PENDING_SECTION:
        exported = export_section(
            request, only, _pending_records(visible), PENDING_COLUMNS, "pending-acceptances"
        )
        if exported is not None:
            return exported
    elif only and only not in {g[0] for g in groups}:
        return HttpResponse("only: no such alert section", status=422, content_type="text/plain")
    if only and request.GET.get("format"):
        queryset = next(q for gid, _t, q in groups if gid == only)
        try:
            return export_response(
                queryset.select_related("model", "custodian"),
                ALERT_COLUMNS,
                f"alerts-{only}",
                request.GET["format"],
            )
        except ServiceError as exc:
            return HttpResponse(exc.message, status=422, content_type="text/plain")
    raw_offset = request.GET.get("offset", "")
    offset = int(raw_offset) if raw_offset.isdigit() else 0
    sections = []
    for gid, title, queryset in groups:
        if only and gid != only:
            continue
        start = offset if only else 0
        rows = list(queryset[start : start + ALERT_CAP])
        total = queryset.count()
        query = {**windows, "only": gid}
        sections.append(
            {
                "id": gid,
                "title": title,
                "rows": rows,
                "total": total,
                "first": start + 1 if rows else 0,
                "last": start + len(rows),
                "full_url": "?" + urlencode(query),
                "export_url": "?" + urlencode({**query, "format": "csv"}),
                "next_url": "?" + urlencode({**query, "offset": start + ALERT_CAP})
                if only and start + ALERT_CAP < total
                else "",
            }
        )
    people = restrict(Person.objects.all(), request.user)
    shows_pending = only in ("", PENDING_SECTION)
    pending = _pending_acceptances(request, visible, windows) if shows_pending else None
    context = {
        "days": windows["warranty_days"],
        "months": windows["eol_months"],
        "audit_days": windows["audit_days"],
        "only": only,
        "sections": sections,
        "all_url": "?" + urlencode(windows),
        "leavers": [] if only else reports.leavers_with_assets(people, visible),
        "pending": pending,
    }
    return render(request, "assets/alerts.html", context)
