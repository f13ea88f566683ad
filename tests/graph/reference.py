"""Deliberately simple pure-Python reference semantics for the graph engine.

Everything here is written for obviousness, not speed: dicts, sets, and "iterate the
rules until nothing changes". The fast engine must agree with it exactly.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

OK, DEGRADED, DOWN = 0, 1, 2


@dataclass
class RefGraph:
    """Plain-Python view of a CMDB graph."""

    n: int
    relations: set[tuple[int, int, int]]
    type_direction: list[int]
    type_membership: list[bool]
    kind: list[int]
    value: list[int]
    member_preds: dict[int, set[int]] = field(default_factory=dict)
    other_preds: dict[int, set[int]] = field(default_factory=dict)
    succ: dict[int, set[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Derive impact predecessor/successor sets from the relationships."""
        for v in range(self.n):
            self.member_preds[v] = set()
            self.other_preds[v] = set()
            self.succ[v] = set()
        for s, d, t in self.relations:
            if s == d:
                continue
            direction = self.type_direction[t]
            if direction == 0:
                continue
            u, v = (s, d) if direction == 1 else (d, s)
            if self.type_membership[t] and direction == 1 and self.kind[v] != 0:
                self.member_preds[v].add(u)
            else:
                self.other_preds[v].add(u)
            self.succ[u].add(v)

    def preds(self, v: int) -> set[int]:
        """All impact predecessors of ``v``."""
        return self.member_preds[v] | self.other_preds[v]


def make_ref(
    n: int,
    src: list[int],
    dst: list[int],
    typ: list[int],
    type_direction: list[int],
    type_membership: list[bool],
    kind: list[int] | None = None,
    value: list[int] | None = None,
) -> RefGraph:
    """Build a :class:`RefGraph` from the same arrays the engine takes."""
    return RefGraph(
        n=n,
        relations={(s, d, t) for s, d, t in zip(src, dst, typ, strict=True) if s != d},
        type_direction=list(type_direction),
        type_membership=list(type_membership),
        kind=list(kind) if kind is not None else [0] * n,
        value=list(value) if value is not None else [0] * n,
    )


