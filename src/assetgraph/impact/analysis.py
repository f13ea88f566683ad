"""Impact analysis: "if these CIs fail (now, or as the estate was at T), what is affected?".

The pure engine (:func:`assetgraph.graph.impact`) answers with node indices, states, depths and
parents; this module maps the answer back to what people act on:

* business services and applications DOWN or DEGRADED (the *Business Service* and
  *Application* classes and their subclasses), every other affected CI counted per class;
* the teams to notify (owning team and support group of the affected CIs), the people to
  notify (custodians of affected endpoints through the CI ↔ asset link; service owners from
  the ``service_owner`` attribute), ITAM flags on the impact path (out of warranty, past end
  of life) for the failed and the affected CIs;
* each affected CI with its state, depth and one chain back to a failed CI.

Permissions: the caller must see every failed CI (else :class:`NotFound`, a 404: a hidden CI
is absent). Affected CIs the caller may not see appear only as one number, ``hidden``: they
are left out of every list, class count and team/people derivation (their class or team
would tell something about them), and a path through one shows "hidden CI" for that step.

Scale: the result can hold 500k CIs. Counts are computed over lookup columns in numpy
(:mod:`assetgraph.impact.catalogue`); lists are capped (``LIST_CAP``) and the per-CI detail is
a page (``limit``/``offset``), fetched with one ``in_bulk``. No query runs per CI.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db.models import Q, QuerySet
from django.utils import timezone

from assetgraph import graph as engine
from assetgraph.accounts.permissions import has_perm, restrict
from assetgraph.assets.models import Asset
from assetgraph.cmdb.history import cis_as_of, parse_when
from assetgraph.cmdb.models import CI, CIClass
from assetgraph.core.errors import NotFound, PermissionDenied, ValidationFailed
from assetgraph.org.models import Department, Person

from .catalogue import Catalogue, catalogue, node_rows
from .estate import EstateGraph, UnknownCI, estate_graph

__all__ = [
    "AssetFlag",
    "ClassCount",
    "ImpactReport",
    "ImpactedCI",
    "PathStep",
    "PersonToNotify",
    "TeamToNotify",
    "analyse_impact",
    "class_ids_below",
    "resolve_cis",
    "run_impact",
    "visibility",
]

SERVICE_CLASS = "Business Service"
APPLICATION_CLASS = "Application"
MAX_FAILED = 1_000
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
LIST_CAP = 200
# Services and applications listed in the summary (DOWN first); the rest are in the details.
SUMMARY_CAP = 100
MAX_PEOPLE = 1_000
# Below this many CIs, per-row SQL filters (pk IN …) beat reading a whole column.
SMALL = 2_000
# Largest primary-key IN list sent to the database (SQLite allows 32,766 variables).
MAX_IN = 20_000
STATE_NAMES = {int(engine.NodeState.DOWN): "down", int(engine.NodeState.DEGRADED): "degraded"}
STATES = ("down", "degraded")

I64 = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class PathStep:
    """One CI on an impact chain; hidden CIs keep their place but not their name."""

    id: int | None
    display: str
    visible: bool


@dataclass(frozen=True)
class ImpactedCI:
    """An affected CI, its state (``down``/``degraded``), hop depth and one chain from a
    failed CI (``path[0]``) to it (``path[-1]``)."""

    ci: CI
    state: str
    depth: int
    path: list[PathStep]


@dataclass(frozen=True)
class ClassCount:
    """Affected visible CIs of one class, per state."""

    ci_class: CIClass
    down: int
    degraded: int

    @property
    def total(self) -> int:
        return self.down + self.degraded


@dataclass(frozen=True)
class TeamToNotify:
    """A department owning or supporting failed or affected CIs (counts include both)."""

    team: Department
    owns: int
    supports: int
    down: int
    services: list[str]


@dataclass(frozen=True)
class PersonToNotify:
    """A person to tell, and why (custodian of an endpoint, owner of a service)."""

    person: Person
    reasons: list[str]


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


@dataclass
class ImpactReport:
    """Summary and one detail page of an impact analysis (see the module docstring)."""

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
    flags: list[AssetFlag] = field(default_factory=list)
    truncated: list[str] = field(default_factory=list)
    details: list[ImpactedCI] = field(default_factory=list)
    details_count: int = 0
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    state_filter: str | None = None
    class_filter: CIClass | None = None

    @property
    def total(self) -> int:
        """Affected CIs the caller may see (failed CIs excluded)."""
        return self.down + self.degraded

    @property
    def next_offset(self) -> int | None:
        """Offset of the next detail page, or None on the last."""
        end = self.offset + self.limit
        return end if end < self.details_count else None


# ------------------------------------------------------------------------------ helpers
def class_ids_below(name: str, classes: Iterable[CIClass] | None = None) -> set[int]:
    """The class called ``name`` and every class below it (the class table is small).

    ``classes``: the class table when the caller already read it (saves two queries).
    """
    table = list(CIClass.objects.all() if classes is None else classes)
    parents = {c.pk: c.parent_id for c in table}
    roots = {c.pk for c in table if c.name == name}
    found = set(roots)
    changed = True
    while changed:
        changed = False
        for pk, parent in parents.items():
            if parent in found and pk not in found:
                found.add(pk)
                changed = True
    return found


def visibility(user: Any, pks: I64) -> Mask:
    """Which of ``pks`` the user may view (``restrict`` on CIs; one query at most)."""
    allowed = restrict(CI.objects.all(), user, "view")
    if allowed.query.is_empty():
        return np.zeros(pks.size, dtype=np.bool_)
    if not allowed.query.where:
        return np.ones(pks.size, dtype=np.bool_)
    if pks.size <= SMALL:
        seen = allowed.filter(pk__in=pks.tolist()).values_list("pk", flat=True)
    else:
        seen = allowed.values_list("pk", flat=True)
    return np.isin(pks, np.fromiter(seen, dtype=np.int64))


def resolve_cis(user: Any, refs: Sequence[str | int], when: dt.datetime | None = None) -> list[CI]:
    """CIs by id or exact name (case-insensitive), among those the user may view.

    Why: people name CIs ("stor-aus1-01"); scripts pass ids. A name matching several CIs is
    a 422 listing their ids; an unknown or hidden one is a 404 naming it.
    """
    base = CI.objects.current() if when is None else CI.objects.as_of(when)
    visible = restrict(base.select_related("ci_class"), user, "view")
    found: list[CI] = []
    for ref in refs:
        text = str(ref).strip()
        ci: CI | None = None
        if text.lstrip("#").isdigit():
            ci = visible.filter(pk=int(text.lstrip("#"))).first()
        if ci is None:
            matches = list(visible.filter(name__iexact=text)[:6])
            if len(matches) > 1:
                ids = ", ".join(f"{m.pk} ({m.ci_class})" for m in matches[:5])
                raise ValidationFailed(
                    f"ci: {text!r} names several CIs: {ids}; give the id",
                    fields={"ci": [f"{text!r} is ambiguous: {ids}"]},
                )
            ci = matches[0] if matches else None
        if ci is None:
            raise NotFound(f"CI {text!r} not found")
        if ci not in found:
            found.append(ci)
    return found


def _nodes(eg: EstateGraph, pks: Iterable[int]) -> npt.NDArray[np.int32]:
    try:
        return eg.nodes_of(pks)
    except UnknownCI as exc:
        raise NotFound(f"CI {exc.pks[0]} is not in the estate at that time") from exc


class _StateLookup:
    """``down``/``degraded`` of affected *visible* CIs by pk, over a dense per-node array
    (one scatter per query instead of sorting a 500k-row result)."""

    def __init__(
        self, eg: EstateGraph, nodes: npt.NDArray[np.int32], down_mask: Mask, rows: I64
    ) -> None:
        self.ci_pks = eg.ci_pks
        self.code = np.zeros(eg.graph.n_nodes, dtype=np.int8)
        self.code[nodes] = np.where(down_mask, 2, 1)
        self.rows = rows  # lookup-column rows of the affected visible CIs

    def states(self, pks: Sequence[int]) -> list[str | None]:
        """State of each pk, None when it is not an affected visible CI."""
        if not pks or self.ci_pks.size == 0:
            return [None] * len(pks)
        wanted = np.asarray(pks, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.ci_pks, wanted), self.ci_pks.size - 1)
        code = np.where(self.ci_pks[pos] == wanted, self.code[pos], 0)
        names = {0: None, 1: "degraded", 2: "down"}
        return [names[int(c)] for c in code.tolist()]


def _step(pk: int, names: dict[int, str], lookup: _StateLookup, failed: set[int]) -> PathStep:
    if pk in failed or lookup.states([pk])[0] is not None:
        return PathStep(pk, names.get(pk, f"CI {pk}"), True)
    return PathStep(None, "hidden CI", False)


# ------------------------------------------------------------------------------ the service
def analyse_impact(
    user: Any,
    cis: Sequence[CI],
    as_of: dt.datetime | None = None,
    *,
    state: str | None = None,
    ci_class: int | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
    max_depth: int | None = None,
) -> ImpactReport:
    """Impact of the failure of ``cis`` (visible, resolved by :func:`resolve_cis`).

    ``state``/``ci_class`` filter the detail page (not the summary); ``limit``/``offset``
    page it. ``as_of`` analyses the estate as it was then (relationships and redundancy then;
    classes, teams and names as now, except the page rows, shown as they were).
    """
    if not has_perm(user, "cmdb.ci", "view"):
        raise PermissionDenied("you may not view CIs")
    if not cis:
        raise ValidationFailed("ci: name at least one CI", fields={"ci": ["required"]})
    if len(cis) > MAX_FAILED:
        raise ValidationFailed(
            f"ci: at most {MAX_FAILED} CIs", fields={"ci": [f"at most {MAX_FAILED}"]}
        )
    if state not in (None, "", *STATES):
        raise ValidationFailed("state: use down or degraded", fields={"state": ["down, degraded"]})
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(
            f"limit: between 1 and {MAX_LIMIT}", fields={"limit": [f"1 to {MAX_LIMIT}"]}
        )
    if offset < 0:
        raise ValidationFailed("offset: 0 or more", fields={"offset": ["0 or more"]})
    if max_depth is not None and max_depth < 0:
        raise ValidationFailed("max_depth: 0 or more", fields={"max_depth": ["0 or more"]})
    class_filter = None
    if ci_class is not None:
        class_filter = CIClass.objects.filter(pk=ci_class).first()
        if class_filter is None:
            raise ValidationFailed("ci_class: unknown class", fields={"ci_class": ["unknown"]})

    eg = estate_graph(as_of)
    result = engine.impact(eg.graph, _nodes(eg, [c.pk for c in cis]), max_depth=max_depth)
    pks = eg.pks_of(result.nodes)
    seen = visibility(user, pks)
    cat = catalogue()
    rows, known = node_rows(eg, cat)
    rows, known = rows[result.nodes], known[result.nodes]
    seen &= known
    report = ImpactReport(
        failed=list(cis),
        as_of=as_of,
        revision=eg.revision,
        hidden=int(pks.size - np.count_nonzero(seen)),
        limit=limit,
        offset=offset,
        state_filter=state or None,
        class_filter=class_filter,
    )
    v_pks, v_rows = pks[seen], rows[seen]
    v_states, v_depths = result.states[seen], result.depths[seen]
    down_mask = v_states == int(engine.NodeState.DOWN)
    report.down = int(np.count_nonzero(down_mask))
    report.degraded = int(v_pks.size - report.down)
    classes = cat.ci_class[v_rows]
    report.by_class = _by_class(classes, down_mask)

    lookup = _StateLookup(eg, result.nodes[seen], down_mask, v_rows)
    failed_set = {c.pk for c in cis}
    chain_of = _Chains(result, eg)
    class_table = CIClass.objects.in_bulk()
    class_field = CI._meta.get_field("ci_class")

    def impacted(
        selection: npt.NDArray[np.intp], names: dict[int, str], *, attributes: bool = False
    ) -> list[ImpactedCI]:
        chosen = [int(v_pks[i]) for i in selection]
        rows = CI.objects.all()
        if not attributes and as_of is None:
            # decoding every row's attribute JSON is most of a page's cost; only the
            # services' (owner) attributes are read
            rows = rows.defer("attributes", "description")
        fetched = rows.in_bulk(chosen)
        page = [fetched[p] for p in chosen if p in fetched]
        for row in page:  # classes from the table read once, not a join per row
            class_field.set_cached_value(row, class_table[row.ci_class_id])
        if as_of is not None:
            page = cis_as_of(page, as_of)
        by_pk = {c.pk: c for c in page}
        out = []
        for i in selection:
            ci = by_pk.get(int(v_pks[i]))
            if ci is None:
                continue
            chain = chain_of(int(v_pks[i]))
            out.append(
                ImpactedCI(
                    ci,
                    STATE_NAMES[int(v_states[i])],
                    int(v_depths[i]),
                    [_step(p, names, lookup, failed_set) for p in chain],
                )
            )
        return out

    services = np.isin(classes, list(class_ids_below(SERVICE_CLASS, class_table.values())))
    apps = np.isin(classes, list(class_ids_below(APPLICATION_CLASS, class_table.values())))
    service_sel = _ordered(
        np.flatnonzero(services), v_states, v_depths, SUMMARY_CAP, report, "services"
    )
    app_sel = _ordered(
        np.flatnonzero(apps), v_states, v_depths, SUMMARY_CAP, report, "applications"
    )

    detail = np.ones(v_pks.size, dtype=np.bool_)
    if state:
        detail &= down_mask if state == "down" else ~down_mask
    if class_filter is not None:
        detail &= np.isin(classes, list(class_ids_below(class_filter.name, class_table.values())))
    detail_idx = np.flatnonzero(detail)  # BFS order: by depth, then discovery
    report.details_count = int(detail_idx.size)
    page_sel = detail_idx[offset : offset + limit]

    chains = [chain_of(int(v_pks[i])) for i in (*service_sel, *app_sel, *page_sel)]
    names = dict(
        CI.objects.filter(pk__in={p for chain in chains for p in chain}).values_list("pk", "name")
    )
    names.update({c.pk: c.name for c in cis})
    report.services = impacted(service_sel, names, attributes=True)
    report.applications = impacted(app_sel, names)
    report.details = impacted(page_sel, names)
    failed_pks = np.array(sorted(c.pk for c in cis), dtype=np.int64)
    # the failed CIs' own teams are told too (they own the fix), counted as down
    f_rows, f_known = cat.rows(failed_pks)
    report.teams = _teams(
        user,
        cat,
        np.concatenate([v_rows, f_rows[f_known]]),
        np.concatenate([down_mask, np.ones(int(f_known.sum()), dtype=np.bool_)]),
        report.services,
    )
    report.people = _people(user, cat, lookup, report.services)
    failed_rows = f_rows[f_known]
    report.flags = _flags(user, cat, failed_pks, failed_rows, lookup, report)
    return report


def _ordered(
    selection: npt.NDArray[np.intp],
    states: npt.NDArray[np.int8],
    depths: npt.NDArray[np.int32],
    cap: int,
    report: ImpactReport,
    name: str,
) -> npt.NDArray[np.intp]:
    """DOWN first, then by depth; at most ``cap`` (noted in ``report.truncated``)."""
    order = np.lexsort((depths[selection], -states[selection].astype(np.int16)))
    if order.size > cap:
        report.truncated.append(name)
    return selection[order[:cap]]


class _Chains:
    """Impact chains of a result, memoised; node states as one dense array (no per-node
    binary searches), so hundreds of chains cost a few milliseconds."""

    FAILED = 3

    def __init__(self, result: engine.ImpactResult, eg: EstateGraph) -> None:
        self.result, self.eg = result, eg
        n = eg.graph.n_nodes
        self.state = np.zeros(n, dtype=np.int8)
        self.state[result.nodes] = result.states
        self.state[result.failed] = self.FAILED
        self.depth = np.zeros(n, dtype=np.int32)
        self.depth[result.nodes] = result.depths
        self.parent = np.full(n, -1, dtype=np.int64)
        self.parent[result.nodes] = result.parents
        self.memo: dict[int, list[int]] = {}

    def _shortest(self, node: int) -> list[int]:
        """The engine's shortest chain (``ImpactResult.path``) over the dense arrays."""
        chain = [node]
        while self.state[chain[-1]] != self.FAILED and len(chain) <= self.depth[node] + 1:
            chain.append(int(self.parent[chain[-1]]))
        return chain[::-1]

    def __call__(self, pk: int) -> list[int]:
        """CI pks from a failed CI to ``pk``: one shortest impact chain, or for a DOWN CI
        whose shortest chain passes through merely degraded CIs, a chain of DOWN CIs (the one
        that explains *why* it is down: storage → farm → VM → database, not → DNS)."""
        if pk not in self.memo:
            node = self.eg.node_of(pk)
            path = self._shortest(node)
            down = int(engine.NodeState.DOWN)
            if self.state[node] == down and bool((self.state[path] < down).any()):
                path = self._down_chain(node) or path
            self.memo[pk] = [int(p) for p in self.eg.pks_of(path)]
        return self.memo[pk]

    def _down_chain(self, node: int) -> list[int] | None:
        """Walk back through DOWN predecessors (closest first) to a failed CI."""
        graph = self.eg.graph
        needs = graph.adj_depends()
        chain, seen, current = [node], {node}, node
        for _ in range(256):
            if self.state[current] == self.FAILED:
                return chain[::-1]
            internal = int(graph.to_internal([current])[0])
            lo, hi = int(needs.indptr[internal]), int(needs.indptr[internal + 1])
            preds = graph.to_external(needs.indices[lo:hi])
            preds = preds[self.state[preds] >= int(engine.NodeState.DOWN)]
            preds = preds[[int(p) not in seen for p in preds.tolist()]]
            if preds.size == 0:
                return None
            failed = preds[self.state[preds] == self.FAILED]
            best = int(failed[0]) if failed.size else int(preds[np.argmin(self.depth[preds])])
            chain.append(best)
            seen.add(best)
            current = best
        return None


