"""Root-cause analysis with evidence: "these CIs misbehave — which one CI explains it, and why?".

Input is a set of symptom CIs, each *unavailable* (the default) or *degraded* (slow), or a
person and a service ("Minh can't reach the finance application"): the person's endpoint CIs
(their assets' CI links) and the dependency path from each endpoint to the service
(:func:`assetgraph.graph.paths`) become the symptoms (all unavailable, or all degraded with
``slow``).

:func:`assetgraph.graph.root_cause` ranks CIs whose single failure would explain the symptoms:
an unavailable symptom is explained only by a failure that makes it DOWN, a degraded one by a
failure that reaches it. This module adds the evidence an operator checks next:

* **changes** in a recent window (default 7 days) from the audit spine: on the candidate
  itself (``cmdb.ci`` events other than its creation), on its 1-hop neighbours, and
  relationships touching it added or ended. A relationship added within ``SETUP_GRACE`` of
  its newer end's creation is part of *creating* that CI (wiring it up), not a change;
* **operational status**: a candidate in *maintenance* is a suspect (work is being done);
* **paths**: the chain from the candidate to each symptom it explains (the impact path rule).

Ranking (documented in docs/impact.md), lexicographic:

1. coverage — symptoms explained (more first): an explanation of everything beats a partial one;
2. matched — symptoms whose state it predicts exactly (a degraded symptom degraded, not down);
3. evidence points — 2 if the candidate itself changed in the window, +1 if something in its
   1-hop neighbourhood did, +1 if it is in maintenance, +1 if its hardware is out of support
   or past end of life (business flags), +1 if its asset was sent for or returned from repair
   in the window (more first): evidence breaks ties among equally good explanations and never
   outranks a better one;
4. then the engine's order: collateral (fewer other CIs hit first), largest distance to an
   explained symptom, id.

Ties: the engine reports how many candidates share the best (coverage, matched); their
evidence is looked up for all of them (up to the candidate cap), so "214 CIs explain all
symptoms equally" shows the ones with evidence first, and the report says so (``note``).

Permissions: one check (:class:`~assetgraph.impact.viewer.Viewer`); symptoms must be visible
(else 404); candidates the caller may not see are dropped and counted in
``hidden_candidates``; changes are listed only for visible objects.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db.models import Q
from django.utils import timezone

from assetgraph import graph as engine
from assetgraph.accounts.permissions import has_perm, restrict
from assetgraph.assets.models import Asset
from assetgraph.audit.models import AuditEvent
from assetgraph.cmdb.choices import OperationalStatusChoices
from assetgraph.cmdb.models import CI, Relationship
from assetgraph.core.closest import closest_names, did_you_mean
from assetgraph.core.errors import NotFound, ValidationFailed
from assetgraph.framework.flags import BusinessFlag, business_flags
from assetgraph.org.models import Person

from .analysis import PathStep, resolve_cis
from .estate import EstateGraph, UnknownCI, estate_graph
from .viewer import Viewer

__all__ = [
    "Change",
    "PersonPath",
    "RankedCause",
    "RootCauseReport",
    "analyse_root_cause",
    "person_symptoms",
    "resolve_person",
    "run_root_cause",
]

DEFAULT_WINDOW = dt.timedelta(days=7)
SETUP_GRACE = dt.timedelta(minutes=15)
DEFAULT_LIMIT = 10
MAX_LIMIT = 50
MAX_SYMPTOMS = 500
PATHS_PER_CANDIDATE = 20
# Candidates evaluated exactly by the engine (the candidate cap, docs/impact.md).
MAX_CANDIDATES = 500
CHANGES_PER_CANDIDATE = 10
OWN_CHANGE_POINTS = 2
NEARBY_CHANGE_POINTS = 1
MAINTENANCE_POINTS = 1
# Business evidence (docs/both-layers.md): hardware out of support or past end of life, or
# back from (or sent for) repair in the window, fails more often than the rest.
UNSUPPORTED_POINTS = 1
REPAIR_POINTS = 1
UNSUPPORTED_KINDS = ("no_support_contract", "past_end_of_life")
REPAIR_ACTIONS = ("send_to_repair", "return_from_repair")
BATCH = 500


@dataclass(frozen=True)
class Change:
    """One audited change counted as evidence."""

    timestamp: dt.datetime
    object_type: str
    object_id: int
    object_repr: str
    action: str
    changed_fields: list[str]
    actor: str
    scope: str  # "self", "neighbour" or "relationship"


@dataclass
class RankedCause:
    """A candidate root cause with its evidence.

    ``covered_down``/``covered_degraded``: the symptoms its failure would make DOWN/DEGRADED;
    ``explained``: those it explains (see the module docstring), ``matched`` of them in the
    observed state.
    """

    ci: CI
    rank: int
    coverage: int
    covered_down: list[CI]
    covered_degraded: list[CI]
    collateral: int
    collateral_truncated: bool
    max_distance: int
    engine_rank: int
    explained: list[CI] = field(default_factory=list)
    matched: int = 0
    symptoms: int = 0
    own_changes: list[Change] = field(default_factory=list)
    nearby_changes: list[Change] = field(default_factory=list)
    paths: list[list[PathStep]] = field(default_factory=list)
    business_flags: list[BusinessFlag] = field(default_factory=list)
    recent_repair: dt.datetime | None = None

    @property
    def tier(self) -> tuple[int, int]:
        """``(coverage, matched)``: equal tiers explain the symptoms equally well."""
        return (self.coverage, self.matched)

    @property
    def rank_key(self) -> tuple[int, int, int, int]:
        """The ranking of the module docstring: a better explanation first, then evidence,
        then the engine's order."""
        return (-self.coverage, -self.matched, -self.evidence_points, self.engine_rank)

    @property
    def in_maintenance(self) -> bool:
        return self.ci.operational_status == OperationalStatusChoices.MAINTENANCE

    @property
    def unsupported(self) -> bool:
        """Out of support or past end of life (the business flags that are evidence)."""
        return any(flag.kind in UNSUPPORTED_KINDS for flag in self.business_flags)

    @property
    def evidence_points(self) -> int:
        """Recent-change and status boost of the ranking (see the module docstring)."""
        return (
            (OWN_CHANGE_POINTS if self.own_changes else 0)
            + (NEARBY_CHANGE_POINTS if self.nearby_changes else 0)
            + (MAINTENANCE_POINTS if self.in_maintenance else 0)
            + (UNSUPPORTED_POINTS if self.unsupported else 0)
            + (REPAIR_POINTS if self.recent_repair else 0)
        )

    @property
    def reasons(self) -> list[str]:
        """Why this candidate ranks where it does, in words."""
        out = [f"explains {self.coverage} of {self.symptoms} symptom(s)"]
        if self.matched < self.coverage:
            out[0] += f" ({self.coverage - self.matched} would be down, observed degraded)"
        if self.own_changes:
            last = self.own_changes[0]
            fields = ", ".join(last.changed_fields[:4])
            out.append(
                f"changed {last.timestamp:%Y-%m-%d %H:%M} ({last.action}"
                + (f": {fields}" if fields else "")
                + ")"
            )
        if self.nearby_changes:
            out.append(f"{len(self.nearby_changes)} recent change(s) next to it")
        if self.in_maintenance:
            out.append("in maintenance")
        out.extend(
            f"{flag.label.lower()}: {flag.detail}"
            for flag in self.business_flags
            if flag.kind in UNSUPPORTED_KINDS
        )
        if self.recent_repair:
            out.append(f"its hardware was in repair recently ({self.recent_repair:%Y-%m-%d})")
        more = "+" if self.collateral_truncated else ""
        out.append(f"its failure would also hit {self.collateral}{more} other CI(s)")
        return out


