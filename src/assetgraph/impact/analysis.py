"""Impact analysis: "if these CIs fail (now, or as the estate was at T), what is affected?".

The pure engine (:func:`assetgraph.graph.impact`) answers with node indices, states, depths and
explanation chains; this module turns the answer into what people act on
(:class:`~assetgraph.impact.report.ImpactReport`, rules in docs/impact.md):

* infrastructure DOWN or DEGRADED: business services and applications (the classes marked
  ``business-service`` and ``application`` and their subclasses) listed, every other affected
  CI counted per class;
* end-user devices (the ``endpoint`` class family) that lose something they use: their users
  are affected (``service_lost``/``service_degraded``), counted per service, site and
  department (:mod:`assetgraph.impact.audience`);
* who to notify: owners of affected services, owning teams and support groups, then the
  affected users grouped by service; ITAM flags on the impact path (out of warranty, past
  end of life) for the failed and the affected infrastructure;
* each listed CI with its state, depth and the chain from a failed CI that explains it.

Permissions: one check per request (:class:`~assetgraph.impact.viewer.Viewer`): the caller
must be able to view CIs and must see every failed CI (else :class:`NotFound`, a 404: a hidden
CI is absent). Affected CIs the caller may not see appear only as one number, ``hidden``: they
are left out of every list, count and team/people derivation, and a path through one shows
"hidden CI" for that step.

Scale: the result can hold 500k CIs. Counts are computed over lookup columns in numpy
(:mod:`assetgraph.impact.catalogue`); lists are capped and the per-CI detail is a page
(``limit``/``offset``), fetched with one ``in_bulk``. No query runs per CI.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db.models import Q
from django.utils import timezone

from assetgraph import graph as engine
from assetgraph.accounts.permissions import restrict
from assetgraph.cmdb.choices import ClassSlug
from assetgraph.cmdb.history import cis_as_of, parse_when
from assetgraph.cmdb.models import CI, CIClass
from assetgraph.core.closest import closest_names, did_you_mean
from assetgraph.core.errors import NotFound, ValidationFailed
from assetgraph.framework.flags import IdList

from .affected import APPLICATION, INFRA_STATES, SERVICE, Affected, affect
from .audience import LIST_CAP, linked_assets, notify
from .business import add_business_facts
from .estate import UnknownCI
from .report import (
    DEFAULT_LIMIT,
    AssetFlag,
    ClassCount,
    ImpactedCI,
    ImpactReport,
    ListedCI,
    PathStep,
    PersonToNotify,
    TeamToNotify,
)
from .viewer import Viewer, visibility

__all__ = [
    "AssetFlag",
    "ClassCount",
    "ImpactReport",
    "ImpactedCI",
    "PathStep",
    "PersonToNotify",
    "TeamToNotify",
    "Viewer",
    "analyse_impact",
    "resolve_cis",
    "run_impact",
    "visibility",
]

MAX_FAILED = 1_000
MAX_LIMIT = 500
# Services and applications listed in the summary (DOWN first); the rest are in the details.
SUMMARY_CAP = 100
STATES = ("down", "degraded", "service_lost", "service_degraded", "infrastructure", "devices")

I64 = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]


_NAME_ID = re.compile(r"^(.*?)\s*#(\d+)\s*$")


def resolve_cis(who: Any, refs: Sequence[str | int], when: dt.datetime | None = None) -> list[CI]:
    """CIs by id, ``name #id`` or exact name (case-insensitive), among those the caller may
    view; an unknown name is answered with the closest visible names.

    Why: people name CIs ("stor-aus1-01"); scripts pass ids. A name matching several CIs is
    a 422 listing their ids; an unknown or hidden one is a 404 naming it. ``who`` is a user
    or a :class:`Viewer`.
    """
    user = who.user if isinstance(who, Viewer) else who
    base = CI.objects.current() if when is None else CI.objects.as_of(when)
    visible = restrict(base.select_related("ci_class"), user, "view")
    found: list[CI] = []
    for ref in refs:
        text = str(ref).strip()
        ci: CI | None = None
        if text.lstrip("#").isdigit():
            ci = visible.filter(pk=int(text.lstrip("#"))).first()
        elif token := _NAME_ID.match(text):  # "name #id", as the pickers fill it in
            ci = visible.filter(pk=int(token.group(2))).first()
            if ci is None:
                raise NotFound(f"CI {text!r} not found")
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
            hint = did_you_mean(closest_names(visible, ("name",), text))
            raise NotFound(
                f"CI {text!r} not found{hint}", fields={"ci": [f"{text!r} not found{hint}"]}
            )
        if ci not in found:
            found.append(ci)
    return found


# ------------------------------------------------------------------------------ options
@dataclass(frozen=True)
class _Options:
    """The detail page asked for, validated (every error names its field)."""

    state: str | None
    class_filter: CIClass | None
    limit: int
    offset: int
    max_depth: int | None

    @classmethod
    def check(
        cls,
        cis: Sequence[CI],
        state: str | None,
        ci_class: int | None,
        limit: int,
        offset: int,
        max_depth: int | None,
    ) -> _Options:
        if not cis:
            raise ValidationFailed("ci: name at least one CI", fields={"ci": ["required"]})
        if len(cis) > MAX_FAILED:
            raise ValidationFailed(
                f"ci: at most {MAX_FAILED} CIs", fields={"ci": [f"at most {MAX_FAILED}"]}
            )
        if state not in (None, "", *STATES):
            raise ValidationFailed(
                f"state: use {', '.join(STATES)}", fields={"state": [", ".join(STATES)]}
            )
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
        return cls(state or None, class_filter, limit, offset, max_depth)


# ------------------------------------------------------------------------------ the service
def analyse_impact(
    who: Any,
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

    ``who`` is a user (checked here) or the :class:`Viewer` a surface already made.
    ``state``/``ci_class`` filter the detail page (not the summary); ``limit``/``offset``
    page it. ``as_of`` analyses the estate as it was then (relationships and redundancy then;
    classes, teams and names as now, except the page rows, shown as they were).
    """
    viewer = Viewer.of(who)
    options = _Options.check(cis, state, ci_class, limit, offset, max_depth)
    affected = affect(viewer, cis, as_of, options.max_depth)
    report = ImpactReport(
        failed=list(cis),
        as_of=as_of,
        revision=affected.eg.revision,
        hidden=affected.hidden,
        limit=options.limit,
        offset=options.offset,
        state_filter=options.state,
        class_filter=options.class_filter,
    )
    _summarise(affected, report)
    _list(affected, report, options)
    notify(affected, report)
    report.flags = _flags(affected, report)
    add_business_facts(affected, report)
    return report


