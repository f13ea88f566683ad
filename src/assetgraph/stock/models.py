"""Quantity-tracked stock, its ledger and balances; requests, reservations and maintenance.

The ledger (:class:`StockMovement`) is the truth: every movement is an append-only line.
:class:`StockBalance` is the maintained sum of the lines per item and holder, updated in the
same transaction as each line by a conditional UPDATE (``on_hand >= quantity``), so stock
never goes negative and a read of "on hand" is one indexed row, not a SUM over millions of
lines. ``assetgraph stock check`` proves the two agree.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from assetgraph.core.models import TimestampedModel
from assetgraph.core.natural import NaturalSortKeyField

from .choices import (
    ApprovalChoices,
    MaintenanceKindChoices,
    MovementReasonChoices,
    RequestStateChoices,
    ReservationStateChoices,
    StockKindChoices,
)

CURRENCY = re.compile(r"^[A-Z]{3}$")
HOLDERS = ("location", "person", "asset")


def _currency_errors(amount: object, currency: str, field: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if currency and not CURRENCY.match(currency):
        errors["currency"] = "use a three-letter upper-case ISO 4217 code, e.g. EUR"
    if amount is not None and not currency:
        errors["currency"] = f"a {field.replace('_', ' ')} needs its currency"
    if amount is not None and amount < 0:  # type: ignore[operator]
        errors[field] = f"a {field.replace('_', ' ')} cannot be negative"
    return errors


class StockItem(TimestampedModel):
    """A product kept by quantity (a headset model, A4 toner, a 16 GB RAM stick).

    Its model and category come from the hardware catalogue (``assets.AssetModel``), so
    reports group stock and serialised assets alike. ``min_quantity`` is the default
    minimum of every storeroom holding it (a storeroom may set its own).
    """

    name = models.CharField(max_length=200)
    name_key = NaturalSortKeyField(source="name")
    kind = models.CharField(max_length=20, choices=StockKindChoices.choices)
    model = models.ForeignKey(
        "assets.AssetModel", on_delete=models.PROTECT, related_name="stock_items"
    )
    min_quantity = models.PositiveIntegerField(
        default=0, help_text="Default minimum per storeroom (below it, a reorder alert)."
    )
    unit_cost = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["name_key", "id"]
        verbose_name = "stock item"
        verbose_name_plural = "stock items"
        constraints = [
            models.UniqueConstraint(Lower("name"), name="stock_item_unique_name"),
        ]
        # The list filtered by kind, in name order, walks this index (keyset pages).
        indexes = [models.Index(fields=["kind", "name_key", "id"], name="stock_item_kind_key")]

    def __str__(self) -> str:
        return self.name

    @property
    def category(self) -> object:
        """The catalogue category of the item's model."""
        return self.model.category

    def clean(self) -> None:
        errors = _currency_errors(self.unit_cost, self.currency, "unit_cost")
        if errors:
            raise ValidationError(errors)


