"""Discovery and reconciliation: sources, identification rules, runs, the queue, and the
provenance of every discovered value.

Why these models live here and not on the CMDB's tables: a CI is one record whatever fed it;
*who said what, when* is discovery's bookkeeping. ``AttributeObservation`` (CI x attribute)
holds the value a source wrote and which source holds it (or that a person edited it, which
wins); ``Sighting`` (CI x source) holds when a source last saw the CI, from which the
last-seen time of each of its values, staleness and absence follow. See docs/discovery.md.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from assetgraph.core.models import TimestampedModel


class ConnectorChoices(models.TextChoices):
    """The file formats discovery reads."""

    NMAP = "nmap", "nmap XML (-oX)"
    ANSIBLE = "ansible", "Ansible facts (setup, package_facts)"
    CYCLONEDX = "cyclonedx", "CycloneDX SBOM (JSON 1.4-1.6)"
    EC2 = "ec2", "AWS EC2 describe-instances (JSON)"
    CSV = "csv", "Generic CI import (CSV, XLSX, JSON)"


class RunStateChoices(models.TextChoices):
    """Where a run stands."""

    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class QueueStateChoices(models.TextChoices):
    """A reconciliation queue item waits for a person, or was settled."""

    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"
    DISMISSED = "dismissed", "Dismissed"


DEFAULT_PRIORITY = 100


def _check_str_int_map(value: Any, field: str) -> None:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and k and isinstance(v, int) and not isinstance(v, bool)
        for k, v in value.items()
    ):
        raise ValidationError({field: "an object of attribute key → integer"})


class DataSource(TimestampedModel):
    """A feed of discovered data (one scanner, one inventory export, one cloud account).

    ``priorities`` gives a priority per attribute key (``"*"`` for every other one): a lower
    number wins. A source may write an attribute another source holds only when its priority
    is at least as good, or the holder's value is stale. ``may_create`` false makes a source
    that updates CIs others created but never creates one (ServiceNow's "update only").
    ``tag_rules`` maps cloud tags to CI fields: ``{"owning_team": ["Owner", "team"],
    "cost_centre": ["CostCenter", "cost-centre"], "environment": ["Environment"]}``.
    """

    name = models.CharField(max_length=100, unique=True)
    connector = models.CharField(max_length=20, choices=ConnectorChoices.choices)
    description = models.TextField(blank=True)
    default_scope = models.CharField(max_length=200, blank=True)
    priority = models.PositiveIntegerField(
        default=DEFAULT_PRIORITY, help_text="Priority of every attribute not listed below."
    )
    priorities = models.JSONField(default=dict, blank=True)
    may_create = models.BooleanField(default=True)
    tag_rules = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "data source"
        verbose_name_plural = "data sources"

    def __str__(self) -> str:
        return self.name

    def priority_of(self, key: str) -> int:
        """This source's priority for attribute ``key`` (lower wins)."""
        found = self.priorities.get(key, self.priorities.get("*", self.priority))
        return int(found)

    def clean(self) -> None:
        _check_str_int_map(self.priorities, "priorities")
        rules = self.tag_rules
        if not isinstance(rules, dict) or not all(
            isinstance(v, list) and all(isinstance(t, str) and t for t in v) for v in rules.values()
        ):
            raise ValidationError({"tag_rules": "an object of field → list of tag keys"})
        unknown = sorted(set(rules) - set(TAG_FIELDS))
        if unknown:
            raise ValidationError(
                {"tag_rules": f"unknown field {unknown[0]!r}; one of {', '.join(TAG_FIELDS)}"}
            )


# The CI fields a tag may set (see DataSource.tag_rules).
TAG_FIELDS = ("owning_team", "support_group", "cost_centre", "environment", "criticality")


class IdentificationRule(TimestampedModel):
    """One identifier entry of a CI class: the attribute keys that together identify a CI.

    A discovered item is matched by the rules of its class and its ancestors, in ascending
    ``priority``; the first rule whose attributes the item has and that finds CIs decides.
    Matching searches the rule's class family (its topmost ancestor and all subclasses: a
    host nmap saw is found among servers and VMs, and the other way round).
    ``mac_address`` and ``ip_address`` match any one of the item's values.
    """

    ci_class = models.ForeignKey(
        "cmdb.CIClass", on_delete=models.CASCADE, related_name="identification_rules"
    )
    priority = models.PositiveIntegerField(default=10)
    attributes = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["ci_class__name", "priority", "id"]
        verbose_name = "identification rule"
        verbose_name_plural = "identification rules"
        constraints = [
            models.UniqueConstraint(
                fields=["ci_class", "priority"], name="discovery_rule_unique_priority"
            )
        ]

    def __str__(self) -> str:
        keys = " + ".join(self.attributes) if isinstance(self.attributes, list) else "?"
        return f"{self.ci_class_id and self.ci_class.name} #{self.priority}: {keys}"

    def clean(self) -> None:
        keys = self.attributes
        if (
            not isinstance(keys, list)
            or not keys
            or not all(isinstance(k, str) and k for k in keys)
        ):
            raise ValidationError({"attributes": "a non-empty list of attribute keys"})
        if len(set(keys)) != len(keys):
            raise ValidationError({"attributes": "an attribute appears twice"})
        if self.ci_class_id is None:
            return
        from assetgraph.cmdb.models import ClassAttribute, subclass_ids

        known = {"name"} | set(
            ClassAttribute.objects.filter(
                ci_class_id__in=[*self.ci_class.lineage_ids(), *subclass_ids(self.ci_class_id)]
            ).values_list("key", flat=True)
        )
        missing = [k for k in keys if k not in known]
        if missing:
            raise ValidationError(
                {"attributes": f"not attributes of {self.ci_class.name}: {', '.join(missing)}"}
            )


class ClassPolicy(TimestampedModel):
    """Per-class discovery settings: when a CI becomes stale, and which health rules apply.

    ``stale_after_days``: a CI no source has seen for this many days is stale.
    ``expects_relationship``: a CI of the class with no current relationship is an orphan.
    ``retire_absent_after_days``: the rule that lets discovery retire a CI: one that full
    scans have missed (absent) and no source has seen for this many days is retired at the
    end of the next full scan. Empty (the default): never; absent CIs are only reported.
    """

    ci_class = models.OneToOneField(
        "cmdb.CIClass", on_delete=models.CASCADE, related_name="discovery_policy"
    )
    stale_after_days = models.PositiveIntegerField(default=60)
    expects_relationship = models.BooleanField(default=False)
    retire_absent_after_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Retire a CI absent from full scans and unseen for this many days "
        "(empty: never retire automatically).",
    )

    class Meta:
        ordering = ["ci_class__name"]
        verbose_name = "class policy"
        verbose_name_plural = "class policies"

    def __str__(self) -> str:
        return f"{self.ci_class_id and self.ci_class.name}: stale after {self.stale_after_days} d"


