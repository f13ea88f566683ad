"""Pages of the UI shell: login/logout, dashboard, search, profile and tokens, users, audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.text import capfirst
from django.views.decorators.http import require_POST

from assetgraph.accounts import services as account_services
from assetgraph.accounts.http import AuthedRequest
from assetgraph.accounts.models import APIToken, User
from assetgraph.accounts.permissions import get_object_or_404, has_perm, restrict
from assetgraph.audit.models import AuditEvent
from assetgraph.core import registry
from assetgraph.core.actor import ui_actor
from assetgraph.core.clientaddr import client_address
from assetgraph.core.errors import NotFound, ServiceError
from assetgraph.core.exporting import export_response
from assetgraph.framework.redaction import visible_events
from assetgraph.framework.spec import resource_for

from . import services as list_services
from .forms import LoginForm, TokenForm
from .history import describe
from .paging import keyset_page

GENERIC_LOGIN_ERROR = "Invalid username or password."
SEARCH_LIMIT_PER_TYPE = 10


def login_view(request: HttpRequest) -> HttpResponse:
    """Sign in, with lock-out after repeated failures; unknown users get the same answer."""
    if request.user.is_authenticated:
        return HttpResponseRedirect(reverse("ui:dashboard"))
    form = LoginForm(request.POST or None)
    error = None
    status = 200
    wait = 0
    if request.method == "POST" and not settings.ASSETGRAPH_OIDC["password_login"]:
        error, status = "Sign in with single sign-on.", 403
    elif request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        address = client_address(request)
        wait = account_services.login_locked_for(username, address)
        if wait:
            error = f"Too many failed attempts. Try again in {wait} seconds."
            status = 429
        else:
            user = authenticate(request, username=username, password=form.cleaned_data["password"])
            if user is None:
                account_services.record_login_failure(username, address)
                error = GENERIC_LOGIN_ERROR
                status = 401
            else:
                account_services.record_login_success(username, address)
                login(request, user)
                target = request.POST.get("next") or request.GET.get("next") or ""
                if not url_has_allowed_host_and_scheme(
                    target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
                ):
                    target = reverse("ui:dashboard")
                return HttpResponseRedirect(target)
    sign_in = settings.ASSETGRAPH_OIDC  # single sign-on and whether passwords are accepted
    response = render(
        request,
        "ui/login.html",
        {
            "form": form,
            "error": error,
            "next": request.GET.get("next", ""),
            "sso": sign_in["enabled"],
            "sso_failed": request.GET.get("sso") == "failed",
            "password_login": sign_in["password_login"],
        },
        status=status,
    )
    if status == 429:
        response["Retry-After"] = str(wait)
    return response


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """Sign out (POST only, CSRF-protected)."""
    logout(request)
    return HttpResponseRedirect(reverse("ui:login"))


@login_required
def dashboard(request: AuthedRequest) -> HttpResponse:
    """Landing page: the cards of the user's roles and the ones they pinned, then counts of
    what they can see and the latest activity. Every number is cached per user and audit
    revision (see ``ui.dashboards``), so a reload after no write runs no count query."""
    from assetgraph.accounts.models import DashboardPin
    from assetgraph.audit.services import current_revision

    from . import dashboards

    user = request.user
    revision = current_revision()
    declared = dashboards.all_cards()
    pinned_ids = list(DashboardPin.objects.filter(user=user).values_list("card", flat=True))
    roles = dashboards.role_names(user)
    role_cards = [c for c in dashboards.cards_for_roles(roles) if c.id not in pinned_ids]

    def built(cards: list[dashboards.DashboardCard]) -> list[dict[str, Any]]:
        return [v for c in cards if (v := dashboards.compute(c, request, revision)) is not None]

    pinned = built([declared[i] for i in pinned_ids if i in declared])
    for_roles = built(role_cards)
    shown = {c["id"] for c in pinned + for_roles}
    more = [
        {"id": c.id, "label": c.label, "description": c.description}
        for c in declared.values()
        if c.id not in shown and c.offered_to(user)
    ]
    for card in pinned:
        card["pinned"] = True
    can_audit = has_perm(user, "audit.auditevent", "view")
    recent = describe(list(_visible_events(request)[:10]), user) if can_audit else []
    charts = [
        {
            "id": f"chart-{c['id']}",
            "labels": [r["label"] for r in c["rows"]],
            "counts": [r["count"] for r in c["rows"]],
            "urls": [r["url"] for r in c["rows"]],
        }
        for c in pinned + for_roles
        if c.get("rows") and c.get("chart", True)
    ]
    context = {
        "tiles": _tiles(request, revision),
        "pinned": pinned,
        "cards": for_roles,
        "more": more,
        "roles": sorted(roles),
        "recent": recent,
        "charts": charts,
    }
    return render(request, "ui/dashboard.html", context)


def _tiles(request: AuthedRequest, revision: int) -> list[dict[str, Any]]:
    """How many objects of each type the user may view (one count per type, cached)."""
    from django.core.cache import cache

    key = f"ui:dashboard:{request.user.pk}:tiles:{revision}"
    tiles = cache.get(key)
    if tiles is not None:
        return list(tiles)
    tiles = []
    for entry in registry.all_types():
        if not entry.list_url_name or not has_perm(request.user, entry.key, "view"):
            continue
        count = restrict(entry.model._default_manager.all(), request.user, "view").count()
        tiles.append(
            {
                "label": capfirst(entry.label_plural),
                "count": count,
                "url": reverse(entry.list_url_name),
            }
        )
    cache.set(key, tiles, 300)
    return tiles


@login_required
@require_POST
def dashboard_pin(request: AuthedRequest) -> HttpResponse:
    """Pin or unpin one card on the user's own dashboard."""
    from . import dashboards

    card = request.POST.get("card", "")
    if card not in dashboards.all_cards():
        raise Http404
    try:
        if request.POST.get("action") == "unpin":
            account_services.unpin_dashboard_card(ui_actor(request), request.user, card)
        else:
            account_services.pin_dashboard_card(ui_actor(request), request.user, card)
    except ServiceError as exc:
        messages.error(request, exc.message)
    return HttpResponseRedirect(reverse("ui:dashboard"))


