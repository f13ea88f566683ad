"""The integrations' types under the read-surface harness (their endpoints are hand-built):
directory sync runs and offboardings."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.utils import timezone

from assetgraph.core.actor import Actor
from assetgraph.integrations import services
from assetgraph.integrations.directory import DirectoryRecord
from assetgraph.integrations.models import DirectorySyncRun
from tests.test_permission_coverage import ReadSurfaceHarness

SYSTEM = Actor.system("harness")


class TestDirectorySyncRunVisibility(ReadSurfaceHarness):
    object_type = "integrations.directorysyncrun"

    def make_object(self, site: dict[str, Any]) -> Any:
        return DirectorySyncRun.objects.create(
            started=timezone.now(), state="applied", trigger="cli"
        )

    def list_url(self, obj: Any) -> str:
        return "/api/integrations/directory/runs"

    def detail_url(self, obj: Any) -> str:
        return f"/api/integrations/directory/runs/{obj.pk}"


class TestOffboardingVisibility(ReadSurfaceHarness):
    object_type = "integrations.offboarding"

    def make_object(self, site: dict[str, Any]) -> Any:
        return services.start_offboarding(SYSTEM, site["minh"])

    def list_url(self, obj: Any) -> str:
        return "/api/integrations/offboardings"

    def detail_url(self, obj: Any) -> str:
        return f"/api/integrations/offboardings/{obj.pk}"

    def write(self, client: Client, obj: Any) -> Any:
        return client.post(f"/api/integrations/offboardings/{obj.pk}/reclaim")


def test_sync_records_are_a_dry_run_helper(db: None) -> None:
    run = services.sync_directory(
        SYSTEM,
        records=[DirectoryRecord(dn="uid=x", employee_number="Z1", first_name="Z", last_name="Y")],
        dry_run=True,
    )
    assert run.state == "dry_run" and run.created_count == 1
