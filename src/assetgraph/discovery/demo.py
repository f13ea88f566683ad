"""Demo story 5: "the CMDB keeps itself current, and says how healthy it is".

Runs after the CMDB and changes demos (``DEMO_APPS``). One data source per format feeds the
demo estate through the real connectors (the files are built here in each tool's own
format, from the estate), so every write has its audit trail and every value its source:

* **ansible-aus1** (Ansible facts of three servers, with packages): matched to the servers by
  serial number; fills what was empty (CPU cores, MAC address, disks) and their software
  with package URLs, while the values entered by hand (the OS) stay: a manual value wins;
* **nmap-mgmt** (an nmap scan of the management network): re-finds the same servers by
  host name + domain (creating nothing) and finds **three unmanaged devices** (two printers
  and a switch nobody registered);
* **the ambiguous match**: ``lab-db-01`` was entered twice by hand; its Ansible facts match
  both by host name + domain, so the item waits in the **reconciliation queue**;
* **sbom-pipeline** (a CycloneDX 1.6 SBOM of the CRM application's build): its components;
* **aws-prod** (EC2 describe-instances): three instances in a VPC, owner and cost centre
  from tags;
* **a stale server**: the fourth server (``dwh-db-02``) was last seen by Ansible 45 days
  ago (servers go stale after 30), so it is stale on the health dashboard and its asset is
  on the missing list;
* **health**: two compliance rules (production servers have an owning team; tier-1 servers'
  hardware is under support) and two weeks of daily snapshots: correctness climbed as
  discovery merged the hand-made duplicates, and the story line names what to fix next.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from assetgraph.cmdb.models import CI, CIClass
from assetgraph.cmdb.services import create_ci

from . import health, services
from .models import HealthSnapshot, Sighting

if TYPE_CHECKING:
    from assetgraph.core.actor import Actor
    from assetgraph.demo.generator import DemoContext

DOMAIN = "aus1.example.internal"
PACKAGES = [
    ("postgresql-15", "15.8-0+deb12u1"),
    ("openssl", "3.0.15-1~deb12u1"),
    ("openssh-server", "1:9.2p1-2+deb12u3"),
    ("bash", "5.2.15-2+b7"),
    ("curl", "7.88.1-10+deb12u8"),
]


def _facts(name: str, serial: str, ip: str, mac: str, guest: bool = False) -> dict[str, Any]:
    """What ``ansible HOST -m setup`` reports (the keys the connector reads)."""
    return {
        "ansible_facts": {
            "ansible_hostname": name,
            "ansible_nodename": name,
            "ansible_fqdn": f"{name}.{DOMAIN}",
            "ansible_domain": DOMAIN,
            "ansible_default_ipv4": {"address": ip, "macaddress": mac, "interface": "eth0"},
            "ansible_all_ipv4_addresses": [ip],
            "ansible_interfaces": ["lo", "eth0"],
            "ansible_eth0": {
                "active": True,
                "device": "eth0",
                "macaddress": mac,
                "type": "ether",
                "ipv4": {"address": ip, "prefix": "24"},
            },
            "ansible_distribution": "Debian",
            "ansible_distribution_version": "12.7",
            "ansible_processor_vcpus": 32,
            "ansible_processor_cores": 16,
            "ansible_memtotal_mb": 262_144,
            "ansible_devices": {
                "sda": {"sectors": 3_750_748_848, "sectorsize": "512", "model": "PERC H755"}
            },
            "ansible_product_serial": serial if not guest else "NA",
            "ansible_product_uuid": "4c4c4544-0000-1111-2222-lab0db010001" if guest else "NA",
            "ansible_system_vendor": "Dell Inc." if not guest else "QEMU",
            "ansible_product_name": "PowerEdge R760" if not guest else "Standard PC",
            "ansible_virtualization_role": "guest" if guest else "host",
            "ansible_architecture": "x86_64",
            "ansible_kernel": "6.1.0-26-amd64",
            "packages": {
                n: [{"name": n, "version": v, "arch": "amd64", "source": "apt"}]
                for n, v in PACKAGES
            },
        },
        "changed": False,
    }


def _nmap(hosts: list[tuple[str, str, str, str, str]]) -> bytes:
    """An ``nmap -sV -O -oX`` report: (ip, mac, vendor, fqdn, os class type)."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE nmaprun>\n'
        '<nmaprun scanner="nmap" args="nmap -sV -O -oX mgmt.xml 10.20.0.0/24" '
        'version="7.93" xmloutputversion="1.05">'
    ]
    for ip, mac, vendor, fqdn, kind in hosts:
        name = f'<hostname name="{fqdn}" type="PTR"/>' if fqdn else ""
        osname = {"printer": "HP LaserJet printer", "switch": "Cisco IOS 15.2"}.get(
            kind, "Linux 5.0 - 5.14"
        )
        parts.append(
            f'<host><status state="up" reason="arp-response"/>'
            f'<address addr="{ip}" addrtype="ipv4"/>'
            f'<address addr="{mac}" addrtype="mac" vendor="{vendor}"/>'
            f"<hostnames>{name}</hostnames><ports>"
            f'<port protocol="tcp" portid="22"><state state="open"/>'
            f'<service name="ssh" product="OpenSSH" version="9.2p1"/></port></ports>'
            f'<os><osmatch name="{osname}" accuracy="96"><osclass type="{kind}" '
            f'vendor="{vendor.split()[0]}" osfamily="Linux" accuracy="96"/></osmatch></os></host>'
        )
    parts.append("</nmaprun>")
    return "".join(parts).encode()


