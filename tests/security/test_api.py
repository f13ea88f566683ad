"""The security API and pages: upload with all-or-nothing errors, findings with filters,
exports and the workflow, blast radius, end of life, policies and evidence; Security owns,
Compliance reads and exports evidence."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from assetgraph.audit.models import AuditEvent
from assetgraph.cmdb import services as cmdb
from assetgraph.cmdb.models import CI, CIClass
from assetgraph.core.actor import Actor
from assetgraph.core.models import ImportJob
from assetgraph.security import feeds, services
from assetgraph.security.models import Advisory, EvidencePackage, Finding
from tests.importjobs import finish_page, post_import

from .conftest import FIXTURES

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("api tests")


def _estate() -> CI:
    services.import_advisories(SYSTEM, feeds.parse_files(feeds.read_path(FIXTURES / "nvd")))
    host = cmdb.create_ci(
        SYSTEM, {"name": "bastion", "ci_class": CIClass.objects.get(name="Virtual Machine")}
    )
    cmdb.record_software_install(
        SYSTEM, host, {"publisher": "OpenBSD", "product": "OpenSSH", "version": "9.6p1"}
    )
    services.run_matching(SYSTEM)
    return host


def test_upload_imports_and_matches(api: Any) -> None:
    client = api("Security")
    host = cmdb.create_ci(
        SYSTEM, {"name": "bastion", "ci_class": CIClass.objects.get(name="Virtual Machine")}
    )
    cmdb.record_software_install(
        SYSTEM, host, {"publisher": "OpenBSD", "product": "OpenSSH", "version": "9.6p1"}
    )
    data = (FIXTURES / "nvd" / "nvdcve-2.0-sample.json").read_bytes()
    response = post_import(
        client, "/api/security/advisories/import", {"file": SimpleUploadedFile("nvd.json", data)}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["matching"]["created"]) == (1, 1)
    again = post_import(
        client, "/api/security/advisories/import", {"file": SimpleUploadedFile("nvd.json", data)}
    )
    assert again.json()["unchanged"] == 1


def test_upload_with_an_error_is_a_422_naming_it_and_writes_nothing(api: Any) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("ok.json", (FIXTURES / "osv" / "GHSA-35jh-r3h4-6jhm.json").read_bytes())
        archive.writestr("broken.json", b"{oops")
    client = api("Security")
    before = AuditEvent.objects.count()
    response = post_import(
        client,
        "/api/security/advisories/import",
        {"file": SimpleUploadedFile("osv.zip", buffer.getvalue())},
    )
    assert response.status_code == 422
    assert "osv.zip:broken.json" in response.json()["error"]["fields"]
    assert Advisory.objects.count() == 0 and AuditEvent.objects.count() == before


def test_compliance_reads_but_cannot_import_or_work_findings(api: Any) -> None:
    finding = Finding.objects.get(ci=_estate())
    client = api("Compliance")
    assert client.get("/api/security/findings").status_code == 200
    data = (FIXTURES / "nvd" / "nvdcve-2.0-sample.json").read_bytes()
    assert (
        client.post(
            "/api/security/advisories/import", {"file": SimpleUploadedFile("n.json", data)}
        ).status_code
        == 403
    )
    response = client.post(
        f"/api/security/findings/{finding.pk}/status",
        {"status": "in_progress"},
        content_type="application/json",
    )
    assert response.status_code == 403
    finding.refresh_from_db()
    assert finding.status == "open"


def test_findings_filters_export_and_workflow(api: Any) -> None:
    host = _estate()
    client = api("Security")
    listing = client.get("/api/security/findings", {"severity": "high", "active": "true"})
    assert [row["ci"]["display"] for row in listing.json()["results"]] == ["bastion"]
    row = listing.json()["results"][0]
    assert row["priority_explanation"]["formula"].startswith("round(100 * base/10")
    assert row["reason"].startswith("9.6p1 matches")
    assert client.get("/api/security/findings", {"severity": "low"}).json()["results"] == []
    export = client.get("/api/security/findings/export", {"format": "csv"})
    assert export.status_code == 200 and b"CVE-2024-6387" in export.content
    finding = Finding.objects.get(ci=host)
    moved = client.post(
        f"/api/security/findings/{finding.pk}/status",
        {"status": "in_progress", "note": "ticket CHG-1"},
        content_type="application/json",
    )
    assert moved.status_code == 200 and moved.json()["status"] == "in_progress"
    until = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    accepted = client.post(
        f"/api/security/findings/{finding.pk}/accept-risk",
        {"reason": "behind VPN", "until": until},
        content_type="application/json",
    )
    assert accepted.status_code == 200, accepted.content
    assert (accepted.json()["status"], accepted.json()["accepted_until"]) == (
        "risk_accepted",
        until,
    )
    past = client.post(
        f"/api/security/findings/{finding.pk}/accept-risk",
        {"reason": "x", "until": "2020-01-01"},
        content_type="application/json",
    )
    assert past.status_code == 422 and "until" in past.json()["error"]["fields"]
    bulk = client.post(
        "/api/security/findings/bulk-status",
        {"ids": [finding.pk], "status": "open"},
        content_type="application/json",
    )
    assert bulk.json() == {"changed": 1}
    missing = client.post(
        "/api/security/findings/bulk-status",
        {"ids": [finding.pk, 999999], "status": "fixed"},
        content_type="application/json",
    )
    assert missing.status_code == 404


def test_blast_radius_by_cve_id(api: Any) -> None:
    host = _estate()
    body = api("Security").get("/api/security/blast-radius", {"advisory": "CVE-2024-6387"}).json()
    assert body["findings"] == 1
    assert [c["name"] for c in body["cis"]] == [host.name]
    assert (
        api("Security").get("/api/security/blast-radius", {"advisory": "CVE-1999-0001"}).status_code
        == 404
    )


def test_end_of_life_import_and_report(api: Any) -> None:
    vm = cmdb.create_ci(
        SYSTEM,
        {
            "name": "old-db",
            "ci_class": CIClass.objects.get(name="Virtual Machine"),
            "attributes": {"os": "Ubuntu", "os_version": "20.04"},
        },
    )
    cycles = json.dumps(
        [
            {"cycle": "20.04", "releaseDate": "2020-04-23", "eol": "2025-05-29"},
            {"cycle": "24.04", "eol": False},
        ]
    ).encode()
    client = api("Security")
    response = post_import(
        client,
        "/api/security/eol/import",
        {"product": "ubuntu", "file": SimpleUploadedFile("ubuntu.json", cycles)},
    )
    assert response.json() == {"created": 2, "updated": 0}
    bad = post_import(
        client,
        "/api/security/eol/import",
        {
            "product": "ubuntu",
            "file": SimpleUploadedFile("u.json", b'[{"cycle": "1", "eol": "someday"}]'),
        },
    )
    assert bad.status_code == 422 and "row 1.eol" in bad.json()["error"]["fields"]
    report = client.get("/api/security/eol/report").json()
    assert [(r["ci"]["display"], r["status"], r["cycle"]) for r in report if r["kind"] == "os"] == [
        (vm.name, "past", "20.04")
    ]


def test_policy_crud_evaluate_and_results(api: Any) -> None:
    cmdb.create_ci(
        SYSTEM,
        {
            "name": "laptop-1",
            "ci_class": CIClass.objects.get(name="Laptop"),
            "attributes": {"encrypted": True},
        },
    )
    cmdb.create_ci(SYSTEM, {"name": "laptop-2", "ci_class": CIClass.objects.get(name="Laptop")})
    client = api("Security")
    laptop = CIClass.objects.get(name="Laptop").pk
    created = client.post(
        "/api/security/policies/",
        {
            "name": "Every laptop encrypted",
            "scope_class_id": laptop,
            "condition": {"attribute": "encrypted", "equals": True},
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    bad = client.post(
        "/api/security/policies/",
        {"name": "Bad", "condition": {"nonsense": 1}},
        content_type="application/json",
    )
    assert bad.status_code == 422 and "condition" in bad.json()["error"]["fields"]
    policy_id = created.json()["id"]
    run = client.post(f"/api/security/policies/{policy_id}/evaluate").json()
    assert (run["in_scope"], run["passed"], run["failed"]) == (2, 1, 1)
    results = client.get(f"/api/security/policies/{policy_id}/results").json()
    assert [(r["ci"]["display"], r["outcome"]) for r in results] == [("laptop-2", "fail")]
    runs = client.get(f"/api/security/policies/{policy_id}/runs").json()
    assert len(runs["results"]) == 1 and runs["next"] is None
    assert api("Compliance").post(f"/api/security/policies/{policy_id}/evaluate").status_code == 403


def test_evidence_export_is_reproducible_with_checksums(api: Any) -> None:
    _estate()
    client = api("Compliance")
    as_of = timezone.now().isoformat()
    first = client.post("/api/security/evidence", {"as_of": as_of}, content_type="application/json")
    second = client.post(
        "/api/security/evidence", {"as_of": as_of}, content_type="application/json"
    )
    assert first.status_code == 200 and first["Content-Type"] == "application/zip"
    sums = []
    for response in (first, second):
        archive = zipfile.ZipFile(io.BytesIO(response.content))
        manifest = json.loads(archive.read("manifest.json"))
        for entry in manifest["files"]:
            assert hashlib.sha256(archive.read(entry["name"])).hexdigest() == entry["sha256"]
        assert manifest["audit_verify"]["ok"] is True
        sums.append(archive.read("SHA256SUMS"))
    assert sums[0] == sums[1]
    assert EvidencePackage.objects.count() == 2
    assert (
        AuditEvent.objects.filter(object_type="security.evidencepackage", action="export").count()
        == 2
    )
    assert (
        api(
            "Security",
        )
        .get("/api/security/evidence")
        .status_code
        == 200
    )
    assert (
        api("Read-only")
        .post("/api/security/evidence", {"as_of": as_of}, content_type="application/json")
        .status_code
        == 403
    )


def test_dashboard_counts(api: Any) -> None:
    _estate()
    body = api("Security").get("/api/security/dashboard").json()
    assert body["by_severity"]["high"] == 1
    assert body["by_status"] == {"open": 1}


def test_pages_for_security_and_compliance(browser: Any) -> None:
    host = _estate()
    finding = Finding.objects.get(ci=host)
    advisory = finding.advisory
    security = browser("Security")
    for url in (
        "/security/",
        "/security/findings/?severity=high",
        f"/security/findings/{finding.pk}/",
        "/security/advisories/",
        f"/security/advisories/{advisory.pk}/",
        "/security/end-of-life/",
        "/security/policy-overview/",
        "/security/policies/",
        "/security/policy-exceptions/",
        "/security/evidence/",
    ):
        response = security.get(url)
        assert response.status_code == 200, (url, response.status_code)
    assert b"9.6p1 matches" in security.get(f"/security/findings/{finding.pk}/").content
    assert security.get("/security/blast-radius/?cve=CVE-2024-6387").status_code == 302
    export = security.get("/security/findings/?format=xlsx")
    assert export.status_code == 200
    bulk = security.post("/security/findings/bulk/", {"ids": [finding.pk], "status": "in_progress"})
    assert bulk.status_code == 302
    finding.refresh_from_db()
    assert finding.status == "in_progress"
    accept = security.post(
        f"/security/findings/{finding.pk}/",
        {
            "action": "accept",
            "reason": "isolated",
            "until": (timezone.localdate() + dt.timedelta(days=5)).isoformat(),
        },
    )
    assert accept.status_code == 302
    finding.refresh_from_db()
    assert finding.status == "risk_accepted"
    compliance = browser("Compliance")
    assert compliance.get("/security/findings/").status_code == 200
    assert (
        compliance.post(
            "/security/findings/bulk/", {"ids": [finding.pk], "status": "open"}
        ).status_code
        == 403
    )
    assert browser("Read-only").get("/security/findings/").status_code == 403


def test_upload_pages_queue_jobs_that_show_every_error(browser: Any) -> None:
    """The feed uploads of the pages run as worker jobs (issue 15): the page checks what is
    cheap (a file is there) and goes to the job's page, which shows the outcome; every bad
    record is named and nothing is written. Others than the starter get a 404."""
    client = browser("Security")
    missing = client.post("/security/advisories/", {})
    assert missing.status_code == 422 and b"file: choose a file to import" in missing.content
    page = finish_page(
        client,
        client.post(
            "/security/advisories/",
            {"file": SimpleUploadedFile("bad.json", b'{"id": "X", "affected": [{}]}')},
        ),
    )
    assert b"bad.json (X) affected[0]" in page.content and not Advisory.objects.exists()
    osv = (FIXTURES / "osv" / "GO-2024-2442.json").read_bytes()
    response = client.post(
        "/security/advisories/", {"file": SimpleUploadedFile("GO-2024-2442.json", osv)}
    )
    job_url = response["Location"]
    page = finish_page(client, response)
    assert b"Imported 1 file(s): 1 new" in page.content
    job = ImportJob.objects.get(state="succeeded")
    event = AuditEvent.objects.get(object_type="security.advisory", action="create")
    assert (event.actor_id, event.source, event.job_id) == (job.user_id, "ui", job.pk.hex)
    assert browser("Security").get(job_url).status_code == 404
    no_product = client.post(
        "/security/end-of-life/", {"file": SimpleUploadedFile("c.json", b"[]")}
    )
    assert no_product.status_code == 422 and b"product: required" in no_product.content
    cycles = b'[{"cycle": "22.04", "eol": "2032-04-01"}]'
    page = finish_page(
        client,
        client.post(
            "/security/end-of-life/",
            {"product": "ubuntu", "file": SimpleUploadedFile("ubuntu.json", cycles)},
        ),
    )
    assert b"1 cycle(s) added, 0 updated." in page.content


def test_exploit_data_upload_raises_priority(api: Any) -> None:
    host = _estate()
    before = Finding.objects.get(ci=host).priority
    client = api("Security")
    kev = (FIXTURES / "kev" / "known_exploited_vulnerabilities.json").read_bytes()
    epss = (FIXTURES / "kev" / "epss_scores.csv").read_bytes()
    response = post_import(
        client,
        "/api/security/advisories/exploit-data",
        {"kev": SimpleUploadedFile("kev.json", kev), "epss": SimpleUploadedFile("epss.csv", epss)},
    )
    assert response.json() == {"changed": 1}  # CVE-2024-6387 gets its EPSS score
    assert Advisory.objects.get(identifier="CVE-2024-6387").epss == pytest.approx(0.94277)
    client.post("/api/security/matching/run")
    finding = Finding.objects.get(ci=host)
    # 100 * 0.81 * (1 + 0.5 * 0.94277) * 1 * 0.9 / 2.535 = 42.3
    assert (before, finding.priority) == (29, 42)
    bad = post_import(
        client,
        "/api/security/advisories/exploit-data",
        {"epss": SimpleUploadedFile("epss.csv", b"cve,epss\nCVE-1,2.5\n")},
    )
    assert bad.status_code == 422 and "epss.csv row 2" in bad.json()["error"]["fields"]
