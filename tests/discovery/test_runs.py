"""Runs of each connector on real tool outputs: what is created, idempotence, errors."""

from __future__ import annotations

from typing import Any

import pytest

from assetgraph.audit.models import AuditEvent
from assetgraph.cmdb.models import CI, Relationship, SoftwareInstall
from assetgraph.discovery import services
from assetgraph.discovery.models import AttributeObservation, PackageEvidence, Sighting

from .conftest import FIXTURES, fixture_bytes

pytestmark = pytest.mark.django_db


def _run(system: Any, source: Any, data: Any, **kwargs: Any) -> Any:
    run = services.run_discovery(system, source, data, **kwargs)
    assert run.state == "succeeded", run.messages
    return run


def test_nmap_subnet_creates_devices_ips_and_is_idempotent(system: Any, sources: Any) -> None:
    data = fixture_bytes("nmap-subnet.xml")
    first = _run(system, sources["nmap"], data, scope="10.10.0.0/29")
    # 3 hosts up (router, server, printer) + their 3 IP addresses; the down host is skipped
    assert first.created == 6
    router = CI.objects.get(name="core-rtr-01.corp.example")
    assert router.ci_class.name == "Router"
    assert router.attributes["mac_address"] == "00:1b:54:11:22:01"
    assert router.attributes["vendor"] == "Cisco Systems"
    ports = AttributeObservation.objects.get(ci=router, key="fact.open_ports").value
    assert [p["port"] for p in ports] == [22, 80]  # the filtered telnet port is not open
    assert ports[0]["product"] == "Cisco SSH"
    assert Relationship.objects.filter(source=router, target__name="10.10.0.1").exists()
    events = AuditEvent.objects.count()
    second = _run(system, sources["nmap"], data, scope="10.10.0.0/29")
    assert (second.created, second.updated, second.unchanged) == (0, 0, 6)
    assert second.events == 0
    assert AuditEvent.objects.count() == events
    assert CI.objects.filter(source="nmap-dc1").count() == 6


def test_events_are_attributed_to_discovery_and_the_run(system: Any, sources: Any) -> None:
    run = _run(system, sources["nmap"], fixture_bytes("nmap-localhost.xml"))
    events = AuditEvent.objects.filter(job_id=run.job_id.hex)
    assert events.count() == run.events > 0
    assert set(events.values_list("source", flat=True)) == {"discovery"}


def test_ansible_tree_creates_hosts_with_hardware_and_packages(system: Any, sources: Any) -> None:
    run = _run(system, sources["ansible"], FIXTURES / "ansible-tree")
    assert run.created == 2
    web = CI.objects.get(name="web-01.corp.example")
    assert web.ci_class.name == "Server"
    assert web.attributes["serial_number"] == "SM-7781-2203"
    assert web.attributes["cpu_cores"] == 16
    assert web.attributes["ram_gb"] == 64.0
    assert web.attributes["os"] == "Debian"
    vm = CI.objects.get(name="app-vm-07.corp.example")
    assert vm.ci_class.name == "Virtual Machine"
    interfaces = AttributeObservation.objects.get(ci=vm, key="fact.interfaces").value
    eth0 = next(i for i in interfaces if i["name"] == "eth0")
    assert (eth0["mac"], eth0["ipv4"], eth0["active"]) == (
        "52:54:00:aa:07:07",
        "10.10.0.17/24",
        True,
    )
    bash = SoftwareInstall.objects.get(ci=web, raw_name="bash")
    assert bash.version == "5.2.15-2+b8"
    assert bash.evidence.purl == "pkg:deb/debian/bash@5.2.15-2%2Bb8?arch=amd64"
    assert SoftwareInstall.objects.filter(ci=web).count() == 18
    again = _run(system, sources["ansible"], FIXTURES / "ansible-tree")
    assert (again.created, again.updated, again.events) == (0, 0, 0)
    # a person removes an install the source still reports: the same report records it again
    from assetgraph.cmdb.services import remove_software_install

    remove_software_install(system, bash)
    back = _run(system, sources["ansible"], FIXTURES / "ansible-tree")
    assert back.events == 2  # the install and its evidence
    assert SoftwareInstall.objects.get(ci=web, raw_name="bash").evidence.purl == bash.evidence.purl


def test_single_host_setup_file(system: Any, sources: Any) -> None:
    run = _run(system, sources["ansible"], fixture_bytes("ansible-setup-localhost.json"))
    assert run.created == 1
    ci = CI.objects.get(source="ansible-prod")
    assert ci.attributes["hostname"] == "vm"
    assert ci.attributes["ip_address"] == "192.0.2.2"


