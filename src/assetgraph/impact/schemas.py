"""API schemas of impact and root-cause analysis, and the one conversion of a report to JSON.

The CLI's ``--json`` prints the same documents as the API (``impact_document`` /
``root_cause_document``), so scripts can switch between the two.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from ninja import Schema
from pydantic import Field, StringConstraints

from assetgraph.api.fast import Sources, dump
from assetgraph.api.formats import INSTANT_PATTERN, NAME_PATTERN

from .analysis import ImpactReport
from .rootcause import RootCauseReport

#: A CI named by a person: its id or exact name, never blank.
CIName = Annotated[str, StringConstraints(pattern=NAME_PATTERN, max_length=300)]


class ImpactRef(Schema):
    """A reference to an object: its id and how it reads (documents are built as plain
    dicts, so unlike :class:`assetgraph.api.schemas.ImpactRef` nothing is resolved here)."""

    id: int
    display: str


# --- input -------------------------------------------------------------------------------------


class ImpactIn(Schema):
    """What fails (ids or exact names) and which page of details to return."""

    cis: list[int | CIName] = Field(min_length=1, description="failed CIs: ids or exact names")
    as_of: str | None = Field(
        None, pattern=INSTANT_PATTERN, description="ISO timestamp: the estate as it was then"
    )
    state: str | None = Field(
        None,
        description="detail filter: down, degraded, service_lost, service_degraded, "
        "infrastructure (no end-user devices) or devices (end-user devices only)",
    )
    ci_class: int | None = Field(None, description="detail filter: class id (subclasses too)")
    limit: int = 50
    offset: int = 0
    max_depth: int | None = None


class RootCauseIn(Schema):
    """Symptom CIs, or a person and a service ("Minh can't reach Finance")."""

    symptoms: list[int | str] = Field(
        default_factory=list, description="unavailable CIs: ids or exact names"
    )
    degraded: list[int | str] = Field(
        default_factory=list, description="degraded (slow) CIs: ids or exact names"
    )
    person: str | None = Field(None, description="employee number, e-mail or name")
    service: str | None = Field(None, description="the CI the person cannot reach")
    slow: bool = Field(False, description="with person/service: it is slow, not unavailable")
    window_days: int = Field(7, description="how far back changes count as evidence")
    limit: int = 10


# --- output ------------------------------------------------------------------------------------


class PathStepOut(Schema):
    id: int | None
    display: str
    visible: bool


class ImpactedCIOut(Schema):
    ci: ImpactRef
    ci_class: str
    state: str = Field(
        description="down or degraded; an end-user device: service_lost or service_degraded"
    )
    depth: int
    criticality: int
    path: list[PathStepOut] = Field(
        description="from a failed CI to this one; all down for down and service_lost"
    )


class ClassCountOut(Schema):
    ci_class: ImpactRef
    down: int
    degraded: int
    total: int


class TeamOut(Schema):
    team: ImpactRef
    owns: int = Field(description="affected infrastructure it owns (failed CIs excluded)")
    supports: int
    down: int
    failed: int = Field(description="failed CIs it owns or supports")
    endpoints: int = Field(description="affected end-user devices it owns or supports")
    services: list[str]


class PersonToNotifyOut(Schema):
    person: ImpactRef
    email: str
    role: str = Field(description="owner (of an affected service) or user (affected)")
    group: ImpactRef | None = Field(description="for a user: the service they are listed under")
    reasons: list[str]


class ServiceUsersOut(Schema):
    service: ImpactRef
    state: str
    people: int
    endpoints: int


class SiteUsersOut(Schema):
    site: ImpactRef | None = Field(description="null: no site, or one you may not see")
    people: int
    endpoints: int


class DepartmentUsersOut(Schema):
    department: ImpactRef | None = Field(description="null: no department, or one you may not see")
    people: int
    endpoints: int


class UsersOut(Schema):
    """End-user devices that lost (or have degraded) a service they use, and their users."""

    people: int
    endpoints: int
    service_lost: int
    service_degraded: int
    by_service: list[ServiceUsersOut]
    by_site: list[SiteUsersOut]
    by_department: list[DepartmentUsersOut]


class FlagOut(Schema):
    ci: ImpactRef
    asset: ImpactRef
    asset_tag: str
    state: str
    warranty_end: dt.date | None
    warranty_expired: bool
    eol_date: dt.date | None
    past_end_of_life: bool


class BusinessFlagOut(Schema):
    kind: str = Field(description="out_of_warranty, no_support_contract, unlicensed_software…")
    label: str
    detail: str = Field(description="the fact that makes the flag checkable")
    evidence: str = Field(description="path of the page that shows the evidence")


class MoneyOut(Schema):
    amount: Decimal
    currency: str


class FlaggedCIOut(Schema):
    ci: ImpactRef
    ci_class: str
    state: str = Field(description="failed, down or degraded")
    flags: list[BusinessFlagOut]
    book_value: MoneyOut | None = Field(description="net book value (failed hardware)")


class ServiceCostOut(Schema):
    ci: ImpactRef
    state: str
    criticality: int
    monthly_cost: MoneyOut


class ValuedCIOut(Schema):
    ci: ImpactRef
    book_value: MoneyOut


class ImpactMoneyOut(Schema):
    services: list[ServiceCostOut] = Field(description="monthly cost of each listed service")
    down_monthly_cost: list[MoneyOut] = Field(
        description="monthly cost of the services that go down (one total per currency)"
    )
    failed: list[ValuedCIOut]
    failed_book_value: list[MoneyOut]


class ImpactSummaryOut(Schema):
    affected: int = Field(description="affected infrastructure (end-user devices: users)")
    down: int
    degraded: int
    hidden: int = Field(description="affected CIs you may not see (counted, never listed)")
    endpoints: int = Field(description="end-user devices that lost or have degraded services")
    people: int = Field(description="their users (those you may see)")


class DetailsOut(Schema):
    count: int
    limit: int
    offset: int
    next_offset: int | None
    state: str | None
    ci_class: ImpactRef | None
    results: list[ImpactedCIOut]


class ImpactOut(Schema):
    failed: list[ImpactRef]
    as_of: dt.datetime | None
    revision: int
    summary: ImpactSummaryOut
    by_class: list[ClassCountOut]
    services: list[ImpactedCIOut]
    applications: list[ImpactedCIOut]
    teams: list[TeamOut]
    people: list[PersonToNotifyOut] = Field(
        description="owners first, then users grouped by service"
    )
    users: UsersOut
    flags: list[FlagOut]
    business_flags: list[FlaggedCIOut] = Field(
        description="business flags of the failed CIs and the affected infrastructure"
    )
    money: ImpactMoneyOut
    truncated: list[str] = Field(description="lists cut at their cap (services, flags…)")
    totals: dict[str, int] = Field(
        default_factory=dict, description="for each cut list, how many it had before the cap"
    )
    details: DetailsOut


class EvidenceChangeOut(Schema):
    timestamp: dt.datetime
    object_type: str
    object_id: int
    object_repr: str
    action: str
    changed_fields: list[str]
    actor: str
    scope: str


class CandidateOut(Schema):
    rank: int
    ci: ImpactRef
    ci_class: str
    operational_status: str
    coverage: int
    covered_down: list[ImpactRef]
    covered_degraded: list[ImpactRef]
    explained: list[ImpactRef] = Field(
        description="unavailable symptoms it takes down, degraded ones it reaches"
    )
    matched: int = Field(description="explained symptoms in exactly the observed state")
    collateral: int
    collateral_truncated: bool
    max_distance: int
    evidence_points: int
    engine_rank: int
    own_changes: list[EvidenceChangeOut]
    nearby_changes: list[EvidenceChangeOut]
    business_flags: list[BusinessFlagOut] = Field(
        description="its business flags; out of support or past end of life are evidence"
    )
    recent_repair: dt.datetime | None = Field(
        description="when its asset was last sent for or returned from repair in the window"
    )
    paths: list[list[PathStepOut]]
    reasons: list[str]


class PersonPathOut(Schema):
    person: ImpactRef
    service: ImpactRef
    endpoints: list[ImpactRef]
    paths: list[list[PathStepOut]]


class RootCauseOut(Schema):
    symptoms: list[ImpactRef]
    degraded: list[ImpactRef] = Field(description="the symptoms observed degraded (slow)")
    since: dt.datetime
    candidates: list[CandidateOut]
    hidden_candidates: int
    tied: int = Field(description="candidates explaining the symptoms as well as the first")
    tied_complete: bool = Field(description="false: the candidate cap may hide more ties")
    note: str | None = Field(description="says so in words when more are tied than shown")
    person_path: PersonPathOut | None


# --- conversion --------------------------------------------------------------------------------


def _same(obj: Any) -> Any:
    return obj


# Where a field reads from the analysis reports (dataclasses), when not an attribute of the
# same name; the schemas above stay the only description of the documents' shape.
SOURCES: Sources = {
    ImpactRef: {"id": "pk", "display": str},
    ImpactOut: {"summary": _same, "details": _same},
    ImpactSummaryOut: {
        "affected": "total",
        "endpoints": "users.endpoints",
        "people": "users.people",
    },
    SiteUsersOut: {"site": "key"},
    DepartmentUsersOut: {"department": "key"},
    ImpactedCIOut: {
        "ci_class": lambda item: str(item.ci.ci_class),
        "criticality": "ci.criticality",
    },
    PersonToNotifyOut: {"email": "person.email"},
    FlagOut: {"asset_tag": "asset.asset_tag"},
    FlaggedCIOut: {"ci_class": lambda item: str(item.ci.ci_class)},
    ServiceCostOut: {"criticality": "ci.criticality"},
    DetailsOut: {
        "count": "details_count",
        "state": "state_filter",
        "ci_class": "class_filter",
        "results": "details",
    },
    CandidateOut: {
        "ci_class": lambda cause: str(cause.ci.ci_class),
        "operational_status": "ci.operational_status",
    },
}


def impact_document(report: ImpactReport) -> dict[str, Any]:
    """The API/CLI JSON form of an :class:`ImpactReport` (built from ``ImpactOut``)."""
    return dump(ImpactOut, report, sources=SOURCES)


def root_cause_document(report: RootCauseReport) -> dict[str, Any]:
    """The API/CLI JSON form of a :class:`RootCauseReport` (built from ``RootCauseOut``)."""
    return dump(RootCauseOut, report, sources=SOURCES)
