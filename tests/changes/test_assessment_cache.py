"""The assessment's caches and its cap on pairwise "together" runs: a cached answer never
outlives a write (new audit revision), and the cap picks the conflicts documented in
``TOGETHER_RULE``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from assetgraph.changes import assessment, services
from assetgraph.changes.assessment import assess_change
from assetgraph.cmdb import services as cmdb
from assetgraph.core.actor import Actor
from assetgraph.impact import objective
from assetgraph.impact.estate import estate_graph

from .conftest import cls, rtype
from .test_changes import T0, farm, hours, new_change

__all__ = ["farm"]

pytestmark = pytest.mark.django_db


def test_a_repeat_is_served_from_the_cache_and_a_write_recomputes_it(
    farm: dict[str, Any], system: Actor
) -> None:
    mine = new_change(system, "Patch hv-r01", [farm["hvr1"]])
    other = new_change(system, "Patch hv-r02", [farm["hvr2"]], start=T0 + hours(1))
    first = assess_change(mine)
    assert {ci.name for ci in first.conflicts[0].together_down} == {"Farm R", "Payroll"}
    assert assess_change(mine).risk is first.risk  # same revision: the cached facts

    # Farm R now needs only one host up: the two patches together no longer take it down
    cmdb.update_ci(system, farm["farm_r"], {"redundancy_value": 1})
    after = assess_change(mine)
    assert after.risk is not first.risk
    assert [c.change.pk for c in after.conflicts] == [other.pk]
    assert after.conflicts[0].together_down == []
    assert [(r.members, r.members_down, r.tolerates) for r in after.redundancy_lost] == [(3, 1, 2)]

    # the other change moves out of the window: no conflict any more
    services.update_change(
        system, other, {"planned_start": T0 + hours(5), "planned_end": T0 + hours(6)}
    )
    assert assess_change(mine).conflicts == []


def test_the_cap_runs_the_conflicts_that_share_the_most_and_says_so(
    farm: dict[str, Any], system: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = new_change(system, "Patch hv-r01", [farm["hvr1"]])
    shares_payroll = new_change(system, "Patch hv-r02", [farm["hvr2"]], start=T0)
    # shares a CI (hv-r01, not taken down) and Payroll: it shares the most
    shares_more = services.create_change(
        system,
        {
            "title": "Patch hv-r03, check hv-r01",
            "planned_start": T0 + hours(1),
            "planned_end": T0 + hours(2),
            "cis": [
                {"ci_id": farm["hvr1"].pk, "takes_down": False},
                {"ci_id": farm["hvr3"].pk, "takes_down": True},
            ],
        },
    )
    monkeypatch.setattr(assessment, "MAX_TOGETHER_RUNS", 1)
    a = assess_change(mine)
    by_pk = {c.change.pk: c for c in a.conflicts}
    assert list(by_pk) == [shares_payroll.pk, shares_more.pk]  # window order, as before
    assert by_pk[shares_more.pk].together_checked
    assert {ci.name for ci in by_pk[shares_more.pk].together_down} == {"Farm R", "Payroll"}
    assert not by_pk[shares_payroll.pk].together_checked
    assert by_pk[shares_payroll.pk].together_down == []
    assert any("not computed for 1 conflicting change" in note for note in a.notes)
    # both conflicts still count towards the score
    assert {f.name: f.points for f in a.risk.factors}["conflicts"] == 10

    monkeypatch.setattr(assessment, "MAX_TOGETHER_RUNS", 8)
    cmdb.update_ci(system, farm["farm_r"], {"description": "new revision"})
    a = assess_change(mine)
    assert all(c.together_checked for c in a.conflicts)
    assert not any("not computed" in note for note in a.notes)
    assert {ci.name for ci in a.conflicts[0].together_down} == {"Farm R", "Payroll"}


@pytest.mark.parametrize("lookup", [0, 20_000])
def test_redundancy_lost_is_the_same_whichever_side_the_members_are_read_from(
    farm: dict[str, Any], system: Actor, monkeypatch: pytest.MonkeyPatch, lookup: int
) -> None:
    # 0: every membership of the degraded groups; else the memberships of the DOWN CIs
    monkeypatch.setattr(objective, "MAX_DOWN_LOOKUP", lookup)
    a = assess_change(new_change(system, "Patch hv-r01", [farm["hvr1"]]))
    assert [(r.ci.name, r.members, r.members_down, r.tolerates) for r in a.redundancy_lost] == [
        ("Farm R", 3, 1, 1)
    ]


@pytest.mark.parametrize("min_up", [1, 2, 3])
def test_skipping_the_together_run_never_changes_the_answer(
    farm: dict[str, Any], system: Actor, min_up: int
) -> None:
    """Farm R (3 hosts) needing 1, 2 or 3 up: the screen's answer agrees with a full run."""
    from assetgraph.cmdb.context import service_class_ids
    from assetgraph.impact.estate import estate_graph

    cmdb.update_ci(system, farm["farm_r"], {"redundancy_value": min_up})
    eg = estate_graph()
    kinds = objective.node_kinds(eg, service_class_ids())
    a = objective.impact_of([farm["hvr1"].pk], eg)
    b = objective.impact_of([farm["hvr2"].pk], eg)
    both = objective.impact_of([farm["hvr1"].pk, farm["hvr2"].pk], eg)
    extra = set(np.setdiff1d(both.down(), np.union1d(a.down(), b.down())).tolist())
    names = {farm[k].pk for k in ("farm_r", "payroll")}
    assert set(objective.down_only_together(a, b, eg, kinds).tolist()) == extra & names
    assert objective.may_take_down_together(a, b, kinds, eg) == bool(extra)
    assert bool(extra) == (min_up == 2)  # 1: survives both; 3: each alone takes it down


