"""Hand-built graphs with known answers for every engine operation."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from assetgraph.graph import (
    Graph,
    NodeState,
    _accel,
    downstream_reach,
    impact,
    neighbourhood,
    paths,
    root_cause,
    strongly_connected_components,
    upstream,
)


def as_map(res: Any) -> dict[int, tuple[int, int]]:
    """{node: (state, depth)} of an impact result."""
    return {
        int(v): (int(s), int(d)) for v, s, d in zip(res.nodes, res.states, res.depths, strict=True)
    }


D, G = int(NodeState.DOWN), int(NodeState.DEGRADED)


# ----------------------------------------------------------------------------- impact
def test_one_hypervisor_down_degrades_farm_and_vms(farm: dict[str, Any]) -> None:
    res = impact(farm["graph"], [0])
    assert as_map(res) == {3: (G, 1), 4: (G, 2), 5: (G, 2), 6: (G, 3)}
    assert res.count_by_state() == {NodeState.DOWN: 0, NodeState.DEGRADED: 4}
    assert res.path(6).tolist() == [0, 3, 4, 6]
    assert res.state_of(0) is NodeState.DOWN
    assert res.state_of(7) is NodeState.OK


def test_two_hypervisors_down_take_farm_down(farm: dict[str, Any]) -> None:
    res = impact(farm["graph"], [0, 2])
    assert as_map(res) == {3: (D, 1), 4: (D, 2), 5: (D, 2), 6: (D, 3)}
    assert res.n_down == 4
    assert res.failed.tolist() == [0, 2]


def test_switch_failure_propagates_through_members(farm: dict[str, Any]) -> None:
    res = impact(farm["graph"], 7)
    assert as_map(res) == {0: (D, 1), 1: (D, 1), 3: (D, 2), 4: (D, 3), 5: (D, 3), 6: (D, 4)}
    p = res.path(6).tolist()
    assert p[0] == 7
    assert p[-1] == 6
    assert len(p) == 5


def test_max_depth_filters_but_keeps_exact_states(farm: dict[str, Any]) -> None:
    res = impact(farm["graph"], [7], max_depth=2)
    assert as_map(res) == {0: (D, 1), 1: (D, 1), 3: (D, 2)}
    assert impact(farm["graph"], [7], max_depth=0).nodes.size == 0


def test_informational_relations_do_not_propagate(farm: dict[str, Any]) -> None:
    assert len(impact(farm["graph"], [6])) == 0
    assert len(impact(farm["graph"], [5])) == 0


def _longer_down_chain(reorder: bool) -> Graph:
    """Issue 10's minimal case: F(0), M2(1) members of G(2) (1 up needed); T(3) and C(4)
    need G and each other; Y1(5) needs F, Y2(6) Y1, Y3(7) Y2, T needs Y3."""
    f, m2, grp, t, c, y1, y2, y3 = range(8)
    src = [f, m2, t, c, t, c, y1, y2, y3, t]
    dst = [grp, grp, grp, grp, c, t, f, y1, y2, y3]
    typ = [0, 0, 1, 1, 1, 1, 1, 1, 1, 1]
    kind = [0, 0, 1, 0, 0, 0, 0, 0]
    value = [0, 0, 1, 0, 0, 0, 0, 0]
    return Graph.build(8, src, dst, typ, [1, -1], [True, False], kind, value, reorder=reorder)


def test_down_path_is_a_chain_of_down_cis() -> None:
    f, _m2, grp, t, c, y1, y2, y3 = range(8)
    for reorder in (False, True):
        g = _longer_down_chain(reorder)
        res = impact(g, [f])
        assert as_map(res)[grp] == (G, 1)
        assert as_map(res)[t] == (D, 2)  # shortest hop distance, through the group
        assert res.path(t).tolist() == [f, y1, y2, y3, t]  # but explained by DOWN CIs
        assert res.path(c).tolist() == [f, y1, y2, y3, t, c]
        assert res.path(grp).tolist() == [f, grp]
        assert [p.tolist() for p in res.paths([t, grp, f])] == [[f, y1, y2, y3, t], [f, grp], [f]]
        cut = impact(g, [f], max_depth=2)
        assert cut.path(t).tolist() == [f, y1, y2, y3, t]  # y3 is beyond max_depth


@pytest.mark.parametrize("buffer", [False, True])
def test_down_chain_below_a_repaired_chain_is_repaired_too(
    buffer: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # F(0) and M(2) members of G(1) (1 up needed): G is DEGRADED. T(3) needs G and X(4),
    # X needs Y(5), Y needs F: T is DOWN through X, its BFS parent is G. Z(6) needs T and
    # X: BFS parent T (first in the queue), but its shortest DOWN chain is through X.
    # ``buffer``: the compiled kernel writes into the caller's buffer, as for large results.
    monkeypatch.setattr(_accel, "_BUFFER_FROM", 0 if buffer else _accel._BUFFER_FROM)
    f, grp, m, t, x, y, z = range(7)
    src = [f, m, t, t, x, y, z, z]
    dst = [grp, grp, grp, x, y, f, t, x]
    typ = [0, 0, 1, 1, 1, 1, 1, 1]
    kind = [0, 1, 0, 0, 0, 0, 0]
    value = [0, 1, 0, 0, 0, 0, 0]
    g = Graph.build(7, src, dst, typ, [1, -1], [True, False], kind, value)
    res = impact(g, [f])
    assert as_map(res) == {grp: (G, 1), y: (D, 1), t: (D, 2), x: (D, 2), z: (D, 3)}
    assert res.path(t).tolist() == [f, y, x, t]
    assert res.path(z).tolist() == [f, y, x, z]


def test_chains_by_position_are_the_chains_by_id() -> None:
    # the minimal case above (a DOWN chain longer than the depth, repaired), with a second
    # failed CI: positions name affected CIs (>= 0) and failed ones (< 0) alike
    f, y2 = 0, 6
    for reorder in (False, True):
        g = _longer_down_chain(reorder)
        for res in (impact(g, [f, y2]), impact(g, [f]), impact(g, [f], max_depth=2)):
            walks = res.paths_at(np.arange(len(res)))
            by_id = res.paths(res.nodes)
            assert [res.chains.node_at(w).tolist() for w in walks] == [p.tolist() for p in by_id]
            assert all(w[0] < 0 and (w[1:] >= 0).all() for w in walks)
            # parents and DOWN-chain parents as ids agree with the chains
            for state, parent, down_parent, path in zip(
                res.states.tolist(),
                res.parents.tolist(),
                res.down_parents.tolist(),
                by_id,
                strict=True,
            ):
                assert down_parent == (int(path[-2]) if state == D else -1)
                assert parent in res.failed.tolist() or res.index_of(parent) >= 0
        with pytest.raises(IndexError):
            impact(g, [f], max_depth=2).paths_at([len(impact(g, [f], max_depth=2))])


def test_path_of_unaffected_node_raises(farm: dict[str, Any]) -> None:
    res = impact(farm["graph"], [0])
    with pytest.raises(KeyError):
        res.path(7)
    assert res.path(0).tolist() == [0]


@pytest.mark.parametrize(
    ("pct", "expected"),
    [
        (50, [G, D, D]),  # min_up = ceil(1.5) = 2
        (34, [G, D, D]),  # ceil(1.02) = 2
        (33, [G, G, D]),  # ceil(0.99) = 1
        (100, [D, D, D]),  # all needed
        (0, [G, G, G]),  # nothing needed: never DOWN through members
    ],
)
def test_percent_rules(farm: dict[str, Any], pct: int, expected: list[int]) -> None:
    g = farm["graph"].with_redundancy([3], 2, pct)
    got = [as_map(impact(g, list(range(k))))[3][0] for k in (1, 2, 3)]
    assert got == expected


def test_redundancy_kind_zero_behaves_like_plain_node(farm: dict[str, Any]) -> None:
    g = farm["graph"].with_redundancy([3], 0, 0)
    assert as_map(impact(g, [0]))[3] == (D, 1)


def test_min_up_larger_than_members_is_clamped(farm: dict[str, Any]) -> None:
    g = farm["graph"].with_redundancy([3], 1, 99)
    assert as_map(impact(g, [0]))[3] == (D, 1)


def test_non_member_predecessor_down_takes_group_down() -> None:
    # 0,1 members of group 2 (min 1 up); power 3 feeds the group directly.
    g = Graph.build(
        4, [0, 1, 3], [2, 2, 2], [0, 0, 1], [1, 1], [True, False], [0, 0, 1, 0], [0, 0, 1, 0]
    )
    assert as_map(impact(g, [3])) == {2: (D, 1)}
    assert as_map(impact(g, [0])) == {2: (G, 1)}
    assert as_map(impact(g, [0, 1])) == {2: (D, 1)}


def test_direction_minus_one_means_dst_failure_impacts_src() -> None:
    # "0 depends on 1" (dir -1) and "2 hosts 3" (dir 1)
    g = Graph.build(4, [0, 2], [1, 3], [0, 1], [-1, 1], [False, False])
    assert as_map(impact(g, [1])) == {0: (D, 1)}
    assert len(impact(g, [0])) == 0
    assert as_map(impact(g, [2])) == {3: (D, 1)}
    assert len(impact(g, [3])) == 0


def test_cycles_terminate_and_get_reported() -> None:
    # 0 -> 1 -> 2 -> 0 cycle, 2 -> 3, plus a 2-cycle 4 <-> 5; self loop on 3 ignored
    g = Graph.build(6, [0, 1, 2, 2, 4, 5, 3], [1, 2, 0, 3, 5, 4, 3], [0] * 7, [1], [False])
    assert as_map(impact(g, [0])) == {1: (D, 1), 2: (D, 2), 3: (D, 3)}
    comps = strongly_connected_components(g)
    assert [c.tolist() for c in comps] == [[0, 1, 2], [4, 5]]


def test_group_in_cycle_with_its_members() -> None:
    # members 0,1 of group 2 (min 1 up); group 2 impacts member 0 (cycle)
    g = Graph.build(3, [0, 1, 2], [2, 2, 0], [0, 0, 1], [1, 1], [True, False], [0, 0, 1], [0, 0, 1])
    assert as_map(impact(g, [1])) == {2: (G, 1), 0: (G, 2)}
    assert as_map(impact(g, [0])) == {2: (G, 1)}


def test_duplicate_relations_are_deduplicated() -> None:
    g = Graph.build(3, [0, 0, 0, 1], [1, 1, 1, 2], [0, 0, 1, 0], [1, 1], [False, False])
    assert g.n_relations == 3
    assert g.n_impact_edges == 2


def test_build_validates_input() -> None:
    with pytest.raises(ValueError, match="endpoints"):
        Graph.build(2, [0], [2], [0], [1], [False])
    with pytest.raises(ValueError, match="rel_type"):
        Graph.build(2, [0], [1], [1], [1], [False])
    with pytest.raises(ValueError, match="direction"):
        Graph.build(2, [0], [1], [0], [2], [False])
    with pytest.raises(ValueError, match="redundancy"):
        Graph.build(2, [0], [1], [0], [1], [False], [0], [0])
    with pytest.raises(ValueError, match="failed"):
        impact(Graph.build(2, [0], [1], [0], [1], [False]), [5])


def test_empty_graph() -> None:
    g = Graph.build(0, [], [], [], [1], [False])
    assert len(impact(g, [])) == 0
    assert strongly_connected_components(g) == []


# ----------------------------------------------------------------------------- upstream
def test_upstream_lists_needs_with_depth(farm: dict[str, Any]) -> None:
    r = upstream(farm["graph"], 6)
    got = dict(zip(r.nodes.tolist(), r.depths.tolist(), strict=True))
    assert got == {4: 1, 3: 2, 0: 3, 1: 3, 2: 3, 7: 4}
    nodes, depths = upstream(farm["graph"], [6], max_depth=2)
    assert sorted(nodes.tolist()) == [3, 4] and sorted(depths.tolist()) == [1, 2]
    assert len(upstream(farm["graph"], [7])) == 0


def test_downstream_reach_matches_impact_set(farm: dict[str, Any]) -> None:
    r = downstream_reach(farm["graph"], [0])
    assert sorted(r.nodes.tolist()) == sorted(impact(farm["graph"], [0]).nodes.tolist())


# ----------------------------------------------------------------------------- paths
def test_paths_follow_dependency_direction(farm: dict[str, Any]) -> None:
    g = farm["graph"]
    assert [p.tolist() for p in paths(g, 6, 7, limit=5)] == [[6, 4, 3, 0, 7], [6, 4, 3, 1, 7]]
    assert paths(g, 7, 6) == []
    assert paths(g, 6, 7, max_depth=3) == []
    assert [p.tolist() for p in paths(g, 6, 6)] == [[6]]


def test_paths_undirected_uses_informational_links(farm: dict[str, Any]) -> None:
    g = farm["graph"]
    assert paths(g, 5, 6) == []
    assert [p.tolist() for p in paths(g, 5, 6, undirected=True)] == [[5, 6]]
    assert next(p.tolist() for p in paths(g, 7, 6, undirected=True, limit=1))[0] == 7


# ----------------------------------------------------------------------------- maps
def test_neighbourhood_both_and_directions(farm: dict[str, Any]) -> None:
    g = farm["graph"]
    nb = neighbourhood(g, 3, depth=1, direction="both")
    assert sorted(nb.nodes.tolist()) == [0, 1, 2, 3, 4, 5]
    edges = set(zip(nb.edge_src.tolist(), nb.edge_dst.tolist(), nb.edge_type.tolist(), strict=True))
    assert edges == {(0, 3, 0), (1, 3, 0), (2, 3, 0), (4, 3, 1), (5, 3, 1)}
    assert not nb.truncated
    down = neighbourhood(g, 3, depth=5, direction="down")
    assert sorted(down.nodes.tolist()) == [3, 4, 5, 6]
    up = neighbourhood(g, 3, depth=5, direction="up")
    assert sorted(up.nodes.tolist()) == [0, 1, 2, 3, 7]
    only_members = neighbourhood(g, 3, depth=3, direction="both", type_filter=[0])
    assert sorted(only_members.nodes.tolist()) == [0, 1, 2, 3]
    cut = neighbourhood(g, 3, depth=3, direction="both", node_limit=3)
    assert cut.truncated
    assert cut.nodes.size == 3
    assert cut.nodes[0] == 3


# ----------------------------------------------------------------------------- root cause
def test_root_cause_prefers_the_farm_for_both_vms(farm: dict[str, Any]) -> None:
    cands = root_cause(farm["graph"], [4, 5])
    top = cands[0]
    assert top.node == 3
    assert top.covered_down == (0, 1)
    assert top.covered_degraded == ()
    assert top.distances == (1, 1)
    assert top.collateral == 1  # the app on VM 4
    assert cands[1].node == 7
    assert cands[1].collateral == 4
    # a hypervisor only degrades the farm: it explains nothing about VMs that are down
    assert {c.node for c in cands} == {3, 4, 5, 7}
    # the farm and the switch both explain both VMs as down: a tie that collateral breaks
    assert cands.tied == 2 and cands.tied_complete and cands.tie_nodes.tolist() == [3, 7]


def test_root_cause_degraded_symptoms_are_explained_by_what_degrades_them(
    farm: dict[str, Any],
) -> None:
    cands = root_cause(farm["graph"], [4, 5], degraded=[True, True])
    by_node = {c.node: c for c in cands}
    # the hypervisors degrade both VMs (an exact match); the farm would take them down
    hyp = [by_node[h] for h in (0, 1, 2)]
    assert all(c.explained == (0, 1) and c.matched == 2 for c in hyp)
    assert by_node[3].explained == (0, 1) and by_node[3].matched == 0
    assert cands[0].node in (0, 1, 2) and cands.tied == 3
    assert cands.tie_nodes.tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match="one flag per symptom"):
        root_cause(farm["graph"], [4, 5], degraded=[True])


def test_root_cause_never_ranks_a_degrader_above_a_failure_that_explains_down() -> None:
    # issue 10 (4): hypervisors 0 and 1 are members of farm 2 (1 of 2 must be up, so one
    # hypervisor down only degrades it), the farm needs storage 3, service 4 needs the farm
    src, dst, typ = [0, 1, 4, 2], [2, 2, 2, 3], [0, 0, 1, 1]
    g = Graph.build(5, src, dst, typ, [1, -1], [True, False], [0, 0, 1, 0, 0], [0, 0, 1, 0, 0])
    ranked = [c.node for c in root_cause(g, [4])]
    assert ranked[:3] == [4, 2, 3]  # the service, the farm, the storage: all explain it
    assert 0 not in ranked and 1 not in ranked
    slow = root_cause(g, [4], degraded=[True])
    assert [c.node for c in slow][:2] == [0, 1]  # exact match (degraded) first


def test_root_cause_symptom_is_its_own_candidate(farm: dict[str, Any]) -> None:
    cands = root_cause(farm["graph"], [6], limit=3)
    assert cands[0].node == 6
    assert cands[0].distances == (0,)
    with pytest.raises(ValueError, match="unique"):
        root_cause(farm["graph"], [4, 4])
    assert len(root_cause(farm["graph"], [])) == 0


def test_root_cause_collateral_cap(farm: dict[str, Any]) -> None:
    cands = root_cause(farm["graph"], [4, 5], collateral_cap=2)
    by_node = {c.node: c for c in cands}
    assert by_node[7].collateral_truncated
    assert not by_node[3].collateral_truncated


# ----------------------------------------------------------------------------- updates
def test_incremental_updates_roundtrip(farm: dict[str, Any]) -> None:
    g = farm["graph"]
    g2 = g.with_edges_added([7], [2], [2])  # switch now also feeds hypervisor 2
    assert as_map(impact(g2, [7]))[3] == (D, 2)
    assert g2.n_relations == g.n_relations + 1
    assert g.with_edges_added([7], [2], [2]).n_relations == g2.n_relations
    assert g2.with_edges_added([7], [2], [2]) is g2  # already present
    g3 = g2.with_edges_removed([7], [2], [2])
    assert as_map(impact(g3, [7])) == as_map(impact(g, [7]))
    assert g3.with_edges_removed([7], [2], [2]) is g3


def test_removing_one_of_two_inducing_relations_keeps_impact_edge() -> None:
    # types 0 and 1 both say "1 depends on 0"
    g = Graph.build(2, [1, 1], [0, 0], [0, 1], [-1, -1], [False, False])
    g2 = g.with_edges_removed([1], [0], [0])
    assert g2.n_impact_edges == 1
    assert as_map(impact(g2, [0])) == {1: (D, 1)}
    g3 = g2.with_edges_removed([1], [0], [1])
    assert g3.n_impact_edges == 0


def test_graph_is_read_only_and_reports_size(farm: dict[str, Any]) -> None:
    g = farm["graph"]
    assert g.nbytes() > 0
    assert "n_nodes=8" in repr(g)
    with pytest.raises(ValueError, match="read-only"):
        g._fwd_indices[0] = 1
    assert np.all(impact(g, [0]).nodes >= 0)


# ----------------------------------------------------------------------------- backends
def test_backend_selection(backend: str) -> None:
    from assetgraph.graph import _accel, get_backend, set_backend, warmup

    assert get_backend() == backend
    assert warmup() == backend
    with pytest.raises(ValueError, match="unknown"):
        set_backend("gpu")  # type: ignore[arg-type]
    assert set_backend("numpy") == "numpy"
    assert set_backend("auto") == ("numba" if _accel.available() else "numpy")
    if not _accel.available():
        with pytest.raises(ValueError, match="not installed"):
            set_backend("numba")


def test_reorder_is_invisible(farm: dict[str, Any]) -> None:
    f = farm
    g = Graph.build(
        8,
        f["src"],
        f["dst"],
        f["typ"],
        f["tdir"],
        f["tmem"],
        [0, 0, 0, 1, 0, 0, 0, 0],
        [0, 0, 0, 2, 0, 0, 0, 0],
        reorder=True,
    )
    for v in range(8):
        assert as_map(impact(g, [v])) == as_map(impact(f["graph"], [v]))
    assert sorted(upstream(g, 6).nodes.tolist()) == sorted(upstream(f["graph"], 6).nodes.tolist())
