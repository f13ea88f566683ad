"""The licensing catalogue, entitlements, allocations and usage evidence.

The catalogue sits on top of the CMDB's normalised software catalogue
(:class:`assetgraph.cmdb.models.SoftwareProduct`): a :class:`ProductMapping` ties each CMDB
entry to the licensable :class:`Product` it is evidence of, written by the administrators'
:class:`NormalisationRule` s (data, not code). Rights are :class:`Entitlement` s counted by a
metric; seats handed out are :class:`Allocation` s (a quantity, never one row per seat); what
is really used comes from CMDB installations, allocations and imported SaaS usage. The
compliance position is computed from all of it when asked (:mod:`assetgraph.licences.position`),
never stored.
"""

from __future__ import annotations

from decimal import Decimal
from fnmatch import fnmatchcase

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from assetgraph.core.models import TimestampedModel
from assetgraph.core.natural import NaturalSortKeyField

from .choices import (
    HARDWARE_METRICS,
    UNLIMITED_METRICS,
    MetricChoices,
    ScopeChoices,
    TermChoices,
    VersionRightsChoices,
)


class Publisher(TimestampedModel):
    """A software publisher (Microsoft, Adobe, Oracle)."""

    name = models.CharField(max_length=200, unique=True)
    name_key = NaturalSortKeyField(source="name")
    website = models.URLField(blank=True)

    class Meta:
        ordering = ["name_key", "id"]
        verbose_name = "publisher"
        verbose_name_plural = "publishers"

    def __str__(self) -> str:
        return self.name


