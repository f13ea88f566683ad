"""The matching engine on real published advisories, with expected matches worked out by
hand for each ecosystem's version rules (no database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assetgraph.security import feeds
from assetgraph.security.matching import (
    AdvisoryIndex,
    AffectedEntry,
    NaiveIndex,
    Target,
    package_key,
    parse_cpe,
    parse_purl,
)

from .conftest import FIXTURES


def _index() -> AdvisoryIndex:
    outcome = feeds.parse_files(feeds.read_path(FIXTURES / "osv"))
    nvd = feeds.parse_files(feeds.read_path(FIXTURES / "nvd"))
    assert outcome.errors == [] and nvd.errors == []
    entries = []
    for advisory in [*outcome.advisories, *nvd.advisories]:
        if advisory.withdrawn is not None:
            continue
        for entry in advisory.affected:
            entries.append(
                AffectedEntry(
                    ref=len(entries),
                    advisory=advisory.identifier,
                    kind=entry.kind,
                    key=entry.key,
                    purl_type="cpe" if entry.kind == "cpe" else entry.key.split("/")[0],
                    ecosystem=entry.ecosystem,
                    distro=entry.distro,
                    ranges=tuple(entry.ranges),
                    versions=tuple(entry.versions),
                )
            )
    return AdvisoryIndex(entries)


INDEX = _index()


def _hits(purl: str) -> list[str]:
    parsed = parse_purl(purl)
    assert parsed is not None
    return [
        e.advisory for e, _w in INDEX.evaluate("purl", parsed.key, parsed.version, parsed.distro)
    ]


# (package URL, advisories expected) — worked by hand from the records' ranges.
CASES = [
    # Maven, GHSA-jfh8-c2jp-5v3q: [2.13.0, 2.15.0), [0, 2.3.1), [2.4, 2.12.2)
    ("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", ["GHSA-jfh8-c2jp-5v3q"]),
    # a Maven qualifier: 2.15.0-rc1 sorts before 2.15.0, so it is still affected
    ("pkg:maven/org.apache.logging.log4j/log4j-core@2.15.0-rc1", ["GHSA-jfh8-c2jp-5v3q"]),
    ("pkg:maven/org.apache.logging.log4j/log4j-core@2.15.0", []),
    ("pkg:maven/org.apache.logging.log4j/log4j-core@2.12.2", []),  # a backport fix
    ("pkg:maven/org.apache.logging.log4j/log4j-core@2.12.1", ["GHSA-jfh8-c2jp-5v3q"]),
    ("pkg:maven/org.apache.logging.log4j/log4j-core@2.3.1", []),
    ("pkg:maven/org.apache.logging.log4j/log4j-core@2.3", ["GHSA-jfh8-c2jp-5v3q"]),
    # "2.12.2.Final" equals 2.12.2 in Maven's ordering: fixed
    ("pkg:maven/org.apache.logging.log4j/log4j-core@2.12.2.Final", []),
    ("pkg:maven/org.apache.logging.log4j/log4j-api@2.14.1", []),  # another artifact
    # PyPI, GHSA-h5c8-rqwp-cp95: [0, 3.1.3); PEP 440 pre-release before the release
    ("pkg:pypi/jinja2@3.1.2", ["GHSA-h5c8-rqwp-cp95"]),
    ("pkg:pypi/Jinja2@3.1.3rc1", ["GHSA-h5c8-rqwp-cp95"]),  # name normalised (PEP 503)
    ("pkg:pypi/jinja2@3.1.3", []),
    ("pkg:pypi/jinja2@3.1.3.post1", []),  # post-release after the fix
    ("pkg:pypi/jinja2@3.1.10", []),  # numeric, not string, ordering
    # npm (semver), GHSA-35jh-r3h4-6jhm: [0, 4.17.21)
    ("pkg:npm/lodash@4.17.20", ["GHSA-35jh-r3h4-6jhm"]),
    ("pkg:npm/lodash@4.17.21-beta.1", ["GHSA-35jh-r3h4-6jhm"]),  # pre-release < release
    ("pkg:npm/lodash@4.17.21", []),
    ("pkg:npm/lodash-es@4.17.9", ["GHSA-35jh-r3h4-6jhm"]),
    # Go (SEMVER), GO-2022-0969: stdlib [0, 1.18.6) and [1.19.0-0, 1.19.1)
    ("pkg:golang/stdlib@1.18.5", ["GO-2022-0969"]),
    ("pkg:golang/stdlib@1.18.6", []),
    ("pkg:golang/stdlib@1.19.0-rc1", ["GO-2022-0969"]),  # after 1.19.0-0
    ("pkg:golang/stdlib@v1.19.0", ["GO-2022-0969"]),
    ("pkg:golang/stdlib@1.19.1", []),
    # a pseudo-version before and at the fixing commit of golang.org/x/net
    ("pkg:golang/golang.org/x/net@v0.0.0-20220906165146-f3363e06e74b", ["GO-2022-0969"]),
    ("pkg:golang/golang.org/x/net@v0.0.0-20220906165146-f3363e06e74c", []),
    # withdrawn GO-2024-2442 is not matched at all
    ("pkg:golang/github.com/gravitational/teleport@v13.0.1", []),
    # Ubuntu (Debian versions), USN-6420-1 jammy: [0, 2:8.2.3995-1ubuntu2.12)
    ("pkg:deb/ubuntu/vim@2:8.2.3995-1ubuntu2.11?distro=jammy", ["USN-6420-1"]),
    ("pkg:deb/ubuntu/vim@2:8.2.3995-1ubuntu2.12?distro=jammy", []),
    # a tilde sorts before everything: ...2.12~rc1 < ...2.12
    ("pkg:deb/ubuntu/vim@2:8.2.3995-1ubuntu2.12~rc1?distro=jammy", ["USN-6420-1"]),
    # no epoch means epoch 0, below every 2: version, so affected despite the higher digits
    ("pkg:deb/ubuntu/vim@8.2.3995-1ubuntu2.13?distro=jammy", ["USN-6420-1"]),
    ("pkg:deb/ubuntu/vim@3:7.0-1?distro=jammy", []),  # a higher epoch wins
    # focal's range ends at 2:8.1.2269-1ubuntu5.18; jammy's entry is not applied to focal
    ("pkg:deb/ubuntu/vim@2:8.1.2269-1ubuntu5.18?distro=focal", []),
    ("pkg:deb/ubuntu/vim@2:8.1.2269-1ubuntu5.17?distro=focal", ["USN-6420-1"]),
    ("pkg:deb/debian/vim@2:8.2.3995-1", []),  # a Debian package is not Ubuntu's
    # RPM (rpmvercmp), ALSA-2025:10073 AlmaLinux 10: [0, 128.12.0-1.el10_0)
    ("pkg:rpm/almalinux/firefox@128.11.0-1.el10_0", ["ALSA-2025:10073"]),
    ("pkg:rpm/almalinux/firefox@128.12.0-0.el10", ["ALSA-2025:10073"]),  # lower release
    ("pkg:rpm/almalinux/firefox@128.12.0-1.el10_0", []),
    ("pkg:rpm/almalinux/firefox@128.12.0-1.el10_0.1", []),  # a longer release is newer
    ("pkg:rpm/almalinux/firefox@128.9.0-2.el10", ["ALSA-2025:10073"]),  # 9 < 12 numerically
    ("pkg:rpm/almalinux/firefox@1:115.0-1.el10", []),  # an epoch outranks the version
    ("pkg:rpm/redhat/firefox@128.11.0-1.el10_0", []),  # another distribution
]


@pytest.mark.parametrize(("purl", "expected"), CASES, ids=[c[0] for c in CASES])
def test_hand_worked_matches(purl: str, expected: list[str]) -> None:
    assert _hits(purl) == expected


def test_explicit_versions_list_matches_without_ranges() -> None:
    entry = AffectedEntry(
        ref=1,
        advisory="USN-6420-1",
        kind="purl",
        key=package_key("deb", "ubuntu", "vim"),
        purl_type="deb",
        versions=("2:8.2.3995-1ubuntu2.9",),
    )
    index = AdvisoryIndex([entry])
    [(_found, why)] = index.evaluate("purl", entry.key, "2:8.2.3995-1ubuntu2.9")
    assert why.detail["versions"] == "listed"
    assert index.evaluate("purl", entry.key, "2:8.2.3995-1ubuntu2.10") == []


def test_last_affected_closes_after_the_version() -> None:
    entry = AffectedEntry(
        ref=1,
        advisory="X",
        kind="purl",
        key="pypi/demo",
        purl_type="pypi",
        ranges=(
            {"type": "ECOSYSTEM", "events": [{"introduced": "1.0"}, {"last_affected": "1.4"}]},
        ),
    )
    index = AdvisoryIndex([entry])
    assert [
        v for v in ("0.9", "1.0", "1.4", "1.4.1", "2.0") if index.evaluate("purl", "pypi/demo", v)
    ] == [
        "1.0",
        "1.4",
    ]
    [(_e, why)] = index.evaluate("purl", "pypi/demo", "1.2")
    assert why.detail["last_affected"] == "1.4"
    assert why.fixed == ""


CPE_CASES = [
    # CVE-2024-6387: openssh < 4.4, [8.6, 9.8), and listed 4.4, 8.5p1, 9.8
    ("openbsd:openssh", "4.3p2", True),
    ("openbsd:openssh", "8.5p1", True),  # listed exactly
    ("openbsd:openssh", "8.5", False),
    ("openbsd:openssh", "9.6p1", True),  # in [8.6, 9.8)
    ("openbsd:openssh", "9.8p1", False),  # 9.8p1 is the fix (> 9.8)
    ("openbsd:openssh", "9.9", False),
    ("debian:debian_linux", "12.0", True),
    ("debian:debian_linux", "11.0", False),
    ("netapp:e-series_santricity_os_controller", "11.70.2", True),  # versionEndIncluding
    ("netapp:e-series_santricity_os_controller", "11.80", False),
]


@pytest.mark.parametrize(("key", "version", "affected"), CPE_CASES)
def test_cpe_ranges_of_nvd_configurations(key: str, version: str, affected: bool) -> None:
    found = INDEX.evaluate("cpe", key, version)
    assert bool(found) is affected
    if found:
        assert found[0][0].advisory == "CVE-2024-6387"


def test_each_match_says_why() -> None:
    parsed = parse_purl("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1")
    assert parsed is not None
    [(_entry, why)] = INDEX.evaluate("purl", parsed.key, parsed.version)
    assert why.detail["introduced"] == "2.13.0"
    assert why.detail["fixed"] == "2.15.0"
    assert why.fixed == "2.15.0"
    assert "introduced 2.13.0, fixed 2.15.0" in why.text


def test_indexed_and_naive_matching_agree() -> None:
    entries = [e for group in INDEX.by_key.values() for e in group]
    naive = NaiveIndex(entries)
    targets = []
    for number, (purl, _expected) in enumerate(CASES):
        parsed = parse_purl(purl)
        assert parsed is not None
        targets.append(Target(number, "purl", parsed.key, parsed.version, parsed.distro))
    pairs = {(m.entry.advisory, m.target.ref) for m in INDEX.match(targets)}
    assert pairs == {(m.entry.advisory, m.target.ref) for m in naive.match(targets)}
    assert len(pairs) == sum(len(expected) for _p, expected in CASES)


def test_cpe_names_parse() -> None:
    assert parse_cpe("cpe:2.3:o:canonical:ubuntu_linux:22.04:*:*:*:lts:*:*:*") == (
        "o",
        "canonical:ubuntu_linux",
        "22.04",
    )
    assert parse_cpe("cpe:2.3:a:openbsd:openssh:8.5:p1:*:*:*:*:*:*") == (
        "a",
        "openbsd:openssh",
        "8.5p1",
    )
    assert parse_cpe("not a cpe") is None


def test_unreadable_files_are_named(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "noid.yaml").write_text("summary: x\n")
    outcome = feeds.parse_files(feeds.read_path(tmp_path))
    wheres = sorted(e["where"] for e in outcome.errors)
    assert [Path(w).name for w in wheres] == ["broken.json", "noid.yaml"]
