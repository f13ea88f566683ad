"""One engine run mapped to what the caller may see: the arrays every part of an impact
report is cut from.

The engine answers in node indices; here they become CI primary keys, lookup-column rows,
classes and states of the *visible* affected CIs (hidden ones are only counted), plus a
dense per-node state code so that path steps and "is this CI affected?" cost a gather, never
a query. End-user devices are told apart by class (the built-in *Endpoint* family).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt

from assetgraph import graph as engine
from assetgraph.cmdb.choices import ClassSlug
from assetgraph.cmdb.models import CI, CIClass, subclass_ids
from assetgraph.core.errors import NotFound

from .catalogue import Catalogue, catalogue, node_rows, rows_are_nodes
from .estate import EstateGraph, UnknownCI, estate_graph
from .report import PathStep
from .viewer import Viewer

__all__ = ["Affected", "affect"]

I8 = npt.NDArray[np.int8]
I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]
DOWN = int(engine.NodeState.DOWN)
DEGRADED = int(engine.NodeState.DEGRADED)
# state names: infrastructure, and end-user devices (whose user is what is affected)
INFRA_STATES = {DOWN: "down", DEGRADED: "degraded"}
DEVICE_STATES = {DOWN: "service_lost", DEGRADED: "service_degraded"}
# label bits of a class (Affected.labels): an end-user device, a business service, an application
DEVICE, SERVICE, APPLICATION = 1, 2, 4
# up to this many CIs are looked up by scanning the answer (~0.3 ms each at 500k affected);
# more, and the per-node state table is built (one scatter of the answer)
FEW_LOOKUPS = 4


@dataclass(frozen=True, eq=False)
class Affected:
    """The visible affected CIs of one failure, aligned arrays in the engine's BFS order.

    ``rows`` are their lookup-column rows (the engine nodes themselves when rows and nodes
    coincide); ``endpoint`` marks end-user devices. Primary keys (:attr:`pks`,
    :meth:`pks_at`) and the per-node state code (:meth:`code_of`) are derived on demand:
    a report needs them for a few hundred CIs, and each full array of 500k entries costs a
    random gather.
    """

    viewer: Viewer
    eg: EstateGraph
    result: engine.ImpactResult
    cat: Catalogue
    failed: list[CI]
    as_of: dt.datetime | None
    nodes: I32
    rows: npt.NDArray[np.integer]  # int32 engine nodes when rows are nodes
    states: I8
    depths: I32
    classes: I64
    endpoint: Mask
    hidden: int
    class_table: dict[int, CIClass]
    # from the one pass over the lookup columns (:func:`~assetgraph.graph.row_facts`):
    # per CI its class's label bits (DEVICE, SERVICE, APPLICATION); per class id and kind
    # (2 * down + device) the CIs; per team the same split (owning, supporting, both); the
    # assets linked to the affected infrastructure
    labels: npt.NDArray[np.uint8] = field(default_factory=lambda: np.zeros(0, np.uint8))
    class_tally: I64 = field(default_factory=lambda: np.zeros((1, 4), np.int64))
    team_tally: I64 = field(default_factory=lambda: np.zeros((3, 1, 4), np.int64))
    infra_assets: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    # the visible affected CIs' pks when the visibility check needed them anyway
    known_pks: I64 | None = None
    # which reported CIs of the result are visible, when some are not (None: all are)
    visible: Mask | None = None

    @cached_property
    def _result_positions(self) -> I64 | None:
        """The result position of each visible affected CI (None: the same positions)."""
        return None if self.visible is None else np.flatnonzero(self.visible)

    @cached_property
    def pks(self) -> I64:
        """The primary keys of the visible affected CIs (every one: prefer :meth:`pks_at`)."""
        if self.known_pks is not None:
            return self.known_pks
        return self.eg.pks_of(self.nodes)

    def pks_at(self, positions: npt.ArrayLike) -> I64:
        """The primary keys of the visible affected CIs at ``positions``."""
        index = np.asarray(positions, dtype=np.intp)
        if self.known_pks is not None:
            out: I64 = self.known_pks[index]
            return out
        return self.eg.pks_of(self.nodes[index])

    @cached_property
    def depth_ordered(self) -> bool:
        """Whether positions are by non-decreasing depth (the engine's BFS order; checked
        once, so that callers may rely on it rather than sort 500k depths)."""
        return bool(np.all(self.depths[1:] >= self.depths[:-1]))

    @cached_property
    def code(self) -> I8:
        """Per graph node: 0 not affected (or hidden), 1 degraded, 2 down (visible affected
        CIs only): a scatter of the whole answer, built when many CIs are looked up."""
        code = np.zeros(self.eg.graph.n_nodes, dtype=np.int8)
        code[self.nodes] = self.states
        return code

    def code_of(self, nodes: npt.ArrayLike) -> I8:
        """The :attr:`code` of some graph ``nodes``; a handful are found by scanning the
        answer rather than by building the per-node table."""
        index = np.asarray(nodes, dtype=np.int64).reshape(-1)
        if index.size > FEW_LOOKUPS or "code" in self.__dict__:
            out: I8 = self.code[index]
            return out
        found = np.zeros(index.size, dtype=np.int8)
        for i, node in enumerate(index.tolist()):
            hit = np.flatnonzero(self.nodes == node)
            if hit.size:
                found[i] = self.states[hit[0]]
        return found

    @cached_property
    def tree(self) -> list[tuple[int, int | None]]:
        """The class tree as ``(pk, parent_id)`` pairs (read once with the class table)."""
        return [(c.pk, c.parent_id) for c in self.class_table.values()]

    @cached_property
    def _marked(self) -> dict[str, int]:
        """The built-in classes by their slug (from the class table: no query per slug)."""
        return {c.slug: c.pk for c in self.class_table.values() if c.slug}

    def classes_below(self, slug: str) -> list[int]:
        """The built-in class marked ``slug`` and its subclasses (as
        :func:`~assetgraph.cmdb.models.semantic_class_ids`: empty if it was deleted)."""
        root = self._marked.get(slug)
        return [] if root is None else subclass_ids(root, tree=self.tree)

    @cached_property
    def _top_class(self) -> int:
        """The largest class id among the visible affected CIs (the size of a class table)."""
        return int(self.classes.max(initial=0))

    def of_class(self, ids: Sequence[int]) -> Mask:
        """Which visible affected CIs belong to one of the class ``ids``."""
        wanted = [i for i in ids if i >= 0]
        if not wanted or self.classes.size == 0:
            return np.zeros(self.classes.size, dtype=np.bool_)
        # one gather from a table over the (few) class ids: one pass, not one per class
        table = np.zeros(max(self._top_class, max(wanted)) + 1, dtype=np.bool_)
        table[wanted] = True
        mask: Mask = table[self.classes]
        return mask

    def with_label(self, bit: int) -> npt.NDArray[np.intp]:
        """Positions of the visible affected CIs whose class carries label ``bit``
        (:data:`DEVICE`, :data:`SERVICE`, :data:`APPLICATION`): the built-in class family
        and its subclasses, as :meth:`classes_below`."""
        return np.flatnonzero(self.labels & bit)

    def subclasses(self, class_id: int) -> list[int]:
        """A class and its subclasses (detail filter)."""
        return subclass_ids(class_id, tree=self.tree)

    @cached_property
    def down(self) -> Mask:
        """Which visible affected CIs the engine says are DOWN."""
        mask: Mask = self.states == DOWN
        return mask

    @cached_property
    def failed_pks(self) -> I64:
        """The failed CIs' primary keys, sorted."""
        return np.array(sorted(c.pk for c in self.failed), dtype=np.int64)

    def state_name(self, i: int) -> str:
        """The reported state of visible affected CI ``i``."""
        names = DEVICE_STATES if self.endpoint[i] else INFRA_STATES
        return names[int(self.states[i])]

    def chains(self, selection: Sequence[int]) -> list[list[tuple[int, bool]]]:
        """The explanation chain of each selected affected CI, failed CI first, as
        ``(pk, shown)`` steps: shown when failed (they were resolved visible) or a visible
        affected CI, else the step is a hidden CI. Walked by result position: no lookup
        table of the whole answer."""
        if not len(selection):
            return []
        chosen = np.asarray(selection, dtype=np.int64)
        if self._result_positions is not None:
            chosen = self._result_positions[chosen]
        walks = self.result.paths_at(chosen)
        every = np.concatenate(walks)
        pks = self.eg.pks_of(self.result.chains.node_at(every)).tolist()
        reported = (every >= 0) & (every < self.result.nodes.size)
        if self.visible is not None:
            reported[reported] = self.visible[every[reported]]
        beyond = every >= self.result.nodes.size  # past max_depth: not checked by affect()
        if beyond.any() and not self.viewer.sees_every_ci:
            at = np.flatnonzero(beyond)
            beyond[at] = self.viewer.cis(np.asarray(pks, dtype=np.int64)[at])
        shown = (reported | beyond).tolist()
        out = []
        start = 0
        for walk in walks:  # a chain starts at its failed CI; the rest are affected CIs
            end = start + int(walk.size)
            rest = zip(pks[start + 1 : end], shown[start + 1 : end], strict=True)
            out.append([(pks[start], True), *rest])
            start = end
        return out

    @staticmethod
    def step(pk: int, shown: bool, names: dict[int, str]) -> PathStep:
        """A chain step as displayed."""
        if shown:
            return PathStep(pk, names.get(pk, f"CI {pk}"), True)
        return PathStep(None, "hidden CI", False)


