"""Choices of the finance app; the depreciation methods and conventions mirror the pure
module's enums so the stored values are the ones :mod:`.depreciation` reads."""

from django.db import models

from .depreciation import Convention, Method


class BookChoices(models.TextChoices):
    """The books an asset can be depreciated in at the same time."""

    BOOK = "book", "Book (financial statements)"
    TAX = "tax", "Tax"


class MethodChoices(models.TextChoices):
    STRAIGHT_LINE = Method.STRAIGHT_LINE.value, "Straight line"
    DECLINING_BALANCE = Method.DECLINING_BALANCE.value, "Declining balance"
    SUM_OF_YEARS_DIGITS = Method.SUM_OF_YEARS_DIGITS.value, "Sum of the years' digits"
    MACRS_GDS = Method.MACRS_GDS.value, "MACRS GDS (IRS tables)"
    NONE = Method.NONE.value, "None"


class ConventionChoices(models.TextChoices):
    FULL_MONTH = Convention.FULL_MONTH.value, "Full month"
    MID_MONTH = Convention.MID_MONTH.value, "Mid-month"
    HALF_YEAR = Convention.HALF_YEAR.value, "Half-year"
    MID_QUARTER = Convention.MID_QUARTER.value, "Mid-quarter"
    ACTUAL_DAYS = Convention.ACTUAL_DAYS.value, "Actual days"


class StartBasisChoices(models.TextChoices):
    """Which date starts depreciation."""

    IN_SERVICE = "in_service", "In-service date (first deployment)"
    PURCHASE = "purchase", "Purchase date"


class OrderStatusChoices(models.TextChoices):
    """Where a purchase order stands; after ``ordered`` it follows the receipts."""

    DRAFT = "draft", "Draft"
    ORDERED = "ordered", "Ordered"
    PARTIALLY_RECEIVED = "partially_received", "Partially received"
    RECEIVED = "received", "Received"
    CANCELLED = "cancelled", "Cancelled"


class LineKindChoices(models.TextChoices):
    """What a purchase-order line buys: hardware becomes assets when received."""

    HARDWARE = "hardware", "Hardware (a model)"
    LICENCE = "licence", "Licence"
    SERVICE = "service", "Service"


class ContractKindChoices(models.TextChoices):
    MAINTENANCE = "maintenance", "Maintenance / support"
    WARRANTY = "warranty", "Warranty extension"
    LEASE = "lease", "Lease"
    SUBSCRIPTION = "subscription", "Software subscription"
    SAAS = "saas", "SaaS"
    SERVICE = "service", "Service"


class BillingPeriodChoices(models.TextChoices):
    """How often a contract bills; ``months`` says how long each period is."""

    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"
    ANNUAL = "annual", "Annual"


BILLING_MONTHS = {"monthly": 1, "quarterly": 3, "annual": 12}


class DocumentKindChoices(models.TextChoices):
    CONTRACT = "contract", "Signed contract"
    SLA = "sla", "Service levels"
    INVOICE = "invoice", "Invoice"
    OTHER = "other", "Other"