@dataclass(frozen=True)
class PersonPath:
    """The symptoms derived from a person and a service, with the paths they come from."""

    person: Person
    service: CI
    endpoints: list[CI]
    paths: list[list[PathStep]]
    symptoms: list[CI]


@dataclass
class RootCauseReport:
    """Ranked candidates for a set of symptoms (see the module docstring).

    ``degraded``: the symptoms observed degraded (the others are unavailable). ``tied``:
    visible candidates that explain the symptoms as well as the first one (``tied_complete``
    False: the candidate cap may hide more); ``note`` says so in words when more are tied
    than shown.
    """

    symptoms: list[CI]
    since: dt.datetime
    candidates: list[RankedCause]
    hidden_candidates: int = 0
    person_path: PersonPath | None = None
    revision: int = 0
    degraded: list[CI] = field(default_factory=list)
    tied: int = 0
    tied_complete: bool = True
    note: str | None = None


# ------------------------------------------------------------------------------ person path
_PERSON_ID = re.compile(r"^.*?#(\d+)\s*$")


def resolve_person(who: Any, text: str) -> Person:
    """A visible person by employee number, full name, first or last name (case-insensitive).

    An ambiguous name is a 422 listing the matches; an unknown one a 404.
    """
    user = who.user if isinstance(who, Viewer) else who
    if not has_perm(user, "org.person", "view"):
        raise NotFound(f"person {text!r} not found")
    wanted = text.strip()
    if not wanted:
        raise ValidationFailed("person: required", fields={"person": ["required"]})
    people = restrict(Person.objects.all(), user, "view")
    token = _PERSON_ID.match(wanted)  # "Lan Tran #12", as the person picker fills it in
    if token:
        chosen = people.filter(pk=int(token.group(1))).first()
        if chosen is None:
            raise NotFound(f"person {wanted!r} not found")
        return chosen
    tries = [
        Q(employee_number__iexact=wanted),
        Q(email__iexact=wanted),
    ]
    first, _, last = wanted.partition(" ")
    if last:
        tries.append(Q(first_name__iexact=first, last_name__iexact=last.strip()))
    tries += [Q(first_name__iexact=wanted) | Q(last_name__iexact=wanted)]
    for condition in tries:
        matches = list(people.filter(condition).order_by("name_key", "pk")[:6])
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            names = ", ".join(f"{p} ({p.employee_number})" for p in matches[:5])
            raise ValidationFailed(
                f"person: {wanted!r} matches several people: {names}",
                fields={"person": [f"ambiguous: {names}"]},
            )
    hint = did_you_mean(closest_names(people, ("first_name", "last_name"), wanted))
    raise NotFound(f"person {wanted!r} not found{hint}", fields={"person": [f"not found{hint}"]})


