"""API schemas of the stock app (``XIn``/``XPatch``/``XOut``/``XFilter``); the filter
schemas serve the API list endpoints and the HTMX list pages alike."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.db.models import Q
from ninja import Field, FilterLookup, FilterSchema, Schema

from assetgraph.api.schemas import Ref

from .choices import (
    ApprovalChoices,
    MaintenanceKindChoices,
    MovementReasonChoices,
    RequestStateChoices,
    ReservationStateChoices,
    StockKindChoices,
)

Money = Annotated[Decimal, Field(max_digits=12, decimal_places=2, ge=0)]


# --- stock items ---------------------------------------------------------------------------
class StockItemIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    kind: StockKindChoices
    model_id: int
    min_quantity: int = Field(0, ge=0)
    unit_cost: Money | None = None
    currency: str = Field("", max_length=3)
    notes: str = ""


class StockItemPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    kind: StockKindChoices | None = None
    model_id: int | None = None
    min_quantity: int | None = Field(None, ge=0)
    unit_cost: Money | None = None
    currency: str | None = Field(None, max_length=3)
    notes: str | None = None


class StockItemOut(Schema):
    id: int
    name: str
    kind: str
    model: Ref
    category: Ref
    min_quantity: int
    unit_cost: Decimal | None
    currency: str
    notes: str
    on_hand: int

    @staticmethod
    def resolve_category(obj: Any) -> Any:
        return obj.model.category

    @staticmethod
    def resolve_on_hand(obj: Any) -> int:
        """Total in active storerooms (the maintained balances); lists annotate it."""
        annotated = getattr(obj, "storeroom_on_hand", None)
        if annotated is not None:
            return int(annotated)
        from .querysets import storeroom_balances

        return sum(b.on_hand for b in storeroom_balances().filter(item_id=obj.pk))


class StockItemFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(["name__icontains", "model__name__icontains"])] = Field(
        None, description="Search by name or model"
    )
    kind: StockKindChoices | None = None
    category_id: int | None = None

    def filter_category_id(self, value: int | None) -> Q:
        return Q() if value is None else Q(model__category_id=value)


# --- storerooms ----------------------------------------------------------------------------
class StoreroomIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    location_id: int
    active: bool = True
    notes: str = ""


class StoreroomPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    active: bool | None = None
    notes: str | None = None


class StoreroomOut(Schema):
    id: int
    name: str
    location: Ref
    active: bool
    notes: str


class StoreroomFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(["name__icontains", "location__path__icontains"])] = (
        Field(None, description="Search by name or location")
    )
    active: bool | None = None


# --- ledger --------------------------------------------------------------------------------
class MovementOut(Schema):
    id: int
    item: Ref
    quantity: int
    reason: MovementReasonChoices
    from_location: Ref | None
    from_person: Ref | None
    from_asset: Ref | None
    to_location: Ref | None
    to_person: Ref | None
    to_asset: Ref | None
    unit_cost: Decimal | None
    currency: str
    reference: str
    note: str
    expected_quantity: int | None
    found_quantity: int | None
    occurred_at: dt.datetime
    recorded_by: str


class MovementFilter(FilterSchema):
    item_id: int | None = None
    reason: MovementReasonChoices | None = None
    location_id: int | None = Field(None, description="Lines into or out of this location")
    person_id: int | None = Field(None, description="Lines to or from this person")
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    def filter_location_id(self, value: int | None) -> Q:
        return Q() if value is None else Q(from_location_id=value) | Q(to_location_id=value)

    def filter_person_id(self, value: int | None) -> Q:
        return Q() if value is None else Q(from_person_id=value) | Q(to_person_id=value)

    def filter_since(self, value: dt.datetime | None) -> Q:
        return Q() if value is None else Q(occurred_at__gte=value)

    def filter_until(self, value: dt.datetime | None) -> Q:
        return Q() if value is None else Q(occurred_at__lte=value)


class MovementIn(Schema):
    """One stock action. ``action`` picks the rule: receive, issue, return, transfer,
    write_off or count (``found`` instead of ``quantity``)."""

    action: str = Field(pattern="^(receive|issue|return|transfer|write_off|count)$")
    item_id: int
    quantity: int | None = Field(None, ge=1, le=1_000_000)
    found: int | None = Field(None, ge=0, le=1_000_000)
    from_location_id: int | None = None
    to_location_id: int | None = None
    from_person_id: int | None = None
    to_person_id: int | None = None
    from_asset_id: int | None = None
    to_asset_id: int | None = None
    unit_cost: Money | None = None
    currency: str = Field("", max_length=3)
    reference: str = Field("", max_length=100)
    note: str = Field("", max_length=2000)


class BalanceOut(Schema):
    item: Ref
    location: Ref | None
    person: Ref | None
    asset: Ref | None
    on_hand: int
    minimum: int | None = None

    @staticmethod
    def resolve_minimum(obj: Any) -> int | None:
        minimum = getattr(obj, "minimum", None)
        return None if obj.location_id is None else minimum


class HeldAssetOut(Schema):
    id: int
    asset_tag: str
    model: str
    name: str


class HeldStockOut(Schema):
    item: Ref
    kind: str
    on_hand: int


class MineOut(Schema):
    """What the signed-in employee holds (``person`` is null for an account with no person)."""

    person: Ref | None
    assets: list[HeldAssetOut]
    stock: list[HeldStockOut]


class OnHandOut(Schema):
    item_id: int
    location_id: int
    as_of: dt.datetime | None
    on_hand: int


class ReorderOut(Schema):
    item: Ref
    location: Ref
    on_hand: int
    minimum: int
    consumed_90_days: int
    suggested: int


class MinimumIn(Schema):
    item_id: int
    location_id: int
    min_quantity: int | None = Field(None, ge=0)


# --- catalogue and requests ----------------------------------------------------------------
class CatalogueEntryIn(Schema):
    title: str = Field(min_length=1, max_length=200)
    description: str = ""
    stock_item_id: int | None = None
    asset_model_id: int | None = None
    kit_id: int | None = None
    approval: ApprovalChoices = ApprovalChoices.MANAGER
    max_quantity: int = Field(1, ge=1, le=100)
    active: bool = True


class CatalogueEntryPatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = None
    approval: ApprovalChoices | None = None
    max_quantity: int | None = Field(None, ge=1, le=100)
    active: bool | None = None


class CatalogueEntryOut(Schema):
    id: int
    title: str
    description: str
    stock_item: Ref | None
    asset_model: Ref | None
    kit: Ref | None
    approval: str
    max_quantity: int
    active: bool


class CatalogueEntryFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(["title__icontains", "description__icontains"])] = Field(
        None, description="Search by title or description"
    )
    active: bool | None = None


class RequestIn(Schema):
    entry_id: int
    reason: str = Field(min_length=1, max_length=2000)
    quantity: int = Field(1, ge=1, le=100)
    requester_id: int | None = Field(None, description="On behalf of (needs add on requests)")


class RequestTransitionIn(Schema):
    transition: str = Field(min_length=1, max_length=20)
    note: str = Field("", max_length=2000)
    from_location_id: int | None = Field(None, description="Fulfil from this storeroom")


class RequestOut(Schema):
    id: int
    number: str
    requester: Ref
    entry: Ref
    quantity: int
    reason: str
    state: RequestStateChoices
    decided_by: str
    decided_at: dt.datetime | None
    decision_note: str
    fulfilled_by: str
    fulfilled_at: dt.datetime | None
    fulfilment: str
    created: dt.datetime


class RequestFilter(FilterSchema):
    state: RequestStateChoices | None = None
    requester_id: int | None = None
    mine: bool | None = Field(None, description="Only my own requests")


# --- loaners and reservations --------------------------------------------------------------
class LoanerIn(Schema):
    asset_id: int
    active: bool = True


class LoanerPatch(Schema):
    active: bool | None = None


class LoanerOut(Schema):
    id: int
    asset: Ref
    active: bool


class LoanerFilter(FilterSchema):
    active: bool | None = None


class ReservationIn(Schema):
    loaner_id: int
    person_id: int
    start: dt.datetime
    end: dt.datetime
    purpose: str = Field("", max_length=200)


class ReservationOut(Schema):
    id: int
    loaner: Ref
    person: Ref
    start: dt.datetime
    end: dt.datetime
    state: ReservationStateChoices
    purpose: str


class ReservationFilter(FilterSchema):
    loaner_id: int | None = None
    state: ReservationStateChoices | None = None
    starts_before: dt.datetime | None = None
    ends_after: dt.datetime | None = None

    def filter_starts_before(self, value: dt.datetime | None) -> Q:
        return Q() if value is None else Q(start__lt=value)

    def filter_ends_after(self, value: dt.datetime | None) -> Q:
        return Q() if value is None else Q(end__gt=value)


# --- maintenance ---------------------------------------------------------------------------
class MaintenanceIn(Schema):
    asset_id: int
    kind: MaintenanceKindChoices
    title: str = Field(min_length=1, max_length=200)
    supplier_id: int | None = None
    started: dt.date
    completed: dt.date | None = None
    cost: Money | None = None
    currency: str = Field("", max_length=3)
    warranty_covered: bool = False
    notes: str = ""


class MaintenancePatch(Schema):
    kind: MaintenanceKindChoices | None = None
    title: str | None = Field(None, min_length=1, max_length=200)
    supplier_id: int | None = None
    started: dt.date | None = None
    completed: dt.date | None = None
    cost: Money | None = None
    currency: str | None = Field(None, max_length=3)
    warranty_covered: bool | None = None
    notes: str | None = None


class MaintenanceOut(Schema):
    id: int
    asset: Ref
    kind: str
    title: str
    supplier: Ref | None
    started: dt.date
    completed: dt.date | None
    cost: Decimal | None
    currency: str
    warranty_covered: bool
    in_repair: bool
    notes: str


class MaintenanceFilter(FilterSchema):
    asset_id: int | None = None
    kind: MaintenanceKindChoices | None = None
    open: bool | None = Field(None, description="Only repairs still open")

    def filter_open(self, value: bool | None) -> Q:
        if value is None:
            return Q()
        opened = Q(in_repair=True, completed__isnull=True)
        return opened if value else ~opened


class RepairSendIn(Schema):
    title: str = Field(min_length=1, max_length=200)
    supplier_id: int | None = None
    kind: MaintenanceKindChoices = MaintenanceKindChoices.REPAIR
    notes: str = ""


class RepairReturnIn(Schema):
    cost: Money | None = None
    currency: str = Field("", max_length=3)
    warranty_covered: bool = False
    defective: bool = False
    notes: str = ""


class RepairsPerModelOut(Schema):
    model: Ref
    assets: int
    repairs: int
    assets_repaired: int
    repair_rate: float
    costs: dict[str, Decimal]
