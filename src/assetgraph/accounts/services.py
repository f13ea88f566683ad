"""Writes for accounts: users, roles, permissions, API tokens, login throttling."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone

from assetgraph.audit.services import record_event, record_events, snapshot
from assetgraph.core.actor import Actor
from assetgraph.core.errors import MissingReference, ValidationFailed
from assetgraph.core.modelwrites import assign_editable, full_clean, save_or_conflict

from .models import APIToken, DashboardPin, LoginThrottle, ObjectPermission, Role, User
from .permissions import authorize, clear_cache, validate_constraints
from .roles import ROLE_DESCRIPTIONS, builtin_grants

TOKEN_PREFIX = "agt_"  # noqa: S105 - a public prefix, not a secret


# --- users -----------------------------------------------------------------------------------


def create_user(
    actor: Actor,
    *,
    username: str,
    password: str | None,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    roles: Iterable[str] = (),
    is_superuser: bool = False,
) -> User:
    """Create a login with a validated password (or none: it cannot log in until one is set)."""
    with transaction.atomic():
        user = User(username=username, email=email, first_name=first_name, last_name=last_name)
        user.is_superuser = is_superuser
        user.is_staff = is_superuser
        if password is None:
            user.set_unusable_password()
        else:
            _validate_password(password, user)
            user.set_password(password)
        authorize(actor, "add", user)
        full_clean(user, exclude=["password"])
        user.save()
        record_event(actor, "create", user, after=snapshot(user))
        if roles:
            set_user_roles(actor, user, roles)
        return user


def _validate_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationFailed(
            f"password: {exc.messages[0]}", fields={"password": exc.messages}
        ) from exc


def update_user(actor: Actor, user: User, changes: dict[str, Any]) -> User:
    """Change a user's profile fields (not password, roles or activity: they have services)."""
    allowed = {"email", "first_name", "last_name", "username"}
    unknown = set(changes) - allowed
    if unknown:
        name = sorted(unknown)[0]
        raise ValidationFailed(
            f"{name}: cannot be changed here", fields={name: ["cannot be changed here"]}
        )
    with transaction.atomic():
        current = User.objects.select_for_update().get(pk=user.pk)
        authorize(actor, "change", current)
        before = snapshot(current)
        assign_editable(current, changes)
        full_clean(current, exclude=["password"])
        after = snapshot(current)
        if after != before:
            save_or_conflict(current)
            authorize(actor, "change", current, after=True)
            record_event(actor, "update", current, before=before, after=after)
        return current


def set_password(actor: Actor, user: User, password: str) -> None:
    """Set a new password; other sessions of the user end (Django rotates the session hash)."""
    with transaction.atomic():
        authorize(actor, "change", user)
        _validate_password(password, user)
        user.set_password(password)
        user.save(update_fields=["password"])
        record_event(actor, "set_password", user)


def reset_password(actor: Actor, user: User) -> str:
    """An administrator's password reset: a random temporary password, returned once (to hand
    over out of band) and never stored in clear; the user's sessions and tokens are untouched
    but every other session ends with the password hash change.

    Until notifications can e-mail a reset link, this is how a locked-out user gets back in.
    """
    temporary = secrets.token_urlsafe(12)
    with transaction.atomic():
        authorize(actor, "change", user)
        if not user.is_active:
            raise ValidationFailed(
                "user: reactivate the user before resetting the password",
                fields={"user": ["inactive"]},
            )
        user.set_password(temporary)
        user.save(update_fields=["password"])
        _end_sessions(user)
        record_event(actor, "reset_password", user)
    return temporary


def set_user_roles(actor: Actor, user: User, role_names: Iterable[str]) -> None:
    """Replace the user's roles by name; unknown names are a field error."""
    names = sorted(set(role_names))
    with transaction.atomic():
        authorize(actor, "change", user)
        found = list(Role.objects.filter(name__in=names))
        missing = sorted(set(names) - {r.name for r in found})
        if missing:
            raise MissingReference(
                f"roles: unknown role {missing[0]!r}",
                fields={"roles": [f"unknown role {m!r}" for m in missing]},
            )
        before = sorted(user.roles.values_list("name", flat=True))
        user.roles.set(found)
        clear_cache(user)
        if before != names:
            record_event(actor, "set_roles", user, before={"roles": before}, after={"roles": names})


