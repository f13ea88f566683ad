"""People and location imports: dry run, upsert, all-or-nothing, row errors, all surfaces."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from assetgraph.audit.models import AuditEvent
from assetgraph.core.actor import Actor
from assetgraph.org.importers import LocationImporter, PersonImporter
from assetgraph.org.models import Location, Person
from tests.importjobs import finish_page, post_import

pytestmark = pytest.mark.django_db

PEOPLE = """employee_number,first_name,last_name,email,department,location,manager,status,start_date
E1,Minh,Nguyen,minh.new@example.com,FIN,EMEA / London / HQ,,active,2020-01-01
E10,Zoe,Park,zoe@example.com,IT,EMEA / Berlin,E11,active,2024-02-01
E11,Yan,Li,yan@example.com,IT,EMEA / Berlin,E1,active,2023-05-05
"""


def _run(
    importer: type, text: str, dry_run: bool, name: str = "file.csv", actor: Actor | None = None
) -> Any:
    return importer(actor or Actor.system("test")).run(
        io.BytesIO(text.encode()), name, dry_run=dry_run
    )


def test_dry_run_reports_creates_updates_and_changes_without_writing(site: dict[str, Any]) -> None:
    people, events = Person.objects.count(), AuditEvent.objects.count()
    report = _run(PersonImporter, PEOPLE, dry_run=True)
    assert report.ok and not report.applied
    assert report.counts() == {"create": 2, "update": 1, "unchanged": 0, "error": 0}
    update = next(r for r in report.rows if r.key == "E1")
    assert update.changes == {
        "email": ["minh@example.com", "minh.new@example.com"],
        "start_date": [None, "2020-01-01"],
    }
    assert (Person.objects.count(), AuditEvent.objects.count()) == (people, events)


def test_apply_upserts_resolves_in_file_managers_and_audits_in_bulk(site: dict[str, Any]) -> None:
    report = _run(PersonImporter, PEOPLE, dry_run=False)
    assert report.applied
    zoe, yan = Person.objects.get(employee_number="E10"), Person.objects.get(employee_number="E11")
    assert zoe.manager == yan and yan.manager == site["minh"]
    assert zoe.location == site["berlin"] and zoe.department == site["it"]
    assert Person.objects.get(employee_number="E1").email == "minh.new@example.com"
    events = AuditEvent.objects.filter(job_id=report.job_id)
    assert events.count() == 3 and set(events.values_list("action", flat=True)) == {
        "create",
        "update",
    }
    assert set(events.values_list("source", flat=True)) == {"import"}
    again = _run(PersonImporter, PEOPLE, dry_run=True)
    assert again.counts()["unchanged"] == 3


def test_one_bad_row_means_nothing_is_written_and_errors_name_row_and_column(
    site: dict[str, Any],
) -> None:
    bad = (
        PEOPLE
        + "E12,Bad,Row,not-an-email,Nowhere,,E999,sleeping,31/12/2024\nE10,Dup,Licate,,,,,,\n"
    )
    people, events = Person.objects.count(), AuditEvent.objects.count()
    report = _run(PersonImporter, bad, dry_run=False)
    assert not report.ok and not report.applied
    errors = {r.number: r.errors for r in report.rows if r.errors}
    assert errors[5] == ["department: department 'Nowhere' not found"]
    assert errors[6] == ["employee_number: 'E10' already appears on row 3"]
    assert (Person.objects.count(), AuditEvent.objects.count()) == (people, events)


def test_cell_validation_errors(site: dict[str, Any]) -> None:
    text = (
        "employee_number,first_name,last_name,email,status,start_date\n"
        "E20,A,B,not-an-email,active,2024-01-01\nE21,C,D,,sleeping,\nE22,E,F,,,31/12/2024\n"
    )
    report = _run(PersonImporter, text, dry_run=True)
    errors = {r.number: r.errors for r in report.rows}
    assert errors[2] == ["email: Enter a valid email address."]
    assert errors[3][0].startswith("status: 'sleeping' is not one of")
    assert errors[4] == ["start_date: '31/12/2024' is not a date (use YYYY-MM-DD)"]


def test_file_level_errors(site: dict[str, Any]) -> None:
    assert _run(PersonImporter, "first_name,last_name\nA,B\n", True).file_errors == [
        "missing column(s): employee_number"
    ]
    assert (
        "unknown column(s): salary"
        in _run(PersonImporter, "employee_number,first_name,last_name,salary\n", True).file_errors[
            0
        ]
    )
    assert (
        "unsupported file type" in _run(PersonImporter, "x", True, name="people.pdf").file_errors[0]
    )
    assert "empty" in _run(PersonImporter, "", True).file_errors[0]


def test_locations_import_creates_parents_before_children(site: dict[str, Any]) -> None:
    text = (
        "path,kind,city,country\nAPAC / Singapore / Asia Square,building,,\nAPAC,region,,\n"
        "APAC / Singapore,site,Singapore,sg\nEMEA / London,site,London,GB\n"
    )
    report = _run(LocationImporter, text, dry_run=False)
    assert report.applied, report.as_dict()
    assert report.counts() == {"create": 3, "update": 1, "unchanged": 0, "error": 0}
    building = Location.objects.get(path="APAC / Singapore / Asia Square")
    assert building.parent.path == "APAC / Singapore" and building.parent.country == "SG"  # type: ignore[union-attr]
    orphan = _run(LocationImporter, "path,kind\nNowhere / Room 1,room\n", dry_run=True)
    assert orphan.rows[0].errors == ["path: parent 'Nowhere' does not exist and is not in the file"]


def test_xlsx_import(site: dict[str, Any]) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Employee Number", "First Name", "Last Name", "Start Date"])
    sheet.append(["E30", "Xia", "Wu", None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    report = PersonImporter(Actor.system()).run(buffer, "people.xlsx", dry_run=False)
    assert report.applied and Person.objects.get(employee_number="E30").first_name == "Xia"


def test_import_respects_the_importers_permissions(site: dict[str, Any], make_user: Any) -> None:
    from assetgraph.core.errors import PermissionDenied

    reader = Actor(user=make_user("Read-only"))
    with pytest.raises(PermissionDenied):
        _run(PersonImporter, PEOPLE, dry_run=True, actor=reader)
    limited = Actor(
        user=make_user(
            permissions=[
                (["org.person"], ["view", "change"], {"department__code": "IT"}),
                (["org.department", "org.location"], ["view"], None),
            ]
        )
    )
    report = _run(PersonImporter, PEOPLE, dry_run=True, actor=limited)
    assert {r.key: r.errors for r in report.rows if r.errors} == {
        "E1": ["employee_number: you may not change 'E1'"],
        "E10": ["employee_number: you may not create people"],
        "E11": [
            "manager: manager 'E1' not found"
        ],  # E1 is outside the user's constraint: invisible
    }


def test_api_import_endpoint(site: dict[str, Any], api: Any) -> None:
    client = api("Helpdesk")
    dry = post_import(
        client, "/api/org/import/people", {"file": SimpleUploadedFile("p.csv", PEOPLE.encode())}
    )
    assert (
        dry.status_code == 200
        and dry.json()["counts"]["create"] == 2
        and not Person.objects.filter(employee_number="E10").exists()
    )
    applied = post_import(
        client,
        "/api/org/import/people?dry_run=false",
        {"file": SimpleUploadedFile("p.csv", PEOPLE.encode())},
    )
    assert applied.status_code == 200 and applied.json()["applied"] is True
    bad = post_import(
        client,
        "/api/org/import/people?dry_run=false",
        {"file": SimpleUploadedFile("p.csv", b"employee_number,first_name,last_name\nE40,,\n")},
    )
    assert bad.status_code == 422 and bad.json()["rows"][0]["errors"]
    assert (
        client.post(
            "/api/org/import/spaceships", {"file": SimpleUploadedFile("p.csv", b"x")}
        ).status_code
        == 404
    )


def test_ui_import_preview_then_apply(site: dict[str, Any], browser: Any) -> None:
    client = browser("Helpdesk")
    preview = finish_page(
        client,
        client.post("/org/import/people/", {"file": SimpleUploadedFile("p.csv", PEOPLE.encode())}),
    )
    assert b"2 to create" in preview.content
    upload_id = preview.context["upload_id"]
    assert not Person.objects.filter(employee_number="E10").exists()
    applied = finish_page(client, client.post("/org/import/people/", {"upload_id": upload_id}))
    assert b"2 to create" in applied.content or b"Imported" in applied.content
    assert Person.objects.filter(employee_number="E10").exists()
    other = browser("Helpdesk")
    assert other.post("/org/import/people/", {"upload_id": upload_id}).status_code == 404


def test_cli_import_and_export_round_trip(site: dict[str, Any], tmp_path: Any) -> None:
    source = tmp_path / "people.csv"
    source.write_text(PEOPLE)
    call_command("import_data", "people", str(source), "--dry-run", verbosity=0)
    assert not Person.objects.filter(employee_number="E10").exists()
    out = io.StringIO()
    call_command("import_data", "people", str(source), "--json", stdout=out)
    assert json.loads(out.getvalue())["applied"] is True
    bad = tmp_path / "bad.csv"
    bad.write_text("employee_number,first_name,last_name\nE50,,\n")
    with pytest.raises(CommandError) as failure:
        call_command("import_data", "people", str(bad), verbosity=0)
    assert failure.value.returncode == 1
    exported = tmp_path / "out.csv"
    call_command("export_data", "people", "-o", str(exported))
    text = exported.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("employee_number,first_name,last_name")
    report = _run(PersonImporter, text, dry_run=True)
    assert report.ok and report.counts()["unchanged"] == Person.objects.count()
