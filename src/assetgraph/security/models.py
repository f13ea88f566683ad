"""The security app's records: advisories and the software they affect, findings (an advisory
matched to a CI), end-of-life release cycles, policies with their runs, results and
exceptions, and evidence packages. docs/security.md describes every rule."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from assetgraph.core.models import TimestampedModel

from .choices import (
    AdvisorySourceChoices,
    FindingStatusChoices,
    MatchKindChoices,
    PolicyOutcomeChoices,
    SeverityChoices,
)


class Advisory(TimestampedModel):
    """One published vulnerability advisory (an OSV record or an NVD CVE), keyed by its id.

    Re-importing the same id updates it in place; ``withdrawn`` (OSV) or an NVD status of
    ``Rejected`` takes it out of matching without deleting its history.
    """

    identifier = models.CharField(max_length=100, unique=True)
    source = models.CharField(max_length=10, choices=AdvisorySourceChoices.choices)
    aliases = models.JSONField(default=list, blank=True)
    summary = models.CharField(max_length=500, blank=True)
    details = models.TextField(blank=True)
    cvss_vector = models.CharField(max_length=300, blank=True)
    cvss_score = models.FloatField(null=True, blank=True)
    severity = models.CharField(
        max_length=10, choices=SeverityChoices.choices, default=SeverityChoices.UNKNOWN
    )
    published = models.DateTimeField(null=True, blank=True)
    modified = models.DateTimeField(null=True, blank=True)
    withdrawn = models.DateTimeField(null=True, blank=True)
    epss = models.FloatField(null=True, blank=True)
    known_exploited = models.BooleanField(default=False)
    references = models.JSONField(default=list, blank=True)
    content_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["identifier"]
        verbose_name = "advisory"
        verbose_name_plural = "advisories"
        indexes = [models.Index(fields=["severity"], name="security_advisory_severity")]

    def __str__(self) -> str:
        return self.identifier

    @property
    def names(self) -> list[str]:
        """The identifier and its aliases (a CVE id finds its GHSA and back)."""
        return [self.identifier, *[str(a) for a in self.aliases]]


class AffectedPackage(models.Model):
    """One affected entry of an advisory: the package (by package URL key or CPE vendor:product)
    and its ranges and explicit versions, normalised at import for matching."""

    advisory = models.ForeignKey(Advisory, on_delete=models.CASCADE, related_name="affected")
    kind = models.CharField(max_length=4, choices=MatchKindChoices.choices)
    key = models.CharField(max_length=300)
    ecosystem = models.CharField(max_length=100, blank=True)
    distro = models.CharField(max_length=50, blank=True)
    ranges = models.JSONField(default=list, blank=True)
    versions = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["advisory", "key", "pk"]
        verbose_name = "affected package"
        verbose_name_plural = "affected packages"
        indexes = [models.Index(fields=["kind", "key"], name="security_affected_key")]

    def __str__(self) -> str:
        return f"{self.advisory_id}: {self.key}"


class Finding(TimestampedModel):
    """An advisory that applies to a CI: which software, at which version, why it matched,
    the exposure and priority computed for it, and where it stands in the workflow."""

    advisory = models.ForeignKey(Advisory, on_delete=models.PROTECT, related_name="findings")
    ci = models.ForeignKey("cmdb.CI", on_delete=models.PROTECT, related_name="+")
    install = models.ForeignKey(
        "cmdb.SoftwareInstall", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    package_key = models.CharField(max_length=300)
    package = models.CharField(max_length=500, blank=True)
    installed_version = models.CharField(max_length=200, blank=True)
    matched_by = models.CharField(max_length=4, choices=MatchKindChoices.choices)
    reason = models.TextField(blank=True)
    match_detail = models.JSONField(default=dict, blank=True)
    fixed_version = models.CharField(max_length=200, blank=True)
    severity = models.CharField(
        max_length=10, choices=SeverityChoices.choices, default=SeverityChoices.UNKNOWN
    )
    cvss_score = models.FloatField(null=True, blank=True)
    priority = models.PositiveSmallIntegerField(default=0)
    priority_band = models.CharField(max_length=2, blank=True)
    priority_explanation = models.JSONField(default=dict, blank=True)
    internet_exposed = models.BooleanField(default=False)
    service_tier = models.PositiveSmallIntegerField(null=True, blank=True)
    exposure = models.JSONField(default=dict, blank=True)
    owner = models.ForeignKey(
        "org.Department", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=15, choices=FindingStatusChoices.choices, default=FindingStatusChoices.OPEN
    )
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    due_date = models.DateField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=300, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    accepted_reason = models.TextField(blank=True)
    accepted_until = models.DateField(null=True, blank=True)
    reopened_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-priority", "advisory", "ci"]
        verbose_name = "finding"
        verbose_name_plural = "findings"
        constraints = [
            models.UniqueConstraint(
                fields=["advisory", "ci", "package_key"], name="security_finding_unique"
            )
        ]
        indexes = [
            models.Index(fields=["status", "severity"], name="security_finding_status"),
            models.Index(fields=["ci", "status"], name="security_finding_ci"),
        ]

    def __str__(self) -> str:
        return f"{self.advisory_id} on {self.ci_id}"


class EndOfLifeProduct(TimestampedModel):
    """A product whose release cycles were imported (endoflife.date's product slug) and the
    software, OS or model names that mean it (case-insensitive)."""

    slug = models.SlugField(max_length=100, unique=True)
    names = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["slug"]
        verbose_name = "end-of-life product"
        verbose_name_plural = "end-of-life products"

    def __str__(self) -> str:
        return self.slug


class EndOfLifeCycle(models.Model):
    """One release cycle of a product in endoflife.date's format: release, support and end
    of life dates (``eol`` null with ``eol_reached`` false means no date announced)."""

    product = models.ForeignKey(EndOfLifeProduct, on_delete=models.CASCADE, related_name="cycles")
    cycle = models.CharField(max_length=50)
    release_date = models.DateField(null=True, blank=True)
    support_end = models.DateField(null=True, blank=True)
    eol = models.DateField(null=True, blank=True)
    eol_reached = models.BooleanField(default=False)
    latest = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["product", "cycle"]
        verbose_name = "end-of-life cycle"
        verbose_name_plural = "end-of-life cycles"
        constraints = [
            models.UniqueConstraint(fields=["product", "cycle"], name="security_eol_cycle_unique")
        ]

    def __str__(self) -> str:
        return f"{self.product_id} {self.cycle}"


class Policy(TimestampedModel):
    """A compliance rule as data: every current CI in scope (class and filter) must satisfy
    the condition (docs/security.md, "Policies")."""

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    scope_class = models.ForeignKey(
        "cmdb.CIClass", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    scope_filter = models.JSONField(default=dict, blank=True)
    condition = models.JSONField(default=dict)
    severity = models.CharField(
        max_length=10, choices=SeverityChoices.choices, default=SeverityChoices.MEDIUM
    )
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "policy"
        verbose_name_plural = "policies"

    def __str__(self) -> str:
        return self.name


class PolicyRun(models.Model):
    """One evaluation of a policy: when, why, and how many CIs passed, failed or were exempt
    (the trend is the series of runs)."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="runs")
    evaluated_at = models.DateTimeField()
    trigger = models.CharField(max_length=20, default="on demand")
    in_scope = models.PositiveIntegerField(default=0)
    passed = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    exempt = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-evaluated_at", "-pk"]
        verbose_name = "policy run"
        verbose_name_plural = "policy runs"
        indexes = [models.Index(fields=["policy", "evaluated_at"], name="security_run_policy")]

    def __str__(self) -> str:
        return f"{self.policy_id} at {self.evaluated_at:%Y-%m-%d %H:%M}"


class PolicyResult(models.Model):
    """A CI that failed a run, or was exempt from it (passes are counted on the run)."""

    run = models.ForeignKey(PolicyRun, on_delete=models.CASCADE, related_name="results")
    ci = models.ForeignKey("cmdb.CI", on_delete=models.CASCADE, related_name="+")
    outcome = models.CharField(max_length=10, choices=PolicyOutcomeChoices.choices)
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["run", "ci"]
        verbose_name = "policy result"
        verbose_name_plural = "policy results"

    def __str__(self) -> str:
        return f"{self.ci_id}: {self.outcome}"


class PolicyException(TimestampedModel):
    """A CI exempt from a policy until ``expires``, with who approved it and why."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="exceptions")
    ci = models.ForeignKey("cmdb.CI", on_delete=models.CASCADE, related_name="+")
    reason = models.TextField()
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires = models.DateField()

    class Meta:
        ordering = ["policy", "ci"]
        verbose_name = "policy exception"
        verbose_name_plural = "policy exceptions"
        constraints = [
            models.UniqueConstraint(fields=["policy", "ci"], name="security_exception_unique")
        ]

    def __str__(self) -> str:
        return f"{self.policy_id} / {self.ci_id}"


class EvidencePackage(TimestampedModel):
    """An audit evidence export: the reports as of a date, the manifest's checksum, who
    asked. The zip itself is rebuilt on download (the reports are reproducible)."""

    as_of = models.DateTimeField()
    period_start = models.DateTimeField(null=True, blank=True)
    reports = models.JSONField(default=list)
    manifest_sha256 = models.CharField(max_length=64)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created"]
        verbose_name = "evidence package"
        verbose_name_plural = "evidence packages"

    def __str__(self) -> str:
        return f"Evidence as of {self.as_of:%Y-%m-%d}"
