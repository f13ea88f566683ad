"""Policies as data (attributes, end of life on a tier-1 path, findings, allow/deny lists,
SPDX expressions), exceptions and trend; end-of-life statuses for OS, software and hardware;
the scheduled tasks."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from assetgraph.cmdb import services as cmdb
from assetgraph.cmdb.models import CI, CIClass, RelationshipType
from assetgraph.core.actor import Actor
from assetgraph.core.errors import ValidationFailed
from assetgraph.security import eol, operations, policies
from assetgraph.security.models import PolicyResult, PolicyRun
from assetgraph.security.policies import _licence_ok

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("policy tests")


def _ci(name: str, klass: str = "Virtual Machine", **values: Any) -> CI:
    return cmdb.create_ci(
        SYSTEM, {"name": name, "ci_class": CIClass.objects.get(name=klass), **values}
    )


@pytest.mark.parametrize(
    ("expression", "ok"),
    [
        ("MIT", True),
        ("GPL-2.0-only", False),
        ("MIT OR GPL-2.0-only", True),  # a choice: take MIT
        ("MIT AND GPL-2.0-only", False),  # both apply
        ("LGPL-3.0-only", False),
        ("Apache-2.0 WITH LLVM-exception", True),
        ("GPL-2.0-or-later WITH Classpath-exception-2.0", False),
        ("(MIT OR Apache-2.0) AND BSD-3-Clause", True),
        ("(MIT AND AGPL-3.0-only) OR MPL-2.0", False),
    ],
)
def test_spdx_expressions_against_copyleft(expression: str, ok: bool) -> None:
    assert _licence_ok(expression, ["copyleft"]) is ok


def test_explicit_licence_denied() -> None:
    assert _licence_ok("MIT OR SSPL-1.0", ["SSPL-1.0"]) is True
    assert _licence_ok("SSPL-1.0", ["SSPL-1.0"]) is False


def test_eol_os_on_a_tier_one_path_with_exception_and_trend() -> None:
    rows = eol.parse_cycles(
        b'[{"cycle": "20.04", "eol": "2025-05-29"}, {"cycle": "24.04", "eol": "2029-05-31"}]'
    )
    eol.import_cycles(SYSTEM, "ubuntu", rows, ["Ubuntu"])
    old = _ci("db-old", attributes={"os": "Ubuntu", "os_version": "20.04"})
    new = _ci("db-new", attributes={"os": "Ubuntu", "os_version": "24.04.1"})
    lone = _ci("lab-old", attributes={"os": "Ubuntu", "os_version": "20.04"})  # no tier-1 service
    service = _ci("Payments", "Business Service", criticality=1)
    depends = RelationshipType.objects.get(name="depends on")
    for host in (old, new):
        cmdb.add_relationship(SYSTEM, {"source": service, "target": host, "type": depends})
    policy = policies.create_policy(
        SYSTEM,
        {
            "name": "No EOL OS on tier 1",
            "scope_class": CIClass.objects.get(name="Computer System"),
            "scope_filter": {"service_tier": 1},
            "condition": {"eol": "os"},
        },
    )
    first = policies.evaluate_policy(SYSTEM, policy, now=timezone.now() - dt.timedelta(days=1))
    assert (first.in_scope, first.passed, first.failed) == (2, 1, 1)
    result = PolicyResult.objects.get(run=first)
    assert (result.ci, result.detail) == (old, "past end of life: Ubuntu 20.04")
    policies.create_exception(
        SYSTEM,
        {
            "policy": policy,
            "ci": old,
            "reason": "migration booked",
            "expires": timezone.localdate() + dt.timedelta(days=3),
        },
    )
    second = policies.evaluate_policy(SYSTEM, policy)
    assert (second.failed, second.exempt) == (0, 1)
    assert list(PolicyRun.objects.filter(policy=policy).values_list("failed", flat=True)) == [0, 1]
    assert lone.pk not in {r.ci_id for r in PolicyResult.objects.all()}
    runs = policies.runs_as_of([policy], timezone.now() - dt.timedelta(hours=1))
    assert runs[policy.pk] == first
    with pytest.raises(ValidationFailed):
        policies.create_exception(
            SYSTEM, {"policy": policy, "ci": new, "reason": "x", "expires": timezone.localdate()}
        )


def test_software_allow_deny_and_findings_conditions() -> None:
    server = _ci("srv-1", "Server")
    cmdb.record_software_install(
        SYSTEM, server, {"publisher": "GNU", "product": "inetutils-telnetd", "version": "2.4"}
    )
    cmdb.record_software_install(
        SYSTEM, server, {"publisher": "nginx", "product": "nginx", "version": "1.24"}
    )
    deny = policies.create_policy(
        SYSTEM,
        {
            "name": "No telnet",
            "scope_class": CIClass.objects.get(name="Server"),
            "condition": {"software": {"deny": ["*telnet*"]}},
        },
    )
    allow = policies.create_policy(
        SYSTEM,
        {
            "name": "Only nginx",
            "scope_class": CIClass.objects.get(name="Server"),
            "condition": {"software": {"allow": ["nginx"]}},
        },
    )
    combined = policies.create_policy(
        SYSTEM,
        {
            "name": "Either",
            "scope_class": CIClass.objects.get(name="Server"),
            "condition": {
                "any": [
                    {"findings": {"severity_at_least": "high", "max": 0}},
                    {"attribute": "environment", "equals": "test"},
                ]
            },
        },
    )
    assert policies.evaluate_policy(SYSTEM, deny).failed == 1
    assert policies.evaluate_policy(SYSTEM, allow).failed == 1
    assert PolicyResult.objects.get(run__policy=allow).detail == (
        "software not on the allow list: inetutils-telnetd"
    )
    assert PolicyResult.objects.get(run__policy=deny).detail == "denied software: inetutils-telnetd"
    assert policies.evaluate_policy(SYSTEM, combined).passed == 1  # no findings: passes


def test_invalid_policies_are_refused() -> None:
    for condition in (
        {},
        {"eol": "firmware"},
        {"all": []},
        {"licences": {"deny": "GPL"}},
        {"software": {}},
    ):
        with pytest.raises(ValidationFailed):
            policies.create_policy(SYSTEM, {"name": f"bad {condition}", "condition": condition})
    with pytest.raises(ValidationFailed):
        policies.create_policy(
            SYSTEM,
            {"name": "bad scope", "scope_filter": {"colour": "red"}, "condition": {"eol": "os"}},
        )


def test_eol_statuses() -> None:
    today = dt.date(2026, 12, 4)
    assert eol.status_of(dt.date(2025, 5, 29), False, today) == ("past", -554)
    assert eol.status_of(dt.date(2027, 4, 1), False, today) == ("nearing", 118)
    assert eol.status_of(dt.date(2029, 5, 31), False, today) == ("supported", 909)
    assert eol.status_of(None, True, today) == ("past", None)
    assert eol.status_of(None, False, today) == ("supported", None)


def test_software_and_hardware_end_of_life(make_asset: Any) -> None:
    rows = eol.parse_cycles(
        b'[{"cycle": "3.8", "eol": "2024-10-07"}, {"cycle": "3.12", "eol": "2028-10-31"}]'
    )
    eol.import_cycles(SYSTEM, "python", rows)
    host = _ci("py-host")
    cmdb.record_software_install(
        SYSTEM, host, {"publisher": "PSF", "product": "Python", "version": "3.8.10"}
    )
    cmdb.record_software_install(
        SYSTEM, host, {"publisher": "PSF", "product": "Python", "version": "3.12.1"}
    )
    report = eol.eol_report(None, today=dt.date(2026, 12, 4))
    software = [(r.version, r.cycle, r.status) for r in report if r.kind == "software"]
    assert sorted(software) == [("3.12.1", "3.12", "supported"), ("3.8.10", "3.8", "past")]
    asset = make_asset()
    asset.eol_date = timezone.localdate() + dt.timedelta(days=10)
    asset.save(update_fields=["eol_date"])
    hardware = [r for r in eol.eol_report(None) if r.kind == "hardware" and r.asset == asset]
    assert [(h.status, h.days_left) for h in hardware] == [("nearing", 10)]


def test_scheduled_tasks_run() -> None:
    policies.create_policy(
        SYSTEM, {"name": "All tagged", "condition": {"attribute": "environment", "exists": True}}
    )
    _ci("srv-x")
    assert operations.evaluate_policies.call() == {"policies": 1, "failed": 0}
    assert operations.match.call()["matched"] == 0