class DiscoveryRun(models.Model):
    """One ingestion of one file: source, scope, counts and the diff it applied (or would).

    Bookkeeping like an import job: not audited itself; every CI it writes gets its own audit
    event carrying ``job_id``.
    """

    job_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    source = models.ForeignKey(DataSource, on_delete=models.PROTECT, related_name="runs")
    connector = models.CharField(max_length=20, choices=ConnectorChoices.choices)
    scope = models.CharField(max_length=200, blank=True)
    full_scan = models.BooleanField(default=False)
    dry_run = models.BooleanField(default=False)
    filename = models.CharField(max_length=255, blank=True)
    state = models.CharField(
        max_length=10, choices=RunStateChoices.choices, default=RunStateChoices.RUNNING
    )
    started = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    items = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    queued = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    absent = models.PositiveIntegerField(default=0)
    events = models.PositiveIntegerField(default=0)
    diff = models.JSONField(default=list, blank=True)
    messages = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-started", "-id"]
        verbose_name = "discovery run"
        verbose_name_plural = "discovery runs"

    def __str__(self) -> str:
        return f"{self.source_id and self.source.name} run {self.pk}"

    def counts(self) -> dict[str, int]:
        """The run's counts by outcome."""
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "queued": self.queued,
            "errors": self.errors,
            "absent": self.absent,
        }


