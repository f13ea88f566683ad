"""Dependency maps: the neighbourhood of a CI, permission-filtered, with impact colours and
class clusters, exported as Cytoscape JSON, Graphviz DOT or GraphML.

The traversal is the engine's :func:`assetgraph.graph.neighbourhood` on the cached estate
graph (milliseconds even on large estates); the database is asked only for the rows of the
nodes that are drawn, through ``restrict``. CIs the user may not view are omitted (a hidden
centre is a 404); relationships are drawn only between drawn CIs and only if the user may view
them. Past the node limit the map is cut (the engine's deterministic cut) and the CIs beyond
it are summarised as one cluster node per class, so a hub such as DNS stays responsive.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # building XML only, never parsing
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from django.urls import reverse

from assetgraph import graph as engine
from assetgraph.accounts.permissions import restrict
from assetgraph.cmdb.models import CI, CIClass
from assetgraph.cmdb.querysets import visible_relationships
from assetgraph.core.batching import in_batches
from assetgraph.core.errors import NotFound, ValidationFailed
from assetgraph.framework.flags import business_flags, flag_kinds

from .analysis import visibility
from .catalogue import catalogue
from .estate import UnknownCI, estate_graph

Direction = Literal["up", "down", "both"]
DIRECTIONS = ("up", "down", "both")
MIN_DEPTH, MAX_DEPTH, DEFAULT_DEPTH = 1, 4, 2
MIN_LIMIT, MAX_LIMIT, DEFAULT_LIMIT = 10, 500, 150
# How far beyond the limit the clusters look (counts above this are "at least").
CLUSTER_SCAN = 5_000
STATE_NAMES = {0: "ok", 1: "degraded", 2: "down"}


@dataclass(frozen=True)
class MapOptions:
    """What the map shows: hops, direction, CI classes (ids; ``None`` = all), node limit and
    whether to colour the centre's failure impact."""

    depth: int = DEFAULT_DEPTH
    direction: Direction = "both"
    classes: tuple[int, ...] | None = None
    limit: int = DEFAULT_LIMIT
    impact: bool = True

    def validate(self) -> MapOptions:
        """Refuse out-of-range options with a field error (never a 500)."""
        problems: dict[str, list[str]] = {}
        if not MIN_DEPTH <= self.depth <= MAX_DEPTH:
            problems["depth"] = [f"between {MIN_DEPTH} and {MAX_DEPTH}"]
        if self.direction not in DIRECTIONS:
            problems["direction"] = ["one of up, down, both"]
        if not MIN_LIMIT <= self.limit <= MAX_LIMIT:
            problems["limit"] = [f"between {MIN_LIMIT} and {MAX_LIMIT}"]
        if problems:
            name, messages = next(iter(problems.items()))
            raise ValidationFailed(f"{name}: {messages[0]}", fields=problems)
        return self


@dataclass
class DependencyMap:
    """A drawable neighbourhood: nodes, edges, clusters beyond the limit, and its options."""

    centre: CI
    options: MapOptions
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    clusters: list[dict[str, Any]] = field(default_factory=list)
    truncated: bool = False
    clusters_partial: bool = False
    classes: list[dict[str, Any]] = field(default_factory=list)


def parse_classes(raw: str | None) -> tuple[int, ...] | None:
    """``"3,7"`` → ``(3, 7)``; empty → ``None`` (all classes); anything else a field error."""
    if raw is None or not raw.strip():
        return None
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if not all(p.isdigit() for p in parts):
        raise ValidationFailed(
            "classes: a comma-separated list of class ids",
            fields={"classes": ["a comma-separated list of class ids"]},
        )
    return tuple(sorted({int(p) for p in parts}))


@dataclass(frozen=True)
class _Row:
    """What a drawn node needs from the database (no model instances: up to 500 per map)."""

    pk: int
    name: str
    ci_class_id: int
    class_name: str
    icon: str
    criticality: int


def _rows(user: Any, pks: list[int]) -> list[_Row]:
    """Visible current CIs among ``pks`` (chunked: SQLite limits query parameters)."""
    found: list[_Row] = []
    base = restrict(CI.objects.current(), user, "view")
    for chunk in in_batches(pks):
        found.extend(
            _Row(*row)
            for row in base.filter(pk__in=chunk).values_list(
                "pk", "name", "ci_class_id", "ci_class__name", "ci_class__icon", "criticality"
            )
        )
    return found


