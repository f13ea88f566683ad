"""The demo estate: wired to the demo's people and assets, Minh's path walkable one level at a
time through the API, redundant farms, an audited recent change, deterministic.

The full demo (300 people) loads once per class inside a transaction that is rolled back
afterwards; each test runs in a savepoint inside it.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from assetgraph.assets.models import Asset
from assetgraph.audit.models import AuditEvent
from assetgraph.cmdb.models import CI, Relationship, group_state
from assetgraph.impact.objective import impact_of

from ..conftest import bearer


@pytest.fixture(scope="class")
def demo(demo_company: Any, django_db_blocker: Any) -> dict[str, CI]:
    """The shared demo company (loaded once per worker), the CIs on Minh's path by name."""
    with django_db_blocker.unblock():
        return {
            "laptop": CI.objects.get(asset__custodian__employee_number="E0001"),
            **{ci.name: ci for ci in CI.objects.filter(name__in=PATH_NAMES)},
        }


PATH_NAMES = [
    "VPN",
    "SSO",
    "Finance",
    "Finance application",
    "Finance DB",
    "fin-db-01",
    "Farm A",
    "Farm B",
    "Farm C",
    "stor-aus1-01",
]


def _down(client: Client, ci: CI) -> set[tuple[str, str]]:
    response = client.get(f"/api/cmdb/cis/{ci.pk}/relationships?direction=down")
    assert response.status_code == 200
    return {(n["verb"], n["ci"]["display"]) for n in response.json()}


def _count(klass: str) -> int:
    return CI.objects.current().filter(ci_class__name=klass).count()


