"""Exposure of CIs through the dependency graph, for the security app: which CIs and
business services depend on a CI (its blast radius), their criticality tiers, and the chain
from the nearest internet-facing CI down to it.

A CI is internet-facing when its ``internet_facing`` attribute is true (a load balancer or
gateway with a public address; docs/security.md). Reachability ignores redundancy: a host
behind a redundant pair is as reachable from the internet as a lone one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from assetgraph import graph as engine
from assetgraph.cmdb.context import service_class_ids
from assetgraph.cmdb.models import CI

from .estate import UnknownCI, estate_graph

INTERNET_ATTRIBUTE = "internet_facing"


@dataclass(frozen=True)
class ServiceTier:
    """A business service that depends on the CI, with its criticality tier and hops."""

    pk: int
    name: str
    tier: int
    depth: int


@dataclass
class CIExposure:
    """What depends on one CI and how the internet reaches it."""

    ci: int
    dependents: list[int] = field(default_factory=list)
    services: list[ServiceTier] = field(default_factory=list)
    internet_path: list[int] = field(default_factory=list)  # internet-facing CI … the CI

    @property
    def internet_facing(self) -> bool:
        return bool(self.internet_path)

    @property
    def best_tier(self) -> int | None:
        """The most critical tier among the dependent services (1 is the highest)."""
        return min((s.tier for s in self.services), default=None)


def exposure_of(ci_pks: Iterable[int]) -> dict[int, CIExposure]:
    """The exposure of each CI (CIs not in the current estate come back empty)."""
    eg = estate_graph()
    pks = sorted({int(p) for p in ci_pks})
    facing = set(
        CI.objects.current()
        .filter(**{f"attributes__{INTERNET_ATTRIBUTE}": True})
        .values_list("pk", flat=True)
    )
    service_classes = set(service_class_ids())
    found: dict[int, CIExposure] = {}
    for pk in pks:
        result = CIExposure(pk)
        found[pk] = result
        try:
            start = int(eg.nodes_of([pk])[0])
        except UnknownCI:
            continue
        reach = engine.downstream_reach(eg.graph, [start])
        nodes = [int(n) for n in reach.nodes]
        depths = [int(d) for d in reach.depths]
        parent = {n: int(p) for n, p in zip(nodes, reach.parents, strict=True)}
        dependent_pks = [int(p) for p in eg.pks_of(nodes)] if nodes else []
        result.dependents = dependent_pks
        node_of = dict(zip(dependent_pks, nodes, strict=True))
        exposed = [
            (depth, dep) for dep, depth in zip(dependent_pks, depths, strict=True) if dep in facing
        ]
        if pk in facing:
            result.internet_path = [pk]
        elif exposed:
            _depth, entry = min(exposed)
            chain = [node_of[entry]]
            while chain[-1] != start and chain[-1] in parent:
                chain.append(parent[chain[-1]])
            result.internet_path = [int(p) for p in eg.pks_of(chain)]
        depth_of = dict(zip(dependent_pks, depths, strict=True))
        if dependent_pks:
            services = CI.objects.filter(
                pk__in=dependent_pks, ci_class_id__in=service_classes
            ).values_list("pk", "name", "criticality")
            result.services = sorted(
                (ServiceTier(s, name, tier, depth_of[s]) for s, name, tier in services),
                key=lambda s: (s.tier, s.depth, s.name),
            )
    return found
