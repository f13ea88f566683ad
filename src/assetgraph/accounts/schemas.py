"""API schemas for accounts: users, roles, permissions and tokens."""

import datetime as dt
from typing import Annotated, Any

from ninja import Field, FilterLookup, FilterSchema, Schema


class UserOut(Schema):
    id: int
    username: str
    first_name: str
    last_name: str
    email: str
    is_active: bool
    is_superuser: bool
    last_login: dt.datetime | None
    roles: list[str]

    @staticmethod
    def resolve_roles(obj: Any) -> list[str]:
        return sorted(r.name for r in obj.roles.all())


class UserIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    password: str | None = Field(None, description="Omit to create a login that cannot sign in yet")
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    roles: list[str] = []


class UserFilter(FilterSchema):
    q: Annotated[
        str | None,
        FilterLookup(
            [
                "username__icontains",
                "first_name__icontains",
                "last_name__icontains",
                "email__icontains",
            ]
        ),
    ] = Field(None)
    is_active: bool | None = None


class RolesIn(Schema):
    roles: list[str]


class PermissionOut(Schema):
    id: int
    name: str
    description: str
    enabled: bool
    builtin: bool
    object_types: list[str]
    actions: list[str]
    constraints: Any = None


class PermissionIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    description: str = ""
    object_types: list[str] = Field(min_length=1)
    actions: list[str] = Field(min_length=1)
    constraints: Any = Field(
        None,
        description="An object or list of objects: field[__lookup] → value; tokens $user, $person",
    )
    roles: list[str] = []
    user_ids: list[int] = []


class RoleOut(Schema):
    id: int
    name: str
    description: str
    builtin: bool
    permissions: list[PermissionOut]

    @staticmethod
    def resolve_permissions(obj: Any) -> list[Any]:
        return list(obj.permissions.all())


class MeOut(Schema):
    user: UserOut
    permissions: dict[str, list[str]]


class TokenIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    write_enabled: bool = False
    expires_at: dt.datetime | None = None
    scopes: list[str] = Field(
        default_factory=list,
        description="Empty: the whole API. App labels limit it to /api/<app>/; 'read' to "
        "reads; 'provisioning' makes it a SCIM-only token.",
    )


class TokenOut(Schema):
    id: int
    name: str
    key: str
    write_enabled: bool
    scopes: list[str]
    created: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The secret. Shown once: store it now.")
