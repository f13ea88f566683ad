"""Demo story 4 — "a planned change conflicts with another in the same window" — through the
API and the CLI, on the full demo estate (loaded once per class, rolled back afterwards)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command

from assetgraph.audit.models import AuditEvent
from assetgraph.changes.models import BlackoutWindow, ChangeRecord

from ..conftest import bearer


@pytest.fixture(scope="class")
def story(demo_company: Any, django_db_blocker: Any) -> Iterator[dict[str, ChangeRecord]]:
    """The demo company with its change records, by title."""
    with django_db_blocker.unblock():
        yield {c.title: c for c in ChangeRecord.objects.all()}


def cli(*args: str) -> str:
    out = io.StringIO()
    call_command("change", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
class TestStory4:
    def test_seeded_records_and_their_audit_trail(self, story: dict[str, ChangeRecord]) -> None:
        states = dict(ChangeRecord.objects.values_list("title", "state"))
        assert states["Storage controller replacement on stor-aus1-01"] == "failed"
        assert states["Storage firmware upgrade on stor-aus1-01"] == "scheduled"
        assert states["Patch hypervisors hv-a01 and hv-a02"] == "scheduled"
        assert states["Replace a power supply in hv-b01"] == "draft"
        assert BlackoutWindow.objects.get().name == "Payroll run"
        assert AuditEvent.objects.filter(object_type="changes.changerecord").count() >= 4 + 5

    def test_the_firmware_change_conflicts_with_the_hypervisor_patching(
        self, story: dict[str, ChangeRecord], make_user: Any
    ) -> None:
        firmware = ChangeRecord.objects.get(title__startswith="Storage firmware")
        patching = ChangeRecord.objects.get(title__startswith="Patch hypervisors")
        client = bearer(make_user("IT Operations (NOC)"))
        report = client.get(f"/api/impact/changes/{firmware.pk}/assess").json()
        assert [c["change"]["id"] for c in report["conflicts"]] == [patching.pk]
        shared = {s["display"] for s in report["conflicts"][0]["shared_services"]}
        assert {"Finance", "Payroll"} <= shared
        assert {"Finance", "Payroll"} <= {s["display"] for s in report["services_down"]}
        assert [b["display"] for b in report["blackouts"]] == ["Payroll run"]
        assert [f["display"] for f in report["recent_failures"]] == [
            str(ChangeRecord.objects.get(state="failed"))
        ]
        factors = {f["name"]: f["points"] for f in report["risk"]["factors"]}
        assert factors["criticality"] == 30 and factors["conflicts"] == 5
        assert factors["recent failures"] == 10 and factors["blackout"] == 10
        assert report["risk"]["band"] == "critical"
        other = client.get(f"/api/impact/changes/{patching.pk}/assess").json()
        assert [c["change"]["id"] for c in other["conflicts"]] == [firmware.pk]
        assert [r["display"] for r in other["redundancy_lost"]] == ["Farm A"]
        farm = other["redundancy_lost"][0]
        assert (farm["members_down"], farm["members"], farm["tolerates"]) == (2, 8, 2)
        assert other["services_down"] == []
        psu = ChangeRecord.objects.get(title__startswith="Replace a power supply")
        assert client.get(f"/api/impact/changes/{psu.pk}/assess").json()["conflicts"] == []

    def test_the_cli_tells_the_same_story(self, story: dict[str, ChangeRecord]) -> None:
        firmware = ChangeRecord.objects.get(title__startswith="Storage firmware")
        listing = cli("list", "--state", "scheduled")
        assert "Storage firmware upgrade" in listing and "Patch hypervisors" in listing
        text = cli("assess", str(firmware.pk))
        assert "CONFLICT with CHG" in text and "Patch hypervisors hv-a01 and hv-a02" in text
        assert "risk: critical" in text and "BLACKOUT: Payroll run" in text
        data = json.loads(cli("assess", str(firmware.pk), "--json"))
        assert data["conflicts"][0]["change"]["display"].endswith("hv-a01 and hv-a02")
