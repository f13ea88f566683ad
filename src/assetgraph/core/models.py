"""Abstract base models shared by every domain app, and the import job record."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models.signals import class_prepared

from .text import refuse_forbidden_text

class_prepared.connect(refuse_forbidden_text, dispatch_uid="assetgraph.refuse_forbidden_text")


class TimestampedModel(models.Model):
    """Adds ``created``/``updated`` stamps; the audit spine holds who and what changed.

    Like every text field of the project's models, its text fields refuse NUL, control
    characters and lone surrogates (see :func:`assetgraph.core.text.refuse_forbidden_text`).
    """

    created = models.DateTimeField(auto_now_add=True, editable=False)
    updated = models.DateTimeField(auto_now=True, editable=False)

    class Meta:
        abstract = True


class ImportJobState(models.TextChoices):
    """Where a background import stands."""

    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class ImportJob(models.Model):
    """One large import (a dry run or an apply) run in the background, and its outcome.

    Infrastructure, not a domain record: it says who started which file, how far it got and
    what came out (``report`` is ``ImportReport.as_dict()``, rows capped). The rows the
    import writes are audited by the importer itself; see :mod:`assetgraph.framework.jobs` for
    why the job row is not. Live progress is not stored here (see ``framework.jobs``).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.SlugField(max_length=50)
    object_type = models.CharField(max_length=100)
    filename = models.CharField(max_length=255)
    upload = models.CharField(max_length=64, help_text="the stored upload's name in uploads/")
    dry_run = models.BooleanField()
    state = models.CharField(
        max_length=12, choices=ImportJobState.choices, default=ImportJobState.QUEUED
    )
    total_rows = models.PositiveIntegerField(null=True, blank=True)
    processed_rows = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    report = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["user", "-created"], name="core_importjob_user_idx")]
        constraints = [
            # Two clicks on "Apply" must not start two writers of the same file.
            models.UniqueConstraint(
                fields=["upload"],
                condition=models.Q(dry_run=False, state__in=["queued", "running"]),
                name="core_importjob_one_active_apply",
            )
        ]

    def __str__(self) -> str:
        mode = "dry run" if self.dry_run else "import"
        return f"{mode} of {self.filename} ({self.state})"

    @property
    def done(self) -> bool:
        """Whether the job has ended (either way)."""
        return self.state in (ImportJobState.SUCCEEDED, ImportJobState.FAILED)