def _by_class(classes: I64, down_mask: Mask) -> list[ClassCount]:
    """Counts per class id with ``bincount`` (class ids are small: no sort of 500k rows)."""
    if classes.size == 0:
        return []
    totals = np.bincount(classes)
    downs = np.bincount(classes[down_mask], minlength=totals.size)
    ids = np.flatnonzero(totals)
    found = CIClass.objects.in_bulk(ids.tolist())
    counts = [
        ClassCount(found[i], int(downs[i]), int(totals[i] - downs[i]))
        for i in ids.tolist()
        if i in found
    ]
    return sorted(counts, key=lambda c: (-c.total, c.ci_class.name))


def _teams(
    user: Any,
    cat: Catalogue,
    rows: npt.NDArray[np.intp],
    down_mask: Mask,
    services: list[ImpactedCI],
) -> list[TeamToNotify]:
    """Owning teams and support groups of the given CIs, most affected first (department
    ids are small: ``bincount`` instead of one pass per team)."""
    owning, support = cat.owning_team[rows], cat.support_group[rows]
    size = int(max(owning.max(initial=0), support.max(initial=0))) + 1
    owns = np.bincount(owning, minlength=size)
    supports = np.bincount(support, minlength=size)
    # down CIs a team owns or supports (once when it does both)
    down = (
        np.bincount(owning[down_mask], minlength=size)
        + np.bincount(support[down_mask], minlength=size)
        - np.bincount(owning[down_mask & (owning == support)], minlength=size)
    )
    owns[0] = supports[0] = 0
    ids = np.flatnonzero(owns + supports)
    if ids.size == 0:
        return []
    teams = restrict(Department.objects.filter(pk__in=ids.tolist()), user, "view").in_bulk()
    out = [
        TeamToNotify(
            team,
            int(owns[team_id]),
            int(supports[team_id]),
            int(down[team_id]),
            sorted(
                s.ci.name
                for s in services
                if team_id in (s.ci.owning_team_id, s.ci.support_group_id)
            ),
        )
        for team_id, team in teams.items()
    ]
    out.sort(key=lambda t: (-len(t.services), -t.down, -(t.owns + t.supports), t.team.name))
    return out[:LIST_CAP]


