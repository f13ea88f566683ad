"""Change impact assessment: what a change takes down, what it collides with, how risky it is.

For one change record this answers, from the estate graph as it is now:

* **impact** — the business services the change takes *down* or leaves *degraded*, the
  people (custodians of affected endpoints) and teams (owners of affected services);
* **redundancy lost** — redundancy groups (farms, clusters, pools) that go from OK to degraded:
  the change consumes the spare capacity that would have absorbed an unplanned failure;
* **conflicts** — other non-cancelled changes whose window overlaps *and* whose impact overlaps
  (a shared CI or a shared impacted service), with what the two together take down that
  neither does alone (pairwise engine runs are skipped when provably empty and capped:
  :data:`TOGETHER_RULE`);
* **blackouts** — blackout windows the change falls into (global ones, or ones whose scope it
  touches or impacts);
* **recent failures** — failed changes on the same CIs shortly before this one;
* a **risk score** (0-100) and band, from the documented formula in :data:`RISK_FORMULA`.

The objective facts (the score and its factors) are computed over the whole estate, so every
user sees the same risk for the same change; the *lists* (services, people, conflicting
changes, blackouts) only name what the user may view (``restrict``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from django.db.models import Q, QuerySet
from django.utils import timezone

from assetgraph.accounts.permissions import has_perm, restrict
from assetgraph.api.fast import Sources, dump, dumper
from assetgraph.assets.models import Asset
from assetgraph.cmdb.context import service_class_ids
from assetgraph.cmdb.models import CI, CIClass
from assetgraph.framework.flags import IdList
from assetgraph.impact import schemas as impact_schemas
from assetgraph.impact.business import flag_rows, money_at_stake
from assetgraph.impact.estate import EstateGraph, estate_graph
from assetgraph.impact.objective import (
    DOWN,
    I64,
    LRU,
    EstateImpact,
    asset_ids_of,
    cached_impact_of,
    down_only_together,
    groups_left_degraded,
    may_take_down_together,
    node_kinds,
    revision_key,
    touched_of_kind,
)
from assetgraph.impact.objective import clear_caches as clear_impact_cache
from assetgraph.impact.report import FlaggedCI, ImpactMoney, ListedCI
from assetgraph.impact.schemas import SOURCES as IMPACT_SOURCES
from assetgraph.org.models import Department, Person

from . import schemas as change_schemas
from .lifecycle import ChangeStateChoices, ChangeTypeChoices
from .models import BlackoutWindow, ChangeCI, ChangeRecord

RECENT_FAILURE_DAYS = 90
MAX_LISTED = 200
# Pairwise "together" engine runs per assessment, at most (see TOGETHER_RULE).
MAX_TOGETHER_RUNS = 8
FACTS_CACHE_SIZE = 256
# The CI fields an assessment's lists read (name, tier, class, owning team for the teams list),
# as rows for :class:`~assetgraph.impact.report.ListedCI`: no model instances (a change under
# a hypervisor lists ~2,000 services; ~4,000 instances cost ~100 ms and, alive while the
# request runs, are promoted to the collector's oldest generation and bring its full passes)
LISTED_FIELDS = ("pk", "name", "ci_class_id", "criticality", "owning_team_id", "support_group_id")
PRESENTED_CI_FIELDS = ("name", "criticality", "owning_team", "ci_class", "ci_class__name")
TOGETHER_RULE = (
    "For each conflicting change the assessment names what the two changes take down only "
    "together (business services and redundancy groups that neither takes down alone). That "
    "needs no engine run unless some redundancy group is left degraded by both changes and "
    "the members each takes down, added, reach the number that takes the group down: "
    "nothing else can go down only together, so the answer (none) is exact. Of the "
    "conflicts that do "
    f"need a run, at most {MAX_TOGETHER_RUNS} get one: those sharing the most CIs and "
    "impacted services (shared CIs + shared services, most first; ties in window order: "
    "planned start, then id). The others are marked not checked and the assessment says how "
    "many; every conflict still counts towards the risk score."
)
CHUNK = 2_000  # ids per SQL IN list (SQLite limits query parameters)

# ----------------------------------------------------------------------------- risk formula
TIER_POINTS = {1: 30, 2: 20, 3: 10, 4: 5}
TYPE_POINTS = {
    ChangeTypeChoices.STANDARD.value: 0,
    ChangeTypeChoices.NORMAL.value: 5,
    ChangeTypeChoices.EMERGENCY.value: 15,
}
SIZE_CAP, REDUNDANCY_EACH, REDUNDANCY_CAP = 20, 5, 15
FAILURE_EACH, FAILURE_CAP = 10, 20
CONFLICT_EACH, CONFLICT_CAP, BLACKOUT_POINTS = 5, 10, 10
BANDS = ((75, "critical"), (50, "high"), (25, "medium"), (0, "low"))
RISK_FORMULA = (
    "criticality: 30/20/10/5 points for the most critical impacted service of tier 1/2/3/4 "
    "(half when it is only degraded); size: 5 x log10(1 + affected CIs), at most 20; "
    "redundancy lost: 5 per group left without spare capacity, at most 15; recent failures: "
    "10 per failed change on the "
    f"same CIs in the {RECENT_FAILURE_DAYS} days before the window, at most 20; type: standard "
    "0, normal 5, emergency 15; conflicts: 5 per conflicting change (each counts, whether or "
    "not its 'together' run was made), at most 10; blackout: 10. "
    "Total capped at 100. Bands: low < 25 <= medium < 50 <= high < 75 <= critical."
)


@dataclass(frozen=True)
class RiskFactor:
    """One term of the risk score, with the facts behind it."""

    name: str
    points: float
    detail: str


@dataclass(frozen=True)
class Risk:
    """The change's risk: score (0-100), band and the factors that add up to it."""

    score: int
    band: str
    factors: list[RiskFactor]


