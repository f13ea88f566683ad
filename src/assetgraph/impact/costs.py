"""Graph answers for finance: the CIs business services depend on (coverage gaps, aging
hardware) and the allocation of monthly CI costs up the dependency graph to services.

Plain functions over CI primary keys and amounts; the engine work is
:mod:`assetgraph.graph.costs` and :func:`assetgraph.graph.upstream` on the cached estate
graph. Costs are float minor units (cents) in and out: the caller owns currencies and
rounding.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from assetgraph import graph as engine
from assetgraph.cmdb.context import service_class_ids
from assetgraph.cmdb.models import CI
from assetgraph.graph.costs import CostFlow, cost_contributions

from .estate import EstateGraph, UnknownCI, estate_graph
from .objective import of_classes


def current_service_pks() -> list[int]:
    """Current business services (any class below Business Service)."""
    return list(
        CI.objects.current().filter(ci_class__in=service_class_ids()).values_list("pk", flat=True)
    )


def needed_by(service_pks: Iterable[int]) -> dict[int, set[int]]:
    """For each service, every CI it needs transitively (its dependency path), by pk."""
    eg = estate_graph()
    needs: dict[int, set[int]] = {}
    for pk in service_pks:
        try:
            node = eg.node_of(pk)
        except UnknownCI:
            needs[pk] = set()
            continue
        reach = engine.upstream(eg.graph, [node])
        needs[pk] = {int(p) for p in eg.pks_of(reach.nodes).tolist()}
    return needs


def _edges(eg: EstateGraph) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    """Impact edges as caller node ids: ``dependent`` needs ``supplier``."""
    graph = eg.graph
    adj = graph.adj_impact()
    counts = np.diff(adj.indptr)
    supplier_internal = np.repeat(np.arange(graph.n_nodes, dtype=np.int32), counts)
    supplier = graph.to_external(supplier_internal)
    dependent = graph.to_external(adj.indices.astype(np.int32))
    return supplier, dependent


def _weights(
    eg: EstateGraph, dependent: npt.NDArray[np.int32], attribute: str | None
) -> npt.NDArray[np.float64] | None:
    if not attribute or not attribute.replace("_", "").isalnum():
        return None
    values = np.full(eg.graph.n_nodes, np.nan)
    rows = CI.objects.filter(attributes__has_key=attribute).values_list(
        "pk", f"attributes__{attribute}"
    )
    pks, raw = [], []
    for pk, value in rows:
        try:
            number = float(value)
        except (TypeError, ValueError):
            continue
        pks.append(pk)
        raw.append(number)
    if pks:
        known = np.asarray(pks, dtype=np.int64)
        pos = np.searchsorted(eg.ci_pks, known)
        pos = np.minimum(pos, eg.ci_pks.size - 1)
        hit = eg.ci_pks[pos] == known
        values[pos[hit]] = np.asarray(raw)[hit]
    return values[dependent]


@dataclass(frozen=True)
class ServiceCosts:
    """Where a month's CI costs ended, in the caller's unit."""

    by_service: dict[int, float]
    stranded: dict[int, float]  # CIs no service depends on, with the cost that stopped there
    circulating: float
    unknown: float  # costs of CIs that are not in the current estate


def _setup(
    costs: Mapping[int, float],
) -> tuple[EstateGraph, npt.NDArray[np.float64], npt.NDArray[np.bool_], float]:
    eg = estate_graph()
    own = np.zeros(eg.graph.n_nodes, dtype=np.float64)
    unknown = 0.0
    if costs:
        pks = np.fromiter(costs.keys(), dtype=np.int64)
        amounts = np.fromiter(costs.values(), dtype=np.float64)
        pos = np.minimum(np.searchsorted(eg.ci_pks, pks), max(eg.ci_pks.size - 1, 0))
        hit = (eg.ci_pks[pos] == pks) if eg.ci_pks.size else np.zeros(pks.size, dtype=np.bool_)
        np.add.at(own, pos[hit], amounts[hit])
        unknown = float(amounts[~hit].sum())
    absorbing = np.zeros(eg.graph.n_nodes, dtype=np.bool_)
    services = of_classes(eg.ci_pks, set(service_class_ids()))
    if services.size:
        absorbing[np.searchsorted(eg.ci_pks, services)] = True
    return eg, own, absorbing, unknown


_FLOWS: dict[tuple[int, bytes], tuple[EstateGraph, CostFlow]] = {}
_FLOWS_LOCK = threading.Lock()


def _flow(
    eg: EstateGraph, absorbing: npt.NDArray[np.bool_], weight_attribute: str | None
) -> CostFlow:
    """The graph's cost flow (edges, fractions, stranded and trapped nodes): prepared once
    per estate graph and set of services when costs split equally (the common case; a
    weight attribute reads the CIs' current attributes, so it is prepared each time)."""
    if weight_attribute:
        supplier, dependent = _edges(eg)
        weights = _weights(eg, dependent, weight_attribute)
        return CostFlow.prepare(eg.graph.n_nodes, supplier, dependent, absorbing, weights)
    key = (id(eg), np.packbits(absorbing).tobytes())
    with _FLOWS_LOCK:
        cached = _FLOWS.get(key)
        if cached is not None and cached[0] is eg:
            return cached[1]
    supplier, dependent = _edges(eg)
    flow = CostFlow.prepare(eg.graph.n_nodes, supplier, dependent, absorbing)
    with _FLOWS_LOCK:
        _FLOWS.clear()  # one graph at a time: the cached estate graph's
        _FLOWS[key] = (eg, flow)
    return flow


def allocate_to_services(
    costs: Mapping[int, float], weight_attribute: str | None = None
) -> ServiceCosts:
    """Flow each CI's monthly cost up to the business services (see graph.costs): a shared
    CI splits among its direct dependents equally, or by ``weight_attribute`` of the
    dependents (a dependent without a numeric value makes that CI split equally)."""
    eg, own, absorbing, unknown = _setup(costs)
    result = _flow(eg, absorbing, weight_attribute).run(own)
    n = eg.n_cis
    services = np.flatnonzero(absorbing[:n])
    stranded = np.flatnonzero(result.stranded[:n] > 0)
    return ServiceCosts(
        {int(eg.ci_pks[i]): float(result.absorbed[i]) for i in services},
        {int(eg.ci_pks[i]): float(result.stranded[i]) for i in stranded},
        result.circulating,
        unknown,
    )


def service_breakdown(
    costs: Mapping[int, float], service_pk: int, weight_attribute: str | None = None
) -> dict[int, float]:
    """The part of each CI's cost that ends at one service, by CI pk (non-zero only)."""
    eg, own, absorbing, _ = _setup(costs)
    supplier, dependent = _edges(eg)
    target = eg.node_of(service_pk)
    if not absorbing[target]:
        raise ValueError(f"CI {service_pk} is not a business service")
    shares = cost_contributions(
        eg.graph.n_nodes,
        supplier,
        dependent,
        absorbing,
        target,
        _weights(eg, dependent, weight_attribute),
    )
    parts = own * shares
    nodes = np.flatnonzero(parts[: eg.n_cis] > 0)
    return {int(eg.ci_pks[i]): float(parts[i]) for i in nodes}