class ProductFamily(TimestampedModel):
    """Versions of one product line: downgrade rights flow from a newer member to older ones."""

    publisher = models.ForeignKey(Publisher, on_delete=models.PROTECT, related_name="families")
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["publisher__name", "name"]
        verbose_name = "product family"
        verbose_name_plural = "product families"
        constraints = [
            models.UniqueConstraint(fields=["publisher", "name"], name="licences_family_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Product(TimestampedModel):
    """A licensable product: publisher, name, edition and version.

    ``version_rank`` orders the members of a family (higher is newer): an entitlement with
    downgrade rights on rank 2022 covers the family's members of a lower rank.
    """

    publisher = models.ForeignKey(Publisher, on_delete=models.PROTECT, related_name="products")
    family = models.ForeignKey(
        ProductFamily, null=True, blank=True, on_delete=models.PROTECT, related_name="products"
    )
    name = models.CharField(max_length=200)
    name_key = NaturalSortKeyField(source="name")
    edition = models.CharField(max_length=100, blank=True)
    version = models.CharField(max_length=50, blank=True)
    version_rank = models.IntegerField(default=0)

    class Meta:
        ordering = ["publisher__name_key", "name_key", "-version_rank", "id"]
        # A publisher's products in name order (the list filtered by publisher, keyset pages).
        indexes = [
            models.Index(fields=["publisher", "name_key", "id"], name="licences_product_pub_key")
        ]
        verbose_name = "licensable product"
        verbose_name_plural = "licensable products"
        constraints = [
            models.UniqueConstraint(
                fields=["publisher", "name", "edition", "version"],
                name="licences_product_unique",
            )
        ]

    def __str__(self) -> str:
        return " ".join(p for p in (self.name, self.edition, self.version) if p)

    def clean(self) -> None:
        family = self.family if self.family_id else None
        if family is not None and self.publisher_id and family.publisher_id != self.publisher_id:
            raise ValidationError({"family": "the family belongs to another publisher"})


class Suite(TimestampedModel):
    """A suite or bundle: one entitlement to it grants a right to each member product."""

    name = models.CharField(max_length=200, unique=True)
    publisher = models.ForeignKey(Publisher, on_delete=models.PROTECT, related_name="suites")
    products = models.ManyToManyField(Product, related_name="suites", blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "suite"
        verbose_name_plural = "suites"

    def __str__(self) -> str:
        return self.name


class NormalisationRule(TimestampedModel):
    """Maps CMDB catalogue entries whose publisher and name match glob patterns to a product.

    Patterns are case-insensitive shell globs (``*`` any text, ``?`` one character) matched
    against the CMDB's normalised publisher and name (the name is tried as it is and with the
    publisher in front, since normalisation drops a leading publisher name: "Oracle Database"
    is catalogued as Oracle / "Database"); the rule with the lowest ``priority`` that matches
    wins. Applying the rules (a service) rewrites :class:`ProductMapping`.
    """

    priority = models.PositiveIntegerField(default=100)
    publisher_pattern = models.CharField(max_length=200, default="*")
    name_pattern = models.CharField(max_length=200)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="rules")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["priority", "id"]
        verbose_name = "normalisation rule"
        verbose_name_plural = "normalisation rules"

    def __str__(self) -> str:
        return f"{self.publisher_pattern} / {self.name_pattern} → {self.product}"

    def matches(self, publisher: str, name: str) -> bool:
        """True when both patterns match (case-insensitive)."""
        if not fnmatchcase(publisher.lower(), self.publisher_pattern.lower()):
            return False
        pattern = self.name_pattern.lower()
        return fnmatchcase(name.lower(), pattern) or fnmatchcase(
            f"{publisher} {name}".lower(), pattern
        )


class ProductMapping(models.Model):
    """Which licensable product a CMDB catalogue entry is evidence of (one per entry)."""

    software = models.OneToOneField(
        "cmdb.SoftwareProduct", on_delete=models.CASCADE, related_name="licence_mapping"
    )
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="mappings")
    rule = models.ForeignKey(
        NormalisationRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "product mapping"
        verbose_name_plural = "product mappings"

    def __str__(self) -> str:
        return f"{self.software_id} → {self.product_id}"


class CoreFactor(TimestampedModel):
    """The core factor of a processor family (Oracle's table: Intel Xeon 0.5, SPARC 0.25…).

    ``processor_pattern`` is a glob matched against a CI's ``cpu_model`` attribute; the first
    match by ``priority`` applies, otherwise the factor is 1.
    """

    processor_pattern = models.CharField(max_length=200)
    factor = models.DecimalField(
        max_digits=4, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    priority = models.PositiveIntegerField(default=100)

    class Meta:
        ordering = ["priority", "id"]
        verbose_name = "core factor"
        verbose_name_plural = "core factors"

    def __str__(self) -> str:
        return f"{self.processor_pattern} x {self.factor}"


class Entitlement(TimestampedModel):
    """A licence record: the rights bought for a product or a suite, counted by a metric.

    ``allocated`` is the sum of the active allocations' quantities, maintained by the services
    with a conditional update (``allocated + n <= quantity``) and held by a check constraint:
    two clerks can never hand out the same last seat. ``licence_key`` is stored encrypted and
    kept out of the audit trail (``audit_exclude``).
    """

    audit_exclude = ("licence_key",)

    name = models.CharField(max_length=200)
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.PROTECT, related_name="entitlements"
    )
    suite = models.ForeignKey(
        Suite, null=True, blank=True, on_delete=models.PROTECT, related_name="entitlements"
    )
    metric = models.CharField(max_length=20, choices=MetricChoices.choices)
    quantity = models.PositiveIntegerField(
        null=True, blank=True, help_text="Rights bought; empty for site and enterprise licences."
    )
    allocated = models.PositiveIntegerField(default=0, editable=False)
    term = models.CharField(
        max_length=20, choices=TermChoices.choices, default=TermChoices.PERPETUAL
    )
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    version_rights = models.CharField(
        max_length=20, choices=VersionRightsChoices.choices, default=VersionRightsChoices.THIS
    )
    maintenance_end = models.DateField(
        null=True, blank=True, help_text="Maintenance / upgrade rights end on this date."
    )
    unit_cost = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    total_cost = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True, help_text="ISO 4217 code, e.g. EUR")
    supplier = models.ForeignKey(
        "org.Company", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    purchase_reference = models.CharField(max_length=100, blank=True)
    scope = models.CharField(
        max_length=20, choices=ScopeChoices.choices, default=ScopeChoices.ORGANISATION
    )
    scope_department = models.ForeignKey(
        "org.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    scope_location = models.ForeignKey(
        "org.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reassignable = models.BooleanField(default=True)
    min_cores_per_processor = models.PositiveIntegerField(
        default=0, help_text="Per-core licences: at least this many cores count per processor."
    )
    min_cores_per_server = models.PositiveIntegerField(
        default=0,
        help_text=(
            "Per-core licences: at least this many cores count per licensed server or VM "
            "(Windows Server 16 per server, 8 per VM; SQL Server 4 per VM)."
        ),
    )
    core_pack_size = models.PositiveIntegerField(
        default=1,
        validators=[MinValueValidator(1)],
        help_text="Per-core licences: cores count in packs of this size per server or VM "
        "(Microsoft sells 2-core packs: 7 cores need 8 core licences).",
    )
    core_factor_table = models.BooleanField(
        default=False,
        help_text="Per-core licences: multiply cores by the core factor table (Oracle's "
        "Processor metric); Microsoft per-core licences do not.",
    )
    virtual_cores = models.BooleanField(
        default=False,
        help_text="Per-core licences: count the virtual cores of the VM the software runs in "
        "(licensing individual VMs), not the physical host beneath it.",
    )
    min_users_per_processor = models.PositiveIntegerField(
        default=0,
        help_text="Per named user: at least this many users per processor licence of the hosts "
        "it runs on (cores x core factor; Oracle Named User Plus, Enterprise Edition: 25).",
    )
    min_users_per_server = models.PositiveIntegerField(
        default=0,
        help_text="Per named user: at least this many users per server it runs on (Oracle "
        "Named User Plus, Standard Edition 2: 10).",
    )
    farm_exposure = models.BooleanField(
        default=False,
        help_text="On a VM, count the cores of every host of the farm or cluster it can run on.",
    )
    idle_days = models.PositiveIntegerField(
        default=90, help_text="Seats unused this many days are reclaim candidates."
    )
    notes = models.TextField(blank=True)
    documents = models.TextField(blank=True, help_text="Links to contracts, one per line.")
    licence_key = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "entitlement"
        verbose_name_plural = "entitlements"
        indexes = [
            models.Index(fields=["product", "metric"], name="licences_ent_product_idx"),
            # The list's orderings (keyset pages: ``ORDER BY name, id LIMIT 51`` reads 51 index
            # entries instead of sorting 20,000 licences for every page).
            models.Index(fields=["name", "id"], name="licences_ent_name_idx"),
            models.Index(fields=["end_date", "id"], name="licences_ent_end_date_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(product__isnull=False, suite__isnull=True)
                | Q(product__isnull=True, suite__isnull=False),
                name="licences_ent_product_or_suite",
            ),
            models.CheckConstraint(
                condition=Q(quantity__isnull=True) | Q(allocated__lte=models.F("quantity")),
                name="licences_ent_allocated_within_quantity",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_licence_key(self) -> bool:
        return bool(self.licence_key)

    @property
    def effective_total_cost(self) -> Decimal | None:
        """The total cost, or unit cost x quantity when only the unit cost is known."""
        if self.total_cost is not None:
            return self.total_cost
        if self.unit_cost is not None and self.quantity is not None:
            return self.unit_cost * self.quantity
        return None

    @property
    def counting_rule(self) -> str:
        """How a per-core or per-processor licence counts hardware, or the hardware minimum
        of a per-named-user licence, in words (detail page)."""
        if self.metric == MetricChoices.USER:
            floors = []
            if self.min_users_per_processor:
                floors.append(f"at least {self.min_users_per_processor} users per processor")
            if self.min_users_per_server:
                floors.append(f"at least {self.min_users_per_server} users per server")
            return "; ".join(floors)
        if self.metric not in HARDWARE_METRICS:
            return ""
        parts = []
        if self.min_cores_per_processor:
            parts.append(f"at least {self.min_cores_per_processor} cores per processor")
        if self.min_cores_per_server:
            parts.append(f"at least {self.min_cores_per_server} cores per server or VM")
        if self.core_pack_size > 1:
            parts.append(f"{self.core_pack_size}-core packs")
        if self.core_factor_table:
            parts.append("x core factor table")
        if self.virtual_cores:
            parts.append("the VM's own virtual cores")
        elif self.farm_exposure:
            parts.append("every host of the farm or cluster a VM can run on")
        else:
            parts.append("the physical host")
        return "; ".join(parts)

    @property
    def available(self) -> int | None:
        """Seats still free (None: unlimited)."""
        return None if self.quantity is None else self.quantity - self.allocated

    def is_active(self, on: object = None) -> bool:
        """Whether the term covers the day ``on`` (default today)."""
        day = on or timezone.localdate()
        return (self.start_date is None or self.start_date <= day) and (  # type: ignore[operator]
            self.end_date is None or day <= self.end_date  # type: ignore[operator]
        )

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if bool(self.product_id) == bool(self.suite_id):
            errors["product"] = "give either a product or a suite"
        if self.metric in UNLIMITED_METRICS:
            if self.quantity is not None:
                errors["quantity"] = f"a {self.get_metric_display()} licence has no quantity"
        elif self.metric and self.quantity is None:
            errors["quantity"] = "required for this metric"
        if self.quantity is not None and self.allocated > self.quantity:
            errors["quantity"] = f"{self.allocated} seat(s) are allocated; reclaim some first"
        if self.metric == MetricChoices.SITE and self.scope != ScopeChoices.LOCATION:
            errors["scope"] = "a site licence is scoped to a location"
        if self.scope == ScopeChoices.LOCATION and not self.scope_location_id:
            errors["scope_location"] = "required for a location scope"
        if self.scope == ScopeChoices.DEPARTMENT and not self.scope_department_id:
            errors["scope_department"] = "required for a department scope"
        if self.term == TermChoices.SUBSCRIPTION and not (self.start_date and self.end_date):
            errors["end_date"] = "a subscription has a start and an end date"
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = "must not be before the start date"
        errors.update(self._core_rule_errors())
        if self.currency and (len(self.currency) != 3 or not self.currency.isupper()):
            errors["currency"] = "use a three-letter upper-case ISO code, e.g. EUR"
        if errors:
            raise ValidationError(errors)

    def _core_rule_errors(self) -> dict[str, str]:
        """The hardware settings only make sense for the metrics that count hardware."""
        errors: dict[str, str] = {}
        user_floor = self.min_users_per_processor or self.min_users_per_server
        if user_floor and self.metric != MetricChoices.USER:
            errors["metric"] = "user minimums per processor or server apply to per named user"
        if self.metric not in HARDWARE_METRICS and (
            self.min_cores_per_processor or (self.farm_exposure and not user_floor)
        ):
            errors["metric"] = "core minimums and farm exposure apply to per-core/processor"
        if self.metric != MetricChoices.CORE and (
            self.min_cores_per_server
            or self.core_factor_table
            or self.virtual_cores
            or (self.core_pack_size or 1) > 1
        ):
            errors["metric"] = (
                "server minimums, core packs, the core factor table and virtual cores "
                "apply to per-core licences"
            )
        if self.core_pack_size is not None and self.core_pack_size < 1:
            errors["core_pack_size"] = "at least 1"
        if self.virtual_cores and self.farm_exposure:
            errors["virtual_cores"] = (
                "counting the VM's own cores and the whole farm's exclude each other"
            )
        return errors


class Allocation(models.Model):
    """Seats of an entitlement handed to a person or a device (a CI or an asset).

    Active while ``reclaimed_at`` is empty; reclaiming closes the interval (kept for the
    position as of a past date), never deletes the row.
    """

    entitlement = models.ForeignKey(
        Entitlement, on_delete=models.PROTECT, related_name="allocations"
    )
    person = models.ForeignKey(
        "org.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ci = models.ForeignKey(
        "cmdb.CI", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    asset = models.ForeignKey(
        "assets.Asset", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    allocated_at = models.DateTimeField(default=timezone.now, editable=False)
    reclaimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    reclaim_reason = models.CharField(max_length=200, blank=True, editable=False)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-allocated_at", "-id"]
        verbose_name = "allocation"
        verbose_name_plural = "allocations"
        indexes = [
            models.Index(
                fields=["entitlement"],
                name="licences_alloc_active_idx",
                condition=Q(reclaimed_at__isnull=True),
            ),
            models.Index(fields=["person"], name="licences_alloc_person_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False, ci__isnull=True, asset__isnull=True)
                | Q(person__isnull=True, ci__isnull=False, asset__isnull=True)
                | Q(person__isnull=True, ci__isnull=True, asset__isnull=False),
                name="licences_alloc_one_target",
            ),
            models.UniqueConstraint(
                fields=["entitlement", "person"],
                condition=Q(reclaimed_at__isnull=True, person__isnull=False),
                name="licences_alloc_person_once",
            ),
            models.UniqueConstraint(
                fields=["entitlement", "ci"],
                condition=Q(reclaimed_at__isnull=True, ci__isnull=False),
                name="licences_alloc_ci_once",
            ),
            models.UniqueConstraint(
                fields=["entitlement", "asset"],
                condition=Q(reclaimed_at__isnull=True, asset__isnull=False),
                name="licences_alloc_asset_once",
            ),
        ]

    def __str__(self) -> str:
        target = self.person or self.ci or self.asset
        return f"{self.entitlement} → {target} x{self.quantity}"

    @property
    def target(self) -> object:
        return self.person or self.ci or self.asset

    @property
    def active(self) -> bool:
        return self.reclaimed_at is None


class SaasUsage(models.Model):
    """One user of a SaaS product as the vendor's admin console reports it (imported).

    The console's seat list: every row holds a seat; ``last_active`` tells whether it is used.
    """

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="usage")
    user_name = models.CharField(max_length=254, help_text="The console's user (usually e-mail).")
    person = models.ForeignKey(
        "org.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_active = models.DateField(null=True, blank=True)
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["product", "user_name"]
        verbose_name = "SaaS usage"
        verbose_name_plural = "SaaS usage"
        constraints = [
            models.UniqueConstraint(fields=["product", "user_name"], name="licences_usage_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_name} ({self.last_active or 'never'})"


class ConcurrencySample(models.Model):
    """How many users ran a product at once at a moment (from a licence server's log)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="concurrency")
    measured_at = models.DateTimeField()
    users = models.PositiveIntegerField()

    class Meta:
        ordering = ["product", "-measured_at"]
        verbose_name = "concurrency sample"
        verbose_name_plural = "concurrency samples"
        indexes = [models.Index(fields=["product", "measured_at"], name="licences_concurrency_idx")]

    def __str__(self) -> str:
        return f"{self.users} at {self.measured_at:%Y-%m-%d %H:%M}"
