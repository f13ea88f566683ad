"""Every API import runs as a worker job (issue 15): 202 + Location, the job's status and
report at ``GET /api/jobs/{id}``, visible to its starter (and whoever may view jobs) only,
all-or-nothing in the worker, and the CLI still imports synchronously in its own process."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from assetgraph.audit.models import AuditEvent
from assetgraph.core.errors import PermissionDenied
from assetgraph.core.models import ImportJob
from assetgraph.events.models import Job
from assetgraph.framework.importing.importer import Importer
from assetgraph.org.models import Person
from tests.importjobs import accepted, finish, run_jobs

pytestmark = pytest.mark.django_db

PEOPLE = b"""employee_number,first_name,last_name,email,status
J1,Ada,Lovelace,ada@example.com,active
J2,Alan,Turing,alan@example.com,active
"""
IMPORT = "/api/org/import/people"


def _upload(data: bytes = PEOPLE, name: str = "people.csv") -> dict[str, Any]:
    return {"file": SimpleUploadedFile(name, data)}


def test_an_import_answers_202_with_the_job_and_writes_nothing_in_the_request(
    site: dict[str, Any], api: Any
) -> None:
    client = api("Helpdesk")
    response = client.post(f"{IMPORT}?dry_run=false", _upload())
    url = accepted(response)
    assert response.json()["state"] == "queued"
    assert not Person.objects.filter(employee_number__in=["J1", "J2"]).exists()
    queued = client.get(url).json()
    assert (queued["state"], queued["report"], queued["started"]) == ("queued", None, None)
    assert queued["filename"] == "people.csv" and queued["dry_run"] is False
    assert Job.objects.filter(state="queued").count() == 1  # one task for the worker

    run_jobs()
    done = client.get(url).json()
    assert done["state"] == "succeeded"
    assert done["report"]["applied"] is True and done["report"]["counts"]["create"] == 2
    assert done["started"] is not None and done["finished"] is not None
    assert done["progress"]["phase"] == "done"
    assert Person.objects.filter(employee_number__in=["J1", "J2"]).count() == 2
    # the rows' audit events name the API token's user and carry the job's id
    events = AuditEvent.objects.filter(object_type="org.person", job_id=done["id"])
    assert events.count() == 2


def test_only_the_starter_or_whoever_may_view_jobs_sees_a_job(
    site: dict[str, Any], api: Any
) -> None:
    owner = api("Helpdesk")
    url = accepted(owner.post(IMPORT, _upload()))
    assert owner.get(url).status_code == 200
    assert api("Helpdesk").get(url).status_code == 404  # another user: it does not exist
    assert api("Admin").get(url).status_code == 200
    ops = api(permissions=[(["events.job"], ["view"], None)])
    assert ops.get(url).status_code == 200
    assert owner.get("/api/jobs/" + "0" * 32).status_code == 404


def test_a_failed_import_reports_its_rows_through_the_job(site: dict[str, Any], api: Any) -> None:
    client = api("Helpdesk")
    bad = b"employee_number,first_name,last_name\nJ1,Ada,Lovelace\nJ3,,\n"
    finished = finish(client, client.post(f"{IMPORT}?dry_run=false", _upload(bad)))
    assert finished.state == "failed" and finished.status_code == 422
    report = finished.json()
    assert report["ok"] is False and report["applied"] is False
    assert [r["row"] for r in report["rows"] if r["errors"]] == [3]
    assert "nothing was written" in finished.job["error"]
    assert not Person.objects.filter(employee_number="J1").exists()  # the good row neither


def test_a_failure_while_writing_rolls_the_whole_import_back(
    site: dict[str, Any], api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows are inserted, then a check inside the same transaction fails: none stays."""

    def refuse(self: Importer, pks: Any, action: str) -> None:
        if pks:
            assert Person.objects.filter(employee_number="J1").exists()  # written...
            raise PermissionDenied("your permissions do not allow some of these people")

    monkeypatch.setattr(Importer, "verify", refuse)
    people_events = AuditEvent.objects.filter(object_type="org.person")
    before = (Person.objects.count(), people_events.count())
    client = api("Helpdesk")
    finished = finish(client, client.post(f"{IMPORT}?dry_run=false", _upload()))
    assert finished.state == "failed"
    assert "do not allow" in finished.job["error"]
    assert (Person.objects.count(), people_events.count()) == before  # ...and rolled back


def test_cheap_checks_refuse_in_the_request_and_queue_nothing(
    site: dict[str, Any], api: Any
) -> None:
    client = api("Helpdesk")
    missing = client.post(IMPORT, {})
    assert missing.status_code == 422 and "file" in missing.json()["error"]["fields"]
    wrong = client.post(IMPORT, _upload(b"%PDF-1.4", "people.pdf"))
    assert wrong.status_code == 422
    assert "unsupported file type" in wrong.json()["error"]["fields"]["file"][0]
    control = client.post(IMPORT, {**_upload(), "note": "a\x00b"})
    assert control.status_code == 422 and "note" in control.json()["error"]["fields"]
    viewer = api(permissions=[(["org.person"], ["view"], None)])
    assert viewer.post(IMPORT, _upload()).status_code == 403
    assert not ImportJob.objects.exists() and not Job.objects.exists()


def test_a_refused_feed_keeps_the_error_body_as_its_report(api: Any) -> None:
    client = api("Security")
    response = client.post(
        "/api/security/eol/import",
        {"product": "python", "file": SimpleUploadedFile("c.json", b"{")},
    )
    finished = finish(client, response)
    assert finished.state == "failed" and finished.status_code == 422
    assert finished.json()["error"]["code"] == "validation_error"
    assert "file" in finished.json()["error"]["fields"]


def test_the_cli_still_imports_in_its_own_process(site: dict[str, Any], tmp_path: Any) -> None:
    source = tmp_path / "people.csv"
    source.write_bytes(PEOPLE)
    out = io.StringIO()
    call_command("import_data", "people", str(source), "--json", stdout=out)
    assert json.loads(out.getvalue())["applied"] is True
    assert Person.objects.filter(employee_number__in=["J1", "J2"]).count() == 2
    assert not ImportJob.objects.exists() and not Job.objects.exists()  # nothing queued
