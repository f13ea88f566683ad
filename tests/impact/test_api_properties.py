"""Property test at the API: random estates with redundancy groups and dependency cycles,
loaded through the import path (the CSV import endpoints), answer exactly what the plain
reference model of tests/graph/reference.py says — states, depths, and the path rule — and
end-user devices read ``service_lost``/``service_degraded`` where the engine says DOWN/DEGRADED.

Runs on whichever database the suite runs on (CI runs it on SQLite and PostgreSQL). Bounded
for CI: a dozen CIs, a few dozen relationships, a handful of examples (a few seconds).
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assetgraph.cmdb.models import RelationshipType
from assetgraph.impact.catalogue import clear_catalogue
from assetgraph.impact.estate import clear_cache
from tests.conftest import bearer
from tests.graph.reference import DOWN, ref_down_distance, ref_impact
from tests.graph.reference import make_ref as reference_graph
from tests.importjobs import post_import

pytestmark = pytest.mark.django_db

# relationship types of the seeded CMDB used by the estates (name, "a <type> b")
TYPES = ("depends on", "member of", "runs on", "contains", "connected to")
DEVICE_STATES = {"down": "service_lost", "degraded": "service_degraded"}


@dataclass
class Estate:
    """CIs ``n0…`` of three kinds, groups with a policy, and relationships among them."""

    kinds: list[str]  # "app", "group" or "device"
    policy: dict[int, tuple[str, int]]  # group index -> (mode, value)
    rels: list[tuple[int, int, str]]  # (source, target, type name)

    @property
    def names(self) -> list[str]:
        return [f"n{i}" for i in range(len(self.kinds))]


@st.composite
def estates(draw: Any) -> Estate:
    n = draw(st.integers(3, 12))
    kinds = draw(
        st.lists(st.sampled_from(["app", "app", "group", "device"]), min_size=n, max_size=n)
    )
    policy = {
        i: draw(
            st.sampled_from(["count", "percent"]).flatmap(
                lambda mode: st.tuples(
                    st.just(mode), st.integers(1, 4) if mode == "count" else st.integers(1, 100)
                )
            )
        )
        for i, kind in enumerate(kinds)
        if kind == "group"
    }
    node = st.integers(0, n - 1)
    raw = draw(st.lists(st.tuples(node, node, st.sampled_from(TYPES)), max_size=3 * n))
    members = [
        (m, g, "member of")
        for g, kind in enumerate(kinds)
        if kind == "group"
        for m in draw(st.lists(node, max_size=4, unique=True))
    ]
    rels = sorted({(s, t, kind) for s, t, kind in raw + members if s != t})
    return Estate(kinds, policy, rels)


def _csv(rows: list[list[str]]) -> SimpleUploadedFile:
    text = "\n".join(",".join(row) for row in rows) + "\n"
    return SimpleUploadedFile("estate.csv", text.encode(), content_type="text/csv")


def load(client: Any, estate: Estate) -> None:
    """Import the estate through the CMDB's CSV import endpoints (not dry runs)."""
    classes = {"app": "Application", "group": "Cluster/Farm", "device": "Laptop"}
    cis = [["class", "name", "redundancy_mode", "redundancy_value"]]
    for i, (name, kind) in enumerate(zip(estate.names, estate.kinds, strict=True)):
        mode, value = estate.policy.get(i, ("", 0))
        cis.append([classes[kind], name, mode, str(value) if mode else ""])
    response = post_import(
        client, "/api/cmdb/import/cis?dry_run=false", {"file": _csv(cis)}, format="multipart"
    )
    assert response.status_code == 200, response.json()
    if estate.rels:
        rels = [["source", "type", "target"]]
        rels += [[estate.names[s], kind, estate.names[t]] for s, t, kind in estate.rels]
        response = post_import(
            client,
            "/api/cmdb/import/relationships?dry_run=false",
            {"file": _csv(rels)},
            format="multipart",
        )
        assert response.status_code == 200, response.json()


def reference(estate: Estate) -> Any:
    """The reference model of the same estate, with the seeded types' impact directions."""
    types = {t.name: t for t in RelationshipType.objects.filter(name__in=TYPES)}
    order = list(TYPES)
    direction = {"forward": 1, "reverse": -1, "none": 0}
    n = len(estate.kinds)
    kind = [0] * n
    value = [0] * n
    for i, (mode, v) in estate.policy.items():
        kind[i] = 1 if mode == "count" else 2
        value[i] = v
    return reference_graph(
        n,
        [s for s, _, _ in estate.rels],
        [t for _, t, _ in estate.rels],
        [order.index(k) for _, _, k in estate.rels],
        [direction[types[name].impact_direction] for name in order],
        [types[name].is_membership for name in order],
        kind,
        value,
    )


@settings(
    # a few seconds in CI; IMPACT_API_EXAMPLES=200 for a thorough run
    max_examples=int(os.environ.get("IMPACT_API_EXAMPLES", "6")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(estate=estates(), data=st.data())
def test_api_impact_matches_the_reference_model(estate: Estate, data: Any, make_user: Any) -> None:
    importer = bearer(make_user("IT Operations (NOC)"))
    with transaction.atomic():
        clear_cache()
        clear_catalogue()
        try:
            load(importer, estate)
            ref = reference(estate)
            n = len(estate.kinds)
            failed = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=3, unique=True))
            body = importer.get(
                "/api/impact/", {"ci": [estate.names[i] for i in failed], "limit": 500}
            ).json()
            check(estate, ref, set(failed), body)
        finally:
            transaction.set_rollback(True)
            clear_cache()
            clear_catalogue()


def check(estate: Estate, ref: Any, failed: set[int], body: dict[str, Any]) -> None:
    """The API's answer is the reference model's, row by row, path by path."""
    state, depth = ref_impact(ref, failed)
    down_dist = ref_down_distance(ref, failed, state)
    index = {name: i for i, name in enumerate(estate.names)}
    names = {1: "degraded", 2: "down"}
    expected = {}
    for v, s in state.items():
        if v in failed:
            continue
        label = names[s]
        expected[estate.names[v]] = DEVICE_STATES[label] if estate.kinds[v] == "device" else label
    rows = body["details"]["results"]
    assert {r["ci"]["display"]: r["state"] for r in rows} == expected
    infra = [v for v in state if v not in failed and estate.kinds[v] != "device"]
    assert body["summary"]["affected"] == len(infra)
    assert body["summary"]["down"] == sum(1 for v in infra if state[v] == DOWN)
    assert body["summary"]["endpoints"] == len(expected) - len(infra)
    for row in rows:
        v = index[row["ci"]["display"]]
        chain = [index[s["display"]] for s in row["path"]]
        assert row["depth"] == depth[v]
        assert chain[0] in failed and chain[-1] == v
        assert all(b in ref.succ[a] for a, b in itertools.pairwise(chain))
        if state[v] == DOWN:  # the path rule: a shortest chain of DOWN CIs
            assert all(state[x] == DOWN for x in chain), (row, state)
            assert len(chain) - 1 == down_dist[v]
        else:  # a shortest chain
            assert len(chain) - 1 == depth[v]