def band_of(score: float) -> str:
    """``low`` / ``medium`` / ``high`` / ``critical`` for a score."""
    return next(name for floor, name in BANDS if score >= floor)


def risk_score(
    *,
    service_tiers: Iterable[tuple[int, bool]],
    affected: int,
    redundancy_lost: int,
    recent_failures: int,
    change_type: str,
    conflicts: int,
    in_blackout: bool,
) -> Risk:
    """The documented formula (:data:`RISK_FORMULA`) as a pure function, so tests pin it.

    ``service_tiers`` holds ``(tier, is_down)`` of every impacted service.
    """
    crit, worst = 0.0, ""
    for tier, is_down in service_tiers:
        points = TIER_POINTS.get(int(tier), 5) * (1.0 if is_down else 0.5)
        if points > crit:
            crit, worst = points, f"tier {tier} service {'down' if is_down else 'degraded'}"
    size = min(SIZE_CAP, 5 * math.log10(1 + max(affected, 0)))
    factors = [
        RiskFactor("criticality", crit, worst or "no business service impacted"),
        RiskFactor("size", round(size, 1), f"{affected} CIs affected"),
        RiskFactor(
            "redundancy lost",
            min(REDUNDANCY_CAP, REDUNDANCY_EACH * redundancy_lost),
            f"{redundancy_lost} redundancy group(s) left without spare capacity",
        ),
        RiskFactor(
            "recent failures",
            min(FAILURE_CAP, FAILURE_EACH * recent_failures),
            f"{recent_failures} failed change(s) on the same CIs in {RECENT_FAILURE_DAYS} days",
        ),
        RiskFactor("change type", TYPE_POINTS.get(change_type, 5), f"{change_type} change"),
        RiskFactor(
            "conflicts",
            min(CONFLICT_CAP, CONFLICT_EACH * conflicts),
            f"{conflicts} conflicting change(s) in the same window",
        ),
        RiskFactor(
            "blackout",
            BLACKOUT_POINTS if in_blackout else 0,
            "inside a blackout window" if in_blackout else "no blackout window",
        ),
    ]
    total = min(100, round(sum(f.points for f in factors)))
    return Risk(score=int(total), band=band_of(total), factors=factors)


# ----------------------------------------------------------------------------- estate impact
@dataclass(frozen=True)
class ServiceHit:
    """An impacted business service and how badly."""

    ci: ListedCI
    state: str  # "down" | "degraded"


@dataclass(frozen=True)
class RedundancyLoss:
    """A redundancy group left degraded: members down of members, and what it tolerates."""

    ci: ListedCI
    members: int
    members_down: int
    tolerates: int


