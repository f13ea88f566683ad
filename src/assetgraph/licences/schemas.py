"""API schemas of the licences app: ``XIn``/``XPatch``/``XOut``/``XFilter`` per resource, and
the position, allocation, reclaim and usage-import payloads.

Costs (``unit_cost``, ``total_cost``) read as null without ``view_cost`` on entitlements; the
licence key is never in an ``Out`` schema (``has_licence_key`` says whether one is stored; the
dedicated ``/key`` endpoint reveals it with ``view_key``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from ninja import Field, FilterLookup, FilterSchema, Schema

from assetgraph.accounts.permissions import has_perm
from assetgraph.api.formats import URL_PATTERN, optional
from assetgraph.api.schemas import Ref

from .choices import MetricChoices, ScopeChoices, TermChoices, VersionRightsChoices


def may_see_cost(context: Any) -> bool:
    """Whether the request's user holds ``view_cost`` on entitlements."""
    request = (context or {}).get("request")
    return request is not None and has_perm(request.user, "licences.entitlement", "view_cost")


# --- publisher ---
class PublisherIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    website: str = Field("", max_length=200, pattern=optional(URL_PATTERN))


class PublisherPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    website: str | None = Field(None, max_length=200, pattern=optional(URL_PATTERN))


class PublisherOut(Schema):
    id: int
    name: str
    website: str


class PublisherFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(["name__icontains"])] = None


# --- family ---
class FamilyIn(Schema):
    publisher_id: int
    name: str = Field(min_length=1, max_length=200)


class FamilyPatch(Schema):
    publisher_id: int | None = None
    name: str | None = Field(None, min_length=1, max_length=200)


class FamilyOut(Schema):
    id: int
    publisher: Ref
    name: str


class FamilyFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(["name__icontains"])] = None
    publisher: Annotated[int | None, FilterLookup("publisher_id")] = None


# --- product ---
class ProductIn(Schema):
    publisher_id: int
    family_id: int | None = None
    name: str = Field(min_length=1, max_length=200)
    edition: str = Field("", max_length=100)
    version: str = Field("", max_length=50)
    version_rank: int = 0


class ProductPatch(Schema):
    publisher_id: int | None = None
    family_id: int | None = None
    name: str | None = Field(None, min_length=1, max_length=200)
    edition: str | None = Field(None, max_length=100)
    version: str | None = Field(None, max_length=50)
    version_rank: int | None = None


class ProductOut(Schema):
    id: int
    publisher: Ref
    family: Ref | None
    name: str
    edition: str
    version: str
    version_rank: int


class ProductFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(["name__icontains", "publisher__name__icontains"])] = None
    publisher: Annotated[int | None, FilterLookup("publisher_id")] = None
    family: Annotated[int | None, FilterLookup("family_id")] = None


# --- suite ---
class SuiteIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    publisher_id: int
    products: list[int] = []


class SuitePatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    publisher_id: int | None = None
    products: list[int] | None = None


class SuiteOut(Schema):
    id: int
    name: str
    publisher: Ref
    products: list[Ref]

    @staticmethod
    def resolve_products(obj: Any) -> list[Any]:
        return list(obj.products.all())


class SuiteFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(["name__icontains"])] = None


# --- normalisation rule ---
class RuleIn(Schema):
    priority: int = Field(100, ge=0)
    publisher_pattern: str = Field("*", min_length=1, max_length=200)
    name_pattern: str = Field(min_length=1, max_length=200)
    product_id: int
    active: bool = True


class RulePatch(Schema):
    priority: int | None = Field(None, ge=0)
    publisher_pattern: str | None = Field(None, min_length=1, max_length=200)
    name_pattern: str | None = Field(None, min_length=1, max_length=200)
    product_id: int | None = None
    active: bool | None = None


class RuleOut(Schema):
    id: int
    priority: int
    publisher_pattern: str
    name_pattern: str
    product: Ref
    active: bool


class NormalisationRuleFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(["name_pattern__icontains"])] = None
    product: Annotated[int | None, FilterLookup("product_id")] = None


