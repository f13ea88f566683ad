"""The licences pages that are not generic (namespace ``ui:licences``): the compliance
dashboard (position, chart, alerts, as of a date, export, reclaim of candidates in one action),
the licence detail (allocations, installations, position, key reveal), bulk reclaim, and the
offboarding pages (a person's seats, leavers holding seats)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from assetgraph.accounts.http import AuthedRequest
from assetgraph.accounts.permissions import has_perm, restrict
from assetgraph.cmdb.models import SoftwareInstall
from assetgraph.core.actor import ui_actor
from assetgraph.core.errors import ServiceError
from assetgraph.core.exporting import export_response
from assetgraph.org.choices import PersonStatusChoices
from assetgraph.org.models import Person
from assetgraph.ui.generic import selected_ids

from . import services
from .choices import StatusChoices
from .crypto import decrypt_key
from .exports import parse_as_of, position_columns
from .models import Allocation, Entitlement, Product
from .position import totals
from .reads import alerts_for, diff_positions, may_see_cost, position_for
from .reclaim_checks import reclaim_warnings

STATUS_COLOURS = {
    StatusChoices.COMPLIANT: "#198754",
    StatusChoices.UNDER: "#dc3545",
    StatusChoices.OVER: "#0d6efd",
    StatusChoices.UNLICENSED: "#fd7e14",
}


def _require(request: AuthedRequest, object_type: str, action: str = "view") -> None:
    if not has_perm(request.user, object_type, action):
        raise PermissionDenied(f"you may not {action} {object_type}")


def _as_of(request: HttpRequest) -> tuple[Any, str]:
    raw = request.GET.get("as_of", "")
    try:
        return parse_as_of(raw), ""
    except ServiceError as exc:
        return None, exc.message


def _charts(rows: list[Any]) -> list[dict[str, Any]]:
    summary = totals(rows)["by_status"]
    status_labels = [s.label for s in StatusChoices if summary.get(s.value)]
    short = sorted((r for r in rows if r.shortfall), key=lambda r: -r.shortfall)[:10]
    return [
        {
            "id": "chart-status",
            "type": "doughnut",
            "title": "Rows by status",
            "labels": status_labels,
            "counts": [summary[s.value] for s in StatusChoices if summary.get(s.value)],
            "colours": [STATUS_COLOURS[s] for s in StatusChoices if summary.get(s.value)],
        },
        {
            "id": "chart-shortfall",
            "type": "bar",
            "title": "Largest shortfalls (rights missing)",
            "labels": [f"{r.product} ({r.metric})" for r in short],
            "counts": [r.shortfall for r in short],
            "colours": ["#dc3545"] * len(short),
        },
    ]


@login_required
def dashboard(request: AuthedRequest) -> HttpResponse:
    """The compliance dashboard: totals, charts, alerts and the position rows."""
    _require(request, "licences.entitlement")
    as_of, error = _as_of(request)
    product = request.GET.get("product", "")
    product_id = int(product) if product.isdigit() else None
    result = position_for(request.user, as_of=as_of, product_id=product_id)
    diff: list[dict[str, Any]] = []
    if as_of is not None and request.GET.get("diff"):
        diff = diff_positions(result, position_for(request.user, product_id=product_id))
    context = {
        "position": result,
        "rows": result.rows,
        "totals": totals(result.rows),
        "charts": _charts(result.rows),
        "alerts": alerts_for(request.user) if as_of is None else [],
        "as_of": request.GET.get("as_of", ""),
        "as_of_error": error,
        "product_id": product_id,
        "diff": diff,
        "see_cost": may_see_cost(request.user),
        "can_reclaim": has_perm(request.user, "licences.allocation", "change"),
        "query": request.GET.urlencode(),
    }
    return render(request, "licences/dashboard.html", context, status=422 if error else 200)


@login_required
def position_export(request: AuthedRequest) -> HttpResponse:
    """The position (as of a date, if given) as CSV or XLSX."""
    _require(request, "licences.entitlement")
    as_of, error = _as_of(request)
    if error:
        return HttpResponse(error, status=422, content_type="text/plain")
    result = position_for(request.user, as_of=as_of)
    try:
        return export_response(
            result.rows,
            position_columns(may_see_cost(request.user)),
            "licence-position",
            request.GET.get("format", "csv"),
        )
    except ServiceError as exc:
        return HttpResponse(exc.message, status=exc.status, content_type="text/plain")


def _back(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@login_required
@require_POST
def reclaim_candidates(request: AuthedRequest) -> HttpResponse:
    """Reclaim the selected candidates (``ids`` = ``allocation:N`` / ``usage:N``) at once."""
    _require(request, "licences.allocation", "change")
    allocation_ids: list[int] = []
    usage_ids: list[int] = []
    for raw in request.POST.getlist("ids"):
        kind, _, pk = raw.partition(":")
        if pk.isdigit() and kind == "allocation":
            allocation_ids.append(int(pk))
        elif pk.isdigit() and kind == "usage":
            usage_ids.append(int(pk))
    visible = set(
        restrict(Allocation.objects.filter(pk__in=allocation_ids), request.user).values_list(
            "pk", flat=True
        )
    )
    back = _back(request, reverse("ui:licences:dashboard"))
    try:
        done = services.reclaim_idle_seats(
            ui_actor(request),
            allocation_ids=[pk for pk in allocation_ids if pk in visible],
            usage_ids=usage_ids,
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"Reclaimed {done['seats_released']} idle seat(s) and "
            f"{done['allocations']} allocation(s).",
        )
    return HttpResponseRedirect(back)


@login_required
@require_POST
def bulk_reclaim(request: AuthedRequest) -> HttpResponse:
    """Reclaim the allocations selected on a list or a licence page, all or nothing."""
    _require(request, "licences.allocation", "change")
    ids = selected_ids(request)
    chosen = list(restrict(Allocation.objects.filter(pk__in=ids), request.user, "change"))
    back = _back(request, reverse("ui:licences:allocation_list"))
    if not chosen:
        messages.error(request, "Select at least one allocation you may reclaim.")
        return HttpResponseRedirect(back)
    reason = request.POST.get("reason") or "reclaimed"
    try:
        services.reclaim_allocations(
            ui_actor(request),
            chosen,
            reason=reason,
            confirm_services=request.POST.get("confirm_services") == "1",
        )
    except ServiceError as exc:
        if exc.code == "reclaim_needs_confirmation":
            return render(
                request,
                "licences/reclaim_confirm.html",
                {
                    "warnings": reclaim_warnings(request.user, chosen),
                    "chosen": chosen,
                    "reason": reason,
                    "back": back,
                },
                status=409,
            )
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Reclaimed {len(chosen)} allocation(s).")
    return HttpResponseRedirect(back)


@login_required
def entitlement_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """A licence: its fields, allocations (reclaim in bulk), installations and position."""
    base = Entitlement.objects.select_related(
        "product", "suite", "supplier", "scope_location", "scope_department"
    )
    entitlement = restrict(base, request.user).filter(pk=pk).first()
    if entitlement is None:
        raise Http404
    allocations = list(
        Allocation.objects.filter(entitlement=entitlement, reclaimed_at__isnull=True)
        .select_related("person", "ci", "asset")
        .order_by("-allocated_at")[:200]
    )
    product_ids = (
        [entitlement.product_id]
        if entitlement.product_id
        else list(entitlement.suite.products.values_list("pk", flat=True))  # type: ignore[union-attr]
    )
    installs = list(
        restrict(
            SoftwareInstall.objects.filter(
                product__licence_mapping__product_id__in=product_ids, ci__valid_to__isnull=True
            ).select_related("ci", "product"),
            request.user,
        ).order_by("ci__name")[:200]
    )
    rows = []
    for product_id in product_ids:
        rows += [
            r
            for r in position_for(request.user, product_id=product_id).rows
            if entitlement.pk in r.entitlement_ids or r.status == StatusChoices.UNLICENSED
        ]
    reveal = ""
    can_key = has_perm(request.user, "licences.entitlement", "view_key")
    if request.GET.get("reveal") and can_key:
        reveal = decrypt_key(entitlement.licence_key)
    context = {
        "object": entitlement,
        "allocations": allocations,
        "installs": installs,
        "rows": rows,
        "see_cost": may_see_cost(request.user),
        "can_key": can_key,
        "reveal": reveal,
        "can_change": has_perm(request.user, "licences.entitlement", "change"),
        "can_reclaim": has_perm(request.user, "licences.allocation", "change"),
        "can_allocate": has_perm(request.user, "licences.allocation", "add"),
    }
    return render(request, "licences/entitlement_detail.html", context)


@login_required
def person_seats(request: AuthedRequest, pk: int) -> HttpResponse:
    """Offboarding: a person's seats, reclaimed in one action."""
    person = restrict(Person.objects.all(), request.user).filter(pk=pk).first()
    if person is None:
        raise Http404
    _require(request, "licences.allocation")
    if request.method == "POST":
        _require(request, "licences.allocation", "change")
        try:
            done = services.reclaim_person_seats(ui_actor(request), person)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Reclaimed {len(done)} seat(s) from {person}.")
            return HttpResponseRedirect(request.path)
    held = restrict(
        Allocation.objects.filter(person=person, reclaimed_at__isnull=True).select_related(
            "entitlement"
        ),
        request.user,
    )
    context = {
        "person": person,
        "allocations": list(held),
        "can_reclaim": has_perm(request.user, "licences.allocation", "change"),
    }
    return render(request, "licences/person_seats.html", context)


