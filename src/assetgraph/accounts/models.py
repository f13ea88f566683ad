"""Users, roles, object permissions (NetBox-style), API tokens and login throttling."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone


class User(AbstractUser):
    """A login. People (``org.Person``) may link to one; permissions come from roles."""

    audit_exclude = ("password",)

    class Meta:
        ordering = ["username"]
        verbose_name = "user"
        verbose_name_plural = "users"

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Role(models.Model):
    """A named bundle of object permissions given to users (Helpdesk, Finance, ...)."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    builtin = models.BooleanField(
        default=False, help_text="Seeded by assetgraph; kept in sync on migrate."
    )
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="roles", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ObjectPermission(models.Model):
    """Grants ``actions`` on ``object_types``, optionally limited by ``constraints``.

    ``constraints`` is ``null`` (every object), one filter dict, or a list of dicts (OR-ed).
    Keys are ``field`` or ``field__lookup`` from the type's whitelist; values may use tokens
    such as ``$user``. Validated on save by the service, applied by ``restrict()``.
    """

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    enabled = models.BooleanField(default=True)
    builtin = models.BooleanField(default=False)
    object_types = models.JSONField(default=list)
    actions = models.JSONField(default=list)
    constraints = models.JSONField(null=True, blank=True)
    roles = models.ManyToManyField(Role, related_name="permissions", blank=True)
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="object_permissions", blank=True
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class APIToken(models.Model):
    """A bearer token. Only a SHA-256 digest of the secret is stored; the secret is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    key = models.CharField(
        max_length=16, unique=True, help_text="Public lookup prefix of the token."
    )
    digest = models.CharField(max_length=64)
    write_enabled = models.BooleanField(default=False)
    scopes = models.JSONField(
        default=list,
        blank=True,
        help_text="Empty: the whole API. Otherwise app labels (/api/<app>/ only), "
        "'read' (reads only) and/or 'provisioning' (SCIM only, /scim/v2/).",
    )
    created = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    audit_exclude = ("digest",)

    class Meta:
        ordering = ["-created"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.key}…)"

    def is_usable(self, now: dt.datetime | None = None) -> bool:
        """Not revoked, not expired, and its user is active."""
        now = now or timezone.now()
        if self.revoked_at is not None:
            return False
        if self.expires_at is not None and self.expires_at <= now:
            return False
        return bool(self.user.is_active)

    def allows(self, path: str, method: str) -> bool:
        """Whether the token's scopes reach ``path`` with ``method`` (write_enabled aside)."""
        scopes = set(self.scopes or ())
        if path.startswith("/scim/"):
            return "provisioning" in scopes
        if not scopes:
            return True
        if "read" in scopes and method not in ("GET", "HEAD", "OPTIONS"):
            return False
        apps = scopes - {"read", "provisioning"}
        if not apps:
            return "read" in scopes  # read-only across the whole API
        parts = path.split("/")
        return len(parts) > 2 and parts[1] == "api" and parts[2] in apps


class LoginThrottle(models.Model):
    """Failed-login counter per normalised username (existing or not), with lock-out."""

    key = models.CharField(max_length=150, unique=True)
    failures = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.key


class DashboardPin(models.Model):
    """A dashboard card the user pinned: shown first on their dashboard, whatever their roles.

    Cards are declared in code (``navigation.DASHBOARD_CARDS``); a pin names one by its id, so
    a card that disappears with an app leaves a pin that is simply skipped.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dashboard_pins"
    )
    card = models.CharField(max_length=100)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created", "id"]
        verbose_name = "dashboard pin"
        constraints = [
            models.UniqueConstraint(fields=["user", "card"], name="accounts_pin_one_per_card"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.card}"
