"""Demo story 5 on the full demo estate (loaded once for the class, rolled back after)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from assetgraph.cmdb.models import CI
from assetgraph.discovery import health
from assetgraph.discovery.models import DataSource, DiscoveryRun, ReconciliationItem


@pytest.fixture(scope="class")
def story(demo_company: Any, django_db_blocker: Any) -> Iterator[None]:
    """The shared demo company (loaded once per worker, see tests/shared_demo.py)."""
    with django_db_blocker.unblock():
        yield


@pytest.mark.django_db
@pytest.mark.usefixtures("story")
class TestStory5:
    def test_a_source_per_format_and_every_run_succeeded(self) -> None:
        assert set(DataSource.objects.values_list("connector", flat=True)) == {
            "nmap",
            "ansible",
            "cyclonedx",
            "ec2",
            "csv",
        }
        assert not DiscoveryRun.objects.exclude(state="succeeded").exists()

    def test_one_ambiguous_match_waits(self) -> None:
        item = ReconciliationItem.objects.get(state="open")
        assert item.name.startswith("lab-db-01")
        assert item.candidates.count() == 2

    def test_unmanaged_devices_and_a_stale_server(self, make_user: Any) -> None:
        from assetgraph.discovery.assets import missing, unmanaged

        admin = make_user(superuser=True)
        names = set(unmanaged(admin).values_list("name", flat=True))
        assert {"10.20.0.201", "10.20.0.202", "sw-lab-09.aus1.example.internal"} <= names
        result = health.compute()
        stale = {ci for off in result["offenders"].values() for ci in off["stale"]}
        servers = sorted(CI.objects.current().filter(ci_class__name="Server"), key=str)
        old = servers[3]
        assert old.pk in stale
        assert [a.pk for a, ci, _ in missing(admin)] == [old.asset_id]

    def test_health_dashboard_tells_the_story(self, browser: Any) -> None:
        page = browser("System Administrator").get("/discovery/health/")
        assert page.status_code == 200
        assert b"Correctness is up" in page.content
        queue = browser("System Administrator").get(
            f"/discovery/queue/{ReconciliationItem.objects.get().pk}/"
        )
        assert b"Resolve as this CI" in queue.content