# --- core factor ---
class CoreFactorIn(Schema):
    processor_pattern: str = Field(min_length=1, max_length=200)
    factor: Decimal = Field(gt=0, max_digits=4, decimal_places=2)
    priority: int = Field(100, ge=0)


class CoreFactorPatch(Schema):
    processor_pattern: str | None = Field(None, min_length=1, max_length=200)
    factor: Decimal | None = Field(None, gt=0, max_digits=4, decimal_places=2)
    priority: int | None = Field(None, ge=0)


class CoreFactorOut(Schema):
    id: int
    processor_pattern: str
    factor: Decimal
    priority: int


class CoreFactorFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(["processor_pattern__icontains"])] = None


# --- entitlement ---
class EntitlementIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    product_id: int | None = None
    suite_id: int | None = None
    metric: MetricChoices
    quantity: int | None = Field(None, ge=0)
    term: TermChoices = TermChoices.PERPETUAL
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    version_rights: VersionRightsChoices = VersionRightsChoices.THIS
    maintenance_end: dt.date | None = None
    unit_cost: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    total_cost: Decimal | None = Field(None, ge=0, max_digits=16, decimal_places=2)
    currency: str = Field("", max_length=3)
    supplier_id: int | None = None
    purchase_reference: str = Field("", max_length=100)
    scope: ScopeChoices = ScopeChoices.ORGANISATION
    scope_department_id: int | None = None
    scope_location_id: int | None = None
    reassignable: bool = True
    min_cores_per_processor: int = Field(0, ge=0)
    min_cores_per_server: int = Field(0, ge=0)
    core_pack_size: int = Field(1, ge=1)
    core_factor_table: bool = False
    virtual_cores: bool = False
    min_users_per_processor: int = Field(0, ge=0)
    min_users_per_server: int = Field(0, ge=0)
    farm_exposure: bool = False
    idle_days: int = Field(90, ge=1)
    notes: str = ""
    documents: str = ""
    licence_key: str | None = Field(None, description="Stored encrypted; never returned.")


class EntitlementPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    product_id: int | None = None
    suite_id: int | None = None
    metric: MetricChoices | None = None
    quantity: int | None = Field(None, ge=0)
    term: TermChoices | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    version_rights: VersionRightsChoices | None = None
    maintenance_end: dt.date | None = None
    unit_cost: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    total_cost: Decimal | None = Field(None, ge=0, max_digits=16, decimal_places=2)
    currency: str | None = Field(None, max_length=3)
    supplier_id: int | None = None
    purchase_reference: str | None = Field(None, max_length=100)
    scope: ScopeChoices | None = None
    scope_department_id: int | None = None
    scope_location_id: int | None = None
    reassignable: bool | None = None
    min_cores_per_processor: int | None = Field(None, ge=0)
    min_cores_per_server: int | None = Field(None, ge=0)
    core_pack_size: int | None = Field(None, ge=1)
    core_factor_table: bool | None = None
    virtual_cores: bool | None = None
    min_users_per_processor: int | None = Field(None, ge=0)
    min_users_per_server: int | None = Field(None, ge=0)
    farm_exposure: bool | None = None
    idle_days: int | None = Field(None, ge=1)
    notes: str | None = None
    documents: str | None = None
    licence_key: str | None = Field(None, description="Stored encrypted; never returned.")


class EntitlementOut(Schema):
    id: int
    name: str
    product: Ref | None
    suite: Ref | None
    metric: str
    quantity: int | None
    allocated: int
    available: int | None
    term: str
    start_date: dt.date | None
    end_date: dt.date | None
    version_rights: str
    maintenance_end: dt.date | None
    unit_cost: Decimal | None = Field(description="Only with the view_cost permission")
    total_cost: Decimal | None = Field(description="Only with the view_cost permission")
    currency: str
    supplier: Ref | None
    purchase_reference: str
    scope: str
    scope_department: Ref | None
    scope_location: Ref | None
    reassignable: bool
    min_cores_per_processor: int
    min_cores_per_server: int
    core_pack_size: int
    core_factor_table: bool
    virtual_cores: bool
    min_users_per_processor: int
    min_users_per_server: int
    farm_exposure: bool
    idle_days: int
    notes: str
    documents: str
    has_licence_key: bool

    @staticmethod
    def resolve_unit_cost(obj: Any, context: Any) -> Decimal | None:
        return obj.unit_cost if may_see_cost(context) else None

    @staticmethod
    def resolve_total_cost(obj: Any, context: Any) -> Decimal | None:
        return obj.effective_total_cost if may_see_cost(context) else None


