"""Distribution advisories name source packages for one release; hosts report binary
packages. Hand-worked against Debian's DSA-5514-1 (glibc) and DEBIAN-CVE-2024-28085
(util-linux), with package URLs as syft and Trivy write them (docs/security.md,
"Distribution packages")."""

from __future__ import annotations

import json
from typing import Any

import pytest

from assetgraph.cmdb.models import CI
from assetgraph.core.actor import Actor
from assetgraph.discovery import services as discovery
from assetgraph.security import feeds, services, targets
from assetgraph.security.distros import distro_of_ecosystem, normal_distro, parse_source_field
from assetgraph.security.matching import AdvisoryIndex, AffectedEntry, parse_purl
from assetgraph.security.models import Finding

from .conftest import FIXTURES

SYSTEM = Actor.system("security tests")


def _index(*folders: str) -> AdvisoryIndex:
    entries = []
    for folder in folders:
        outcome = feeds.parse_files(feeds.read_path(FIXTURES / folder))
        assert outcome.errors == []
        for advisory in outcome.advisories:
            if advisory.withdrawn is not None:
                continue
            for entry in advisory.affected:
                entries.append(
                    AffectedEntry(
                        ref=len(entries),
                        advisory=advisory.identifier,
                        kind=entry.kind,
                        key=entry.key,
                        purl_type=entry.kind if entry.kind != "purl" else entry.key.split("/")[0],
                        ecosystem=entry.ecosystem,
                        distro=entry.distro,
                        ranges=tuple(entry.ranges),
                        versions=tuple(entry.versions),
                    )
                )
    return AdvisoryIndex(entries)


INDEX = _index("debian", "osv")


def _hits(purl: str) -> list[tuple[str, str]]:
    parsed = parse_purl(purl)
    assert parsed is not None
    target, _note = targets.package_target(1, parsed, "")
    return [
        (e.advisory, e.ecosystem)
        for e, _w in INDEX.evaluate("purl", target.key, target.version, target.distro)
    ]


@pytest.mark.parametrize(
    ("namespace", "text", "expected"),
    [
        ("debian", "debian-12", "debian-12"),
        ("debian", "debian-12.4", "debian-12"),  # Trivy's point release
        ("debian", "bookworm", "debian-12"),  # DEBIAN-CVE purls
        ("debian", "12.1", "debian-12"),  # Ansible's os_version
        ("debian", "11", "debian-11"),
        ("ubuntu", "ubuntu-22.04", "jammy"),  # Trivy
        ("ubuntu", "jammy", "jammy"),  # USN purls
        ("ubuntu", "esm-infra/bionic", "bionic"),
        ("alpine", "alpine-3.18.4", "alpine-3.18"),
        ("debian", "", ""),
    ],
)
def test_release_spellings_are_one_name(namespace: str, text: str, expected: str) -> None:
    assert normal_distro(namespace, text) == expected


def test_osv_ecosystems_name_their_release() -> None:
    assert distro_of_ecosystem("Debian:12") == "debian-12"
    assert distro_of_ecosystem("Debian:11") == "debian-11"
    assert distro_of_ecosystem("Ubuntu:22.04:LTS") == "jammy"
    assert distro_of_ecosystem("Ubuntu:Pro:18.04:LTS") == "bionic"
    assert distro_of_ecosystem("Alpine:v3.18") == "alpine-3.18"
    assert distro_of_ecosystem("Debian") == ""


def test_source_fields_as_tools_write_them() -> None:
    assert parse_source_field("openssl").name == "openssl"  # type: ignore[union-attr]
    dpkg = parse_source_field("openssl (3.0.11-1~deb12u2)")  # dpkg status Source:
    assert dpkg is not None and (dpkg.name, dpkg.version) == ("openssl", "3.0.11-1~deb12u2")
    syft = parse_source_field("glibc@2.36-9+deb12u4")  # syft's upstream qualifier
    assert syft is not None and (syft.name, syft.version) == ("glibc", "2.36-9+deb12u4")
    assert parse_source_field("") is None


def test_debian_entries_carry_their_release() -> None:
    outcome = feeds.parse_files(feeds.read_path(FIXTURES / "debian"))
    dsa = next(a for a in outcome.advisories if a.identifier == "DSA-5514-1")
    assert [(a.key, a.ecosystem, a.distro) for a in dsa.affected] == [
        ("deb/debian/glibc", "Debian:11", "debian-11"),
        ("deb/debian/glibc", "Debian:12", "debian-12"),
    ]
    cve = next(a for a in outcome.advisories if a.identifier == "DEBIAN-CVE-2024-28085")
    assert [a.distro for a in cve.affected] == ["debian-11", "debian-12", "debian-13"]


