"""Depreciation profiles and per-asset overrides, exchange rates, and the period close
(closed periods with their journal lines and the per-asset amounts they posted).

Schedules themselves are never stored: they are computed from these rows and the asset's
cost and dates by :mod:`assetgraph.finance.depreciation`, so a changed profile shows at
once. What *is* stored is what a period close posted, because a closed period is locked and
a later correction is the difference posted in the open period.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from assetgraph.core.models import TimestampedModel

from .choices import (
    BILLING_MONTHS,
    BillingPeriodChoices,
    BookChoices,
    ContractKindChoices,
    ConventionChoices,
    DocumentKindChoices,
    LineKindChoices,
    MethodChoices,
    OrderStatusChoices,
    StartBasisChoices,
)
from .depreciation import Convention, DepreciationError, DepreciationSpec, Method

CURRENCY = re.compile(r"^[A-Z]{3}$")
GL_ACCOUNT = re.compile(r"^[A-Za-z0-9.\-]{1,30}$")


class DepreciationProfile(TimestampedModel):
    """How one book depreciates a category or a model of hardware (or, with neither, a
    named profile an asset override can pick). A model's profile wins over its category's."""

    name = models.CharField(max_length=100)
    book = models.CharField(max_length=10, choices=BookChoices.choices, default=BookChoices.BOOK)
    category = models.ForeignKey(
        "assets.Category",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="depreciation_profiles",
    )
    asset_model = models.ForeignKey(
        "assets.AssetModel",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="depreciation_profiles",
    )
    method = models.CharField(max_length=30, choices=MethodChoices.choices)
    life_years = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    salvage_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        help_text="Salvage value as a percentage of cost.",
    )
    convention = models.CharField(
        max_length=20, choices=ConventionChoices.choices, default=ConventionChoices.FULL_MONTH
    )
    start_basis = models.CharField(
        max_length=20, choices=StartBasisChoices.choices, default=StartBasisChoices.IN_SERVICE
    )
    declining_factor = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        default=Decimal(2),
        help_text="Declining balance: 2 for 200 % (double), 1.5 for 150 %.",
    )
    declining_rate = models.DecimalField(
        max_digits=6,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="An explicit annual declining rate (0.25 = 25 %); overrides the factor.",
    )
    switch_to_straight_line = models.BooleanField(default=True)
    expense_account = models.CharField(
        max_length=30, default="6800", help_text="GL account debited by the monthly run."
    )
    accumulated_account = models.CharField(
        max_length=30, default="1590", help_text="GL account credited (accumulated depreciation)."
    )

    class Meta:
        ordering = ["book", "name"]
        verbose_name = "depreciation profile"
        verbose_name_plural = "depreciation profiles"
        constraints = [
            models.CheckConstraint(
                condition=Q(category__isnull=True) | Q(asset_model__isnull=True),
                name="finance_profile_category_or_model",
                violation_error_message="a profile is for a category or for a model, not both",
            ),
            models.UniqueConstraint(
                fields=["book", "category"],
                condition=Q(category__isnull=False),
                name="finance_profile_one_per_category_book",
                violation_error_message="this category already has a profile in this book",
            ),
            models.UniqueConstraint(
                fields=["book", "asset_model"],
                condition=Q(asset_model__isnull=False),
                name="finance_profile_one_per_model_book",
                violation_error_message="this model already has a profile in this book",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_book_display()})"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.category_id and self.asset_model_id:
            errors["asset_model"] = "a profile is for a category or for a model, not both"
        for name in ("expense_account", "accumulated_account"):
            if not GL_ACCOUNT.match(getattr(self, name) or ""):
                errors[name] = "letters, digits, dots and dashes, at most 30"
        if errors:
            raise ValidationError(errors)
        probe = self.spec(Decimal(100), dt.date(2026, 1, 1), "EUR")
        try:
            probe.validate()
        except DepreciationError as exc:
            name = {"declining_rate": "declining_rate", "life_years": "life_years"}.get(
                exc.field, "method" if exc.field != "convention" else "convention"
            )
            raise ValidationError({name: exc.message}) from None

    def spec(
        self,
        cost: Decimal,
        start: dt.date,
        currency: str,
        salvage: Decimal | None = None,
        fiscal_year_start_month: int = 1,
    ) -> DepreciationSpec:
        """The pure specification for an asset of ``cost`` starting on ``start``."""
        from .money import minor_digits

        digits = minor_digits(currency)
        if salvage is None:
            salvage = (cost * self.salvage_percent / 100).quantize(
                Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP
            )
        method = Method(self.method)
        return DepreciationSpec(
            cost=cost,
            salvage=Decimal(0) if method is Method.MACRS_GDS else salvage,
            in_service=start,
            method=method,
            life_years=self.life_years,
            convention=Convention(self.convention),
            fiscal_year_start_month=fiscal_year_start_month,
            declining_factor=self.declining_factor,
            declining_rate=self.declining_rate,
            switch_to_straight_line=self.switch_to_straight_line,
            minor_digits=digits,
        )


class AssetFinance(TimestampedModel):
    """An asset's own finance settings, one per asset (a one-to-one model here rather than
    columns on ``assets.Asset``): profiles that override the category's or model's per book,
    a depreciation start or salvage of its own, and the cost centre and owning company it is
    booked to."""

    asset = models.OneToOneField("assets.Asset", on_delete=models.CASCADE, related_name="finance")
    book_profile = models.ForeignKey(
        DepreciationProfile,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"book": BookChoices.BOOK},
    )
    tax_profile = models.ForeignKey(
        DepreciationProfile,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"book": BookChoices.TAX},
    )
    depreciation_start = models.DateField(
        null=True, blank=True, help_text="Overrides the in-service or purchase date."
    )
    salvage = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Overrides the profile's salvage percentage.",
    )
    cost_centre = models.ForeignKey(
        "org.CostCentre",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Overrides the custodian's cost centre.",
    )
    company = models.ForeignKey(
        "org.Company",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The legal entity that owns the asset.",
    )

    class Meta:
        ordering = ["asset"]
        verbose_name = "asset finance settings"
        verbose_name_plural = "asset finance settings"

    def __str__(self) -> str:
        return f"Finance of {self.asset_id}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if (
            self.book_profile_id
            and self.book_profile
            and self.book_profile.book != BookChoices.BOOK
        ):
            errors["book_profile"] = "pick a profile of the book 'book'"
        if self.tax_profile_id and self.tax_profile and self.tax_profile.book != BookChoices.TAX:
            errors["tax_profile"] = "pick a profile of the book 'tax'"
        if self.salvage is not None and self.salvage < 0:
            errors["salvage"] = "cannot be negative"
        if errors:
            raise ValidationError(errors)


class ExchangeRate(models.Model):
    """One unit of ``currency`` is worth ``rate`` units of ``base`` from ``valid_from`` on
    (until a later rate for the pair). A report never guesses a missing rate."""

    currency = models.CharField(max_length=3)
    base = models.CharField(max_length=3)
    valid_from = models.DateField()
    rate = models.DecimalField(max_digits=20, decimal_places=10)

    class Meta:
        ordering = ["currency", "base", "-valid_from"]
        verbose_name = "exchange rate"
        verbose_name_plural = "exchange rates"
        constraints = [
            models.UniqueConstraint(
                fields=["currency", "base", "valid_from"],
                name="finance_rate_unique_per_day",
                violation_error_message="this pair already has a rate on that date",
            ),
            models.CheckConstraint(condition=Q(rate__gt=0), name="finance_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.rate} {self.base} from {self.valid_from}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        for name in ("currency", "base"):
            if not CURRENCY.match(getattr(self, name) or ""):
                errors[name] = "use a three-letter upper-case ISO 4217 code"
        if self.currency and self.currency == self.base:
            errors["base"] = "differs from the currency"
        if self.rate is not None and self.rate <= 0:
            errors["rate"] = "must be more than 0"
        if errors:
            raise ValidationError(errors)


class ClosedPeriod(models.Model):
    """A month of one book whose depreciation has been run and posted; locked for good."""

    book = models.CharField(max_length=10, choices=BookChoices.choices, default=BookChoices.BOOK)
    period = models.DateField(help_text="The first day of the month.")
    closed_at = models.DateTimeField()
    closed_by = models.CharField(max_length=150)
    asset_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["book", "-period"]
        verbose_name = "closed period"
        verbose_name_plural = "closed periods"
        constraints = [
            models.UniqueConstraint(
                fields=["book", "period"],
                name="finance_period_closed_once",
                violation_error_message="this period is already closed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} ({self.book})"


class JournalLine(models.Model):
    """One line of a period's depreciation journal: the amount per cost centre, GL account
    and currency, debit to the expense account and credit to accumulated depreciation."""

    closed_period = models.ForeignKey(ClosedPeriod, on_delete=models.PROTECT, related_name="lines")
    cost_centre = models.ForeignKey(
        "org.CostCentre", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    expense_account = models.CharField(max_length=30)
    accumulated_account = models.CharField(max_length=30)
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(max_digits=16, decimal_places=4)
    correction = models.DecimalField(
        max_digits=16,
        decimal_places=4,
        default=Decimal(0),
        help_text="The part of the amount that corrects earlier, closed periods.",
    )
    asset_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["closed_period", "expense_account", "cost_centre", "currency"]
        verbose_name = "journal line"
        verbose_name_plural = "journal lines"

    def __str__(self) -> str:
        return f"{self.expense_account} {self.amount} {self.currency}"


class DepreciationPosting(models.Model):
    """What a period close posted for one asset: the period's amount including any
    correction of earlier periods. The sum of an asset's postings is what the ledger holds."""

    closed_period = models.ForeignKey(
        ClosedPeriod, on_delete=models.PROTECT, related_name="postings"
    )
    asset = models.ForeignKey("assets.Asset", on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(max_digits=16, decimal_places=4)
    currency = models.CharField(max_length=3)

    class Meta:
        ordering = ["closed_period", "asset"]
        constraints = [
            models.UniqueConstraint(
                fields=["closed_period", "asset"], name="finance_posting_once_per_period"
            ),
        ]
        indexes = [
            models.Index(fields=["asset", "closed_period"], name="finance_posting_asset_idx")
        ]

    def __str__(self) -> str:
        return f"{self.asset_id}: {self.amount} {self.currency}"


# --- procure to receive -------------------------------------------------------------------


class Budget(TimestampedModel):
    """What a cost centre may spend in a fiscal year; committed and actual spend are computed
    from purchase orders (:mod:`.procurement`)."""

    cost_centre = models.ForeignKey("org.CostCentre", on_delete=models.PROTECT, related_name="+")
    fiscal_year = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    amount = models.DecimalField(max_digits=16, decimal_places=2)
    currency = models.CharField(max_length=3, default="EUR")

    class Meta:
        ordering = ["-fiscal_year", "cost_centre"]
        verbose_name = "budget"
        verbose_name_plural = "budgets"
        constraints = [
            models.UniqueConstraint(
                fields=["cost_centre", "fiscal_year"],
                name="finance_budget_one_per_centre_year",
                violation_error_message="this cost centre already has a budget for that year",
            ),
        ]

    def __str__(self) -> str:
        return f"FY{self.fiscal_year} {self.cost_centre.code}: {self.amount} {self.currency}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if not CURRENCY.match(self.currency or ""):
            errors["currency"] = "use a three-letter upper-case ISO 4217 code"
        if self.amount is not None and self.amount < 0:
            errors["amount"] = "cannot be negative"
        if errors:
            raise ValidationError(errors)


def budget_mismatch(
    budget: Budget | None, line_cost_centre_id: int | None, order: PurchaseOrder
) -> str:
    """Why ``budget`` cannot fund a line of ``order`` whose own cost centre is
    ``line_cost_centre_id`` (None: the order's), or "" when it can: a budget belongs to one
    cost centre and one fiscal year, the order date's."""
    from .conf import fiscal_year_start_month
    from .depreciation.calendar import fiscal_year_label, month_ordinal

    if budget is None:
        return ""
    centre = line_cost_centre_id or order.cost_centre_id
    if centre != budget.cost_centre_id:
        return "the budget belongs to another cost centre than the line's"
    if order.order_date:
        year = fiscal_year_label(month_ordinal(order.order_date), fiscal_year_start_month())
        if year != budget.fiscal_year:
            return f"the budget is for FY{budget.fiscal_year}; the order is dated in FY{year}"
    return ""


class PurchaseOrder(TimestampedModel):
    """An order to a supplier (an ``org.Company`` marked as supplier). Its status moves
    draft → ordered by :func:`.procurement.place_order`, then follows the receipts."""

    number = models.CharField(max_length=50, unique=True)
    supplier = models.ForeignKey(
        "org.Company",
        on_delete=models.PROTECT,
        related_name="purchase_orders",
        limit_choices_to={"is_supplier": True},
    )
    order_date = models.DateField()
    currency = models.CharField(max_length=3, default="EUR")
    cost_centre = models.ForeignKey(
        "org.CostCentre", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=20,
        choices=OrderStatusChoices.choices,
        default=OrderStatusChoices.DRAFT,
        editable=False,
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-order_date", "-id"]
        verbose_name = "purchase order"
        verbose_name_plural = "purchase orders"

    def __str__(self) -> str:
        return self.number

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if not CURRENCY.match(self.currency or ""):
            errors["currency"] = "use a three-letter upper-case ISO 4217 code"
        if self.supplier_id and self.supplier and not self.supplier.is_supplier:
            errors["supplier"] = "this company is not marked as a supplier"
        if self.pk and self.order_date:
            for line in self.lines.filter(budget__isnull=False).select_related("budget"):
                problem = budget_mismatch(line.budget, line.cost_centre_id, self)
                if problem:
                    field = "order_date" if "FY" in problem else "cost_centre"
                    errors[field] = f"line {line.pk}: {problem}"
                    break
        if errors:
            raise ValidationError(errors)

    @property
    def total(self) -> Decimal:
        """Quantity x unit price over the lines."""
        return sum((line.quantity * line.unit_price for line in self.lines.all()), Decimal(0))


class PurchaseOrderLine(models.Model):
    """One line of an order: a hardware model, a licence or a service, quantity x price."""

    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(
        max_length=10, choices=LineKindChoices.choices, default=LineKindChoices.HARDWARE
    )
    asset_model = models.ForeignKey(
        "assets.AssetModel", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(max_length=200, blank=True)
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(max_digits=14, decimal_places=2)
    received_quantity = models.PositiveIntegerField(default=0, editable=False)
    cost_centre = models.ForeignKey(
        "org.CostCentre",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Overrides the order's cost centre for this line.",
    )
    budget = models.ForeignKey(
        Budget,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lines",
        help_text="The budget this line spends: of the line's cost centre and the order's "
        "fiscal year.",
    )

    class Meta:
        ordering = ["order", "id"]
        verbose_name = "purchase order line"
        verbose_name_plural = "purchase order lines"
        constraints = [
            models.CheckConstraint(
                condition=Q(received_quantity__lte=models.F("quantity")),
                name="finance_line_not_over_received",
            ),
        ]

    def __str__(self) -> str:
        what = self.asset_model or self.description or self.get_kind_display()
        return f"{self.quantity} x {what}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.kind == LineKindChoices.HARDWARE and not self.asset_model_id:
            errors["asset_model"] = "a hardware line names the model it buys"
        if self.kind != LineKindChoices.HARDWARE and not self.description.strip():
            errors["description"] = "say what the licence or service is"
        if self.unit_price is not None and self.unit_price < 0:
            errors["unit_price"] = "cannot be negative"
        if self.quantity is not None and self.quantity < self.received_quantity:
            errors["quantity"] = f"{self.received_quantity} are already received"
        if self.budget_id and self.order_id:
            problem = budget_mismatch(self.budget, self.cost_centre_id, self.order)
            if problem:
                errors["budget"] = problem
        if errors:
            raise ValidationError(errors)

    @property
    def effective_cost_centre_id(self) -> int | None:
        """The line's own cost centre, else the order's (the default for its lines)."""
        return self.cost_centre_id or self.order.cost_centre_id


class Receipt(models.Model):
    """One delivery against an order; received hardware became the linked assets."""

    order = models.ForeignKey(PurchaseOrder, on_delete=models.PROTECT, related_name="receipts")
    received_on = models.DateField()
    received_by = models.CharField(max_length=150)
    location = models.ForeignKey(
        "org.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["order", "received_on", "id"]

    def __str__(self) -> str:
        return f"{self.order_id} on {self.received_on}"


class ReceiptLine(models.Model):
    """How many of one order line a receipt brought, and the assets made of them."""

    receipt = models.ForeignKey(Receipt, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(PurchaseOrderLine, on_delete=models.PROTECT, related_name="receipts")
    quantity = models.PositiveIntegerField()
    assets = models.ManyToManyField("assets.Asset", blank=True, related_name="+")

    def __str__(self) -> str:
        return f"{self.quantity} of line {self.line_id}"


# --- contracts ----------------------------------------------------------------------------


class Contract(TimestampedModel):
    """A maintenance, warranty, lease, subscription, SaaS or service contract with a
    supplier, covering assets and CIs. Its renewal alert fires ``notice_days`` before the
    end (:mod:`.contracts`); an auto-renewing contract rolls on by ``renewal_months``."""

    name = models.CharField(max_length=200)
    reference = models.CharField(max_length=100, blank=True)
    kind = models.CharField(max_length=20, choices=ContractKindChoices.choices)
    supplier = models.ForeignKey("org.Company", on_delete=models.PROTECT, related_name="contracts")
    start_date = models.DateField()
    end_date = models.DateField()
    notice_days = models.PositiveIntegerField(default=90, validators=[MaxValueValidator(3650)])
    auto_renew = models.BooleanField(default=False)
    renewal_months = models.PositiveIntegerField(
        default=12, validators=[MinValueValidator(1), MaxValueValidator(120)]
    )
    billing_period = models.CharField(
        max_length=10, choices=BillingPeriodChoices.choices, default=BillingPeriodChoices.ANNUAL
    )
    cost_per_period = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal(0))
    currency = models.CharField(max_length=3, default="EUR")
    assets = models.ManyToManyField("assets.Asset", blank=True, related_name="contracts")
    cis = models.ManyToManyField("cmdb.CI", blank=True, related_name="contracts")
    licences = models.ManyToManyField(
        "licences.Entitlement", blank=True, related_name="finance_contracts"
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["end_date", "name"]
        verbose_name = "contract"
        verbose_name_plural = "contracts"
        indexes = [models.Index(fields=["end_date"], name="finance_contract_end_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")),
                name="finance_contract_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = "must not be before the start date"
        if not CURRENCY.match(self.currency or ""):
            errors["currency"] = "use a three-letter upper-case ISO 4217 code"
        if self.cost_per_period is not None and self.cost_per_period < 0:
            errors["cost_per_period"] = "cannot be negative"
        if errors:
            raise ValidationError(errors)

    @property
    def monthly_cost(self) -> Decimal:
        """Cost per billing period spread evenly over its months (unrounded)."""
        return self.cost_per_period / BILLING_MONTHS[self.billing_period]


class ContractDocument(models.Model):
    """A file attached to a contract, kept in the database (no file store to configure):
    its type is checked by extension and content, its size against a limit."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=10, choices=DocumentKindChoices.choices)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    data = models.BinaryField()
    uploaded_at = models.DateTimeField()
    uploaded_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["contract", "uploaded_at"]

    def __str__(self) -> str:
        return self.filename


class ReplacementPolicy(TimestampedModel):
    """When hardware of a category (or a model) is due for replacement, and at what price.

    An asset is due at the earliest of the triggers its policy sets: ``replace_after_years``
    after its purchase date, its warranty end, its end-of-life date. A model's policy wins
    over its category's for the triggers when it sets any, and for the price when it has one
    (the replacement price is per model; without one, the asset's original cost).
    """

    category = models.ForeignKey(
        "assets.Category",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    asset_model = models.ForeignKey(
        "assets.AssetModel",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    replace_after_years = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    at_warranty_end = models.BooleanField(default=False)
    at_end_of_life = models.BooleanField(default=False)
    replacement_price = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    currency = models.CharField(max_length=3, default="EUR")

    class Meta:
        ordering = ["id"]
        verbose_name = "replacement policy"
        verbose_name_plural = "replacement policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(category__isnull=True, asset_model__isnull=False)
                | Q(category__isnull=False, asset_model__isnull=True),
                name="finance_replacement_category_xor_model",
                violation_error_message="a policy is for a category or for a model",
            ),
            models.UniqueConstraint(
                fields=["category"],
                condition=Q(category__isnull=False),
                name="finance_replacement_one_per_category",
                violation_error_message="this category already has a replacement policy",
            ),
            models.UniqueConstraint(
                fields=["asset_model"],
                condition=Q(asset_model__isnull=False),
                name="finance_replacement_one_per_model",
                violation_error_message="this model already has a replacement policy",
            ),
        ]

    def __str__(self) -> str:
        return f"Replacement of {self.asset_model or self.category}"

    @property
    def has_trigger(self) -> bool:
        return bool(self.replace_after_years or self.at_warranty_end or self.at_end_of_life)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if bool(self.category_id) == bool(self.asset_model_id):
            errors["category"] = "give a category or a model, not both"
        if self.category_id and not self.has_trigger:
            errors["replace_after_years"] = (
                "set an age, warranty end or end of life (or a policy has no effect)"
            )
        if self.replacement_price is not None and not (
            len(self.currency) == 3 and self.currency.isalpha() and self.currency.isupper()
        ):
            errors["currency"] = "use a three-letter upper-case ISO code, e.g. EUR"
        if errors:
            raise ValidationError(errors)
