"""OSV GIT ranges offline: real OSS-Fuzz records (OSV-2020-1573 with a versions list,
OSV-2024-555 with a GIT range only), matched by commit or listed version, never by
comparing a commit as a version (docs/security.md, "GIT ranges")."""

from __future__ import annotations

import json
from typing import Any

import pytest

from assetgraph.audit.models import AuditEvent
from assetgraph.cmdb.models import CI
from assetgraph.core.actor import Actor
from assetgraph.core.errors import ValidationFailed
from assetgraph.discovery import services as discovery
from assetgraph.discovery.connectors.cyclonedx import parse_cyclonedx
from assetgraph.security import feeds, services
from assetgraph.security.gitrefs import looks_like_commit, normal_repo
from assetgraph.security.matching import AffectedEntry, compile_events, explain, parse_purl
from assetgraph.security.models import Advisory, Finding

from .conftest import FIXTURES
from .test_distribution_sources import _index

SYSTEM = Actor.system("security tests")
INDEX = _index("git")
INTRODUCED = "298864bafe080e6a0a42185445b278be92820110"  # OSV-2020-1573
FIXED = "96b65713528476eed35dbab690be837967cedb93"
INTRODUCED_555 = "aec642be203b4526594319081ec9870a5313840c"  # OSV-2024-555, no fix yet
BETWEEN = "5b88b2c1f6bd78af21fc2036f2357253b563accb"  # a commit of the repo named by no event


def _hits(purl: str) -> list[str]:
    parsed = parse_purl(purl)
    assert parsed is not None and parsed.repo
    return [e.advisory for e, _w in INDEX.evaluate("git", parsed.repo, parsed.revision)]


@pytest.mark.parametrize(
    ("text", "commit"),
    [
        (INTRODUCED, True),
        ("298864b", True),  # git's short form
        ("f3363e06e74b", True),
        ("6.16.0", False),
        ("v6.16.0", False),
        ("20230101", False),  # digits only: a date-like version
        ("deadbee", False),  # letters only
        ("1.2.3-1a2b3c4", False),
    ],
)
def test_what_counts_as_a_commit(text: str, commit: bool) -> None:
    assert looks_like_commit(text) is commit


def test_repository_urls_are_one_identity() -> None:
    for url in (
        "https://github.com/bblanchon/ArduinoJson.git",
        "https://github.com/bblanchon/ArduinoJson",
        "git+https://github.com/bblanchon/ArduinoJson.git@298864b",
        "git@github.com:bblanchon/ArduinoJson.git",
        "ssh://git@github.com/bblanchon/ArduinoJson.git",
        "https://github.com/bblanchon/ArduinoJson/#v6.16.0",
    ):
        assert normal_repo(url) == "github.com/bblanchon/arduinojson", url


def test_git_entries_are_keyed_by_repository() -> None:
    outcome = feeds.parse_files(feeds.read_path(FIXTURES / "git"))
    assert outcome.errors == []
    records = {a.identifier: a for a in outcome.advisories}
    [entry] = records["OSV-2020-1573"].affected  # OSS-Fuzz has no package URL type
    assert (entry.kind, entry.key, entry.versions) == (
        "git",
        "git/github.com/bblanchon/arduinojson",
        ["v6.16.0"],
    )
    assert [(a.kind, a.key) for a in records["OSV-2024-555"].affected] == [
        ("purl", "generic/arduinojson"),
        ("git", "git/github.com/bblanchon/arduinojson"),
    ]


CASES = [
    (f"pkg:github/bblanchon/arduinojson@{INTRODUCED}", ["OSV-2020-1573"]),
    ("pkg:github/bblanchon/ArduinoJson@298864b", ["OSV-2020-1573"]),  # abbreviated
    (f"pkg:github/bblanchon/arduinojson@{FIXED}", []),  # the fixing commit
    ("pkg:github/bblanchon/arduinojson@v6.16.0", ["OSV-2020-1573"]),  # listed tag
    ("pkg:github/bblanchon/arduinojson@6.16.0", ["OSV-2020-1573"]),  # leading v ignored
    ("pkg:github/bblanchon/arduinojson@v6.17.0", []),
    (f"pkg:github/bblanchon/arduinojson@{INTRODUCED_555}", ["OSV-2024-555"]),
    # between introduced and fixed needs the history we do not have: not matched
    (f"pkg:github/bblanchon/arduinojson@{BETWEEN}", []),
    # a vcs_url qualifier names the repository and commit of any package URL
    (
        "pkg:generic/arduinojson@6.16.0?vcs_url=git%2Bhttps://github.com/bblanchon/"
        f"ArduinoJson.git%40{INTRODUCED}",
        ["OSV-2020-1573"],
    ),
    (f"pkg:github/other/arduinojson@{INTRODUCED}", []),  # another repository
]


@pytest.mark.parametrize(("purl", "expected"), CASES, ids=[c[0][:80] for c in CASES])
def test_hand_worked_commits_and_tags(purl: str, expected: list[str]) -> None:
    assert _hits(purl) == expected