def deactivate_user(actor: Actor, user: User) -> None:
    """Deactivate a login: its sessions end and its API tokens are revoked, at once."""
    with transaction.atomic():
        authorize(actor, "change", user)
        if not user.is_active:
            return
        before = snapshot(user)
        user.is_active = False
        user.save(update_fields=["is_active"])
        now = timezone.now()
        tokens = list(APIToken.objects.filter(user=user, revoked_at__isnull=True))
        APIToken.objects.filter(pk__in=[t.pk for t in tokens]).update(revoked_at=now)
        _end_sessions(user)
        record_event(actor, "deactivate", user, before=before, after=snapshot(user))
        from assetgraph.audit.services import EventSpec

        record_events(
            actor,
            [
                EventSpec(
                    "accounts.apitoken", t.pk, "revoke", object_repr=str(t), changed=["revoked_at"]
                )
                for t in tokens
            ],
        )


def reactivate_user(actor: Actor, user: User) -> None:
    """Allow a deactivated user to log in again (revoked tokens stay revoked)."""
    with transaction.atomic():
        authorize(actor, "change", user)
        if user.is_active:
            return
        before = snapshot(user)
        user.is_active = True
        user.save(update_fields=["is_active"])
        record_event(actor, "reactivate", user, before=before, after=snapshot(user))


def _end_sessions(user: User) -> None:
    """Delete the user's stored sessions (the auth backend also rejects inactive users)."""
    user_id = str(user.pk)
    stale = [
        s.session_key
        for s in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if s.get_decoded().get("_auth_user_id") == user_id
    ]
    Session.objects.filter(session_key__in=stale).delete()


# --- roles and permissions -------------------------------------------------------------------


def create_object_permission(
    actor: Actor,
    *,
    name: str,
    object_types: Sequence[str],
    actions: Sequence[str],
    constraints: Any = None,
    roles: Iterable[str] = (),
    users: Iterable[User] = (),
    description: str = "",
) -> ObjectPermission:
    """Create a validated permission (object types, actions and constraints checked)."""
    _validate_permission(object_types, actions, constraints)
    with transaction.atomic():
        permission = ObjectPermission(
            name=name,
            object_types=list(object_types),
            actions=list(actions),
            constraints=constraints,
            description=description,
        )
        authorize(actor, "add", permission)
        full_clean(permission)
        save_or_conflict(permission)
        record_event(actor, "create", permission, after=snapshot(permission))
        permission.roles.set(Role.objects.filter(name__in=list(roles)))
        permission.users.set(list(users))
        return permission


def set_object_permission_enabled(
    actor: Actor, permission: ObjectPermission, enabled: bool
) -> ObjectPermission:
    """Switch a custom permission on or off (built-in ones follow the code: refused)."""
    with transaction.atomic():
        current = ObjectPermission.objects.select_for_update().get(pk=permission.pk)
        authorize(actor, "change", current)
        if current.builtin:
            raise ValidationFailed(
                "permission: built-in permissions follow the code and cannot be changed",
                fields={"permission": ["built-in"]},
            )
        if current.enabled != enabled:
            before = snapshot(current)
            current.enabled = enabled
            current.save(update_fields=["enabled"])
            record_event(actor, "update", current, before=before, after=snapshot(current))
        _clear_all_caches(actor)
        return current


def delete_object_permission(actor: Actor, permission: ObjectPermission) -> None:
    """Delete a custom permission; its grants end at once (built-in ones cannot be deleted)."""
    with transaction.atomic():
        current = ObjectPermission.objects.select_for_update().get(pk=permission.pk)
        authorize(actor, "delete", current)
        if current.builtin:
            raise ValidationFailed(
                "permission: built-in permissions follow the code and cannot be deleted",
                fields={"permission": ["built-in"]},
            )
        before = {**snapshot(current), "roles": sorted(r.name for r in current.roles.all())}
        pk = current.pk
        current.delete()
        current.pk = pk
        record_event(actor, "delete", current, before=before)
        _clear_all_caches(actor)


def _clear_all_caches(actor: Actor) -> None:
    """Grants are cached per request on the user object: drop the acting user's copy."""
    if not actor.is_system:
        clear_cache(actor.user)


def _validate_permission(
    object_types: Sequence[str], actions: Sequence[str], constraints: Any
) -> None:
    from assetgraph.core import registry

    if not object_types:
        raise ValidationFailed(
            "object_types: at least one is required", fields={"object_types": ["required"]}
        )
    if not actions:
        raise ValidationFailed(
            "actions: at least one is required", fields={"actions": ["required"]}
        )
    for object_type in object_types:
        entry = registry.find(object_type)
        if entry is None:
            raise ValidationFailed(
                f"object_types: unknown {object_type!r}",
                fields={"object_types": [f"unknown: {object_type}"]},
            )
        for action in actions:
            if action not in entry.actions:
                raise ValidationFailed(
                    f"actions: {action!r} does not apply to {object_type}",
                    fields={"actions": [f"{action!r} does not apply to {object_type}"]},
                )
    validate_constraints(object_types, constraints)