@dataclass(frozen=True)
class ChangeConflict:
    """Another change in an overlapping window whose impact overlaps this one's."""

    change: ChangeRecord
    shared_cis: list[ListedCI]
    shared_services: list[ListedCI]
    together_down: list[ListedCI]
    # False when the cap (TOGETHER_RULE) left the pair's "together" run out
    together_checked: bool = True


@dataclass(frozen=True)
class Decommission:
    """A CI the change touches that is planned for decommissioning by the change's end."""

    ci: CI
    planned_retirement: dt.date


@dataclass
class Assessment:
    """Everything the change page, the API and ``assetgraph change assess`` show."""

    change: ChangeRecord
    down_cis: list[CI]
    services: list[ServiceHit]
    affected_count: int
    teams: list[Department]
    people: list[Person]
    people_count: int
    redundancy_lost: list[RedundancyLoss]
    conflicts: list[ChangeConflict]
    blackouts: list[BlackoutWindow]
    recent_failures: list[ChangeRecord]
    risk: Risk
    notes: list[str] = field(default_factory=list)
    business_flags: list[FlaggedCI] = field(default_factory=list)
    money: ImpactMoney = field(default_factory=ImpactMoney)
    decommissions: list[Decommission] = field(default_factory=list)

    @property
    def services_down(self) -> list[ServiceHit]:
        return [s for s in self.services if s.state == "down"]

    @property
    def services_degraded(self) -> list[ServiceHit]:
        return [s for s in self.services if s.state == "degraded"]


def _state_name(state: int) -> str:
    return "down" if state == DOWN else "degraded"


def _visible(user: Any, queryset: QuerySet[Any]) -> QuerySet[Any]:
    """``restrict`` for users; system callers (the CLI without ``--user``) see everything."""
    return queryset if user is None else restrict(queryset, user, "view")


def _overlapping(change: ChangeRecord) -> QuerySet[ChangeRecord]:
    """Other non-cancelled changes whose planned window overlaps this one's."""
    if not (change.planned_start and change.planned_end):
        return ChangeRecord.objects.none()
    return (
        ChangeRecord.objects.exclude(pk=change.pk)
        .exclude(state=ChangeStateChoices.CANCELLED)
        .filter(planned_start__lt=change.planned_end, planned_end__gt=change.planned_start)
        .order_by("planned_start", "pk")
    )


def _items(change_ids: Iterable[int]) -> dict[int, list[tuple[int, bool]]]:
    found: dict[int, list[tuple[int, bool]]] = {}
    for change_id, ci_id, down in ChangeCI.objects.filter(
        change_id__in=list(change_ids)
    ).values_list("change_id", "ci_id", "takes_down"):
        found.setdefault(change_id, []).append((ci_id, down))
    return found


def _blackouts(change: ChangeRecord, touched: tuple[I64, ...]) -> list[BlackoutWindow]:
    """Blackout windows overlapping the change that are global or scoped to what it touches
    (``touched``: arrays of CIs, not merged: most changes overlap no window)."""
    if not (change.planned_start and change.planned_end):
        return []
    overlapping = list(
        BlackoutWindow.objects.filter(start__lt=change.planned_end, end__gt=change.planned_start)
        .prefetch_related("scope")
        .order_by("start", "pk")
    )
    applies = []
    for window in overlapping:
        scope = np.array([ci.pk for ci in window.scope.all()], dtype=np.int64)
        if scope.size == 0 or any(np.isin(scope, part).any() for part in touched):
            applies.append(window)
    return applies


def _recent_failures(change: ChangeRecord, ci_ids: list[int]) -> QuerySet[ChangeRecord]:
    """Failed changes on any of the same CIs in the days before this change's window."""
    anchor = change.planned_start or timezone.now()
    since = anchor - dt.timedelta(days=RECENT_FAILURE_DAYS)
    # When it ran (actual end) or was planned to run: either inside the look-back window.
    ended = Q(actual_end__gte=since, actual_end__lte=anchor) | Q(
        planned_start__gte=since, planned_start__lte=anchor
    )
    return (
        ChangeRecord.objects.filter(state=ChangeStateChoices.FAILED, items__ci_id__in=ci_ids)
        .filter(ended)
        .exclude(pk=change.pk)
        .distinct()
        .order_by("-planned_start")
    )


