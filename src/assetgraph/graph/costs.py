"""Cost allocation up the dependency graph: pure numpy, vectorised.

Every node has an own cost (a month's depreciation, contract share…). A node that others
depend on passes its whole cost — own plus what it received — to its *direct dependents*,
split equally or in proportion to a per-edge weight (the dependent's vCPUs, storage…).
Absorbing nodes (business services) keep what reaches them. Repeated until nothing moves.

Cycles are safe: the flow is iterated as a vector (one ``bincount`` over the edges per
round), so a cycle with a way out loses a share of its mass every round and converges; nodes
with no path out to an absorbing or stranded node (closed cycles) are found first, and what
they own or receive is reported as ``circulating`` instead of being iterated forever (so is
anything still in flight after ``max_rounds``). Mass that ends on a node nobody
depends on and that is not absorbing is ``stranded`` (a server no service uses). Totals are
conserved: absorbed + stranded + circulating = the sum of own costs (to float precision).

Amounts are float64 in the currency's minor unit (cents); the caller rounds the results.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
I32 = npt.NDArray[np.int32]
BoolArr = npt.NDArray[np.bool_]

__all__ = ["CostAllocation", "CostFlow", "allocate_costs", "cost_contributions", "edge_fractions"]


@dataclass(frozen=True, eq=False)
class CostAllocation:
    """Where the cost ended: per absorbing node, per stranded node, and still circulating."""

    absorbed: F64  # per node; non-zero only on absorbing nodes
    stranded: F64  # per node; non-zero only on non-absorbing nodes without dependents
    circulating: float
    rounds: int


def edge_fractions(n_nodes: int, supplier: I32, dependent: I32, weights: F64 | None = None) -> F64:
    """The share of a supplier's cost each edge carries: weight ÷ the supplier's total
    weight. A supplier with any missing (NaN) or non-positive weight splits equally."""
    supplier = np.asarray(supplier, dtype=np.int64)
    if supplier.size == 0:
        return np.zeros(0, dtype=np.float64)
    if weights is None:
        w = np.ones(supplier.size, dtype=np.float64)
    else:
        w = np.asarray(weights, dtype=np.float64).copy()
        bad = ~np.isfinite(w) | (w <= 0)
        bad_supplier = np.zeros(n_nodes, dtype=np.bool_)
        bad_supplier[supplier[bad]] = True
        w[bad_supplier[supplier]] = 1.0
    totals = np.bincount(supplier, weights=w, minlength=n_nodes)
    return w / totals[supplier]


def _validate(n_nodes: int, supplier: I32, dependent: I32, absorbing: BoolArr) -> None:
    if supplier.shape != dependent.shape:
        raise ValueError("supplier and dependent must have the same length")
    if absorbing.shape != (n_nodes,):
        raise ValueError("absorbing must have one flag per node")
    for name, a in (("supplier", supplier), ("dependent", dependent)):
        if a.size and (a.min() < 0 or a.max() >= n_nodes):
            raise ValueError(f"{name} must be in 0..n_nodes-1")


@dataclass(frozen=True, eq=False)
class CostFlow:
    """Everything :func:`allocate_costs` derives from the graph alone — the edges that carry
    cost (absorbing nodes pass nothing on), each edge's fraction, the stranded and the
    trapped nodes — so a caller with a cached graph prepares it once and runs a month's
    costs through it with :meth:`run` (the same figures as :func:`allocate_costs`)."""

    n_nodes: int
    supplier: npt.NDArray[Any]  # int64
    dependent: npt.NDArray[Any]  # int64
    frac: F64
    absorbing: BoolArr
    sink: BoolArr
    trapped: BoolArr
    passes_on: BoolArr  # has dependents and is not trapped

    @classmethod
    def prepare(
        cls,
        n_nodes: int,
        supplier: I32,
        dependent: I32,
        absorbing: BoolArr,
        weights: F64 | None = None,
    ) -> CostFlow:
        supplier = np.asarray(supplier, dtype=np.int64)
        dependent = np.asarray(dependent, dtype=np.int64)
        absorbing = np.asarray(absorbing, dtype=np.bool_)
        _validate(n_nodes, supplier, dependent, absorbing)
        # Absorbing nodes pass nothing on: drop their outgoing edges.
        keep = ~absorbing[supplier]
        supplier, dependent = supplier[keep], dependent[keep]
        frac = edge_fractions(
            n_nodes, supplier, dependent, None if weights is None else np.asarray(weights)[keep]
        )
        has_out = np.bincount(supplier, minlength=n_nodes) > 0
        sink = ~has_out & ~absorbing
        trapped = ~_can_leave(n_nodes, supplier, dependent, absorbing | sink)
        return cls(n_nodes, supplier, dependent, frac, absorbing, sink, trapped, has_out & ~trapped)

    def run(self, own: F64, *, tolerance: float = 1e-6, max_rounds: int = 10_000) -> CostAllocation:
        """Flow ``own`` (one cost per node) until it settles."""
        own = np.asarray(own, dtype=np.float64)
        absorbing, sink, trapped = self.absorbing, self.sink, self.trapped
        supplier, dependent, frac, n_nodes = self.supplier, self.dependent, self.frac, self.n_nodes
        absorbed = np.where(absorbing, own, 0.0)
        stranded = np.where(sink, own, 0.0)
        circulating = float(own[trapped].sum())
        flowing = np.where(self.passes_on, own, 0.0)
        rounds = 0
        while rounds < max_rounds and flowing.sum() > tolerance:
            rounds += 1
            arrived = np.bincount(dependent, weights=flowing[supplier] * frac, minlength=n_nodes)
            absorbed += np.where(absorbing, arrived, 0.0)
            stranded += np.where(sink, arrived, 0.0)
            circulating += float(arrived[trapped].sum())
            flowing = np.where(self.passes_on, arrived, 0.0)
        return CostAllocation(absorbed, stranded, circulating + float(flowing.sum()), rounds)


def allocate_costs(
    n_nodes: int,
    supplier: I32,
    dependent: I32,
    own: F64,
    absorbing: BoolArr,
    weights: F64 | None = None,
    *,
    tolerance: float = 1e-6,
    max_rounds: int = 10_000,
) -> CostAllocation:
    """Flow every node's own cost along ``supplier → dependent`` edges (``dependent``
    depends on ``supplier``) until it reaches absorbing nodes (see the module docstring).
    ``tolerance`` is in the cost unit: iteration stops when less than that is in flight."""
    flow = CostFlow.prepare(n_nodes, supplier, dependent, absorbing, weights)
    return flow.run(own, tolerance=tolerance, max_rounds=max_rounds)


def _can_leave(
    n_nodes: int, supplier: npt.NDArray[Any], dependent: npt.NDArray[Any], ends: BoolArr
) -> BoolArr:
    """Nodes from which some path of edges reaches an end node (absorbing or stranded):
    the others sit in closed cycles, whose cost can never arrive anywhere."""
    reach = ends.copy()
    while True:
        grown = reach.copy()
        grown[supplier[reach[dependent]]] = True
        if (grown == reach).all():
            return reach
        reach = grown


def cost_contributions(
    n_nodes: int,
    supplier: I32,
    dependent: I32,
    absorbing: BoolArr,
    target: int,
    weights: F64 | None = None,
    *,
    tolerance: float = 1e-9,
    max_rounds: int = 10_000,
) -> F64:
    """For one absorbing ``target``: the share of each node's own cost that ends there
    (1 for the target itself), so ``own * shares`` is the target's breakdown by node."""
    supplier = np.asarray(supplier, dtype=np.int64)
    dependent = np.asarray(dependent, dtype=np.int64)
    absorbing = np.asarray(absorbing, dtype=np.bool_)
    _validate(n_nodes, supplier, dependent, absorbing)
    if not absorbing[target]:
        raise ValueError("target must be an absorbing node")
    keep = ~absorbing[supplier]
    supplier, dependent = supplier[keep], dependent[keep]
    frac = edge_fractions(
        n_nodes, supplier, dependent, None if weights is None else np.asarray(weights)[keep]
    )
    share = np.zeros(n_nodes, dtype=np.float64)
    share[target] = 1.0
    for _ in range(max_rounds):
        passed = np.bincount(supplier, weights=frac * share[dependent], minlength=n_nodes)
        updated = np.where(absorbing, 0.0, passed)
        updated[target] = 1.0
        if np.abs(updated - share).max(initial=0.0) <= tolerance:
            share = updated
            break
        share = updated
    return share