def test_nmap_then_ansible_is_one_ci_and_ansible_wins_the_os(system: Any, sources: Any) -> None:
    _run(system, sources["nmap"], fixture_bytes("nmap-subnet.xml"))
    seen = CI.objects.get(name="web-01.corp.example")
    assert seen.attributes["os"] == "Linux 5.0 - 5.14"
    run = _run(system, sources["ansible"], FIXTURES / "ansible-tree" / "setup" / "web-01")
    assert run.created == 0 and run.updated == 1
    seen.refresh_from_db()
    assert seen.attributes["os"] == "Debian"
    assert seen.attributes["serial_number" if "serial_number" in seen.attributes else "os"]
    obs = AttributeObservation.objects.get(ci=seen, key="os")
    assert obs.source == sources["ansible"]
    # nmap again: lower priority, it does not take the OS back
    again = _run(system, sources["nmap"], fixture_bytes("nmap-subnet.xml"))
    seen.refresh_from_db()
    assert seen.attributes["os"] == "Debian"
    assert again.created == 0


def test_manual_edit_wins_until_released(system: Any, sources: Any) -> None:
    from assetgraph.cmdb.services import update_ci

    _run(system, sources["nmap"], fixture_bytes("nmap-subnet.xml"))
    router = CI.objects.get(name="core-rtr-01.corp.example")
    update_ci(system, router, {"attributes": {"os": "IOS XE 17.9"}})
    _run(system, sources["nmap"], fixture_bytes("nmap-subnet.xml"))
    router.refresh_from_db()
    assert router.attributes["os"] == "IOS XE 17.9"
    assert AttributeObservation.objects.get(ci=router, key="os").manual
    assert services.release_manual(system, router, "os") == 1
    _run(system, sources["nmap"], fixture_bytes("nmap-subnet.xml"))
    router.refresh_from_db()
    assert router.attributes["os"] == "Cisco IOS 15.2"


def test_an_unchanged_report_is_only_seen_and_a_change_writes_just_itself(
    system: Any, sources: Any
) -> None:
    import json

    from assetgraph.cmdb.services import update_ci

    source = sources["ansible"]
    data = fixture_bytes("ansible-setup-localhost.json")
    _run(system, source, data)
    ci = CI.objects.get(source="ansible-prod")
    first = Sighting.objects.get(ci=ci, source=source)
    assert first.digest
    observed = list(AttributeObservation.objects.filter(ci=ci).values_list("key", "since"))
    # the same report again: no event, no provenance rewritten, but seen now (staleness)
    again = _run(system, source, data)
    assert (again.created, again.updated, again.unchanged, again.events) == (0, 0, 1, 0)
    seen = Sighting.objects.get(ci=ci, source=source)
    assert seen.last_seen > first.last_seen and seen.digest == first.digest
    assert list(AttributeObservation.objects.filter(ci=ci).values_list("key", "since")) == observed
    # one fact changes: exactly that attribute is written, in one event
    facts = json.loads(data)
    facts["ansible_facts"]["ansible_memtotal_mb"] = 32_768
    changed = _run(system, source, json.dumps(facts).encode())
    assert (changed.updated, changed.events) == (1, 1)
    event = AuditEvent.objects.get(job_id=changed.job_id.hex)
    before, after = event.before["attributes"], event.after["attributes"]
    assert {k for k in after if before.get(k) != after[k]} == {"ram_gb"}
    assert after["ram_gb"] == 32.0
    # a person's edit since the last run: the same report is reconciled in full again
    update_ci(system, CI.objects.get(pk=ci.pk), {"attributes": {"os": "Custom OS"}})
    kept = _run(system, source, json.dumps(facts).encode())
    assert kept.events == 0
    assert CI.objects.get(pk=ci.pk).attributes["os"] == "Custom OS"
    assert AttributeObservation.objects.get(ci=ci, key="os").manual
    assert Sighting.objects.get(ci=ci, source=source).digest == ""  # contested: no skipping


@pytest.mark.parametrize("version", ["1.4", "1.5", "1.6"])
def test_cyclonedx_components_of_an_application(system: Any, sources: Any, version: str) -> None:
    data = fixture_bytes(f"cyclonedx-{version}.json")
    run = _run(system, sources["cyclonedx"], data)
    app = CI.objects.get(name="payments-api")
    assert app.ci_class.name == "Application"
    assert app.attributes["version"] == "2.4.0"
    install = SoftwareInstall.objects.get(ci=app, raw_name="defusedxml")
    assert install.version == "0.7.1"
    evidence = PackageEvidence.objects.get(install=install)
    assert evidence.purl == "pkg:pypi/defusedxml@0.7.1"
    if version == "1.5":
        assert evidence.hashes["SHA-256"].startswith("a352e7e4")
    else:
        assert evidence.licences == ["Python-2.0"]
    assert run.created == 1
    again = _run(system, sources["cyclonedx"], data)
    assert (again.created, again.updated, again.events) == (0, 0, 0)


