"""Large imports run as background jobs: job records, progress, the job page, ownership."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.test import Client

from assetgraph.audit.models import AuditEvent
from assetgraph.core.models import ImportJob
from assetgraph.events.models import Job
from assetgraph.events.queue import claim_next, run_job
from assetgraph.events.worker import Worker
from assetgraph.framework import jobs
from assetgraph.org.models import Person
from tests.importjobs import finish_page

URL = "/org/import/people/"


def _people(count: int, start: int = 1, bad_rows: tuple[int, ...] = ()) -> bytes:
    """A people CSV of ``count`` rows; the 1-based rows in ``bad_rows`` lack a last name."""
    lines = ["employee_number,first_name,last_name,email"]
    for i in range(start, start + count):
        last = "" if (i - start + 1) in bad_rows else f"Person{i}"
        lines.append(f"J{i:06d},Job,{last},j{i}@example.com")
    return ("\n".join(lines) + "\n").encode()


def _upload(client: Client, content: bytes, name: str = "people.csv") -> Any:
    return client.post(URL, {"file": SimpleUploadedFile(name, content, content_type="text/csv")})


def _job_from(response: Any) -> ImportJob:
    assert response.status_code == 302, response.content[:500]
    job_id = response["Location"].rstrip("/").split("/")[-1]
    assert response["Location"] == f"{URL}jobs/{job_id}/"
    return ImportJob.objects.get(pk=job_id)


@pytest.fixture(autouse=True)
def _own_data_dir(settings: Any, tmp_path: Path) -> None:
    """Uploads and progress files of these tests go to a directory of their own."""
    settings.DATA_DIR = tmp_path


@pytest.fixture
def inline_jobs(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Jobs run in the request's thread (inside the test transaction); 5 rows count as large."""
    settings.IMPORT_JOBS_INLINE = True


@pytest.fixture
def _worker_thread() -> Iterator[None]:
    """A worker (as ``assetgraph worker`` runs jobs) in a thread of its own: imports are
    Django tasks run by workers, never by the web request."""
    stop = threading.Event()

    def loop() -> None:
        try:
            while not stop.is_set():
                job = claim_next("test-import-worker")
                if job is None:
                    stop.wait(0.05)
                else:
                    run_job(job)
        finally:
            connections.close_all()

    thread = threading.Thread(target=loop, name="test-import-worker", daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=120)
    assert not thread.is_alive(), "the worker thread did not stop"


