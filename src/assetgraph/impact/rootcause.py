"""Root-cause analysis with evidence: "these CIs misbehave — which one CI explains it, and why?".

Input is a set of symptom CIs, or a person and a service ("Minh can't reach the finance
application"): the person's endpoint CIs (their assets' CI links) and the dependency path
from each endpoint to the service (:func:`assetgraph.graph.paths`) become the symptoms.

:func:`assetgraph.graph.root_cause` ranks CIs whose single failure would explain the symptoms
(coverage, DOWN coverage, collateral = parsimony, distance). This module adds the evidence an
operator checks next and re-ranks with it:

* **changes** in a recent window (default 7 days) from the audit spine: on the candidate
  itself (``cmdb.ci`` events other than its creation), on its 1-hop neighbours, and
  relationships touching it added or ended. A relationship added within ``SETUP_GRACE`` of
  its newer end's creation is part of *creating* that CI (wiring it up), not a change;
* **operational status**: a candidate in *maintenance* is a suspect (work is being done);
* **paths**: one dependency chain from the candidate to each symptom it explains.

Ranking (documented in docs/impact.md), lexicographic:

1. coverage — symptoms explained (more first): an explanation of everything beats a partial one;
2. evidence points — 2 if the candidate itself changed in the window, +1 if something in its
   1-hop neighbourhood did, +1 if it is in maintenance (more first);
3. then the engine's order: DOWN coverage, collateral (fewer other CIs hit first), largest
   distance to a symptom, id.

Permissions: symptoms must be visible (else 404); candidates the caller may not see are
dropped and counted in ``hidden_candidates``; changes are listed only for visible objects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db.models import Q
from django.utils import timezone

from assetgraph import graph as engine
from assetgraph.accounts.permissions import has_perm, restrict
from assetgraph.audit.models import AuditEvent
from assetgraph.cmdb.choices import OperationalStatusChoices
from assetgraph.cmdb.models import CI, Relationship
from assetgraph.core.errors import NotFound, PermissionDenied, ValidationFailed
from assetgraph.org.models import Person

from .analysis import PathStep, resolve_cis, visibility
from .estate import EstateGraph, UnknownCI, estate_graph

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
CHANGES_PER_CANDIDATE = 10
OWN_CHANGE_POINTS = 2
NEARBY_CHANGE_POINTS = 1
MAINTENANCE_POINTS = 1
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
    """A candidate root cause with its evidence."""

    ci: CI
    rank: int
    coverage: int
    covered_down: list[CI]
    covered_degraded: list[CI]
    collateral: int
    collateral_truncated: bool
    max_distance: int
    engine_rank: int
    own_changes: list[Change] = field(default_factory=list)
    nearby_changes: list[Change] = field(default_factory=list)
    paths: list[list[PathStep]] = field(default_factory=list)

    @property
    def in_maintenance(self) -> bool:
        return self.ci.operational_status == OperationalStatusChoices.MAINTENANCE

    @property
    def evidence_points(self) -> int:
        """Recent-change and status boost of the ranking (see the module docstring)."""
        return (
            (OWN_CHANGE_POINTS if self.own_changes else 0)
            + (NEARBY_CHANGE_POINTS if self.nearby_changes else 0)
            + (MAINTENANCE_POINTS if self.in_maintenance else 0)
        )

    @property
    def reasons(self) -> list[str]:
        """Why this candidate ranks where it does, in words."""
        out = [f"explains {self.coverage} symptom(s), {len(self.covered_down)} as down"]
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
    """Ranked candidates for a set of symptoms (see the module docstring)."""

    symptoms: list[CI]
    since: dt.datetime
    candidates: list[RankedCause]
    hidden_candidates: int = 0
    person_path: PersonPath | None = None
    revision: int = 0


# ------------------------------------------------------------------------------ person path
def resolve_person(user: Any, text: str) -> Person:
    """A visible person by employee number, full name, first or last name (case-insensitive).

    An ambiguous name is a 422 listing the matches; an unknown one a 404.
    """
    if not has_perm(user, "org.person", "view"):
        raise NotFound(f"person {text!r} not found")
    wanted = text.strip()
    if not wanted:
        raise ValidationFailed("person: required", fields={"person": ["required"]})
    people = restrict(Person.objects.all(), user, "view")
    tries = [
        Q(employee_number__iexact=wanted),
        Q(email__iexact=wanted),
    ]
    first, _, last = wanted.partition(" ")
    if last:
        tries.append(Q(first_name__iexact=first, last_name__iexact=last.strip()))
    tries += [Q(first_name__iexact=wanted) | Q(last_name__iexact=wanted)]
    for condition in tries:
        matches = list(people.filter(condition).order_by("last_name", "first_name", "pk")[:6])
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            names = ", ".join(f"{p} ({p.employee_number})" for p in matches[:5])
            raise ValidationFailed(
                f"person: {wanted!r} matches several people: {names}",
                fields={"person": [f"ambiguous: {names}"]},
            )
    raise NotFound(f"person {wanted!r} not found")


def person_symptoms(user: Any, person_text: str, service_text: str) -> PersonPath:
    """The CIs on a person's dependency paths to a service (their endpoints included)."""
    person = resolve_person(user, person_text)
    service = resolve_cis(user, [service_text])[0]
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
    seen = visibility(user, np.array(ordered, dtype=np.int64))
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
def analyse_root_cause(
    user: Any,
    symptoms: Sequence[CI],
    *,
    window: dt.timedelta = DEFAULT_WINDOW,
    limit: int = DEFAULT_LIMIT,
    now: dt.datetime | None = None,
    person_path: PersonPath | None = None,
) -> RootCauseReport:
    """Rank the CIs whose single failure best explains ``symptoms``, with evidence."""
    if not has_perm(user, "cmdb.ci", "view"):
        raise PermissionDenied("you may not view CIs")
    if not symptoms:
        raise ValidationFailed("symptoms: name at least one CI", fields={"symptoms": ["required"]})
    if len(symptoms) > MAX_SYMPTOMS:
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
    since = (now or timezone.now()) - window
    symptoms = list(dict.fromkeys(symptoms))
    eg = estate_graph()
    nodes = np.array([_node(eg, s.pk) for s in symptoms], dtype=np.int32)
    pool = max(100, limit * 5)
    raw = engine.root_cause(eg.graph, nodes, limit=pool, max_candidates=max(200, pool * 2))
    cand_pks = [int(eg.pks_of([c.node])[0]) for c in raw]
    seen = visibility(user, np.array(cand_pks, dtype=np.int64))
    current = CI.objects.current().select_related("ci_class").in_bulk(cand_pks)
    report = RootCauseReport(symptoms, since, [], person_path=person_path, revision=eg.revision)
    ranked: list[RankedCause] = []
    for position, (cand, pk, ok) in enumerate(zip(raw, cand_pks, seen.tolist(), strict=True)):
        if not ok or pk not in current:
            report.hidden_candidates += int(not ok)
            continue
        ranked.append(
            RankedCause(
                ci=current[pk],
                rank=0,
                coverage=cand.coverage,
                covered_down=[symptoms[i] for i in cand.covered_down],
                covered_degraded=[symptoms[i] for i in cand.covered_degraded],
                collateral=cand.collateral,
                collateral_truncated=cand.collateral_truncated,
                max_distance=cand.max_distance,
                engine_rank=position + 1,
            )
        )
    _attach_changes(user, ranked, since)
    ranked.sort(key=lambda r: (-r.coverage, -r.evidence_points, r.engine_rank))
    report.candidates = ranked[:limit]
    for rank, cause in enumerate(report.candidates, start=1):
        cause.rank = rank
    _attach_paths(user, eg, report.candidates)
    return report