def test_engine_answers_outlive_a_write_that_leaves_the_graph_but_not_one_that_changes_it(
    farm: dict[str, Any], system: Actor
) -> None:
    """Single-change impacts are cached by the graph (``objective.graph_key``), not by the
    audit revision: a change record's edit keeps them, a new relationship does not."""
    mine = new_change(system, "Patch hv-r01", [farm["hvr1"]])
    other = new_change(system, "Patch hv-r02", [farm["hvr2"]], start=T0 + hours(1))
    eg = estate_graph()
    first = objective.cached_impact_of([farm["hvr1"].pk], eg)
    before = assess_change(mine)

    # a write that touches no CI or relationship: a new audit revision, the same graph
    services.update_change(system, other, {"title": "Patch hv-r02 (firmware)"})
    eg_after_edit = estate_graph()
    assert objective.revision_key(eg_after_edit) != objective.revision_key(eg)
    assert objective.graph_key(eg_after_edit) == objective.graph_key(eg)
    assert objective.cached_impact_of([farm["hvr1"].pk], eg_after_edit) is first
    again = assess_change(mine)
    assert again.risk is not before.risk  # the assessment itself is recomputed ...
    assert [(h.ci.pk, h.state) for h in again.services] == [
        (h.ci.pk, h.state) for h in before.services
    ]  # ... to the same answer
    assert {ci.name for ci in again.conflicts[0].together_down} == {"Farm R", "Payroll"}

    # a new relationship: the graph changes and the impact is computed on it
    app = cmdb.create_ci(system, {"name": "Billing app", "ci_class": cls("Application")})
    cmdb.add_relationship(system, {"source": app, "target": farm["hvr1"], "type": rtype("runs on")})
    eg_after_link = estate_graph()
    assert objective.graph_key(eg_after_link) != objective.graph_key(eg)
    after = objective.cached_impact_of([farm["hvr1"].pk], eg_after_link)
    assert after is not first
    assert app.pk in after.affected.tolist() and app.pk not in first.affected.tolist()
    fresh = objective.impact_of([farm["hvr1"].pk], eg_after_link)
    assert np.array_equal(np.sort(after.affected), np.sort(fresh.affected))
