"""API schemas of impact and root-cause analysis, and the one conversion of a report to JSON.

The CLI's ``--json`` prints the same documents as the API (``impact_document`` /
``root_cause_document``), so scripts can switch between the two.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from .analysis import ImpactedCI, ImpactReport, PathStep
from .report import GroupCount, UsersAffected
from .rootcause import Change, PersonPath, RankedCause, RootCauseReport


class Ref(Schema):
    """A reference to an object: its id and how it reads (documents are built as plain
    dicts, so unlike :class:`assetgraph.api.schemas.Ref` nothing is resolved here)."""

    id: int
    display: str


# --- input -------------------------------------------------------------------------------------


class ImpactIn(Schema):
    """What fails (ids or exact names) and which page of details to return."""

    cis: list[int | str] = Field(min_length=1, description="failed CIs: ids or exact names")
    as_of: str | None = Field(None, description="ISO timestamp: the estate as it was then")
    state: str | None = Field(
        None, description="detail filter: down, degraded, service_lost or service_degraded"
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
    ci: Ref
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
    ci_class: Ref
    down: int
    degraded: int
    total: int


class TeamOut(Schema):
    team: Ref
    owns: int = Field(description="affected infrastructure it owns (failed CIs excluded)")
    supports: int
    down: int
    failed: int = Field(description="failed CIs it owns or supports")
    endpoints: int = Field(description="affected end-user devices it owns or supports")
    services: list[str]


class PersonOut(Schema):
    person: Ref
    email: str
    role: str = Field(description="owner (of an affected service) or user (affected)")
    group: Ref | None = Field(description="for a user: the service they are listed under")
    reasons: list[str]


class ServiceUsersOut(Schema):
    service: Ref
    state: str
    people: int
    endpoints: int


class SiteUsersOut(Schema):
    site: Ref | None = Field(description="null: no site, or one you may not see")
    people: int
    endpoints: int


class DepartmentUsersOut(Schema):
    department: Ref | None = Field(description="null: no department, or one you may not see")
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
    ci: Ref
    asset: Ref
    asset_tag: str
    state: str
    warranty_end: dt.date | None
    warranty_expired: bool
    eol_date: dt.date | None
    past_end_of_life: bool


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
    ci_class: Ref | None
    results: list[ImpactedCIOut]


class ImpactOut(Schema):
    failed: list[Ref]
    as_of: dt.datetime | None
    revision: int
    summary: ImpactSummaryOut
    by_class: list[ClassCountOut]
    services: list[ImpactedCIOut]
    applications: list[ImpactedCIOut]
    teams: list[TeamOut]
    people: list[PersonOut] = Field(description="owners first, then users grouped by service")
    users: UsersOut
    flags: list[FlagOut]
    truncated: list[str] = Field(description="lists cut at their cap (services, flags…)")
    details: DetailsOut


class ChangeOut(Schema):
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
    ci: Ref
    ci_class: str
    operational_status: str
    coverage: int
    covered_down: list[Ref]
    covered_degraded: list[Ref]
    explained: list[Ref] = Field(
        description="unavailable symptoms it takes down, degraded ones it reaches"
    )
    matched: int = Field(description="explained symptoms in exactly the observed state")
    collateral: int
    collateral_truncated: bool
    max_distance: int
    evidence_points: int
    engine_rank: int
    own_changes: list[ChangeOut]
    nearby_changes: list[ChangeOut]
    paths: list[list[PathStepOut]]
    reasons: list[str]


class PersonPathOut(Schema):
    person: Ref
    service: Ref
    endpoints: list[Ref]
    paths: list[list[PathStepOut]]


class RootCauseOut(Schema):
    symptoms: list[Ref]
    degraded: list[Ref] = Field(description="the symptoms observed degraded (slow)")
    since: dt.datetime
    candidates: list[CandidateOut]
    hidden_candidates: int
    tied: int = Field(description="candidates explaining the symptoms as well as the first")
    tied_complete: bool = Field(description="false: the candidate cap may hide more ties")
    note: str | None = Field(description="says so in words when more are tied than shown")
    person_path: PersonPathOut | None


# --- conversion --------------------------------------------------------------------------------


def _ref(obj: Any) -> dict[str, Any]:
    return {"id": obj.pk, "display": str(obj)}


def _steps(path: list[PathStep]) -> list[dict[str, Any]]:
    return [{"id": s.id, "display": s.display, "visible": s.visible} for s in path]


def _impacted(item: ImpactedCI) -> dict[str, Any]:
    return {
        "ci": _ref(item.ci),
        "ci_class": str(item.ci.ci_class),
        "state": item.state,
        "depth": item.depth,
        "criticality": item.ci.criticality,
        "path": _steps(item.path),
    }


def impact_document(report: ImpactReport) -> dict[str, Any]:
    """The API/CLI JSON form of an :class:`ImpactReport`."""
    return {
        "failed": [_ref(c) for c in report.failed],
        "as_of": report.as_of,
        "revision": report.revision,
        "summary": {
            "affected": report.total,
            "down": report.down,
            "degraded": report.degraded,
            "hidden": report.hidden,
            "endpoints": report.users.endpoints,
            "people": report.users.people,
        },
        "by_class": [
            {"ci_class": _ref(c.ci_class), "down": c.down, "degraded": c.degraded, "total": c.total}
            for c in report.by_class
        ],
        "services": [_impacted(s) for s in report.services],
        "applications": [_impacted(s) for s in report.applications],
        "teams": [
            {
                "team": _ref(t.team),
                "owns": t.owns,
                "supports": t.supports,
                "down": t.down,
                "failed": t.failed,
                "endpoints": t.endpoints,
                "services": t.services,
            }
            for t in report.teams
        ],
        "people": [
            {
                "person": _ref(p.person),
                "email": p.person.email,
                "role": p.role,
                "group": _ref(p.group) if p.group is not None else None,
                "reasons": p.reasons,
            }
            for p in report.people
        ],
        "users": _users(report.users),
        "flags": [
            {
                "ci": _ref(f.ci),
                "asset": _ref(f.asset),
                "asset_tag": f.asset.asset_tag,
                "state": f.state,
                "warranty_end": f.warranty_end,
                "warranty_expired": f.warranty_expired,
                "eol_date": f.eol_date,
                "past_end_of_life": f.past_end_of_life,
            }
            for f in report.flags
        ],
        "truncated": report.truncated,
        "details": {
            "count": report.details_count,
            "limit": report.limit,
            "offset": report.offset,
            "next_offset": report.next_offset,
            "state": report.state_filter,
            "ci_class": _ref(report.class_filter) if report.class_filter else None,
            "results": [_impacted(d) for d in report.details],
        },
    }


def _groups(rows: list[GroupCount], key: str) -> list[dict[str, Any]]:
    return [
        {
            key: _ref(g.key) if g.key is not None else None,
            "people": g.people,
            "endpoints": g.endpoints,
        }
        for g in rows
    ]


def _users(users: UsersAffected) -> dict[str, Any]:
    return {
        "people": users.people,
        "endpoints": users.endpoints,
        "service_lost": users.service_lost,
        "service_degraded": users.service_degraded,
        "by_service": [
            {
                "service": _ref(u.service),
                "state": u.state,
                "people": u.people,
                "endpoints": u.endpoints,
            }
            for u in users.by_service
        ],
        "by_site": _groups(users.by_site, "site"),
        "by_department": _groups(users.by_department, "department"),
    }


def _change(change: Change) -> dict[str, Any]:
    return {
        "timestamp": change.timestamp,
        "object_type": change.object_type,
        "object_id": change.object_id,
        "object_repr": change.object_repr,
        "action": change.action,
        "changed_fields": change.changed_fields,
        "actor": change.actor,
        "scope": change.scope,
    }


def _candidate(cause: RankedCause) -> dict[str, Any]:
    return {
        "rank": cause.rank,
        "ci": _ref(cause.ci),
        "ci_class": str(cause.ci.ci_class),
        "operational_status": cause.ci.operational_status,
        "coverage": cause.coverage,
        "covered_down": [_ref(c) for c in cause.covered_down],
        "covered_degraded": [_ref(c) for c in cause.covered_degraded],
        "explained": [_ref(c) for c in cause.explained],
        "matched": cause.matched,
        "collateral": cause.collateral,
        "collateral_truncated": cause.collateral_truncated,
        "max_distance": cause.max_distance,
        "evidence_points": cause.evidence_points,
        "engine_rank": cause.engine_rank,
        "own_changes": [_change(c) for c in cause.own_changes],
        "nearby_changes": [_change(c) for c in cause.nearby_changes],
        "paths": [_steps(p) for p in cause.paths],
        "reasons": cause.reasons,
    }


def _person_path(path: PersonPath | None) -> dict[str, Any] | None:
    if path is None:
        return None
    return {
        "person": _ref(path.person),
        "service": _ref(path.service),
        "endpoints": [_ref(c) for c in path.endpoints],
        "paths": [_steps(p) for p in path.paths],
    }


def root_cause_document(report: RootCauseReport) -> dict[str, Any]:
    """The API/CLI JSON form of a :class:`RootCauseReport`."""
    return {
        "symptoms": [_ref(c) for c in report.symptoms],
        "degraded": [_ref(c) for c in report.degraded],
        "since": report.since,
        "candidates": [_candidate(c) for c in report.candidates],
        "hidden_candidates": report.hidden_candidates,
        "tied": report.tied,
        "tied_complete": report.tied_complete,
        "note": report.note,
        "person_path": _person_path(report.person_path),
    }