def build_map(user: Any, ci_pk: int, options: MapOptions) -> DependencyMap:
    """The dependency map around CI ``ci_pk`` as ``user`` may see it (hidden centre: 404)."""
    options = options.validate()
    centre = (
        restrict(CI.objects.current().select_related("ci_class"), user, "view")
        .filter(pk=ci_pk)
        .first()
    )
    if centre is None:
        raise NotFound(f"CI {ci_pk} not found")
    eg = estate_graph()
    try:
        start = eg.node_of(centre.pk)
    except UnknownCI as exc:
        raise NotFound(f"CI {ci_pk} is not in the estate graph yet; retry shortly") from exc
    hood = engine.neighbourhood(
        eg.graph, [start], options.depth, options.direction, node_limit=options.limit
    )
    node_pks = eg.pks_of(hood.nodes).tolist()
    depth_of = dict(zip(node_pks, hood.depths.tolist(), strict=True))
    rows = _connected(
        _rows(user, node_pks),
        centre.pk,
        eg.pks_of(hood.edge_src).tolist(),
        eg.pks_of(hood.edge_dst).tolist(),
    )
    all_classes = sorted({(c.ci_class_id, c.class_name, c.icon) for c in rows}, key=lambda x: x[1])
    if options.classes is not None:
        wanted = set(options.classes)
        rows = [c for c in rows if c.ci_class_id in wanted or c.pk == centre.pk]
    shown = {c.pk for c in rows}
    states = _states(eg, start, rows) if options.impact else {}
    kind_of = _kinds()
    sample = reverse("ui:cmdb:ci_detail", args=[0])  # one reverse, not one per node
    url_prefix = sample[: sample.rindex("0/")]
    nodes = [
        {
            "id": c.pk,
            "name": c.name,
            "ci_class": c.class_name,
            "class_id": c.ci_class_id,
            "icon": c.icon,
            "kind": kind_of.get(c.ci_class_id, "other"),
            "criticality": c.criticality,
            "depth": depth_of.get(c.pk, 0),
            "state": "failed" if c.pk == centre.pk and options.impact else states.get(c.pk, "ok"),
            "centre": c.pk == centre.pk,
            "url": f"{url_prefix}{c.pk}/",
        }
        for c in sorted(rows, key=lambda c: (depth_of.get(c.pk, 0), c.name, c.pk))
    ]
    flags = business_flags(user, [n["id"] for n in nodes])
    for n in nodes:
        n["flags"] = [f.kind for f in flags.get(n["id"], [])]
    # ``needs``: which end depends on the other ("source" needs the target for an application
    # running on a VM), so the page can lay out dependents above what they need.
    edges = [
        {
            "id": pk,
            "source": s,
            "target": t,
            "type": name,
            "type_id": type_id,
            "needs": _NEEDS.get(direction, "none"),
        }
        for pk, s, t, type_id, name, direction in visible_relationships(user)
        .filter(source_id__in=list(shown), target_id__in=list(shown))
        .order_by("pk")
        .values_list(
            "pk", "source_id", "target_id", "type_id", "type__name", "type__impact_direction"
        )
    ]
    result = DependencyMap(
        centre=centre,
        options=options,
        nodes=nodes,
        edges=edges,
        truncated=bool(hood.truncated),
        classes=[{"id": pk, "name": name, "icon": icon} for pk, name, icon in all_classes],
    )
    if hood.truncated:
        _cluster(result, user, eg, start, set(node_pks), shown)
    return result


def _kinds() -> dict[int, str]:
    """What each class is to a reader of the map (its shape): service, application, endpoint
    (end-user device), group (farm, cluster) or other infrastructure. Built-in meanings come
    from the class slugs, so a renamed class keeps its shape."""
    from assetgraph.cmdb.choices import ClassSlug
    from assetgraph.cmdb.models import semantic_class_ids

    kinds = dict.fromkeys(
        CIClass.objects.filter(is_group=True).values_list("pk", flat=True), "group"
    )
    for slug, kind in (
        (ClassSlug.END_USER_DEVICE, "endpoint"),
        (ClassSlug.APPLICATION, "application"),
        (ClassSlug.BUSINESS_SERVICE, "service"),
    ):
        kinds.update(dict.fromkeys(semantic_class_ids(slug), kind))
    return kinds


# reverse: the target's failure impacts the source, so the source needs the target
_NEEDS = {"reverse": "source", "forward": "target"}