@pytest.mark.usefixtures("db")
class TestDemoEstate:
    def test_counts_per_class_are_in_the_expected_ranges(self, demo: dict[str, CI]) -> None:
        expected = {
            "Business Service": (14, 16),
            "Hypervisor": (20, 20),
            "Cluster/Farm": (12, 25),
            "Storage Array": (3, 6),
            "Switch": (4, 30),
            "Firewall": (2, 4),
            "Rack": (6, 12),
            "PDU": (12, 24),
            "Subnet": (4, 12),
        }
        for klass, (low, high) in expected.items():
            assert low <= _count(klass) <= high, klass
        apps = sum(
            _count(k) for k in ("Application", "Application Component", "Container Workload")
        )
        assert 50 <= apps <= 80
        assert 10 <= _count("Database") <= 25
        hosts = sum(_count(k) for k in ("Server", "Hypervisor", "Virtual Machine"))
        assert 220 <= hosts <= 280
        assert 1500 <= Relationship.objects.current().count() <= 6000
        farms = {f.name: f for f in CI.objects.filter(name__in=["Farm A", "Farm B", "Farm C"])}
        assert (farms["Farm A"].redundancy_mode, farms["Farm A"].redundancy_value) == ("count", 6)
        assert (farms["Farm B"].redundancy_mode, farms["Farm B"].redundancy_value) == (
            "percent",
            66,
        )
        members = Relationship.objects.current().filter(
            target=farms["Farm A"], type__name="member of"
        )
        assert members.count() == 8 and all(r.source.ci_class.name == "Hypervisor" for r in members)
        # One hypervisor down degrades Farm A; three down fail it.
        assert group_state("count", 6, 8, 1) == "degraded"
        assert group_state("count", 6, 8, 3) == "failed"

    def test_every_laptop_ci_is_one_record_with_its_asset(self, demo: dict[str, CI]) -> None:
        laptops = CI.objects.filter(ci_class__name="Laptop").select_related("asset__model")
        assert laptops.count() >= 250
        assert all(ci.asset is not None for ci in laptops)
        assert {ci.asset.model.category.kind for ci in laptops} == {"laptop"}
        assert all(ci.attributes["serial_number"] == ci.asset.serial_number for ci in laptops)
        in_use = Asset.objects.filter(model__category__kind="laptop", state="in_use")
        assert set(in_use.values_list("pk", flat=True)) <= {ci.asset_id for ci in laptops}

    def test_hardware_cis_are_linked_to_server_storage_and_network_assets(
        self, demo: dict[str, CI]
    ) -> None:
        kinds = {
            "Hypervisor": "server",
            "Server": "server",
            "Storage Array": "storage",
            "Switch": "network",
        }
        for klass, kind in kinds.items():
            linked = CI.objects.filter(ci_class__name=klass, asset__isnull=False)
            assert linked.exists(), klass
            assert set(linked.values_list("asset__model__category__kind", flat=True)) == {kind}
        installed = CI.objects.filter(ci_class__name="Hypervisor", operational_status="live")
        assert all(ci.asset is None or ci.asset.state == "in_use" for ci in installed)

    def test_what_the_finance_application_runs_on_one_level_at_a_time(
        self, demo: dict[str, CI], api: Any
    ) -> None:
        client = api("IT Operations (NOC)")
        assert {("uses", "VPN"), ("uses", "Finance")} <= _down(client, demo["laptop"])
        assert ("depends on", "SSO") in _down(client, demo["VPN"])
        assert ("depends on", "Finance application") in _down(client, demo["Finance"])
        app = _down(client, demo["Finance application"])
        assert {("depends on", "Finance DB"), ("depends on", "SSO")} <= app
        assert ("runs on", "fin-db-01") in _down(client, demo["Finance DB"])
        assert ("hosted on", "Farm A") in _down(client, demo["fin-db-01"])
        assert ("depends on", "stor-aus1-01") in _down(client, demo["Farm A"])

    def test_walking_down_from_the_finance_application_reaches_the_storage_array(
        self, demo: dict[str, CI], api: Any
    ) -> None:
        """ "What does the finance application run on?" asked one level at a time: each step
        is one relationships call on a CI the previous answers named, following only
        dependencies (types whose target's failure impacts the source)."""
        client = api("IT Operations (NOC)")
        start = demo["Finance application"]
        names = {start.pk: start.name}
        edges: set[tuple[str, str, str]] = set()
        depth_of = {start.pk: 0}
        frontier = [start.pk]
        calls = 0
        while frontier:
            following: list[int] = []
            for pk in frontier:
                response = client.get(f"/api/cmdb/cis/{pk}/relationships?direction=down")
                calls += 1
                assert response.status_code == 200
                for link in response.json():
                    assert link["direction"] == "down"
                    if link["type"]["impact_direction"] != "reverse":
                        continue  # contains / connected to: not something it runs on
                    other = link["ci"]["id"]
                    names[other] = link["ci"]["display"]
                    edges.add((names[pk], link["verb"], names[other]))
                    if other not in depth_of:
                        depth_of[other] = depth_of[pk] + 1
                        if link["ci_class"] != "Storage Array":  # the bottom of the stack
                            following.append(other)
            frontier = following
        assert {
            ("Finance application", "depends on", "Finance DB"),
            ("Finance DB", "runs on", "fin-db-01"),
            ("fin-db-01", "hosted on", "Farm A"),
            ("Farm A", "depends on", "stor-aus1-01"),
        } <= edges
        assert depth_of[demo["stor-aus1-01"].pk] == 4
        assert calls < 100  # one level at a time over a bounded part of the estate

    def test_minhs_laptop_page_shows_the_custodian_and_warranty(
        self, demo: dict[str, CI], make_user: Any
    ) -> None:
        laptop = demo["laptop"]
        assert laptop.asset is not None and laptop.asset.warranty_end is not None
        admin = make_user("Admin")
        detail = bearer(admin).get(f"/api/cmdb/cis/{laptop.pk}").json()
        assert detail["asset"] == {"id": laptop.asset.pk, "display": str(laptop.asset)}
        page = Client()
        page.force_login(admin)
        response = page.get(f"/cmdb/cis/{laptop.pk}/")
        assert response.status_code == 200
        html = response.content.decode()
        assert "Custodian" in html and "Minh Nguyen" in html
        assert "Warranty" in html and str(laptop.asset.warranty_end) in html

    def test_minhs_laptop_shows_its_custodian_and_warranty(
        self, demo: dict[str, CI], make_user: Any
    ) -> None:
        client = bearer(make_user("Admin"))
        body = client.get(f"/api/cmdb/cis/{demo['laptop'].pk}/context").json()
        context = body["business_context"]
        assert context["custodian"]["display"] == "Minh Nguyen"
        assert context["warranty_end"] is not None and "warranty_expired" in context
        assert body["services"] == []  # nothing depends on a laptop

    def test_a_storage_array_failure_reaches_finance_and_the_array_is_out_of_warranty(
        self, demo: dict[str, CI]
    ) -> None:
        array = demo["stor-aus1-01"]
        affected = set(impact_of([array.pk]).affected.tolist())
        assert demo["Finance"].pk in affected
        assert demo["laptop"].pk in affected  # Minh is among the people to tell
        assert array.asset is not None
        assert array.asset.warranty_end < timezone.localdate()
        # A hypervisor is a farm member: on its own it only degrades the farm.
        hypervisor = Relationship.objects.filter(
            target=demo["Farm A"], type__name="member of"
        ).first()
        assert hypervisor is not None
        assert set(impact_of([hypervisor.source_id]).affected.tolist()) >= {demo["Farm A"].pk}

    def test_a_ci_on_minhs_path_changed_recently_through_the_service(
        self, demo: dict[str, CI]
    ) -> None:
        change = AuditEvent.objects.filter(
            object_type="cmdb.ci", object_id=str(demo["SSO"].pk), action="update"
        ).get()
        assert "attributes" in change.changed_fields
        assert change.after["attributes"]["version"] == "25.0.1"
        # The story objects were created one by one through the services.
        assert AuditEvent.objects.filter(
            object_type="cmdb.relationship",
            action="create",
            object_repr="Farm A depends on stor-aus1-01",
        ).exists()

    def test_the_audit_chain_verifies(self, demo: dict[str, CI]) -> None:
        created = AuditEvent.objects.filter(object_type="cmdb.ci", action="create").count()
        assert created == CI.objects.count()
        out = io.StringIO()
        call_command("audit", "verify", stdout=out)
        assert "audit chain intact" in out.getvalue()
