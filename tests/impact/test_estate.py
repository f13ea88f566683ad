"""The DB → engine adapter: bulk build, as-of builds, and the incremental cache."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from django.utils import timezone

from assetgraph import graph as engine
from assetgraph.cmdb import services
from assetgraph.core.actor import Actor
from assetgraph.impact import estate as estate_mod
from assetgraph.impact.estate import UnknownCI, build_estate_graph, estate_graph

from .conftest import cls, rtype

pytestmark = pytest.mark.django_db


def _affected(eg: estate_mod.EstateGraph, failed_pk: int) -> dict[int, str]:
    res = engine.impact(eg.graph, [eg.node_of(failed_pk)])
    pks = eg.pks_of(res.nodes)
    return {int(pk): engine.NodeState(int(s)).name for pk, s in zip(pks, res.states, strict=True)}


def test_build_maps_every_current_ci_and_the_impact_direction(estate: dict[str, Any]) -> None:
    eg = build_estate_graph()
    assert eg.n_cis == 6
    assert sorted(eg.ci_pks.tolist()) == eg.ci_pks.tolist()
    # the database failing takes the app and the service down (app depends on db: reverse)
    hit = _affected(eg, estate["db"].pk)
    assert hit == {estate["app"].pk: "DOWN", estate["service"].pk: "DOWN"}
    # the VM's failure reaches the app and the service; nothing flows back to the hypervisor
    hit = _affected(eg, estate["vm"].pk)
    assert estate["hv"].pk not in hit
    assert hit[estate["service"].pk] == "DOWN"


def test_unknown_and_retired_cis_are_named(estate: dict[str, Any], system: Actor) -> None:
    services.retire_ci(system, estate["db"])
    eg = build_estate_graph()
    with pytest.raises(UnknownCI) as err:
        eg.nodes_of([estate["db"].pk, 999_999])
    assert err.value.pks == [estate["db"].pk, 999_999]


def test_redundancy_groups_degrade_instead_of_failing(
    estate: dict[str, Any], system: Actor
) -> None:
    hv2 = services.create_ci(system, {"name": "hv-02", "ci_class": cls("Hypervisor")})
    hv3 = services.create_ci(system, {"name": "hv-03", "ci_class": cls("Hypervisor")})
    for hv in (hv2, hv3):
        services.add_relationship(
            system, {"source": hv, "target": estate["farm"], "type": rtype("member of")}
        )
    eg = estate_graph()
    # farm needs 2 of 3 members up: losing one degrades it
    assert _affected(eg, estate["hv"].pk)[estate["farm"].pk] == "DEGRADED"
    services.update_ci(system, estate["farm"], {"redundancy_value": 3})
    eg = estate_graph()
    assert _affected(eg, estate["hv"].pk)[estate["farm"].pk] == "DOWN"


def test_cache_is_reused_and_refreshed_incrementally(estate: dict[str, Any], system: Actor) -> None:
    first = estate_graph()
    assert estate_graph() is first
    before = estate_mod.cache_stats()
    # a new CI and a new relationship: applied to the cached graph, not rebuilt
    web = services.create_ci(system, {"name": "web", "ci_class": cls("Application")})
    link = services.add_relationship(
        system, {"source": web, "target": estate["db"], "type": rtype("depends on")}
    )
    second = estate_graph()
    after = estate_mod.cache_stats()
    assert after["refreshes"] == before["refreshes"] + 1
    assert after["rebuilds"] == before["rebuilds"]
    assert _affected(second, estate["db"].pk)[web.pk] == "DOWN"
    # the old graph is untouched (immutable) and still answers as before
    with pytest.raises(UnknownCI):
        first.node_of(web.pk)
    # ending the relationship removes the edge again
    services.remove_relationship(system, link)
    third = estate_graph()
    assert web.pk not in _affected(third, estate["db"].pk)
    assert estate_mod.cache_stats()["rebuilds"] == before["rebuilds"]
    # and the incremental result equals a full rebuild
    full = build_estate_graph()
    for pk in estate_mod.EstateGraph.pks_of(full, np.arange(full.n_cis)):
        assert _affected(third, int(pk)) == _affected(full, int(pk))


def test_a_relationship_type_change_rebuilds(estate: dict[str, Any], system: Actor) -> None:
    estate_graph()
    before = estate_mod.cache_stats()["rebuilds"]
    services.update_relationship_type(system, rtype("depends on"), {"impact_direction": "none"})
    eg = estate_graph()
    assert estate_mod.cache_stats()["rebuilds"] == before + 1
    assert _affected(eg, estate["db"].pk) == {}


def test_as_of_builds_the_estate_as_it_was(estate: dict[str, Any], system: Actor) -> None:
    before_retirement = timezone.now()
    services.retire_ci(system, estate["vm"], when=before_retirement + dt.timedelta(seconds=1))
    now_graph = estate_graph()
    assert estate["service"].pk not in _affected(now_graph, estate["hv"].pk)
    then = estate_graph(as_of=before_retirement)
    assert then.as_of == before_retirement
    assert _affected(then, estate["hv"].pk)[estate["service"].pk] == "DOWN"
    assert estate_graph(as_of=before_retirement) is then
