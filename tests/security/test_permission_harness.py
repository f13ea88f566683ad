"""The permission harnesses on the security app: policies and exceptions (generated API and
pages), and advisories, findings, end-of-life cycles and evidence packages on their own
endpoints (hidden means absent: 404, and writes change nothing)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client
from django.utils import timezone

from assetgraph.cmdb import services as cmdb
from assetgraph.cmdb.models import CI, CIClass
from assetgraph.core.actor import Actor
from assetgraph.security import eol, evidence, feeds, policies, services
from assetgraph.security.models import EndOfLifeCycle, EvidencePackage, Finding, Policy

from ..harness import PermissionHarness
from ..test_permission_coverage import ReadSurfaceHarness
from .conftest import FIXTURES

SYSTEM = Actor.system("harness")


def _advisories() -> None:
    services.import_advisories(SYSTEM, feeds.parse_files(feeds.read_path(FIXTURES / "nvd")))


def _ci(name: str = "harness-host") -> CI:
    ci, _ = CI.objects.get_or_create(
        name=name, defaults={"ci_class": CIClass.objects.get(name="Virtual Machine")}
    )
    return ci


def _quiet_policy(name: str = "Quiet policy") -> Policy:
    policy, _ = Policy.objects.get_or_create(
        name=name, defaults={"condition": {"attribute": "encrypted", "equals": True}}
    )
    return policy


class TestPolicyPermissions(PermissionHarness):
    object_type = "security.policy"
    path = "/api/security/policies/"
    update_payload = {"description": "patched"}

    def make_object(self, site: dict[str, Any]) -> Any:
        return policies.create_policy(
            SYSTEM, {"name": "Harness policy", "condition": {"eol": "os"}}
        )

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {"name": "New policy", "condition": {"findings": {"severity_at_least": "high"}}}


class TestPolicyExceptionPermissions(PermissionHarness):
    object_type = "security.policyexception"
    path = "/api/security/policy-exceptions/"
    update_payload = {"reason": "patched"}

    def make_object(self, site: dict[str, Any]) -> Any:
        return policies.create_exception(
            SYSTEM,
            {
                "policy": _quiet_policy(),
                "ci": _ci(),
                "reason": "legacy",
                "expires": timezone.localdate() + dt.timedelta(days=30),
            },
        )

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {
            "policy_id": _quiet_policy("Other quiet policy").pk,
            "ci_id": _ci("harness-other").pk,
            "reason": "migration in progress",
            "expires": (timezone.localdate() + dt.timedelta(days=10)).isoformat(),
        }


class TestAdvisoryVisibility(ReadSurfaceHarness):
    object_type = "security.advisory"

    def make_object(self, site: dict[str, Any]) -> Any:
        _advisories()
        from assetgraph.security.models import Advisory

        return Advisory.objects.get(identifier="CVE-2024-6387")

    def list_url(self, obj: Any) -> str:
        return "/api/security/advisories?limit=1000"

    def detail_url(self, obj: Any) -> str:
        return f"/api/security/advisories/{obj.pk}"


class TestFindingVisibility(ReadSurfaceHarness):
    object_type = "security.finding"

    def make_object(self, site: dict[str, Any]) -> Any:
        _advisories()
        host = _ci()
        cmdb.record_software_install(
            SYSTEM, host, {"publisher": "OpenBSD", "product": "OpenSSH", "version": "9.6p1"}
        )
        services.run_matching(SYSTEM)
        return Finding.objects.get(ci=host)

    def list_url(self, obj: Any) -> str:
        return "/api/security/findings?limit=1000"

    def detail_url(self, obj: Any) -> str:
        return f"/api/security/findings/{obj.pk}"

    def write(self, client: Client, obj: Any) -> Any:
        return client.post(
            f"/api/security/findings/{obj.pk}/status",
            {"status": "in_progress"},
            content_type="application/json",
        )


class TestEndOfLifeCycleVisibility(ReadSurfaceHarness):
    object_type = "security.endoflifecycle"

    def make_object(self, site: dict[str, Any]) -> Any:
        rows = eol.parse_cycles(b'[{"cycle": "20.04", "eol": "2025-05-31"}]')
        eol.import_cycles(SYSTEM, "ubuntu", rows)
        return EndOfLifeCycle.objects.get(cycle="20.04")

    def list_url(self, obj: Any) -> str:
        return "/api/security/eol/cycles?limit=1000"


class TestEvidencePackageVisibility(ReadSurfaceHarness):
    object_type = "security.evidencepackage"

    def make_object(self, site: dict[str, Any]) -> Any:
        evidence.export_evidence(SYSTEM, timezone.now())
        return EvidencePackage.objects.get()

    def list_url(self, obj: Any) -> str:
        return "/api/security/evidence"
