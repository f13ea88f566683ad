"""SCIM Groups grant roles: ``ASSETGRAPH_SCIM_GROUP_ROLES`` maps a Group to a role.

A Group matches a key by its ``displayName`` or its ``externalId`` (case-insensitive), and
its members — Users directly, or through member Groups — get the role on their login. A
User's login is its person's login, else the login whose username is the User's
``userName`` (what OIDC just-in-time sign-in creates from the same directory).

The rule for revoking differs from LDAP and OIDC sign-in (``integrations.role_mapping``):
SCIM revokes only what SCIM granted (:class:`ScimRoleGrant`). A role the login already held
when a group would grant it — given by an administrator, or by LDAP/OIDC mapping — is not
recorded as SCIM's, so leaving the group, the group's deletion or the User's deletion leaves
it in place. Every change is one ``set_roles`` audit event in the SCIM request's transaction.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings

from assetgraph.accounts import services as account_services
from assetgraph.accounts.models import Role, User
from assetgraph.core.actor import Actor

from ..models import ScimResource, ScimResourceType, ScimRoleGrant
from ..role_mapping import mapped_roles

logger = logging.getLogger(__name__)


def _mapping() -> dict[str, str]:
    return dict(getattr(settings, "ASSETGRAPH_SCIM_GROUP_ROLES", {}) or {})


def _member_ids(group: ScimResource) -> set[int]:
    members = group.data.get("members") or [] if isinstance(group.data, dict) else []
    return {
        int(m["value"])
        for m in members
        if isinstance(m, dict) and isinstance(m.get("value"), str) and m["value"].isdigit()
    }


def _groups() -> dict[int, ScimResource]:
    return {g.pk: g for g in ScimResource.objects.filter(kind=ScimResourceType.GROUP)}


def user_members(group: ScimResource, groups: dict[int, ScimResource] | None = None) -> set[int]:
    """The ids of the Users in ``group``, directly or through member Groups."""
    groups = _groups() if groups is None else groups
    found: set[int] = set()
    seen = {group.pk}
    stack = [_member_ids(group)]
    while stack:
        for member in stack.pop():
            if member in groups:
                if member not in seen:
                    seen.add(member)
                    stack.append(_member_ids(groups[member]))
            else:
                found.add(member)
    return found


def _parents(groups: dict[int, ScimResource]) -> dict[int, set[int]]:
    """Member id → the ids of the Groups it is directly in (built once per request)."""
    parents: dict[int, set[int]] = {}
    for group in groups.values():
        for member in _member_ids(group):
            parents.setdefault(member, set()).add(group.pk)
    return parents


def _keys_of(
    user_pk: int, groups: dict[int, ScimResource], parents: dict[int, set[int]]
) -> set[str]:
    """The mapping keys of every Group the User is in, directly or through nesting."""
    keys: set[str] = set()
    seen: set[int] = set()
    stack = list(parents.get(user_pk, ()))
    while stack:
        pk = stack.pop()
        if pk in seen:
            continue
        seen.add(pk)
        keys |= {groups[pk].name_key, groups[pk].external_id.lower()} - {""}
        stack.extend(parents.get(pk, ()))
    return keys


def login_of(resource: ScimResource) -> User | None:
    """The login a SCIM User's roles go to, if it has one yet."""
    person = resource.person
    if person is not None and person.user_id is not None:
        return person.user
    return User.objects.filter(username__iexact=resource.name).first()


def _mapper(actor: Actor) -> Actor:
    # The configuration, not the token's own permissions, authorises a mapped grant; the
    # audit event keeps the request and token it came with.
    return dataclasses.replace(actor, user=None, label=f"SCIM group mapping ({actor.display})")


def apply_grants(actor: Actor, user: Any, wanted: set[str]) -> None:
    """Give ``user`` the ``wanted`` roles SCIM maps; take back those SCIM granted before and
    no longer maps. Roles from anywhere else are left alone."""
    known = set(Role.objects.filter(name__in=wanted).values_list("name", flat=True))
    for unknown in sorted(wanted - known):
        logger.warning("ASSETGRAPH_SCIM_GROUP_ROLES names no role %r: not granted", unknown)
    wanted = wanted & known
    current = set(user.roles.values_list("name", flat=True))
    ours = set(ScimRoleGrant.objects.filter(user=user).values_list("role__name", flat=True))
    added = wanted - current
    revoked = ours - wanted
    after = (current | added) - revoked
    if after != current:
        account_services.set_user_roles(_mapper(actor), user, after)
    for role in Role.objects.filter(name__in=added):
        ScimRoleGrant.objects.get_or_create(user=user, role=role)
    ScimRoleGrant.objects.filter(user=user, role__name__in=revoked).delete()


def reconcile(actor: Actor, user_pks: Iterable[int]) -> None:
    """Bring the mapped roles of these SCIM Users' logins in line with their groups."""
    pks = set(user_pks)
    mapping = _mapping()
    if not pks or (not mapping and not ScimRoleGrant.objects.exists()):
        return
    groups = _groups()
    parents = _parents(groups)
    users = ScimResource.objects.filter(pk__in=pks, kind=ScimResourceType.USER)
    holders = set(ScimRoleGrant.objects.values_list("user_id", flat=True))
    for resource in users.select_related("person__user"):
        wanted = mapped_roles(mapping, _keys_of(resource.pk, groups, parents))
        login = login_of(resource)
        # Nothing to grant and nothing of ours to take back (an unmapped group of thousands).
        if login is not None and (wanted or login.pk in holders):
            apply_grants(actor, login, wanted)