DSA_11 = [("DSA-5514-1", "Debian:11")]
DSA_12 = [("DSA-5514-1", "Debian:12")]
UTIL_11 = [("DEBIAN-CVE-2024-28085", "Debian:11")]
UTIL_12 = [("DEBIAN-CVE-2024-28085", "Debian:12")]
UTIL_13 = [("DEBIAN-CVE-2024-28085", "Debian:13")]
# (package URL as a tool wrote it, expected (advisory, entry)) — worked by hand.
CASES = [
    # syft, Debian 11: libc6 from source glibc; 2.31-13+deb11u5 < 2.31-13+deb11u7
    ("pkg:deb/debian/libc6@2.31-13%2Bdeb11u5?arch=amd64&upstream=glibc&distro=debian-11", DSA_11),
    # the fixed version: not affected, though Debian 12's entry (fixed 2.36-9+deb12u3) would
    # call 2.31 affected if the release were ignored
    ("pkg:deb/debian/libc6@2.31-13%2Bdeb11u7?arch=amd64&upstream=glibc&distro=debian-11", []),
    # Trivy, Debian 12.1 (normalised to debian-12): 2.36-9+deb12u1 < 2.36-9+deb12u3
    (
        "pkg:deb/debian/libc6@2.36-9%2Bdeb12u1?arch=amd64&distro=debian-12.1"
        "&upstream=glibc%402.36-9%2Bdeb12u1",
        DSA_12,
    ),
    ("pkg:deb/debian/libc-bin@2.36-9%2Bdeb12u3?distro=debian-12&upstream=glibc", []),
    # Trivy's bsdutils: binary 1:2.38.1-5+b1 (epoch qualifier), source util-linux 2.38.1-5
    # without epoch: 2.38.1-5 < 2.38.1-5+deb12u1, so affected ...
    (
        "pkg:deb/debian/bsdutils@2.38.1-5%2Bb1?arch=amd64&distro=debian-12.1&epoch=1"
        "&upstream=util-linux%402.38.1-5",
        UTIL_12,
    ),
    # ... while the binary's own version, epoch 1, would sort above every epoch-0 fix
    ("pkg:deb/debian/util-linux@2.38.1-5%2Bb1?distro=debian-12&epoch=1", []),
    # a binary named like its source, no upstream: 2.38.1-5+b1 < 2.38.1-5+deb12u1 (b < d)
    ("pkg:deb/debian/util-linux@2.38.1-5%2Bb1?distro=debian-12", UTIL_12),
    # syft's bsdutils on Debian 11, source version given: 2.36.1-8+deb11u1 < ...+deb11u2
    (
        "pkg:deb/debian/bsdutils@1:2.36.1-8%2Bdeb11u1?arch=amd64&distro=debian-11"
        "&upstream=util-linux%402.36.1-8%2Bdeb11u1",
        UTIL_11,
    ),
    # trixie by codename: 2.39.3-10 < 2.39.3-11; 2.39.3-11 fixed
    ("pkg:deb/debian/util-linux@2.39.3-10?distro=trixie", UTIL_13),
    ("pkg:deb/debian/util-linux@2.39.3-11?distro=debian-13", []),
    # the fixed Debian 12 version is not judged by trixie's later fix
    ("pkg:deb/debian/util-linux@2.38.1-5%2Bdeb12u1?distro=debian-12", []),
    # a binary without source evidence is matched by its own name only: libc6 ≠ glibc
    ("pkg:deb/debian/libc6@2.36-9%2Bdeb12u1?distro=debian-12", []),
    # release unknown: every release's entry is tried (the first that applies reports)
    ("pkg:deb/debian/libc6@2.31-13%2Bdeb11u5?upstream=glibc", DSA_11),
    ("pkg:deb/debian/libc6@2.36-9%2Bdeb12u3?upstream=glibc", []),
    # Ubuntu as Trivy spells it (ubuntu-22.04) is jammy
    (
        "pkg:deb/ubuntu/vim@2:8.2.3995-1ubuntu2.11?distro=ubuntu-22.04",
        [("USN-6420-1", "Ubuntu:22.04:LTS")],
    ),
    # an Ubuntu advisory is not Debian's
    ("pkg:deb/debian/vim@2:8.2.3995-1?distro=debian-12", []),
]


@pytest.mark.parametrize(("purl", "expected"), CASES, ids=[c[0][:90] for c in CASES])
def test_hand_worked_binary_to_source(purl: str, expected: list[tuple[str, str]]) -> None:
    assert _hits(purl) == expected


def test_unknown_release_is_said_in_the_reason() -> None:
    parsed = parse_purl("pkg:deb/debian/libc6@2.31-13%2Bdeb11u5?upstream=glibc")
    assert parsed is not None
    target, note = targets.package_target(1, parsed, "")
    [(_entry, why)] = INDEX.evaluate("purl", target.key, target.version, target.distro)
    assert "host release unknown; the entry is for debian-11" in why.text
    assert why.detail["host_distro"] == "unknown"
    assert (
        note
        == "binary package libc6 2.31-13+deb11u5 is built from source package glibc 2.31-13+deb11u5"
    )


# ------------------------------------------------------------------------------ database
def _scan(name: str, connector: str, data: bytes) -> None:
    source = discovery.create_source(SYSTEM, {"name": name, "connector": connector})
    run = discovery.run_discovery(SYSTEM, source, data)
    assert run.state == "succeeded", run.messages


