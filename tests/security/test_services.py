"""Advisory import, matching against real SBOMs and package lists, findings and their
workflow, exposure through the dependency graph and priority (services, database)."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from typing import Any

import pytest
from django.utils import timezone

from assetgraph.audit.models import AuditEvent
from assetgraph.cmdb import services as cmdb
from assetgraph.cmdb.models import CI, CIClass, RelationshipType, SoftwareInstall
from assetgraph.core.actor import Actor
from assetgraph.core.errors import ValidationFailed
from assetgraph.discovery import services as discovery
from assetgraph.security import feeds, services
from assetgraph.security.models import Advisory, AffectedPackage, Finding

from .conftest import DISCOVERY_FIXTURES, FIXTURES

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("security tests")


def _import(path: Any) -> services.ImportResult:
    return services.import_advisories(SYSTEM, feeds.parse_files(feeds.read_path(path)))


def _sbom(version: str = "1.4") -> CI:
    """The payments-api application and its components from a real CycloneDX SBOM."""
    source = discovery.create_source(SYSTEM, {"name": "sbom-ci", "connector": "cyclonedx"})
    run = discovery.run_discovery(
        SYSTEM, source, (DISCOVERY_FIXTURES / f"cyclonedx-{version}.json").read_bytes()
    )
    assert run.state == "succeeded", run.messages
    return CI.objects.get(name="payments-api")


# ------------------------------------------------------------------------------ import
def test_import_folder_of_osv_json_and_yaml_and_nvd() -> None:
    result = _import(FIXTURES / "osv")
    assert (result.files, result.created, result.withdrawn) == (9, 9, 1)
    nvd = _import(FIXTURES / "nvd")
    assert nvd.created == 1
    log4j = Advisory.objects.get(identifier="GHSA-jfh8-c2jp-5v3q")
    assert (log4j.severity, log4j.cvss_score, log4j.aliases) == (
        "critical",
        10.0,
        ["CVE-2021-44228"],
    )
    assert AffectedPackage.objects.filter(advisory=log4j).count() == 3
    setuptools = Advisory.objects.get(identifier="GHSA-r9hx-vwmv-q579")  # the YAML one
    assert (setuptools.severity, setuptools.cvss_score) == ("high", 7.5)
    ssh = Advisory.objects.get(identifier="CVE-2024-6387")
    assert (ssh.source, ssh.severity, ssh.cvss_score) == ("nvd", "high", 8.1)
    assert set(AffectedPackage.objects.filter(advisory=ssh).values_list("key", flat=True)) == {
        "openbsd:openssh",
        "debian:debian_linux",
        "netapp:e-series_santricity_os_controller",
    }
    events = AuditEvent.objects.filter(object_type="security.advisory", action="create")
    assert events.count() == 10


def test_reimport_updates_in_place_and_honours_withdrawal(tmp_path: Any) -> None:
    _import(FIXTURES / "osv")
    again = _import(FIXTURES / "osv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 9)
    record = json.loads((FIXTURES / "osv" / "GHSA-h5c8-rqwp-cp95.json").read_text())
    record["modified"] = "2024-06-01T00:00:00Z"
    record["withdrawn"] = "2024-06-01T00:00:00Z"
    (tmp_path / "jinja.json").write_text(json.dumps(record))
    changed = _import(tmp_path)
    assert (changed.created, changed.updated, changed.withdrawn) == (0, 1, 1)
    assert Advisory.objects.filter(identifier="GHSA-h5c8-rqwp-cp95").count() == 1
    assert Advisory.objects.get(identifier="GHSA-h5c8-rqwp-cp95").withdrawn is not None
    assert AuditEvent.objects.filter(object_type="security.advisory", action="update").count() == 1


def test_zip_of_an_ecosystem_export() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted((FIXTURES / "osv").iterdir()):
            archive.writestr(f"PyPI/{path.name}", path.read_bytes())
    outcome = feeds.parse_files(feeds.read_files("PyPI.zip", buffer.getvalue()))
    result = services.import_advisories(SYSTEM, outcome)
    assert result.created == 9


def test_any_bad_record_refuses_the_whole_upload(tmp_path: Any) -> None:
    (tmp_path / "good.json").write_text((FIXTURES / "osv" / "GHSA-35jh-r3h4-6jhm.json").read_text())
    (tmp_path / "bad.json").write_text(json.dumps({"id": "X-1", "affected": [{"ranges": []}]}))
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        _import(tmp_path)
    assert any("bad.json" in key and "affected[0]" in key for key in caught.value.fields)
    assert Advisory.objects.count() == 0
    assert AuditEvent.objects.count() == before


# ------------------------------------------------------------------------------ matching
def test_real_sbom_matches_pip_and_setuptools_with_reasons() -> None:
    _import(FIXTURES / "osv")
    app = _sbom()
    summary = services.run_matching(SYSTEM)
    findings = {f.advisory.identifier: f for f in Finding.objects.filter(ci=app)}
    # pip 23.2.1 < 23.3 and setuptools 65.5.0 < 65.5.1; defusedxml and packageurl unaffected
    assert set(findings) == {"GHSA-mq26-g339-26xf", "GHSA-r9hx-vwmv-q579"}
    assert summary.created == 2
    pip = findings["GHSA-mq26-g339-26xf"]
    assert pip.installed_version == "23.2.1"
    assert pip.fixed_version == "23.3"
    assert pip.reason == "23.2.1 is in the ECOSYSTEM range of PyPI: introduced 0, fixed 23.3"
    assert pip.package == "pkg:pypi/pip@23.2.1"
    assert pip.due_date == timezone.localdate() + dt.timedelta(days=90)  # medium: 90 days
    assert AuditEvent.objects.filter(object_type="security.finding", action="create").count() == 2
    again = services.run_matching(SYSTEM)
    assert (again.created, again.refreshed, again.closed) == (0, 2, 0)


def test_cpe_on_a_ci_and_an_install_without_purl() -> None:
    _import(FIXTURES / "nvd")
    vm = CIClass.objects.get(name="Virtual Machine")
    host = cmdb.create_ci(
        SYSTEM,
        {
            "name": "bastion",
            "ci_class": vm,
            "attributes": {"cpe": "cpe:2.3:o:debian:debian_linux:12.0:*:*:*:*:*:*:*"},
        },
    )
    cmdb.record_software_install(
        SYSTEM, host, {"publisher": "OpenBSD", "product": "OpenSSH", "version": "9.6p1"}
    )
    services.run_matching(SYSTEM)
    found = {f.package_key: f for f in Finding.objects.filter(ci=host)}
    assert set(found) == {"debian:debian_linux", "openbsd:openssh"}
    assert found["openbsd:openssh"].reason.startswith("9.6p1 matches cpe:2.3:a:openbsd:openssh")
    assert found["openbsd:openssh"].fixed_version == "9.8"
    assert found["debian:debian_linux"].matched_by == "cpe"


def _chain(app: CI) -> dict[str, CI]:
    """Finance (tier 1 service) → lb (internet-facing) → web → the app."""
    depends = RelationshipType.objects.get(name="depends on")
    lb = cmdb.create_ci(
        SYSTEM,
        {
            "name": "lb-edge",
            "ci_class": CIClass.objects.get(name="Load Balancer"),
            "attributes": {"internet_facing": True},
        },
    )
    web = cmdb.create_ci(
        SYSTEM, {"name": "web-tier", "ci_class": CIClass.objects.get(name="Application")}
    )
    service = cmdb.create_ci(
        SYSTEM,
        {
            "name": "Finance",
            "ci_class": CIClass.objects.get(name="Business Service"),
            "criticality": 1,
        },
    )
    for source, target in ((service, lb), (lb, web), (web, app)):
        cmdb.add_relationship(SYSTEM, {"source": source, "target": target, "type": depends})
    return {"lb": lb, "web": web, "service": service}


def test_exposure_and_priority_through_the_graph() -> None:
    _import(FIXTURES / "osv")
    app = _sbom()
    chain = _chain(app)
    services.import_exploit_data(SYSTEM, epss={"CVE-2022-40897": 0.2})
    services.run_matching(SYSTEM)
    finding = Finding.objects.get(ci=app, advisory__identifier="GHSA-r9hx-vwmv-q579")
    assert finding.internet_exposed
    assert [step["name"] for step in finding.exposure["internet_path"]] == [
        "lb-edge",
        "web-tier",
        "payments-api",
    ]
    assert finding.service_tier == 1
    assert finding.exposure["services"][0]["name"] == "Finance"
    # 100 * 7.5/10 * (1 + 0.5 * 0.2) * 1.3 * 1.3 / 2.535 = 55.0
    assert finding.priority == 55 and finding.priority_band == "P2"
    explanation = finding.priority_explanation
    assert (
        explanation["exploit"]["value"],
        explanation["exposure"]["value"],
        explanation["criticality"]["value"],
    ) == (1.1, 1.3, 1.3)
    pip = Finding.objects.get(ci=app, advisory__identifier="GHSA-mq26-g339-26xf")
    # CVSS 5.5 (AV:L): 100 * 0.55 * 1 (no exploit data) * 1.3 * 1.3 / 2.535 = 36.7 → 37
    assert (pip.priority, pip.priority_band) == (37, "P3")
    assert chain["lb"].pk in {s["id"] for s in pip.exposure["internet_path"]}


def test_priority_without_exposure() -> None:
    _import(FIXTURES / "osv")
    app = _sbom()
    services.run_matching(SYSTEM)
    pip = Finding.objects.get(ci=app, advisory__identifier="GHSA-mq26-g339-26xf")
    # 100 * 0.55 * 1 * 1 (no internet path) * 0.9 (no business service) / 2.535 = 19.5
    assert (pip.priority, pip.priority_band, pip.internet_exposed) == (20, "P4", False)


# ------------------------------------------------------------------------------ workflow
def test_fixed_version_closes_and_downgrade_reopens() -> None:
    _import(FIXTURES / "osv")
    app = _sbom()
    services.run_matching(SYSTEM)
    install = SoftwareInstall.objects.get(ci=app, raw_name="setuptools")
    evidence = install.evidence
    finding = Finding.objects.get(ci=app, advisory__identifier="GHSA-r9hx-vwmv-q579")
    # the host is patched: discovery reports setuptools 65.5.1
    evidence.purl = "pkg:pypi/setuptools@65.5.1"
    evidence.save()
    summary = services.run_matching(SYSTEM, ci_ids=[app.pk])
    finding.refresh_from_db()
    assert summary.closed == 1
    assert (finding.status, finding.resolution) == ("fixed", "fixed version 65.5.1 seen")
    assert AuditEvent.objects.filter(
        object_type="security.finding", object_id=str(finding.pk), action="auto_close"
    ).exists()
    evidence.purl = "pkg:pypi/setuptools@65.5.0"
    evidence.save()
    summary = services.run_matching(SYSTEM, ci_ids=[app.pk])
    finding.refresh_from_db()
    assert (summary.reopened, finding.status, finding.reopened_count) == (1, "open", 1)


def test_software_gone_closes_the_finding() -> None:
    _import(FIXTURES / "osv")
    app = _sbom()
    services.run_matching(SYSTEM)
    cmdb.remove_software_install(SYSTEM, SoftwareInstall.objects.get(ci=app, raw_name="pip"))
    services.run_matching(SYSTEM)
    finding = Finding.objects.get(ci=app, advisory__identifier="GHSA-mq26-g339-26xf")
    assert (finding.status, finding.resolution) == ("fixed", "software no longer present")


def test_withdrawn_advisory_closes_its_findings(tmp_path: Any) -> None:
    _import(FIXTURES / "osv")
    app = _sbom()
    services.run_matching(SYSTEM)
    record = json.loads((FIXTURES / "osv" / "GHSA-mq26-g339-26xf.json").read_text())
    record["withdrawn"] = "2024-06-01T00:00:00Z"
    (tmp_path / "pip.json").write_text(json.dumps(record))
    _import(tmp_path)
    services.run_matching(SYSTEM)
    finding = Finding.objects.get(ci=app, advisory__identifier="GHSA-mq26-g339-26xf")
    assert (finding.status, finding.resolution) == ("fixed", "advisory withdrawn")


def test_risk_acceptance_is_audited_and_expires(make_user: Any) -> None:
    _import(FIXTURES / "osv")
    app = _sbom()
    services.run_matching(SYSTEM)
    finding = Finding.objects.get(ci=app, advisory__identifier="GHSA-mq26-g339-26xf")
    approver = make_user("Security")
    with pytest.raises(ValidationFailed) as caught:
        services.accept_risk(
            SYSTEM, finding, reason="", until=timezone.localdate(), approver=approver
        )
    assert set(caught.value.fields) == {"reason", "until"}
    until = timezone.localdate() + dt.timedelta(days=30)
    services.accept_risk(
        SYSTEM, finding, reason="Mercurial is not installed", until=until, approver=approver
    )
    finding.refresh_from_db()
    assert (finding.status, finding.accepted_by, finding.accepted_until) == (
        "risk_accepted",
        approver,
        until,
    )
    event = AuditEvent.objects.get(
        object_type="security.finding", object_id=str(finding.pk), action="accept_risk"
    )
    assert event.after["accepted_reason"] == "Mercurial is not installed"
    services.run_matching(SYSTEM)
    finding.refresh_from_db()
    assert finding.status == "risk_accepted"
    services.run_matching(SYSTEM, now=timezone.now() + dt.timedelta(days=31))
    finding.refresh_from_db()
    assert finding.status == "open"


def test_status_transitions() -> None:
    _import(FIXTURES / "osv")
    app = _sbom()
    services.run_matching(SYSTEM)
    finding = Finding.objects.filter(ci=app).first()
    assert finding is not None
    services.set_finding_status(SYSTEM, finding, "in_progress")
    services.set_finding_status(SYSTEM, finding, "fixed", "patched by hand")
    assert (finding.status, finding.resolution) == ("fixed", "patched by hand")
    from assetgraph.core.errors import Conflict

    with pytest.raises(Conflict):
        services.set_finding_status(SYSTEM, finding, "in_progress")
    with pytest.raises(ValidationFailed):
        services.set_finding_status(SYSTEM, finding, "risk_accepted")
    assert services.bulk_set_status(SYSTEM, list(Finding.objects.filter(ci=app)), "open") == 1