def test_a_commit_is_never_compared_as_a_version() -> None:
    debian = AffectedEntry(
        ref=1,
        advisory="X",
        kind="purl",
        key="deb/debian/zlib",
        purl_type="deb",
        ranges=({"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.3-1"}]},),
    )
    # Debian's class would read "1a2b3c4d…" as version 1a2b3c4d, below 1.3-1
    assert explain(debian, "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b") is None
    assert explain(debian, "1.2.13.dfsg-1") is not None
    # a commit put in an ECOSYSTEM range as an event is dropped, not read as a version
    events = [{"introduced": "0"}, {"fixed": "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"}]
    assert [kind for _k, kind, _t in compile_events("deb", events)] == ["introduced"]


def test_cyclonedx_vcs_reference_carries_the_commit() -> None:
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "metadata": {"component": {"type": "firmware", "name": "sensor-fw", "version": "2.3"}},
        "components": [
            {
                "type": "library",
                "name": "ArduinoJson",
                "version": "6.16.0",
                "externalReferences": [
                    {
                        "type": "vcs",
                        "url": f"https://github.com/bblanchon/ArduinoJson.git#{INTRODUCED}",
                    }
                ],
            },
            {
                "type": "library",
                "name": "ArduinoJson-fork",
                "version": "6.16.0-fork",
                "externalReferences": [
                    {"type": "vcs", "url": "https://github.com/acme/ArduinoJson"}
                ],
                "pedigree": {"commits": [{"uid": INTRODUCED_555}]},
            },
        ],
    }
    [item] = parse_cyclonedx(json.dumps(bom).encode())
    purls = [s.purl for s in item.software or []]
    assert purls[0] == (
        "pkg:generic/ArduinoJson@6.16.0?vcs_url=git%2Bhttps://github.com/bblanchon/"
        f"ArduinoJson.git%40{INTRODUCED}"
    )
    parsed = parse_purl(purls[1])
    assert parsed is not None
    assert (parsed.repo, parsed.revision) == ("git/github.com/acme/arduinojson", INTRODUCED_555)


# ------------------------------------------------------------------------------ database
def _import(path: Any) -> services.ImportResult:
    return services.import_advisories(SYSTEM, feeds.parse_files(feeds.read_path(path)))


@pytest.mark.django_db
def test_git_only_advisories_are_counted_not_dropped() -> None:
    result = _import(FIXTURES / "git")
    assert result.created == 2
    assert result.git_only == ["OSV-2024-555"]
    assert result.as_dict()["git_only"] == 1
    summary = services.run_matching(SYSTEM)
    assert summary.git_only == 1
    assert summary.as_dict()["git_only"] == 1


@pytest.mark.django_db
def test_firmware_sbom_at_the_introducing_commit_gets_a_finding() -> None:
    _import(FIXTURES / "git")
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "metadata": {"component": {"type": "firmware", "name": "sensor-fw", "version": "2.3"}},
        "components": [
            {
                "type": "library",
                "name": "ArduinoJson",
                "version": INTRODUCED,
                "purl": f"pkg:github/bblanchon/arduinojson@{INTRODUCED}",
            }
        ],
    }
    source = discovery.create_source(SYSTEM, {"name": "fw", "connector": "cyclonedx"})
    run = discovery.run_discovery(SYSTEM, source, json.dumps(bom).encode())
    assert run.state == "succeeded", run.messages
    services.run_matching(SYSTEM)
    [finding] = Finding.objects.filter(ci=CI.objects.get(name="sensor-fw"))
    assert finding.advisory.identifier == "OSV-2020-1573"
    assert (finding.matched_by, finding.package_key) == (
        "git",
        "git/github.com/bblanchon/arduinojson",
    )
    assert finding.reason == (
        f"commit {INTRODUCED} is the introduced commit of the GIT range of "
        "https://github.com/bblanchon/ArduinoJson.git"
    )


@pytest.mark.parametrize(
    ("affected", "where", "message"),
    [
        ({"ranges": [{"type": "GIT", "events": [{"introduced": "0"}]}]}, "ranges[0]", "repo"),
        ({"ranges": [{"type": "GIT", "repo": "not a url", "events": []}]}, "ranges[0]", "repo"),
        ({"versions": ["1.0"]}, "affected[0]", "package"),
    ],
)
@pytest.mark.django_db
def test_bad_git_entries_refuse_the_upload(
    tmp_path: Any, affected: dict[str, Any], where: str, message: str
) -> None:
    (tmp_path / "good.yaml").write_text((FIXTURES / "git" / "OSV-2020-1573.yaml").read_text())
    (tmp_path / "bad.json").write_text(json.dumps({"id": "OSV-X", "affected": [affected]}))
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        _import(tmp_path)
    [(key, messages)] = caught.value.fields.items()
    assert "bad.json" in key and where in key and message in messages[0]
    assert Advisory.objects.count() == 0
    assert AuditEvent.objects.count() == before