def _sbom(application: str) -> bytes:
    """A CycloneDX 1.6 SBOM as cyclonedx-py writes it."""
    components = [
        ("django", "5.2.7", "BSD-3-Clause"),
        ("psycopg", "3.2.10", "LGPL-3.0-only"),
        ("requests", "2.32.3", "Apache-2.0"),
        ("urllib3", "2.2.3", "MIT"),
    ]
    return json.dumps(
        {
            "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
            "version": 1,
            "metadata": {
                "component": {
                    "bom-ref": "root-component",
                    "type": "application",
                    "name": application,
                    "version": "4.2.0",
                }
            },
            "components": [
                {
                    "bom-ref": f"{n}=={v}",
                    "type": "library",
                    "name": n,
                    "version": v,
                    "purl": f"pkg:pypi/{n}@{v}",
                    "licenses": [{"license": {"id": lic}}],
                }
                for n, v, lic in components
            ],
        }
    ).encode()


def _ec2() -> bytes:
    """``aws ec2 describe-instances`` output for three instances in one VPC."""
    instances = [
        ("i-0a1b2c3d4e5f00001", "crm-web-1", "m6i.large", "running", "subnet-0aa1", "CRM"),
        ("i-0a1b2c3d4e5f00002", "crm-web-2", "m6i.large", "running", "subnet-0bb2", "CRM"),
        ("i-0a1b2c3d4e5f00003", "etl-batch", "c6i.2xlarge", "stopped", "subnet-0aa1", "BI"),
    ]
    return json.dumps(
        {
            "Reservations": [
                {
                    "ReservationId": f"r-{i:017x}",
                    "OwnerId": "210987654321",
                    "Instances": [
                        {
                            "InstanceId": iid,
                            "InstanceType": itype,
                            "State": {"Code": 16, "Name": state},
                            "Placement": {"AvailabilityZone": "ap-southeast-2a"},
                            "PrivateIpAddress": f"10.80.{i}.10",
                            "SubnetId": subnet,
                            "VpcId": "vpc-0prod0001",
                            "ImageId": "ami-0123456789abcdef0",
                            "LaunchTime": "2026-11-02T08:15:00+00:00",
                            "Tags": [
                                {"Key": "Name", "Value": name},
                                {"Key": "Owner", "Value": "IT-APPS"},
                                {"Key": "CostCenter", "Value": f"CC-{team}"},
                                {"Key": "Environment", "Value": "production"},
                            ],
                        }
                    ],
                }
                for i, (iid, name, itype, state, subnet, team) in enumerate(instances, 1)
            ]
        }
    ).encode()


def _run(actor: Actor, source: Any, data: bytes, scope: str = "") -> None:
    extension = {"nmap": "xml", "csv": "csv"}.get(source.connector, "json")
    run = services.run_discovery(actor, source, data, scope=scope, filename=f"{source}.{extension}")
    if run.state != "succeeded":
        raise ValueError(f"demo discovery run of {source} failed: {run.messages}")


