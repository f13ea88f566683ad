"""Cost allocation up the dependency graph (pure engine, no Django)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assetgraph.graph.costs import allocate_costs, cost_contributions

# Nodes: 0 storage, 1 hv-a, 2 hv-b, 3 vm-fin, 4 vm-hr, 5 svc-Finance, 6 svc-HR
SUPPLIER = np.array([0, 0, 1, 2, 3, 4], dtype=np.int32)
DEPENDENT = np.array([1, 2, 3, 4, 5, 6], dtype=np.int32)
SERVICES = np.array([False] * 5 + [True, True])


def test_shared_cost_splits_equally_and_flows_to_services() -> None:
    """Storage 300 split between two hypervisors (150 each), each hypervisor's 100 + 150 goes
    to its VM, each VM's 50 + 250 to its service: Finance 300 + …"""
    own = np.array([300.0, 100.0, 100.0, 50.0, 50.0, 10.0, 0.0])
    result = allocate_costs(7, SUPPLIER, DEPENDENT, own, SERVICES)
    assert result.absorbed[5] == pytest.approx(10 + 50 + 100 + 150)
    assert result.absorbed[6] == pytest.approx(50 + 100 + 150)
    assert result.absorbed.sum() == pytest.approx(own.sum())
    assert result.circulating == pytest.approx(0)


def test_weights_split_in_proportion() -> None:
    """Weights 3:1 (vCPUs of the dependents) split storage's 400 as 300 and 100."""
    own = np.array([400.0, 0, 0, 0, 0, 0, 0])
    weights = np.array([3.0, 1.0, 1, 1, 1, 1])
    result = allocate_costs(7, SUPPLIER, DEPENDENT, own, SERVICES, weights)
    assert result.absorbed[5] == pytest.approx(300)
    assert result.absorbed[6] == pytest.approx(100)
    missing = np.array([3.0, np.nan, 1, 1, 1, 1])  # one weight missing: split equally
    result = allocate_costs(7, SUPPLIER, DEPENDENT, own, SERVICES, missing)
    assert result.absorbed[5] == pytest.approx(200)


def test_breakdown_by_node_for_one_service() -> None:
    own = np.array([300.0, 100.0, 100.0, 50.0, 50.0, 10.0, 0.0])
    share = cost_contributions(7, SUPPLIER, DEPENDENT, SERVICES, 5)
    assert share.tolist() == pytest.approx([0.5, 1, 0, 1, 0, 1, 0])
    assert (own * share).sum() == pytest.approx(
        allocate_costs(7, SUPPLIER, DEPENDENT, own, SERVICES).absorbed[5]
    )


def test_cycles_are_safe() -> None:
    """a <-> b with an exit to the service: everything arrives; a closed cycle c <-> d with
    no way out circulates and is reported, not lost; a node nobody uses is stranded."""
    supplier = np.array([0, 1, 1, 3, 4], dtype=np.int32)
    dependent = np.array([1, 0, 2, 4, 3], dtype=np.int32)
    absorbing = np.array([False, False, True, False, False, False])
    own = np.array([100.0, 0, 0, 40, 0, 7])
    result = allocate_costs(6, supplier, dependent, own, absorbing)
    assert result.absorbed[2] == pytest.approx(100, abs=1e-3)
    assert result.circulating == pytest.approx(40)
    assert result.stranded[5] == 7
    share = cost_contributions(6, supplier, dependent, absorbing, 2)
    assert share[0] == pytest.approx(1, abs=1e-6)
    assert share[3] == 0


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 30), st.data())
def test_cost_is_conserved(n: int, data: st.DataObject) -> None:
    edges = data.draw(
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=80)
    )
    supplier = np.array([a for a, _ in edges], dtype=np.int32)
    dependent = np.array([b for _, b in edges], dtype=np.int32)
    absorbing = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    own = np.array(data.draw(st.lists(st.floats(0, 1e6), min_size=n, max_size=n)))
    result = allocate_costs(n, supplier, dependent, own, absorbing, tolerance=1e-9)
    total = result.absorbed.sum() + result.stranded.sum() + result.circulating
    assert total == pytest.approx(own.sum(), rel=1e-6, abs=1e-3)
    assert (result.absorbed[~absorbing] == 0).all()
