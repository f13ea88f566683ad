"""API schemas of change records and blackout windows (``XIn``/``XPatch``/``XOut``/``XFilter``).

The filter schemas serve the API list endpoints and the HTMX list pages alike.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, Literal

from django.db.models import Q
from ninja import Field, FilterLookup, FilterSchema, Schema

from assetgraph.api.schemas import Ref
from assetgraph.impact.schemas import FlaggedCIOut, ImpactMoneyOut

from .lifecycle import TRANSITIONS, ChangeStateChoices, ChangeTypeChoices

#: The names of the change lifecycle's transitions (schedule, start, complete, ...).
if TYPE_CHECKING:
    TransitionName = str
else:
    TransitionName = Literal[tuple(TRANSITIONS)]


class ChangeCIIn(Schema):
    ci_id: int
    takes_down: bool = True


class ChangeCIOut(Schema):
    ci: Ref
    ci_class: str
    takes_down: bool

    @staticmethod
    def resolve_ci_class(obj: Any) -> str:
        return str(obj.ci.ci_class)


class ChangeIn(Schema):
    title: str = Field(min_length=1, max_length=200)
    description: str = ""
    change_type: ChangeTypeChoices = ChangeTypeChoices.NORMAL
    planned_start: dt.datetime | None = None
    planned_end: dt.datetime | None = None
    requester_id: int | None = None
    owner_id: int | None = None
    team_id: int | None = None
    cis: list[ChangeCIIn] = Field(default_factory=list, max_length=500)


class ChangePatch(Schema):
    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = None
    change_type: ChangeTypeChoices | None = None
    planned_start: dt.datetime | None = None
    planned_end: dt.datetime | None = None
    requester_id: int | None = None
    owner_id: int | None = None
    team_id: int | None = None
    cis: list[ChangeCIIn] | None = Field(None, max_length=500)


class ChangeOut(Schema):
    id: int
    number: str
    title: str
    description: str
    change_type: str
    state: str
    planned_start: dt.datetime | None
    planned_end: dt.datetime | None
    actual_start: dt.datetime | None
    actual_end: dt.datetime | None
    requester: Ref | None
    owner: Ref | None
    team: Ref | None
    outcome: str
    cis: list[ChangeCIOut]
    transitions: list[str]

    @staticmethod
    def resolve_cis(obj: Any) -> list[Any]:
        return list(obj.items.all())

    @staticmethod
    def resolve_transitions(obj: Any) -> list[str]:
        from .lifecycle import available_transitions

        return [t.name for t in available_transitions(obj.state, obj.change_type)]


class ChangeFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(["title__icontains", "description__icontains"])] = Field(
        None, description="Search by title or description"
    )
    state: ChangeStateChoices | None = None
    change_type: ChangeTypeChoices | None = None
    ci_id: int | None = Field(None, description="Changes touching this CI")
    team_id: int | None = None
    starts_after: dt.datetime | None = Field(None, description="Planned start at or after")
    starts_before: dt.datetime | None = Field(None, description="Planned start before")

    def filter_ci_id(self, value: int | None) -> Q:
        return Q() if value is None else Q(items__ci_id=value)

    def filter_starts_after(self, value: dt.datetime | None) -> Q:
        return Q() if value is None else Q(planned_start__gte=value)

    def filter_starts_before(self, value: dt.datetime | None) -> Q:
        return Q() if value is None else Q(planned_start__lt=value)


class ChangeTransitionIn(Schema):
    transition: TransitionName = Field(description="one of the change lifecycle's transitions")
    reason: str = Field("", max_length=2000)


class BlackoutIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    start: dt.datetime
    end: dt.datetime
    scope: list[int] = Field(default_factory=list, max_length=500)


class BlackoutPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    scope: list[int] | None = Field(None, max_length=500)


class BlackoutOut(Schema):
    id: int
    name: str
    description: str
    start: dt.datetime
    end: dt.datetime
    scope: list[Ref]

    @staticmethod
    def resolve_scope(obj: Any) -> list[Any]:
        return list(obj.scope.all())


class BlackoutFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(["name__icontains", "description__icontains"])] = Field(
        None, description="Search by name or description"
    )
    active_at: dt.datetime | None = Field(None, description="Windows covering this time")

    def filter_active_at(self, value: dt.datetime | None) -> Q:
        return Q() if value is None else Q(start__lte=value, end__gt=value)


class RiskFactorOut(Schema):
    name: str
    points: float
    detail: str


class RiskOut(Schema):
    score: int
    band: str
    factors: list[RiskFactorOut]


class AssessedCI(Schema):
    id: int
    display: str
    ci_class: str
    criticality: int | None = None


class RedundancyLossOut(AssessedCI):
    members: int
    members_down: int
    tolerates: int


class ConflictOut(Schema):
    change: Ref
    state: str
    planned_start: dt.datetime | None
    planned_end: dt.datetime | None
    shared_cis: list[AssessedCI]
    shared_services: list[AssessedCI]
    together_down: list[AssessedCI]
    # False: the cap on pairwise runs left this pair out (``together_down`` is then empty)
    together_checked: bool


class BlackoutHitOut(Schema):
    id: int
    display: str
    start: dt.datetime
    end: dt.datetime


class FailureOut(Schema):
    id: int
    display: str
    planned_start: dt.datetime | None
    outcome: str


class DecommissionOut(Schema):
    id: int
    display: str
    planned_retirement: dt.date


class AssessmentOut(Schema):
    change: Ref
    risk: RiskOut
    down_cis: list[AssessedCI]
    affected_count: int
    services_down: list[AssessedCI]
    services_degraded: list[AssessedCI]
    teams: list[Ref]
    people: list[Ref]
    people_count: int
    redundancy_lost: list[RedundancyLossOut]
    conflicts: list[ConflictOut]
    blackouts: list[BlackoutHitOut]
    recent_failures: list[FailureOut]
    notes: list[str]
    business_flags: list[FlaggedCIOut] = Field(
        description="business flags of the CIs the change takes down and the services it hits"
    )
    money: ImpactMoneyOut = Field(description="what the change risks: service costs, book value")
    decommissions: list[DecommissionOut] = Field(
        description="CIs it touches that are planned for decommissioning by its end"
    )