def test_ec2_resources_with_vpc_subnet_and_tag_rules(system: Any, sources: Any) -> None:
    from assetgraph.org.models import Department

    Department.objects.create(name="Platform", code="platform-team")
    run = _run(system, sources["ec2"], fixture_bytes("ec2-describe-instances.json"))
    assert run.created == 6  # 3 instances, 2 subnets, 1 VPC
    pay = CI.objects.get(name="pay-api-1")
    assert pay.attributes["instance_type"] == "m5.large"
    assert pay.attributes["state"] == "running"
    assert pay.owning_team is not None and pay.owning_team.code == "platform-team"
    assert AttributeObservation.objects.get(ci=pay, key="fact.cost_centre").value == "CC-1001"
    runner = CI.objects.get(name="build-runner")
    assert runner.attributes["state"] == "stopped"
    assert runner.environment == "test"
    subnet = Relationship.objects.get(target=pay, type__name="contains").source
    assert subnet.attributes["resource_type"] == "ec2:subnet"
    assert Relationship.objects.filter(target=subnet, source__attributes__resource_type="ec2:vpc")
    again = _run(system, sources["ec2"], fixture_bytes("ec2-describe-instances.json"))
    assert (again.created, again.updated, again.events) == (0, 0, 0)


def test_full_scan_marks_unseen_cis_absent_and_never_retires(system: Any, sources: Any) -> None:
    _run(system, sources["nmap"], fixture_bytes("nmap-subnet.xml"), scope="dc1", full_scan=True)
    run = _run(
        system, sources["nmap"], fixture_bytes("nmap-localhost.xml"), scope="dc1", full_scan=True
    )
    assert run.absent == 6
    router = CI.objects.get(name="core-rtr-01.corp.example")
    assert router.valid_to is None
    assert Sighting.objects.get(ci=router).absent_since is not None


def test_dry_run_writes_nothing(system: Any, sources: Any) -> None:
    events = AuditEvent.objects.count()
    run = _run(system, sources["nmap"], fixture_bytes("nmap-subnet.xml"), dry_run=True)
    assert run.created == 6
    assert not CI.objects.filter(source="nmap-dc1").exists()
    assert AuditEvent.objects.count() == events


def test_generic_csv_source(system: Any, sources: Any) -> None:
    data = b"class,name,hostname\nServer,csv-host,csv-host\n"
    run = _run(system, sources["csv"], data, filename="cis.csv")
    assert run.created == 1
    event = AuditEvent.objects.get(
        object_type="cmdb.ci", object_id=str(CI.objects.get(name="csv-host").pk)
    )
    assert event.source == "discovery"


def test_package_facts_alone_find_the_host_by_name(system: Any, sources: Any) -> None:
    _run(system, sources["ansible"], FIXTURES / "ansible-tree" / "setup")
    web = CI.objects.get(name="web-01.corp.example")
    assert not SoftwareInstall.objects.filter(ci=web).exists()
    run = _run(system, sources["ansible"], FIXTURES / "ansible-tree" / "packages")
    assert run.created == 0
    assert SoftwareInstall.objects.filter(ci=web).count() == 18


def test_command_line_output_of_several_hosts(system: Any, sources: Any) -> None:
    setup = fixture_bytes("ansible-tree/setup/web-01")
    other = fixture_bytes("ansible-tree/setup/app-vm-07")
    data = b"web-01 | SUCCESS => " + setup + b"\napp-vm-07 | SUCCESS => " + other + b"\n"
    run = _run(system, sources["ansible"], data)
    assert run.created == 2


def test_package_facts_file_uploaded_alone_names_its_host_by_scope(
    system: Any, sources: Any
) -> None:
    run = _run(
        system,
        sources["ansible"],
        fixture_bytes("ansible-package-facts-localhost.json"),
        scope="build-07",
    )
    assert run.created == 1
    ci = CI.objects.get(name="build-07")
    assert SoftwareInstall.objects.filter(ci=ci).count() == 17


def test_a_zipped_tree_uploads_like_a_folder(system: Any, sources: Any) -> None:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted((FIXTURES / "ansible-tree").rglob("*")):
            if path.is_file():
                archive.write(path, str(path.relative_to(FIXTURES)))
    run = _run(system, sources["ansible"], buffer.getvalue())
    assert run.created == 2
    web = CI.objects.get(name="web-01.corp.example")
    assert SoftwareInstall.objects.filter(ci=web).count() == 18


def test_cli_runs_and_fails_with_exit_code_1(db: None) -> None:
    import io

    from django.core.management import call_command
    from django.core.management.base import CommandError

    out = io.StringIO()
    path = str(FIXTURES / "nmap-subnet.xml")
    call_command("discover", "nmap", path, "--source", "cli-nmap", "--scope", "lab", stdout=out)
    assert "created 6" in out.getvalue()
    call_command("discover", "nmap", path, "--source", "cli-nmap", stdout=out)
    assert "unchanged 6" in out.getvalue() and "; 0 events" in out.getvalue()
    with pytest.raises(CommandError) as failed:
        call_command(
            "discover",
            "cyclonedx",
            str(FIXTURES / "cyclonedx-1.3.json"),
            "--source",
            "s",
            stdout=out,
        )
    assert failed.value.returncode == 1
    assert "1.3 is not supported" in out.getvalue()
