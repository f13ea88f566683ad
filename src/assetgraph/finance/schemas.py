"""API schemas of the finance app: ``XIn``/``XPatch``/``XOut``/``XFilter`` per resource, and
the shapes of schedules, previews and the register."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from ninja import Field, FilterLookup, FilterSchema, Schema

from assetgraph.api.schemas import Ref

from .choices import (
    BillingPeriodChoices,
    BookChoices,
    ContractKindChoices,
    ConventionChoices,
    LineKindChoices,
    MethodChoices,
    OrderStatusChoices,
    StartBasisChoices,
)

# --- depreciation profile ---


class ProfileIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    book: BookChoices = BookChoices.BOOK
    category_id: int | None = None
    asset_model_id: int | None = None
    method: MethodChoices
    life_years: int = Field(3, ge=1, le=100)
    salvage_percent: Decimal = Field(Decimal(0), ge=0, le=100, max_digits=5, decimal_places=2)
    convention: ConventionChoices = ConventionChoices.FULL_MONTH
    start_basis: StartBasisChoices = StartBasisChoices.IN_SERVICE
    declining_factor: Decimal = Field(Decimal(2), gt=0, le=10, max_digits=4, decimal_places=2)
    declining_rate: Decimal | None = Field(None, gt=0, le=1, max_digits=6, decimal_places=4)
    switch_to_straight_line: bool = True
    expense_account: str = Field("6800", min_length=1, max_length=30)
    accumulated_account: str = Field("1590", min_length=1, max_length=30)


class ProfilePatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    book: BookChoices | None = None
    category_id: int | None = None
    asset_model_id: int | None = None
    method: MethodChoices | None = None
    life_years: int | None = Field(None, ge=1, le=100)
    salvage_percent: Decimal | None = Field(None, ge=0, le=100, max_digits=5, decimal_places=2)
    convention: ConventionChoices | None = None
    start_basis: StartBasisChoices | None = None
    declining_factor: Decimal | None = Field(None, gt=0, le=10, max_digits=4, decimal_places=2)
    declining_rate: Decimal | None = Field(None, gt=0, le=1, max_digits=6, decimal_places=4)
    switch_to_straight_line: bool | None = None
    expense_account: str | None = Field(None, min_length=1, max_length=30)
    accumulated_account: str | None = Field(None, min_length=1, max_length=30)


class ProfileOut(Schema):
    id: int
    name: str
    book: str
    category: Ref | None
    asset_model: Ref | None
    method: str
    life_years: int
    salvage_percent: Decimal
    convention: str
    start_basis: str
    declining_factor: Decimal
    declining_rate: Decimal | None
    switch_to_straight_line: bool
    expense_account: str
    accumulated_account: str


class ProfileFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(["name__icontains"])] = Field(
        None, description="Search by name"
    )
    book: BookChoices | None = None
    method: MethodChoices | None = None
    category_id: int | None = None
    asset_model_id: int | None = None


# --- asset finance settings ---


class AssetFinanceIn(Schema):
    asset_id: int
    book_profile_id: int | None = None
    tax_profile_id: int | None = None
    depreciation_start: dt.date | None = None
    salvage: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    cost_centre_id: int | None = None
    company_id: int | None = None


class AssetFinancePatch(Schema):
    book_profile_id: int | None = None
    tax_profile_id: int | None = None
    depreciation_start: dt.date | None = None
    salvage: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    cost_centre_id: int | None = None
    company_id: int | None = None


class AssetFinanceOut(Schema):
    id: int
    asset: Ref
    book_profile: Ref | None
    tax_profile: Ref | None
    depreciation_start: dt.date | None
    salvage: Decimal | None
    cost_centre: Ref | None
    company: Ref | None


class AssetFinanceFilter(FilterSchema):
    asset_id: int | None = None
    cost_centre_id: int | None = None
    company_id: int | None = None


# --- exchange rates ---


class RateIn(Schema):
    currency: str = Field(min_length=3, max_length=3)
    base: str = Field(min_length=3, max_length=3)
    valid_from: dt.date
    rate: Decimal = Field(gt=0, max_digits=20, decimal_places=10)


class RatePatch(Schema):
    currency: str | None = Field(None, min_length=3, max_length=3)
    base: str | None = Field(None, min_length=3, max_length=3)
    valid_from: dt.date | None = None
    rate: Decimal | None = Field(None, gt=0, max_digits=20, decimal_places=10)


class RateOut(Schema):
    id: int
    currency: str
    base: str
    valid_from: dt.date
    rate: Decimal


class RateFilter(FilterSchema):
    currency: str | None = None
    base: str | None = None


# --- schedules and the register ---


class PeriodOut(Schema):
    start: dt.date
    end: dt.date
    fiscal_year: int
    amount: Decimal
    accumulated: Decimal
    book_value: Decimal


class YearOut(Schema):
    fiscal_year: int
    amount: Decimal
    book_value: Decimal


class DepreciationScheduleOut(Schema):
    asset_id: int | None = None
    book: str | None = None
    profile: str | None = None
    currency: str
    cost: Decimal
    salvage: Decimal
    start: dt.date | None
    method: str | None = None
    convention: str | None = None
    life_years: int | None = None
    book_value_today: Decimal | None = None
    disposed_on: dt.date | None = None
    proceeds: Decimal | None = None
    gain_loss: Decimal | None = None
    note: str = ""
    years: list[YearOut] = []
    periods: list[PeriodOut] = []


class TcoLineOut(Schema):
    source: str
    reference: str
    detail: str
    currency: str
    amount: Decimal


class TcoOut(Schema):
    asset_id: int
    asset_tag: str
    as_of: dt.date
    base_currency: str
    total: Decimal
    missing_rates: list[str]
    by_currency: dict[str, Decimal]
    by_source: dict[str, dict[str, Decimal]]
    lines: list[TcoLineOut]


class PreviewIn(Schema):
    cost: Decimal = Field(ge=0, max_digits=14, decimal_places=4)
    method: MethodChoices
    life_years: int = Field(ge=0, le=100)
    in_service: dt.date
    salvage: Decimal = Field(Decimal(0), ge=0, max_digits=14, decimal_places=4)
    convention: ConventionChoices = ConventionChoices.FULL_MONTH
    currency: str = Field("EUR", min_length=3, max_length=3)
    declining_factor: Decimal = Field(Decimal(2), gt=0, le=10)
    declining_rate: Decimal | None = Field(None, gt=0, le=1)
    switch_to_straight_line: bool = True
    fiscal_year_start_month: int | None = Field(None, ge=1, le=12)


RegisterOut = dict[str, Any]


# --- purchase orders, lines, budgets ---


class OrderIn(Schema):
    number: str = Field(min_length=1, max_length=50)
    supplier_id: int
    order_date: dt.date
    currency: str = Field("EUR", min_length=3, max_length=3)
    cost_centre_id: int | None = None
    notes: str = ""


class OrderPatch(Schema):
    number: str | None = Field(None, min_length=1, max_length=50)
    supplier_id: int | None = None
    order_date: dt.date | None = None
    currency: str | None = Field(None, min_length=3, max_length=3)
    cost_centre_id: int | None = None
    notes: str | None = None


class OrderOut(Schema):
    id: int
    number: str
    supplier: Ref
    order_date: dt.date
    currency: str
    cost_centre: Ref | None
    status: str
    notes: str


class OrderFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(["number__icontains", "notes__icontains"])] = Field(
        None, description="Search by number or notes"
    )
    status: OrderStatusChoices | None = None
    supplier_id: int | None = None
    cost_centre_id: int | None = None


class LineIn(Schema):
    order_id: int
    kind: LineKindChoices = LineKindChoices.HARDWARE
    asset_model_id: int | None = None
    description: str = Field("", max_length=200)
    quantity: int = Field(ge=1, le=100000)
    unit_price: Decimal = Field(ge=0, max_digits=14, decimal_places=2)
    cost_centre_id: int | None = Field(
        None, description="The line's own cost centre; empty: the order's"
    )
    budget_id: int | None = Field(
        None,
        description="The budget the line spends: of the line's cost centre and of the fiscal "
        "year of the order date",
    )


class LinePatch(Schema):
    kind: LineKindChoices | None = None
    asset_model_id: int | None = None
    description: str | None = Field(None, max_length=200)
    quantity: int | None = Field(None, ge=1, le=100000)
    unit_price: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    cost_centre_id: int | None = Field(
        None, description="The line's own cost centre; null: the order's"
    )
    budget_id: int | None = Field(None, description="The budget the line spends; null: none")


class LineOut(Schema):
    id: int
    order: Ref
    kind: str
    asset_model: Ref | None
    description: str
    quantity: int
    unit_price: Decimal
    received_quantity: int
    cost_centre: Ref | None
    budget: Ref | None


class LineFilter(FilterSchema):
    order_id: int | None = None
    kind: LineKindChoices | None = None
    budget_id: int | None = None


class BudgetIn(Schema):
    cost_centre_id: int
    fiscal_year: int = Field(ge=2000, le=2100)
    amount: Decimal = Field(ge=0, max_digits=16, decimal_places=2)
    currency: str = Field("EUR", min_length=3, max_length=3)


class BudgetPatch(Schema):
    cost_centre_id: int | None = None
    fiscal_year: int | None = Field(None, ge=2000, le=2100)
    amount: Decimal | None = Field(None, ge=0, max_digits=16, decimal_places=2)
    currency: str | None = Field(None, min_length=3, max_length=3)


class BudgetOut(Schema):
    id: int
    cost_centre: Ref
    fiscal_year: int
    amount: Decimal
    currency: str


class BudgetFilter(FilterSchema):
    cost_centre_id: int | None = None
    fiscal_year: int | None = None


class ReceiptItemIn(Schema):
    line_id: int
    quantity: int = Field(ge=0, le=100000)
    serial_numbers: list[str] = []


class ReceiveIn(Schema):
    items: list[ReceiptItemIn] = Field(min_length=1)
    location_id: int | None = None
    received_on: dt.date | None = None


class ReceiptOut(Schema):
    id: int
    order: str
    status: str
    received_on: dt.date
    assets: list[dict[str, Any]]


# --- contracts ---


class ContractIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    reference: str = Field("", max_length=100)
    kind: ContractKindChoices
    supplier_id: int
    start_date: dt.date
    end_date: dt.date
    notice_days: int = Field(90, ge=0, le=3650)
    auto_renew: bool = False
    renewal_months: int = Field(12, ge=1, le=120)
    billing_period: BillingPeriodChoices = BillingPeriodChoices.ANNUAL
    cost_per_period: Decimal = Field(Decimal(0), ge=0, max_digits=14, decimal_places=2)
    currency: str = Field("EUR", min_length=3, max_length=3)
    assets: list[int] = []
    cis: list[int] = []
    licences: list[int] = []
    notes: str = ""


class ContractPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    reference: str | None = Field(None, max_length=100)
    kind: ContractKindChoices | None = None
    supplier_id: int | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    notice_days: int | None = Field(None, ge=0, le=3650)
    auto_renew: bool | None = None
    renewal_months: int | None = Field(None, ge=1, le=120)
    billing_period: BillingPeriodChoices | None = None
    cost_per_period: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    currency: str | None = Field(None, min_length=3, max_length=3)
    assets: list[int] | None = None
    cis: list[int] | None = None
    licences: list[int] | None = None
    notes: str | None = None


class ContractOut(Schema):
    id: int
    name: str
    reference: str
    kind: str
    supplier: Ref
    start_date: dt.date
    end_date: dt.date
    notice_days: int
    auto_renew: bool
    renewal_months: int
    billing_period: str
    cost_per_period: Decimal
    currency: str
    assets: list[int]
    cis: list[int]
    licences: list[int]
    notes: str

    @staticmethod
    def resolve_assets(obj: Any) -> list[int]:
        return sorted(a.pk for a in obj.assets.all())

    @staticmethod
    def resolve_cis(obj: Any) -> list[int]:
        return sorted(c.pk for c in obj.cis.all())

    @staticmethod
    def resolve_licences(obj: Any) -> list[int]:
        return sorted(e.pk for e in obj.licences.all())


class ContractFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(["name__icontains", "reference__icontains"])] = Field(
        None, description="Search by name or reference"
    )
    kind: ContractKindChoices | None = None
    supplier_id: int | None = None
    auto_renew: bool | None = None


# --- replacement policies ---


class ReplacementPolicyIn(Schema):
    category_id: int | None = None
    asset_model_id: int | None = None
    replace_after_years: int | None = Field(None, ge=1, le=50)
    at_warranty_end: bool = False
    at_end_of_life: bool = False
    replacement_price: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    currency: str = Field("EUR", min_length=3, max_length=3)


class ReplacementPolicyPatch(Schema):
    replace_after_years: int | None = Field(None, ge=1, le=50)
    at_warranty_end: bool | None = None
    at_end_of_life: bool | None = None
    replacement_price: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    currency: str | None = Field(None, min_length=3, max_length=3)


class ReplacementPolicyOut(Schema):
    id: int
    category: Ref | None
    asset_model: Ref | None
    replace_after_years: int | None
    at_warranty_end: bool
    at_end_of_life: bool
    replacement_price: Decimal | None
    currency: str


class ReplacementPolicyFilter(FilterSchema):
    category_id: int | None = None
    asset_model_id: int | None = None


class ForecastQuarterOut(Schema):
    quarter: str
    start: dt.date
    end: dt.date
    count: int
    budget: Decimal
    budget_by_currency: dict[str, Decimal]


class ForecastItemOut(Schema):
    asset_id: int
    asset_tag: str
    name: str
    category: str
    model: str
    due: dt.date
    reason: str
    quarter: str
    overdue: bool
    price: Decimal
    currency: str
    price_source: str
    services: list[str]
    priority: int | None


class ForecastOut(Schema):
    on: dt.date
    quarters: list[ForecastQuarterOut]
    items: list[ForecastItemOut]
    base_currency: str
    total_count: int
    total_budget: Decimal
    missing_rates: list[str]