def load_demo(context: DemoContext) -> None:
    """Seed the sources, runs, queue item, stale server and health trend of story 5."""
    actor = context.actor
    servers = {c.name: c for c in CI.objects.current().filter(ci_class__name="Server")}
    names = sorted(servers)[:3]
    if len(servers) < 4:
        raise ValueError("demo story 5 needs the CMDB demo estate's servers")
    sources = {
        "ansible": services.create_source(
            actor, {"name": "ansible-aus1", "connector": "ansible", "priority": 50}
        ),
        "nmap": services.create_source(
            actor,
            {"name": "nmap-mgmt", "connector": "nmap", "priority": 200, "default_scope": "mgmt"},
        ),
        "sbom": services.create_source(actor, {"name": "sbom-pipeline", "connector": "cyclonedx"}),
        "ec2": services.create_source(
            actor, {"name": "aws-prod", "connector": "ec2", "priorities": {"instance_type": 1}}
        ),
        "csv": services.create_source(actor, {"name": "cmdb-csv", "connector": "csv"}),
    }
    hosts = []
    for index, name in enumerate(names, 1):
        ci = servers[name]
        ip = str(ci.attributes.get("ip_address") or f"10.20.0.{100 + index}")
        mac = f"b0:7b:25:00:00:{index:02x}"
        facts = _facts(name, str(ci.attributes.get("serial_number") or ""), ip, mac)
        _run(actor, sources["ansible"], json.dumps(facts).encode())
        hosts.append((ip, mac.upper(), "Dell", f"{name}.{DOMAIN}", "general purpose"))
    # the ambiguous match: a VM entered twice by hand
    vm_class = CIClass.objects.get(name="Virtual Machine")
    for suffix in ("", " (copy)"):
        create_ci(
            actor,
            {
                "name": f"lab-db-01{suffix}",
                "ci_class": vm_class,
                "environment": "test",
                "attributes": {"hostname": "lab-db-01", "domain": DOMAIN},
            },
        )
    lab = _facts("lab-db-01", "", "10.20.9.41", "52:54:00:9d:00:41", guest=True)
    _run(actor, sources["ansible"], json.dumps(lab).encode())
    hosts += [
        ("10.20.0.201", "3C:D9:2B:01:02:03", "Hewlett Packard", "", "printer"),
        ("10.20.0.202", "3C:D9:2B:01:02:04", "Hewlett Packard", "", "printer"),
        ("10.20.0.250", "00:1B:54:AA:BB:CC", "Cisco Systems", "sw-lab-09." + DOMAIN, "switch"),
    ]
    _run(actor, sources["nmap"], _nmap(hosts), scope="mgmt")
    crm = CI.objects.current().filter(ci_class__name="Application").order_by("name").first()
    _run(actor, sources["sbom"], _sbom(crm.name if crm else "CRM application"))
    _run(actor, sources["ec2"], _ec2(), scope="aws:210987654321")
    _run(
        actor,
        sources["csv"],
        b"class,name,hostname,domain\nVirtual Machine,kiosk-07,kiosk-07," + DOMAIN.encode(),
    )
    _stale(sources["ansible"], sorted(servers)[3])
    _compliance(actor)
    _trend()


def _stale(source: Any, name: str) -> None:
    """``name`` was last seen by ``source`` 45 days ago (a sighting is bookkeeping)."""
    ci = CI.objects.current().filter(name=name).first()
    if ci is None:
        return
    seen = timezone.now() - dt.timedelta(days=45)
    Sighting.objects.update_or_create(
        ci=ci, source=source, defaults={"first_seen": seen, "last_seen": seen, "scope": ""}
    )


def _compliance(actor: Actor) -> None:
    server = CIClass.objects.get(name="Server")
    services.create_compliance_rule(
        actor,
        {
            "name": "Every production server has an owning team",
            "ci_class": server,
            "condition": {"environment": "production"},
            "requirement": {"owning_team": "*"},
        },
    )
    services.create_compliance_rule(
        actor,
        {
            "name": "Every tier-1 server's hardware is under support",
            "ci_class": server,
            "condition": {"criticality": 1},
            "requirement": {"asset.under_support": True},
        },
    )


def _trend() -> None:
    """Two weeks of daily snapshots ending today: correctness rose as duplicates merged."""
    now = timezone.now()
    today = health.compute(now)
    overall = today["overall"]
    snapshots = []
    for back in range(13, 0, -1):
        day = now - dt.timedelta(days=back)
        lag = back / 13
        snapshots.append(
            HealthSnapshot(
                taken=day,
                day=day.date(),
                overall={
                    **overall,
                    "completeness": round(overall["completeness"] - 6 * lag, 1),
                    "correctness": round(overall["correctness"] - 9 * lag, 1),
                    "compliance": round(overall["compliance"] - 3 * lag, 1),
                },
                by_class={},
            )
        )
    HealthSnapshot.objects.bulk_create(snapshots, ignore_conflicts=True)
    health.record_snapshot(today, now)
