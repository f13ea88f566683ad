"""Malformed and hostile files: a clear error naming the element or row, nothing written."""

from __future__ import annotations

from typing import Any

import pytest

from assetgraph.audit.models import AuditEvent
from assetgraph.cmdb.models import CI
from assetgraph.discovery import services

from .conftest import FIXTURES, fixture_bytes

pytestmark = pytest.mark.django_db

XML_BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<nmaprun><host><status state="up"/><address addr="&lol3;" addrtype="ipv4"/></host></nmaprun>
"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE nmaprun [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<nmaprun><host><status state="up"/><address addr="&xxe;" addrtype="ipv4"/></host></nmaprun>
"""


def _failed(system: Any, source: Any, data: Any, *fragments: str) -> Any:
    before = (CI.objects.count(), AuditEvent.objects.count())
    run = services.run_discovery(system, source, data)
    assert run.state == "failed"
    text = " | ".join(run.messages)
    for fragment in fragments:
        assert fragment in text, text
    assert (CI.objects.count(), AuditEvent.objects.count()) == before
    return run


def test_broken_xml_names_the_line(system: Any, sources: Any) -> None:
    data = fixture_bytes("nmap-subnet.xml")
    broken = data[: data.index(b"<host starttime", 1200) + 40]
    _failed(system, sources["nmap"], broken, "broken XML", "line ")


def test_xml_bomb_is_refused(system: Any, sources: Any) -> None:
    _failed(system, sources["nmap"], XML_BOMB, "refused", "Entit")


def test_external_entity_is_refused(system: Any, sources: Any) -> None:
    _failed(system, sources["nmap"], EXTERNAL_ENTITY, "refused")


def test_not_an_nmap_report(system: Any, sources: Any) -> None:
    _failed(system, sources["nmap"], b"<html><body/></html>", "<html>", "<nmaprun>")


def test_bad_mac_names_the_host(system: Any, sources: Any) -> None:
    data = fixture_bytes("nmap-subnet.xml").replace(b"00:1B:54:11:22:01", b"zz:zz", 2)
    _failed(system, sources["nmap"], data, "<host> #1", "not a MAC address")


def test_truncated_json_names_the_position(system: Any, sources: Any) -> None:
    data = fixture_bytes("ec2-describe-instances.json")[:700]
    _failed(system, sources["ec2"], data, "not valid JSON", "line ")


def test_truncated_ansible_facts(system: Any, sources: Any) -> None:
    data = fixture_bytes("ansible-setup-localhost.json")[:500]
    _failed(system, sources["ansible"], data, "not valid JSON")


def test_ansible_file_without_facts(system: Any, sources: Any) -> None:
    _failed(system, sources["ansible"], b'{"changed": false}', "no ansible_facts")


def test_sbom_of_a_wrong_spec_version(system: Any, sources: Any) -> None:
    _failed(
        system,
        sources["cyclonedx"],
        fixture_bytes("cyclonedx-1.3.json"),
        "specVersion",
        "1.3 is not supported",
    )


def test_not_a_cyclonedx_document(system: Any, sources: Any) -> None:
    _failed(system, sources["cyclonedx"], b'{"spdxVersion": "SPDX-2.3"}', "bomFormat")


def test_ec2_instance_without_id_names_it(system: Any, sources: Any) -> None:
    data = b'{"Reservations": [{"Instances": [{"InstanceType": "t3.micro"}]}]}'
    _failed(system, sources["ec2"], data, "Reservations[0].Instances[0].InstanceId")


def test_an_invalid_value_fails_the_whole_run(system: Any, sources: Any) -> None:
    data = fixture_bytes("ec2-describe-instances.json").replace(
        b'"PrivateIpAddress": "10.20.1.4"', b'"PrivateIpAddress": "10.20.1.999"'
    )
    _failed(system, sources["ec2"], data, "attr.ip_address", "not an IP address")


def test_csv_row_error_is_named(system: Any, sources: Any) -> None:
    data = b"class,name\nServer,ok-one\nNoSuchClass,bad\n"
    _failed(system, sources["csv"], data, "row 3", "unknown class")


def test_empty_tree_folder(system: Any, sources: Any, tmp_path: Any) -> None:
    _failed(system, sources["ansible"], tmp_path, "no facts files")
    assert FIXTURES.exists()
