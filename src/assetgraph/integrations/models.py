"""Directory links, sync runs and offboarding cases."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class DirectoryAccount(models.Model):
    """The link between a person and their directory entry: which people the sync manages.

    People with no link (entered by hand) are never touched by a sync; a linked person missing
    from the directory is a leaver.
    """

    person = models.OneToOneField(
        "org.Person", on_delete=models.CASCADE, related_name="directory_account"
    )
    dn = models.CharField(max_length=500)
    last_seen = models.DateTimeField()

    class Meta:
        ordering = ["person_id"]

    def __str__(self) -> str:
        return self.dn


class SyncRunState(models.TextChoices):
    """How a sync run ended."""

    DRY_RUN = "dry_run", "Dry run"
    APPLIED = "applied", "Applied"
    FAILED = "failed", "Failed"


class DirectorySyncRun(models.Model):
    """One directory sync (or dry run): counts and the diff it computed or applied."""

    started = models.DateTimeField()
    finished = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=SyncRunState.choices)
    trigger = models.CharField(max_length=20, help_text="cli, api, ui, schedule or demo")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    seen = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    deactivated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    diff = models.JSONField(default=list)
    errors = models.JSONField(default=list)

    class Meta:
        ordering = ["-started", "-id"]
        verbose_name = "directory sync run"

    def __str__(self) -> str:
        return f"Directory sync #{self.pk} ({self.state})"


class OffboardingState(models.TextChoices):
    """Whether everything a leaver held has been returned and reclaimed."""

    OPEN = "open", "Open"
    DONE = "done", "Done"


class Offboarding(models.Model):
    """A leaver's offboarding: what they must return and which seats to reclaim.

    The lists are live (assets still in their custody, seats still allocated to them); the
    counts at the start are kept for the record.
    """

    person = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="offboardings")
    state = models.CharField(
        max_length=10, choices=OffboardingState.choices, default=OffboardingState.OPEN
    )
    started = models.DateTimeField()
    finished = models.DateTimeField(null=True, blank=True)
    sync_run = models.ForeignKey(
        DirectorySyncRun,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="offboardings",
    )
    assets_at_start = models.PositiveIntegerField(default=0)
    seats_at_start = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(state="open"),
                name="integrations_one_open_offboarding",
            )
        ]

    def __str__(self) -> str:
        return f"Offboarding of {self.person}"


class ScimResourceType(models.TextChoices):
    """The SCIM resource types served."""

    USER = "User", "User"
    GROUP = "Group", "Group"


class ScimResource(models.Model):
    """A resource an identity provider provisioned over SCIM, as it sent it (``data``).

    A User is projected onto an ``org`` person (names, email, title, department, employee
    number, active); a Group keeps its members as SCIM references. ``version`` is the ETag.
    """

    kind = models.CharField(max_length=10, choices=ScimResourceType.choices)
    name = models.CharField(max_length=255, help_text="userName of a User, displayName of a Group")
    name_key = models.CharField(max_length=255, editable=False)
    external_id = models.CharField(max_length=255, blank=True)
    person = models.OneToOneField(
        "org.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="scim_resource",
    )
    data = models.JSONField(default=dict)
    version = models.PositiveIntegerField(default=1)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "name_key"],
                condition=models.Q(kind="User"),
                name="integrations_scim_unique_username",
            )
        ]
        indexes = [models.Index(fields=["kind", "external_id"], name="integrations_scim_extid")]

    def __str__(self) -> str:
        return f"SCIM {self.kind} {self.name}"


class ScimRoleGrant(models.Model):
    """A role that SCIM group membership granted to a login (``ASSETGRAPH_SCIM_GROUP_ROLES``).

    The provenance is what lets SCIM revoke only what it granted: a role the login already
    held (given by an administrator, or by LDAP or OIDC mapping) is never recorded here, so
    leaving a mapped group does not take it away.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scim_role_grants"
    )
    role = models.ForeignKey("accounts.Role", on_delete=models.CASCADE, related_name="+")
    granted = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="integrations_scim_grant_once")
        ]

    def __str__(self) -> str:
        return f"SCIM grant of {self.role_id} to {self.user_id}"
