"""Operational records: webhooks, event rules and their deliveries, the job queue, schedules,
worker heartbeats, notifications and their preferences.

These are bookkeeping, not estate: like ``core.ImportJob`` their state changes (a delivery
attempt, a job claimed) are not audited. Configuration an administrator writes (webhooks,
rules, schedules, allow-listed networks) goes through services that do audit it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from assetgraph.core.models import TimestampedModel


class AllowedNetwork(TimestampedModel):
    """A network an administrator lets webhooks reach although the SSRF guard would refuse
    it (a private, loopback or link-local range), e.g. ``10.1.2.0/24`` for an internal
    receiver."""

    cidr = models.CharField(max_length=64, unique=True)
    note = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return self.cidr


class Webhook(TimestampedModel):
    """Where events are POSTed: URL, extra headers, an optional body template and the secret
    that signs each delivery. Payloads are redacted to what ``owner`` may see."""

    audit_exclude = ("secret",)

    name = models.CharField(max_length=100, unique=True)
    url = models.URLField(max_length=500)
    headers = models.JSONField(default=dict, blank=True)
    body_template = models.TextField(
        blank=True, help_text="Django template; empty sends the event as JSON."
    )
    secret = models.CharField(max_length=200, blank=True)
    enabled = models.BooleanField(default=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="webhooks"
    )
    timeout_seconds = models.PositiveSmallIntegerField(default=10)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class EventRule(TimestampedModel):
    """When an audit event of ``object_type`` with one of ``actions`` matches ``conditions``
    (``{field: value or [values]}`` on the event's after-snapshot, before-snapshot for
    deletes), deliver it to ``webhook``."""

    name = models.CharField(max_length=100, unique=True)
    object_type = models.CharField(max_length=100)
    actions = models.JSONField(default=list, blank=True, help_text="Empty: every action.")
    conditions = models.JSONField(default=dict, blank=True)
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="rules")
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DeliveryState(models.TextChoices):
    """Where a delivery stands."""

    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class Delivery(models.Model):
    """One event sent (or to be sent) to one webhook, with every attempt's outcome."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    rule = models.ForeignKey(EventRule, on_delete=models.SET_NULL, null=True, blank=True)
    event_id = models.BigIntegerField()
    state = models.CharField(
        max_length=20, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    body = models.TextField()
    attempts = models.PositiveIntegerField(default=0)
    next_attempt = models.DateTimeField(db_index=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    delivered = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["webhook", "event_id"], name="events_delivery_once_per_event"
            )
        ]

    def __str__(self) -> str:
        return f"delivery #{self.pk} of event {self.event_id} to {self.webhook_id}"


class DeliveryAttempt(models.Model):
    """The log of one attempt: status (or error) and response time."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="log")
    attempted = models.DateTimeField(auto_now_add=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"attempt of delivery {self.delivery_id}: {self.status_code or self.error}"


class Cursor(models.Model):
    """How far a consumer of the audit spine has read, by the chain's sequence number (the
    order in which committed events were sealed, so a late commit is never skipped)."""

    name = models.CharField(max_length=50, primary_key=True)
    position = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}@{self.position}"


class JobState(models.TextChoices):
    """The lifecycle of a queued job."""

    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class Job(models.Model):
    """One run of a registered task: queued, claimed by a worker, then finished or failed
    with its reason. A job whose worker stopped heartbeating is queued again (or failed once
    its attempts are spent)."""

    task = models.CharField(max_length=100)
    arguments = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=20, choices=JobState.choices, default=JobState.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=3)
    run_after = models.DateTimeField()
    worker = models.CharField(max_length=100, blank=True)
    schedule = models.ForeignKey(
        "Schedule", on_delete=models.SET_NULL, null=True, blank=True, related_name="jobs"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(
                fields=["run_after", "id"],
                name="events_job_queued_idx",
                condition=Q(state="queued"),
            )
        ]

    def __str__(self) -> str:
        return f"job #{self.pk} {self.task} ({self.state})"


class Schedule(TimestampedModel):
    """A task that runs on a schedule: every ``interval_seconds``, or daily/weekly/monthly at
    ``at_time`` (UTC; on ``weekday`` 0=Monday, or on ``day_of_month``)."""

    class Every(models.TextChoices):
        INTERVAL = "interval", "Interval"
        DAY = "day", "Daily"
        WEEK = "week", "Weekly"
        MONTH = "month", "Monthly"

    name = models.CharField(max_length=100, unique=True)
    task = models.CharField(max_length=100)
    arguments = models.JSONField(default=dict, blank=True)
    every = models.CharField(max_length=10, choices=Every.choices, default=Every.DAY)
    interval_seconds = models.PositiveIntegerField(null=True, blank=True)
    at_time = models.TimeField(null=True, blank=True)
    weekday = models.PositiveSmallIntegerField(null=True, blank=True)
    day_of_month = models.PositiveSmallIntegerField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    last_run = models.DateTimeField(null=True, blank=True)
    next_run = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WorkerHeartbeat(models.Model):
    """A running worker, and when it was last alive (readiness and job recovery read it)."""

    name = models.CharField(max_length=100, primary_key=True)
    hostname = models.CharField(max_length=200)
    pid = models.PositiveIntegerField()
    started = models.DateTimeField()
    seen = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class Notification(models.Model):
    """A message for one user: shown under the bell, and mailed at once or in the digest."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=50)
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    read = models.DateTimeField(null=True, blank=True)
    emailed = models.DateTimeField(null=True, blank=True)
    digest_pending = models.BooleanField(default=False)
    source_event = models.BigIntegerField(null=True, blank=True)
    # What a scheduled alert is about ("warranty:12:2026-03-01"): one notification per key.
    key = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(
                fields=["user", "id"], name="events_unread_idx", condition=Q(read__isnull=True)
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "source_event"],
                name="events_notification_once_per_event",
                condition=Q(source_event__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["user", "kind", "key"],
                name="events_notification_once_per_key",
                condition=~Q(key=""),
            ),
        ]

    def __str__(self) -> str:
        return self.subject


class NotificationPreference(models.Model):
    """A user's channels: in the app, by e-mail at once, or by e-mail in one daily digest."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    in_app = models.BooleanField(default=True)
    email = models.BooleanField(default=True)
    digest = models.BooleanField(
        default=False, help_text="Collect e-mails into one daily digest instead of one each."
    )

    def __str__(self) -> str:
        return f"preferences of {self.user_id}"
