"""Issue 15: work that is not the answer leaves the request. Sealing the audit chain is the
worker's (each pass of its loop); the cleanup schedule also removes old import jobs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from assetgraph.audit.models import AuditEvent
from assetgraph.core.models import ImportJob
from assetgraph.events.tasks import cleanup
from assetgraph.events.worker import Worker

pytestmark = pytest.mark.django_db


def test_a_request_leaves_sealing_to_the_worker(
    api: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = api("Admin")
    Worker().drain()  # seal what setting up the user wrote
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            "/api/org/companies/", {"name": "Sealed Later Ltd"}, content_type="application/json"
        )
    assert not [c for c in callbacks if c.__name__ == "_seal_after_commit"]
    assert response.status_code == 201, response.content
    pending = AuditEvent.objects.filter(object_type="org.company", chain_seq__isnull=True)
    assert pending.count() == 1  # committed by the request, not sealed by it
    Worker().drain()
    assert not AuditEvent.objects.filter(chain_seq__isnull=True).exists()
    # outside a request (the CLI, a job) commits still seal: tests/audit/test_services.py


def test_cleanup_removes_old_finished_import_jobs_only(settings: Any) -> None:
    settings.ASSETGRAPH_OPERATIONS_RETENTION_DAYS = 30
    old = timezone.now() - dt.timedelta(days=31)

    def job(state: str, finished: dt.datetime | None) -> ImportJob:
        return ImportJob.objects.create(
            kind="people",
            object_type="org.person",
            filename="p.csv",
            upload=f"{state}-{finished is not None}.csv",
            dry_run=True,
            state=state,
            finished=finished,
        )

    gone = [job("succeeded", old), job("failed", old)]
    kept = [job("succeeded", timezone.now()), job("queued", None)]
    result = cleanup.call()
    assert result["import_jobs"] == 2
    assert not ImportJob.objects.filter(pk__in=[j.pk for j in gone]).exists()
    assert ImportJob.objects.filter(pk__in=[j.pk for j in kept]).count() == 2
