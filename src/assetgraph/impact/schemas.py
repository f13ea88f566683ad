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
    state: str | None = Field(None, description="detail filter: down or degraded")
    ci_class: int | None = Field(None, description="detail filter: class id (subclasses too)")
    limit: int = 50
    offset: int = 0
    max_depth: int | None = None


class RootCauseIn(Schema):
    """Symptom CIs, or a person and a service ("Minh can't reach Finance")."""

    symptoms: list[int | str] = Field(default_factory=list, description="ids or exact names")
    person: str | None = Field(None, description="employee number, e-mail or name")
    service: str | None = Field(None, description="the CI the person cannot reach")
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
    state: str
    depth: int
    criticality: int
    path: list[PathStepOut]


class ClassCountOut(Schema):
    ci_class: Ref
    down: int
    degraded: int
    total: int


class TeamOut(Schema):
    team: Ref
    owns: int
    supports: int
    down: int
    services: list[str]


class AffectedPersonOut(Schema):
    """A person an impact reaches, and why (not ``org``'s ``PersonOut``: one name, one schema
    in the OpenAPI document)."""

    person: Ref
    email: str
    reasons: list[str]


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
    affected: int
    down: int
    degraded: int
    hidden: int = Field(description="affected CIs you may not see (counted, never listed)")


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
    people: list[AffectedPersonOut]
    flags: list[FlagOut]
    truncated: list[str] = Field(description="lists cut at their cap (services, flags…)")
    details: DetailsOut


class RecentChangeOut(Schema):
    """A recent write near a root-cause candidate (not a change record's ``ChangeOut``)."""

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
    collateral: int
    collateral_truncated: bool
    max_distance: int
    evidence_points: int
    engine_rank: int
    own_changes: list[RecentChangeOut]
    nearby_changes: list[RecentChangeOut]
    paths: list[list[PathStepOut]]
    reasons: list[str]


class PersonPathOut(Schema):
    person: Ref
    service: Ref
    endpoints: list[Ref]
    paths: list[list[PathStepOut]]


class RootCauseOut(Schema):
    symptoms: list[Ref]
    since: dt.datetime
    candidates: list[CandidateOut]
    hidden_candidates: int
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
                "services": t.services,
            }
            for t in report.teams
        ],
        "people": [
            {"person": _ref(p.person), "email": p.person.email, "reasons": p.reasons}
            for p in report.people
        ],
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
        "since": report.since,
        "candidates": [_candidate(c) for c in report.candidates],
        "hidden_candidates": report.hidden_candidates,
        "person_path": _person_path(report.person_path),
    }