@login_required
def leavers(request: AuthedRequest) -> HttpResponse:
    """The offboarding list: leavers (leaving or left) who still hold seats."""
    _require(request, "licences.allocation")
    people = (
        restrict(Person.objects.all(), request.user)
        .filter(
            status__in=[PersonStatusChoices.LEAVING, PersonStatusChoices.LEFT],
            pk__in=Allocation.objects.filter(reclaimed_at__isnull=True).values("person_id"),
        )
        .order_by("name_key", "pk")
    )
    counts: dict[int, int] = {}
    for person_id in Allocation.objects.filter(
        reclaimed_at__isnull=True, person__in=people
    ).values_list("person_id", flat=True):
        counts[person_id] = counts.get(person_id, 0) + 1
    rows = [(p, counts.get(p.pk, 0)) for p in people]
    return render(
        request,
        "licences/leavers.html",
        {"rows": rows, "can_reclaim": has_perm(request.user, "licences.allocation", "change")},
    )


@login_required
def product_installs(request: AuthedRequest, pk: int) -> HttpResponse:
    """Redirect to the product's position on the dashboard (kept short for links)."""
    product = restrict(Product.objects.all(), request.user).filter(pk=pk).first()
    if product is None:
        raise Http404
    return HttpResponseRedirect(reverse("ui:licences:dashboard") + f"?product={pk}")


