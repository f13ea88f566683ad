"""NVD "running on/with" configurations: CVE-2022-22965 (Spring4Shell) is affected only
where Spring Framework runs with JDK 9 or later (an AND of a vulnerable node and a platform
node), worked by hand (docs/security.md, "NVD configurations")."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from assetgraph.audit.models import AuditEvent
from assetgraph.cmdb import services as cmdb
from assetgraph.cmdb.models import CI, CIClass
from assetgraph.core.actor import Actor
from assetgraph.security import feeds, nvdconfig, services
from assetgraph.security.models import Advisory, Finding
from tests.importjobs import post_import

from .conftest import FIXTURES

SYSTEM = Actor.system("security tests")
RECORD = FIXTURES / "nvd_and" / "CVE-2022-22965.json"


def _parsed() -> Any:
    outcome = feeds.parse_files(feeds.read_path(RECORD))
    assert outcome.errors == []
    [advisory] = outcome.advisories
    return advisory


def _configuration(position: int = 0) -> dict[str, Any]:
    raw = json.loads(RECORD.read_text())["vulnerabilities"][0]["cve"]["configurations"]
    return nvdconfig.normalise(raw[position], f"configurations[{position}]")


def test_platform_conditions_are_kept_with_the_vulnerable_product() -> None:
    entries = {e.key: e for e in _parsed().affected}
    # the platform (oracle:jdk, vulnerable: false) is no entry of its own
    assert set(entries) == {
        "vmware:spring_framework",
        "cisco:cx_cloud_agent",
        "veritas:access_appliance",
    }
    spring = entries["vmware:spring_framework"]
    assert [(r["start"], r["end"], r["config"]["operator"]) for r in spring.ranges] == [
        ("", "5.2.20", "AND"),
        ("5.3.0", "5.3.18", "AND"),
    ]
    cisco = entries["cisco:cx_cloud_agent"]  # a configuration of one node: no condition
    assert [("config" in r, r["end"]) for r in cisco.ranges] == [(False, "2.1.0")]
    assert entries["veritas:access_appliance"].versions == ["7.4.3", "7.4.3.100", "7.4.3.200"]


SPRING = nvdconfig.Fact(
    "vmware:spring_framework", "5.3.17", "installed VMware Spring Framework 5.3.17"
)
JDK_17 = nvdconfig.Fact("oracle:jdk", "17.0.2", "installed Oracle JDK 17.0.2")
JDK_8 = nvdconfig.Fact("oracle:jdk", "1.8.0", "installed Oracle JDK 1.8.0")


@pytest.mark.parametrize(
    ("facts", "holds"),
    [
        ([SPRING, JDK_17], True),  # 5.3.17 in [5.3.0, 5.3.18) and 17.0.2 >= 9
        ([SPRING, JDK_8], False),  # JDK 8: 1.8.0 < 9
        ([SPRING], False),  # no JDK on the CI
        ([JDK_17], False),  # no Spring
        ([nvdconfig.Fact("vmware:spring_framework", "5.3.18", "x"), JDK_17], False),  # fixed
        ([nvdconfig.Fact("vmware:spring_framework", "5.2.19", "x"), JDK_17], True),  # < 5.2.20
        ([SPRING, nvdconfig.Fact("oracle:jdk", "", "x")], False),  # JDK of unknown version
    ],
)
def test_and_needs_every_node(facts: list[nvdconfig.Fact], holds: bool) -> None:
    assert nvdconfig.evaluate(_configuration(), facts).holds is holds


def test_the_verdict_names_what_satisfied_each_node() -> None:
    verdict = nvdconfig.evaluate(_configuration(), [SPRING, JDK_17])
    assert verdict.parts == (
        "vulnerable: cpe:2.3:a:vmware:spring_framework:*:*:*:*:*:*:*:* (≥ 5.3.0, < 5.3.18) by "
        "installed VMware Spring Framework 5.3.17",
        "platform: cpe:2.3:a:oracle:jdk:*:*:*:*:*:*:*:* (≥ 9) by installed Oracle JDK 17.0.2",
    )


def test_negate_inverts_a_node() -> None:
    # The record's AND with its platform node negated (hand-made: "not on JDK 9+").
    configuration = copy.deepcopy(_configuration())
    configuration["nodes"][1]["negate"] = True
    assert nvdconfig.evaluate(configuration, [SPRING, JDK_8]).holds is True
    assert nvdconfig.evaluate(configuration, [SPRING]).holds is True
    assert nvdconfig.evaluate(configuration, [SPRING, JDK_17]).holds is False
    assert (
        nvdconfig.evaluate(configuration, [SPRING, JDK_8])
        .parts[1]
        .startswith("platform (negated): none of cpe:2.3:a:oracle:jdk")
    )
    configuration["negate"] = True  # and the whole configuration
    assert nvdconfig.evaluate(configuration, [SPRING, JDK_17]).holds is True


def test_an_or_configuration_needs_any_node() -> None:
    configuration = copy.deepcopy(_configuration())
    configuration["operator"] = "OR"
    assert nvdconfig.evaluate(configuration, [SPRING]).holds is True
    assert nvdconfig.evaluate(configuration, [JDK_8]).holds is False


# ------------------------------------------------------------------------------ database
def _host(name: str, software: list[tuple[str, str, str]], cpe: str = "") -> CI:
    attributes = {"cpe": cpe} if cpe else {}
    ci = cmdb.create_ci(
        SYSTEM,
        {
            "name": name,
            "ci_class": CIClass.objects.get(name="Virtual Machine"),
            "attributes": attributes,
        },
    )
    for publisher, product, version in software:
        cmdb.record_software_install(
            SYSTEM, ci, {"publisher": publisher, "product": product, "version": version}
        )
    return ci


@pytest.mark.django_db
def test_spring_is_reported_only_where_it_runs_on_jdk_9_or_later() -> None:
    services.import_advisories(SYSTEM, feeds.parse_files(feeds.read_path(RECORD)))
    spring = ("VMware", "Spring Framework", "5.3.17")
    on_17 = _host("app-jdk17", [spring, ("Oracle", "JDK", "17.0.2")])
    on_8 = _host("app-jdk8", [spring, ("Oracle", "JDK", "1.8.0")])
    alone = _host("app-nojdk", [spring])
    # the platform named by the CI's own cpe attribute (an appliance image's runtime)
    by_attr = _host("app-attr", [spring], cpe="cpe:2.3:a:oracle:jdk:11.0.2:*:*:*:*:*:*:*")
    agent = _host("cx-agent", [("Cisco", "CX Cloud Agent", "2.0")])
    summary = services.run_matching(SYSTEM)
    hit = {f.ci_id: f for f in Finding.objects.filter(advisory__identifier="CVE-2022-22965")}
    assert set(hit) == {on_17.pk, by_attr.pk, agent.pk}
    assert summary.platform_unmet == 2  # app-jdk8 and app-nojdk
    finding = hit[on_17.pk]
    assert finding.package_key == "vmware:spring_framework"
    assert finding.fixed_version == "5.3.18"
    assert finding.reason == (
        "5.3.17 matches cpe:2.3:a:vmware:spring_framework:*:*:*:*:*:*:*:* (≥ 5.3.0, < 5.3.18); "
        "configuration (AND): vulnerable: cpe:2.3:a:vmware:spring_framework:*:*:*:*:*:*:*:* "
        "(≥ 5.3.0, < 5.3.18) by installed VMware Spring Framework 5.3.17 | platform: "
        "cpe:2.3:a:oracle:jdk:*:*:*:*:*:*:*:* (≥ 9) by installed Oracle JDK 17.0.2"
    )
    assert finding.match_detail["configuration"][1].endswith("by installed Oracle JDK 17.0.2")
    assert "conditions" not in finding.match_detail
    assert "by CI cpe attribute cpe:2.3:a:oracle:jdk:11.0.2" in hit[by_attr.pk].reason
    assert (
        hit[agent.pk].reason
        == "2.0 matches cpe:2.3:a:cisco:cx_cloud_agent:*:*:*:*:*:*:*:* (< 2.1.0)"
    )
    assert not Finding.objects.filter(ci__in=[on_8, alone]).exists()


@pytest.mark.django_db
def test_removing_the_platform_closes_the_finding() -> None:
    services.import_advisories(SYSTEM, feeds.parse_files(feeds.read_path(RECORD)))
    host = _host("app", [("VMware", "Spring Framework", "5.3.17"), ("Oracle", "JDK", "17.0.2")])
    services.run_matching(SYSTEM)
    finding = Finding.objects.get(ci=host)
    jdk = host.software.get(product__name__iexact="JDK")
    cmdb.remove_software_install(SYSTEM, jdk)
    services.run_matching(SYSTEM, ci_ids=[host.pk])
    finding.refresh_from_db()
    assert finding.status == "fixed"


@pytest.mark.django_db
def test_a_bad_configuration_is_a_422_naming_it_and_writes_nothing(api: Any) -> None:
    doc = json.loads(RECORD.read_text())
    doc["vulnerabilities"][0]["cve"]["configurations"][0]["nodes"][1]["operator"] = "XOR"
    client = api("Security")
    before = AuditEvent.objects.count()
    response = post_import(
        client,
        "/api/security/advisories/import",
        {"file": SimpleUploadedFile("nvd.json", json.dumps(doc).encode())},
    )
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert list(fields) == ["nvd.json (CVE-2022-22965) configurations[0] nodes[1]"]
    assert "operator" in fields["nvd.json (CVE-2022-22965) configurations[0] nodes[1]"][0]
    assert Advisory.objects.count() == 0 and AuditEvent.objects.count() == before


@pytest.mark.django_db
def test_api_import_reports_git_only_advisories(api: Any) -> None:
    data = (FIXTURES / "git" / "OSV-2024-555.yaml").read_bytes()
    response = post_import(
        api("Security"),
        "/api/security/advisories/import",
        {"file": SimpleUploadedFile("osv.yaml", data)},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["git_only"], body["git_only_advisories"]) == (1, ["OSV-2024-555"])
    assert body["matching"]["git_only"] == 1