def _linked_assets(user: Any, cat: Catalogue, rows: I64, extra: Q) -> QuerySet[Asset]:
    """Visible assets linked to the CIs at lookup ``rows`` matching ``extra``.

    The asset ids come from the lookup columns, so CIs without an asset (most servers of a
    big estate) cost nothing and the query is a primary-key lookup; only when very many
    assets are involved does it read every linked asset matching ``extra`` instead.
    """
    if not has_perm(user, "assets.asset", "view"):
        return Asset.objects.none()
    asset_ids = cat.asset[rows]
    asset_ids = np.unique(asset_ids[asset_ids > 0])
    if asset_ids.size == 0:
        return Asset.objects.none()
    base = restrict(Asset.objects.filter(extra, ci__isnull=False), user, "view")
    if asset_ids.size <= MAX_IN:
        return base.filter(pk__in=asset_ids.tolist())
    return base


def _people(
    user: Any, cat: Catalogue, lookup: _StateLookup, services: list[ImpactedCI]
) -> list[PersonToNotify]:
    """Custodians of affected endpoints and owners of affected services (visible people)."""
    reasons: dict[int, list[str]] = {}
    held = list(
        _linked_assets(user, cat, lookup.rows, Q(custodian__isnull=False)).values_list(
            "ci__pk", "ci__name", "custodian_id"
        )
    )
    states = lookup.states([row[0] for row in held])
    for (_, ci_name, person_id), state in zip(held, states, strict=True):
        if state is not None:
            reasons.setdefault(person_id, []).append(f"custodian of {ci_name} ({state})")
    for service in services:
        owner = (service.ci.attributes or {}).get("service_owner")
        if isinstance(owner, int) or (isinstance(owner, str) and owner.isdigit()):
            reasons.setdefault(int(owner), []).append(
                f"owner of {service.ci.name} ({service.state})"
            )
    if not reasons or not has_perm(user, "org.person", "view"):
        return []
    people = restrict(Person.objects.filter(pk__in=list(reasons)), user, "view").in_bulk()
    out = [PersonToNotify(p, sorted(reasons[pk])) for pk, p in people.items()]
    out.sort(key=lambda p: (not any(r.startswith("owner") for r in p.reasons), str(p.person)))
    return out[:MAX_PEOPLE]


