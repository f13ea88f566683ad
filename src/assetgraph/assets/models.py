"""The hardware catalogue, assets, custody history, disposals and kits.

Invariants that every surface shares live here (``clean()`` and ``Meta.constraints``); the
write rules that need the actor or other rows (lifecycle, custody races) live in ``services``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from assetgraph.core.attributes import AbstractAttributeDefinition
from assetgraph.core.models import TimestampedModel
from assetgraph.core.natural import NaturalSortKeyField

from .choices import (
    AcceptanceChoices,
    AssetStateChoices,
    AssetSubstateChoices,
    AuditCampaignStatusChoices,
    AuditResultChoices,
    CategoryKindChoices,
)
from .lifecycle import SUBSTATES

CURRENCY = re.compile(r"^[A-Z]{3}$")


def add_months(start: dt.date, months: int) -> dt.date:
    """``start`` plus whole months, clamped to the month's last day (31 Jan + 1 → 28/29 Feb)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    for day in (start.day, 30, 29, 28):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    raise ValueError("unreachable")  # pragma: no cover


class Category(TimestampedModel):
    """A kind of hardware (Laptops, Monitors…): groups models, carries acceptance terms."""

    name = models.CharField(max_length=100)
    name_key = NaturalSortKeyField(source="name")
    kind = models.CharField(max_length=20, choices=CategoryKindChoices.choices)
    requires_acceptance = models.BooleanField(
        default=False, help_text="Custodians must accept the terms when they receive one."
    )
    acceptance_terms = models.TextField(blank=True)
    audit_interval_months = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Months between physical audits (blank: the default, "
        "ASSETGRAPH_AUDIT_INTERVAL_MONTHS).",
    )

    class Meta:
        ordering = ["name_key", "id"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(Lower("name"), name="assets_category_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.requires_acceptance and not self.acceptance_terms.strip():
            raise ValidationError(
                {"acceptance_terms": "a category that requires acceptance needs terms to accept"}
            )


class AssetModel(TimestampedModel):
    """A manufacturer's product (Latitude 7440): defaults for warranty and end of life."""

    name = models.CharField(max_length=200)
    # "Latitude 5440" before "Latitude 14000", case-insensitive: what lists sort by.
    name_key = NaturalSortKeyField(source="name")
    model_number = models.CharField(max_length=100, blank=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="models")
    manufacturer = models.ForeignKey(
        "org.Company",
        on_delete=models.PROTECT,
        related_name="asset_models",
        limit_choices_to={"is_manufacturer": True},
    )
    default_warranty_months = models.PositiveIntegerField(default=0)
    eol_months = models.PositiveIntegerField(
        default=0, help_text="Months from purchase to end of life (0: no default)."
    )
    specs = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["name_key", "id"]
        verbose_name = "model"
        verbose_name_plural = "models"
        constraints = [
            models.UniqueConstraint(
                Lower("name"), "manufacturer", name="assets_model_unique_name_per_manufacturer"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.manufacturer_id is not None and not self.manufacturer.is_manufacturer:
            errors["manufacturer"] = f"{self.manufacturer} is not marked as a manufacturer"
        if not isinstance(self.specs, dict):
            errors["specs"] = "specs are an object of name → value"
        if errors:
            raise ValidationError(errors)


class _CustomFieldManager(models.Manager["CustomField"]):
    """Lists always need the categories; prefetching here keeps every list free of N+1."""

    def get_queryset(self) -> models.QuerySet[CustomField]:
        return super().get_queryset().prefetch_related("categories")


class CustomField(AbstractAttributeDefinition):
    """A typed custom field of assets, for some categories (none selected: all categories)."""

    objects = _CustomFieldManager()
    categories = models.ManyToManyField(Category, blank=True, related_name="custom_fields")

    class Meta:
        ordering = ["weight", "key"]
        constraints = [
            models.UniqueConstraint(fields=["key"], name="assets_customfield_unique_key"),
        ]

    def applies_to(self, category_id: int | None) -> bool:
        """Whether assets of this category carry the field (uses prefetched categories)."""
        ids = {c.pk for c in self.categories.all()}
        return not ids or category_id in ids


class Sequence(models.Model):
    """A named counter for generated identifiers; ``next_value`` moves by conditional UPDATE.

    ``UPDATE … SET next_value = next_value + n`` is atomic on SQLite and PostgreSQL, so two
    writers never receive the same number (the row lock holds until their transaction ends).
    """

    name = models.CharField(max_length=50, unique=True)
    pattern = models.CharField(max_length=50, default="AG-{seq:06d}")
    next_value = models.PositiveBigIntegerField(default=1)

    def __str__(self) -> str:
        return f"{self.name}: {self.pattern} @ {self.next_value}"


class Asset(TimestampedModel):
    """One physical item: identity, purchase data, lifecycle state and current custody.

    ``version`` increases on every custody or lifecycle change; check-out and check-in are
    conditional updates on it, which is what makes concurrent clerks safe on both databases.
    ``manufacturer`` is copied from the model so that the serial number can be unique per
    manufacturer with a plain constraint.
    """

    asset_tag = models.CharField(max_length=50, unique=True)
    name = models.CharField(max_length=200, blank=True)
    # "server2" before "server10", case-insensitive: what lists sort by (core.natural).
    name_key = NaturalSortKeyField(source="name")
    model = models.ForeignKey(AssetModel, on_delete=models.PROTECT, related_name="assets")
    manufacturer = models.ForeignKey(
        "org.Company", on_delete=models.PROTECT, related_name="+", editable=False
    )
    serial_number = models.CharField(max_length=100, blank=True)
    location = models.ForeignKey(
        "org.Location",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assets",
        help_text="Where the asset is (its home or stock room).",
    )
    state = models.CharField(
        max_length=20,
        choices=AssetStateChoices.choices,
        default=AssetStateChoices.IN_STOCK,
        editable=False,
    )
    substate = models.CharField(
        max_length=20,
        choices=AssetSubstateChoices.choices,
        default=AssetSubstateChoices.AVAILABLE,
        blank=True,
        editable=False,
    )
    # Custody: exactly one of these is set while the asset is in use.
    custodian = models.ForeignKey(
        "org.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assets",
        editable=False,
    )
    assigned_location = models.ForeignKey(
        "org.Location",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_assets",
        editable=False,
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        editable=False,
    )
    expected_return = models.DateField(null=True, blank=True, editable=False)
    # Purchase
    supplier = models.ForeignKey(
        "org.Company",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supplied_assets",
        limit_choices_to={"is_supplier": True},
    )
    order_number = models.CharField(max_length=100, blank=True)
    invoice_number = models.CharField(max_length=100, blank=True)
    purchase_date = models.DateField(null=True, blank=True)
    cost = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True, help_text="ISO 4217 code, e.g. EUR")
    warranty_end = models.DateField(
        null=True, blank=True, help_text="Defaults to purchase date + the model's warranty."
    )
    eol_date = models.DateField(
        null=True, blank=True, help_text="Defaults to purchase date + the model's EOL months."
    )
    # Dates stamped by lifecycle transitions.
    received_date = models.DateField(null=True, blank=True, editable=False)
    deployed_date = models.DateField(null=True, blank=True, editable=False)
    retired_date = models.DateField(null=True, blank=True, editable=False)
    notes = models.TextField(blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    # Stamped when an audit campaign that saw the asset closes.
    last_audit_date = models.DateField(null=True, blank=True, editable=False)
    next_audit_due = models.DateField(null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["asset_tag"]
        constraints = [
            models.UniqueConstraint(
                fields=["manufacturer", "serial_number"],
                condition=~Q(serial_number=""),
                name="assets_asset_unique_serial_per_manufacturer",
                violation_error_message="another asset of this manufacturer has this serial number",
            ),
            models.CheckConstraint(
                condition=Q(custodian__isnull=True, assigned_location__isnull=True)
                | Q(custodian__isnull=False, assigned_location__isnull=True, parent__isnull=True)
                | Q(custodian__isnull=True, assigned_location__isnull=False, parent__isnull=True),
                name="assets_asset_one_custody_target",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "substate"], name="assets_asset_state_idx"),
            models.Index(fields=["serial_number"], name="assets_asset_serial_idx"),
            models.Index(fields=["warranty_end"], name="assets_asset_warranty_idx"),
            models.Index(fields=["eol_date"], name="assets_asset_eol_idx"),
            models.Index(fields=["next_audit_due"], name="assets_asset_audit_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.asset_tag} {self.name}".strip() if self.name else self.asset_tag

    @property
    def custody_target(self) -> Any:
        """Who or what holds the asset now: a person, a location, another asset, or None."""
        return self.custodian or self.assigned_location or self.parent

    def apply_model_defaults(self) -> None:
        """Fill manufacturer and, from the purchase date, warranty end and end of life."""
        if self.model_id is None:
            return
        model = self.model
        self.manufacturer_id = model.manufacturer_id
        if self.purchase_date:
            if self.warranty_end is None and model.default_warranty_months:
                self.warranty_end = add_months(self.purchase_date, model.default_warranty_months)
            if self.eol_date is None and model.eol_months:
                self.eol_date = add_months(self.purchase_date, model.eol_months)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.currency and not CURRENCY.match(self.currency):
            errors["currency"] = "use a three-letter upper-case ISO 4217 code, e.g. EUR"
        if self.cost is not None and not self.currency:
            errors["currency"] = "a cost needs its currency"
        if self.cost is not None and self.cost < 0:
            errors["cost"] = "a cost cannot be negative"
        if self.warranty_end and self.purchase_date and self.warranty_end < self.purchase_date:
            errors["warranty_end"] = "the warranty ends before the purchase date"
        allowed = SUBSTATES.get(self.state, ())
        if (self.substate or "") not in (allowed or ("",)):
            errors["substate"] = f"{self.substate!r} is not a substate of {self.state}"
        if not isinstance(self.attributes, dict):
            errors["attributes"] = "attributes are an object of key → value"
        if errors:
            raise ValidationError(errors)


class CustodyRecord(models.Model):
    """One custody period: who/what held the asset, from when to when. Never overwritten.

    A partial unique constraint allows one open record per asset, so even a bug that skipped
    the conditional update could not create two simultaneous custodians.
    """

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="custody_records")
    person = models.ForeignKey(
        "org.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    location = models.ForeignKey(
        "org.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    parent = models.ForeignKey(
        Asset, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    checked_out_at = models.DateTimeField()
    checked_out_by = models.CharField(max_length=150)
    expected_return = models.DateField(null=True, blank=True)
    checkout_notes = models.TextField(blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.CharField(max_length=150, blank=True)
    condition_notes = models.TextField(blank=True)
    acceptance = models.CharField(
        max_length=20,
        choices=AcceptanceChoices.choices,
        default=AcceptanceChoices.NOT_REQUIRED,
    )
    acceptance_token = models.CharField(max_length=64, null=True, blank=True, unique=True)
    acceptance_terms = models.TextField(blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    response_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-checked_out_at", "-id"]
        verbose_name = "custody record"
        constraints = [
            models.UniqueConstraint(
                fields=["asset"],
                condition=Q(checked_in_at__isnull=True),
                name="assets_custody_one_open_per_asset",
            ),
        ]
        indexes = [
            models.Index(fields=["person", "checked_in_at"], name="assets_custody_person_idx")
        ]

    def __str__(self) -> str:
        return f"{self.asset_id} → {self.target}"

    @property
    def target(self) -> Any:
        """The holder of this period."""
        return self.person or self.location or self.parent

    @property
    def is_open(self) -> bool:
        return self.checked_in_at is None


class Disposal(models.Model):
    """How a retired asset left the company: recycler, buyer or charity, and the evidence."""

    asset = models.OneToOneField(Asset, on_delete=models.CASCADE, related_name="disposal")
    method = models.CharField(max_length=20, choices=AssetSubstateChoices.choices)
    disposed_on = models.DateField()
    recipient = models.CharField(max_length=200)
    certificate_number = models.CharField(max_length=100, blank=True)
    proceeds = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    notes = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.get_method_display()} to {self.recipient}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.currency and not CURRENCY.match(self.currency):
            errors["currency"] = "use a three-letter upper-case ISO 4217 code, e.g. EUR"
        if self.proceeds is not None and not self.currency:
            errors["currency"] = "proceeds need their currency"
        if self.method == AssetSubstateChoices.SOLD and self.proceeds is None:
            errors["proceeds"] = "a sale needs its proceeds"
        if errors:
            raise ValidationError(errors)


class _KitManager(models.Manager["Kit"]):
    """Kits are always shown with their items (a handful per kit): prefetch them."""

    def get_queryset(self) -> models.QuerySet[Kit]:
        return super().get_queryset().prefetch_related("items__model")


class Kit(TimestampedModel):
    """A named bundle of models issued together ("engineer starter": laptop, 2 monitors…)."""

    objects = _KitManager()
    name = models.CharField(max_length=100, unique=True)
    name_key = NaturalSortKeyField(source="name")
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name_key", "id"]

    def __str__(self) -> str:
        return self.name


class KitItem(models.Model):
    """One line of a kit: a model and how many of it."""

    kit = models.ForeignKey(Kit, on_delete=models.CASCADE, related_name="items")
    model = models.ForeignKey(AssetModel, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["kit", "model"], name="assets_kititem_unique_model"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="assets_kititem_quantity"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.model}"


class AuditCampaign(TimestampedModel):
    """A physical audit of one location and everything below it.

    The expected list is snapshotted into :class:`AuditItem` rows when the campaign starts, so
    assets moved in or out while it runs do not change what was expected.
    """

    name = models.CharField(max_length=200)
    location = models.ForeignKey(
        "org.Location", on_delete=models.PROTECT, related_name="audit_campaigns"
    )
    status = models.CharField(
        max_length=10,
        choices=AuditCampaignStatusChoices.choices,
        default=AuditCampaignStatusChoices.OPEN,
        editable=False,
    )
    started_at = models.DateTimeField(editable=False)
    started_by = models.CharField(max_length=150, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_by = models.CharField(max_length=150, blank=True, editable=False)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = "audit campaign"
        indexes = [models.Index(fields=["status"], name="assets_audit_status_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.status == AuditCampaignStatusChoices.OPEN


class AuditItem(models.Model):
    """One line of a campaign: an expected asset, or a scanned tag that was not expected.

    ``tag`` is unique per campaign, so two scanners reading the same label record it once.
    """

    campaign = models.ForeignKey(AuditCampaign, on_delete=models.CASCADE, related_name="items")
    asset = models.ForeignKey(
        Asset, null=True, blank=True, on_delete=models.CASCADE, related_name="audit_items"
    )
    tag = models.CharField(max_length=50)
    expected = models.BooleanField(default=False)
    result = models.CharField(
        max_length=10, choices=AuditResultChoices.choices, default=AuditResultChoices.PENDING
    )
    registered_location = models.ForeignKey(
        "org.Location",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Where the register placed an unexpected asset when it was scanned.",
    )
    relocated = models.BooleanField(default=False)
    scanned_at = models.DateTimeField(null=True, blank=True)
    scanned_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["tag"]
        verbose_name = "audit item"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "tag"], name="assets_audititem_unique_tag"),
        ]
        indexes = [
            models.Index(fields=["campaign", "result"], name="assets_audititem_result_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.tag}: {self.result}"