@dataclass(frozen=True, eq=False)
class _Facts:
    """The objective part of an assessment (same for every reader), cached per process."""

    mine: EstateImpact
    states: dict[int, int]
    groups: list[tuple[int, int, int, int]]
    # (other change, shared CIs, shared services, down only together, together checked)
    conflicts: list[tuple[ChangeRecord, tuple[int, ...], tuple[int, ...], tuple[int, ...], bool]]
    blackouts: list[BlackoutWindow]
    failures: list[ChangeRecord]
    risk: Risk
    not_checked: int  # conflicts whose "together" run the cap left out


_FACTS: LRU[tuple[Any, ...], _Facts] = LRU(FACTS_CACHE_SIZE)


def clear_caches() -> None:
    """Forget cached assessment facts and impacts (tests; after a bulk load outside the
    services, which writes no audit event to move the revision)."""
    _FACTS.clear()
    clear_impact_cache()


def assess_change(change: ChangeRecord, user: Any = None) -> Assessment:
    """Assess a change now: impact, redundancy lost, conflicts, blackouts, risk.

    ``user`` narrows the *lists* to what they may view (``None``: everything, for the CLI's
    system actor); the score is computed over the whole estate.

    The objective facts are cached per process (LRU of :data:`FACTS_CACHE_SIZE`) by the
    estate's audit revision (:func:`~assetgraph.impact.objective.revision_key`: every write
    through a service appends an audit event, so no cached answer outlives a write), the
    change's window, type and items, and the overlapping changes with their items. A change
    without a planned start is not cached: its failure look-back is anchored on "now".
    """
    eg = estate_graph()
    items = _items([change.pk]).get(change.pk, [])
    others = list(_overlapping(change))
    other_items = _items(o.pk for o in others)
    key = (
        revision_key(eg),
        change.pk,
        change.planned_start,
        change.planned_end,
        change.change_type,
        tuple(sorted(items)),
        tuple((o.pk, tuple(sorted(other_items.get(o.pk, [])))) for o in others),
    )
    facts = _FACTS.get(key) if change.planned_start else None
    if facts is None:
        facts = _facts(change, eg, items, others, other_items)
        if change.planned_start:
            _FACTS.put(key, facts, key[0])
    return _present(change, user, facts)


def _facts(
    change: ChangeRecord,
    eg: EstateGraph,
    items: list[tuple[int, bool]],
    others: list[ChangeRecord],
    other_items: dict[int, list[tuple[int, bool]]],
) -> _Facts:
    """Compute the objective facts (see :func:`assess_change` and :data:`TOGETHER_RULE`)."""
    ci_ids = [ci for ci, _ in items]
    taken_down = [ci for ci, down in items if down]
    mine = cached_impact_of(taken_down, eg)
    service_ids = set(service_class_ids())
    kinds = node_kinds(eg, service_ids)
    my_services_arr = touched_of_kind(mine, kinds)
    my_services = my_services_arr.tolist()

    def service_facts() -> tuple[dict[int, int], dict[int, int]]:
        # tiers and states of the impacted services: CI columns and the impact, so they are
        # kept with the (graph-epoch cached) impact, not recomputed after every write
        tiers = dict(CI.objects.filter(pk__in=IdList(my_services)).values_list("pk", "criticality"))
        return tiers, mine.state_of(my_services)

    tiers, states = mine.remembered(("service facts", kinds.key), service_facts)
    groups = groups_left_degraded(mine, eg)

    # (tuples of sorted pks, not sets: cached facts should cost the garbage collector little)
    found: list[tuple[ChangeRecord, tuple[int, ...], tuple[int, ...], EstateImpact]] = []
    mine_named = set(ci_ids)
    for other in others:
        theirs = other_items.get(other.pk, [])
        shared_cis = tuple(sorted(mine_named.intersection(ci for ci, _ in theirs)))
        their_impact = cached_impact_of([ci for ci, down in theirs if down], eg)
        shared_services = np.intersect1d(
            my_services_arr, touched_of_kind(their_impact, kinds), assume_unique=True
        )
        if shared_cis or shared_services.size:
            found.append((other, shared_cis, tuple(shared_services.tolist()), their_impact))
    # the cap (TOGETHER_RULE): runs only for the conflicts that share the most
    need_run = [i for i, c in enumerate(found) if may_take_down_together(mine, c[3], kinds, eg)]
    need_run.sort(key=lambda i: -(len(found[i][1]) + len(found[i][2])))  # stable: window order
    run = set(need_run[:MAX_TOGETHER_RUNS])
    conflicts = [
        (
            other,
            shared_cis,
            shared_services,
            tuple(down_only_together(mine, theirs, eg, kinds).tolist()) if i in run else (),
            i in run or i not in need_run,
        )
        for i, (other, shared_cis, shared_services, theirs) in enumerate(found)
    ]

    blackouts = _blackouts(change, (mine.touched(), np.array(ci_ids, dtype=np.int64)))
    failures = list(_recent_failures(change, ci_ids)) if ci_ids else []
    risk = risk_score(
        service_tiers=[(tiers[pk], states.get(pk) == DOWN) for pk in my_services if pk in tiers],
        affected=int(mine.affected.size),
        # Points only for groups left with no spare capacity: one more failure takes them down
        # (members down == failures tolerated). Groups that keep some spare are listed only.
        redundancy_lost=sum(1 for _, _, down, tolerated in groups if down >= tolerated),
        recent_failures=len(failures),
        change_type=change.change_type,
        # every conflict counts, whether or not its "together" run was made
        conflicts=len(conflicts),
        in_blackout=bool(blackouts),
    )
    not_checked = len(need_run) - len(run)
    return _Facts(mine, states, groups, conflicts, blackouts, failures, risk, not_checked)


