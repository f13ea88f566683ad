"""Self-service and reservation pages (namespace ``ui:stock``): what I hold, the request
catalogue and form, requests with their steps, the approval queue, the reservation calendar
and booking form.

Requests are shown to whoever :func:`~assetgraph.stock.services.visible_requests` allows (the
requester, their manager, holders of ``view``); anyone else gets a 404, like every hidden
object.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

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
from assetgraph.accounts.permissions import has_perm, restrict
from assetgraph.assets.models import Asset
from assetgraph.core.actor import ui_actor
from assetgraph.core.errors import ServiceError
from assetgraph.org.models import Location, Person
from assetgraph.ui.generic import apply_service_errors, prepare_form

from . import services
from .api import request_steps
from .choices import RequestStateChoices as State
from .choices import ReservationStateChoices
from .models import CatalogueEntry, Loaner, Reservation, StockRequest
from .querysets import holdings
from .services.requests import TRANSITIONS, person_of, roles_of

STATE_BADGES = {
    State.SUBMITTED: "text-bg-warning",
    State.APPROVED: "text-bg-info",
    State.FULFILLED: "text-bg-success",
    State.REJECTED: "text-bg-danger",
    State.CANCELLED: "text-bg-secondary",
}
CALENDAR_DAYS = 14


def _badge(request: StockRequest) -> dict[str, str]:
    return {"badge": STATE_BADGES[State(request.state)], "text": request.get_state_display()}


def request_row(request: StockRequest) -> list[Any]:
    return [
        {"url": reverse("ui:stock:request_detail", args=[request.pk]), "text": request.number},
        str(request.requester),
        request.entry.title,
        request.quantity,
        _badge(request),
        f"{request.created:%Y-%m-%d}",
    ]


REQUEST_HEADERS = ["Request", "Requester", "Item", "Qty", "State", "Submitted"]


def _can_request(request: AuthedRequest) -> bool:
    return has_perm(request.user, "stock.stockrequest", "request")


@login_required
def my_items(request: AuthedRequest) -> HttpResponse:
    """Self-service home: what I hold (assets and stock) and my requests."""
    person = person_of(request.user)
    if person is None:
        return render(
            request,
            "stock/page.html",
            {
                "title": "What I hold",
                "intro": "Your account is not linked to a person record, so nothing is held "
                "in your name. Ask the helpdesk to link it (People → your record → User).",
            },
        )
    assets = Asset.objects.filter(custodian=person).select_related("model").order_by("asset_tag")
    mine = services.visible_requests(request.user).filter(requester=person)[:50]
    actions = []
    if _can_request(request):
        actions.append(
            {"url": reverse("ui:stock:catalogue"), "text": "Request something", "id": "catalogue"}
        )
    return render(
        request,
        "stock/page.html",
        {
            "title": "What I hold",
            "intro": f"{person}: the assets in your custody, the accessories and consumables "
            "issued to you, and your requests.",
            "actions": actions,
            "tables": [
                {
                    "title": "Assets",
                    "headers": ["Tag", "Model", "Name"],
                    "rows": [[a.asset_tag, a.model.name, a.name] for a in assets],
                    "id": "my-assets",
                    "empty": "No assets in your custody.",
                },
                {
                    "title": "Accessories and consumables",
                    "headers": ["Item", "Kind", "Quantity"],
                    "rows": [
                        [b.item.name, b.item.get_kind_display(), b.on_hand]
                        for b in holdings(person.pk)
                    ],
                    "id": "my-stock",
                    "empty": "Nothing issued to you.",
                },
                {
                    "title": "My requests",
                    "headers": REQUEST_HEADERS,
                    "rows": [request_row(r) for r in mine],
                    "id": "my-requests",
                    "empty": "You have not requested anything yet.",
                },
            ],
        },
    )


@login_required
def catalogue(request: AuthedRequest) -> HttpResponse:
    """The request catalogue: requestable items, models and kits."""
    if not has_perm(request.user, "stock.catalogueentry", "view"):
        raise PermissionDenied("you may not view the request catalogue")
    entries = restrict(CatalogueEntry.objects.filter(active=True), request.user)
    can = _can_request(request)
    rows = [
        [
            e.title,
            e.description,
            e.get_approval_display(),
            {"url": reverse("ui:stock:request_new", args=[e.pk]), "text": "Request…"}
            if can
            else "",
        ]
        for e in entries.order_by("title")
    ]
    return render(
        request,
        "stock/page.html",
        {
            "title": "Request catalogue",
            "crumbs": [{"url": reverse("ui:stock:my"), "text": "What I hold"}],
            "tables": [
                {
                    "title": "",
                    "headers": ["Item", "Description", "Approved by", ""],
                    "rows": rows,
                    "id": "catalogue-table",
                }
            ],
        },
    )


class RequestForm(forms.Form):
    quantity = forms.IntegerField(min_value=1, initial=1)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Why you need it")


@login_required
def request_new(request: AuthedRequest, pk: int) -> HttpResponse:
    """Request one catalogue entry, with a reason."""
    entry = restrict(CatalogueEntry.objects.filter(active=True), request.user).filter(pk=pk).first()
    if entry is None:
        raise Http404("catalogue entry not found")
    form = RequestForm(request.POST or None)
    prepare_form(form, request)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            created = services.submit_request(
                ui_actor(request),
                entry,
                reason=form.cleaned_data["reason"],
                quantity=form.cleaned_data["quantity"],
            )
        except ServiceError as exc:
            apply_service_errors(form, exc)
            status = exc.status
        else:
            messages.success(request, f"{created.number} submitted.")
            return HttpResponseRedirect(reverse("ui:stock:request_detail", args=[created.pk]))
    return render(
        request,
        "stock/page.html",
        {
            "title": f"Request: {entry.title}",
            "crumbs": [{"url": reverse("ui:stock:catalogue"), "text": "Request catalogue"}],
            "intro": f"{entry.description} Approved by: {entry.get_approval_display().lower()}.",
            "form": form,
            "submit_label": "Submit request",
            "cancel_url": reverse("ui:stock:catalogue"),
        },
        status=status if status != 200 else (422 if form.errors else 200),
    )


@login_required
def request_list(request: AuthedRequest) -> HttpResponse:
    """Every request the user may see, newest first, by state."""
    requests = services.visible_requests(request.user)
    state = request.GET.get("state", "")
    if state in State.values:
        requests = requests.filter(state=state)
    return render(
        request,
        "stock/page.html",
        {
            "title": "Requests",
            "actions": [{"url": reverse("ui:stock:queue"), "text": "Approval queue", "id": "q"}],
            "filters": [
                {
                    "name": "state",
                    "label": "State",
                    "options": list(State.choices),
                    "selected": state,
                }
            ],
            "tables": [
                {
                    "title": "",
                    "headers": REQUEST_HEADERS,
                    "rows": [request_row(r) for r in requests[:200]],
                    "id": "requests-table",
                }
            ],
        },
    )


@login_required
def queue(request: AuthedRequest) -> HttpResponse:
    """The approval queue: submitted requests the user may approve, approved ones they may
    fulfil."""
    visible = list(
        services.visible_requests(request.user)
        .filter(state__in=[State.SUBMITTED, State.APPROVED])
        .order_by("created")[:500]
    )
    to_approve = [r for r in visible if r.state == State.SUBMITTED]
    to_fulfil = [r for r in visible if r.state == State.APPROVED]
    to_approve = [r for r in to_approve if "approver" in roles_of(request.user, r)]
    to_fulfil = [r for r in to_fulfil if "fulfiller" in roles_of(request.user, r)]
    return render(
        request,
        "stock/page.html",
        {
            "title": "Approval queue",
            "crumbs": [{"url": reverse("ui:stock:request_list"), "text": "Requests"}],
            "tables": [
                {
                    "title": "Waiting for your approval",
                    "headers": REQUEST_HEADERS,
                    "rows": [request_row(r) for r in to_approve],
                    "id": "approve-table",
                },
                {
                    "title": "Approved, waiting to be fulfilled",
                    "headers": REQUEST_HEADERS,
                    "rows": [request_row(r) for r in to_fulfil],
                    "id": "fulfil-table",
                },
            ],
        },
    )


def _visible_request(request: AuthedRequest, pk: int) -> StockRequest:
    found = services.visible_requests(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404("request not found")
    return found


@login_required
def request_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """One request: what, who, why, where it stands, its steps and the buttons the user's part
    in it allows."""
    current = _visible_request(request, pk)
    mine = roles_of(request.user, current)
    actions = []
    for transition in TRANSITIONS.values():
        if current.state in transition.sources and mine & set(transition.who):
            actions.append(
                {
                    "post": reverse("ui:stock:request_transition", args=[pk, transition.name]),
                    "text": transition.label,
                    "id": transition.name,
                    "note": "Reason" if transition.needs_reason else "",
                    "style": "btn-outline-danger"
                    if transition.name in ("reject", "cancel")
                    else "btn-primary",
                }
            )
    steps = request_steps(current)
    return render(
        request,
        "stock/page.html",
        {
            "title": f"{current.number}: {current.entry.title}",
            "crumbs": [{"url": reverse("ui:stock:request_list"), "text": "Requests"}],
            "actions": actions,
            "fields": [
                ("State", _badge(current)["text"]),
                ("Requester", str(current.requester)),
                ("Manager", str(current.requester.manager or "")),
                ("Quantity", current.quantity),
                ("Reason", current.reason),
                ("Approval by", current.entry.get_approval_display()),
                ("Decided by", current.decided_by),
                ("Decision note", current.decision_note),
                ("Fulfilled by", current.fulfilled_by),
                ("Fulfilment", current.fulfilment),
            ],
            "tables": [
                {
                    "title": "Steps",
                    "headers": ["When", "Step", "By", "Note"],
                    "rows": [
                        [s["time"][:16].replace("T", " "), s["action"], s["actor"], s["note"]]
                        for s in steps
                    ],
                    "id": "steps-table",
                }
            ],
        },
    )


@login_required
@require_POST
def request_transition(request: AuthedRequest, pk: int, name: str) -> HttpResponse:
    """Approve, reject, cancel or fulfil; refusals come back as a message naming the rule."""
    current = _visible_request(request, pk)
    source = None
    raw = request.POST.get("from_location", "")
    if raw.isdigit():
        source = restrict(Location.objects.all(), request.user).filter(pk=int(raw)).first()
    try:
        services.transition_request(
            ui_actor(request),
            current,
            name,
            note=request.POST.get("note", ""),
            from_location=source,
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{current.number}: {name} done.")
    return HttpResponseRedirect(reverse("ui:stock:request_detail", args=[pk]))


# ------------------------------------------------------------------------------ reservations
class BookingForm(forms.Form):
    loaner = forms.ModelChoiceField(queryset=Loaner.objects.filter(active=True))
    person = forms.ModelChoiceField(queryset=Person.objects.all())
    start = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    end = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    purpose = forms.CharField(max_length=200, required=False)


def _day(raw: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return timezone.localdate()


@login_required
def calendar(request: AuthedRequest) -> HttpResponse:
    """Loaners by the next 14 days: who has each loaner booked on each day."""
    if not has_perm(request.user, "stock.reservation", "view"):
        raise PermissionDenied("you may not view reservations")
    first = _day(request.GET.get("start", ""))
    days = [first + dt.timedelta(days=i) for i in range(CALENDAR_DAYS)]
    tz = timezone.get_current_timezone()
    window_start = dt.datetime.combine(first, dt.time.min, tzinfo=tz)
    window_end = window_start + dt.timedelta(days=CALENDAR_DAYS)
    loaners = list(
        restrict(Loaner.objects.filter(active=True), request.user).select_related("asset__model")
    )
    bookings = list(
        restrict(Reservation.objects.all(), request.user)
        .filter(
            state__in=[ReservationStateChoices.BOOKED, ReservationStateChoices.PICKED_UP],
            start__lt=window_end,
            end__gt=window_start,
        )
        .select_related("person")
        .order_by("start")
    )
    grid = []
    for loaner in loaners:
        cells = []
        for day in days:
            day_start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
            day_end = day_start + dt.timedelta(days=1)
            hit = next(
                (
                    b
                    for b in bookings
                    if b.loaner_id == loaner.pk and b.start < day_end and b.end > day_start
                ),
                None,
            )
            cells.append(hit)
        grid.append({"loaner": loaner, "cells": cells})
    can_change = has_perm(request.user, "stock.reservation", "change")
    open_bookings = [b for b in bookings if b.state == ReservationStateChoices.BOOKED]
    return render(
        request,
        "stock/calendar.html",
        {
            "days": days,
            "grid": grid,
            "bookings": open_bookings,
            "can_add": has_perm(request.user, "stock.reservation", "add"),
            "can_change": can_change,
            "previous": (first - dt.timedelta(days=CALENDAR_DAYS)).isoformat(),
            "next": (first + dt.timedelta(days=CALENDAR_DAYS)).isoformat(),
        },
    )


@login_required
def book(request: AuthedRequest) -> HttpResponse:
    """Book a loaner; an overlapping booking is refused with the clash named."""
    if not has_perm(request.user, "stock.reservation", "add"):
        raise PermissionDenied("you may not book loaners")
    form = BookingForm(request.POST or None, initial=request.GET.dict())
    prepare_form(form, request)
    for name in ("start", "end"):
        field = form.fields[name]
        assert isinstance(field, forms.DateTimeField)
        field.input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.book_loaner(
                ui_actor(request),
                data["loaner"],
                data["person"],
                data["start"],
                data["end"],
                purpose=data["purpose"],
            )
        except ServiceError as exc:
            apply_service_errors(form, exc)
            status = exc.status
        else:
            messages.success(request, f"Booked {data['loaner']} for {data['person']}.")
            return HttpResponseRedirect(reverse("ui:stock:calendar"))
    return render(
        request,
        "stock/page.html",
        {
            "title": "Book a loaner",
            "crumbs": [{"url": reverse("ui:stock:calendar"), "text": "Reservations"}],
            "form": form,
            "submit_label": "Book",
            "cancel_url": reverse("ui:stock:calendar"),
        },
        status=status if status != 200 else (422 if form.errors else 200),
    )


@login_required
@require_POST
def reservation_action(request: AuthedRequest, pk: int, name: str) -> HttpResponse:
    """Pick up (check out to the borrower, closing the booking) or cancel a booking."""
    found = restrict(Reservation.objects.all(), request.user).filter(pk=pk).first()
    if found is None or name not in ("pick-up", "cancel"):
        raise Http404("booking not found")
    try:
        if name == "pick-up":
            services.pick_up_reservation(ui_actor(request), found)
        else:
            services.cancel_reservation(ui_actor(request), found)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Booking {found.pk}: {name.replace('-', ' ')} done.")
    return HttpResponseRedirect(reverse("ui:stock:calendar"))
