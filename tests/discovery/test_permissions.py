"""Discovery's types through the permission harnesses (API: list, detail, writes)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from assetgraph.cmdb.models import CIClass
from assetgraph.core.actor import Actor
from assetgraph.discovery import services
from assetgraph.discovery.models import DiscoveryRun, ReconciliationItem

from ..harness import PermissionHarness
from ..test_permission_coverage import ReadSurfaceHarness

pytestmark = pytest.mark.django_db


def _source(name: str = "harness-nmap") -> Any:
    return services.create_source(Actor.system(), {"name": name, "connector": "nmap"})


class TestDataSourcePermissions(PermissionHarness):
    object_type = "discovery.datasource"
    path = "/api/discovery/sources/"
    update_payload = {"description": "patched by the harness"}

    def make_object(self, site: dict[str, Any]) -> Any:
        return _source()

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {"name": "new-source", "connector": "ansible"}


class TestIdentificationRulePermissions(PermissionHarness):
    object_type = "discovery.identificationrule"
    path = "/api/discovery/rules/"
    update_payload = {"description": "patched by the harness"}

    def make_object(self, site: dict[str, Any]) -> Any:
        return services.create_rule(
            Actor.system(),
            {"ci_class": CIClass.objects.get(name="Server"), "priority": 90, "attributes": ["os"]},
        )

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        server = CIClass.objects.get(name="Server").pk
        return {"ci_class_id": server, "priority": 91, "attributes": ["hostname"]}


class TestClassPolicyPermissions(PermissionHarness):
    object_type = "discovery.classpolicy"
    path = "/api/discovery/policies/"
    update_payload = {"stale_after_days": 45}

    def make_object(self, site: dict[str, Any]) -> Any:
        return services.create_policy(
            Actor.system(), {"ci_class": CIClass.objects.get(name="Laptop")}
        )

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {"ci_class_id": CIClass.objects.get(name="Desktop").pk, "stale_after_days": 20}


class TestComplianceRulePermissions(PermissionHarness):
    object_type = "discovery.compliancerule"
    path = "/api/discovery/compliance-rules/"
    update_payload = {"active": False}

    def make_object(self, site: dict[str, Any]) -> Any:
        return services.create_compliance_rule(
            Actor.system(),
            {
                "name": "harness rule",
                "ci_class": CIClass.objects.get(name="Server"),
                "requirement": {"owning_team": "*"},
            },
        )

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": "new rule",
            "ci_class_id": CIClass.objects.get(name="Server").pk,
            "requirement": {"location": "*"},
        }


class TestDiscoveryRunVisibility(ReadSurfaceHarness):
    object_type = "discovery.discoveryrun"

    def make_object(self, site: dict[str, Any]) -> Any:
        return DiscoveryRun.objects.create(source=_source(), connector="nmap")

    def list_url(self, obj: Any) -> str:
        return "/api/discovery/runs"

    def detail_url(self, obj: Any) -> str | None:
        return f"/api/discovery/runs/{obj.pk}"


class TestReconciliationItemVisibility(ReadSurfaceHarness):
    object_type = "discovery.reconciliationitem"

    def make_object(self, site: dict[str, Any]) -> Any:
        return ReconciliationItem.objects.create(
            source=_source(),
            ci_class=CIClass.objects.get(name="Server"),
            name="web-01",
            rule="Server #20",
            fingerprint="harness",
        )

    def list_url(self, obj: Any) -> str:
        return "/api/discovery/queue"

    def write(self, client: Client, obj: Any) -> Any:
        return client.post(f"/api/discovery/queue/{obj.pk}/dismiss")