def _flags(
    user: Any,
    cat: Catalogue,
    failed: I64,
    failed_rows: I64,
    lookup: _StateLookup,
    report: ImpactReport,
) -> list[AssetFlag]:
    """Out-of-warranty and past-end-of-life assets of failed and affected visible CIs."""
    today = timezone.localdate()
    on_path = np.concatenate([failed_rows, lookup.rows])
    failed_set = set(failed.tolist())
    assets = list(
        _linked_assets(user, cat, on_path, Q(warranty_end__lt=today) | Q(eol_date__lt=today))
        .select_related("ci")
        .order_by("pk")
    )
    states = lookup.states([a.ci.pk for a in assets])
    out = []
    for asset, state in zip(assets, states, strict=True):
        ci = asset.ci
        if ci.pk in failed_set:
            state = "failed"
        if state is None:
            continue
        out.append(
            AssetFlag(
                ci,
                asset,
                state,
                asset.warranty_end,
                bool(asset.warranty_end and asset.warranty_end < today),
                asset.eol_date,
                bool(asset.eol_date and asset.eol_date < today),
            )
        )
    order = {"failed": 0, "down": 1, "degraded": 2}
    out.sort(key=lambda f: (order[f.state], f.ci.name))
    if len(out) > LIST_CAP:
        report.truncated.append("flags")
    return out[:LIST_CAP]


def run_impact(
    user: Any,
    refs: Sequence[str | int],
    as_of: str | dt.datetime | None = None,
    **options: Any,
) -> ImpactReport:
    """One call for every surface: parse ``as_of``, resolve the CIs, analyse.

    Why: the API, the UI and the CLI must answer the same question the same way.
    """
    if not has_perm(user, "cmdb.ci", "view"):
        raise PermissionDenied("you may not view CIs")
    when = parse_when(as_of) if isinstance(as_of, str) else as_of
    if when is not None and when >= timezone.now():
        when = None  # "as of now or later" is the current estate
    refs = [r for r in refs if str(r).strip()]
    if not refs:
        raise ValidationFailed("ci: name at least one CI", fields={"ci": ["required"]})
    return analyse_impact(user, resolve_cis(user, refs, when), when, **options)
