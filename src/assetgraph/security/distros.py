"""Distribution releases and source packages: what decides whether a distribution's advisory
applies to an installed binary package (docs/security.md, "Distribution packages").

Distribution advisories (Debian's DSA/DLA/DEBIAN-CVE, Ubuntu's USN, Alpine's) name the
*source* package and one release; package managers and SBOMs report *binary* packages with a
release written several ways (``distro=debian-12``, ``debian-12.4``, ``bookworm``, the OSV
ecosystem ``Debian:12``). This module reduces every spelling to one release name and reads
the source package out of the evidence real tools give. Pure Python, no Django.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEBIAN_CODENAMES = {
    "buzz": "1.1",
    "hamm": "2.0",
    "potato": "2.2",
    "woody": "3.0",
    "sarge": "3.1",
    "etch": "4",
    "lenny": "5",
    "squeeze": "6",
    "wheezy": "7",
    "jessie": "8",
    "stretch": "9",
    "buster": "10",
    "bullseye": "11",
    "bookworm": "12",
    "trixie": "13",
    "forky": "14",
    "duke": "15",
}
UBUNTU_RELEASES = {
    "14.04": "trusty",
    "16.04": "xenial",
    "18.04": "bionic",
    "20.04": "focal",
    "20.10": "groovy",
    "21.04": "hirsute",
    "21.10": "impish",
    "22.04": "jammy",
    "22.10": "kinetic",
    "23.04": "lunar",
    "23.10": "mantic",
    "24.04": "noble",
    "24.10": "oracular",
    "25.04": "plucky",
    "25.10": "questing",
}
# Package URL types whose distribution advisories name source packages, and how each
# spells the source (docs/security.md).
SOURCE_TYPES = frozenset({"deb", "apk"})
_SOURCE_FIELD = re.compile(r"^\s*([^\s(@]+)\s*(?:\(\s*([^)\s]+)\s*\)|@(\S+))?\s*$")


def normal_distro(namespace: str, text: str) -> str:
    """One name for a distribution release, whatever the spelling: Debian → ``debian-12``
    (from ``debian-12``, ``debian-12.4``, ``12``, ``bookworm``, ``Debian:12``); Ubuntu → the
    codename (``jammy`` from ``ubuntu-22.04``, ``22.04``, ``Ubuntu:22.04:LTS``,
    ``esm-infra/jammy``); Alpine → ``alpine-3.18`` (from ``alpine-3.18.4``, ``v3.18``,
    ``Alpine:v3.18``). Other distributions: the text lower-cased. Empty when unknown."""
    value = text.strip().lower()
    if not value:
        return ""
    namespace = namespace.lower()
    if namespace == "debian":
        return _debian(value)
    if namespace == "ubuntu":
        return _ubuntu(value)
    if namespace == "alpine":
        found = re.search(r"v?(\d+)\.(\d+)", value)
        return f"alpine-{found.group(1)}.{found.group(2)}" if found else value
    return value


def _debian(value: str) -> str:
    value = value.removeprefix("debian").lstrip(":-/ ")
    if value in DEBIAN_CODENAMES:
        return f"debian-{DEBIAN_CODENAMES[value]}"
    found = re.match(r"(\d+)", value)
    if found is None:
        return f"debian-{value}"  # sid, unstable: kept as said
    major = int(found.group(1))
    if major <= 3:  # 1.1 to 3.1 are named by major.minor
        minor = re.match(r"\d+\.\d+", value)
        return f"debian-{minor.group(0) if minor else major}"
    return f"debian-{major}"


def _ubuntu(value: str) -> str:
    value = value.removeprefix("ubuntu").lstrip(":-/ ")
    for part in re.split(r"[/:]", value):
        part = part.removeprefix("esm-infra-").removeprefix("esm-apps-")
        if part in UBUNTU_RELEASES.values():
            return part
        found = re.match(r"(\d+\.\d+)", part)
        if found and found.group(1) in UBUNTU_RELEASES:
            return UBUNTU_RELEASES[found.group(1)]
    parts = [p for p in re.split(r"[/:]", value) if p and not p.startswith("esm")]
    return parts[0] if parts else value


def distro_of_ecosystem(ecosystem: str) -> str:
    """The release an OSV ecosystem names (``Debian:12`` → ``debian-12``,
    ``Ubuntu:22.04:LTS`` → ``jammy``, ``Alpine:v3.18`` → ``alpine-3.18``); empty when the
    ecosystem names none (``Debian`` alone)."""
    base, _, release = ecosystem.partition(":")
    if not release.strip():
        return ""
    return normal_distro(base.strip(), release)


@dataclass(frozen=True)
class SourcePackage:
    """The source package a binary package was built from, and its version when known."""

    name: str
    version: str = ""


def parse_source_field(text: str) -> SourcePackage | None:
    """A source package as tools write it: dpkg's ``Source:`` field (``openssl`` or
    ``openssl (3.0.11-1~deb12u2)``) or syft's ``upstream`` qualifier (``openssl`` or
    ``glibc@2.36-9+deb12u4``). None when empty or not of that form."""
    found = _SOURCE_FIELD.match(text or "")
    if found is None:
        return None
    return SourcePackage(found.group(1).lower(), found.group(2) or found.group(3) or "")


def trivy_source_version(version: str, release: str = "", epoch: str = "") -> str:
    """The source version from Trivy's split properties (``SrcEpoch``, ``SrcVersion``,
    ``SrcRelease``): ``[epoch:]version[-release]``, an epoch of 0 left out."""
    if not version:
        return ""
    text = f"{version}-{release}" if release else version
    return f"{epoch}:{text}" if epoch and epoch != "0" else text
