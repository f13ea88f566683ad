"""The shared memory-mapped graph file: exact round trip, and never trusted when damaged."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from assetgraph.graph import Graph, impact, root_cause
from assetgraph.graph.snapshot import (
    LAYOUT_VERSION,
    SnapshotError,
    load_snapshot,
    read_header,
    save_snapshot,
)

from .conftest import Case, cases
from .reference import ref_impact
from .test_properties import canonical, node_lists


def _graph() -> Graph:
    # 0 -> farm 3 (needs 1 of members 1, 2); 1, 2 members; 3 -> 4
    return Graph.build(
        5,
        [1, 2, 4, 0, 0],
        [3, 3, 3, 1, 2],
        [0, 0, 1, 1, 1],
        [1, -1],
        [True, False],
        [0, 0, 0, 1, 0],
        [0, 0, 0, 1, 0],
        reorder=True,
    )


def test_round_trip_maps_read_only_arrays(tmp_path: Path) -> None:
    g = _graph()
    path = tmp_path / "g.graph"
    size = save_snapshot(path, g, 42, {"window": 7}, {"pks": np.arange(5, dtype=np.int64) + 100})
    assert path.stat().st_size == size
    snap = load_snapshot(path, revision=42, meta={"window": 7})
    assert snap.revision == 42 and snap.meta == {"window": 7}
    assert snap.extra["pks"].tolist() == [100, 101, 102, 103, 104]
    assert canonical(snap.graph) == canonical(g)
    assert not snap.graph._fwd_indices.flags.writeable
    assert snap.graph.reach_memo().flags.writeable  # per-process memo, not in the file
    assert sorted(impact(snap.graph, [0]).nodes.tolist()) == sorted(impact(g, [0]).nodes.tolist())
    # an incremental update on top of the mapping copies only what it changes
    g2 = snap.graph.with_edges_added([4], [0], [1])
    assert g2._kind is snap.graph._kind
    assert read_header(path)["revision"] == 42


@given(case=cases(), data=st.data())
def test_mapped_graph_answers_like_the_built_one(
    case: Case, data: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    g = case.graph()
    path = tmp_path_factory.mktemp("snap") / "g.graph"
    save_snapshot(path, g, 1)
    m = load_snapshot(path).graph
    assert canonical(m) == canonical(g)
    failed = node_lists(case, data)
    a, b = impact(m, failed), impact(g, failed)
    state, depth = ref_impact(case.ref(), set(failed))
    got = {int(v): (int(s), int(d)) for v, s, d in zip(a.nodes, a.states, a.depths, strict=True)}
    assert got == {v: (s, depth[v]) for v, s in state.items() if v not in failed}
    assert sorted(a.nodes.tolist()) == sorted(b.nodes.tolist())
    sym = node_lists(case, data, max_size=3)
    assert [c.node for c in root_cause(m, sym)] == [c.node for c in root_cause(g, sym)]


def _corrupt(path: Path, at: int) -> None:
    raw = bytearray(path.read_bytes())
    raw[at] ^= 0xFF
    path.write_bytes(bytes(raw))


def test_a_flipped_data_byte_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "g.graph"
    size = save_snapshot(path, _graph(), 1)
    _corrupt(path, size - 3)
    with pytest.raises(SnapshotError) as err:
        load_snapshot(path)
    assert err.value.reason == "corrupt"


@pytest.mark.parametrize("at", [0, 9, 17, 30])
def test_a_damaged_header_is_detected(tmp_path: Path, at: int) -> None:
    path = tmp_path / "g.graph"
    save_snapshot(path, _graph(), 1)
    _corrupt(path, at)
    with pytest.raises(SnapshotError) as err:
        load_snapshot(path)
    assert err.value.reason == "corrupt"


def test_truncated_and_empty_files_are_detected(tmp_path: Path) -> None:
    path = tmp_path / "g.graph"
    save_snapshot(path, _graph(), 1)
    raw = path.read_bytes()
    path.write_bytes(raw[:-10])
    with pytest.raises(SnapshotError, match="size"):
        load_snapshot(path)
    path.write_bytes(b"")
    with pytest.raises(SnapshotError) as err:
        load_snapshot(path)
    assert err.value.reason == "corrupt"
    with pytest.raises(SnapshotError) as err:
        load_snapshot(tmp_path / "absent.graph")
    assert err.value.reason == "missing"


def test_stale_revision_or_meta_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "g.graph"
    save_snapshot(path, _graph(), 5, {"window": 3, "db": "a"})
    with pytest.raises(SnapshotError) as err:
        load_snapshot(path, revision=6)
    assert err.value.reason == "stale"
    with pytest.raises(SnapshotError) as err:
        load_snapshot(path, revision=5, meta={"db": "b"})
    assert err.value.reason == "stale"


def _rewrite_header(path: Path, change: Any) -> None:
    raw = path.read_bytes()
    _, length, _ = struct.unpack_from("<8sQQ", raw)
    header = json.loads(raw[24 : 24 + length])
    change(header)
    blob = json.dumps(header, sort_keys=True).encode()
    assert len(blob) <= length  # keep the data start where it was
    blob = blob.ljust(length)
    path.write_bytes(
        struct.pack("<8sQQ", b"AGGRAPH\0", length, zlib.crc32(blob)) + blob + raw[24 + length :]
    )


def test_another_layout_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "g.graph"
    save_snapshot(path, _graph(), 1)
    _rewrite_header(path, lambda h: h.update(layout=LAYOUT_VERSION + 1))
    with pytest.raises(SnapshotError) as err:
        load_snapshot(path)
    assert err.value.reason == "layout"


def test_an_array_directory_that_does_not_fit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "g.graph"
    save_snapshot(path, _graph(), 1)

    def drop_threshold(h: dict[str, Any]) -> None:
        h["arrays"] = [a for a in h["arrays"] if a["name"] != "graph._threshold"]

    _rewrite_header(path, drop_threshold)
    with pytest.raises(SnapshotError) as err:
        load_snapshot(path)
    assert err.value.reason == "layout"


def test_rewriting_replaces_the_file_atomically(tmp_path: Path) -> None:
    path = tmp_path / "g.graph"
    save_snapshot(path, _graph(), 1)
    old = load_snapshot(path)
    g2 = _graph().with_edges_added([4], [0], [1])
    save_snapshot(path, g2, 2)
    assert load_snapshot(path, revision=2).graph.n_relations == g2.n_relations
    # the process that mapped the old file keeps a consistent old graph
    assert old.graph.n_relations == _graph().n_relations
    assert [p.name for p in tmp_path.iterdir()] == ["g.graph"]


def test_redundancy_flag_is_cached_per_graph_version() -> None:
    g = _graph()
    assert g.has_redundancy
    assert g.impact_arrays() is g.impact_arrays()
    off = g.with_redundancy([3], 0, 0)
    assert not off.has_redundancy and not off.impact_arrays().has_counted
    on = off.with_redundancy([3], 1, 1)
    assert on.has_redundancy and on.impact_arrays().has_counted
    r = impact(on, [1])
    assert r.state_of(3) == 1  # degraded: one member of two still up
