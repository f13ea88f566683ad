"""The business services that depend on a CI, answered by the graph engine.

The asset page ("business services that depend on it"), the CI context and
``GET /api/cmdb/assets/{id}/ci`` ask this instead of walking relationships in SQL, so they
always agree with the impact page: a service is listed exactly when failing the CI leaves it
DOWN or DEGRADED by the engine's rules (redundancy honoured), with the engine's state and its
shortest hop distance. Only services the caller may view are named.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from assetgraph import graph as engine
from assetgraph.accounts.permissions import restrict
from assetgraph.cmdb.context import service_class_ids
from assetgraph.cmdb.models import CI

from .estate import UnknownCI, estate_graph
from .objective import DOWN, of_classes


@dataclass(frozen=True)
class DependentService:
    """A business service that would be affected if a CI failed."""

    ci: CI
    state: str  # "down" | "degraded"
    depth: int  # shortest hop distance from the failed CI


def dependent_services(user: Any, ci: CI) -> list[DependentService]:
    """Visible current business services that failing ``ci`` takes down or degrades, nearest
    first (then by name)."""
    eg = estate_graph()
    try:
        nodes = eg.nodes_of([ci.pk])
    except UnknownCI:  # retired, or not in the current estate
        return []
    result = engine.impact(eg.graph, nodes)
    pks = eg.pks_of(result.nodes)
    services = of_classes(pks, set(service_class_ids()))
    if services.size == 0:
        return []
    order = np.argsort(pks, kind="stable")
    positions = order[np.searchsorted(pks, services, sorter=order)]
    facts = {
        int(pk): (int(result.states[i]), int(result.depths[i]))
        for pk, i in zip(services.tolist(), positions.tolist(), strict=True)
    }
    visible = restrict(CI.objects.current().filter(pk__in=list(facts)), user, "view")
    found = [
        DependentService(
            service, "down" if facts[service.pk][0] == DOWN else "degraded", facts[service.pk][1]
        )
        for service in visible.select_related("ci_class")
    ]
    return sorted(found, key=lambda d: (d.depth, d.ci.name))