def _summarise(affected: Affected, report: ImpactReport) -> None:
    """Infrastructure counts, per state and per class (end-user devices are in ``users``),
    from the per-class counts of the one pass over the lookup columns (:func:`affect`)."""
    tally = affected.class_tally  # kinds: 2 * down + device; infrastructure is 0 and 2
    report.down = int(tally[:, 2].sum())
    report.degraded = int(tally[:, 0].sum())
    table = affected.class_table
    counts = [
        ClassCount(table[i], int(tally[i, 2]), int(tally[i, 0]))
        for i in np.flatnonzero(tally[:, 0] + tally[:, 2]).tolist()
        if i in table
    ]
    report.by_class = sorted(counts, key=lambda c: (-c.total, c.ci_class.name))


def _ordered(
    affected: Affected, selection: npt.NDArray[np.intp], report: ImpactReport, name: str
) -> npt.NDArray[np.intp]:
    """DOWN first, then by depth, then in discovery order; at most ``SUMMARY_CAP`` (noted in
    ``report.truncated``).

    Positions are in BFS order, by depth already: the order is then a stable partition of the
    (ascending) selection into DOWN and the rest, and only the first ``SUMMARY_CAP`` of each
    are kept — no sort of 100k selected CIs.
    """
    if not affected.depth_ordered:
        selection = selection[np.argsort(affected.depths[selection], kind="stable")]
    if selection.size > SUMMARY_CAP:
        report.truncated.append(name)
        report.totals[name] = int(selection.size)
    down = affected.down[selection]
    first = selection[down][:SUMMARY_CAP]
    rest = selection[~down][: SUMMARY_CAP - first.size]
    return np.concatenate([first, rest])


