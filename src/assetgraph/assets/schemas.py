"""API schemas of the assets app: ``XIn`` (create), ``XPatch``, ``XOut``, ``XFilter``.

The ``XFilter`` schemas serve both the API list endpoints and the HTMX list pages.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from ninja import Field, FilterLookup, FilterSchema, Schema

from assetgraph.accounts.permissions import has_perm
from assetgraph.api.formats import NAME_PATTERN
from assetgraph.api.schemas import Ref
from assetgraph.core.attributes import ATTRIBUTE_KEY_PATTERN, AttributeType, public_values

from .choices import (
    AcceptanceChoices,
    AssetStateChoices,
    AssetSubstateChoices,
    AuditCampaignStatusChoices,
    AuditResultChoices,
    CategoryKindChoices,
)

# --- category ---


class CategoryIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    kind: CategoryKindChoices
    requires_acceptance: bool = False
    acceptance_terms: str = ""
    audit_interval_months: int | None = Field(None, ge=1, le=240)


class CategoryPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    kind: CategoryKindChoices | None = None
    requires_acceptance: bool | None = None
    acceptance_terms: str | None = None
    audit_interval_months: int | None = Field(None, ge=1, le=240)


class CategoryOut(Schema):
    id: int
    name: str
    kind: str
    requires_acceptance: bool
    acceptance_terms: str
    audit_interval_months: int | None


class CategoryFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup("name__icontains")] = Field(
        None, description="Search by name"
    )
    kind: CategoryKindChoices | None = None


# --- model ---


class AssetModelIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    model_number: str = Field("", max_length=100)
    category_id: int
    manufacturer_id: int
    default_warranty_months: int = Field(0, ge=0, le=600)
    eol_months: int = Field(0, ge=0, le=600)
    specs: dict[str, Any] = Field(default_factory=dict)


class AssetModelPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    model_number: str | None = Field(None, max_length=100)
    category_id: int | None = None
    manufacturer_id: int | None = None
    default_warranty_months: int | None = Field(None, ge=0, le=600)
    eol_months: int | None = Field(None, ge=0, le=600)
    specs: dict[str, Any] | None = None


class AssetModelOut(Schema):
    id: int
    name: str
    model_number: str
    category: Ref
    manufacturer: Ref
    default_warranty_months: int
    eol_months: int
    specs: dict[str, Any]


class AssetModelFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(["name__icontains", "model_number__icontains"])] = Field(
        None, description="Search by name or model number"
    )
    category_id: int | None = None
    manufacturer_id: int | None = None


# --- custom field ---


class CustomFieldIn(Schema):
    key: str = Field(min_length=1, max_length=63, pattern=ATTRIBUTE_KEY_PATTERN)
    label: str = Field(min_length=1, max_length=100)
    type: AttributeType
    required: bool = False
    recommended: bool = False
    choices: list[str] = Field(default_factory=list)
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    pattern: str = Field("", max_length=200)
    help_text: str = Field("", max_length=200)
    weight: int = Field(100, ge=0)
    categories: list[int] = Field(
        default_factory=list, description="Category ids; empty means every category"
    )


class CustomFieldPatch(Schema):
    label: str | None = Field(None, min_length=1, max_length=100)
    required: bool | None = None
    recommended: bool | None = None
    choices: list[str] | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    pattern: str | None = Field(None, max_length=200)
    help_text: str | None = Field(None, max_length=200)
    weight: int | None = Field(None, ge=0)
    categories: list[int] | None = None


class CustomFieldOut(Schema):
    id: int
    key: str
    label: str
    type: str
    required: bool
    recommended: bool
    choices: list[str]
    minimum: Decimal | None
    maximum: Decimal | None
    pattern: str
    help_text: str
    weight: int
    categories: list[int]

    @staticmethod
    def resolve_categories(obj: Any) -> list[int]:
        return sorted(c.pk for c in obj.categories.all())


class CustomFieldFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(["key__icontains", "label__icontains"])] = Field(
        None, description="Search by key or label"
    )
    type: AttributeType | None = None


# --- asset ---


class AssetIn(Schema):
    asset_tag: str = Field("", max_length=50, description="Blank: generated from the pattern")
    name: str = Field("", max_length=200)
    model_id: int
    serial_number: str = Field("", max_length=100)
    location_id: int | None = None
    state: AssetStateChoices = Field(AssetStateChoices.IN_STOCK, description="on_order or in_stock")
    supplier_id: int | None = None
    order_number: str = Field("", max_length=100)
    invoice_number: str = Field("", max_length=100)
    purchase_date: dt.date | None = None
    cost: Decimal | None = Field(None, max_digits=14, decimal_places=2)
    currency: str = Field("", max_length=3)
    warranty_end: dt.date | None = None
    eol_date: dt.date | None = None
    notes: str = ""
    attributes: dict[str, Any] = Field(default_factory=dict)


class AssetPatch(Schema):
    asset_tag: str | None = Field(None, min_length=1, max_length=50)
    name: str | None = Field(None, max_length=200)
    model_id: int | None = None
    serial_number: str | None = Field(None, max_length=100)
    location_id: int | None = None
    supplier_id: int | None = None
    order_number: str | None = Field(None, max_length=100)
    invoice_number: str | None = Field(None, max_length=100)
    purchase_date: dt.date | None = None
    cost: Decimal | None = Field(None, max_digits=14, decimal_places=2)
    currency: str | None = Field(None, max_length=3)
    warranty_end: dt.date | None = None
    eol_date: dt.date | None = None
    notes: str | None = None
    attributes: dict[str, Any] | None = None


def _may_see_cost(context: Any) -> bool:
    request = (context or {}).get("request")
    return request is not None and has_perm(request.user, "assets.asset", "view_cost")


class AssetOut(Schema):
    id: int
    asset_tag: str
    name: str
    model: Ref
    category: Ref
    manufacturer: Ref
    serial_number: str
    state: str
    substate: str
    location: Ref | None
    custodian: Ref | None
    assigned_location: Ref | None
    parent: Ref | None
    expected_return: dt.date | None
    supplier: Ref | None
    order_number: str
    invoice_number: str
    purchase_date: dt.date | None
    cost: Decimal | None = Field(description="Only with the view_cost permission")
    currency: str
    warranty_end: dt.date | None
    eol_date: dt.date | None
    received_date: dt.date | None
    deployed_date: dt.date | None
    retired_date: dt.date | None
    last_audit_date: dt.date | None
    next_audit_due: dt.date | None
    notes: str
    attributes: dict[str, Any]
    version: int

    @staticmethod
    def resolve_category(obj: Any) -> Any:
        return obj.model.category

    @staticmethod
    def resolve_attributes(obj: Any) -> dict[str, Any]:
        return public_values(obj.attributes)

    @staticmethod
    def resolve_cost(obj: Any, context: Any) -> Decimal | None:
        return obj.cost if _may_see_cost(context) else None

    @staticmethod
    def resolve_currency(obj: Any, context: Any) -> str:
        return obj.currency if _may_see_cost(context) else ""


class AssetFilter(FilterSchema):
    q: Annotated[
        str | None,
        FilterLookup(["asset_tag__icontains", "serial_number__icontains", "name__icontains"]),
    ] = Field(None, description="Search by tag, serial number or name")
    state: AssetStateChoices | None = None
    substate: AssetSubstateChoices | None = None
    category_id: Annotated[int | None, FilterLookup("model__category_id")] = Field(
        None, description="Category"
    )
    model_id: int | None = None
    manufacturer_id: int | None = None
    location_id: int | None = None
    custodian_id: int | None = None
    supplier_id: int | None = None
    warranty_before: Annotated[dt.date | None, FilterLookup("warranty_end__lt")] = Field(
        None, description="Warranty ends before"
    )


# --- kits ---


class KitItemIn(Schema):
    model_id: int
    quantity: int = Field(1, ge=1, le=1000)


class KitIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    description: str = ""
    items: list[KitItemIn] = Field(default_factory=list)


class KitPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = None
    items: list[KitItemIn] | None = None


class KitItemOut(Schema):
    model: Ref
    quantity: int


class KitOut(Schema):
    id: int
    name: str
    description: str
    items: list[KitItemOut]

    @staticmethod
    def resolve_items(obj: Any) -> list[Any]:
        return list(obj.items.all())


class KitFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup("name__icontains")] = Field(
        None, description="Search by name"
    )


class IssueKitIn(Schema):
    people: list[int] = Field(min_length=1, max_length=500)
    expected_return: dt.date | None = None


# --- actions ---


class CheckoutIn(Schema):
    to_person_id: int | None = None
    to_location_id: int | None = None
    to_asset_id: int | None = None
    expected_return: dt.date | None = None
    notes: str = ""


class CheckinIn(Schema):
    condition_notes: str = ""
    defective: bool = False
    location_id: int | None = None


class DisposalIn(Schema):
    recipient: str = Field(min_length=1, max_length=200)
    disposed_on: dt.date | None = None
    certificate_number: str = Field("", max_length=100)
    proceeds: Decimal | None = Field(None, max_digits=14, decimal_places=2)
    currency: str = Field("", max_length=3)
    notes: str = ""


class AssetTransitionIn(Schema):
    transition: str = Field(min_length=1, max_length=40)
    substate: str = ""
    reason: str = ""
    disposal: DisposalIn | None = None
    confirm_impact: bool = Field(
        False,
        description="Take the asset's CI out of service although a tier-1 service goes down or "
        "a redundancy group loses its last spare (else 409 confirmation_required)",
    )


class BulkTransitionIn(AssetTransitionIn):
    """One transition for several assets (all or nothing; errors name each asset)."""

    assets: list[int] = Field(min_length=1, max_length=1000)


class BulkUpdateIn(Schema):
    """The same partial update for several assets (all or nothing; errors name each asset)."""

    assets: list[int] = Field(min_length=1, max_length=1000)
    changes: AssetPatch


class BulkCheckinIn(Schema):
    assets: list[int] = Field(min_length=1, max_length=1000)
    condition_notes: str = ""
    defective: bool = False


class CustodyRecordOut(Schema):
    id: int
    asset: Ref
    person: Ref | None
    location: Ref | None
    parent: Ref | None
    checked_out_at: dt.datetime
    checked_out_by: str
    expected_return: dt.date | None
    checkout_notes: str
    checked_in_at: dt.datetime | None
    checked_in_by: str
    condition_notes: str
    acceptance: AcceptanceChoices
    responded_at: dt.datetime | None


class TransitionOut(Schema):
    name: str
    label: str
    sources: list[str]
    target: str
    substates: list[str]
    requires: list[str]
    stamps: list[str]
    custody_only: bool


# --- physical audits ---


class AuditCampaignIn(Schema):
    location_id: int
    name: str = Field("", max_length=200)
    notes: str = ""


class AuditCampaignOut(Schema):
    id: int
    name: str
    location: Ref
    status: AuditCampaignStatusChoices
    started_at: dt.datetime
    started_by: str
    closed_at: dt.datetime | None
    closed_by: str
    notes: str
    counts: dict[str, int]

    @staticmethod
    def resolve_counts(obj: Any) -> dict[str, int]:
        return dict(getattr(obj, "result_counts", {}))


class AuditCampaignFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup("name__icontains")] = Field(
        None, description="Search by name"
    )
    status: AuditCampaignStatusChoices | None = None
    location_id: int | None = None


class AuditItemOut(Schema):
    id: int
    tag: str
    asset: Ref | None
    expected: bool
    result: AuditResultChoices
    registered_location: Ref | None
    relocated: bool
    scanned_at: dt.datetime | None
    scanned_by: str


class ScanIn(Schema):
    tag: str = Field(min_length=1, max_length=200, pattern=NAME_PATTERN)


class ScanOut(Schema):
    result: AuditResultChoices
    repeated: bool
    message: str
    item: AuditItemOut


class CloseOut(Schema):
    campaign: AuditCampaignOut
    counts: dict[str, int]
    stamped: int


class AssetsDueOut(Schema):
    """A capped list that says so: the first ``limit`` assets and how many there are."""

    count: int
    results: list[AssetOut]


class ReportRowOut(Schema):
    key: str
    label: str
    count: int


class ReportOut(Schema):
    name: str
    title: str
    dimension: str
    total: int
    rows: list[ReportRowOut]


class LabelOut(Schema):
    """One printable label: what the sheet shows, and the QR code (an SVG data URI)."""

    id: int
    asset_tag: str
    name: str
    model: str
    url: str
    qr_svg: str