class EntitlementFilter(FilterSchema):
    q: Annotated[
        str | None,
        FilterLookup(["name__icontains", "product__name__icontains", "purchase_reference"]),
    ] = None
    product: Annotated[int | None, FilterLookup("product_id")] = None
    suite: Annotated[int | None, FilterLookup("suite_id")] = None
    metric: MetricChoices | None = None
    term: TermChoices | None = None


class LicenceKeyOut(Schema):
    licence_key: str


# --- allocation ---
class AllocationIn(Schema):
    entitlement_id: int
    person_id: int | None = None
    ci_id: int | None = None
    asset_id: int | None = None
    quantity: int = Field(1, ge=1)
    note: str = Field("", max_length=200)


class AllocationPatch(Schema):
    note: str | None = Field(None, max_length=200)


class AllocationOut(Schema):
    id: int
    entitlement: Ref
    person: Ref | None
    ci: Ref | None
    asset: Ref | None
    quantity: int
    allocated_at: dt.datetime
    reclaimed_at: dt.datetime | None
    reclaim_reason: str
    note: str


class AllocationFilter(FilterSchema):
    entitlement: Annotated[int | None, FilterLookup("entitlement_id")] = None
    person: Annotated[int | None, FilterLookup("person_id")] = None
    ci: Annotated[int | None, FilterLookup("ci_id")] = None
    active: Annotated[bool | None, FilterLookup("reclaimed_at__isnull")] = None


class ReclaimAllocationsIn(Schema):
    ids: list[int] = Field(min_length=1, max_length=1000)
    reason: str = Field("reclaimed", max_length=200)
    confirm_services: bool = Field(
        False,
        description="Reclaim although a seat's device runs the software for business services "
        "(else 409 reclaim_needs_confirmation naming them)",
    )


# --- position ---
class ReclaimCandidateOut(Schema):
    kind: str
    reason: str
    allocation: int | None = None
    person: int | None = None
    ci: int | None = None
    usage: int | None = None


class LicenceExposureOut(Schema):
    ci: int
    ci_name: str
    group: int | None
    group_name: str
    path: str
    hosts: list[str]
    cores: int
    licences: int


class PositionRowOut(Schema):
    product_id: int
    product: str
    metric: str
    scope: str
    scope_label: str
    entitled: int | None
    received: int
    lent: int
    consumed: int
    balance: int | None
    shortfall: int
    status: str
    unit_price: Decimal | None
    currency: str
    true_up_cost: Decimal | None
    unused_cost: Decimal | None
    entitlement_ids: list[int]
    candidate_count: int
    candidates: list[ReclaimCandidateOut]
    exposure: list[LicenceExposureOut]


class PositionOut(Schema):
    as_of: dt.datetime | None
    day: dt.date
    rows: list[PositionRowOut]
    totals: dict[str, Any]


class PositionDiffRowOut(Schema):
    product_id: int
    product: str
    metric: str
    scope: str
    change: str
    before: PositionRowOut | None
    after: PositionRowOut | None


class LicenceAlertOut(Schema):
    kind: str
    message: str
    entitlement_id: int | None = None
    product_id: int | None = None
    due: dt.date | None = None


class SaasUsageRowIn(Schema):
    user: str = Field(min_length=1, max_length=254)
    last_active: dt.date | None = None


class SaasUsageImportIn(Schema):
    product_id: int
    rows: list[SaasUsageRowIn] = Field(max_length=100_000)
    replace: bool = True