def _visible_events(request: AuthedRequest) -> Any:
    return visible_events(AuditEvent.objects.all(), request.user).order_by("-id")


@login_required
def search(request: AuthedRequest) -> HttpResponse:
    """Global search over every registered type the user may view."""
    query = request.GET.get("q", "").strip()
    groups = []
    if len(query) >= 2:
        for entry in registry.all_types():
            if (
                not entry.search_fields
                or not entry.detail_url_name
                or not has_perm(request.user, entry.key, "view")
            ):
                continue
            condition = Q()
            for name in entry.search_fields:
                condition |= Q(**{f"{name}__icontains": query})
            resource = resource_for(entry.key)
            if resource is not None and resource.reference_lookup is not None:
                # A quoted reference finds its object (``CHG00002`` → that change).
                reference = resource.reference_lookup(query)
                if reference is not None:
                    condition |= reference
            found = list(
                restrict(entry.model._default_manager.filter(condition), request.user, "view")[
                    : SEARCH_LIMIT_PER_TYPE + 1
                ]
            )
            if found:
                groups.append(
                    {
                        "label": capfirst(entry.label_plural),
                        "items": [
                            {"text": str(o), "url": reverse(entry.detail_url_name, args=[o.pk])}
                            for o in found[:SEARCH_LIMIT_PER_TYPE]
                        ],
                        "more": len(found) > SEARCH_LIMIT_PER_TYPE,
                        "list_url": reverse(entry.list_url_name) + "?" + urlencode({"q": query})
                        if entry.list_url_name
                        else None,
                    }
                )
    template = "ui/partials/search_results.html" if request.htmx else "ui/search.html"
    return render(request, template, {"query": query, "groups": groups})


@login_required
def profile(request: AuthedRequest) -> HttpResponse:
    """The user's own page: roles and API tokens (create, revoke; a new secret shown once)."""
    form = TokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = account_services.create_api_token(
                ui_actor(request),
                request.user,
                name=form.cleaned_data["name"],
                write_enabled=form.cleaned_data["write_enabled"],
                expires_at=form.cleaned_data["expires_at"],
                scopes=form.cleaned_data["scopes"],
            )
            new_token = issued.plaintext
            form = TokenForm()
        except ServiceError as exc:
            for name, errs in exc.fields.items():
                for err in errs:
                    form.add_error(name if name in form.fields else None, err)
    tokens = APIToken.objects.filter(user=request.user)
    roles = request.user.roles.all()
    return render(
        request,
        "ui/profile.html",
        {
            "form": form,
            "tokens": tokens,
            "new_token": new_token,
            "roles": roles,
            "scopes": account_services.token_scopes(),
        },
    )


