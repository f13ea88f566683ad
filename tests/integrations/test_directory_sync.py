"""Directory sync against a real OpenLDAP server: joiners, movers and leavers, the dry-run
diff, departments and managers, and the offboarding a leaver starts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command

from assetgraph.assets import services as asset_services
from assetgraph.audit.models import AuditEvent
from assetgraph.core.actor import Actor
from assetgraph.integrations import services
from assetgraph.integrations.directory import DirectoryRecord
from assetgraph.integrations.models import DirectorySyncRun, Offboarding, OffboardingState
from assetgraph.licences import services as licence_services
from assetgraph.org.choices import PersonStatusChoices
from assetgraph.org.models import Department, Person

from .slapd import Directory, employee_number

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


def person_events() -> int:
    return AuditEvent.objects.filter(object_type="org.person").count()


def test_first_sync_creates_200_people_with_departments_and_managers(
    ldap_settings: Directory,
) -> None:
    run = services.sync_directory(SYSTEM)
    assert (run.state, run.seen, run.created_count, run.errors) == ("applied", 200, 200, [])
    assert Person.objects.count() == 200
    assert person_events() == 200  # one create event each: managers are created first
    assert set(Department.objects.values_list("name", flat=True)) == {
        "Engineering",
        "Finance",
        "Sales",
        "Support",
        "Operations",
    }
    p42 = Person.objects.get(employee_number=employee_number(42))
    assert (p42.first_name, p42.last_name, p42.email) == (
        "Given42",
        "Family42",
        "user0042@example.test",
    )
    assert p42.manager is not None and p42.manager.employee_number == employee_number(4)
    assert p42.department is not None and p42.department.name == "Sales"
    ceo = Person.objects.get(employee_number=employee_number(1))
    assert ceo.manager is None and ceo.reports.count() == 10


def test_second_sync_writes_exactly_the_mover_the_leaver_and_the_joiner(
    ldap_settings: Directory, catalogue: dict[str, Any], make_asset: Callable[..., Any], lic: Any
) -> None:
    services.sync_directory(SYSTEM)
    leaver = Person.objects.get(employee_number=employee_number(150))
    laptop = make_asset(asset_tag="LAP-150")
    asset_services.check_out_asset(SYSTEM, laptop, to_person=leaver)
    office = lic.ent(lic.product("Office"), "user", 10)
    seat = licence_services.allocate_seats(SYSTEM, office, {"person": leaver})

    ldap_settings.modify(77, departmentNumber="Finance", title="Controller")  # mover
    ldap_settings.delete(150)  # leaver
    ldap_settings.add_person(201)  # joiner
    before = person_events()
    people = Person.objects.count()

    dry = services.sync_directory(SYSTEM, dry_run=True)
    assert (dry.state, dry.created_count, dry.updated_count, dry.deactivated_count) == (
        "dry_run",
        1,
        1,
        1,
    )
    assert person_events() == before  # a dry run keeps nothing but the run
    assert Person.objects.count() == people and not Offboarding.objects.exists()

    run = services.sync_directory(SYSTEM)
    assert (run.created_count, run.updated_count, run.deactivated_count) == (1, 1, 1)
    assert run.unchanged_count == 198
    assert [row["action"] for row in run.diff] == ["update", "create", "deactivate"] or sorted(
        row["action"] for row in run.diff
    ) == ["create", "deactivate", "update"]
    events = AuditEvent.objects.filter(object_type="org.person").order_by("pk")[before:]
    written = [(e.action, e.object_repr) for e in events]
    assert len(written) == 3, written
    mover = Person.objects.get(employee_number=employee_number(77))
    mover_event = (
        AuditEvent.objects.filter(object_type="org.person", object_id=str(mover.pk))
        .order_by("pk")
        .last()
    )
    assert mover_event is not None and mover_event.changed_fields == ["department", "job_title"]
    assert mover.department is not None and mover.department.name == "Finance"
    assert Person.objects.filter(employee_number=employee_number(201)).exists()

    leaver.refresh_from_db()
    assert leaver.status == PersonStatusChoices.LEFT and leaver.end_date is not None
    offboarding = Offboarding.objects.get(person=leaver)
    assert offboarding.state == OffboardingState.OPEN and offboarding.sync_run == run
    assert list(services.return_list(leaver)) == [laptop]
    assert list(services.reclaim_list(leaver)) == [seat]
    assert (offboarding.assets_at_start, offboarding.seats_at_start) == (1, 1)

    # a third sync changes nothing; the leaver is not offboarded twice
    again = services.sync_directory(SYSTEM)
    assert (again.created_count, again.updated_count, again.deactivated_count) == (0, 0, 0)
    assert Offboarding.objects.count() == 1

    # working the offboarding reuses the assets and licences services, then closes it
    services.complete_returns(SYSTEM, offboarding)
    services.reclaim_seats(SYSTEM, offboarding)
    offboarding.refresh_from_db()
    assert offboarding.state == OffboardingState.DONE
    laptop.refresh_from_db()
    assert laptop.custodian is None
    assert (
        AuditEvent.objects.filter(object_type="licences.allocation", action="reclaim").count() == 1
    )


def test_leaver_with_a_login_is_deactivated_and_a_rehire_comes_back(
    ldap_settings: Directory, make_user: Callable[..., Any]
) -> None:
    services.sync_directory(SYSTEM)
    person = Person.objects.get(employee_number=employee_number(12))
    user = make_user()
    Person.objects.filter(pk=person.pk).update(user=user)
    ldap_settings.delete(12)
    services.sync_directory(SYSTEM)
    user.refresh_from_db()
    assert not user.is_active
    ldap_settings.add_person(12)
    run = services.sync_directory(SYSTEM)
    person.refresh_from_db()
    assert run.updated_count == 1 and person.status == PersonStatusChoices.ACTIVE
    assert person.end_date is None


def test_people_entered_by_hand_are_never_touched(site: dict[str, Any]) -> None:
    records = [
        DirectoryRecord(dn="uid=a,ou=people", employee_number="X1", first_name="A", last_name="B")
    ]
    run = services.sync_directory(SYSTEM, records=records)
    assert run.created_count == 1 and run.deactivated_count == 0
    assert Person.objects.get(employee_number="E1").status == PersonStatusChoices.ACTIVE


def test_bad_entries_are_reported_by_row_and_the_rest_still_sync(db: None) -> None:
    records = [
        DirectoryRecord(dn="uid=ok,ou=p", employee_number="N1", first_name="Ok", last_name="One"),
        DirectoryRecord(dn="uid=nonum,ou=p", employee_number="", first_name="No", last_name="Num"),
        DirectoryRecord(dn="uid=dup,ou=p", employee_number="N1", first_name="Dup", last_name="Li"),
        DirectoryRecord(
            dn="uid=bad,ou=p",
            employee_number="N2",
            first_name="Bad",
            last_name="Mail",
            email="not-an-email",
        ),
        DirectoryRecord(dn="uid=off,ou=p", employee_number="N3", last_name="Off", disabled=True),
    ]
    run = services.sync_directory(SYSTEM, records=records)
    assert run.created_count == 1
    assert {(e["dn"], e["error"].split(":")[0]) for e in run.errors} == {
        ("uid=nonum,ou=p", "employee_number"),
        ("uid=dup,ou=p", "employee_number"),
        ("uid=bad,ou=p", "email"),
    }
    assert not Person.objects.filter(employee_number="N3").exists()


def test_unreachable_directory_is_a_field_error(settings: Any, db: None) -> None:
    from assetgraph.core.errors import ValidationFailed
    from assetgraph.integrations import conf

    settings.ASSETGRAPH_DIRECTORY = conf.directory({"ASSETGRAPH_LDAP_URI": "ldap://127.0.0.1:1"})
    with pytest.raises(ValidationFailed) as caught:
        services.sync_directory(SYSTEM)
    assert caught.value.fields is not None and "uri" in caught.value.fields
    assert not DirectorySyncRun.objects.exists()


def test_cli_dry_run_prints_the_diff(ldap_settings: Directory, capsys: Any) -> None:
    call_command("directory", "sync", "--dry-run")
    out = capsys.readouterr().out
    assert "Dry run: seen 200, joiners 200" in out
    assert Person.objects.count() == 0
    call_command("directory", "sync")
    assert Person.objects.count() == 200


def test_api_runs_a_sync_and_lists_offboardings(
    ldap_settings: Directory, make_user: Callable[..., Any]
) -> None:
    from tests.conftest import bearer

    client = bearer(make_user("Admin"))
    response = client.post(
        "/api/integrations/directory/sync", {"dry_run": False}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["created_count"] == 200
    ldap_settings.delete(9)
    response = client.post("/api/integrations/directory/sync", {}, content_type="application/json")
    assert response.json()["deactivated_count"] == 1, response.json()["errors"]
    listing = client.get("/api/integrations/offboardings")
    assert listing.status_code == 200
    assert [o["employee_number"] for o in listing.json()["results"]] == [employee_number(9)]
    runs = client.get("/api/integrations/directory/runs", {"limit": 1}).json()
    assert len(runs["results"]) == 1 and runs["next"]  # two runs: paged, not cut
    nobody = bearer(make_user())
    assert (
        nobody.post(
            "/api/integrations/directory/sync", {}, content_type="application/json"
        ).status_code
        == 403
    )
    assert (
        nobody.get(
            f"/api/integrations/offboardings/{listing.json()['results'][0]['id']}"
        ).status_code
        == 404
    )


def test_the_worker_schedule_runs_the_sync(ldap_settings: Directory) -> None:
    from assetgraph.events.models import Schedule
    from assetgraph.events.queue import TASKS
    from assetgraph.events.schedules import sync_schedules

    sync_schedules()
    schedule = Schedule.objects.get(name="Directory sync")
    assert (schedule.task, schedule.interval_seconds) == ("integrations.directory_sync", 3600)
    result = TASKS["integrations.directory_sync"]()
    assert result["created"] == 200
    assert DirectorySyncRun.objects.get().trigger == "schedule"


def test_the_scheduled_task_skips_without_a_directory(settings: Any, db: None) -> None:
    from assetgraph.events.queue import TASKS
    from assetgraph.integrations import conf

    settings.ASSETGRAPH_DIRECTORY = conf.directory({})
    assert "skipped" in TASKS["integrations.directory_sync"]()
    assert not DirectorySyncRun.objects.exists()