def person_symptoms(who: Any, person_text: str, service_text: str) -> PersonPath:
    """The CIs on a person's dependency paths to a service (their endpoints included)."""
    viewer = Viewer.of(who)
    user = viewer.user
    person = resolve_person(viewer, person_text)
    service = resolve_cis(viewer, [service_text])[0]
    endpoints = list(
        restrict(
            CI.objects.current().filter(asset__custodian=person).select_related("ci_class"),
            user,
            "view",
        ).order_by("name", "pk")
    )
    if not endpoints:
        raise ValidationFailed(
            f"person: {person} has no endpoint CI (none of their assets is linked to a CI)",
            fields={"person": ["no endpoint CI"]},
        )
    eg = estate_graph()
    target = _node(eg, service.pk)
    chains: list[list[int]] = []
    for endpoint in endpoints:
        found = engine.paths(eg.graph, _node(eg, endpoint.pk), target, limit=1)
        if found:
            chains.append([int(p) for p in eg.pks_of(found[0])])
    if not chains:
        raise ValidationFailed(
            f"service: no dependency path from {person}'s endpoint(s) to {service}",
            fields={"service": [f"{service} is not reachable from {person}'s endpoints"]},
        )
    ordered = list(dict.fromkeys(p for chain in chains for p in chain))
    seen = viewer.cis(np.array(ordered, dtype=np.int64))
    visible_pks = [p for p, ok in zip(ordered, seen.tolist(), strict=True) if ok]
    fetched = CI.objects.select_related("ci_class").in_bulk(visible_pks)
    names = {p: c.name for p, c in fetched.items()}
    return PersonPath(
        person,
        service,
        endpoints,
        [[_step(p, names) for p in chain] for chain in chains],
        [fetched[p] for p in visible_pks if p in fetched],
    )