@login_required
@require_POST
def revoke_token(request: AuthedRequest, pk: int) -> HttpResponse:
    """Revoke one of the user's own tokens."""
    token = APIToken.objects.filter(user=request.user, pk=pk).first()
    if token is None:
        raise Http404
    account_services.revoke_api_token(ui_actor(request), token)
    messages.success(request, f"Revoked token {token.name}.")
    return HttpResponseRedirect(reverse("ui:profile"))


@login_required
def user_list(request: AuthedRequest) -> HttpResponse:
    """Users (for those who may view them)."""
    if not has_perm(request.user, "accounts.user", "view"):
        raise Http404
    users = restrict(User.objects.prefetch_related("roles"), request.user, "view").order_by(
        "username"
    )
    query = request.GET.get("q", "").strip()
    if query:
        users = users.filter(
            Q(username__icontains=query)
            | Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
            | Q(email__icontains=query)
        )
    status = request.GET.get("status", "")
    if status == "active":
        users = users.filter(is_active=True)
    elif status == "inactive":
        users = users.filter(is_active=False)
    elif status == "norole":
        users = users.filter(is_active=True, roles__isnull=True)
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "ui/users.html",
        {
            "page": page,
            "query": query,
            "status": status,
            "can_add": has_perm(request.user, "accounts.user", "add"),
        },
    )


@login_required
def user_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """A user's roles and status, with deactivate/reactivate and role changes for admins."""
    try:
        user = get_object_or_404(
            User.objects.prefetch_related("roles"), request.user, "view", pk=pk
        )
    except NotFound as exc:
        raise Http404 from exc
    can_change = has_perm(request.user, "accounts.user", "change")
    if request.method == "POST" and can_change:
        actor = ui_actor(request)
        try:
            action = request.POST.get("action")
            if action == "deactivate":
                account_services.deactivate_user(actor, user)
                messages.success(
                    request, f"Deactivated {user.username}: sessions ended, tokens revoked."
                )
            elif action == "reactivate":
                account_services.reactivate_user(actor, user)
                messages.success(request, f"Reactivated {user.username}.")
            elif action == "roles":
                account_services.set_user_roles(actor, user, request.POST.getlist("roles"))
                messages.success(request, f"Updated the roles of {user.username}.")
        except ServiceError as exc:
            messages.error(request, exc.message)
        return HttpResponseRedirect(reverse("ui:user_detail", args=[pk]))
    from assetgraph.accounts.models import Role

    history = AuditEvent.objects.for_object("accounts.user", user.pk)
    recent = list(history[: USER_HISTORY_CAP + 1])
    events = describe(recent[:USER_HISTORY_CAP], request.user)
    # Capped: "Showing 50 of N" with the account's events in the audit log and their export.
    full = ""
    if len(recent) > USER_HISTORY_CAP and has_perm(request.user, "audit.auditevent", "view"):
        full = (
            reverse("ui:audit_log")
            + "?"
            + urlencode({"object_type": "accounts.user", "object_id": str(user.pk)})
        )
    tokens = (
        list(restrict(APIToken.objects.filter(user=user), request.user, "view"))
        if has_perm(request.user, "accounts.apitoken", "view")
        else []
    )
    return render(
        request,
        "ui/user_detail.html",
        {
            "subject": user,
            "can_change": can_change,
            "all_roles": Role.objects.all(),
            "user_roles": {r.name for r in user.roles.all()},
            "events": events,
            "history_total": history.count() if len(recent) > USER_HISTORY_CAP else len(recent),
            "history_url": full,
            "history_export": f"{full}&format=csv" if full else "",
            "tokens": tokens,
            "can_revoke": has_perm(request.user, "accounts.apitoken", "change"),
        },
    )


AUDIT_EXPORT_CAP = 50_000
USER_HISTORY_CAP = 50


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


