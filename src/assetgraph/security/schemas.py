"""API schemas of the security app (names prefixed ``Security`` to stay unique in the
OpenAPI document); the filter schemas serve the API and the HTMX list pages alike."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.db.models import Q
from ninja import Field, FilterLookup, FilterSchema, Schema

from assetgraph.api.schemas import Ref

from .choices import FindingStatusChoices, SeverityChoices


class SecurityAdvisoryOut(Schema):
    id: int
    identifier: str
    source: str
    aliases: list[str]
    summary: str
    cvss_vector: str
    cvss_score: float | None
    severity: SeverityChoices
    published: dt.datetime | None
    modified: dt.datetime | None
    withdrawn: dt.datetime | None
    epss: float | None
    known_exploited: bool
    references: list[str]


class SecurityAdvisoryFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(["identifier__icontains", "summary__icontains"])] = Field(
        None, description="Search by identifier or summary"
    )
    severity: SeverityChoices | None = None
    known_exploited: bool | None = None
    withdrawn: bool | None = Field(None, description="Only withdrawn (true) or current (false)")

    def filter_withdrawn(self, value: bool | None) -> Q:
        return Q() if value is None else Q(withdrawn__isnull=not value)


class SecurityImportOut(Schema):
    files: int
    created: int
    updated: int
    unchanged: int
    withdrawn: int
    git_only: int = Field(
        0, description="Advisories whose only evidence is GIT ranges (matched by commit only)"
    )
    git_only_advisories: list[str] = Field(
        default_factory=list, description="Their ids (100 at most)"
    )
    matching: dict[str, int] | None = None


class SecurityExploitOut(Schema):
    changed: int


class SecurityFindingOut(Schema):
    id: int
    advisory: Ref
    advisory_identifier: str
    ci: Ref
    package: str
    package_key: str
    installed_version: str
    matched_by: str
    reason: str
    match_detail: dict[str, Any]
    fixed_version: str
    severity: SeverityChoices
    cvss_score: float | None
    priority: int
    priority_band: str
    priority_explanation: dict[str, Any]
    internet_exposed: bool
    service_tier: int | None
    exposure: dict[str, Any]
    owner: Ref | None
    status: FindingStatusChoices
    first_seen: dt.datetime
    last_seen: dt.datetime
    due_date: dt.date | None
    overdue: bool
    resolved_at: dt.datetime | None
    resolution: str
    accepted_by: str | None
    accepted_reason: str
    accepted_until: dt.date | None
    reopened_count: int

    @staticmethod
    def resolve_advisory_identifier(obj: Any) -> str:
        return str(obj.advisory.identifier)

    @staticmethod
    def resolve_accepted_by(obj: Any) -> str | None:
        return obj.accepted_by.username if obj.accepted_by_id else None

    @staticmethod
    def resolve_overdue(obj: Any) -> bool:
        from .reads import is_overdue

        return is_overdue(obj)


class SecurityFindingFilter(FilterSchema):
    q: Annotated[
        str | None,
        FilterLookup(
            ["advisory__identifier__icontains", "package__icontains", "ci__name__icontains"]
        ),
    ] = Field(None, description="Search by advisory, package or CI")
    status: FindingStatusChoices | None = None
    severity: SeverityChoices | None = None
    ci_id: int | None = None
    advisory_id: int | None = None
    owner_id: int | None = None
    internet_exposed: bool | None = None
    service: str | None = Field(None, description="A dependent business service's name or id")
    overdue: bool | None = Field(None, description="Active findings past their SLA due date")
    active: bool | None = Field(None, description="Open or in progress (true)")

    def filter_service(self, value: str | None) -> Q:
        if not value:
            return Q()
        from .reads import findings_of_service

        return Q(pk__in=findings_of_service(value))

    def filter_overdue(self, value: bool | None) -> Q:
        if value is None:
            return Q()
        from .reads import overdue_q

        return overdue_q() if value else ~overdue_q()

    def filter_active(self, value: bool | None) -> Q:
        if value is None:
            return Q()
        query = Q(status__in=["open", "in_progress"])
        return query if value else ~query


class SecurityStatusIn(Schema):
    status: FindingStatusChoices
    note: str = Field("", max_length=500)


class SecurityBulkStatusIn(Schema):
    ids: list[int] = Field(min_length=1, max_length=1000)
    status: FindingStatusChoices


class SecurityBulkOut(Schema):
    changed: int


class SecurityAcceptIn(Schema):
    reason: str = Field(min_length=1, max_length=2000)
    until: dt.date
    approver_id: int | None = Field(None, description="Defaults to the caller")


class SecurityBlastRadiusOut(Schema):
    advisory: str
    findings: int
    cis: list[dict[str, Any]]
    services: list[dict[str, Any]]
    internet_exposed: int


class SecurityEolCycleOut(Schema):
    id: int
    product: str
    cycle: str
    release_date: dt.date | None
    support_end: dt.date | None
    eol: dt.date | None
    eol_reached: bool
    latest: str

    @staticmethod
    def resolve_product(obj: Any) -> str:
        return str(obj.product.slug)


class SecurityEolFilter(FilterSchema):
    product: Annotated[str | None, FilterLookup("product__slug")] = None


class SecurityEolRowOut(Schema):
    kind: str
    ci: Ref | None
    asset: Ref | None
    product: str
    version: str
    cycle: str
    eol: dt.date | None
    status: str
    days_left: int | None


class SecurityPolicyIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    scope_class_id: int | None = None
    scope_filter: dict[str, Any] = Field(default_factory=dict)
    condition: dict[str, Any]
    severity: SeverityChoices = SeverityChoices.MEDIUM
    enabled: bool = True


class SecurityPolicyPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = None
    scope_class_id: int | None = None
    scope_filter: dict[str, Any] | None = None
    condition: dict[str, Any] | None = None
    severity: SeverityChoices | None = None
    enabled: bool | None = None


class SecurityPolicyOut(Schema):
    id: int
    name: str
    description: str
    scope_class: Ref | None
    scope_filter: dict[str, Any]
    condition: dict[str, Any]
    severity: SeverityChoices
    enabled: bool


class SecurityPolicyFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup("name__icontains")] = None
    enabled: bool | None = None


class SecurityPolicyRunOut(Schema):
    id: int
    evaluated_at: dt.datetime
    trigger: str
    in_scope: int
    passed: int
    failed: int
    exempt: int


class SecurityPolicyResultOut(Schema):
    ci: Ref
    outcome: str
    detail: str


class SecurityExceptionIn(Schema):
    policy_id: int
    ci_id: int
    reason: str = Field(min_length=1, max_length=2000)
    expires: dt.date


class SecurityExceptionPatch(Schema):
    reason: str | None = Field(None, min_length=1, max_length=2000)
    expires: dt.date | None = None


class SecurityExceptionOut(Schema):
    id: int
    policy: Ref
    ci: Ref
    reason: str
    approved_by: str | None
    expires: dt.date

    @staticmethod
    def resolve_approved_by(obj: Any) -> str | None:
        return obj.approved_by.username if obj.approved_by_id else None


class SecurityExceptionFilter(FilterSchema):
    policy_id: int | None = None
    ci_id: int | None = None


class SecurityEvidenceIn(Schema):
    as_of: dt.datetime
    period_start: dt.datetime | None = None


class SecurityEvidenceOut(Schema):
    id: int
    as_of: dt.datetime
    period_start: dt.datetime | None
    reports: list[str]
    manifest_sha256: str
    requested_by: str | None
    created: dt.datetime

    @staticmethod
    def resolve_requested_by(obj: Any) -> str | None:
        return obj.requested_by.username if obj.requested_by_id else None


class SecurityDashboardOut(Schema):
    by_severity: dict[str, int]
    by_status: dict[str, int]
    by_age: dict[str, int]
    by_service: list[dict[str, Any]]
    overdue: int
    internet_exposed: int
    eol: dict[str, int]
    policies: list[dict[str, Any]]