def _node(eg: EstateGraph, pk: int) -> int:
    try:
        return eg.node_of(pk)
    except UnknownCI as exc:
        raise NotFound(f"CI {pk} is not in the current estate") from exc


def _step(pk: int, names: dict[int, str]) -> PathStep:
    if pk in names:
        return PathStep(pk, names[pk], True)
    return PathStep(None, "hidden CI", False)


# ------------------------------------------------------------------------------ the service
def _check(
    symptoms: Sequence[CI], degraded: Sequence[CI], window: dt.timedelta, limit: int
) -> list[CI]:
    """Validated symptoms, unavailable first then degraded (every error names its field)."""
    if not symptoms and not degraded:
        raise ValidationFailed("symptoms: name at least one CI", fields={"symptoms": ["required"]})
    both = {c.pk for c in symptoms} & {c.pk for c in degraded}
    if both:
        raise ValidationFailed(
            "degraded: a CI cannot be both unavailable and degraded",
            fields={"degraded": [f"also unavailable: CI {min(both)}"]},
        )
    everything = list(dict.fromkeys([*symptoms, *degraded]))
    if len(everything) > MAX_SYMPTOMS:
        raise ValidationFailed(
            f"symptoms: at most {MAX_SYMPTOMS} CIs", fields={"symptoms": [f"max {MAX_SYMPTOMS}"]}
        )
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(
            f"limit: between 1 and {MAX_LIMIT}", fields={"limit": [f"1 to {MAX_LIMIT}"]}
        )
    if window <= dt.timedelta(0) or window > dt.timedelta(days=366):
        raise ValidationFailed(
            "window_days: between 1 and 366", fields={"window_days": ["1 to 366 days"]}
        )
    return everything


def analyse_root_cause(
    who: Any,
    symptoms: Sequence[CI],
    *,
    degraded: Sequence[CI] = (),
    window: dt.timedelta = DEFAULT_WINDOW,
    limit: int = DEFAULT_LIMIT,
    now: dt.datetime | None = None,
    person_path: PersonPath | None = None,
) -> RootCauseReport:
    """Rank the CIs whose single failure best explains ``symptoms`` (unavailable) and
    ``degraded`` (slow), with evidence. ``who`` is a user or a :class:`Viewer`."""
    viewer = Viewer.of(who)
    every = _check(symptoms, degraded, window, limit)
    slow = {c.pk for c in degraded}
    flags = [c.pk in slow for c in every]
    since = (now or timezone.now()) - window
    eg = estate_graph()
    nodes = np.array([_node(eg, s.pk) for s in every], dtype=np.int32)
    pool = min(max(100, limit * 5), MAX_CANDIDATES)
    raw = engine.root_cause(
        eg.graph, nodes, limit=pool, degraded=flags, max_candidates=MAX_CANDIDATES
    )
    report = RootCauseReport(
        every,
        since,
        [],
        person_path=person_path,
        revision=eg.revision,
        degraded=[c for c in every if c.pk in slow],
    )
    scored = list(raw)
    tie_pks = [int(p) for p in eg.pks_of(raw.tie_nodes)]
    cand_pks = [int(eg.pks_of([c.node])[0]) for c in scored]
    pks = np.array(sorted(set(cand_pks) | set(tie_pks)), dtype=np.int64)
    visible = set(pks[viewer.cis(pks)].tolist()) if pks.size else set()
    report.hidden_candidates = sum(1 for pk in cand_pks if pk not in visible)
    report.tied = sum(1 for pk in tie_pks if pk in visible)
    report.tied_complete = raw.tied_complete
    current = (
        CI.objects.current()
        .select_related("ci_class")
        .in_bulk([pk for pk in visible if pk in set(cand_pks) | set(tie_pks)])
    )
    ranked = _ranked(every, scored, cand_pks, current, visible)
    _attach_changes(viewer, ranked, since)
    _attach_business(viewer, ranked, since)
    # tied candidates beyond the engine's list: evidence decides whether they are shown
    extra = [pk for pk in tie_pks if pk in current and pk not in set(cand_pks)]
    ranked += _with_evidence(viewer, eg, every, flags, extra, current, since, len(ranked))
    ranked.sort(key=lambda r: r.rank_key)
    report.candidates = ranked[:limit]
    for rank, cause in enumerate(report.candidates, start=1):
        cause.rank = rank
    report.note = _tie_note(report)
    _attach_paths(viewer, eg, every, report.candidates)
    return report