def sync_builtin_roles(actor: Actor | None = None) -> None:
    """Make built-in roles and their permissions match the code (idempotent; runs on migrate)."""
    actor = actor or Actor.system("sync_builtin_roles")
    grants = builtin_grants()
    with transaction.atomic():
        wanted_permissions: set[str] = set()
        for role_name, description in ROLE_DESCRIPTIONS.items():
            role, created = Role.objects.get_or_create(
                name=role_name, defaults={"description": description, "builtin": True}
            )
            if created:
                record_event(actor, "create", role, after=snapshot(role))
            elif role.description != description or not role.builtin:
                before = snapshot(role)
                role.description, role.builtin = description, True
                role.save()
                record_event(actor, "update", role, before=before, after=snapshot(role))
            for object_type, actions in grants[role_name].items():
                name = f"{role_name}: {object_type}"
                wanted_permissions.add(name)
                permission = ObjectPermission.objects.filter(name=name).first()
                if permission is None:
                    permission = ObjectPermission.objects.create(
                        name=name, builtin=True, object_types=[object_type], actions=actions
                    )
                    record_event(actor, "create", permission, after=snapshot(permission))
                elif permission.actions != actions or permission.object_types != [object_type]:
                    before = snapshot(permission)
                    permission.actions, permission.object_types = actions, [object_type]
                    permission.save()
                    record_event(
                        actor, "update", permission, before=before, after=snapshot(permission)
                    )
                permission.roles.add(role)
        for stale in ObjectPermission.objects.filter(builtin=True).exclude(
            name__in=wanted_permissions
        ):
            before = snapshot(stale)
            pk = stale.pk
            stale.delete()
            stale.pk = pk
            record_event(actor, "delete", stale, before=before)


# --- API tokens ------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedToken:
    """A new token and its secret, which is shown once and never stored."""

    token: APIToken
    plaintext: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def create_api_token(
    actor: Actor,
    user: User,
    *,
    name: str,
    write_enabled: bool = False,
    expires_at: dt.datetime | None = None,
    scopes: Iterable[str] = (),
) -> IssuedToken:
    """Issue a token for ``user``: 256 random bits, stored as a SHA-256 digest.

    ``scopes`` narrow it (see :meth:`APIToken.allows`): app labels, ``read``, ``provisioning``.
    """
    chosen = sorted(set(scopes))
    unknown = [s for s in chosen if s not in token_scopes()]
    if unknown:
        message = f"unknown scope {unknown[0]!r} (known: {', '.join(token_scopes())})"
        raise ValidationFailed(f"scopes: {message}", fields={"scopes": [message]})
    if not name.strip():
        raise ValidationFailed("name: required", fields={"name": ["required"]})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailed(
            "expires_at: must be in the future", fields={"expires_at": ["must be in the future"]}
        )
    if not actor.is_system and actor.user.pk != user.pk:
        authorize(actor, "change", user)
    key = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        token = APIToken.objects.create(
            user=user,
            name=name.strip()[:100],
            key=key,
            digest=_digest(secret),
            write_enabled=write_enabled,
            expires_at=expires_at,
            scopes=chosen,
        )
        record_event(actor, "create", token, after=snapshot(token))
    return IssuedToken(token=token, plaintext=f"{TOKEN_PREFIX}{key}_{secret}")


def token_scopes() -> list[str]:
    """The scopes a token may carry: ``read``, ``provisioning`` and every app label."""
    from django.apps import apps

    labels = [
        c.label
        for c in apps.get_app_configs()
        if c.name.startswith("assetgraph.") and c.label not in {"core", "api", "ui", "demo"}
    ]
    return sorted({"read", "provisioning", *labels})


def revoke_api_token(actor: Actor, token: APIToken) -> None:
    """Revoke a token (idempotent); a revoked token authenticates nothing."""
    if not actor.is_system and actor.user.pk != token.user_id:
        authorize(actor, "change", token.user)
    with transaction.atomic():
        if token.revoked_at is not None:
            return
        before = snapshot(token)
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record_event(actor, "revoke", token, before=before, after=snapshot(token))


def authenticate_token(plaintext: str) -> APIToken | None:
    """The usable token matching ``plaintext``, or None (constant-time digest comparison)."""
    if not plaintext.startswith(TOKEN_PREFIX):
        return None
    key, _, secret = plaintext[len(TOKEN_PREFIX) :].partition("_")
    if not key or not secret:
        return None
    token = APIToken.objects.select_related("user").filter(key=key).first()
    if token is None or not hmac.compare_digest(token.digest, _digest(secret)):
        return None
    now = timezone.now()
    if not token.is_usable(now):
        return None
    # Touch last_used at most once a minute: no write per request under load.
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(seconds=60):
        APIToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