def _present(change: ChangeRecord, user: Any, facts: _Facts) -> Assessment:
    """Turn the objective facts into the lists ``user`` may see."""
    mine, states, groups = facts.mine, facts.states, facts.groups
    conflicts_raw, blackouts, failures = facts.conflicts, facts.blackouts, facts.failures
    # only what the lists show, as rows (LISTED_FIELDS): a change can list ~2,000 services
    # and leave thousands of groups degraded
    cis = _visible(user, CI.objects.current())
    wanted = set(states) | set(mine.failed.tolist()) | {g[0] for g in groups}
    for _, shared, shared_services, together, _ in conflicts_raw:
        wanted.update(shared, shared_services, together)
    by_pk = _listed(cis.filter(pk__in=IdList(wanted)))
    services = sorted(
        (ServiceHit(by_pk[pk], _state_name(s)) for pk, s in states.items() if pk in by_pk),
        key=lambda h: (h.state != "down", h.ci.criticality, h.ci.name),
    )
    teams = _teams(user, [h.ci for h in services])
    people, people_count = _people(user, mine)
    visible_changes = set(
        _visible(
            user, ChangeRecord.objects.filter(pk__in=[c[0].pk for c in conflicts_raw])
        ).values_list("pk", flat=True)
    )
    conflicts = [
        ChangeConflict(
            change=other,
            shared_cis=_named(by_pk, shared),
            shared_services=_named(by_pk, services_),
            together_down=_named(by_pk, together),
            together_checked=checked,
        )
        for other, shared, services_, together, checked in conflicts_raw
        if other.pk in visible_changes
    ]
    visible_blackouts = set(
        _visible(user, BlackoutWindow.objects.filter(pk__in=[b.pk for b in blackouts])).values_list(
            "pk", flat=True
        )
    )
    visible_failures = set(
        _visible(user, ChangeRecord.objects.filter(pk__in=[f.pk for f in failures])).values_list(
            "pk", flat=True
        )
    )
    notes = []
    decommissions = _decommissions(change, by_pk, mine, user)
    for item in decommissions:
        notes.append(
            f"{item.ci.name} is planned for decommissioning on "
            f"{item.planned_retirement.isoformat()}: check the change still makes sense."
        )
    day = timezone.localdate()
    # the few CIs taken down as model instances (their book values, flags and money read them)
    failed = mine.failed.tolist()
    down_by_pk = {
        ci.pk: ci
        for ci in cis.filter(pk__in=failed).select_related("ci_class").only(*PRESENTED_CI_FIELDS)
    }
    down_cis = [down_by_pk[ci.pk] for ci in _named(by_pk, failed) if ci.pk in down_by_pk]
    states_by_pk = {ci.pk: "failed" for ci in down_cis}
    states_by_pk.update({hit.ci.pk: hit.state for hit in services})
    if not (change.planned_start and change.planned_end):
        notes.append("No planned window: conflicts and blackouts cannot be checked.")
    if not mine.failed.size:
        notes.append("The change takes no CI down: no outage impact.")
    if facts.not_checked:
        notes.append(
            f"What the change takes down only together with another was not computed for "
            f"{facts.not_checked} conflicting change(s): at most {MAX_TOGETHER_RUNS} are "
            "checked, those sharing the most CIs and services (their conflict still counts)."
        )
    return Assessment(
        business_flags=flag_rows(user, states_by_pk, day),
        money=money_at_stake(user, [(h.ci, h.state) for h in services], down_cis, day),
        decommissions=decommissions,
        change=change,
        down_cis=down_cis,
        services=services,
        affected_count=int(mine.affected.size),
        teams=teams,
        people=people,
        people_count=people_count,
        redundancy_lost=[
            RedundancyLoss(by_pk[pk], total, n_down, tolerates)
            for pk, total, n_down, tolerates in groups
            if pk in by_pk
        ],
        conflicts=conflicts,
        blackouts=[b for b in blackouts if b.pk in visible_blackouts],
        recent_failures=[f for f in failures if f.pk in visible_failures],
        risk=facts.risk,
        notes=notes,
    )


