"""Demo story: "what is vulnerable, what it puts at risk, and the evidence for it".

Runs after the CMDB, discovery and finance demos (``DEMO_APPS``) and writes through the
services, so every record has its audit trail:

* **advisories, offline**: real OSV and NVD samples (``demo_data/``) are imported, then CISA's
  known-exploited catalogue and EPSS scores;
* **the Finance web tier**: the build pipeline's SBOMs of ``Finance web`` (lodash, Jinja2)
  and ``Finance ledger service`` (log4j-core 2.14.1) come in through the CycloneDX connector;
  ``lb-fin-web`` is internet-facing and depends on Finance web, which depends on the ledger
  service, which the Finance application (tier 1) depends on. Log4Shell on the ledger
  service is the most urgent finding: known exploited, reachable from the internet, tier 1;
* **OpenSSH by CPE** on ``fin-api-01`` and ``fin-api-02`` (CVE-2024-6387); the demo then
  patches fin-api-02 to 9.8p1 and its finding closes itself;
* **an accepted risk**: the Jinja2 finding, accepted by the ``security`` login for 60 days;
* **end of life**: release cycles for Ubuntu, RHEL and ESXi; ``pay-db-01`` (Payroll DB's
  host, on a tier-1 path) still runs Ubuntu 20.04, past its end of life;
* **policies**: no end-of-life OS on a tier-1 path, no copyleft licence in a shipped
  application, no telnet or FTP servers; evaluated a week ago and now (a trend), with one
  exception.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING

from django.utils import timezone

from assetgraph.accounts.models import User
from assetgraph.cmdb import services as cmdb
from assetgraph.cmdb.models import CI, CIClass, RelationshipType, SoftwareInstall
from assetgraph.discovery import services as discovery

from . import eol, feeds, policies, services
from .models import Finding

if TYPE_CHECKING:
    from assetgraph.demo.generator import DemoContext

DATA = Path(__file__).parent / "demo_data"


def _sbom(application: str, version: str, components: list[tuple[str, str, str, str]]) -> bytes:
    """A CycloneDX 1.6 SBOM of one application (``(type, name, version, licence)``)."""

    def purl(kind: str, name: str, version: str) -> str:
        if kind == "maven":
            group, artifact = name.split(":")
            return f"pkg:maven/{group}/{artifact}@{version}"
        return f"pkg:{kind}/{name}@{version}"

    return json.dumps(
        {
            "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "version": 1,
            "metadata": {
                "component": {
                    "bom-ref": "root",
                    "type": "application",
                    "name": application,
                    "version": version,
                }
            },
            "components": [
                {
                    "bom-ref": f"{name}@{ver}",
                    "type": "library",
                    "name": name.split(":")[-1],
                    "version": ver,
                    "purl": purl(kind, name, ver),
                    "licenses": [{"license": {"id": lic}}],
                }
                for kind, name, ver, lic in components
            ],
        }
    ).encode()


def _web_tier(context: DemoContext) -> dict[str, CI]:
    """The Finance web tier. The SBOM runs create the two applications (so, like every CI a
    discovery run creates, they carry no later change: the impact demo's root-cause story
    keeps SSO as the recent change under the Finance application); the load balancer and
    the dependencies are registered by hand."""
    actor = context.actor
    source = discovery.create_source(actor, {"name": "sbom-finance", "connector": "cyclonedx"})
    for name, components in (
        (
            "Finance ledger service",
            [("maven", "org.apache.logging.log4j:log4j-core", "2.14.1", "Apache-2.0")],
        ),
        (
            "Finance web",
            [("npm", "lodash", "4.17.20", "MIT"), ("pypi", "jinja2", "3.1.2", "BSD-3-Clause")],
        ),
    ):
        run = discovery.run_discovery(
            actor, source, _sbom(name, "4.2.1", components), filename=f"{name}.cdx.json"
        )
        assert run.state == "succeeded", run.messages
    finance_app = CI.objects.get(name="Finance application")
    made = {
        "ledger": CI.objects.get(name="Finance ledger service"),
        "web": CI.objects.get(name="Finance web"),
        "lb": cmdb.create_ci(
            actor,
            {
                "name": "lb-fin-web",
                "ci_class": CIClass.objects.get(name="Load Balancer"),
                "criticality": 1,
                "owning_team": finance_app.owning_team,
                "description": "Public virtual server finance.example.com:443 in the DMZ.",
                "attributes": {"internet_facing": True},
            },
        ),
    }
    depends = RelationshipType.objects.get(name="depends on")
    for source_ci, target in (
        (made["lb"], made["web"]),
        (made["web"], made["ledger"]),
        (finance_app, made["ledger"]),
    ):
        cmdb.add_relationship(actor, {"source": source_ci, "target": target, "type": depends})
    return made


def load_demo(context: DemoContext) -> None:
    """Advisories, findings with exposure, an accepted risk, a self-closing finding, end of
    life and policies (see the module docstring)."""
    actor = context.actor
    now = timezone.now()
    for name in (
        "GHSA-jfh8-c2jp-5v3q.json",
        "GHSA-35jh-r3h4-6jhm.json",
        "GHSA-h5c8-rqwp-cp95.json",
        "nvdcve-2.0-sample.json",
    ):
        path = DATA / name
        services.import_advisories(
            actor, feeds.parse_files(feeds.read_files(name, path.read_bytes()))
        )
    services.import_exploit_data(
        actor,
        kev=feeds.parse_kev(
            (DATA / "known_exploited_vulnerabilities.json").read_bytes(), "kev.json"
        ),
        epss=feeds.parse_epss((DATA / "epss_scores.csv").read_bytes()),
    )
    _web_tier(context)
    for slug, names in (
        ("ubuntu", ["Ubuntu"]),
        ("rhel", ["Red Hat Enterprise Linux"]),
        ("esxi", ["VMware ESXi"]),
    ):
        eol.import_cycles(
            actor, slug, eol.parse_cycles((DATA / f"eol-{slug}.json").read_bytes()), names
        )
    db_host = CI.objects.get(name="pay-db-01")  # Payroll DB's host: tier 1
    cmdb.update_ci(
        actor,
        db_host,
        {"attributes": {"os": "Ubuntu", "os_version": "20.04"}},
    )
    api_hosts = list(CI.objects.filter(name__in=["fin-api-01", "fin-api-02"]).order_by("name"))
    for host in api_hosts:
        cmdb.record_software_install(
            actor, host, {"publisher": "OpenBSD", "product": "OpenSSH", "version": "9.6p1"}
        )
    services.run_matching(actor, now=now - dt.timedelta(days=9))
    security = User.objects.filter(username="security").first()
    jinja = Finding.objects.filter(advisory__identifier="GHSA-h5c8-rqwp-cp95").first()
    if jinja is not None:
        services.accept_risk(
            actor,
            jinja,
            reason="xmlattr keys never come from user input in Finance web; upgrade in Q1",
            until=timezone.localdate() + dt.timedelta(days=60),
            approver=security,
        )
    if len(api_hosts) == 2:  # the demo patches fin-api-02: its finding closes itself
        patched = api_hosts[1]
        old = SoftwareInstall.objects.get(ci=patched, product__name="OpenSSH", version="9.6p1")
        cmdb.remove_software_install(actor, old)
        cmdb.record_software_install(
            actor, patched, {"publisher": "OpenBSD", "product": "OpenSSH", "version": "9.8p1"}
        )
        services.run_matching(actor, ci_ids=[patched.pk], now=now - dt.timedelta(days=2))
    services.run_matching(actor, now=now)
    _policies(context, now)


def _policies(context: DemoContext, now: dt.datetime) -> None:
    actor = context.actor
    eol_policy = policies.create_policy(
        actor,
        {
            "name": "No end-of-life OS on a tier-1 path",
            "description": "Hosts that a tier-1 business service depends on run a supported OS.",
            "scope_class": CIClass.objects.get(name="Computer System"),
            "scope_filter": {"service_tier": 1},
            "condition": {"eol": "os"},
            "severity": "high",
        },
    )
    licence_policy = policies.create_policy(
        actor,
        {
            "name": "No copyleft licence in a shipped application",
            "description": "SBOM components of applications we ship carry no copyleft licence.",
            "scope_class": CIClass.objects.get(name="Application"),
            "condition": {"licences": {"deny": ["copyleft"]}},
            "severity": "medium",
        },
    )
    software_policy = policies.create_policy(
        actor,
        {
            "name": "No unapproved remote-access software on servers",
            "scope_class": CIClass.objects.get(name="Server"),
            "condition": {"software": {"deny": ["telnet*", "*ftp*server*", "vnc*"]}},
            "severity": "medium",
        },
    )
    critical_policy = policies.create_policy(
        actor,
        {
            "name": "No critical finding on a tier-1 path",
            "scope_filter": {"service_tier": 1},
            "condition": {"findings": {"severity_at_least": "critical", "max": 0}},
            "severity": "critical",
        },
    )
    crm = CI.objects.filter(name="CRM application").first()
    if crm is not None:
        policies.create_exception(
            actor,
            {
                "policy": licence_policy,
                "ci": crm,
                "reason": "psycopg (LGPL) is linked dynamically; legal review LR-2291 approved",
                "expires": timezone.localdate() + dt.timedelta(days=180),
            },
        )
    for policy in (eol_policy, licence_policy, software_policy, critical_policy):
        policies.evaluate_policy(actor, policy, trigger="schedule", now=now - dt.timedelta(days=7))
        policies.evaluate_policy(actor, policy, trigger="schedule", now=now)