@pytest.mark.django_db
def test_large_preview_then_apply_run_as_jobs_with_counts_rows_and_audit(
    inline_jobs: None, browser: Callable[..., Client]
) -> None:
    client = browser("Helpdesk")
    preview = _job_from(_upload(client, _people(20)))
    assert preview.dry_run and preview.state == "succeeded", preview.error
    assert preview.counts == {"create": 20, "update": 0, "unchanged": 0, "error": 0}
    assert preview.report is not None and preview.report["ok"] and not preview.report["applied"]
    assert preview.filename == "people.csv" and preview.user is not None
    assert preview.started is not None and preview.finished is not None
    assert not Person.objects.filter(employee_number__startswith="J").exists()
    upload = Path(settings.DATA_DIR) / "uploads" / preview.upload
    assert upload.exists()  # kept for the apply

    page = client.get(f"{URL}jobs/{preview.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "20 to create" in body and 'id="apply-import"' in body
    assert "hx-trigger" not in body  # finished: nothing to poll
    upload_id = page.context["upload_id"]
    assert upload_id == upload.stem

    applied = _job_from(client.post(URL, {"upload_id": upload_id}))
    assert not applied.dry_run and applied.state == "succeeded", applied.error
    assert applied.counts["create"] == 20 and applied.processed_rows == 20
    assert applied.filename == "people.csv"  # named as its preview was
    assert Person.objects.filter(employee_number__startswith="J").count() == 20
    assert applied.report is not None
    assert applied.report["job_id"] == applied.pk.hex  # the rows' audit events name the job
    events = AuditEvent.objects.filter(job_id=applied.report["job_id"], action="create")
    assert events.count() == 20
    assert set(events.values_list("source", flat=True)) == {"import"}
    assert not upload.exists()  # applied: the upload is gone
    done = client.get(f"{URL}jobs/{applied.pk}/").content.decode()
    assert (
        "Imported: 20 created" in done
        and "Import of people.csv" in done
        and 'id="apply-import"' not in done
    )
    # The same upload cannot be applied again.
    assert client.post(URL, {"upload_id": upload_id}).status_code == 404


@pytest.mark.django_db
def test_error_rows_end_with_the_report_and_nothing_written(
    inline_jobs: None, browser: Callable[..., Client]
) -> None:
    client = browser("Helpdesk")
    job = _job_from(_upload(client, _people(12, bad_rows=(3, 9))))
    assert job.state == "failed" and job.error == "2 error(s); nothing was written"
    assert job.counts == {"create": 10, "update": 0, "unchanged": 0, "error": 2}
    assert job.report is not None
    errors = {r["row"]: r["errors"] for r in job.report["rows"] if r["errors"]}
    assert errors == {4: ["last_name: This field cannot be blank."], 10: errors[10]}
    assert errors[10][0].startswith("last_name:")
    assert not Person.objects.filter(employee_number__startswith="J").exists()
    assert not (Path(settings.DATA_DIR) / "uploads" / job.upload).exists()
    body = client.get(f"{URL}jobs/{job.pk}/").content.decode()
    assert "Preview failed: 2 error(s)" in body and "Nothing was written." in body
    assert "This field cannot be blank." in body and 'id="apply-import"' not in body


@pytest.mark.django_db
def test_a_crashed_apply_fails_cleanly_keeps_the_upload_and_can_be_retried(
    inline_jobs: None, browser: Callable[..., Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    from assetgraph.org.importers import PersonImporter

    client = browser("Helpdesk")
    preview = _job_from(_upload(client, _people(9)))
    upload_id = Path(preview.upload).stem
    real_apply = PersonImporter.apply

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(PersonImporter, "apply", broken)
    crashed = _job_from(client.post(URL, {"upload_id": upload_id}))
    assert crashed.state == "failed" and crashed.report is None
    assert crashed.error == "the import failed unexpectedly (RuntimeError); nothing was written"
    assert not Person.objects.filter(employee_number__startswith="J").exists()
    page = client.get(f"{URL}jobs/{crashed.pk}/").content.decode()
    assert "Import failed: the import failed unexpectedly" in page and 'id="retry-import"' in page
    assert "disk on fire" not in page  # internals stay in the log
    monkeypatch.setattr(PersonImporter, "apply", real_apply)
    retried = _job_from(client.post(URL, {"upload_id": upload_id}))
    assert retried.state == "succeeded" and retried.pk != crashed.pk
    assert Person.objects.filter(employee_number__startswith="J").count() == 9


@pytest.mark.django_db
def test_file_level_error_fails_the_job(inline_jobs: None, browser: Callable[..., Client]) -> None:
    client = browser("Helpdesk")
    content = b"employee_number,first_name,colour\n" + b"X1,A,red\n" * 10
    job = _job_from(_upload(client, content))
    assert job.state == "failed" and job.report is not None
    assert job.report["file_errors"] == ["missing column(s): last_name"]
    assert "missing column(s): last_name" in client.get(f"{URL}jobs/{job.pk}/").content.decode()


@pytest.mark.django_db
def test_small_files_run_on_the_worker_too(browser: Callable[..., Client]) -> None:
    """Issue 15: no import is checked in the request, however small."""
    client = browser("Helpdesk")
    job = _job_from(_upload(client, _people(3)))
    assert job.state == "queued" and job.total_rows == 3
    page = finish_page(client, _upload(client, _people(3, start=10)))
    assert b"3 to create" in page.content and 'id="apply-import"' in page.content.decode()
    assert not Person.objects.filter(employee_number__startswith="J").exists()


@pytest.mark.django_db
def test_only_the_owner_or_an_admin_sees_a_job(
    inline_jobs: None, browser: Callable[..., Client]
) -> None:
    owner = browser("Helpdesk")
    job = _job_from(_upload(owner, _people(8)))
    page, status = f"{URL}jobs/{job.pk}/", f"{URL}jobs/{job.pk}/status/"
    assert owner.get(page).status_code == 200 and owner.get(status).status_code == 200
    stranger = browser("Helpdesk")
    assert stranger.get(page).status_code == 404
    assert stranger.get(status).status_code == 404
    assert owner.get(f"/org/import/locations/jobs/{job.pk}/").status_code == 404  # wrong kind
    assert owner.get(f"{URL}jobs/00000000-0000-0000-0000-000000000000/").status_code == 404
    admin = browser(superuser=True)
    assert admin.get(page).status_code == 200
    # Whoever may view jobs (the Admin role holds events.job) sees it, as through the API,
    # but cannot apply it: the previewed file's upload id lives in the starter's session.
    viewer = browser("Admin")
    assert viewer.get(page).status_code == 200 and viewer.get(status).status_code == 200
    assert b'name="upload_id"' in owner.get(page).content
    assert b'name="upload_id"' not in viewer.get(page).content
    assert Client().get(page).status_code == 302  # anonymous: to the login page


def _queued_job(user: Any, total: int = 5000) -> ImportJob:
    return jobs.create_import_job(
        user=user,
        kind="people",
        object_type="org.person",
        filename="big.csv",
        upload="0" * 32 + ".csv",
        dry_run=True,
        total_rows=total,
    )


@pytest.mark.django_db
def test_status_endpoint_returns_the_numbers_and_polls_until_done(make_user: Any) -> None:
    user = make_user("Helpdesk")
    client = Client()
    client.force_login(user)
    job = _queued_job(user)
    ImportJob.objects.filter(pk=job.pk).update(state="running")
    jobs.write_progress(job.pk, jobs.JobProgress("checking", 1200, 5000, time.time()))
    status = f"{URL}jobs/{job.pk}/status/"
    data = client.get(status, HTTP_ACCEPT="application/json").json()
    assert data["state"] == "running" and not data["done"]
    assert (data["processed"], data["total"], data["percent"]) == (1200, 5000, 24)
    assert data["phase"] == "checking"
    partial = client.get(status, HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in partial and f'hx-get="{status}"' in partial
    assert "import-w-24" in partial and 'aria-valuenow="1200"' in partial
    assert '<span id="import-job-processed">1,200</span>' in partial
    assert '<span id="import-job-total">5,000</span>' in partial
    page = client.get(f"{URL}jobs/{job.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in page and "ui/import-jobs.css" in page
    assert "<style" not in page and "style=" not in page  # the CSP forbids inline styles
    ImportJob.objects.filter(pk=job.pk).update(
        state="succeeded", counts={"create": 1}, processed_rows=1, total_rows=1
    )
    finished = client.get(status, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in finished and 'data-state="succeeded"' in finished


@pytest.mark.django_db
def test_a_job_whose_process_died_is_shown_as_interrupted(make_user: Any) -> None:
    user = make_user("Helpdesk")
    client = Client()
    client.force_login(user)
    alive, dead = _queued_job(user), _queued_job(user)
    ImportJob.objects.filter(pk__in=[alive.pk, dead.pk]).update(state="running")
    stale = time.time() - jobs.STALE_AFTER_SECONDS - 5
    jobs.write_progress(dead.pk, jobs.JobProgress("checking", 500, 5000, stale))
    data = client.get(f"{URL}jobs/{dead.pk}/status/", HTTP_ACCEPT="application/json").json()
    assert data["state"] == "failed" and data["done"] and data["error"] == jobs.INTERRUPTED
    assert jobs.read_progress(dead.pk) is None
    assert "Preview failed: interrupted" in client.get(f"{URL}jobs/{dead.pk}/").content.decode()
    live = client.get(f"{URL}jobs/{alive.pk}/status/", HTTP_ACCEPT="application/json").json()
    assert live["state"] == "running"


@pytest.mark.django_db
def test_a_dead_apply_whose_rows_were_committed_is_not_called_interrupted(
    make_user: Any, system: Any
) -> None:
    from assetgraph.audit.services import record_event
    from assetgraph.org.models import Department

    user = make_user("Helpdesk")
    client = Client()
    client.force_login(user)
    job = jobs.create_import_job(
        user=user,
        kind="people",
        object_type="org.person",
        filename="big.csv",
        upload="2" * 32 + ".csv",
        dry_run=False,
        total_rows=5000,
    )
    ImportJob.objects.filter(pk=job.pk).update(state="running")
    # the import committed (its audit events carry the job id), then the process died
    written = Department.objects.create(name="Written by the job")
    record_event(system.for_job(job.pk.hex), "create", written, after={"name": written.name})
    stale = time.time() - jobs.STALE_AFTER_SECONDS - 5
    jobs.write_progress(job.pk, jobs.JobProgress("writing", 5000, 5000, stale))
    data = client.get(f"{URL}jobs/{job.pk}/status/", HTTP_ACCEPT="application/json").json()
    assert data["state"] == "succeeded" and data["error"] == jobs.WRITTEN_REPORT_LOST
    assert "The import was written" in client.get(f"{URL}jobs/{job.pk}/").content.decode()


@pytest.mark.django_db
def test_one_active_apply_per_upload(make_user: Any) -> None:
    user = make_user("Helpdesk")
    fields = {
        "user": user,
        "kind": "people",
        "object_type": "org.person",
        "filename": "big.csv",
        "upload": "1" * 32 + ".csv",
        "total_rows": 10,
    }
    first = jobs.create_import_job(dry_run=False, **fields)
    with pytest.raises(jobs.JobConflict) as conflict:
        jobs.create_import_job(dry_run=False, **fields)
    assert conflict.value.job.pk == first.pk
    jobs.create_import_job(dry_run=True, **fields)  # previews do not conflict
    ImportJob.objects.filter(pk=first.pk).update(state="failed")
    jobs.create_import_job(dry_run=False, **fields)  # a finished apply frees the upload


def test_stored_report_keeps_error_rows_first(monkeypatch: pytest.MonkeyPatch) -> None:
    from assetgraph.framework.importing import ImportReport, RowResult

    rows = [RowResult(number=n + 2, key=str(n), action="update") for n in range(30)]
    rows[25].action, rows[25].errors = "error", ["name: bad"]
    for row in rows:
        row.changes = {"name": ["a", "b"]}
    monkeypatch.setattr(jobs, "REPORT_ROW_LIMIT", 10)
    data = jobs.stored_report(ImportReport("org.person", True, False, "x", rows))
    assert len(data["rows"]) == 10 and data["rows_omitted"] == 20
    assert [r["row"] for r in data["rows"]] == [*range(2, 11), 27]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_worker_thread")
def test_real_worker_preview_and_apply_of_a_large_file(browser: Callable[..., Client]) -> None:
    """The default threshold, a real worker with its own connection, polling."""
    client = browser("Helpdesk")
    rows = 2_500
    seen: list[tuple[str, int, int | None]] = []

    def wait(job: ImportJob) -> dict[str, Any]:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            data = client.get(f"{URL}jobs/{job.pk}/status/", HTTP_ACCEPT="application/json").json()
            seen.append((data["state"], data["processed"], data["total"]))
            if data["done"]:
                return data
            time.sleep(0.05)
        raise AssertionError(f"job {job.pk} did not finish: {seen[-3:]}")

    preview = _job_from(_upload(client, _people(rows)))
    assert preview.total_rows == rows  # the estimate, shown before the importer counts
    data = wait(preview)
    assert data["state"] == "succeeded" and data["counts"]["create"] == rows
    assert (data["processed"], data["total"]) == (rows, rows)
    assert not Person.objects.filter(employee_number__startswith="J").exists()
    upload_id = client.get(f"{URL}jobs/{preview.pk}/").context["upload_id"]

    applied = _job_from(client.post(URL, {"upload_id": upload_id}))
    data = wait(applied)
    assert data["state"] == "succeeded", data["error"]
    assert data["counts"] == {"create": rows, "update": 0, "unchanged": 0, "error": 0}
    assert Person.objects.filter(employee_number__startswith="J").count() == rows
    applied.refresh_from_db()
    assert applied.report is not None and applied.report["rows_omitted"] == rows - 1000
    assert AuditEvent.objects.filter(job_id=applied.report["job_id"]).count() == rows
    assert all(total in (rows, None) for _, _, total in seen)
    # the outcome is stored before the runner's ``finally`` removes the file: wait for the task
    task_jobs = Job.objects.filter(task="assetgraph.framework.jobs.run_import")
    deadline = time.monotonic() + 30
    while task_jobs.exclude(state="succeeded").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(task_jobs.values_list("state", flat=True)) == ["succeeded", "succeeded"]
    assert jobs.read_progress(applied.pk) is None  # progress files are removed at the end


@pytest.mark.django_db
def test_a_large_import_is_a_task_for_the_worker_not_work_for_the_request(
    browser: Callable[..., Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The request only queues: the job stays queued (however long) until a worker runs it."""
    client = browser("Helpdesk")
    preview = _job_from(_upload(client, _people(20)))
    assert preview.state == "queued" and not Person.objects.filter(employee_number__startswith="J")
    task = Job.objects.get(task="assetgraph.framework.jobs.run_import")
    assert task.arguments["job_id"] == preview.pk.hex and task.state == "queued"
    stale = time.time() - jobs.STALE_AFTER_SECONDS - 5
    jobs.write_progress(preview.pk, jobs.JobProgress("reading", 0, 20, stale))
    data = client.get(f"{URL}jobs/{preview.pk}/status/", HTTP_ACCEPT="application/json").json()
    assert data["state"] == "queued"  # waiting for a worker is not "interrupted"
    Worker().drain()
    preview.refresh_from_db()
    assert preview.state == "succeeded" and preview.counts["create"] == 20, preview.error
    task.refresh_from_db()
    assert task.state == "succeeded" and task.result["state"] == "succeeded"
    upload_id = client.get(f"{URL}jobs/{preview.pk}/").context["upload_id"]
    applied = _job_from(client.post(URL, {"upload_id": upload_id}))
    assert applied.state == "queued" and not Person.objects.filter(employee_number__startswith="J")
    Worker().drain()
    applied.refresh_from_db()
    assert applied.state == "succeeded", applied.error
    assert Person.objects.filter(employee_number__startswith="J").count() == 20
    events = AuditEvent.objects.filter(job_id=applied.report["job_id"])
    starter = int(client.session["_auth_user_id"])  # the worker acts as the user who started it
    assert events.count() == 20 and set(events.values_list("actor_id", flat=True)) == {starter}