def _decommissions(
    change: ChangeRecord, by_pk: dict[int, ListedCI], mine: EstateImpact, user: Any
) -> list[Decommission]:
    """CIs the change names or takes down that are planned for decommissioning on or before
    the change's planned end (any planned date when the change has no window): working on
    something about to go is usually wasted, or the plan has changed."""
    names = [ci for ci, _ in _items([change.pk]).get(change.pk, [])]
    pks = set(names) | set(mine.failed.tolist())
    planned = _visible(user, CI.objects.current().filter(pk__in=list(pks)))
    planned = planned.filter(planned_retirement__isnull=False)
    if change.planned_end is not None:
        planned = planned.filter(planned_retirement__lte=timezone.localdate(change.planned_end))
    return [
        Decommission(ci, ci.planned_retirement)
        for ci in planned.order_by("planned_retirement", "name")
        if ci.planned_retirement is not None
    ]


def _listed(queryset: QuerySet[CI]) -> _Listed:
    """The CIs of ``queryset`` as :class:`ListedCI` rows by pk, ordered by (name, pk): the
    order every list of the assessment shows them in (``_named`` keeps it)."""
    rows = sorted(queryset.order_by().values_list(*LISTED_FIELDS), key=lambda row: (row[1], row[0]))
    classes = CIClass.objects.in_bulk({row[2] for row in rows})
    return _Listed(
        (pk, ListedCI(pk, name, classes[class_id], criticality, team, group))
        for pk, name, class_id, criticality, team, group in rows
    )


def _named(by_pk: dict[int, ListedCI], pks: Iterable[int]) -> list[ListedCI]:
    """The CIs ``pks`` found in ``by_pk``, in its order (by name, then pk: :func:`_listed`).

    ``by_pk`` is the :class:`_Listed` of the request: the ranks are computed once for the
    ~90 lists of an assessment instead of comparing (name, pk) tuples in each."""
    rank = by_pk.rank if isinstance(by_pk, _Listed) else {pk: i for i, pk in enumerate(by_pk)}
    return [by_pk[pk] for pk in sorted((pk for pk in pks if pk in rank), key=rank.__getitem__)]


class _Listed(dict[int, ListedCI]):
    """CI rows by pk, in display order, with each pk's rank in that order."""

    def __init__(self, rows: Iterable[tuple[int, ListedCI]]) -> None:
        super().__init__(rows)
        self.rank = {pk: i for i, pk in enumerate(self)}


def _teams(user: Any, services: list[ListedCI]) -> list[Department]:
    """Owning teams of the impacted services (visible ones)."""
    ids = {s.owning_team_id for s in services if s.owning_team_id}
    if not ids or (user is not None and not has_perm(user, "org.department", "view")):
        return []
    return list(_visible(user, Department.objects.filter(pk__in=ids)).order_by("name_key", "pk"))


