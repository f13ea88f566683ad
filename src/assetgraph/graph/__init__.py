"""assetgraph.graph: a pure numpy/scipy CMDB graph engine.

The engine only sees dense integer arrays (CIs are ``0..n-1``) and answers impact,
dependency, path, root-cause, neighbourhood and cycle questions on estates of millions of
CIs in milliseconds. It imports nothing but numpy, scipy and the standard library; the
Django adapter maps database ids to indices and caches the immutable :class:`Graph`.
"""

from ._backend import get_backend, set_backend
from .graph import Graph
from .impact import ImpactResult, NodeState, impact
from .rootcause import (
    RootCauseCandidate,
    RootCauseResult,
    explanation_paths,
    root_cause,
    score_candidates,
)
from .tallies import RowFacts, nonzero_at, row_facts
from .traversal import (
    Neighbourhood,
    Reach,
    direct_needs,
    downstream_reach,
    neighbourhood,
    paths,
    strongly_connected_components,
    upstream,
)
from .warmup import warmup

__all__ = [
    "Graph",
    "ImpactResult",
    "Neighbourhood",
    "NodeState",
    "Reach",
    "RootCauseCandidate",
    "RootCauseResult",
    "RowFacts",
    "direct_needs",
    "downstream_reach",
    "explanation_paths",
    "get_backend",
    "impact",
    "neighbourhood",
    "nonzero_at",
    "paths",
    "root_cause",
    "row_facts",
    "score_candidates",
    "set_backend",
    "strongly_connected_components",
    "upstream",
    "warmup",
]