def _ranked(
    every: list[CI],
    scored: Sequence[engine.RootCauseCandidate],
    cand_pks: list[int],
    current: dict[int, CI],
    visible: set[int],
) -> list[RankedCause]:
    """The engine's candidates the caller may see, in the engine's order."""
    out = []
    for position, (cand, pk) in enumerate(zip(scored, cand_pks, strict=True)):
        if pk in visible and pk in current:
            out.append(_cause(every, cand, current[pk], position + 1))
    return out


def _cause(every: list[CI], cand: engine.RootCauseCandidate, ci: CI, position: int) -> RankedCause:
    return RankedCause(
        ci=ci,
        rank=0,
        coverage=cand.coverage,
        covered_down=[every[i] for i in cand.covered_down],
        covered_degraded=[every[i] for i in cand.covered_degraded],
        collateral=cand.collateral,
        collateral_truncated=cand.collateral_truncated,
        max_distance=cand.max_distance,
        engine_rank=position,
        explained=[every[i] for i in cand.explained],
        matched=cand.matched,
        symptoms=len(every),
    )


def _with_evidence(
    viewer: Viewer,
    eg: EstateGraph,
    every: list[CI],
    flags: list[bool],
    pks: list[int],
    current: dict[int, CI],
    since: dt.datetime,
    after: int,
) -> list[RankedCause]:
    """Tied candidates the engine did not list, kept only if they have evidence (scored by
    the engine exactly as the listed ones; ranked after them by the engine's order)."""
    if not pks:
        return []
    probes = [RankedCause(current[pk], 0, 0, [], [], 0, False, 0, 0) for pk in pks]
    _attach_changes(viewer, probes, since)
    _attach_business(viewer, probes, since)
    keep = [p for p in probes if p.evidence_points]
    if not keep:
        return []
    nodes = np.array([_node(eg, s.pk) for s in every], dtype=np.int32)
    scored = engine.score_candidates(
        eg.graph, nodes, [_node(eg, p.ci.pk) for p in keep], degraded=flags
    )
    out = []
    for i, (cand, probe) in enumerate(
        sorted(zip(scored, keep, strict=True), key=lambda x: x[0].rank_key)
    ):
        cause = _cause(every, cand, probe.ci, after + i + 1)
        cause.own_changes, cause.nearby_changes = probe.own_changes, probe.nearby_changes
        cause.business_flags, cause.recent_repair = probe.business_flags, probe.recent_repair
        out.append(cause)
    return out


def _tie_note(report: RootCauseReport) -> str | None:
    """ "214 CIs explain all symptoms equally; showing the 10 with evidence first" when more
    candidates are tied than shown."""
    if not report.candidates or report.tied <= len(report.candidates):
        return None
    first = report.candidates[0]
    n = len(report.symptoms)
    what = (
        ("the symptom" if n == 1 else "all symptoms")
        if first.coverage == n
        else f"{first.coverage} of the {n} symptoms"
    )
    count = f"{report.tied}" if report.tied_complete else f"at least {report.tied}"
    shown = sum(1 for c in report.candidates if c.tier == first.tier)
    return f"{count} CIs explain {what} equally; showing the {shown} with evidence first"


