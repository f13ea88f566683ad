"""REST endpoints for accounts: who am I, my tokens, users, roles and permissions."""

from typing import Any

from ninja import Query, Router

from assetgraph.accounts import services
from assetgraph.accounts.http import AuthedRequest
from assetgraph.accounts.models import APIToken, ObjectPermission, Role, User
from assetgraph.accounts.permissions import get_object_or_404, has_perm, restrict
from assetgraph.accounts.schemas import (
    MeOut,
    PermissionIn,
    PermissionOut,
    RoleOut,
    RolesIn,
    TokenCreatedOut,
    TokenIn,
    TokenOut,
    UserFilter,
    UserIn,
    UserOut,
)
from assetgraph.core import registry
from assetgraph.core.actor import api_actor
from assetgraph.core.errors import NotFound, PermissionDenied

from .pagination import Page, page_request, paginate

router = Router(tags=["accounts"])
USER_ORDERINGS = {"username": "username", "id": "pk"}


@router.get(
    "/me",
    response=MeOut,
    summary="The caller and what they may do",
)
def me(request: AuthedRequest) -> dict[str, Any]:
    user = request.user
    permissions = {
        t.key: [a for a in t.actions if has_perm(user, t.key, a)] for t in registry.all_types()
    }
    return {"user": user, "permissions": {k: v for k, v in permissions.items() if v}}


@router.get(
    "/tokens",
    response=list[TokenOut],
    summary="My API tokens",
)
def list_tokens(request: AuthedRequest) -> Any:
    return APIToken.objects.filter(user=request.user)


@router.post(
    "/tokens",
    response={201: TokenCreatedOut},
    summary="Create an API token (the secret is shown once)",
)
def create_token(request: AuthedRequest, payload: TokenIn) -> tuple[int, dict[str, Any]]:
    if getattr(request, "auth_token", None) is not None and not request.user.is_superuser:
        raise PermissionDenied("tokens cannot mint tokens; sign in to create one")
    issued = services.create_api_token(
        api_actor(request),
        request.user,
        name=payload.name,
        write_enabled=payload.write_enabled,
        expires_at=payload.expires_at,
        scopes=payload.scopes,
    )
    token = issued.token
    return 201, {**TokenOut.from_orm(token).model_dump(), "token": issued.plaintext}


@router.delete(
    "/tokens/{int:token_id}",
    response={204: None},
    summary="Revoke one of my tokens",
)
def revoke_token(request: AuthedRequest, token_id: int) -> tuple[int, None]:
    token = APIToken.objects.filter(user=request.user, pk=token_id).first()
    if token is None:
        raise NotFound("token not found")
    services.revoke_api_token(api_actor(request), token)
    return 204, None


@router.get(
    "/users",
    response=Page[UserOut],
    summary="List users",
)
def list_users(request: AuthedRequest, filters: Query[UserFilter]) -> dict[str, Any]:
    users = restrict(User.objects.prefetch_related("roles"), request.user, "view")
    paging = page_request(request.GET, USER_ORDERINGS, "username")
    rows, next_cursor = paginate(filters.filter(users), paging, USER_ORDERINGS)
    return {"results": rows, "next": next_cursor}


@router.post(
    "/users",
    response={201: UserOut},
    summary="Create a user",
)
def create_user(request: AuthedRequest, payload: UserIn) -> tuple[int, User]:
    if not has_perm(request.user, "accounts.user", "add"):
        raise PermissionDenied("you may not add users")
    user = services.create_user(
        api_actor(request),
        username=payload.username,
        password=payload.password,
        email=payload.email,
        first_name=payload.first_name,
        last_name=payload.last_name,
        roles=payload.roles,
    )
    return 201, user


@router.get(
    "/users/{int:user_id}",
    response=UserOut,
    summary="Get a user",
)
def get_user(request: AuthedRequest, user_id: int) -> User:
    return get_object_or_404(
        User.objects.prefetch_related("roles"), request.user, "view", pk=user_id
    )


@router.put(
    "/users/{int:user_id}/roles",
    response=UserOut,
    summary="Replace a user's roles",
)
def set_roles(request: AuthedRequest, user_id: int, payload: RolesIn) -> User:
    user = get_object_or_404(User.objects.all(), request.user, "change", pk=user_id)
    services.set_user_roles(api_actor(request), user, payload.roles)
    return User.objects.prefetch_related("roles").get(pk=user.pk)


@router.post(
    "/users/{int:user_id}/deactivate",
    response=UserOut,
    summary="Deactivate a user (ends sessions, revokes tokens)",
)
def deactivate(request: AuthedRequest, user_id: int) -> User:
    user = get_object_or_404(User.objects.all(), request.user, "change", pk=user_id)
    services.deactivate_user(api_actor(request), user)
    return User.objects.prefetch_related("roles").get(pk=user.pk)


@router.post(
    "/users/{int:user_id}/reactivate",
    response=UserOut,
    summary="Reactivate a user",
)
def reactivate(request: AuthedRequest, user_id: int) -> User:
    user = get_object_or_404(User.objects.all(), request.user, "change", pk=user_id)
    services.reactivate_user(api_actor(request), user)
    return User.objects.prefetch_related("roles").get(pk=user.pk)


@router.get(
    "/roles",
    response=list[RoleOut],
    summary="Roles and their permissions",
)
def list_roles(request: AuthedRequest) -> Any:
    return restrict(Role.objects.prefetch_related("permissions"), request.user, "view")


@router.get(
    "/permissions",
    response=list[PermissionOut],
    summary="Object permissions",
)
def list_permissions(request: AuthedRequest) -> Any:
    return restrict(ObjectPermission.objects.all(), request.user, "view")


@router.post(
    "/permissions",
    response={201: PermissionOut},
    summary="Create an object permission (with constraints)",
)
def create_permission(
    request: AuthedRequest, payload: PermissionIn
) -> tuple[int, ObjectPermission]:
    if not has_perm(request.user, "accounts.objectpermission", "add"):
        raise PermissionDenied("you may not add permissions")
    users = list(restrict(User.objects.filter(pk__in=payload.user_ids), request.user, "view"))
    permission = services.create_object_permission(
        api_actor(request),
        name=payload.name,
        description=payload.description,
        object_types=payload.object_types,
        actions=payload.actions,
        constraints=payload.constraints,
        roles=payload.roles,
        users=users,
    )
    return 201, permission
