"""Objective graph answers for other apps (change assessment, later finance and security):
what failing a set of CIs takes down or degrades over the whole estate, regardless of who asks.

Not :func:`assetgraph.impact.analysis.analyse_impact`: that is a user-facing report (it needs a
user who can see every failed CI, and pages its lists); these are the plain facts, cheap enough
to run several times per request, and callers filter what they name with ``restrict``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from assetgraph import graph as engine
from assetgraph.cmdb.models import CI, Relationship

from .catalogue import catalogue
from .estate import UnknownCI, estate_graph

I64 = npt.NDArray[np.int64]
DOWN, DEGRADED = int(engine.NodeState.DOWN), int(engine.NodeState.DEGRADED)

EMPTY = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True, eq=False)
class EstateImpact:
    """Impact of taking some CIs down, as arrays (a change on a core switch can touch
    hundreds of thousands of CIs: no per-CI Python objects, no SQL ``IN`` lists of them).

    ``failed`` are the CIs taken down (sorted pks), ``affected``/``states`` the CIs the
    failure reaches and their engine state (DEGRADED or DOWN).
    """

    failed: I64
    affected: I64
    states: npt.NDArray[np.int8]

    def touched(self) -> I64:
        """Failed and affected CIs (sorted, unique)."""
        return np.union1d(self.failed, self.affected)

    def down(self) -> I64:
        """Failed CIs plus the affected ones that are DOWN (sorted, unique)."""
        return np.union1d(self.failed, self.affected[self.states == DOWN])

    def state_of(self, pks: Iterable[int]) -> dict[int, int]:
        """Engine state of a few CIs (DOWN for failed ones; unaffected ones are left out)."""
        wanted = np.fromiter((int(p) for p in pks), dtype=np.int64)
        result: dict[int, int] = {}
        if wanted.size == 0:
            return result
        if self.affected.size:
            order = np.argsort(self.affected)
            keys = self.affected[order]
            pos = np.minimum(np.searchsorted(keys, wanted), keys.size - 1)
            hit = keys[pos] == wanted
            found = self.states[order][pos[hit]].tolist()
            for pk, state in zip(wanted[hit].tolist(), found, strict=True):
                result[pk] = int(state)
        for pk in np.intersect1d(wanted, self.failed).tolist():
            result[pk] = DOWN
        return result


NO_IMPACT = EstateImpact(EMPTY, EMPTY, np.zeros(0, dtype=np.int8))


def impact_of(down_pks: Iterable[int]) -> EstateImpact:
    """Run the engine's impact for CIs taken down (retired/unknown CIs are ignored).

    Not :func:`assetgraph.impact.analysis.analyse_impact`: that is a user-facing report (it
    needs a user who can see every failed CI, and pages its lists); an assessment needs the
    objective impact, also of CIs the reader may not see, and several runs per change.
    """
    pks = sorted(set(down_pks))
    if not pks:
        return NO_IMPACT
    eg = estate_graph()
    try:
        nodes = eg.nodes_of(pks)
    except UnknownCI as exc:
        missing = set(exc.pks)
        pks = [p for p in pks if p not in missing]
        if not pks:
            return NO_IMPACT
        nodes = eg.nodes_of(pks)
    result = engine.impact(eg.graph, nodes)
    return EstateImpact(
        np.array(pks, dtype=np.int64), eg.pks_of(result.nodes), result.states.astype(np.int8)
    )


def of_classes(pks: I64, class_ids: set[int]) -> I64:
    """The CIs among ``pks`` whose class is one of ``class_ids`` (catalogue lookup, numpy)."""
    if pks.size == 0 or not class_ids:
        return EMPTY
    cat = catalogue()
    pos, found = cat.rows(pks)
    classes = cat.ci_class[pos]
    keep = found & np.isin(classes, np.fromiter(class_ids, dtype=np.int64))
    return pks[keep]


def service_pks(impact: EstateImpact, service_ids: set[int]) -> set[int]:
    """Business services the impact touches (class lookup in the catalogue, no SQL).

    Only current CIs can be reached: a retired CI's relationships have ended, so in the
    estate graph it is isolated.
    """
    return set(of_classes(impact.touched(), service_ids).tolist())


def redundant_groups(pks: I64) -> I64:
    """The CIs among ``pks`` with redundancy enabled (the estate graph knows them)."""
    groups = np.fromiter(estate_graph().redundancy.keys(), dtype=np.int64)
    return np.intersect1d(pks, groups)


def groups_left_degraded(impact: EstateImpact) -> list[tuple[int, int, int, int]]:
    """``(group pk, members, members down, tolerated)`` of redundancy groups left degraded.

    A group counts when redundancy is enabled, it is DEGRADED (not DOWN) and one of its own
    members is out: the change eats the group's spare capacity.
    """
    degraded = redundant_groups(impact.affected[impact.states == DEGRADED]).tolist()
    if not degraded:
        return []
    groups = list(
        CI.objects.current()
        .filter(pk__in=degraded)
        .exclude(redundancy_mode="disabled")
        .values_list("pk", "redundancy_mode", "redundancy_value")
    )
    members: dict[int, list[int]] = {}
    for source, target in (
        Relationship.objects.current()
        .filter(target_id__in=[g[0] for g in groups], type__is_membership=True)
        .values_list("source_id", "target_id")
    ):
        members.setdefault(target, []).append(source)
    down = impact.down()
    found = []
    for pk, mode, value in groups:
        group_members = np.array(members.get(pk, []), dtype=np.int64)
        n_down = int(np.isin(group_members, down).sum())
        if n_down == 0:
            continue
        total = int(group_members.size)
        if mode == "count":
            min_up = min(value or total, total)
        else:
            min_up = -(-total * (value or 100) // 100)
        found.append((pk, total, n_down, max(total - min_up, 0)))
    return found


# ----------------------------------------------------------------------------- results


def asset_ids_of(pks: I64) -> I64:
    """The asset ids linked to the CIs ``pks`` (the catalogue's asset column, no SQL)."""
    if pks.size == 0:
        return EMPTY
    cat = catalogue()
    pos, found = cat.rows(pks)
    assets = np.unique(cat.asset[pos][found])
    return assets[assets > 0]
