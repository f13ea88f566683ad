"""Hypothesis property tests: the engine must agree exactly with tests/graph/reference.py."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from assetgraph.graph import (
    Graph,
    _accel,
    downstream_reach,
    explanation_paths,
    impact,
    neighbourhood,
    paths,
    root_cause,
    score_candidates,
    strongly_connected_components,
    upstream,
)

from .conftest import Case, cases, cyclic_group_cases
from .reference import (
    DOWN,
    dependency_adj,
    ref_all_shortest_paths,
    ref_bfs,
    ref_candidate,
    ref_down_distance,
    ref_impact,
    ref_neighbourhood,
    ref_root_cause,
    ref_scc,
    ref_upstream,
    undirected_adj,
)


@contextmanager
def result_buffer(data: Any) -> Iterator[None]:
    """Half the time, every compiled impact writes its result into the caller's buffer (the
    path of results above ``_accel._BUFFER_FROM`` CIs, too large for these estates)."""
    previous = _accel._BUFFER_FROM
    _accel._BUFFER_FROM = 0 if data.draw(st.booleans()) else previous
    try:
        yield
    finally:
        _accel._BUFFER_FROM = previous


def node_lists(case: Case, data: Any, min_size: int = 1, max_size: int = 4) -> list[int]:
    """Draw a few distinct node ids of ``case``."""
    drawn: list[int] = data.draw(
        st.lists(
            st.integers(0, case.n - 1),
            min_size=min_size,
            max_size=min(max_size, case.n),
            unique=True,
        )
    )
    return drawn


@given(case=cases(), data=st.data())
def test_impact_matches_reference(case: Case, data: Any) -> None:
    g, r = case.graph(), case.ref()
    failed = node_lists(case, data)
    max_depth = data.draw(st.none() | st.integers(0, 4))
    with result_buffer(data):
        res = impact(g, np.array(failed), max_depth=max_depth)
    state, depth = ref_impact(r, set(failed))
    expected = {
        v: (s, depth[v])
        for v, s in state.items()
        if v not in failed and (max_depth is None or depth[v] <= max_depth)
    }
    got = {
        int(v): (int(s), int(d)) for v, s, d in zip(res.nodes, res.states, res.depths, strict=True)
    }
    assert got == expected
    assert res.failed.tolist() == sorted(failed)
    assert np.all(np.diff(res.depths) >= 0)
    check_paths(res, r, set(failed), state, depth)


def check_paths(
    res: Any, r: Any, failed: set[int], state: dict[int, int], depth: dict[int, int]
) -> None:
    """The path rule: a DOWN CI's chain is a shortest chain of DOWN CIs, a DEGRADED CI's
    chain a shortest chain; both follow impact edges from a failed CI."""
    down_dist = ref_down_distance(r, failed, state)
    reported = res.nodes.tolist()
    chains = res.paths(reported)
    for v, p_arr, s in zip(reported, chains, res.states.tolist(), strict=True):
        p = p_arr.tolist()
        assert p == res.path(v).tolist()
        assert p[0] in failed
        assert p[-1] == v
        for a, b in itertools.pairwise(p):
            assert b in r.succ[a]
            assert a in state
            assert b in state
        if s == DOWN:
            assert all(state[x] == DOWN for x in p), (v, p, state)
            assert len(p) - 1 == down_dist[v]
        else:
            assert len(p) - 1 == depth[v]


@given(case=cyclic_group_cases(), data=st.data())
def test_down_chains_on_cyclic_estates_with_groups(case: Case, data: Any) -> None:
    """Every DOWN CI is explained by a shortest chain of DOWN CIs, every DEGRADED one by
    a shortest chain, whatever the cycles and groups (issue 10, item 1)."""
    g, r = case.graph(), case.ref()
    failed = node_lists(case, data, max_size=3)
    max_depth = data.draw(st.none() | st.integers(0, 3))
    with result_buffer(data):
        res = impact(g, np.array(failed), max_depth=max_depth)
    state, depth = ref_impact(r, set(failed))
    assert {int(v): int(s) for v, s in zip(res.nodes, res.states, strict=True)} == {
        v: s
        for v, s in state.items()
        if v not in failed and (max_depth is None or depth[v] <= max_depth)
    }
    check_paths(res, r, set(failed), state, depth)


@given(case=cyclic_group_cases(max_nodes=20), data=st.data())
def test_explanation_paths_follow_the_path_rule(case: Case, data: Any) -> None:
    """Root cause shows, for each candidate, the impact chain to each symptom it reaches."""
    g, r = case.graph(), case.ref()
    symptoms = node_lists(case, data, max_size=4)
    candidates = node_lists(case, data, max_size=3)
    for c, chains in zip(candidates, explanation_paths(g, symptoms, candidates), strict=True):
        state, depth = ref_impact(r, {c})
        down_dist = ref_down_distance(r, {c}, state)
        for s, chain in zip(symptoms, chains, strict=True):
            p = chain.tolist()
            if s not in state:
                assert p == []
                continue
            assert p[0] == c and p[-1] == s
            assert all(b in r.succ[a] for a, b in itertools.pairwise(p))
            if state[s] == DOWN:
                assert all(state[x] == DOWN for x in p)
                assert len(p) - 1 == down_dist[s]
            else:
                assert len(p) - 1 == depth[s]


@given(case=cases(), data=st.data())
def test_impact_of_every_single_node(case: Case, data: Any) -> None:
    g, r = case.graph(), case.ref()
    for f in range(case.n):
        res = impact(g, [f])
        state, depth = ref_impact(r, {f})
        got = {
            int(v): (int(s), int(d))
            for v, s, d in zip(res.nodes, res.states, res.depths, strict=True)
        }
        assert got == {v: (s, depth[v]) for v, s in state.items() if v != f}


@given(case=cases(), data=st.data())
def test_upstream_and_downstream_match_reference(case: Case, data: Any) -> None:
    g, r = case.graph(), case.ref()
    starts = node_lists(case, data)
    max_depth = data.draw(st.none() | st.integers(0, 4))
    up = upstream(g, starts, max_depth=max_depth)
    assert dict(zip(up.nodes.tolist(), up.depths.tolist(), strict=True)) == ref_upstream(
        r, set(starts), max_depth
    )
    for v, p in zip(up.nodes.tolist(), up.parents.tolist(), strict=True):
        assert v in r.preds(p)  # the parent needs the node
    down = downstream_reach(g, starts, max_depth=max_depth)
    exp = {v: d for v, d in ref_bfs(r.succ, set(starts), max_depth).items() if v not in starts}
    assert dict(zip(down.nodes.tolist(), down.depths.tolist(), strict=True)) == exp


@given(case=cases(), data=st.data())
def test_paths_are_shortest_and_valid(case: Case, data: Any) -> None:
    g, r = case.graph(), case.ref()
    s = data.draw(st.integers(0, case.n - 1))
    t = data.draw(st.integers(0, case.n - 1))
    undirected = data.draw(st.booleans())
    limit = data.draw(st.integers(1, 4))
    max_depth = data.draw(st.none() | st.integers(0, 5))
    adj = undirected_adj(r) if undirected else dependency_adj(r)
    expected = ref_all_shortest_paths(adj, s, t, max_depth)
    got = [
        tuple(p.tolist())
        for p in paths(g, s, t, max_depth=max_depth, limit=limit, undirected=undirected)
    ]
    assert len(got) == min(limit, len(expected))
    assert len(set(got)) == len(got)
    assert set(got) <= expected


@given(case=cases(max_nodes=16, max_rels=40), data=st.data())
def test_root_cause_matches_reference(case: Case, data: Any) -> None:
    g, r = case.graph(), case.ref()
    symptoms = node_lists(case, data, max_size=5)
    degraded = data.draw(
        st.none() | st.lists(st.booleans(), min_size=len(symptoms), max_size=len(symptoms))
    )
    limit = data.draw(st.integers(1, 8))
    got = root_cause(g, symptoms, limit=limit, degraded=degraded, max_candidates=10_000)
    exp, tied = ref_root_cause(r, symptoms, limit, degraded)
    assert [
        (c.node, c.covered_down, c.covered_degraded, c.distances, c.collateral) for c in got
    ] == [(c.node, c.covered_down, c.covered_degraded, c.distances, c.collateral) for c in exp]
    assert [(c.explained, c.matched, c.max_distance) for c in got] == [
        (c.explained, c.matched, c.max_distance) for c in exp
    ]
    assert got.tied == tied
    assert got.tied_complete and not got.capped
    if exp:
        first = exp[0].tier
        expected_tie = sorted(
            c.node
            for c in (
                ref_candidate(r, v, symptoms, degraded or [False] * len(symptoms))
                for v in range(case.n)
            )
            if c.explained and c.tier == first
        )
        assert got.tie_nodes.tolist() == expected_tie
    # scoring given candidates agrees with the ranked records
    scored = score_candidates(g, symptoms, [c.node for c in got], degraded=degraded)
    assert [(c.node, c.explained, c.matched, c.collateral) for c in scored] == [
        (c.node, c.explained, c.matched, c.collateral) for c in got
    ]


@given(case=cases(max_nodes=16, max_rels=40), data=st.data())
def test_root_cause_cap_is_reported(case: Case, data: Any) -> None:
    g, r = case.graph(), case.ref()
    symptoms = node_lists(case, data, max_size=4)
    cap = data.draw(st.integers(1, 3))
    got = root_cause(g, symptoms, limit=2, max_candidates=cap)
    exp, tied = ref_root_cause(r, symptoms, 10_000)
    assert got.evaluated <= cap
    if not got.capped:
        assert [c.node for c in got] == [c.node for c in exp[:2]]
        assert got.tied == tied
    if got.tied_complete and got.candidates:
        # nothing left unevaluated could reach the best tier found: it is the best tier
        assert got[0].tier == exp[0].tier
        assert got.tied == tied
    # whatever was evaluated is scored exactly
    by_node = {c.node: c for c in exp}
    for c in got:
        assert (c.explained, c.matched) == (by_node[c.node].explained, by_node[c.node].matched)


@given(case=cases())
def test_scc_matches_reference(case: Case) -> None:
    g, r = case.graph(), case.ref()
    assert [tuple(c.tolist()) for c in strongly_connected_components(g)] == ref_scc(r)


@given(case=cases(), data=st.data())
def test_neighbourhood_matches_reference(case: Case, data: Any) -> None:
    g, r = case.graph(), case.ref()
    centre = data.draw(st.integers(0, case.n - 1))
    depth = data.draw(st.integers(0, 4))
    direction = data.draw(st.sampled_from(["up", "down", "both"]))
    tf = data.draw(st.none() | st.sets(st.integers(0, len(case.tdir) - 1)))
    nb = neighbourhood(
        g, centre, depth=depth, direction=direction, type_filter=tf, node_limit=10_000
    )
    nodes, edges = ref_neighbourhood(r, centre, depth, direction, tf)
    assert dict(zip(nb.nodes.tolist(), nb.depths.tolist(), strict=True)) == nodes
    got_edges = list(
        zip(nb.edge_src.tolist(), nb.edge_dst.tolist(), nb.edge_type.tolist(), strict=True)
    )
    assert len(got_edges) == len(set(got_edges))
    assert set(got_edges) == edges
    assert not nb.truncated
    limit = data.draw(st.integers(1, 5))
    cut = neighbourhood(
        g, centre, depth=depth, direction=direction, type_filter=tf, node_limit=limit
    )
    assert cut.nodes.size == min(limit, len(nodes))
    assert cut.truncated == (len(nodes) > limit)
    assert set(cut.nodes.tolist()) <= set(nodes)


def canonical(g: Graph) -> tuple[Any, ...]:
    """Every observable fact of a graph, in caller ids, for equality checks."""
    ext = g.to_external(np.arange(g.n_nodes, dtype=np.int32))
    rows = np.repeat(np.arange(g.n_nodes), np.diff(g._out_indptr))
    rels = sorted(
        zip(ext[rows].tolist(), ext[g._out_dst].tolist(), g._out_type.tolist(), strict=True)
    )
    frows = np.repeat(np.arange(g.n_nodes), np.diff(g._fwd_indptr))
    imp = sorted(
        zip(
            ext[frows].tolist(),
            ext[g._fwd_indices].tolist(),
            g._fwd_member.tolist(),
            g._fwd_counted.tolist(),
            strict=True,
        )
    )
    rrows = np.repeat(np.arange(g.n_nodes), np.diff(g._rev_indptr))
    rev = sorted(
        zip(ext[g._rev_indices].tolist(), ext[rrows].tolist(), g._rev_member.tolist(), strict=True)
    )
    thr = np.empty(g.n_nodes, dtype=np.int32)
    thr[ext] = g._threshold
    inrows = np.repeat(np.arange(g.n_nodes), np.diff(g._in_indptr))
    inrel = sorted(
        zip(ext[g._in_src].tolist(), ext[inrows].tolist(), g._in_type.tolist(), strict=True)
    )
    return rels, inrel, imp, [(a, b, m) for a, b, m, _ in imp] == rev and rev, thr.tolist()


@given(case=cases(), data=st.data())
def test_incremental_updates_equal_rebuild(case: Case, data: Any) -> None:
    g = case.graph()
    warm = node_lists(case, data, max_size=3)
    root_cause(g, warm, collateral_cap=data.draw(st.none() | st.integers(0, 3)))  # fill memo
    k = data.draw(st.integers(1, 6))
    node = st.integers(0, case.n - 1)
    add_s = data.draw(st.lists(node, min_size=k, max_size=k))
    add_d = data.draw(st.lists(node, min_size=k, max_size=k))
    add_t = data.draw(st.lists(st.integers(0, len(case.tdir) - 1), min_size=k, max_size=k))
    g2 = g.with_edges_added(add_s, add_d, add_t)
    rels = set(zip(case.src, case.dst, case.typ, strict=True)) | set(
        zip(add_s, add_d, add_t, strict=True)
    )
    # remove some existing relations and some unknown ones
    pool = sorted(rels)
    rm = data.draw(st.lists(st.sampled_from(pool), max_size=6)) if pool else []
    rm += [(s, d, t) for s, d, t in zip(add_d, add_s, add_t, strict=True)][:2]
    if rm:
        rs, rd, rt = (list(x) for x in zip(*rm, strict=True))
        g3 = g2.with_edges_removed(rs, rd, rt)
    else:
        g3 = g2
    final = sorted(rels - set(rm))
    nodes = node_lists(case, data, max_size=3)
    kinds = data.draw(st.lists(st.integers(0, 2), min_size=len(nodes), max_size=len(nodes)))
    vals = data.draw(st.lists(st.integers(-1, 101), min_size=len(nodes), max_size=len(nodes)))
    g4 = g3.with_redundancy(nodes, kinds, vals)
    kind, value = list(case.kind), list(case.value)
    for v, kk, vv in zip(nodes, kinds, vals, strict=True):
        kind[v], value[v] = kk, vv
    fs = [x[0] for x in final]
    fd = [x[1] for x in final]
    ft = [x[2] for x in final]
    rebuilt = Graph.build(
        case.n, fs, fd, ft, case.tdir, case.tmem, kind, value, reorder=case.reorder
    )
    assert canonical(g4) == canonical(rebuilt)
    f = data.draw(st.integers(0, case.n - 1))
    a, b = impact(g4, [f]), impact(rebuilt, [f])
    assert sorted(a.nodes.tolist()) == sorted(b.nodes.tolist())
    sym = node_lists(case, data, max_size=3)
    key = [(c.node, c.covered, c.collateral) for c in root_cause(g4, sym, max_candidates=999)]
    assert key == [
        (c.node, c.covered, c.collateral) for c in root_cause(rebuilt, sym, max_candidates=999)
    ]
    for graph in (g, g2, g3, g4):  # memo never disagrees with a fresh count
        memo = graph.reach_memo()
        for v in np.flatnonzero(memo >= 1).tolist():  # stored plus one
            assert (
                memo[v] - 1 == downstream_reach(graph, graph.to_external(np.array([v]))).nodes.size
            )
