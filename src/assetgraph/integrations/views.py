"""The integrations pages that are not generic: run a directory sync (or a dry run) from the
UI, and work an offboarding (check in the return list, reclaim the seats)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from assetgraph.accounts.permissions import get_object_or_404, has_perm
from assetgraph.core.actor import ui_actor
from assetgraph.core.errors import NotFound, ServiceError
from assetgraph.core.errors import PermissionDenied as DomainPermissionDenied

from . import services
from .models import Offboarding

SYNC_RUN = "integrations.directorysyncrun"


@login_required
def directory_sync(request: HttpRequest) -> HttpResponse:
    """GET: the sync form with the configured directory; POST: run it (or a dry run)."""
    may_run = has_perm(request.user, SYNC_RUN, "run")
    if not may_run and not has_perm(request.user, SYNC_RUN, "view"):
        raise PermissionDenied("you may not see the directory sync")
    if request.method == "POST" and not may_run:
        raise PermissionDenied("you may not run a directory sync")
    if request.method == "POST":
        try:
            run = services.sync_directory(
                ui_actor(request), dry_run=bool(request.POST.get("dry_run")), trigger="ui"
            )
        except ServiceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                f"{run.get_state_display()}: {run.created_count} joiners, "
                f"{run.updated_count} movers, {run.deactivated_count} leavers, "
                f"{len(run.errors)} errors",
            )
            return redirect("ui:integrations:directorysyncrun_detail", pk=run.pk)
    config = settings.ASSETGRAPH_DIRECTORY
    return render(
        request,
        "integrations/directory_sync.html",
        {
            "uri": config.get("uri") or "",
            "user_base": config.get("user_base", ""),
            "attributes": sorted(config.get("attributes", {}).items()),
            "may_run": may_run,
        },
    )


@login_required
def offboarding_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """POST: check in the return list (``return``) or reclaim the seats (``reclaim``)."""
    if request.method != "POST" or action not in ("return", "reclaim"):
        raise Http404("not found")
    try:
        offboarding = get_object_or_404(
            Offboarding.objects.select_related("person"), request.user, "change", pk=pk
        )
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except DomainPermissionDenied as exc:
        raise PermissionDenied(str(exc)) from exc
    if action == "return" and not has_perm(request.user, "assets.asset", "checkin"):
        raise PermissionDenied("you may not check in assets")
    try:
        if action == "return":
            done = services.complete_returns(ui_actor(request), offboarding)
            messages.success(request, f"{len(done)} asset(s) checked in")
        else:
            seats = services.reclaim_seats(ui_actor(request), offboarding)
            messages.success(request, f"{len(seats)} seat allocation(s) reclaimed")
    except ServiceError as exc:
        messages.error(request, str(exc))
    return redirect("ui:integrations:offboarding_detail", pk=pk)


@login_required
def person_offboard(request: HttpRequest, pk: int) -> HttpResponse:
    """POST from the person page: open the person's offboarding (or go to the open one)."""
    from assetgraph.org.models import Person

    if request.method != "POST":
        raise Http404("not found")
    try:
        person = get_object_or_404(Person.objects.all(), request.user, "view", pk=pk)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    try:
        offboarding = services.start_offboarding(ui_actor(request), person)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except DomainPermissionDenied as exc:
        raise PermissionDenied(str(exc)) from exc
    except ServiceError as exc:
        messages.error(request, str(exc))
        return redirect("ui:org:person_detail", pk=pk)
    messages.success(request, f"Offboarding of {person} started.")
    return redirect("ui:integrations:offboarding_detail", pk=offboarding.pk)