def _attach_changes(user: Any, ranked: list[RankedCause], since: dt.datetime) -> None:
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
    allowed = _visible_ci_ids(user, all_cis)
    ci_events = _events("cmdb.ci", allowed, since, exclude_create=True)
    may_see_rels = has_perm(user, "cmdb.relationship", "view")
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


def _visible_ci_ids(user: Any, pks: set[int]) -> set[int]:
    arr = np.array(sorted(pks), dtype=np.int64)
    return {int(p) for p in arr[visibility(user, arr)]}


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


def _attach_paths(user: Any, eg: EstateGraph, causes: list[RankedCause]) -> None:
    """One dependency chain from each candidate to each symptom it explains."""
    chains: list[tuple[RankedCause, list[int]]] = []
    for cause in causes:
        target = eg.node_of(cause.ci.pk)
        for symptom in (cause.covered_down + cause.covered_degraded)[:PATHS_PER_CANDIDATE]:
            if symptom.pk == cause.ci.pk:
                chains.append((cause, [symptom.pk]))
                continue
            found = engine.paths(eg.graph, eg.node_of(symptom.pk), target, limit=1)
            if found:
                chains.append((cause, [int(p) for p in eg.pks_of(found[0])][::-1]))
    every = sorted({p for _, chain in chains for p in chain})
    arr = np.array(every, dtype=np.int64)
    visible = set(arr[visibility(user, arr)].tolist()) if every else set()
    names = dict(CI.objects.filter(pk__in=visible).values_list("pk", "name"))
    for cause, chain in chains:
        cause.paths.append([_step(p, names) for p in chain])


def run_root_cause(
    user: Any,
    symptoms: Sequence[str | int] = (),
    *,
    person: str | None = None,
    service: str | None = None,
    window_days: int = 7,
    limit: int = DEFAULT_LIMIT,
) -> RootCauseReport:
    """One call for every surface: symptoms by id/name, or a person plus a service."""
    if not has_perm(user, "cmdb.ci", "view"):
        raise PermissionDenied("you may not view CIs")
    symptoms = [s for s in symptoms if str(s).strip()]
    person = (person or "").strip() or None
    service = (service or "").strip() or None
    if (person is None) != (service is None):
        name = "service" if person else "person"
        raise ValidationFailed(
            f"{name}: give a person and a service together", fields={name: ["required"]}
        )
    if person and symptoms:
        raise ValidationFailed(
            "symptoms: give symptoms or a person and a service, not both",
            fields={"symptoms": ["not with person/service"]},
        )
    if not 1 <= window_days <= 366:
        raise ValidationFailed(
            "window_days: between 1 and 366", fields={"window_days": ["1 to 366 days"]}
        )
    path = None
    if person is not None and service is not None:
        path = person_symptoms(user, person, service)
        cis = path.symptoms
    else:
        cis = resolve_cis(user, symptoms)
    return analyse_root_cause(
        user, cis, window=dt.timedelta(days=window_days), limit=limit, person_path=path
    )
