"""The variants real tools write: CycloneDX XML from cyclonedx-py, nmap over IPv6, with hosts
down and with -A, Ansible's jsonfile fact cache; their bad forms; the after-run hook.

Every fixture here was written on this machine by the tool itself (cyclonedx-py 7.5,
nmap 7.93, ansible-core 2.19); see tests/discovery/fixtures/README.md.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from assetgraph.audit.models import AuditEvent
from assetgraph.cmdb.models import CI, SoftwareInstall
from assetgraph.discovery import hooks, services
from assetgraph.discovery.connectors.base import ParseError
from assetgraph.discovery.connectors.cyclonedx import parse_cyclonedx
from assetgraph.discovery.connectors.nmap import parse_nmap
from assetgraph.discovery.models import AttributeObservation, PackageEvidence
from tests.importjobs import finish_run, run_jobs

from .conftest import FIXTURES, fixture_bytes

pytestmark = pytest.mark.django_db


def _run(system: Any, source: Any, data: Any, **kwargs: Any) -> Any:
    run = services.run_discovery(system, source, data, **kwargs)
    assert run.state == "succeeded", run.messages
    return run


def _failed(system: Any, source: Any, data: Any, *fragments: str) -> None:
    before = (CI.objects.count(), AuditEvent.objects.count())
    run = services.run_discovery(system, source, data)
    assert run.state == "failed"
    text = " | ".join(run.messages)
    for fragment in fragments:
        assert fragment in text, text
    assert (CI.objects.count(), AuditEvent.objects.count()) == before


def _software(name: str) -> list[tuple[str, str, str, list[str], dict[str, str]]]:
    (item,) = parse_cyclonedx(fixture_bytes(name), application="x")
    assert item.software is not None
    return [(s.name, s.version, s.purl, s.licences, s.hashes) for s in item.software]


# --- CycloneDX XML ---------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.4", "1.5", "1.6"])
def test_cyclonedx_xml_sbom_is_an_application_with_its_components(
    system: Any, sources: Any, version: str
) -> None:
    data = fixture_bytes(f"cyclonedx-{version}.xml")
    run = _run(system, sources["cyclonedx"], data)
    app = CI.objects.get(name="billing-api")
    assert app.ci_class.name == "Application"
    assert app.attributes["version"] == "2.4.1"
    assert run.created == 1
    installs = SoftwareInstall.objects.filter(ci=app)
    assert sorted(installs.values_list("raw_name", "version")) == [
        ("Django", "5.2.8"),
        ("defusedxml", "0.7.1"),
        ("packageurl-python", "0.17.6"),
        ("requests", "2.32.3"),
    ]
    evidence = PackageEvidence.objects.get(install__ci=app, install__raw_name="defusedxml")
    assert evidence.purl == "pkg:pypi/defusedxml@0.7.1"
    assert evidence.hashes == {
        "SHA-256": "a352e7e428770286cc899e2542b6cdaedb2b4953ff269a210103ec58f6198a61"
    }
    spec = AttributeObservation.objects.get(ci=app, key="fact.sbom_spec").value
    assert spec == version
    events = AuditEvent.objects.count()
    again = _run(system, sources["cyclonedx"], data)
    assert (again.created, again.updated, again.events) == (0, 0, 0)
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("version", ["1.4", "1.5", "1.6"])
def test_cyclonedx_xml_reads_like_the_json_of_the_same_sbom(version: str) -> None:
    # cyclonedx-py wrote all of them from the same requirements
    xml = _software(f"cyclonedx-{version}.xml")
    assert len(xml) == 4
    assert xml == _software("cyclonedx-billing-1.6.json")


def test_the_same_sbom_as_xml_after_json_changes_nothing(system: Any, sources: Any) -> None:
    _run(system, sources["cyclonedx"], fixture_bytes("cyclonedx-billing-1.6.json"))
    events = AuditEvent.objects.count()
    again = _run(system, sources["cyclonedx"], fixture_bytes("cyclonedx-1.6.xml"))
    assert (again.created, again.updated, again.events) == (0, 0, 0)
    assert AuditEvent.objects.count() == events
    assert CI.objects.filter(ci_class__name="Application").count() == 1


def test_environment_sbom_without_a_root_component_is_named_by_scope_or_source(
    system: Any, sources: Any
) -> None:
    # `cyclonedx-py environment` writes no metadata.component
    xml = fixture_bytes("cyclonedx-environment-1.5.xml")
    _run(system, sources["cyclonedx"], xml, scope="build-agent")
    assert CI.objects.filter(name="build-agent", ci_class__name="Application").exists()
    _run(system, sources["cyclonedx"], fixture_bytes("cyclonedx-environment-1.6.json"))
    app = CI.objects.get(name="sbom-ci", ci_class__name="Application")
    assert SoftwareInstall.objects.filter(ci=app).exists()
    with pytest.raises(ParseError, match=r"metadata\.component"):
        parse_cyclonedx(xml)


def test_cyclonedx_xml_of_an_unsupported_version(system: Any, sources: Any) -> None:
    data = fixture_bytes("cyclonedx-1.4.xml").replace(b"schema/bom/1.4", b"schema/bom/1.2")
    _failed(system, sources["cyclonedx"], data, "<bom xmlns>", "1.2 is not supported")


def test_cyclonedx_xml_bomb_and_broken_xml(system: Any, sources: Any) -> None:
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE bom [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1"><components><component
type="library"><name>&b;</name></component></components></bom>"""
    _failed(system, sources["cyclonedx"], bomb, "refused")
    data = fixture_bytes("cyclonedx-1.6.xml")
    _failed(system, sources["cyclonedx"], data[: len(data) // 2], "broken XML", "line ")
    _failed(system, sources["cyclonedx"], b"<html><body/></html>", "not a CycloneDX SBOM", "<html>")


def test_cyclonedx_xml_through_the_api(api: Any, sources: Any) -> None:
    client = api("Discovery Agent")
    response = client.post(
        "/api/discovery/run?source=sbom-ci",
        {"file": SimpleUploadedFile("bom.xml", fixture_bytes("cyclonedx-1.6.xml"))},
    )
    run = finish_run(client, response)
    assert run.json()["state"] == "succeeded" and run.json()["created"] == 1
    assert CI.objects.filter(name="billing-api").exists()


# --- nmap variants ---------------------------------------------------------------------------


def test_nmap_ipv6_scan(system: Any, sources: Any) -> None:
    run = _run(system, sources["nmap"], fixture_bytes("nmap-ipv6.xml"))
    assert run.created == 2
    device = CI.objects.get(name="::1", ci_class__name="Computer System")
    assert device.ci_class.name == "Computer System"
    assert device.attributes["ip_address"] == "::1"
    assert CI.objects.filter(ci_class__name="IP Address", name="::1").exists()
    again = _run(system, sources["nmap"], fixture_bytes("nmap-ipv6.xml"))
    assert (again.created, again.updated, again.events) == (0, 0, 0)


def test_nmap_ping_scan_skips_hosts_that_are_down(system: Any, sources: Any) -> None:
    # nmap -sn -v lists 192.0.2.3 as down: it is not a device
    run = _run(system, sources["nmap"], fixture_bytes("nmap-ping-hosts-down.xml"))
    names = set(CI.objects.filter(ci_class__name="IP Address").values_list("name", flat=True))
    assert names == {"127.0.0.1", "192.0.2.1", "192.0.2.2"}
    assert run.created == 6
    gateway = CI.objects.get(name="192.0.2.1", ci_class__name="Computer System")
    assert gateway.attributes["mac_address"] == "02:fc:00:00:00:05"
    # 192.0.2.2 has neither a host name nor a MAC: its address identifies it next time
    again = _run(system, sources["nmap"], fixture_bytes("nmap-ping-hosts-down.xml"))
    assert (again.created, again.updated, again.events) == (0, 0, 0)


def test_nmap_aggressive_scan_with_scripts_and_traceroute(system: Any, sources: Any) -> None:
    _run(system, sources["nmap"], fixture_bytes("nmap-aggressive.xml"))
    host = CI.objects.get(name="localhost")
    assert host.attributes["os"].startswith("Linux")
    ports = AttributeObservation.objects.get(ci=host, key="fact.open_ports").value
    assert ports and all(p["protocol"] == "tcp" and p["port"] > 0 for p in ports)


def test_nmap_host_with_two_macs_and_a_repeated_host() -> None:
    data = fixture_bytes("nmap-subnet.xml").replace(
        b'<address addr="00:1B:54:11:22:01" addrtype="mac"',
        b'<address addr="00:1B:54:11:22:99" addrtype="mac"/>'
        b'<address addr="00:1B:54:11:22:01" addrtype="mac"',
    )
    items = {i.ref: i for i in parse_nmap(data)}
    router = items["host 10.10.0.1"]
    assert router.identifiers["mac_address"] == ["00:1b:54:11:22:99", "00:1b:54:11:22:01"]
    assert router.facts["mac_addresses"] == router.identifiers["mac_address"]
    # the same host listed twice (nmap localhost 127.0.0.1) is one device and one address
    local = fixture_bytes("nmap-localhost.xml")
    start, end = local.index(b"<host "), local.index(b"</host>") + len(b"</host>")
    twice = local[:end] + local[start:end] + local[end:]
    assert [i.ref for i in parse_nmap(twice)] == ["host 127.0.0.1", "ip 127.0.0.1"]


def test_nmap_bad_number_is_named(system: Any, sources: Any) -> None:
    data = fixture_bytes("nmap-localhost.xml").replace(b'portid="', b'portid="x', 1)
    _failed(system, sources["nmap"], data, "<host> #1", "<port portid>", "not a number")


def test_nmap_empty_file(system: Any, sources: Any) -> None:
    _failed(system, sources["nmap"], b"", "broken XML")


# --- Ansible fact cache ----------------------------------------------------------------------


def test_ansible_jsonfile_fact_cache_folder(system: Any, sources: Any) -> None:
    # ansible-playbook with fact_caching=jsonfile (2.19: facts inside a __payload__ string)
    run = _run(system, sources["ansible"], FIXTURES / "ansible-fact-cache")
    assert run.created == 1
    host = CI.objects.get(name="vm")
    assert host.ci_class.name == "Virtual Machine"
    assert host.attributes["os"] == "Debian"
    assert host.attributes["cpu_count"] >= 1
    installs = SoftwareInstall.objects.filter(ci=host)
    assert installs.count() == 5
    evidence = PackageEvidence.objects.get(install__ci=host, install__raw_name="bash")
    assert evidence.purl.startswith("pkg:deb/debian/bash@")
    again = _run(system, sources["ansible"], FIXTURES / "ansible-fact-cache")
    assert (again.created, again.updated, again.events) == (0, 0, 0)


def test_ansible_fact_cache_with_a_broken_payload(system: Any, sources: Any) -> None:
    _failed(system, sources["ansible"], b'{"__payload__": "{\\"ansible_host"}', "__payload__")


# --- after-run hooks -------------------------------------------------------------------------


def test_a_run_that_writes_calls_the_after_run_hooks_with_the_changed_cis(
    system: Any, sources: Any, django_capture_on_commit_callbacks: Any
) -> None:
    calls: list[tuple[int, list[int]]] = []

    def hook(run: Any, ci_ids: list[int]) -> None:
        calls.append((run.pk, ci_ids))

    hooks.after_run(hook)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            first = _run(system, sources["cyclonedx"], fixture_bytes("cyclonedx-1.6.xml"))
        app = CI.objects.get(name="billing-api")
        assert (first.pk, [app.pk]) in calls
        calls.clear()
        with django_capture_on_commit_callbacks(execute=True):
            _run(system, sources["cyclonedx"], fixture_bytes("cyclonedx-1.6.xml"))
            _run(system, sources["cyclonedx"], fixture_bytes("cyclonedx-1.6.xml"), dry_run=True)
        assert calls == []  # nothing changed, nothing to follow
    finally:
        hooks.AFTER_RUN.remove(hook)


def test_security_rematch_is_queued_after_a_discovery_run(
    system: Any, sources: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from assetgraph.events.models import Job

    with django_capture_on_commit_callbacks(execute=True):
        _run(system, sources["cyclonedx"], fixture_bytes("cyclonedx-1.4.xml"))
    app = CI.objects.get(name="billing-api")
    job = Job.objects.get(task="security.match")
    assert job.arguments == {"ci_ids": [app.pk]}
    # what the worker then runs: an incremental match of that CI
    from assetgraph.events.queue import TASKS

    summary = TASKS[job.task](**job.arguments)
    assert isinstance(summary, dict) and summary["matched"] == 0


# --- EC2 as moto answers describe-instances ---------------------------------------------------


def test_ec2_running_stopped_and_terminated_instances(system: Any, sources: Any) -> None:
    import json

    from assetgraph.org.models import Department

    Department.objects.create(name="Platform", code="PLAT")
    data = fixture_bytes("ec2-moto-describe-instances.json")
    run = _run(system, sources["ec2"], data)
    assert run.created == 8  # 5 instances, 2 subnets, 1 VPC
    states = sorted(
        CI.objects.filter(attributes__resource_type="ec2:instance").values_list(
            "attributes__state", flat=True
        )
    )
    assert states == ["running", "running", "running", "stopped", "terminated"]
    tagged = CI.objects.filter(name="web-a")
    assert tagged.count() == 2
    assert {ci.owning_team.name for ci in tagged if ci.owning_team} == {"Platform"}
    assert {ci.environment for ci in tagged} == {"production"}
    cost = AttributeObservation.objects.get(ci=tagged[0], key="fact.cost_centre").value
    assert cost == "CC-1001"
    # what the real API returns once an instance is gone: no subnet, VPC or address
    document = json.loads(data)
    for reservation in document["Reservations"]:
        for instance in reservation["Instances"]:
            if instance["State"]["Name"] == "terminated":
                for key in ("SubnetId", "VpcId", "PrivateIpAddress", "NetworkInterfaces"):
                    instance.pop(key, None)
    document["NextToken"] = "eyJ2IjoyfQ=="
    again = _run(system, sources["ec2"], json.dumps(document).encode())
    assert (again.created, again.updated, again.events) == (0, 0, 0)


# --- retiring by rule -------------------------------------------------------------------------


def test_a_class_policy_rule_retires_cis_absent_and_unseen_for_its_days(
    system: Any, sources: Any
) -> None:
    import datetime as dt

    from assetgraph.discovery.models import ClassPolicy, Sighting

    subnet = fixture_bytes("nmap-subnet.xml")
    _run(system, sources["nmap"], subnet, scope="dc1", full_scan=True)
    run = _run(
        system, sources["nmap"], fixture_bytes("nmap-localhost.xml"), scope="dc1", full_scan=True
    )
    assert run.absent == 6
    router = CI.objects.get(name="core-rtr-01.corp.example")
    long_ago = router.valid_from - dt.timedelta(days=20)
    Sighting.objects.filter(ci=router).update(last_seen=long_ago, absent_since=long_ago)
    # no rule: never retired, however long it is absent
    again = _run(
        system, sources["nmap"], fixture_bytes("nmap-localhost.xml"), scope="dc1", full_scan=True
    )
    router.refresh_from_db()
    assert router.valid_to is None and not any("retired" in m for m in again.messages)
    policy = ClassPolicy.objects.filter(ci_class=router.ci_class).first()
    if policy is None:
        services.create_policy(
            system, {"ci_class_id": router.ci_class_id, "retire_absent_after_days": 14}
        )
    else:
        services.update_policy(system, policy, {"retire_absent_after_days": 14})
    events = AuditEvent.objects.count()
    last = _run(
        system, sources["nmap"], fixture_bytes("nmap-localhost.xml"), scope="dc1", full_scan=True
    )
    router.refresh_from_db()
    assert router.valid_to is not None and router.operational_status == "retired"
    assert "retired: 1 absent CIs (class policy rule)" in last.messages
    retired = AuditEvent.objects.filter(object_id=str(router.pk)).order_by("-id").first()
    assert retired is not None and AuditEvent.objects.count() > events
    assert retired.source == "discovery"
    # the other absent CIs were seen recently: still current
    assert CI.objects.current().filter(name="web-01.corp.example").exists()


def test_retire_rule_must_be_at_least_a_day(system: Any) -> None:
    from assetgraph.core.errors import ValidationFailed
    from assetgraph.discovery.models import ClassPolicy

    policy = ClassPolicy.objects.first()
    assert policy is not None
    with pytest.raises(ValidationFailed, match="retire_absent_after_days"):
        services.update_policy(system, policy, {"retire_absent_after_days": 0})


# --- the UI upload takes each new variant -----------------------------------------------------


@pytest.mark.parametrize(
    ("source", "name", "created"),
    [
        ("sbom-ci", "cyclonedx-1.5.xml", 1),
        ("nmap-dc1", "nmap-ipv6.xml", 2),
        ("aws-prod", "ec2-moto-describe-instances.json", 8),
    ],
)
def test_upload_page_takes_the_real_variants(
    browser: Any, sources: Any, source: str, name: str, created: int
) -> None:
    client = browser("System Administrator")
    chosen = next(s for s in sources.values() if s.name == source)
    for _ in range(2):
        response = client.post(
            "/discovery/runs/new/",
            {"source": chosen.pk, "file": SimpleUploadedFile(name, fixture_bytes(name))},
        )
        assert response.status_code == 302, response.content
        run_jobs()  # every upload is a run for the worker (issue 15)
    assert CI.objects.count() == created  # the second upload created nothing
    from assetgraph.discovery.models import DiscoveryRun

    last = DiscoveryRun.objects.order_by("-id").first()
    assert last is not None and (last.state, last.created, last.events) == ("succeeded", 0, 0)
    page = client.get(response["Location"])
    assert page.status_code == 200 and b"unchanged " in page.content


# --- Ansible: the hosts it could not reach ------------------------------------------------------

UNREACHABLE = (
    b'{"changed": false, "msg": "Failed to connect to the host via ssh: ssh: connect to host'
    b' db-9 port 22: No route to host", "unreachable": true}'
)


def test_unreachable_host_in_a_tree_is_skipped(system: Any, sources: Any, tmp_path: Any) -> None:
    import shutil

    tree = tmp_path / "tree"
    shutil.copytree(FIXTURES / "ansible-tree", tree)
    (tree / "setup" / "db-9").write_bytes(UNREACHABLE)
    run = _run(system, sources["ansible"], tree)
    assert run.created == 2
    assert not CI.objects.filter(name__startswith="db-9").exists()


def test_unreachable_block_in_command_line_output_is_skipped(system: Any, sources: Any) -> None:
    setup = fixture_bytes("ansible-setup-localhost.json")
    output = b"vm | SUCCESS => " + setup + b"\ndb-9 | UNREACHABLE! => " + UNREACHABLE + b"\n"
    run = _run(system, sources["ansible"], output)
    assert run.created == 1
    _failed(system, sources["ansible"], b"db-9 | UNREACHABLE! => " + UNREACHABLE, "db-9")


def test_nmap_multi_homed_host_is_one_device(system: Any, sources: Any) -> None:
    # web-01 answers on a second address that resolves to the same name
    data = fixture_bytes("nmap-subnet.xml")
    start = data.rindex(b"<host ", 0, data.index(b"web-01"))
    end = data.index(b"</host>", start) + len(b"</host>")
    second = (
        data[start:end]
        .replace(b"10.10.0.5", b"10.10.0.9")
        .replace(b"3C:EC:EF:10:20:30", b"3C:EC:EF:10:20:31")
    )
    data = data[:end] + second + data[end:]
    run = _run(system, sources["nmap"], data)
    web = CI.objects.get(name="web-01.corp.example")
    linked = set(
        CI.objects.filter(ci_class__name="IP Address", pk__in=_targets(web)).values_list(
            "name", flat=True
        )
    )
    assert {"10.10.0.9"} <= linked and len(linked) == 2
    facts = AttributeObservation.objects.get(ci=web, key="fact.mac_addresses").value
    assert len(facts) == 2
    assert run.created == 7  # 3 devices, 4 addresses
    again = _run(system, sources["nmap"], data)
    assert (again.created, again.updated, again.events) == (0, 0, 0)


def _targets(ci: Any) -> list[int]:
    from assetgraph.cmdb.models import Relationship

    return list(Relationship.objects.filter(source=ci).values_list("target_id", flat=True))


# --- a large run in the background --------------------------------------------------------------


def _many_hosts(count: int) -> bytes:
    hosts = "".join(
        f'<host><status state="up" reason="echo-reply" reason_ttl="63"/>'
        f'<address addr="10.50.{i // 250}.{i % 250 + 1}" addrtype="ipv4"/>'
        f'<hostnames><hostname name="node-{i:04d}.lab.example" type="PTR"/></hostnames>'
        f"</host>\n"
        for i in range(count)
    )
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE nmaprun>\n'
        b'<nmaprun scanner="nmap" args="nmap -sn 10.50.0.0/22" version="7.93" '
        b'xmloutputversion="1.05">\n' + hosts.encode() + b"</nmaprun>\n"
    )


def test_a_large_run_goes_to_the_background_with_progress(
    system: Any,
    sources: Any,
    settings: Any,
    monkeypatch: Any,
    tmp_path: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from assetgraph.discovery import jobs
    from assetgraph.discovery.models import DiscoveryRun
    from assetgraph.events.models import Job
    from assetgraph.events.worker import Worker
    from assetgraph.framework.jobs import read_progress

    settings.IMPORT_JOBS_INLINE = False
    settings.DATA_DIR = tmp_path
    data = _many_hosts(300)  # 600 items: progress is reported every 500
    monkeypatch.setattr(jobs, "BACKGROUND_BYTES", len(data) - 1)
    run = jobs.start_run(system, sources["nmap"], data, filename="big.xml")
    assert run.state == "running"  # the caller gets the run at once; a worker runs it
    assert run.created == 0 and not CI.objects.exists()
    task = Job.objects.get(task="discovery.run_upload")
    assert task.arguments["run_id"] == run.pk and task.state == "queued"
    Worker().drain()
    task.refresh_from_db()
    assert task.state == "succeeded" and task.result == {"state": "succeeded", "items": 600}
    assert not list((tmp_path / "uploads").iterdir())  # the stored upload is removed
    run = DiscoveryRun.objects.get(pk=run.pk)
    assert (run.state, run.created, run.items) == ("succeeded", 600, 600), run.messages
    progress = read_progress(run.job_id)
    assert progress is not None and (progress.processed, progress.total) == (500, 600)