@login_required
def audit_log(request: AuthedRequest) -> HttpResponse:
    """The audit trail, filterable by object type, action, source, actor (part of the name)
    and a date range; ``?format=csv|xlsx`` exports the filtered events (capped, and the
    export says so in its file name)."""
    if not has_perm(request.user, "audit.auditevent", "view"):
        raise Http404
    events = _visible_events(request)
    filters = {
        k: request.GET.get(k, "").strip()
        for k in ("object_type", "object_id", "action", "source", "actor", "since", "until")
    }
    if filters["object_type"]:
        events = events.filter(object_type=filters["object_type"])
        if filters["object_id"]:  # one object's events (where a capped History links)
            events = events.filter(object_id=filters["object_id"])
    if filters["action"]:
        events = events.filter(action=filters["action"])
    if filters["source"]:
        events = events.filter(source=filters["source"])
    if filters["actor"]:
        events = events.filter(actor_repr__icontains=filters["actor"])
    zone = timezone.get_current_timezone()
    if since := _day(filters["since"]):
        events = events.filter(timestamp__gte=dt.datetime.combine(since, dt.time(), zone))
    if until := _day(filters["until"]):
        end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), zone)
        events = events.filter(timestamp__lt=end)
    query = {k: v for k, v in filters.items() if v}
    fmt = request.GET.get("format", "")
    if fmt:
        return _audit_export(request, events, fmt)
    rows, older = keyset_page(events, request.GET.get("before"))
    older_url = "?" + urlencode({**query, "before": str(older)}) if older else None
    return render(
        request,
        "ui/audit_log.html",
        {
            "events": describe(rows, request.user),
            "older_url": older_url,
            "filters": filters,
            "types": sorted(
                ((t.key, t.label[:1].upper() + t.label[1:]) for t in registry.all_types()),
                key=lambda pair: pair[1].lower(),
            ),
            "export_query": urlencode(query),
        },
    )


def _audit_export(request: AuthedRequest, events: Any, fmt: str) -> HttpResponse:
    """The filtered events as CSV/XLSX (formula cells escaped), redacted for the viewer."""
    rows = list(events[: AUDIT_EXPORT_CAP + 1])
    capped = len(rows) > AUDIT_EXPORT_CAP
    rows = rows[:AUDIT_EXPORT_CAP]
    described = describe(rows, request.user)
    labels = {t.key: t.label for t in registry.all_types()}
    columns: list[tuple[str, Any]] = [
        ("time", lambda pair: pair[0].timestamp.isoformat()),
        ("who", lambda pair: pair[0].actor_repr or pair[0].actor_type),
        ("via", lambda pair: pair[0].source),
        ("action", lambda pair: pair[0].action),
        ("type", lambda pair: labels.get(pair[0].object_type, pair[0].object_type)),
        ("object", lambda pair: pair[0].object_repr),
        ("object id", lambda pair: pair[0].object_id),
        ("what happened", lambda pair: getattr(pair[0], "summary", "")),
        (
            "changes",
            lambda pair: "; ".join(f"{c.label}: {c.before} → {c.after}" for c in pair[1]),
        ),
    ]
    name = "audit-log-first-50000" if capped else "audit-log"
    try:
        return export_response(described, columns, name, fmt)
    except ServiceError as exc:
        raise Http404(exc.message) from exc


def _back_to(request: HttpRequest, fallback: str) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = fallback
    return HttpResponseRedirect(target or fallback)


def _list_resource(request: AuthedRequest, key: str) -> Any:
    resource = resource_for(key)
    if resource is None or not resource.has_pages or not has_perm(request.user, key, "view"):
        raise Http404
    return resource


@require_POST
@login_required
def list_columns(request: AuthedRequest, key: str) -> HttpResponse:
    """Keep which columns of a list the user wants (``show``: the labels to show)."""
    resource = _list_resource(request, key)
    labels = [c.label for c in resource.columns]
    shown = set(request.POST.getlist("show"))
    hidden = [label for label in labels if label not in shown]
    if len(hidden) == len(labels):
        hidden = hidden[1:]  # a list keeps at least its first column
    list_services.set_hidden_columns(ui_actor(request), key, hidden)
    messages.success(request, "Columns saved.")
    return _back_to(request, resource.url("list"))


@require_POST
@login_required
def save_list_filter(request: AuthedRequest, key: str) -> HttpResponse:
    """Save the list's current filters under a name."""
    resource = _list_resource(request, key)
    try:
        saved = list_services.save_filter(
            ui_actor(request), key, request.POST.get("name", ""), request.POST.get("query", "")
        )
        messages.success(request, f"Saved the filter {saved.name!r}.")
    except ServiceError as exc:
        messages.error(request, exc.message)
    return _back_to(request, resource.url("list"))


@require_POST
@login_required
def delete_list_filter(request: AuthedRequest, pk: int) -> HttpResponse:
    """Forget one of the user's saved filters."""
    try:
        list_services.delete_saved_filter(ui_actor(request), pk)
    except NotFound as exc:
        raise Http404 from exc
    messages.success(request, "Saved filter deleted.")
    return _back_to(request, reverse("ui:dashboard"))