def _list(affected: Affected, report: ImpactReport, options: _Options) -> None:
    """The services and applications lists and the detail page, with their chains."""
    services = _ordered(affected, affected.with_label(SERVICE), report, "services")
    applications = _ordered(affected, affected.with_label(APPLICATION), report, "applications")
    page = _page(affected, report, options)
    every = np.concatenate([services, applications, page])
    chains = affected.chains(every.tolist())
    wanted = {pk for chain in chains for pk, shown in chain if shown}
    listed, names = _rows(
        affected, affected.pks_at(every).tolist(), wanted, set(affected.pks_at(services).tolist())
    )
    names.update({c.pk: c.name for c in affected.failed})
    chain_of = dict(zip(every.tolist(), chains, strict=True))
    report.services = _impacted(affected, services, chain_of, names, listed)
    report.applications = _impacted(affected, applications, chain_of, names, listed)
    report.details = _impacted(affected, page, chain_of, names, listed)


def _page(affected: Affected, report: ImpactReport, options: _Options) -> npt.NDArray[np.intp]:
    """The detail page's positions among the visible affected CIs (BFS order: by depth,
    then discovery), and their count in ``report.details_count``. Unfiltered, the page is a
    range: no pass over a result of 500k CIs."""
    size = int(affected.nodes.size)
    if options.state is None and options.class_filter is None:
        report.details_count = size
        end = min(options.offset + options.limit, size)
        return np.arange(min(options.offset, size), end, dtype=np.intp)
    detail = np.ones(size, dtype=np.bool_)
    if options.state == "infrastructure":  # everything but end-user devices
        detail &= ~affected.endpoint
    elif options.state == "devices":  # end-user devices only, lost or degraded
        detail &= affected.endpoint
    elif options.state:
        detail &= affected.endpoint == options.state.startswith("service_")
        detail &= affected.down == (options.state in ("down", "service_lost"))
    if options.class_filter is not None:
        detail &= affected.of_class(affected.subclasses(options.class_filter.pk))
    detail_idx = np.flatnonzero(detail)
    report.details_count = int(detail_idx.size)
    return detail_idx[options.offset : options.offset + options.limit]


# what a listed CI shows (:class:`ListedCI`), read as rows: no model instances
LISTED = ("pk", "name", "ci_class_id", "criticality", "owning_team_id", "support_group_id")


def _rows(
    affected: Affected, chosen: list[int], wanted: set[int], services: set[int]
) -> tuple[dict[int, ListedCI], dict[int, str]]:
    """The listed CIs ``chosen`` by pk, and the current names of the chains' visible steps
    ``wanted``: one read of a few columns for both, and the attributes of the ``services``
    (their owners); at ``as_of``, the listed CIs as they were then."""
    found = {
        row[0]: row
        for row in CI.objects.filter(pk__in=IdList({*chosen, *wanted}))
        .order_by()
        .values_list(*LISTED)
    }
    names = {pk: found[pk][1] for pk in wanted if pk in found}
    if affected.as_of is not None:
        return _rows_as_of(affected, chosen, services), names
    attributes: dict[int, dict[str, Any]] = dict(
        CI.objects.filter(pk__in=IdList(services)).order_by().values_list("pk", "attributes")
    )
    table = affected.class_table
    listed = {}
    for pk in chosen:
        row = found.get(pk)
        if row is not None:
            _, name, class_id, criticality, team, group = row
            listed[pk] = ListedCI(
                pk, name, table[class_id], criticality, team, group, attributes.get(pk)
            )
    return listed, names