class Storeroom(TimestampedModel):
    """A location that keeps stock. Issues to a person come from their site's storeroom first."""

    location = models.OneToOneField(
        "org.Location", on_delete=models.PROTECT, related_name="storeroom"
    )
    name = models.CharField(max_length=100, unique=True)
    name_key = NaturalSortKeyField(source="name")
    active = models.BooleanField(default=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["name_key", "id"]
        verbose_name = "storeroom"
        verbose_name_plural = "storerooms"
        indexes = [
            models.Index(fields=["active", "name_key", "id"], name="stock_storeroom_active_key")
        ]

    def __str__(self) -> str:
        return self.name


class StockMovement(models.Model):
    """One ledger line: ``quantity`` of ``item`` moved from one holder to another.

    A holder is a location (a storeroom, or a meeting room an accessory was lent to), a
    person or an asset (a component installed in it); an empty side is the outside world
    (a supplier for ``received``, the bin for ``written_off``). Lines are never edited or
    deleted: a mistake is corrected by another line.
    """

    item = models.ForeignKey(StockItem, on_delete=models.PROTECT, related_name="movements")
    quantity = models.PositiveIntegerField()
    reason = models.CharField(max_length=20, choices=MovementReasonChoices.choices)
    from_location = models.ForeignKey(
        "org.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_person = models.ForeignKey(
        "org.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_asset = models.ForeignKey(
        "assets.Asset", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_location = models.ForeignKey(
        "org.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_person = models.ForeignKey(
        "org.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_asset = models.ForeignKey(
        "assets.Asset", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit_cost = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    reference = models.CharField(
        max_length=100, blank=True, help_text="PO, request or count number, delivery note…"
    )
    line_key = models.CharField(
        max_length=100,
        null=True,
        blank=True,
        unique=True,
        help_text="A unique key of an imported line (imports refuse to post it twice).",
    )
    note = models.TextField(blank=True)
    expected_quantity = models.IntegerField(
        null=True, blank=True, help_text="For a count: what the ledger said was there."
    )
    found_quantity = models.IntegerField(
        null=True, blank=True, help_text="For a count: what was found."
    )
    occurred_at = models.DateTimeField()
    recorded_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = "stock movement"
        verbose_name_plural = "stock movements"
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="stock_movement_quantity"),
            models.CheckConstraint(
                condition=Q(from_location__isnull=False)
                | Q(from_person__isnull=False)
                | Q(from_asset__isnull=False)
                | Q(to_location__isnull=False)
                | Q(to_person__isnull=False)
                | Q(to_asset__isnull=False),
                name="stock_movement_has_a_side",
            ),
        ]
        indexes = [
            models.Index(fields=["item", "to_location", "occurred_at"], name="stock_mv_to_loc"),
            models.Index(fields=["item", "from_location", "occurred_at"], name="stock_mv_from_loc"),
            models.Index(fields=["to_person"], name="stock_mv_to_person"),
            models.Index(fields=["occurred_at"], name="stock_mv_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} {self.quantity} x {self.item_id}"

    def side(self, prefix: str) -> tuple[str, int] | None:
        """``("location", 7)`` for the ``from``/``to`` side, or None (the outside world)."""
        for holder in HOLDERS:
            pk = getattr(self, f"{prefix}_{holder}_id")
            if pk is not None:
                return holder, pk
        return None

    def clean(self) -> None:
        errors = _currency_errors(self.unit_cost, self.currency, "unit_cost")
        for prefix in ("from", "to"):
            if sum(getattr(self, f"{prefix}_{h}_id") is not None for h in HOLDERS) > 1:
                errors[f"{prefix}_location"] = f"a line has at most one '{prefix}' holder"
        if self.side("from") is None and self.side("to") is None:
            errors["to_location"] = "a line needs a 'from' or a 'to' holder"
        if self.side("from") is not None and self.side("from") == self.side("to"):
            errors["to_location"] = "'from' and 'to' are the same holder"
        if errors:
            raise ValidationError(errors)


class StockBalance(models.Model):
    """The maintained sum of the ledger for one item at one holder (location, person, asset).

    Updated with each line in the same transaction by a conditional UPDATE, and checked by a
    constraint, so ``on_hand`` is never negative; ``min_quantity`` (storerooms only)
    overrides the item's default minimum.
    """

    item = models.ForeignKey(StockItem, on_delete=models.PROTECT, related_name="balances")
    location = models.ForeignKey(
        "org.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        "org.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    asset = models.ForeignKey(
        "assets.Asset", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    on_hand = models.IntegerField(default=0)
    min_quantity = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["item", "id"]
        verbose_name = "stock balance"
        verbose_name_plural = "stock balances"
        constraints = [
            models.CheckConstraint(
                condition=Q(on_hand__gte=0), name="stock_balance_never_negative"
            ),
            models.CheckConstraint(
                condition=Q(location__isnull=False, person__isnull=True, asset__isnull=True)
                | Q(location__isnull=True, person__isnull=False, asset__isnull=True)
                | Q(location__isnull=True, person__isnull=True, asset__isnull=False),
                name="stock_balance_one_holder",
            ),
            models.UniqueConstraint(
                fields=["item", "location"],
                condition=Q(location__isnull=False),
                name="stock_balance_unique_location",
            ),
            models.UniqueConstraint(
                fields=["item", "person"],
                condition=Q(person__isnull=False),
                name="stock_balance_unique_person",
            ),
            models.UniqueConstraint(
                fields=["item", "asset"],
                condition=Q(asset__isnull=False),
                name="stock_balance_unique_asset",
            ),
        ]
        indexes = [
            models.Index(fields=["location", "item"], name="stock_bal_location"),
            models.Index(fields=["person"], name="stock_bal_person"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.on_hand}"


class CatalogueEntry(TimestampedModel):
    """Something employees may request: a stock item, a hardware model or a kit.

    ``approval`` says who approves its requests: the requester's manager (the helpdesk when
    they have none), the helpdesk, or nobody.
    """

    title = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    stock_item = models.OneToOneField(
        StockItem, null=True, blank=True, on_delete=models.CASCADE, related_name="catalogue_entry"
    )
    asset_model = models.OneToOneField(
        "assets.AssetModel",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="catalogue_entry",
    )
    kit = models.OneToOneField(
        "assets.Kit", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    approval = models.CharField(
        max_length=10, choices=ApprovalChoices.choices, default=ApprovalChoices.MANAGER
    )
    max_quantity = models.PositiveIntegerField(default=1)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["title"]
        verbose_name = "catalogue entry"
        verbose_name_plural = "catalogue entries"
        constraints = [
            models.CheckConstraint(
                condition=Q(stock_item__isnull=False, asset_model__isnull=True, kit__isnull=True)
                | Q(stock_item__isnull=True, asset_model__isnull=False, kit__isnull=True)
                | Q(stock_item__isnull=True, asset_model__isnull=True, kit__isnull=False),
                name="stock_catalogue_one_target",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        targets = [self.stock_item_id, self.asset_model_id, self.kit_id]
        if sum(t is not None for t in targets) != 1:
            raise ValidationError(
                {"stock_item": "choose exactly one of a stock item, a model or a kit"}
            )
        item = self.stock_item
        if item is not None and item.kind == StockKindChoices.COMPONENT:
            raise ValidationError(
                {"stock_item": "components are installed by IT, not requested by employees"}
            )
        if self.max_quantity < 1:
            raise ValidationError({"max_quantity": "at least 1"})


class StockRequest(TimestampedModel):
    """An employee's request for a catalogue entry, moving submitted → approved → fulfilled
    (or rejected/cancelled). Every step is an audit event on the request."""

    requester = models.ForeignKey(
        "org.Person", on_delete=models.PROTECT, related_name="stock_requests"
    )
    entry = models.ForeignKey(CatalogueEntry, on_delete=models.PROTECT, related_name="requests")
    quantity = models.PositiveIntegerField(default=1)
    reason = models.TextField()
    state = models.CharField(
        max_length=10,
        choices=RequestStateChoices.choices,
        default=RequestStateChoices.SUBMITTED,
        editable=False,
    )
    decided_by = models.CharField(max_length=150, blank=True, editable=False)
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    decision_note = models.TextField(blank=True, editable=False)
    fulfilled_by = models.CharField(max_length=150, blank=True, editable=False)
    fulfilled_at = models.DateTimeField(null=True, blank=True, editable=False)
    fulfilment = models.TextField(
        blank=True, editable=False, help_text="What was handed over, from where."
    )

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = "request"
        verbose_name_plural = "requests"
        indexes = [models.Index(fields=["state", "created"], name="stock_request_state")]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="stock_request_quantity")
        ]

    def __str__(self) -> str:
        return f"REQ{self.pk or 0:05d} {self.entry_id and self.entry.title}"

    @property
    def number(self) -> str:
        """The human reference, ``REQ00042``."""
        return f"REQ{self.pk or 0:05d}"


class Loaner(TimestampedModel):
    """An asset in the loaner pool: it can be booked for a period.

    ``bookings`` is bumped by every booking of the asset: the conditional UPDATE takes the
    row lock that serialises concurrent bookings of one asset on PostgreSQL (SQLite
    serialises every write), so the overlap check that follows sees every earlier booking.
    """

    asset = models.OneToOneField("assets.Asset", on_delete=models.CASCADE, related_name="loaner")
    active = models.BooleanField(default=True)
    bookings = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["asset__asset_tag"]
        verbose_name = "loaner"
        verbose_name_plural = "loaners"

    def __str__(self) -> str:
        return str(self.asset)


class Reservation(TimestampedModel):
    """A booking of a loaner for ``[start, end)``; open bookings of one asset never overlap."""

    loaner = models.ForeignKey(Loaner, on_delete=models.PROTECT, related_name="reservations")
    person = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    state = models.CharField(
        max_length=10,
        choices=ReservationStateChoices.choices,
        default=ReservationStateChoices.BOOKED,
        editable=False,
    )
    purpose = models.CharField(max_length=200, blank=True)
    custody_record = models.ForeignKey(
        "assets.CustodyRecord",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["start", "id"]
        verbose_name = "reservation"
        verbose_name_plural = "reservations"
        indexes = [models.Index(fields=["loaner", "start", "end"], name="stock_resv_window")]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="stock_resv_order")
        ]

    def __str__(self) -> str:
        return f"{self.loaner} {self.start:%Y-%m-%d} → {self.end:%Y-%m-%d}"

    def clean(self) -> None:
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": "must be after the start"})


class MaintenanceRecord(TimestampedModel):
    """One repair, upgrade, inspection or warranty claim of an asset, with its cost.

    ``in_repair`` marks the record that sent the asset to the repair state; returning the
    asset closes it (``completed`` is set).
    """

    asset = models.ForeignKey(
        "assets.Asset", on_delete=models.CASCADE, related_name="maintenance_records"
    )
    kind = models.CharField(max_length=20, choices=MaintenanceKindChoices.choices)
    title = models.CharField(max_length=200)
    supplier = models.ForeignKey(
        "org.Company", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started = models.DateField()
    completed = models.DateField(null=True, blank=True)
    cost = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    warranty_covered = models.BooleanField(default=False)
    in_repair = models.BooleanField(default=False, editable=False)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-started", "-id"]
        verbose_name = "maintenance record"
        verbose_name_plural = "maintenance records"
        indexes = [models.Index(fields=["asset", "started"], name="stock_maint_asset")]
        constraints = [
            models.UniqueConstraint(
                fields=["asset"],
                condition=Q(in_repair=True, completed__isnull=True),
                name="stock_maint_one_open_repair",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"

    def clean(self) -> None:
        errors = _currency_errors(self.cost, self.currency, "cost")
        if self.completed and self.started and self.completed < self.started:
            errors["completed"] = "completed before it started"
        if errors:
            raise ValidationError(errors)