def _attach_changes(viewer: Viewer, ranked: list[RankedCause], since: dt.datetime) -> None:
    """Fill each candidate's own and nearby changes since ``since`` (bulk queries only)."""
    if not ranked:
        return
    cand = {r.ci.pk for r in ranked}
    rels = list(
        Relationship.objects.filter(Q(source_id__in=cand) | Q(target_id__in=cand))
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=since))
        .values_list("pk", "source_id", "target_id", "valid_from")
    )
    neighbours: dict[int, set[int]] = {pk: set() for pk in cand}
    touching: dict[int, set[int]] = {}
    for rel_pk, src, dst, _ in rels:
        for end, other in ((src, dst), (dst, src)):
            if end in neighbours:
                neighbours[end].add(other)
                touching.setdefault(rel_pk, set()).add(end)
    all_cis = cand | {n for ns in neighbours.values() for n in ns}
    created = dict(CI.objects.filter(pk__in=all_cis).values_list("pk", "valid_from"))
    setup_rels: set[int] = set()
    ends = {rel_pk: {src, dst} for rel_pk, src, dst, _ in rels}
    for rel_pk, src, dst, valid_from in rels:
        newest_end = max(created.get(src, valid_from), created.get(dst, valid_from))
        if valid_from - newest_end <= SETUP_GRACE:
            setup_rels.add(rel_pk)
    allowed = _visible_ci_ids(viewer, all_cis)
    ci_events = _events("cmdb.ci", allowed, since, exclude_create=True)
    may_see_rels = has_perm(viewer.user, "cmdb.relationship", "view")
    rel_ids = set(touching) if may_see_rels else set()
    rel_events = _events("cmdb.relationship", rel_ids, since, exclude_create=False)
    by_ci: dict[int, list[Change]] = {}
    for change in ci_events:
        by_ci.setdefault(change.object_id, []).append(change)
    for cause in ranked:
        pk = cause.ci.pk
        cause.own_changes = [_scoped(c, "self") for c in by_ci.get(pk, [])[:CHANGES_PER_CANDIDATE]]
        nearby = [_scoped(c, "neighbour") for n in neighbours[pk] for c in by_ci.get(n, [])]
        nearby += [
            _scoped(c, "relationship")
            for c in rel_events
            if pk in touching.get(c.object_id, set())
            and not (c.action == "create" and c.object_id in setup_rels)
            and ends.get(c.object_id, set()) <= allowed
        ]
        nearby.sort(key=lambda c: c.timestamp, reverse=True)
        cause.nearby_changes = nearby[:CHANGES_PER_CANDIDATE]


def _attach_business(viewer: Viewer, ranked: list[RankedCause], since: dt.datetime) -> None:
    """Fill each candidate's business flags (all kinds, shown; out of support and past end of
    life count as evidence) and the last repair of its asset in the window (an asset sent
    for or returned from repair: events on the audit spine, for those who may see the
    asset). Bulk queries only."""
    if not ranked:
        return
    pks = [r.ci.pk for r in ranked]
    flags = business_flags(viewer.user, pks, timezone.localdate())
    repaired: dict[int, dt.datetime] = {}
    if has_perm(viewer.user, "assets.asset", "view"):
        by_asset = {r.ci.asset_id: r.ci.pk for r in ranked if r.ci.asset_id}
        visible = restrict(Asset.objects.filter(pk__in=list(by_asset)), viewer.user, "view")
        ids = [str(pk) for pk in visible.values_list("pk", flat=True)]
        events = AuditEvent.objects.filter(
            object_type="assets.asset",
            object_id__in=ids,
            action__in=REPAIR_ACTIONS,
            timestamp__gte=since,
        ).values_list("object_id", "timestamp")
        for object_id, when in events:
            ci = by_asset[int(object_id)]
            repaired[ci] = max(when, repaired.get(ci, when))
    for cause in ranked:
        cause.business_flags = flags.get(cause.ci.pk, [])
        cause.recent_repair = repaired.get(cause.ci.pk)


def _visible_ci_ids(viewer: Viewer, pks: set[int]) -> set[int]:
    arr = np.array(sorted(pks), dtype=np.int64)
    return {int(p) for p in arr[viewer.cis(arr)]}