class ReconciliationItem(TimestampedModel):
    """A discovered item that an identification rule matched to two or more CIs.

    Never merged automatically: a person picks the CI it is (``resolve``), or dismisses it.
    """

    run = models.ForeignKey(
        DiscoveryRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="queue"
    )
    source = models.ForeignKey(DataSource, on_delete=models.PROTECT, related_name="+")
    ci_class = models.ForeignKey("cmdb.CIClass", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    rule = models.CharField(max_length=200)
    item = models.JSONField(default=dict)
    candidates = models.ManyToManyField("cmdb.CI", related_name="+")
    state = models.CharField(
        max_length=10, choices=QueueStateChoices.choices, default=QueueStateChoices.OPEN
    )
    resolved_ci = models.ForeignKey(
        "cmdb.CI", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    fingerprint = models.CharField(max_length=200, editable=False)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = "reconciliation item"
        verbose_name_plural = "reconciliation items"
        constraints = [
            models.UniqueConstraint(
                fields=["source", "fingerprint"],
                condition=Q(state="open"),
                name="discovery_queue_one_open_per_item",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.rule})"


class AttributeObservation(models.Model):
    """Provenance of one attribute value of one CI: which source wrote it, what it wrote,
    since when. ``manual`` marks a value a person set (or changed after discovery wrote it):
    discovery leaves it alone until an administrator releases it.

    Keys that are not class attributes (open ports, disks, interfaces, package URLs) are
    discovered facts kept here only (``fact`` true).
    """

    ci = models.ForeignKey("cmdb.CI", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    value = models.JSONField(null=True, blank=True)
    source = models.ForeignKey(
        DataSource, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    manual = models.BooleanField(default=False)
    fact = models.BooleanField(default=False)
    since = models.DateTimeField()

    class Meta:
        ordering = ["ci", "key"]
        verbose_name = "attribute observation"
        verbose_name_plural = "attribute observations"
        constraints = [
            models.UniqueConstraint(fields=["ci", "key"], name="discovery_observation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.ci_id}.{self.key}"


class Sighting(models.Model):
    """When a source last saw a CI, in which scope; ``absent_since`` is set when a full scan
    of that scope did not see it (and cleared when it is seen again).

    ``digest`` is a hash of what the source last reported for the CI, kept when that report
    is wholly in place (no value of it declined, no conflict): a later report with the same
    digest, of a CI nobody changed since, is skipped (only ``last_seen`` advances). Empty:
    the next report is reconciled in full.
    """

    ci = models.ForeignKey("cmdb.CI", on_delete=models.CASCADE, related_name="+")
    source = models.ForeignKey(DataSource, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=200, blank=True)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    absent_since = models.DateTimeField(null=True, blank=True)
    digest = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["ci", "source"]
        verbose_name = "sighting"
        verbose_name_plural = "sightings"
        constraints = [
            models.UniqueConstraint(fields=["ci", "source"], name="discovery_sighting_unique")
        ]
        indexes = [models.Index(fields=["source", "scope"], name="discovery_sighting_scope")]

    def __str__(self) -> str:
        return f"{self.ci_id} seen by {self.source_id}"


class PackageEvidence(models.Model):
    """What discovery knows of an installed package beyond the CMDB's install row: its
    package URL, licences and hashes (from an SBOM or a package manager)."""

    install = models.OneToOneField(
        "cmdb.SoftwareInstall", on_delete=models.CASCADE, related_name="evidence"
    )
    purl = models.CharField(max_length=500, blank=True)
    licences = models.JSONField(default=list, blank=True)
    hashes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["install"]
        verbose_name = "package evidence"
        verbose_name_plural = "package evidence"

    def __str__(self) -> str:
        return self.purl or str(self.install_id)


class ComplianceRule(TimestampedModel):
    """A CMDB compliance rule as data: every current CI of ``ci_class`` (and subclasses)
    matching ``condition`` must satisfy ``requirement``.

    ``condition`` and ``requirement`` are objects of check → value, where a check is a CI
    field (``environment``, ``criticality``, ``owning_team``, ``support_group``,
    ``location``) or ``attr.<key>``, and the value is what it must equal, or ``"*"`` for
    "is filled". ``asset.under_support`` (``true``) needs a linked asset whose warranty has
    not ended.
    """

    name = models.CharField(max_length=200, unique=True)
    ci_class = models.ForeignKey("cmdb.CIClass", on_delete=models.CASCADE, related_name="+")
    condition = models.JSONField(default=dict, blank=True)
    requirement = models.JSONField(default=dict)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "compliance rule"
        verbose_name_plural = "compliance rules"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from .health import check_rule_terms

        errors = {}
        for field in ("condition", "requirement"):
            message = check_rule_terms(getattr(self, field), required=field == "requirement")
            if message:
                errors[field] = message
        if errors:
            raise ValidationError(errors)


class HealthSnapshot(models.Model):
    """The CMDB health scores at one moment, for the trend (one row per day at most)."""

    taken = models.DateTimeField()
    day = models.DateField(unique=True)
    overall = models.JSONField(default=dict)
    by_class = models.JSONField(default=dict)

    class Meta:
        ordering = ["-day"]
        verbose_name = "health snapshot"
        verbose_name_plural = "health snapshots"

    def __str__(self) -> str:
        return f"health {self.day}"