def _rows_as_of(affected: Affected, chosen: list[int], services: set[int]) -> dict[int, ListedCI]:
    """The listed CIs as they were at ``as_of`` (their state from the audit spine)."""
    fetched = CI.objects.in_bulk(chosen)
    page = [fetched[p] for p in chosen if p in fetched]
    class_field = CI._meta.get_field("ci_class")
    for row in page:  # classes from the table read once, not a join per row
        class_field.set_cached_value(row, affected.class_table[row.ci_class_id])
    assert affected.as_of is not None
    return {
        ci.pk: ListedCI(
            ci.pk,
            ci.name,
            ci.ci_class,
            ci.criticality,
            ci.owning_team_id,
            ci.support_group_id,
            ci.attributes if ci.pk in services else None,
        )
        for ci in cis_as_of(page, affected.as_of)
    }


def _impacted(
    affected: Affected,
    selection: npt.NDArray[np.intp],
    chain_of: dict[int, list[tuple[int, bool]]],
    names: dict[int, str],
    listed: dict[int, ListedCI],
) -> list[ImpactedCI]:
    """Rows of the selected affected CIs, each with its chain."""
    out = []
    for i, pk in zip(selection.tolist(), affected.pks_at(selection).tolist(), strict=True):
        ci = listed.get(pk)
        if ci is None:
            continue
        out.append(
            ImpactedCI(
                ci,
                affected.state_name(i),
                int(affected.depths[i]),
                [affected.step(pk, shown, names) for pk, shown in chain_of[i]],
            )
        )
    return out


def _flags(affected: Affected, report: ImpactReport) -> list[AssetFlag]:
    """Out-of-warranty and past-end-of-life assets of the failed and the affected visible
    infrastructure (an end-user device that lost a service is not on the path)."""
    today = timezone.localdate()
    cat = affected.cat
    f_rows, f_known = cat.rows(affected.failed_pks)
    # the failed CIs' assets, then the affected infrastructure's (read in affect()'s pass)
    on_path = np.concatenate([engine.nonzero_at(cat.asset, f_rows[f_known]), affected.infra_assets])
    failed = set(affected.failed_pks.tolist())
    devices = set(affected.classes_below(ClassSlug.END_USER_DEVICE))
    expired = Q(warranty_end__lt=today) | Q(eol_date__lt=today)
    assets = list(linked_assets(affected, on_path, expired).select_related("ci").order_by("pk"))
    states = _infra_states(affected, [a.ci for a in assets if a.ci.pk not in failed], devices)
    out = []
    for asset in assets:
        ci = asset.ci
        state = "failed" if ci.pk in failed else states.get(ci.pk)
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
        report.totals["flags"] = len(out)
    return out[:LIST_CAP]


def _infra_states(affected: Affected, cis: list[CI], devices: set[int]) -> dict[int, str]:
    """``down``/``degraded`` of those of ``cis`` that are visible affected infrastructure
    (others are absent): one lookup for all of them in the per-node state code."""
    nodes: list[int] = []
    pks: list[int] = []
    for ci in cis:
        if ci.ci_class_id in devices:
            continue
        try:
            nodes.append(affected.eg.node_of(ci.pk))
        except UnknownCI:  # not in the estate (retired, or not yet at as_of)
            continue
        pks.append(ci.pk)
    codes = affected.code_of(nodes).tolist() if nodes else []
    return {pk: INFRA_STATES[c] for pk, c in zip(pks, codes, strict=True) if c in INFRA_STATES}


def run_impact(
    who: Any,
    refs: Sequence[str | int],
    as_of: str | dt.datetime | None = None,
    **options: Any,
) -> ImpactReport:
    """One call for every surface: check permission once, parse ``as_of``, resolve the CIs,
    analyse.

    Why: the API, the UI and the CLI must answer the same question the same way. ``who`` is a
    user or a :class:`Viewer` (a surface that made one already passes it: one check).
    """
    viewer = Viewer.of(who)
    when = parse_when(as_of) if isinstance(as_of, str) else as_of
    if when is not None and when >= timezone.now():
        when = None  # "as of now or later" is the current estate
    refs = [r for r in refs if str(r).strip()]
    if not refs:
        raise ValidationFailed("ci: name at least one CI", fields={"ci": ["required"]})
    return analyse_impact(viewer, resolve_cis(viewer, refs, when), when, **options)
