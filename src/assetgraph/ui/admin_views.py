"""Administration in the UI: add users, reset a password, roles with their permissions and
constraints, custom permissions, every API token.

Every write calls an ``accounts`` service (which checks the permission again and writes the
audit event); these views only read forms and show what the services answer. A user who may
not view the type gets a 404, as on every surface.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from assetgraph.accounts import services as account_services
from assetgraph.accounts.http import AuthedRequest
from assetgraph.accounts.models import APIToken, ObjectPermission, Role, User
from assetgraph.accounts.permissions import get_object_or_404, has_perm, restrict
from assetgraph.core import registry
from assetgraph.core.actor import ui_actor
from assetgraph.core.errors import NotFound, ServiceError
from assetgraph.ui.capping import cap_rows, export_section

ACTIONS = ("view", "add", "change", "delete")


def _need(request: AuthedRequest, object_type: str, action: str = "view") -> None:
    if not has_perm(request.user, object_type, action):
        raise Http404


@login_required
def user_add(request: AuthedRequest) -> HttpResponse:
    """Create a login: name, e-mail, roles and an initial password (or none: the user cannot
    sign in until an administrator resets it or single sign-on links them)."""
    _need(request, "accounts.user", "add")
    values = {k: request.POST.get(k, "").strip() for k in ("username", "first_name", "last_name")}
    values["email"] = request.POST.get("email", "").strip()
    chosen = request.POST.getlist("roles")
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        try:
            user = account_services.create_user(
                ui_actor(request),
                username=values["username"],
                password=request.POST.get("password") or None,
                email=values["email"],
                first_name=values["first_name"],
                last_name=values["last_name"],
                roles=chosen,
            )
        except ServiceError as exc:
            errors = {**exc.fields, "message": [exc.message]}
            status = exc.status if exc.status >= 400 else 422
        else:
            messages.success(request, f"Created user {user.username}.")
            return HttpResponseRedirect(reverse("ui:user_detail", args=[user.pk]))
    context = {
        "values": values,
        "chosen": set(chosen),
        "all_roles": Role.objects.all(),
        "errors": errors,
    }
    return render(request, "ui/user_add.html", context, status=status)


@login_required
@require_POST
def user_reset_password(request: AuthedRequest, pk: int) -> HttpResponse:
    """An administrator resets a password: the temporary one is shown once, on this answer."""
    try:
        user = get_object_or_404(User.objects.all(), request.user, "view", pk=pk)
    except NotFound as exc:
        raise Http404 from exc
    try:
        temporary = account_services.reset_password(ui_actor(request), user)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(reverse("ui:user_detail", args=[pk]))
    return render(request, "ui/password_reset_done.html", {"subject": user, "temporary": temporary})


@login_required
def role_list(request: AuthedRequest) -> HttpResponse:
    """Roles with the permissions they grant, and the custom permissions with constraints."""
    _need(request, "accounts.role")
    roles = list(
        restrict(Role.objects.prefetch_related("permissions", "users"), request.user, "view")
    )
    can_see_permissions = has_perm(request.user, "accounts.objectpermission", "view")
    custom = (
        list(
            restrict(
                ObjectPermission.objects.filter(builtin=False).prefetch_related("roles", "users"),
                request.user,
                "view",
            )
        )
        if can_see_permissions
        else []
    )
    return render(
        request,
        "ui/roles.html",
        {
            "roles": roles,
            "custom": custom,
            "can_see_permissions": can_see_permissions,
            "can_add": has_perm(request.user, "accounts.objectpermission", "add"),
            "can_change": has_perm(request.user, "accounts.objectpermission", "change"),
            "can_delete": has_perm(request.user, "accounts.objectpermission", "delete"),
        },
    )


@login_required
def permission_add(request: AuthedRequest) -> HttpResponse:
    """A custom permission: object types and actions, optionally narrowed by constraints (JSON:
    one filter object or a list of them, OR-ed; ``$user`` stands for the signed-in user)."""
    _need(request, "accounts.objectpermission", "add")
    post = request.POST
    values = {
        "name": post.get("name", "").strip(),
        "description": post.get("description", "").strip(),
        "constraints": post.get("constraints", "").strip(),
    }
    chosen = {
        "object_types": set(post.getlist("object_types")),
        "actions": set(post.getlist("actions")),
        "roles": set(post.getlist("roles")),
    }
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        constraints: Any = None
        if values["constraints"]:
            try:
                constraints = json.loads(values["constraints"])
            except json.JSONDecodeError as exc:
                message = f"not valid JSON ({exc.msg}, line {exc.lineno})"
                errors = {"constraints": [message], "message": [f"constraints: {message}"]}
        if not errors:
            try:
                permission = account_services.create_object_permission(
                    ui_actor(request),
                    name=values["name"],
                    object_types=sorted(chosen["object_types"]),
                    actions=[a for a in ACTIONS if a in chosen["actions"]]
                    + sorted(chosen["actions"] - set(ACTIONS)),
                    constraints=constraints,
                    roles=sorted(chosen["roles"]),
                    description=values["description"],
                )
            except ServiceError as exc:
                errors = {**exc.fields, "message": [exc.message]}
            else:
                messages.success(request, f"Created permission {permission.name}.")
                return HttpResponseRedirect(reverse("ui:role_list"))
        status = 422
    context = {
        "values": values,
        "chosen": chosen,
        "types": [(t.key, t.label_plural) for t in registry.all_types()],
        "actions": sorted({a for t in registry.all_types() for a in t.actions}),
        "all_roles": Role.objects.all(),
        "errors": errors,
    }
    return render(request, "ui/permission_add.html", context, status=status)


@login_required
@require_POST
def permission_action(request: AuthedRequest, pk: int) -> HttpResponse:
    """Enable, disable or delete a custom permission."""
    try:
        permission = get_object_or_404(ObjectPermission.objects.all(), request.user, "view", pk=pk)
    except NotFound as exc:
        raise Http404 from exc
    action = request.POST.get("action")
    try:
        if action == "delete":
            account_services.delete_object_permission(ui_actor(request), permission)
            messages.success(request, f"Deleted permission {permission.name}.")
        elif action in ("enable", "disable"):
            account_services.set_object_permission_enabled(
                ui_actor(request), permission, action == "enable"
            )
            messages.success(request, f"Permission {permission.name}: {action}d.")
    except ServiceError as exc:
        messages.error(request, exc.message)
    return HttpResponseRedirect(reverse("ui:role_list"))


# Tokens per page; more say "Showing 500 of N", page and export (issue 17).
TOKEN_CAP = 500
TOKEN_COLUMNS = [
    ("id", lambda t: t.pk),
    ("name", lambda t: t.name),
    ("key_prefix", lambda t: t.key),  # the public prefix; the secret is never stored
    ("user", lambda t: t.user.username),
    ("write_enabled", lambda t: t.write_enabled),
    ("scopes", lambda t: " ".join(t.scopes or [])),
    ("created", lambda t: t.created),
    ("last_used_at", lambda t: t.last_used_at),
    ("expires_at", lambda t: t.expires_at),
    ("revoked_at", lambda t: t.revoked_at),
]


@login_required
def token_list(request: AuthedRequest) -> HttpResponse:
    """Every API token the administrator may see: owner, scopes, last use; revoke any."""
    _need(request, "accounts.apitoken")
    tokens = restrict(APIToken.objects.select_related("user"), request.user, "view")
    state = request.GET.get("state", "active")
    if state == "active":
        tokens = tokens.filter(revoked_at__isnull=True)
    tokens = tokens.order_by("-created", "-pk")
    exported = export_section(request, "tokens", tokens, TOKEN_COLUMNS, "api-tokens")
    if exported is not None:
        return exported
    return render(
        request,
        "ui/tokens.html",
        {
            "tokens": cap_rows(request, "tokens", tokens, TOKEN_CAP, params={"state": state}),
            "state": state,
            "can_change": has_perm(request.user, "accounts.apitoken", "change"),
        },
    )


@login_required
@require_POST
def token_revoke(request: AuthedRequest, pk: int) -> HttpResponse:
    """Revoke any token the administrator may change (the owner's own page does the same)."""
    try:
        token = get_object_or_404(
            APIToken.objects.select_related("user"), request.user, "change", pk=pk
        )
    except NotFound as exc:
        raise Http404 from exc
    try:
        account_services.revoke_api_token(ui_actor(request), token)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Revoked token {token.name} of {token.user.username}.")
    return HttpResponseRedirect(reverse("ui:token_list"))
