"""Runs from the API (a discovery-scoped token) and the UI (upload), and the pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from assetgraph.audit.models import AuditEvent
from assetgraph.cmdb.models import CI
from tests.importjobs import finish_run, run_jobs

from .conftest import fixture_bytes

pytestmark = pytest.mark.django_db


def _upload(client: Any, source: str, name: str, **params: Any) -> Any:
    query = "&".join(f"{k}={v}" for k, v in {"source": source, **params}.items())
    response = client.post(
        f"/api/discovery/run?{query}",
        {"file": SimpleUploadedFile(name, fixture_bytes(name))},
    )
    return finish_run(client, response) if response.status_code == 202 else response


def test_agent_token_runs_discovery_and_rerun_is_a_no_op(api: Any, sources: Any) -> None:
    client = api("Discovery Agent")
    response = _upload(client, "nmap-dc1", "nmap-subnet.xml")
    assert response.status_code == 200, response.content  # the finished run (after a 202)
    body = response.json()
    assert (body["created"], body["state"]) == (6, "succeeded")
    event = AuditEvent.objects.filter(job_id=body["job_id"]).first()
    assert event is not None and event.source == "discovery" and event.token_id is not None
    again = _upload(client, "nmap-dc1", "nmap-subnet.xml").json()
    assert (again["created"], again["updated"], again["events"]) == (0, 0, 0)
    listed = client.get("/api/discovery/runs").json()
    assert [r["id"] for r in listed["results"]] == [again["id"], body["id"]]
    assert listed["next"] is None
    first = client.get("/api/discovery/runs", {"limit": 1}).json()  # paged, never cut silently
    assert [r["id"] for r in first["results"]] == [again["id"]] and first["next"]
    rest = client.get("/api/discovery/runs", {"limit": 1, "cursor": first["next"]}).json()
    assert ([r["id"] for r in rest["results"]], rest["next"]) == ([body["id"]], None)
    assert client.get("/api/discovery/runs", {"limit": 0}).status_code == 422


@pytest.mark.parametrize(
    ("source", "name"),
    [
        ("aws-prod", "ec2-describe-instances.json"),
        ("sbom-ci", "cyclonedx-1.6.json"),
        ("ansible-prod", "ansible-setup-localhost.json"),
    ],
)
def test_each_format_through_the_api(api: Any, sources: Any, source: str, name: str) -> None:
    client = api("Discovery Agent")
    response = _upload(client, source, name)
    assert response.json()["state"] == "succeeded", response.content
    assert response.json()["created"] >= 1


def test_a_bad_file_fails_its_run_naming_the_problem(api: Any, sources: Any) -> None:
    client = api("Discovery Agent")
    response = _upload(client, "sbom-ci", "cyclonedx-1.3.json")
    assert response.json()["state"] == "failed"
    assert "1.3 is not supported" in response.json()["messages"][0]
    assert not CI.objects.exists()


def test_tokens_without_the_scope_are_refused(api: Any, sources: Any) -> None:
    assert _upload(api("Helpdesk"), "nmap-dc1", "nmap-subnet.xml").status_code in (403, 404)
    read_only = api("Discovery Agent", write=False)
    assert _upload(read_only, "nmap-dc1", "nmap-subnet.xml").status_code == 403
    assert not CI.objects.exists()


def test_unknown_source_is_404(api: Any, sources: Any) -> None:
    assert _upload(api("Discovery Agent"), "nope", "nmap-subnet.xml").status_code == 404


def test_health_api(api: Any, sources: Any) -> None:
    client = api("System Administrator")
    _upload(client, "ansible-prod", "ansible-setup-localhost.json")
    body = client.get("/api/discovery/health").json()
    assert body["overall"]["cis"] == 1
    assert {c["class"] for c in body["classes"]} == {"Virtual Machine"}


def test_upload_page_runs_and_shows_the_run(browser: Any, sources: Any) -> None:
    client = browser("System Administrator")
    assert client.get("/discovery/runs/new/").status_code == 200
    response = client.post(
        "/discovery/runs/new/",
        {
            "source": sources["nmap"].pk,
            "file": SimpleUploadedFile("scan.xml", fixture_bytes("nmap-subnet.xml")),
            "scope": "10.10.0.0/29",
        },
    )
    assert response.status_code == 302
    assert not CI.objects.exists()  # queued for the worker, not run in the request
    run_jobs()
    assert CI.objects.count() == 6
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b"created 6" in page.content
    for url in (
        "/discovery/health/",
        "/discovery/unmanaged/",
        "/discovery/missing/",
        "/discovery/queue/",
        "/discovery/rules/",
        "/discovery/sources/",
    ):
        assert client.get(url).status_code == 200, url
    ci = CI.objects.get(name="core-rtr-01.corp.example")
    detail = client.get(f"/cmdb/cis/{ci.pk}/")
    assert detail.status_code == 200
    assert b"where each value came from" in detail.content


def test_pages_need_permission(browser: Any, sources: Any) -> None:
    client = browser("Read-only")
    assert client.get("/discovery/runs/new/").status_code == 403


def test_identification_rules_are_edited_in_the_ui(browser: Any, sources: Any) -> None:
    from assetgraph.cmdb.models import CIClass
    from assetgraph.discovery.models import IdentificationRule

    client = browser("System Administrator")
    assert client.get("/discovery/rules/add/").status_code == 200
    server = CIClass.objects.get(name="Server")
    response = client.post(
        "/discovery/rules/add/",
        {
            "ci_class": server.pk,
            "priority": 5,
            "attributes": '["hostname", "ip_address"]',
            "active": "on",
            "description": "",
        },
    )
    assert response.status_code == 302, response.content[:500]
    rule = IdentificationRule.objects.get(ci_class=server, priority=5)
    assert rule.attributes == ["hostname", "ip_address"]
    bad = client.post(
        "/discovery/rules/add/",
        {"ci_class": server.pk, "priority": 6, "attributes": '["colour"]', "active": "on"},
    )
    assert bad.status_code in (200, 422)
    assert b"not attributes of Server" in bad.content
    assert not IdentificationRule.objects.filter(priority=6).exists()