def _min_up(g: RefGraph, v: int, count: int) -> int:
    """Members that must stay up for group ``v`` (clamped to 0..count)."""
    val = g.value[v]
    need = val if g.kind[v] == 1 else -(-(val * count) // 100)
    return max(0, min(count, need))


def _rule(g: RefGraph, v: int, state: dict[int, int]) -> int:
    """State implied for ``v`` by its predecessors' current states."""
    others = [state.get(u, OK) for u in g.other_preds[v]]
    members = [state.get(u, OK) for u in g.member_preds[v]]
    if g.kind[v] == 0:
        all_states = others + members
        return max(all_states, default=OK)
    count = len(members)
    down_members = sum(1 for s in members if s == DOWN)
    if down_members > count - _min_up(g, v, count) or DOWN in others:
        return DOWN
    if any(s >= DEGRADED for s in members) or DEGRADED in others:
        return DEGRADED
    return OK


def ref_impact(g: RefGraph, failed: set[int]) -> tuple[dict[int, int], dict[int, int]]:
    """Least fixpoint states and depths of every non-OK node (failed ones included)."""
    state = dict.fromkeys(failed, DOWN)
    changed = True
    while changed:
        changed = False
        for v in range(g.n):
            if v in failed:
                continue
            new = _rule(g, v, state)
            if new > state.get(v, OK):
                state[v] = new
                changed = True
    state = {v: s for v, s in state.items() if s != OK}
    depth = dict.fromkeys(failed, 0)
    queue = deque(sorted(failed))
    while queue:
        u = queue.popleft()
        for v in g.succ[u]:
            if v in state and v not in depth:
                depth[v] = depth[u] + 1
                queue.append(v)
    return state, depth


def ref_bfs(adj: dict[int, set[int]], starts: set[int], max_depth: int | None) -> dict[int, int]:
    """Hop distances from ``starts`` over ``adj`` (starts at depth 0)."""
    depth = dict.fromkeys(starts, 0)
    queue = deque(sorted(starts))
    while queue:
        u = queue.popleft()
        if max_depth is not None and depth[u] >= max_depth:
            continue
        for v in adj.get(u, ()):
            if v not in depth:
                depth[v] = depth[u] + 1
                queue.append(v)
    return depth


def ref_upstream(g: RefGraph, starts: set[int], max_depth: int | None) -> dict[int, int]:
    """What ``starts`` need (reverse impact), excluding the starts themselves."""
    adj = {v: g.preds(v) for v in range(g.n)}
    d = ref_bfs(adj, starts, max_depth)
    return {v: x for v, x in d.items() if v not in starts}


def dependency_adj(g: RefGraph) -> dict[int, set[int]]:
    """v -> things v needs."""
    return {v: g.preds(v) for v in range(g.n)}


def undirected_adj(g: RefGraph) -> dict[int, set[int]]:
    """Every relationship (informational included), both ways."""
    adj: dict[int, set[int]] = {v: set() for v in range(g.n)}
    for s, d, _ in g.relations:
        if s != d:
            adj[s].add(d)
            adj[d].add(s)
    return adj


def ref_all_shortest_paths(
    adj: dict[int, set[int]], s: int, t: int, max_depth: int | None
) -> set[tuple[int, ...]]:
    """Every shortest path s -> t over ``adj`` (empty if none within max_depth)."""
    if s == t:
        return {(s,)}
    dist = ref_bfs(adj, {s}, max_depth)
    if t not in dist:
        return set()
    out: set[tuple[int, ...]] = set()

    def walk(path: list[int]) -> None:
        u = path[-1]
        if u == t:
            out.add(tuple(path))
            return
        for v in adj[u]:
            if dist.get(v) == dist[u] + 1 and dist[v] <= dist[t]:
                walk([*path, v])

    walk([s])
    return {p for p in out if len(p) - 1 == dist[t]}


def ref_down_distance(g: RefGraph, failed: set[int], state: dict[int, int]) -> dict[int, int]:
    """Hop distance of every DOWN CI from a failed CI along chains made only of DOWN CIs."""
    down = {v for v, s in state.items() if s == DOWN} | set(failed)
    adj = {u: {v for v in g.succ[u] if v in down} for u in down}
    return ref_bfs(adj, set(failed), None)


@dataclass(frozen=True)
class RefCandidate:
    """Reference root-cause candidate (same fields as the engine's)."""

    node: int
    covered_down: tuple[int, ...]
    covered_degraded: tuple[int, ...]
    distances: tuple[int, ...]
    collateral: int
    explained: tuple[int, ...]
    matched: int
    max_distance: int

    @property
    def tier(self) -> tuple[int, int]:
        """Candidates that explain the symptoms equally well."""
        return (len(self.explained), self.matched)

    @property
    def key(self) -> tuple[int, int, int, int, int]:
        """Same ranking as the engine."""
        return (
            -len(self.explained),
            -self.matched,
            self.collateral,
            self.max_distance,
            self.node,
        )


def ref_candidate(g: RefGraph, c: int, symptoms: list[int], degraded: list[bool]) -> RefCandidate:
    """What the failure of ``c`` alone explains (the rules of docs/impact.md, spelled out)."""
    state, depth = ref_impact(g, {c})
    sym_set = set(symptoms)
    down = tuple(i for i, s in enumerate(symptoms) if state.get(s) == DOWN)
    degr = tuple(i for i, s in enumerate(symptoms) if state.get(s) == DEGRADED)
    covered = sorted(down + degr)
    # an unavailable symptom is explained only by DOWN; a degraded one by any impact
    explained = tuple(i for i in covered if state[symptoms[i]] == DOWN or degraded[i])
    matched = sum(1 for i in explained if (state[symptoms[i]] == DEGRADED) == bool(degraded[i]))
    dists = tuple(depth[symptoms[i]] for i in covered)
    collateral = sum(1 for v in state if v != c and v not in sym_set)
    max_distance = max((depth[symptoms[i]] for i in explained), default=0)
    return RefCandidate(c, down, degr, dists, collateral, explained, matched, max_distance)


def ref_root_cause(
    g: RefGraph, symptoms: list[int], limit: int, degraded: list[bool] | None = None
) -> tuple[list[RefCandidate], int]:
    """Try every single-CI failure; rank those that explain at least one symptom.

    Returns the first ``limit`` candidates and how many share the first one's tier.
    """
    flags = degraded if degraded is not None else [False] * len(symptoms)
    cands = [ref_candidate(g, c, symptoms, flags) for c in range(g.n)]
    cands = [c for c in cands if c.explained]
    cands.sort(key=lambda r: r.key)
    tied = sum(1 for c in cands if c.tier == cands[0].tier) if cands else 0
    return cands[:limit], tied


def ref_scc(g: RefGraph) -> list[tuple[int, ...]]:
    """Strongly connected components of size > 1 via mutual reachability."""
    reach = {u: set(ref_bfs(g.succ, {u}, None)) for u in range(g.n)}
    seen: set[int] = set()
    comps: list[tuple[int, ...]] = []
    for u in range(g.n):
        if u in seen:
            continue
        comp = tuple(sorted(v for v in reach[u] if u in reach[v]))
        seen.update(comp)
        if len(comp) > 1:
            comps.append(comp)
    comps.sort(key=lambda c: (-len(c), c[0]))
    return comps


def ref_neighbourhood(
    g: RefGraph,
    centre: int,
    depth: int,
    direction: str,
    type_filter: set[int] | None,
) -> tuple[dict[int, int], set[tuple[int, int, int]]]:
    """Nodes within ``depth`` hops (no node limit) and the relationships among them."""
    adj: dict[int, set[int]] = {v: set() for v in range(g.n)}
    for s, d, t in g.relations:
        if type_filter is not None and t not in type_filter:
            continue
        direction_t = g.type_direction[t]
        if direction == "both":
            adj[s].add(d)
            adj[d].add(s)
            continue
        u, v = (s, d) if direction_t == 1 else (d, s)
        if direction_t == 0:
            continue
        if direction == "down":
            adj[u].add(v)
        else:
            adj[v].add(u)
    nodes = ref_bfs(adj, {centre}, depth)
    edges = {
        (s, d, t)
        for s, d, t in g.relations
        if s in nodes and d in nodes and (type_filter is None or t in type_filter)
    }
    return nodes, edges


__all__ = [
    "DEGRADED",
    "DOWN",
    "OK",
    "RefCandidate",
    "RefGraph",
    "dependency_adj",
    "make_ref",
    "ref_all_shortest_paths",
    "ref_bfs",
    "ref_candidate",
    "ref_down_distance",
    "ref_impact",
    "ref_neighbourhood",
    "ref_root_cause",
    "ref_scc",
    "ref_upstream",
    "undirected_adj",
]
