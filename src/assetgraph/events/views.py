"""Each user's notification pages: the list (and the bell's count, loaded by HTMX so that no
page pays a query for it), marking read, and the channel preferences."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET, require_POST

from assetgraph.core.actor import ui_actor
from assetgraph.ui.capping import cap_rows, export_section

from . import services
from .forms import PreferencesForm
from .models import Notification
from .notifications import mark_read, preferences, unread_count

PAGE = 100
NOTIFICATION_COLUMNS = [
    ("created", lambda n: n.created),
    ("subject", lambda n: n.subject),
    ("body", lambda n: n.body),
    ("read", lambda n: n.read),
]


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    """The user's notifications, newest first, unread marked: a page at a time, saying how
    many there are (``?offset=``), with the export of all of them (``?format=csv``)."""
    owner: Any = request.user
    every = Notification.objects.filter(user=owner)
    exported = export_section(
        request, "notifications", every, NOTIFICATION_COLUMNS, "notifications"
    )
    if exported is not None:
        return exported
    items = cap_rows(request, "notifications", every, PAGE, alone=True)
    return render(
        request,
        "events/notifications.html",
        {"items": items.rows, "capped": items, "unread": unread_count(request.user)},
    )


@login_required
@require_GET
def notification_count(request: HttpRequest) -> HttpResponse:
    """The bell's badge (an HTMX fragment)."""
    return render(
        request, "events/partials/bell_count.html", {"unread": unread_count(request.user)}
    )


@login_required
@require_POST
def notification_read(request: HttpRequest) -> HttpResponse:
    """Mark one (``id``) or all of the user's notifications read."""
    raw = request.POST.get("id", "")
    ids = [int(raw)] if raw.isdigit() else None
    mark_read(request.user, ids)
    target = request.POST.get("next", "")
    if ids and target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect("ui:events:notification_list")


@login_required
def notification_preferences(request: HttpRequest) -> HttpResponse:
    """Choose channels and the daily digest."""
    current = preferences(request.user)
    form = PreferencesForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        services.set_preferences(
            ui_actor(request),
            request.user,
            in_app=form.cleaned_data["in_app"],
            email=form.cleaned_data["email"],
            digest=form.cleaned_data["digest"],
        )
        messages.success(request, "Notification preferences saved.")
        return redirect("ui:events:notification_preferences")
    return render(request, "events/preferences.html", {"form": form})


def notification_urls() -> list[URLPattern]:
    """The notification pages, under ``/events/notifications/``."""
    return [
        path("notifications/", notification_list, name="notification_list"),
        path("notifications/count/", notification_count, name="notification_count"),
        path("notifications/read/", notification_read, name="notification_read"),
        path(
            "notifications/preferences/",
            notification_preferences,
            name="notification_preferences",
        ),
    ]
