"""Fixtures and Hypothesis strategies for the graph engine tests (no Django needed)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from assetgraph.graph import Graph, _accel, get_backend, set_backend

from .reference import RefGraph, make_ref

settings.register_profile(
    "graph",
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "thorough",
    max_examples=1500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("GRAPH_HYPOTHESIS_PROFILE", "graph"))


@dataclass
class Case:
    """One random estate: the raw arrays plus both engine and reference graphs."""

    n: int
    src: list[int]
    dst: list[int]
    typ: list[int]
    tdir: list[int]
    tmem: list[bool]
    kind: list[int]
    value: list[int]
    reorder: bool

    def graph(self) -> Graph:
        """The engine graph for this case."""
        return Graph.build(
            self.n,
            np.array(self.src, dtype=np.int32),
            np.array(self.dst, dtype=np.int32),
            np.array(self.typ, dtype=np.int16),
            np.array(self.tdir, dtype=np.int8),
            np.array(self.tmem, dtype=np.bool_),
            np.array(self.kind, dtype=np.int8),
            np.array(self.value, dtype=np.int32),
            reorder=self.reorder,
        )

    def ref(self) -> RefGraph:
        """The reference graph for this case."""
        return make_ref(
            self.n, self.src, self.dst, self.typ, self.tdir, self.tmem, self.kind, self.value
        )


@st.composite
def cases(draw: Any, max_nodes: int = 24, max_rels: int = 70) -> Case:
    """Random typed graphs with membership types, redundancy groups, cycles, duplicates."""
    n = draw(st.integers(1, max_nodes))
    t = draw(st.integers(1, 4))
    tdir = draw(st.lists(st.sampled_from([-1, 0, 1]), min_size=t, max_size=t))
    tmem = draw(st.lists(st.booleans(), min_size=t, max_size=t))
    if draw(st.booleans()):  # make sure type 0 is a real "member of" type half the time
        tdir[0], tmem[0] = 1, True
    m = draw(st.integers(0, max_rels))
    node = st.integers(0, n - 1)
    src = draw(st.lists(node, min_size=m, max_size=m))
    # bias toward layered "low -> high" edges plus some back edges (cycles)
    dst = draw(st.lists(node, min_size=m, max_size=m))
    typ = draw(st.lists(st.integers(0, t - 1), min_size=m, max_size=m))
    kind = draw(st.lists(st.sampled_from([0, 0, 1, 1, 2]), min_size=n, max_size=n))
    value = [
        draw(st.integers(-1, 4)) if k == 1 else draw(st.integers(-5, 120)) if k == 2 else 0
        for k in kind
    ]
    reorder = draw(st.booleans())
    return Case(n, src, dst, typ, tdir, tmem, kind, value, reorder)


@st.composite
def cyclic_group_cases(draw: Any, max_nodes: int = 30) -> Case:
    """Estates shaped like the ones where explanations went wrong: redundancy groups with
    members (type 0, "member of") and a dense "depends on" layer (type 1) full of cycles,
    including groups that are also needed directly (type 1 into a group)."""
    n = draw(st.integers(4, max_nodes))
    node = st.integers(0, n - 1)
    groups = draw(st.lists(node, min_size=1, max_size=max(1, n // 4), unique=True))
    kind = [0] * n
    value = [0] * n
    src: list[int] = []
    dst: list[int] = []
    typ: list[int] = []
    for grp in groups:
        kind[grp] = draw(st.sampled_from([1, 1, 2]))
        value[grp] = draw(st.integers(0, 4)) if kind[grp] == 1 else draw(st.integers(0, 100))
        members = draw(st.lists(node, min_size=1, max_size=4, unique=True))
        for m in members:
            src.append(m)
            dst.append(grp)
            typ.append(0)
    k = draw(st.integers(n, 3 * n))
    src += draw(st.lists(node, min_size=k, max_size=k))
    dst += draw(st.lists(node, min_size=k, max_size=k))
    typ += [1] * k
    return Case(n, src, dst, typ, [1, -1], [True, False], kind, value, draw(st.booleans()))


BACKENDS = ["numpy"] + (["numba"] if _accel.available() else [])


@pytest.fixture(autouse=True, params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run every test on each available kernel backend (numpy always)."""
    previous = get_backend()
    set_backend(request.param)
    yield str(request.param)
    set_backend(previous)


@pytest.fixture
def farm() -> dict[str, Any]:
    """3 hypervisors in a farm needing 2 up; 2 VMs on the farm; an app on VM 0.

    Node ids: 0,1,2 hypervisors; 3 farm; 4,5 VMs; 6 app; 7 switch feeding hypervisors
    0 and 1. Types: 0 = member of (member -> group, impact src->dst), 1 = runs on
    (VM -> farm, "depends on": failure of dst impacts src), 2 = connected to (switch ->
    hypervisor, impact src->dst), 3 = informational.
    """
    src = [0, 1, 2, 4, 5, 6, 7, 7, 6]
    dst = [3, 3, 3, 3, 3, 4, 0, 1, 5]
    typ = [0, 0, 0, 1, 1, 1, 2, 2, 3]
    tdir = [1, -1, 1, 0]
    tmem = [True, False, False, False]
    kind = [0, 0, 0, 1, 0, 0, 0, 0]
    value = [0, 0, 0, 2, 0, 0, 0, 0]
    g = Graph.build(8, src, dst, typ, tdir, tmem, kind, value)
    return {"graph": g, "src": src, "dst": dst, "typ": typ, "tdir": tdir, "tmem": tmem}