def _nodes(eg: EstateGraph, pks: Sequence[int]) -> I32:
    try:
        return eg.nodes_of(pks)
    except UnknownCI as exc:
        raise NotFound(f"CI {exc.pks[0]} is not in the estate at that time") from exc


def affect(
    viewer: Viewer, cis: Sequence[CI], as_of: dt.datetime | None, max_depth: int | None
) -> Affected:
    """Run the engine for the failure of ``cis`` and keep what ``viewer`` may see."""
    eg = estate_graph(as_of)
    result = engine.impact(eg.graph, _nodes(eg, [c.pk for c in cis]), max_depth=max_depth)
    cat = catalogue()
    direct = rows_are_nodes(eg, cat)  # then every affected node is its own lookup row
    nodes, states, depths = result.nodes, result.states, result.depths
    pks: I64 | None = None
    seen: Mask | None = None
    if not viewer.sees_every_ci:  # else no pk of 500k affected CIs is needed to check
        pks = eg.pks_of(nodes)
        seen = viewer.cis(pks)
    if not direct:
        rows, known = node_rows(eg, cat)
        seen = known[nodes] if seen is None else seen & known[nodes]
    n_seen = int(nodes.size if seen is None else np.count_nonzero(seen))
    if seen is not None and n_seen < nodes.size:  # else no copies of 500k entries
        nodes, states, depths = nodes[seen], states[seen], depths[seen]
        pks = None if pks is None else pks[seen]
    else:
        seen = None
    class_table = CIClass.objects.in_bulk()
    v_rows = nodes if direct else rows[nodes]
    facts = engine.row_facts(
        v_rows,
        cat.ci_class,
        _labels(class_table, cat.class_slots),
        cat.owning_team,
        cat.support_group,
        cat.team_slots,
        states == DOWN,
        cat.asset,
    )
    return Affected(
        viewer=viewer,
        eg=eg,
        result=result,
        cat=cat,
        failed=list(cis),
        as_of=as_of,
        nodes=nodes,
        rows=v_rows,
        states=states,
        depths=depths,
        classes=facts.values,
        endpoint=(facts.labels & DEVICE).astype(np.bool_),
        hidden=int(result.nodes.size - n_seen),
        class_table=class_table,
        labels=facts.labels,
        class_tally=facts.by_key,
        team_tally=facts.tally,
        infra_assets=facts.linked,
        known_pks=pks,
        visible=seen,
    )


def _labels(class_table: dict[int, CIClass], slots: int) -> npt.NDArray[np.uint8]:
    """The label bits of every class id below ``slots``: the built-in end-user device,
    business service and application classes (by their slug) and their subclasses."""
    tree = [(c.pk, c.parent_id) for c in class_table.values()]
    labels = np.zeros(slots, dtype=np.uint8)
    for slug, bit in (
        (ClassSlug.END_USER_DEVICE, DEVICE),
        (ClassSlug.BUSINESS_SERVICE, SERVICE),
        (ClassSlug.APPLICATION, APPLICATION),
    ):
        root = next((c.pk for c in class_table.values() if c.slug == slug), None)
        if root is not None:
            ids = [i for i in subclass_ids(root, tree=tree) if 0 <= i < slots]
            labels[ids] |= bit
    return labels
