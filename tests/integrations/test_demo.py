"""The integrations on the full demo company: the inventory prints the demo estate's groups
and hosts, and the demo directory sync left one leaver with an open offboarding."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command

from assetgraph.integrations import services
from assetgraph.integrations.models import DirectorySyncRun, Offboarding


@pytest.fixture(scope="class")
def story(demo_company: Any, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock():
        yield


@pytest.mark.django_db
@pytest.mark.usefixtures("story")
class TestDemoIntegrations:
    def test_inventory_lists_the_demo_estate(self, capsys: Any) -> None:
        call_command("inventory", "--list")
        data = json.loads(capsys.readouterr().out)
        hosts = data["_meta"]["hostvars"]
        assert len(hosts) > 20
        services_groups = [g for g in data if g.startswith("service_")]
        assert services_groups and all(data[g]["hosts"] for g in services_groups)
        assert data["env_production"]["hosts"]
        assert any(g.startswith("location_") for g in data)
        assert "fin-db-01" in hosts or any(
            v["assetgraph_name"] == "fin-db-01" for v in hosts.values()
        )

    def test_demo_sync_left_one_leaver_to_offboard(self) -> None:
        runs = list(DirectorySyncRun.objects.order_by("pk"))
        assert [r.deactivated_count for r in runs] == [0, 1]
        assert runs[0].created_count == 0
        # the first run only clears the managers who have left (not in the directory)
        assert all(set(row["changes"]) == {"manager"} for row in runs[0].diff)
        offboarding = Offboarding.objects.get()
        assert services.return_list(offboarding.person).exists()
        assert services.reclaim_list(offboarding.person).exists()