def _import_debian() -> None:
    services.import_advisories(SYSTEM, feeds.parse_files(feeds.read_path(FIXTURES / "debian")))


@pytest.mark.django_db
def test_trivy_sbom_matches_source_packages_at_their_versions() -> None:
    _import_debian()
    _scan("trivy", "cyclonedx", (FIXTURES / "sbom" / "trivy-debian-12.1.cdx.json").read_bytes())
    image = CI.objects.get(name="debian:12.1")
    services.run_matching(SYSTEM)
    found = {f.advisory.identifier: f for f in Finding.objects.filter(ci=image)}
    assert set(found) == {"DSA-5514-1", "DEBIAN-CVE-2024-28085"}
    glibc = found["DSA-5514-1"]  # libc-bin and libc6 are one source: one finding
    assert glibc.package_key == "deb/debian/glibc"
    assert (glibc.installed_version, glibc.fixed_version) == ("2.36-9+deb12u1", "2.36-9+deb12u3")
    assert glibc.match_detail["ecosystem"] == "Debian:12"
    assert glibc.reason == (
        "2.36-9+deb12u1 is in the ECOSYSTEM range of Debian:12: introduced 0, fixed "
        "2.36-9+deb12u3; binary package libc-bin 2.36-9+deb12u1 is built from source "
        "package glibc 2.36-9+deb12u1"
    )
    util = found["DEBIAN-CVE-2024-28085"]
    assert (util.package_key, util.installed_version) == ("deb/debian/util-linux", "2.38.1-5")
    assert "binary package bsdutils 1:2.38.1-5+b1" in util.reason


@pytest.mark.django_db
def test_syft_sbom_of_debian_11_uses_debian_11_entries() -> None:
    _import_debian()
    _scan("syft", "cyclonedx", (FIXTURES / "sbom" / "syft-debian-11.cdx.json").read_bytes())
    image = CI.objects.get(name="debian:11.7")
    services.run_matching(SYSTEM)
    found = {f.advisory.identifier: f for f in Finding.objects.filter(ci=image)}
    assert set(found) == {"DSA-5514-1", "DEBIAN-CVE-2024-28085"}
    assert found["DSA-5514-1"].match_detail["ecosystem"] == "Debian:11"
    assert found["DSA-5514-1"].fixed_version == "2.31-13+deb11u7"
    assert found["DEBIAN-CVE-2024-28085"].installed_version == "2.36.1-8+deb11u1"


def _ansible_host(version: str, os_version: str = "12.1") -> bytes:
    facts: dict[str, Any] = {
        "ansible_hostname": "app-01",
        "ansible_distribution": "Debian",
        "ansible_distribution_version": os_version,
        "packages": {
            "util-linux": [
                {
                    "arch": "amd64",
                    "category": "utils",
                    "name": "util-linux",
                    "origin": "Debian",
                    "source": "apt",
                    "version": version,
                }
            ]
        },
    }
    return json.dumps({"ansible_facts": facts}).encode()


@pytest.mark.django_db
def test_ansible_host_release_comes_from_its_os_attributes() -> None:
    _import_debian()
    # 2.38.1-5+deb12u1 is Debian 12's fix; trixie's entry (fixed 2.39.3-11) would call it
    # affected, so a finding here would mean the release was ignored
    _scan("ansible", "ansible", _ansible_host("2.38.1-5+deb12u1"))
    services.run_matching(SYSTEM)
    assert Finding.objects.count() == 0
    _scan("ansible-2", "ansible", _ansible_host("2.38.1-5"))
    services.run_matching(SYSTEM)
    [finding] = Finding.objects.all()
    assert finding.match_detail["ecosystem"] == "Debian:12"
    assert finding.fixed_version == "2.38.1-5+deb12u1"


@pytest.mark.django_db
def test_entries_imported_before_releases_get_theirs() -> None:
    import importlib

    from django.apps import apps

    from assetgraph.security.models import Advisory, AffectedPackage

    migration = importlib.import_module("assetgraph.security.migrations.0003_add_git_match_kind")
    advisory = Advisory.objects.create(identifier="DSA-5514-1", source="osv")
    old = [
        ("deb/debian/glibc", "Debian:12", ""),
        ("deb/ubuntu/vim", "Ubuntu:22.04:LTS", "jammy"),
        ("apk/alpine/busybox", "Alpine:v3.18", ""),
        ("pypi/jinja2", "PyPI", ""),
    ]
    for key, ecosystem, distro in old:
        AffectedPackage.objects.create(
            advisory=advisory, kind="purl", key=key, ecosystem=ecosystem, distro=distro
        )
    migration.fill_releases(apps, None)
    assert dict(AffectedPackage.objects.values_list("key", "distro")) == {
        "deb/debian/glibc": "debian-12",
        "deb/ubuntu/vim": "jammy",
        "apk/alpine/busybox": "alpine-3.18",
        "pypi/jinja2": "",
    }