def _tier(request: HttpRequest) -> int:
    raw = request.GET.get("max_tier", "")
    return min(max(int(raw), 1), 4) if raw.strip().isdigit() else 4


@login_required
def unlicensed_services_page(request: AuthedRequest) -> HttpResponse:
    """Business services whose dependency path runs unlicensed software (docs/both-layers.md)."""
    from .crosslayer import unlicensed_services

    try:
        report = unlicensed_services(request.user, max_tier=_tier(request))
    except ServiceError as exc:
        raise Http404 if exc.status == 404 else PermissionDenied(exc.message) from exc
    return render(
        request,
        "licences/unlicensed_services.html",
        {"report": report, "tiers": [1, 2, 3, 4]},
    )


@login_required
def unlicensed_services_export(request: AuthedRequest) -> HttpResponse:
    """The unlicensed-services report as CSV or XLSX (``?format=csv|xlsx``)."""
    from . import crosslayer

    try:
        report = crosslayer.unlicensed_services(request.user, max_tier=_tier(request))
        return export_response(
            crosslayer.export_rows(report),
            crosslayer.EXPORT_COLUMNS,
            "unlicensed-services",
            request.GET.get("format", "csv"),
        )
    except ServiceError as exc:
        return HttpResponse(exc.message, status=exc.status, content_type="text/plain")


def licence_urls() -> list[URLPattern]:
    """The non-generic pages."""
    return [
        path("compliance/", dashboard, name="dashboard"),
        path("compliance/export/", position_export, name="position_export"),
        path("compliance/reclaim/", reclaim_candidates, name="reclaim_candidates"),
        path("allocations/reclaim/", bulk_reclaim, name="bulk_reclaim"),
        path("<int:pk>/", entitlement_detail, name="entitlement_detail"),
        path("people/<int:pk>/seats/", person_seats, name="person_seats"),
        path("leavers/", leavers, name="leavers"),
        path("products/<int:pk>/position/", product_installs, name="product_position"),
        path("unlicensed-services/", unlicensed_services_page, name="unlicensed_services"),
        path(
            "unlicensed-services/export/",
            unlicensed_services_export,
            name="unlicensed_services_export",
        ),
    ]
