"""What an impact analysis answers: the report and its parts (see docs/impact.md).

Two kinds of affected CI are kept apart, because operators act on them differently:

* **infrastructure** — every affected CI that is not an end-user device: it is ``down`` or
  ``degraded`` as the engine says, counted per class, owned by teams;
* **end-user devices** — CIs of the built-in *Endpoint* class family (laptops, desktops, and
  whatever an administrator adds below it, marked by the class slug, not its name): a device
  that loses something it uses is not broken, its *user* is affected. Its state reads
  ``service_lost`` (the engine says DOWN) or ``service_degraded`` (DEGRADED), and it is
  counted with its user per service, site and department (:class:`UsersAffected`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from assetgraph.assets.models import Asset
from assetgraph.cmdb.models import CI, CIClass
from assetgraph.framework.flags import BusinessFlag, Money
from assetgraph.org.models import Department, Location, Person

__all__ = [
    "DEFAULT_LIMIT",
    "AssetFlag",
    "ClassCount",
    "FlaggedCI",
    "GroupCount",
    "ImpactMoney",
    "ImpactReport",
    "ImpactedCI",
    "ListedCI",
    "PathStep",
    "PersonToNotify",
    "ServiceCost",
    "ServiceUsers",
    "TeamToNotify",
    "UsersAffected",
    "ValuedCI",
]

DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class PathStep:
    """One CI on an impact chain; hidden CIs keep their place but not their name."""

    id: int | None
    display: str
    visible: bool


@dataclass(frozen=True, slots=True)
class ListedCI:
    """An affected CI as the lists and the detail page show it: the columns they read, not a
    model instance.

    Why: a storage array's answer lists ~220 CIs; building model instances (every column,
    six datetime conversions and the attribute JSON each) was the largest part of the lists'
    cost. ``attributes`` is read for business services only (their ``service_owner``); it is
    None for every other row.
    """

    pk: int
    name: str
    ci_class: CIClass
    criticality: int
    owning_team_id: int | None
    support_group_id: int | None
    attributes: dict[str, Any] | None = None

    @property
    def id(self) -> int:
        return self.pk

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class ImpactedCI:
    """An affected CI, its state, hop depth and the chain from a failed CI (``path[0]``) to
    it (``path[-1]``) that explains the state: all DOWN for ``down``/``service_lost``."""

    ci: ListedCI
    state: str
    depth: int
    path: list[PathStep]


@dataclass(frozen=True)
class ClassCount:
    """Affected visible infrastructure CIs of one class, per state."""

    ci_class: CIClass
    down: int
    degraded: int

    @property
    def total(self) -> int:
        return self.down + self.degraded


@dataclass(frozen=True)
class TeamToNotify:
    """A department owning or supporting affected or failed CIs.

    ``owns``/``supports``/``down`` count affected infrastructure (failed CIs excluded, as in
    every affected count); ``failed`` counts the failed CIs it owns or supports (it owns the
    fix), ``endpoints`` the affected end-user devices it owns or supports (its users call).
    """

    team: Department
    owns: int
    supports: int
    down: int
    services: list[str]
    failed: int = 0
    endpoints: int = 0


@dataclass(frozen=True)
class PersonToNotify:
    """A person to tell: an ``owner`` (of an affected service) or an affected ``user``
    (custodian of an end-user device that lost a service), with the service a user is
    grouped under (the first of theirs: lost ones first, then by name)."""

    person: Person
    reasons: list[str]
    role: str = "owner"
    group: CI | None = None


@dataclass(frozen=True)
class ServiceUsers:
    """Users affected through one service they use (directly, from their device)."""

    service: CI
    state: str
    people: int
    endpoints: int


@dataclass(frozen=True)
class GroupCount:
    """Users affected at one site or in one department (``key`` None: none, or one the
    caller may not see)."""

    key: Location | Department | None
    people: int
    endpoints: int


@dataclass
class UsersAffected:
    """End-user devices that lost (or have degraded) services, and their users."""

    people: int = 0
    endpoints: int = 0
    service_lost: int = 0
    service_degraded: int = 0
    by_service: list[ServiceUsers] = field(default_factory=list)
    by_site: list[GroupCount] = field(default_factory=list)
    by_department: list[GroupCount] = field(default_factory=list)


@dataclass(frozen=True)
class AssetFlag:
    """An ITAM fact about a CI on the impact path that matters during an outage."""

    ci: CI
    asset: Asset
    state: str  # failed, down or degraded
    warranty_end: dt.date | None
    warranty_expired: bool
    eol_date: dt.date | None
    past_end_of_life: bool


@dataclass(frozen=True)
class FlaggedCI:
    """A CI on the impact path with the business flags its owners' apps report, and (failed
    CIs) the net book value of its hardware."""

    ci: CI
    state: str  # failed, down or degraded
    flags: list[BusinessFlag]
    book_value: Money | None = None


@dataclass(frozen=True)
class ServiceCost:
    """The monthly cost of an affected business service."""

    ci: CI | ListedCI
    state: str
    monthly_cost: Money


@dataclass(frozen=True)
class ValuedCI:
    """A failed CI and the net book value of its hardware."""

    ci: CI
    book_value: Money


@dataclass
class ImpactMoney:
    """What the failure puts at stake (docs/both-layers.md): each listed service's monthly
    cost, the total of those that go down, and the failed hardware's net book value."""

    services: list[ServiceCost] = field(default_factory=list)
    down_monthly_cost: list[Money] = field(default_factory=list)
    failed: list[ValuedCI] = field(default_factory=list)
    failed_book_value: list[Money] = field(default_factory=list)


@dataclass
class ImpactReport:
    """Summary and one detail page of an impact analysis (see the module docstring).

    ``down``/``degraded`` count visible infrastructure; ``users`` the end-user devices and
    people; ``hidden`` every affected CI the caller may not see.
    """

    failed: list[CI]
    as_of: dt.datetime | None
    revision: int
    down: int = 0
    degraded: int = 0
    hidden: int = 0
    by_class: list[ClassCount] = field(default_factory=list)
    services: list[ImpactedCI] = field(default_factory=list)
    applications: list[ImpactedCI] = field(default_factory=list)
    teams: list[TeamToNotify] = field(default_factory=list)
    people: list[PersonToNotify] = field(default_factory=list)
    users: UsersAffected = field(default_factory=UsersAffected)
    flags: list[AssetFlag] = field(default_factory=list)
    business_flags: list[FlaggedCI] = field(default_factory=list)
    money: ImpactMoney = field(default_factory=ImpactMoney)
    truncated: list[str] = field(default_factory=list)
    # For each list in ``truncated``: how many it had before the cap (pages say "N of M").
    totals: dict[str, int] = field(default_factory=dict)
    details: list[ImpactedCI] = field(default_factory=list)
    details_count: int = 0
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    state_filter: str | None = None
    class_filter: CIClass | None = None

    @property
    def total(self) -> int:
        """Affected infrastructure CIs the caller may see (failed CIs excluded)."""
        return self.down + self.degraded

    @property
    def next_offset(self) -> int | None:
        """Offset of the next detail page, or None on the last."""
        end = self.offset + self.limit
        return end if end < self.details_count else None
