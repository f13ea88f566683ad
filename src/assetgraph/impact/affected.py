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
from dataclasses import dataclass
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


@dataclass(frozen=True, eq=False)
class Affected:
    """The visible affected CIs of one failure, aligned arrays in the engine's BFS order.

    ``endpoint`` marks end-user devices; ``code`` is per graph node: 0 not affected (or
    hidden), 1 degraded, 2 down — visible affected CIs only.
    """

    viewer: Viewer
    eg: EstateGraph
    result: engine.ImpactResult
    cat: Catalogue
    failed: list[CI]
    as_of: dt.datetime | None
    nodes: I32
    pks: I64
    rows: I64
    states: I8
    depths: I32
    classes: I64
    endpoint: Mask
    hidden: int
    code: I8
    class_table: dict[int, CIClass]

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
        affected CI, else the step is a hidden CI."""
        if not len(selection):
            return []
        paths = self.result.paths(self.nodes[np.asarray(selection, dtype=np.intp)])
        every = np.concatenate(paths)
        pks = self.eg.pks_of(every).tolist()
        shown = (self.code[every] > 0).tolist()
        out = []
        start = 0
        for path in paths:  # a chain starts at its failed CI; the rest are affected CIs
            end = start + int(path.size)
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
    pks = eg.pks_of(result.nodes)
    cat = catalogue()
    direct = rows_are_nodes(eg, cat)  # then every affected node is its own lookup row
    rows, known = node_rows(eg, cat)
    seen = viewer.cis(pks) if direct else viewer.cis(pks) & known[result.nodes]
    class_table = CIClass.objects.in_bulk()
    n_seen = int(np.count_nonzero(seen))
    nodes, states, depths = result.nodes, result.states, result.depths
    if n_seen < pks.size:  # else every affected CI is visible: no copies of 500k entries
        nodes, pks, states, depths = nodes[seen], pks[seen], states[seen], depths[seen]
    v_rows = nodes.astype(np.int64) if direct else rows[nodes]  # a copy, not a gather
    code = np.zeros(eg.graph.n_nodes, dtype=np.int8)
    code[nodes] = states
    affected = Affected(
        viewer=viewer,
        eg=eg,
        result=result,
        cat=cat,
        failed=list(cis),
        as_of=as_of,
        nodes=nodes,
        pks=pks,
        rows=v_rows,
        states=states,
        depths=depths,
        classes=cat.ci_class[v_rows],
        endpoint=np.zeros(nodes.size, dtype=np.bool_),
        hidden=int(result.nodes.size - n_seen),
        code=code,
        class_table=class_table,
    )
    devices = affected.classes_below(ClassSlug.END_USER_DEVICE)
    if devices:
        affected.endpoint[:] = affected.of_class(devices)
    return affected