# --- login throttling ------------------------------------------------------------------------
#
# Two counters, each locking for a doubling period once past its threshold:
# - the username *and* the client address together: an attacker guessing one account's
#   password is stopped after a few tries, but only from their own address, so they cannot
#   lock the account's owner out by failing on purpose;
# - the client address alone, with a higher threshold: many usernames tried from one address
#   (password spraying, credential stuffing) are slowed down too.
# A counter forgets its failures after ASSETGRAPH_LOGIN_LOCK_MAX_SECONDS without one.


def _throttle_keys(username: str, address: str) -> tuple[str, str]:
    name = username.strip().lower()
    pair = hashlib.sha256(f"{name}\n{address}".encode()).hexdigest()
    return f"pair:{pair}", f"addr:{address}"[:150]


def login_locked_for(username: str, address: str) -> int:
    """Seconds until ``username`` may try again from ``address`` (0 when not locked)."""
    now = timezone.now()
    locks = LoginThrottle.objects.filter(
        key__in=_throttle_keys(username, address), locked_until__isnull=False
    ).values_list("locked_until", flat=True)
    remaining = [(until - now).total_seconds() for until in locks if until is not None]
    return max(0, int(max(remaining, default=0) + 0.999))


def _count_failure(key: str, threshold: int, now: dt.datetime) -> None:
    base = settings.ASSETGRAPH_LOGIN_LOCK_SECONDS
    cap = settings.ASSETGRAPH_LOGIN_LOCK_MAX_SECONDS
    with transaction.atomic():
        row, _ = LoginThrottle.objects.select_for_update().get_or_create(key=key)
        if row.last_failure_at is not None and now - row.last_failure_at > dt.timedelta(
            seconds=cap
        ):
            row.failures = 0  # quiet for longer than the longest lock: start afresh
        row.failures += 1
        row.last_failure_at = now
        if row.failures >= threshold:
            seconds = min(cap, base * 2 ** min(row.failures - threshold, 32))
            row.locked_until = now + dt.timedelta(seconds=seconds)
        row.save()


def record_login_failure(username: str, address: str) -> None:
    """Count a failure for the username from this address, and for the address."""
    pair, addr = _throttle_keys(username, address)
    now = timezone.now()
    _count_failure(pair, settings.ASSETGRAPH_LOGIN_FAILURES_BEFORE_LOCK, now)
    _count_failure(addr, settings.ASSETGRAPH_LOGIN_ADDRESS_FAILURES_BEFORE_LOCK, now)


def record_login_success(username: str, address: str) -> None:
    """Clear the username's counter from this address (the address's own counter stays: one
    good password does not vouch for the other names tried from there)."""
    LoginThrottle.objects.filter(key=_throttle_keys(username, address)[0]).delete()


# --- dashboard pins --------------------------------------------------------------------------

MAX_PINS = 24


def pin_dashboard_card(actor: Actor, user: User, card: str) -> DashboardPin:
    """Pin a card to the user's dashboard (idempotent); only the user pins their own cards."""
    card = card.strip()
    if not card or len(card) > 100:
        raise ValidationFailed("card: required (at most 100 characters)", fields={"card": ["bad"]})
    _own(actor, user)
    with transaction.atomic():
        existing = DashboardPin.objects.filter(user=user, card=card).first()
        if existing is not None:
            return existing
        if DashboardPin.objects.filter(user=user).count() >= MAX_PINS:
            raise ValidationFailed(
                f"card: at most {MAX_PINS} pinned cards", fields={"card": ["too many pins"]}
            )
        pin = DashboardPin.objects.create(user=user, card=card)
        record_event(actor, "pin", pin, after=snapshot(pin))
        return pin


def unpin_dashboard_card(actor: Actor, user: User, card: str) -> None:
    """Take a card off the user's pinned cards (idempotent)."""
    _own(actor, user)
    with transaction.atomic():
        pin = DashboardPin.objects.filter(user=user, card=card).first()
        if pin is None:
            return
        before = snapshot(pin)
        pk = pin.pk
        pin.delete()
        pin.pk = pk
        record_event(actor, "unpin", pin, before=before)


def _own(actor: Actor, user: User) -> None:
    if not actor.is_system and actor.user.pk != user.pk:
        raise ValidationFailed(
            "user: a dashboard is arranged by its owner", fields={"user": ["not yours"]}
        )