def _events(
    object_type: str, ids: set[int], since: dt.datetime, *, exclude_create: bool
) -> list[Change]:
    """Audit events on ``ids`` since ``since``, newest first (batched ``IN`` lists)."""
    keys = [str(i) for i in sorted(ids)]
    found: list[Change] = []
    for start in range(0, len(keys), BATCH):
        rows = AuditEvent.objects.filter(
            object_type=object_type, object_id__in=keys[start : start + BATCH], timestamp__gte=since
        )
        if exclude_create:
            rows = rows.exclude(action="create")
        for stamp, object_id, repr_, action, changed, actor in rows.values_list(
            "timestamp", "object_id", "object_repr", "action", "changed_fields", "actor_repr"
        ):
            found.append(
                Change(
                    stamp,
                    object_type,
                    int(object_id),
                    repr_,
                    action,
                    list(changed or []),
                    actor,
                    "",
                )
            )
    found.sort(key=lambda c: c.timestamp, reverse=True)
    return found


def _scoped(change: Change, scope: str) -> Change:
    return Change(
        change.timestamp,
        change.object_type,
        change.object_id,
        change.object_repr,
        change.action,
        change.changed_fields,
        change.actor,
        scope,
    )


def _attach_paths(
    viewer: Viewer, eg: EstateGraph, symptoms: list[CI], causes: list[RankedCause]
) -> None:
    """The chain from each candidate to each symptom it explains, by the impact path rule
    (a symptom it takes down through CIs it takes down): one engine call for all."""
    if not causes:
        return
    nodes = [eg.node_of(s.pk) for s in symptoms]
    found = engine.explanation_paths(eg.graph, nodes, [eg.node_of(c.ci.pk) for c in causes])
    chains: list[tuple[RankedCause, list[int]]] = []
    for cause, per_symptom in zip(causes, found, strict=True):
        explained = {s.pk for s in cause.explained}
        mine = [
            [int(p) for p in eg.pks_of(nodes_on)]
            for symptom, nodes_on in zip(symptoms, per_symptom, strict=True)
            if symptom.pk in explained and nodes_on.size
        ]
        chains += [(cause, chain) for chain in mine[:PATHS_PER_CANDIDATE]]
    every = sorted({p for _, chain in chains for p in chain})
    visible = _visible_ci_ids(viewer, set(every)) if every else set()
    names = dict(CI.objects.filter(pk__in=visible).values_list("pk", "name"))
    for cause, chain in chains:
        cause.paths.append([_step(p, names) for p in chain])


def run_root_cause(
    who: Any,
    symptoms: Sequence[str | int] = (),
    *,
    degraded: Sequence[str | int] = (),
    person: str | None = None,
    service: str | None = None,
    slow: bool = False,
    window_days: int = 7,
    limit: int = DEFAULT_LIMIT,
) -> RootCauseReport:
    """One call for every surface: symptoms (unavailable) and ``degraded`` ones by id/name,
    or a person plus a service (``slow``: the person's path is degraded, not unavailable).
    ``who`` is a user (checked here, once) or a :class:`Viewer`."""
    viewer = Viewer.of(who)
    symptoms = [s for s in symptoms if str(s).strip()]
    degraded = [s for s in degraded if str(s).strip()]
    person = (person or "").strip() or None
    service = (service or "").strip() or None
    if (person is None) != (service is None):
        name = "service" if person else "person"
        raise ValidationFailed(
            f"{name}: give a person and a service together", fields={name: ["required"]}
        )
    if person and (symptoms or degraded):
        raise ValidationFailed(
            "symptoms: give symptoms or a person and a service, not both",
            fields={"symptoms": ["not with person/service"]},
        )
    if not 1 <= window_days <= 366:
        raise ValidationFailed(
            "window_days: between 1 and 366", fields={"window_days": ["1 to 366 days"]}
        )
    path = None
    slow_cis: list[CI] = []
    if person is not None and service is not None:
        path = person_symptoms(viewer, person, service)
        cis, slow_cis = ([], path.symptoms) if slow else (path.symptoms, [])
    else:
        cis = resolve_cis(viewer, symptoms) if symptoms else []
        slow_cis = resolve_cis(viewer, degraded) if degraded else []
    return analyse_root_cause(
        viewer,
        cis,
        degraded=slow_cis,
        window=dt.timedelta(days=window_days),
        limit=limit,
        person_path=path,
    )
