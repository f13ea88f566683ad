"""One graph per host: workers map the shared snapshot; damaged or stale files are not trusted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assetgraph import graph as engine
from assetgraph.cmdb import services
from assetgraph.core.actor import Actor
from assetgraph.graph import snapshot as snapshots
from assetgraph.impact import estate as estate_mod
from assetgraph.impact.estate import clear_cache, estate_graph, snapshot_path

from .conftest import cls, rtype

pytestmark = pytest.mark.django_db


def _affected(eg: estate_mod.EstateGraph, failed_pk: int) -> dict[int, str]:
    res = engine.impact(eg.graph, [eg.node_of(failed_pk)])
    pks = eg.pks_of(res.nodes)
    return {int(pk): engine.NodeState(int(s)).name for pk, s in zip(pks, res.states, strict=True)}


@pytest.fixture
def fresh(tmp_path: Path, settings: Any) -> Path:
    """A data directory of its own and an empty per-process cache (a new worker)."""
    settings.DATA_DIR = tmp_path
    clear_cache()
    path = snapshot_path()
    assert path is not None
    yield path
    clear_cache()


def test_a_new_worker_maps_the_file_instead_of_rebuilding(
    estate: dict[str, Any], fresh: Path
) -> None:
    built = estate_graph()
    assert fresh.exists()
    before = estate_mod.cache_stats()
    clear_cache(shared=False)  # another worker process: nothing cached yet
    mapped = estate_graph()
    after = estate_mod.cache_stats()
    assert after["rebuilds"] == before["rebuilds"]
    assert after["mapped"] == before["mapped"] + 1
    assert not mapped.graph._fwd_indices.flags.writeable  # the shared, read-only mapping
    assert mapped.ci_pks.tolist() == built.ci_pks.tolist()
    assert mapped.redundancy == built.redundancy == {estate["farm"].pk: (1, 2)}
    for pk in built.ci_pks.tolist():
        assert _affected(mapped, pk) == _affected(built, pk)
    assert estate_graph() is mapped


def test_a_corrupt_file_is_rebuilt_and_rewritten(estate: dict[str, Any], fresh: Path) -> None:
    estate_graph()
    raw = bytearray(fresh.read_bytes())
    raw[-5] ^= 0xFF  # a flipped bit in the arrays
    fresh.write_bytes(bytes(raw))
    before = estate_mod.cache_stats()
    clear_cache(shared=False)
    eg = estate_graph()
    after = estate_mod.cache_stats()
    assert after["snapshot_refused"] == before["snapshot_refused"] + 1
    assert after["rebuilds"] == before["rebuilds"] + 1
    assert _affected(eg, estate["db"].pk) == {
        estate["app"].pk: "DOWN",
        estate["service"].pk: "DOWN",
    }
    snapshots.load_snapshot(fresh)  # the rewritten file is whole again


def test_garbage_in_place_of_the_file_is_rebuilt(estate: dict[str, Any], fresh: Path) -> None:
    fresh.parent.mkdir(parents=True, exist_ok=True)
    fresh.write_bytes(b"not a graph at all")
    eg = estate_graph()
    assert estate_mod.cache_stats()["snapshot_refused"] >= 1
    assert eg.n_cis == 6
    assert snapshots.load_snapshot(fresh).revision == eg.revision


def test_a_stale_file_is_never_served_as_it_is(
    estate: dict[str, Any], system: Actor, fresh: Path
) -> None:
    old = estate_graph()
    web = services.create_ci(system, {"name": "web", "ci_class": cls("Application")})
    services.add_relationship(
        system, {"source": web, "target": estate["db"], "type": rtype("depends on")}
    )
    # the file still holds the old revision; a new worker maps it and replays the events
    assert snapshots.load_snapshot(fresh).revision == old.revision
    clear_cache(shared=False)
    eg = estate_graph()
    assert eg.revision > old.revision
    assert _affected(eg, estate["db"].pk)[web.pk] == "DOWN"


def test_a_file_from_another_audit_history_is_rebuilt(estate: dict[str, Any], fresh: Path) -> None:
    eg = estate_graph()
    # same revision number, different history (a restored backup, a reset database)
    snapshots.save_snapshot(
        fresh,
        eg.graph,
        eg.revision,
        {"window": eg.window_count, "revision_at": "1999-01-01T00:00:00+00:00"},
        {
            "ci_pks": eg.ci_pks,
            "type_pks": eg.type_pks,
            "red_pks": np.zeros(0, np.int64),
            "red": np.zeros((0, 2), np.int64),
        },
    )
    before = estate_mod.cache_stats()
    clear_cache(shared=False)
    again = estate_graph()
    after = estate_mod.cache_stats()
    assert after["rebuilds"] == before["rebuilds"] + 1
    assert again.redundancy == {estate["farm"].pk: (1, 2)}


def test_snapshots_can_be_switched_off(
    estate: dict[str, Any], fresh: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(estate_mod.SNAPSHOTS_ENV, "off")
    assert snapshot_path() is None
    estate_graph()
    assert not fresh.exists()


def test_a_new_worker_takes_the_lookup_columns_from_the_file(
    estate: dict[str, Any], fresh: Path
) -> None:
    from assetgraph.impact import catalogue as lookup

    estate_graph()
    expected = lookup.catalogue()
    lookup.clear_catalogue()
    clear_cache(shared=False)
    eg = estate_graph()
    seeded = lookup._STATE.current
    assert seeded is not None and not seeded.pks.flags.writeable  # from the mapping
    assert seeded.revision == expected.revision
    assert seeded.ci_class.tolist() == expected.ci_class.tolist()
    assert lookup.catalogue() is seeded
    rows, known = lookup.node_rows(eg, seeded)
    assert known[: eg.n_cis].all() and not rows.flags.writeable


def test_clearing_the_cache_after_a_bulk_load_drops_the_shared_file(
    estate: dict[str, Any], fresh: Path
) -> None:
    estate_graph()
    assert fresh.exists()
    before = estate_mod.cache_stats()["rebuilds"]
    clear_cache()  # a bulk load outside the services: no audit event tells the file is old
    assert not fresh.exists()
    estate_graph()
    assert estate_mod.cache_stats()["rebuilds"] == before + 1


def test_a_new_gunicorn_worker_maps_the_graph_before_its_first_request(
    estate: dict[str, Any], fresh: Path, settings: Any, caplog: Any
) -> None:
    from assetgraph.core.management.commands.serve import prepare_worker as post_worker_init

    estate_graph()  # the host's snapshot exists (written by the first process)
    clear_cache(shared=False)  # a fresh worker process
    before = estate_mod.cache_stats()
    settings.WORKER_WARMUPS = [
        "assetgraph.impact.operations.prepare_worker",
        "assetgraph.no_such_module.warm",  # a broken warm-up is logged, never fatal
    ]
    with caplog.at_level("INFO"):
        post_worker_init(object())
    after = estate_mod.cache_stats()
    assert after["mapped"] == before["mapped"] + 1 and after["rebuilds"] == before["rebuilds"]
    assert "worker warm-up assetgraph.no_such_module.warm failed" in caplog.text
    cached = estate_graph()
    assert estate_mod.cache_stats()["mapped"] == after["mapped"]  # the request maps nothing
    assert len(cached.ci_pks) == len(estate_graph().ci_pks)