def _connected(rows: list[_Row], centre: int, src: list[int], dst: list[int]) -> list[_Row]:
    """The visible CIs still joined to the centre through visible CIs only.

    Why: a visible CI reached only *through* a hidden one would reveal that the hidden CI
    exists and links them; hidden CIs are omitted together with what only they connect.
    """
    visible = {c.pk for c in rows}
    adjacent: dict[int, list[int]] = {}
    for a, b in zip(src, dst, strict=True):
        if a in visible and b in visible:
            adjacent.setdefault(a, []).append(b)
            adjacent.setdefault(b, []).append(a)
    seen, queue = {centre}, [centre]
    while queue:
        for nxt in adjacent.get(queue.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return [c for c in rows if c.pk in seen]


def _states(eg: Any, start: int, rows: list[_Row]) -> dict[int, str]:
    """Failure-impact state (down/degraded) of the drawn CIs if the centre failed."""
    result = engine.impact(eg.graph, [start])
    if len(result) == 0:
        return {}
    affected = eg.pks_of(result.nodes)
    order = np.argsort(affected)
    keys, states = affected[order], result.states[order]
    wanted = np.array([c.pk for c in rows], dtype=np.int64)
    pos = np.minimum(np.searchsorted(keys, wanted), keys.size - 1)
    hit = keys[pos] == wanted
    return {
        int(pk): STATE_NAMES[int(s)]
        for pk, s, h in zip(wanted, states[pos], hit, strict=True)
        if h and int(s)
    }


def _cluster(
    result: DependencyMap, user: Any, eg: Any, start: int, drawn: set[int], shown: set[int]
) -> None:
    """Summarise CIs beyond the node limit as one node per class, linked to drawn CIs.

    Classes come from the catalogue's columns and visibility from one ``restrict`` query at
    most, so the scan of thousands of CIs stays in numpy.
    """
    options = result.options
    wide = engine.neighbourhood(
        eg.graph, [start], options.depth, options.direction, node_limit=CLUSTER_SCAN
    )
    beyond = np.setdiff1d(eg.pks_of(wide.nodes), np.fromiter(drawn, dtype=np.int64))
    beyond = beyond[visibility(user, beyond)]
    cat = catalogue()
    pos, found = cat.rows(beyond)
    beyond, classes = beyond[found], cat.ci_class[pos[found]]
    if options.classes is not None:
        keep = np.isin(classes, np.array(options.classes, dtype=np.int64))
        beyond, classes = beyond[keep], classes[keep]
    if beyond.size == 0:
        return
    class_ids, counts = np.unique(classes, return_counts=True)
    names = dict(CIClass.objects.filter(pk__in=class_ids.tolist()).values_list("pk", "name"))
    order = np.argsort(beyond)
    sorted_pks, sorted_classes = beyond[order], classes[order]
    links: dict[int, set[int]] = {}
    src, dst = eg.pks_of(wide.edge_src), eg.pks_of(wide.edge_dst)
    shown_arr = np.fromiter(shown, dtype=np.int64)
    for near, far in ((src, dst), (dst, src)):
        mask = np.isin(near, shown_arr) & np.isin(far, sorted_pks)
        far_pos = np.searchsorted(sorted_pks, far[mask])
        for a, class_id in zip(near[mask].tolist(), sorted_classes[far_pos].tolist(), strict=True):
            links.setdefault(int(class_id), set()).add(int(a))
    ranked = sorted(
        zip(class_ids.tolist(), counts.tolist(), strict=True),
        key=lambda kv: (-kv[1], names.get(kv[0], "")),
    )
    result.clusters = [
        {
            "id": f"cluster-{class_id}",
            "class_id": class_id,
            "ci_class": names.get(class_id, f"class {class_id}"),
            "count": n,
            "links": sorted(links.get(class_id, set())),
        }
        for class_id, n in ranked
    ]
    result.clusters_partial = bool(wide.truncated)


# ------------------------------------------------------------------------------ exports
def to_json(m: DependencyMap) -> dict[str, Any]:
    """Cytoscape.js elements plus the map's facts (what the map page fetches)."""
    nodes = [{"data": {**n, "id": str(n["id"])}} for n in m.nodes]
    edges = [
        {
            "data": {
                **e,
                "id": f"rel-{e['id']}",
                "source": str(e["source"]),
                "target": str(e["target"]),
            }
        }
        for e in m.edges
    ]
    for c in m.clusters:
        prefix = "at least " if m.clusters_partial else ""
        label = f"{prefix}{c['count']} more {c['ci_class']}"
        nodes.append({"data": {**c, "name": label, "cluster": True, "links": c["links"]}})
        edges.extend(
            {
                "data": {
                    "id": f"{c['id']}-{near}",
                    "source": str(near),
                    "target": c["id"],
                    "type": "",
                    "cluster": True,
                }
            }
            for near in c["links"]
        )
    return {
        "centre": {"id": m.centre.pk, "name": m.centre.name},
        "options": {
            "depth": m.options.depth,
            "direction": m.options.direction,
            "classes": list(m.options.classes) if m.options.classes is not None else None,
            "limit": m.options.limit,
            "impact": m.options.impact,
        },
        "truncated": m.truncated,
        "clusters_partial": m.clusters_partial,
        "counts": {
            "nodes": len(m.nodes),
            "edges": len(m.edges),
            "clustered": sum(c["count"] for c in m.clusters),
            "down": sum(1 for n in m.nodes if n["state"] == "down"),
            "degraded": sum(1 for n in m.nodes if n["state"] == "degraded"),
        },
        "classes": m.classes,
        "flag_kinds": [
            {"kind": source.kind, "label": source.label, "rule": source.rule}
            for source in flag_kinds()
        ],
        "elements": {"nodes": nodes, "edges": edges},
    }


def _dot_string(value: Any) -> str:
    """A DOT double-quoted string: backslashes, quotes and line breaks escaped."""
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + re.sub(r"\r\n|\r|\n", r"\\n", text) + '"'


def to_dot(m: DependencyMap) -> str:
    """Graphviz DOT of the map (``dot -Tsvg map.dot``); impact states as fill colours."""
    fill = {"failed": "#dc3545", "down": "#f1aeb5", "degraded": "#ffe69c", "ok": "#ffffff"}
    lines = [
        f"digraph {_dot_string('dependency map of ' + m.centre.name)} {{",
        "  graph [rankdir=LR];",
        '  node [shape=box, style="rounded,filled", fontname="Helvetica"];',
    ]
    for n in m.nodes:
        attrs = {
            "label": f"{n['name']}\n({n['ci_class']})",
            "fillcolor": fill.get(n["state"], "#ffffff"),
            "class": n["ci_class"],
            "state": n["state"],
            "flags": " ".join(n.get("flags", [])),
        }
        if n["centre"]:
            attrs["penwidth"] = "3"
        body = ", ".join(f"{k}={_dot_string(v)}" for k, v in attrs.items())
        lines.append(f"  {_dot_string('ci-' + str(n['id']))} [{body}];")
    for c in m.clusters:
        label = f"{c['count']} more {c['ci_class']}"
        lines.append(f"  {_dot_string(c['id'])} [label={_dot_string(label)}, shape=folder];")
        for near in c["links"]:
            lines.append(f"  {_dot_string('ci-' + str(near))} -> {_dot_string(c['id'])};")
    for e in m.edges:
        lines.append(
            f"  {_dot_string('ci-' + str(e['source']))} -> "
            f"{_dot_string('ci-' + str(e['target']))} [label={_dot_string(e['type'])}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


# Characters XML 1.0 cannot carry at all (ElementTree escapes markup, not these).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(value: Any) -> str:
    return _XML_INVALID.sub("\ufffd", str(value))


def to_graphml(m: DependencyMap) -> bytes:
    """GraphML (yEd, Gephi, networkx) built with ElementTree, so every value is escaped."""
    ns = "http://graphml.graphdrawing.org/xmlns"
    root = ET.Element("graphml", {"xmlns": ns})
    keys = [
        ("name", "node", "string"),
        ("ci_class", "node", "string"),
        ("depth", "node", "int"),
        ("state", "node", "string"),
        ("count", "node", "int"),
        ("flags", "node", "string"),
        ("type", "edge", "string"),
    ]
    for name, scope, kind in keys:
        ET.SubElement(root, "key", {"id": name, "for": scope, "attr.name": name, "attr.type": kind})
    graph = ET.SubElement(root, "graph", {"id": f"map-{m.centre.pk}", "edgedefault": "directed"})

    def data(parent: ET.Element, key: str, value: Any) -> None:
        ET.SubElement(parent, "data", {"key": key}).text = _xml_text(value)

    for n in m.nodes:
        node = ET.SubElement(graph, "node", {"id": f"ci-{n['id']}"})
        for key in ("name", "ci_class", "depth", "state"):
            data(node, key, n[key])
        data(node, "flags", " ".join(n.get("flags", [])))
    for c in m.clusters:
        node = ET.SubElement(graph, "node", {"id": c["id"]})
        data(node, "name", f"{c['count']} more {c['ci_class']}")
        data(node, "ci_class", c["ci_class"])
        data(node, "count", c["count"])
        for near in c["links"]:
            ET.SubElement(
                graph,
                "edge",
                {"id": f"{c['id']}-{near}", "source": f"ci-{near}", "target": c["id"]},
            )
    for e in m.edges:
        edge = ET.SubElement(
            graph,
            "edge",
            {"id": f"rel-{e['id']}", "source": f"ci-{e['source']}", "target": f"ci-{e['target']}"},
        )
        data(edge, "type", e["type"])
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body