def _people(user: Any, impact: EstateImpact) -> tuple[list[Person], int]:
    """Custodians of the assets behind affected CIs (their laptops lose a service).

    Returns the first :data:`MAX_LISTED` visible people (by name) and the visible total. The
    assets come from the catalogue's asset column; SQL runs on chunks of ids only.
    """
    if user is not None and not has_perm(user, "org.person", "view"):
        return [], 0
    touched = impact.touched()
    if touched.size == 0:
        return [], 0
    assets = asset_ids_of(touched).tolist()
    custodians: set[int] = set()
    for i in range(0, len(assets), CHUNK):
        custodians.update(
            Asset.objects.filter(pk__in=assets[i : i + CHUNK], custodian__isnull=False).values_list(
                "custodian_id", flat=True
            )
        )
    ordered = sorted(custodians)
    rows: list[tuple[str, int]] = []
    for i in range(0, len(ordered), CHUNK):
        people = _visible(user, Person.objects.filter(pk__in=ordered[i : i + CHUNK]))
        rows.extend(people.values_list("name_key", "pk"))
    rows.sort()
    first = [pk for _, pk in rows[:MAX_LISTED]]
    by_pk = Person.objects.in_bulk(first)
    return [by_pk[pk] for pk in first if pk in by_pk], len(rows)


def _assessed_ci(item: Any) -> CI | ListedCI:
    """The CI an assessment list entry names (a CI, or a hit/loss holding one)."""
    return item if isinstance(item, (CI, ListedCI)) else item.ci


# Where ``AssessmentOut``'s fields read from an :class:`Assessment` when not an attribute of
# the same name (a CI reads as its name, class and criticality tier).
ASSESSMENT_SOURCES: Sources = {
    change_schemas.AssessedCI: {
        "id": lambda item: _assessed_ci(item).pk,
        "display": lambda item: _assessed_ci(item).name,
        "ci_class": lambda item: str(_assessed_ci(item).ci_class),
        "criticality": lambda item: _assessed_ci(item).criticality,
    },
    change_schemas.RedundancyLossOut: {
        "id": "ci.pk",
        "display": "ci.name",
        "ci_class": lambda loss: str(loss.ci.ci_class),
        "criticality": "ci.criticality",
    },
    change_schemas.ConflictOut: {
        "state": "change.state",
        "planned_start": "change.planned_start",
        "planned_end": "change.planned_end",
    },
    change_schemas.BlackoutHitOut: {"display": str},
    change_schemas.FailureOut: {"display": str},
    change_schemas.DecommissionOut: {"id": "ci.pk", "display": "ci.name"},
    **{
        schema: IMPACT_SOURCES[schema]
        for schema in (
            impact_schemas.ImpactRef,
            impact_schemas.FlaggedCIOut,
            impact_schemas.ServiceCostOut,
        )
    },
}


CONFLICT_LISTS = ("shared_cis", "shared_services", "together_down")


def assessment_dict(assessment: Assessment) -> dict[str, Any]:
    """A JSON-ready form of an assessment (API output and ``assetgraph change assess``),
    built from ``AssessmentOut``.

    The conflicts' CI lists name the same few hundred services over and over (29 conflicts
    sharing ~200 each): each CI's body is built once and the lists refer to it, instead of
    ~6,000 equal dicts per response."""
    body = dump(
        change_schemas.AssessmentOut,
        replace(assessment, conflicts=[]),
        sources=ASSESSMENT_SOURCES,
    )
    ci_body = dumper(change_schemas.AssessedCI, ASSESSMENT_SOURCES)
    bodies: dict[int, dict[str, Any]] = {}
    conflicts = []
    for conflict in assessment.conflicts:
        out = dump(
            change_schemas.ConflictOut,
            replace(conflict, shared_cis=[], shared_services=[], together_down=[]),
            sources=ASSESSMENT_SOURCES,
        )
        for name in CONFLICT_LISTS:
            out[name] = [
                bodies.get(ci.pk) or bodies.setdefault(ci.pk, ci_body(ci, None))
                for ci in getattr(conflict, name)
            ]
        conflicts.append(out)
    body["conflicts"] = conflicts
    return body
