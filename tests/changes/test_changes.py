"""Change records: services (audit, lifecycle table, 409s naming the rule) and the assessment
(impact, redundancy lost, conflicts, blackouts, recent failures, risk formula)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from assetgraph.audit.models import AuditEvent
from assetgraph.changes import services
from assetgraph.changes.assessment import assess_change, band_of, risk_score
from assetgraph.changes.lifecycle import TRANSITIONS, transitions_markdown
from assetgraph.changes.models import ChangeCI, ChangeRecord
from assetgraph.cmdb import services as cmdb
from assetgraph.core.actor import Actor
from assetgraph.core.errors import Conflict, PermissionDenied, ValidationFailed

from .conftest import cls, rtype

pytestmark = pytest.mark.django_db

T0 = timezone.make_aware(dt.datetime(2030, 3, 5, 20, 0))


def hours(n: float) -> dt.timedelta:
    return dt.timedelta(hours=n)


@pytest.fixture
def farm(estate: dict[str, Any], system: Actor) -> dict[str, Any]:
    """On top of the CMDB estate: Farm R (3 hosts, at least 2 up) carrying the Payroll
    service (tier 2) through a VM hosted on the farm."""
    made = dict(estate)

    def ci(key: str, klass: str, name: str, **values: Any) -> None:
        made[key] = cmdb.create_ci(system, {"name": name, "ci_class": cls(klass), **values})

    def rel(source: str, kind: str, target: str) -> None:
        cmdb.add_relationship(
            system, {"source": made[source], "target": made[target], "type": rtype(kind)}
        )

    ci("farm_r", "Cluster/Farm", "Farm R", redundancy_mode="count", redundancy_value=2)
    for n in (1, 2, 3):
        ci(f"hvr{n}", "Hypervisor", f"hv-r0{n}", attributes={"serial_number": f"SN-R{n}"})
        rel(f"hvr{n}", "member of", "farm_r")
    ci("vm2", "Virtual Machine", "pay-vm-01", attributes={"hostname": "pay-vm-01"})
    ci("app2", "Application", "Payroll application")
    ci("payroll", "Business Service", "Payroll", criticality=2)
    rel("vm2", "hosted on", "farm_r")
    rel("app2", "runs on", "vm2")
    rel("payroll", "depends on", "app2")
    return made


def new_change(actor: Actor, title: str, cis: list[Any], start: dt.datetime = T0, **kw: Any) -> Any:
    values = {
        "title": title,
        "planned_start": start,
        "planned_end": start + hours(3),
        "cis": [{"ci_id": c.pk, "takes_down": True} for c in cis],
        **kw,
    }
    return services.create_change(actor, values)


# ------------------------------------------------------------------------------ services
def test_create_records_the_change_with_its_cis_in_one_event(
    farm: dict[str, Any], system: Actor
) -> None:
    before = AuditEvent.objects.count()
    change = new_change(system, "Patch hv-r01", [farm["hvr1"]])
    assert change.state == "draft"
    assert list(ChangeCI.objects.filter(change=change).values_list("ci_id", "takes_down")) == [
        (farm["hvr1"].pk, True)
    ]
    event = AuditEvent.objects.get(object_type="changes.changerecord", object_id=str(change.pk))
    assert AuditEvent.objects.count() == before + 1
    assert event.action == "create"
    assert event.after["cis"] == [[farm["hvr1"].pk, True]]


def test_bad_window_and_unknown_ci_are_field_errors_and_nothing_is_written(
    farm: dict[str, Any], system: Actor
) -> None:
    count = ChangeRecord.objects.count()
    with pytest.raises(ValidationFailed) as bad:
        services.create_change(
            system, {"title": "x", "planned_start": T0, "planned_end": T0 - hours(1)}
        )
    assert "planned_end" in bad.value.fields
    with pytest.raises(ValidationFailed) as unknown:
        services.create_change(system, {"title": "x", "cis": [{"ci_id": 999_999}]})
    assert "cis" in unknown.value.fields and "999999" in unknown.value.message
    with pytest.raises(ValidationFailed) as twice:
        services.create_change(system, {"title": "x", "cis": [farm["vm"].pk, farm["vm"].pk]})
    assert "listed twice" in twice.value.message
    with pytest.raises(ValidationFailed) as state:
        services.create_change(system, {"title": "x", "state": "completed"})
    assert "state" in state.value.fields
    assert ChangeRecord.objects.count() == count


def test_lifecycle_follows_the_table_and_stamps_times(farm: dict[str, Any], system: Actor) -> None:
    change = new_change(system, "Patch", [farm["hvr1"]])
    for name, state in [("schedule", "scheduled"), ("start", "in_progress")]:
        change = services.transition_change(system, change, name)
        assert change.state == state
    assert change.actual_start is not None
    with pytest.raises(ValidationFailed) as missing:
        services.transition_change(system, change, "fail")
    assert "reason" in missing.value.fields
    change = services.transition_change(system, change, "fail", reason="rollback")
    assert (change.state, change.outcome) == ("failed", "rollback")
    assert change.actual_end is not None
    actions = list(
        AuditEvent.objects.filter(object_id=str(change.pk), object_type="changes.changerecord")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "transition:schedule", "transition:start", "transition:fail"]


def test_impossible_transition_is_a_409_naming_the_rule(
    farm: dict[str, Any], system: Actor
) -> None:
    change = new_change(system, "Patch", [farm["hvr1"]])
    events = AuditEvent.objects.count()
    with pytest.raises(Conflict) as refused:
        services.transition_change(system, change, "complete")
    assert refused.value.status == 409
    assert "rule 'complete'" in refused.value.message
    assert "in progress" in refused.value.message
    assert ChangeRecord.objects.get(pk=change.pk).state == "draft"
    assert AuditEvent.objects.count() == events
    with pytest.raises(ValidationFailed):
        services.transition_change(system, change, "teleport")


def test_schedule_needs_a_window_and_cis(farm: dict[str, Any], system: Actor) -> None:
    bare = services.create_change(system, {"title": "Someday"})
    with pytest.raises(ValidationFailed) as refused:
        services.transition_change(system, bare, "schedule")
    assert "planned_start" in refused.value.fields


def test_only_emergency_changes_start_from_draft(farm: dict[str, Any], system: Actor) -> None:
    normal = new_change(system, "Normal", [farm["hvr1"]])
    with pytest.raises(Conflict):
        services.transition_change(system, normal, "start")
    urgent = new_change(system, "Urgent", [farm["hvr2"]], change_type="emergency")
    assert services.transition_change(system, urgent, "start").state == "in_progress"


def test_edit_and_delete_are_limited_by_state(farm: dict[str, Any], system: Actor) -> None:
    change = new_change(system, "Patch", [farm["hvr1"]])
    change = services.update_change(
        system, change, {"title": "Patch two", "cis": [farm["hvr1"].pk, farm["hvr2"].pk]}
    )
    assert change.items.count() == 2
    event = AuditEvent.objects.filter(object_id=str(change.pk), action="update").get()
    assert event.before["cis"] == [[farm["hvr1"].pk, True]]
    assert {"title", "cis"} <= set(event.changed_fields)
    for name in ("schedule", "start"):
        services.transition_change(system, change, name)
    with pytest.raises(Conflict) as refused:
        services.update_change(system, change, {"title": "late"})
    assert "rule 'edit'" in refused.value.message
    with pytest.raises(Conflict) as no_delete:
        services.delete_change(system, change)
    assert "rule 'delete'" in no_delete.value.message
    draft = new_change(system, "Mistake", [farm["hvr3"]])
    services.delete_change(system, draft)
    assert not ChangeRecord.objects.filter(pk=draft.pk).exists()
    assert AuditEvent.objects.filter(object_id=str(draft.pk), action="delete").exists()


def test_a_user_may_only_name_cis_they_can_see(
    farm: dict[str, Any], make_user: Any, system: Actor
) -> None:
    user = make_user(
        permissions=[
            (["changes.changerecord"], ["view", "add"], None),
            (["cmdb.ci"], ["view"], {"name": "hv-r01"}),
        ]
    )
    actor = Actor(user=user)
    with pytest.raises(ValidationFailed) as hidden:
        new_change(actor, "x", [farm["hvr2"]])
    assert "not found" in hidden.value.message
    assert new_change(actor, "ok", [farm["hvr1"]]).pk
    reader = Actor(user=make_user("Read-only"))
    with pytest.raises(PermissionDenied):
        new_change(reader, "no", [farm["hvr1"]])


def test_transition_table_is_documented() -> None:
    table = transitions_markdown()
    for name in TRANSITIONS:
        assert f"`{name}`" in table
    from pathlib import Path

    docs = Path(__file__).resolve().parents[2] / "docs" / "changes.md"
    assert table in docs.read_text(), "docs/changes.md: paste transitions_markdown()"


# ------------------------------------------------------------------------------ risk formula
def test_risk_formula_terms_and_bands() -> None:
    quiet = risk_score(
        service_tiers=[],
        affected=0,
        redundancy_lost=0,
        recent_failures=0,
        change_type="standard",
        conflicts=0,
        in_blackout=False,
    )
    assert (quiet.score, quiet.band) == (0, "low")
    loud = risk_score(
        service_tiers=[(3, True), (1, False)],
        affected=99,
        redundancy_lost=4,
        recent_failures=1,
        change_type="emergency",
        conflicts=3,
        in_blackout=True,
    )
    points = {f.name: f.points for f in loud.factors}
    assert points == {
        "criticality": 15.0,  # tier 1 degraded = 30 / 2 beats tier 3 down = 10
        "size": 10.0,  # 5 x log10(100)
        "redundancy lost": 15,  # capped
        "recent failures": 10,
        "change type": 15,
        "conflicts": 10,  # capped
        "blackout": 10,
    }
    assert (loud.score, loud.band) == (85, "critical")
    assert [band_of(s) for s in (24, 25, 49, 50, 74, 75)] == [
        "low",
        "medium",
        "medium",
        "high",
        "high",
        "critical",
    ]


# ------------------------------------------------------------------------------ assessment
def test_assessment_of_a_farm_host_reports_redundancy_lost_not_an_outage(
    farm: dict[str, Any], system: Actor
) -> None:
    change = new_change(system, "Patch hv-r01", [farm["hvr1"]], change_type="standard")
    a = assess_change(change)
    assert [r.ci.name for r in a.redundancy_lost] == ["Farm R"]
    loss = a.redundancy_lost[0]
    assert (loss.members, loss.members_down, loss.tolerates) == (3, 1, 1)
    assert [(s.ci.name, s.state) for s in a.services] == [("Payroll", "degraded")]
    factors = {f.name: f.points for f in a.risk.factors}
    assert factors["criticality"] == 10.0  # tier 2 degraded
    assert factors["redundancy lost"] == 5


def test_two_hosts_down_take_the_service_down(farm: dict[str, Any], system: Actor) -> None:
    change = new_change(system, "Rebuild", [farm["hvr1"], farm["hvr2"]])
    a = assess_change(change)
    assert [(s.ci.name, s.state) for s in a.services_down] == [("Payroll", "down")]
    assert a.redundancy_lost == []  # the farm is down, not merely degraded


def test_conflicts_need_overlapping_windows_and_overlapping_impact(
    farm: dict[str, Any], system: Actor
) -> None:
    mine = new_change(system, "Patch hv-r01", [farm["hvr1"]])
    overlapping = new_change(system, "Patch hv-r02", [farm["hvr2"]], start=T0 + hours(1))
    later = new_change(system, "Patch hv-r03 later", [farm["hvr3"]], start=T0 + hours(5))
    unrelated = new_change(system, "Finance VM", [farm["hv"]], start=T0 + hours(1))
    cancelled = new_change(system, "Cancelled", [farm["hvr1"]], start=T0)
    services.transition_change(system, cancelled, "cancel", reason="not needed")
    a = assess_change(mine)
    assert [c.change.pk for c in a.conflicts] == [overlapping.pk]
    conflict = a.conflicts[0]
    assert [s.name for s in conflict.shared_services] == ["Payroll"]
    assert conflict.shared_cis == []
    # each alone only degrades Farm R; together they take it and Payroll down
    assert {ci.name for ci in conflict.together_down} == {"Farm R", "Payroll"}
    assert later.pk not in [c.change.pk for c in a.conflicts]
    assert unrelated.pk not in [c.change.pk for c in a.conflicts]
    assert {f.name: f.points for f in a.risk.factors}["conflicts"] == 5


def test_a_shared_ci_is_a_conflict_even_without_outage(farm: dict[str, Any], system: Actor) -> None:
    mine = services.create_change(
        system,
        {
            "title": "Config tweak",
            "planned_start": T0,
            "planned_end": T0 + hours(1),
            "cis": [{"ci_id": farm["vm"].pk, "takes_down": False}],
        },
    )
    other = new_change(system, "Reboot", [farm["vm"]], start=T0)
    a = assess_change(mine)
    assert [c.change.pk for c in a.conflicts] == [other.pk]
    assert [ci.name for ci in a.conflicts[0].shared_cis] == ["fin-vm-01"]
    assert a.services == [] and a.down_cis == []


def test_blackouts_apply_when_global_or_scoped_to_what_the_change_touches(
    farm: dict[str, Any], system: Actor
) -> None:
    change = new_change(system, "Patch hv-r01", [farm["hvr1"]])
    scoped_elsewhere = services.create_blackout(
        system,
        {"name": "Finance close", "start": T0, "end": T0 + hours(2), "scope": [farm["service"]]},
    )
    assert assess_change(change).blackouts == []
    payroll = services.create_blackout(
        system,
        {
            "name": "Payroll run",
            "start": T0 - hours(1),
            "end": T0 + hours(1),
            "scope": [farm["payroll"]],
        },
    )
    global_later = services.create_blackout(
        system, {"name": "Later", "start": T0 + hours(4), "end": T0 + hours(6)}
    )
    a = assess_change(change)
    assert [b.pk for b in a.blackouts] == [payroll.pk]
    assert {f.name: f.points for f in a.risk.factors}["blackout"] == 10
    assert scoped_elsewhere.pk and global_later.pk
    event = AuditEvent.objects.get(object_type="changes.blackoutwindow", object_id=str(payroll.pk))
    assert event.after["scope"] == [farm["payroll"].pk]


def test_recent_failures_on_the_same_cis_raise_the_risk(
    farm: dict[str, Any], system: Actor
) -> None:
    old = new_change(system, "Earlier attempt", [farm["hvr1"]], start=T0 - dt.timedelta(days=20))
    for name in ("schedule", "start"):
        services.transition_change(system, old, name)
    services.transition_change(system, old, "fail", reason="did not boot")
    ancient = new_change(system, "Long ago", [farm["hvr1"]], start=T0 - dt.timedelta(days=400))
    for name in ("schedule", "start"):
        services.transition_change(system, ancient, name)
    services.transition_change(system, ancient, "fail", reason="x")
    ChangeRecord.objects.filter(pk=ancient.pk).update(actual_end=T0 - dt.timedelta(days=399))
    change = new_change(system, "Retry", [farm["hvr1"]])
    a = assess_change(change)
    assert [f.pk for f in a.recent_failures] == [old.pk]
    assert {f.name: f.points for f in a.risk.factors}["recent failures"] == 10


def test_lists_name_only_what_the_user_may_see_but_the_score_is_the_same(
    farm: dict[str, Any], make_user: Any, system: Actor
) -> None:
    change = new_change(system, "Rebuild", [farm["hvr1"], farm["hvr2"]])
    new_change(system, "Other", [farm["hvr3"]], start=T0)
    full = assess_change(change)
    user = make_user(
        permissions=[
            (["changes.changerecord"], ["view"], {"id": change.pk}),
            (["cmdb.ci"], ["view"], {"ci_class__name": "Hypervisor"}),
        ]
    )
    narrow = assess_change(change, user)
    assert narrow.risk == full.risk
    assert full.services and narrow.services == []
    assert full.conflicts and narrow.conflicts == []
    assert {c.name for c in narrow.down_cis} == {"hv-r01", "hv-r02"}


def test_redundancy_points_only_when_no_spare_capacity_is_left(
    farm: dict[str, Any], system: Actor
) -> None:
    """The documented rule: every degraded group is listed; 5 points only for a group left with
    no spare capacity (members down = failures tolerated)."""
    cmdb.update_ci(system, farm["farm_r"], {"redundancy_value": 1})  # 3 hosts, 1 up: tolerates 2
    change = new_change(system, "Patch hv-r01", [farm["hvr1"]], change_type="standard")
    a = assess_change(change)
    loss = a.redundancy_lost[0]
    assert (loss.ci.name, loss.members, loss.members_down, loss.tolerates) == ("Farm R", 3, 1, 2)
    factors = {f.name: f.points for f in a.risk.factors}
    assert factors["redundancy lost"] == 0
    both = new_change(system, "Patch two", [farm["hvr1"], farm["hvr2"]], change_type="standard")
    factors = {f.name: f.points for f in assess_change(both).risk.factors}
    assert factors["redundancy lost"] == 5  # two down of three, tolerating two: no spare left


def test_assessment_lists_carry_each_cis_criticality(
    farm: dict[str, Any], system: Actor, api: Any
) -> None:
    """Services, redundancy groups and shared services all show the CI's tier (never null)."""
    cmdb.update_ci(system, farm["farm_r"], {"criticality": 2})
    change = new_change(system, "Patch hv-r01", [farm["hvr1"]], change_type="standard")
    body = api("IT Operations (NOC)").get(f"/api/impact/changes/{change.pk}/assess").json()
    assert [r["criticality"] for r in body["redundancy_lost"]] == [2]
    listed = body["services_down"] + body["services_degraded"] + body["down_cis"]
    assert listed and all(isinstance(item["criticality"], int) for item in listed)
    assert body["change"]["display"].startswith("CHG")  # a name, never a stringified dict
