"""Matching installed software against advisories: package URL keys, per-ecosystem version
comparison (``univers``), OSV event ranges, explicit version lists and NVD CPE ranges.

Pure Python with no Django: the services feed it rows and write what it answers, and the
benchmark drives it directly. The index is a dict from package key to the affected entries
of that key, so matching costs one lookup per distinct (key, version, distro) installed,
never a scan of every advisory. docs/security.md ("Matching") states every rule here.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from packageurl import PackageURL
from univers import versions as uv

from .distros import SOURCE_TYPES, SourcePackage, normal_distro, parse_source_field
from .gitrefs import REPO_HOSTS, explain_git, looks_like_commit, repo_key, split_vcs_url

# OSV ecosystem (the part before any ":release") → package URL type.
ECOSYSTEM_PURL_TYPE = {
    "pypi": "pypi",
    "npm": "npm",
    "maven": "maven",
    "go": "golang",
    "crates.io": "cargo",
    "rubygems": "gem",
    "nuget": "nuget",
    "packagist": "composer",
    "hex": "hex",
    "pub": "pub",
    "debian": "deb",
    "ubuntu": "deb",
    "alpine": "apk",
    "red hat": "rpm",
    "almalinux": "rpm",
    "rocky linux": "rpm",
    "opensuse": "rpm",
    "suse": "rpm",
}
# Distribution ecosystems name the package URL namespace (pkg:deb/debian/openssl).
ECOSYSTEM_NAMESPACE = {
    "debian": "debian",
    "ubuntu": "ubuntu",
    "alpine": "alpine",
    "red hat": "redhat",
    "almalinux": "almalinux",
    "rocky linux": "rocky",
    "opensuse": "opensuse",
    "suse": "suse",
}
# Package URL type → the univers version class that orders that ecosystem's versions.
VERSION_CLASS: dict[str, type[uv.Version]] = {
    "pypi": uv.PypiVersion,
    "npm": uv.SemverVersion,
    "maven": uv.MavenVersion,
    "golang": uv.GolangVersion,
    "cargo": uv.SemverVersion,
    "gem": uv.RubygemsVersion,
    "nuget": uv.NugetVersion,
    "composer": uv.ComposerVersion,
    "hex": uv.SemverVersion,
    "pub": uv.SemverVersion,
    "deb": uv.DebianVersion,
    "apk": uv.AlpineLinuxVersion,
    "rpm": uv.RpmVersion,
}
# CPE versions have no ecosystem: Debian's algorithm orders dotted numbers numerically and
# suffixes after them (9.8p1 > 9.8 > 9.8~rc1), which fits vendors' version strings best.
CPE_VERSION_CLASS: type[uv.Version] = uv.DebianVersion
_PYPI_NAME = re.compile(r"[-_.]+")


def package_key(purl_type: str, namespace: str | None, name: str) -> str:
    """The matching key of a package: ``type/namespace/name`` lower-cased, PyPI names
    normalised as PEP 503 says (``Jinja2`` and ``jinja_2`` are one package)."""
    purl_type = purl_type.lower()
    name = name.lower()
    if purl_type == "pypi":
        name = _PYPI_NAME.sub("-", name)
    namespace = (namespace or "").lower().strip("/")
    return f"{purl_type}/{namespace}/{name}" if namespace else f"{purl_type}/{name}"


def cpe_key(vendor: str, product: str) -> str:
    """The matching key of a CPE: ``vendor:product`` (the part, a/o/h, is not compared)."""
    return f"{_cpe_token(vendor)}:{_cpe_token(product)}"


def _cpe_token(text: str) -> str:
    return re.sub(r"\s+", "_", text.strip().lower())


@dataclass(frozen=True)
class ParsedPurl:
    """A package URL reduced to what matching needs: its key, type, version (with the
    ``epoch`` qualifier Trivy writes put in front), release (``distro``, normalised), the
    source package of a distribution binary (``upstream``), and a repository and revision
    (``pkg:github/owner/repo@commit``, or a ``vcs_url`` qualifier)."""

    key: str
    purl_type: str
    version: str
    distro: str
    namespace: str = ""
    name: str = ""
    source: SourcePackage | None = None
    repo: str = ""
    revision: str = ""


def parse_purl(text: str) -> ParsedPurl | None:
    """The parts of a package URL matching uses (None if invalid)."""
    try:
        purl = PackageURL.from_string(text)
    except ValueError:
        return None
    qualifiers = purl.qualifiers if isinstance(purl.qualifiers, dict) else {}
    purl_type = purl.type.lower()
    namespace = (purl.namespace or "").lower()
    version = purl.version or ""
    epoch = str(qualifiers.get("epoch") or "").strip()
    if version and epoch and epoch != "0" and purl_type in {"deb", "rpm"} and ":" not in version:
        version = f"{epoch}:{version}"
    source = None
    if purl_type in SOURCE_TYPES and qualifiers.get("upstream"):
        source = parse_source_field(str(qualifiers["upstream"]))
    repo, revision = "", ""
    if purl_type in REPO_HOSTS and namespace:
        repo = repo_key(f"{REPO_HOSTS[purl_type]}/{namespace}/{purl.name}")
        revision = version
    elif qualifiers.get("vcs_url"):
        repo, revision = split_vcs_url(str(qualifiers["vcs_url"]))
    return ParsedPurl(
        key=package_key(purl.type, purl.namespace, purl.name),
        purl_type=purl_type,
        version=version,
        distro=normal_distro(namespace, str(qualifiers.get("distro") or "")),
        namespace=namespace,
        name=purl.name,
        source=source,
        repo=repo,
        revision=revision,
    )


def osv_package_key(ecosystem: str, name: str) -> tuple[str, str] | None:
    """(key, package URL type) of an OSV package named in ``ecosystem`` (None when the
    ecosystem has no package URL type we match)."""
    base = ecosystem.split(":", 1)[0].strip().lower()
    purl_type = ECOSYSTEM_PURL_TYPE.get(base)
    if purl_type is None:
        return None
    namespace = ECOSYSTEM_NAMESPACE.get(base)
    if purl_type == "maven" and ":" in name:
        namespace, name = name.split(":", 1)
    elif (purl_type in {"npm", "composer"} and "/" in name) or (
        purl_type == "golang" and "/" in name
    ):
        namespace, name = name.rsplit("/", 1)
    return package_key(purl_type, namespace, name), purl_type


def parse_cpe(text: str) -> tuple[str, str, str] | None:
    """(part, vendor:product key, version with its update) of a CPE 2.3 formatted string;
    ``*`` and ``-`` versions come back as ``*``."""
    fields = re.split(r"(?<!\\):", text.strip())
    if len(fields) < 6 or fields[0] != "cpe" or fields[1] != "2.3":
        return None
    part, vendor, product, version = fields[2], fields[3], fields[4], fields[5]
    update = fields[6] if len(fields) > 6 else "*"
    if version in {"*", "-", ""}:
        return part, cpe_key(vendor, product), "*"
    if update not in {"*", "-", ""}:
        version = f"{version}{update}"
    return part, cpe_key(vendor, product), version.replace("\\", "")


# ------------------------------------------------------------------------------ versions
_MIN = object()  # OSV's "introduced: 0": below every version


@lru_cache(maxsize=500_000)
def parse_version(purl_type: str, text: str) -> uv.Version | None:
    """``text`` as a version of the ecosystem of ``purl_type`` (``cpe`` for CPE versions);
    None when that ecosystem cannot read it (the match is then skipped, never guessed)."""
    klass = CPE_VERSION_CLASS if purl_type == "cpe" else VERSION_CLASS.get(purl_type)
    if klass is None or not text:
        return None
    if purl_type in {"golang", "cargo", "npm", "hex", "pub"}:
        text = text.removeprefix("v")
    try:
        return klass(text)
    except Exception:
        return None


@dataclass(frozen=True, slots=True)
class Why:
    """Why a version matched: the range (or list) and the bounds it fell between."""

    text: str
    detail: dict[str, Any]
    fixed: str = ""


def _event(event: dict[str, Any]) -> tuple[str, str] | None:
    for kind in ("introduced", "fixed", "last_affected"):
        if kind in event:
            return kind, str(event[kind])
    return None  # "limit" only bounds GIT ranges


Compiled = tuple[tuple[tuple[int, Any], str, str], ...]


def compile_events(purl_type: str, events: Sequence[dict[str, Any]]) -> Compiled:
    """A range's events read as versions of the ecosystem and sorted (OSV's evaluation
    order); unreadable bounds are dropped. Done once per range and kept by the index."""
    parsed: list[tuple[tuple[int, Any], str, str]] = []
    for position, raw in enumerate(events):
        found = _event(raw) if isinstance(raw, dict) else None
        if found is None:
            continue
        kind, text = found
        if kind == "introduced" and text == "0":
            parsed.append(((0, position), kind, text))
            continue
        if looks_like_commit(text):
            continue  # a commit is never a version (a GIT event put in the wrong range)
        bound = parse_version(purl_type, text)
        if bound is None:
            continue
        parsed.append(((1, bound), kind, text))
    return tuple(sorted(parsed, key=_sort_key))


def in_events(ordered: Compiled, version: uv.Version) -> tuple[str, str, str] | None:
    """OSV's evaluation of one compiled range: walk the sorted events (introduced opens,
    fixed closes at the version, last_affected closes after it). Returns (introduced,
    closing kind, closing version) of the interval holding ``version``."""
    affected, since, start = False, "", -1
    for position, ((rank, bound), kind, text) in enumerate(ordered):
        if kind == "introduced":
            if rank == 0 or version >= bound:
                affected, since, start = True, text, position
        elif kind == "fixed":
            if version >= bound:
                affected = False
        elif version > bound:  # last_affected
            affected = False
    if not affected:
        return None
    for _key, kind, text in ordered[start + 1 :]:
        if kind in {"fixed", "last_affected"}:
            return since, kind, text
    return since, "", ""


class _SortKey:
    """Orders (rank, value) pairs: the "0" sentinel first, then versions by their class."""

    __slots__ = ("rank", "value")

    def __init__(self, item: tuple[tuple[int, Any], str, str]) -> None:
        self.rank, self.value = item[0]

    def __lt__(self, other: _SortKey) -> bool:
        if self.rank != other.rank:
            return self.rank < other.rank
        return bool(self.value < other.value)


def _sort_key(item: tuple[tuple[int, Any], str, str]) -> _SortKey:
    return _SortKey(item)


# ------------------------------------------------------------------------------ entries
@dataclass(frozen=True, slots=True)
class AffectedEntry:
    """One affected entry, ready to match: ``ref`` is the caller's id for it (the
    AffectedPackage pk), ``ranges`` OSV ranges or CPE bounds, ``versions`` exact versions."""

    ref: int
    advisory: str
    kind: str  # "purl" | "cpe" | "git"
    key: str
    purl_type: str
    ecosystem: str = ""
    distro: str = ""
    ranges: tuple[dict[str, Any], ...] = ()
    versions: tuple[str, ...] = ()
    cache: dict[Any, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)


@dataclass(frozen=True, slots=True)
class Target:
    """Something installed: ``ref`` is the caller's id (an install, or a CI for a CPE)."""

    ref: int
    kind: str
    key: str
    version: str
    distro: str = ""


@dataclass(frozen=True, slots=True)
class Match:
    """An entry that applies to a target, and why."""

    entry: AffectedEntry
    target: Target
    why: Why


def _compiled(entry: AffectedEntry, index: int, kind_type: str, events: Any) -> Compiled:
    """The compiled events of one range of an entry, kept on the entry."""
    key = (index, kind_type)
    found = entry.cache.get(key)
    if found is None:
        found = entry.cache[key] = compile_events(kind_type, events)
    return found


def explain(entry: AffectedEntry, version_text: str) -> Why | None:
    """Why ``version_text`` is affected by ``entry`` (None when it is not)."""
    if entry.kind == "cpe":
        return _explain_cpe(entry, version_text)
    if entry.kind == "git":
        git = explain_git(entry.ranges, entry.versions, version_text)
        return None if git is None else Why(git[0], {**git[1], "repo": entry.key})
    if looks_like_commit(version_text):
        return None  # a commit is compared only with GIT events (kind "git")
    purl_type = entry.purl_type
    for index, rng in enumerate(entry.ranges):
        range_type = str(rng.get("type", "")).upper()
        if range_type not in {"ECOSYSTEM", "SEMVER"}:
            continue  # GIT ranges need the source repository; the versions list stands in
        # A SEMVER range orders by semantic versioning whatever the ecosystem (Go's own
        # class reads its "v" prefix and pseudo-versions).
        kind_type = "npm" if range_type == "SEMVER" and purl_type != "golang" else purl_type
        version = parse_version(kind_type, version_text)
        if version is None:
            continue
        found = in_events(_compiled(entry, index, kind_type, rng.get("events") or []), version)
        if found is None:
            continue
        since, closing_kind, closing = found
        bound = f"{closing_kind.replace('_', ' ')} {closing}" if closing else "no fix"
        text = (
            f"{version_text} is in the {range_type} range of {entry.ecosystem or purl_type}: "
            f"introduced {since}, {bound}"
        )
        detail = {
            "range": index,
            "type": range_type,
            "introduced": since,
            closing_kind or "fixed": closing,
            "version": version_text,
            "ecosystem": entry.ecosystem,
        }
        return Why(text, detail, closing if closing_kind == "fixed" else "")
    if entry.versions:
        version = parse_version(purl_type, version_text)
        if version_text in entry.versions or (
            version is not None
            and any(parse_version(purl_type, listed) == version for listed in entry.versions)
        ):
            return Why(
                f"{version_text} is listed as affected by {entry.ecosystem or purl_type}",
                {"versions": "listed", "version": version_text, "ecosystem": entry.ecosystem},
            )
    return None


def cpe_checks(bounds: dict[str, Any], version_text: str) -> list[str] | None:
    """The bounds of one NVD cpeMatch that ``version_text`` satisfies, as text (``≥ 8.6``,
    ``< 9.8``, ``= 8.5p1``), or None when it does not: an exact version must be equal, a
    bound must hold, and an unknown version satisfies only a cpeMatch with neither."""
    version = parse_version("cpe", version_text) if version_text not in {"", "*", "-"} else None
    exact = str(bounds.get("exact") or "")
    if version is None:
        return None if exact or bounds.get("start") or bounds.get("end") else []
    if exact:
        return (
            [f"= {exact}"]
            if exact == version_text or parse_version("cpe", exact) == version
            else None
        )
    checks = []
    start, end = bounds.get("start"), bounds.get("end")
    if start:
        low = parse_version("cpe", str(start))
        if low is None or (version < low if bounds.get("start_incl") else version <= low):
            return None
        checks.append(f"{'≥' if bounds.get('start_incl') else '>'} {start}")
    if end:
        high = parse_version("cpe", str(end))
        if high is None or (version > high if bounds.get("end_incl") else version >= high):
            return None
        checks.append(f"{'≤' if bounds.get('end_incl') else '<'} {end}")
    return checks


def _explain_cpe(entry: AffectedEntry, version_text: str) -> Why | None:
    """The first unconditional cpeMatch the version satisfies; failing that, every one that
    holds only together with a platform ("running on/with", an NVD ``AND`` configuration),
    returned as ``conditions`` for the caller to check against the rest of the CI."""
    conditional: list[dict[str, Any]] = []
    first: Why | None = None
    for index, bounds in enumerate(entry.ranges):
        checks = cpe_checks(bounds, version_text)
        if checks is None:
            continue
        text = f"{version_text or 'any version'} matches {bounds.get('criteria', entry.key)}"
        if checks:
            text += " (" + ", ".join(checks) + ")"
        fixed = "" if bounds.get("end_incl") else str(bounds.get("end") or "")
        detail = {k: v for k, v in bounds.items() if k != "config"}
        why = Why(text, {"cpe": index, **detail, "version": version_text}, fixed)
        if not bounds.get("config"):
            return why
        conditional.append({"cpe": index, "text": text, "fixed": fixed, "config": bounds["config"]})
        first = first or why
    version = parse_version("cpe", version_text) if version_text not in {"", "*"} else None
    if version is not None:
        for listed in entry.versions:
            if listed == version_text or parse_version("cpe", listed) == version:
                return Why(
                    f"{version_text} is listed by CPE {entry.key}:{listed}",
                    {"versions": "listed", "version": version_text},
                )
    if first is not None:
        return Why(first.text, {**first.detail, "conditions": conditional}, first.fixed)
    return None


class AdvisoryIndex:
    """Affected entries by package key; one lookup per distinct installed (key, version)."""

    def __init__(self, entries: Iterable[AffectedEntry] = ()) -> None:
        self.by_key: dict[tuple[str, str], list[AffectedEntry]] = defaultdict(list)
        # Advisories whose only evidence is GIT ranges (reported, matched by commit only).
        self.git_only: set[str] = set()
        for entry in entries:
            self.add(entry)

    def add(self, entry: AffectedEntry) -> None:
        self.by_key[(entry.kind, entry.key)].append(entry)

    def remove_advisory(self, advisory: str, keys: Iterable[tuple[str, str]]) -> None:
        """Drop an advisory's entries under ``keys`` (an incremental re-import)."""
        for key in keys:
            kept = [e for e in self.by_key.get(key, []) if e.advisory != advisory]
            if kept:
                self.by_key[key] = kept
            else:
                self.by_key.pop(key, None)

    def __len__(self) -> int:
        return sum(len(v) for v in self.by_key.values())

    def match(self, targets: Iterable[Target]) -> Iterator[Match]:
        """Every (entry, target) that applies; each advisory matches a target at most once
        (its first applicable entry, in import order)."""
        groups: dict[tuple[str, str, str, str], list[Target]] = defaultdict(list)
        for target in targets:
            if (target.kind, target.key) in self.by_key:
                groups[(target.kind, target.key, target.version, target.distro)].append(target)
        for (kind, key, version, distro), members in groups.items():
            for entry, why in self.evaluate(kind, key, version, distro):
                for target in members:
                    yield Match(entry, target, why)

    def evaluate(
        self, kind: str, key: str, version: str, distro: str = ""
    ) -> list[tuple[AffectedEntry, Why]]:
        """The entries of ``key`` that ``version`` falls in, one per advisory."""
        found: list[tuple[AffectedEntry, Why]] = []
        seen: set[str] = set()
        for entry in self.by_key.get((kind, key), ()):
            if entry.advisory in seen:
                continue
            if entry.distro and distro and entry.distro != distro:
                continue
            why = explain(entry, version)
            if why is not None:
                if entry.distro and not distro:
                    why = Why(
                        f"{why.text} (host release unknown; the entry is for {entry.distro})",
                        {**why.detail, "distro": entry.distro, "host_distro": "unknown"},
                        why.fixed,
                    )
                seen.add(entry.advisory)
                found.append((entry, why))
        return found


@dataclass
class NaiveIndex:
    """The baseline the benchmark compares with: every target against every entry."""

    entries: list[AffectedEntry] = field(default_factory=list)

    def match(self, targets: Iterable[Target]) -> Iterator[Match]:
        for target in targets:
            seen: set[str] = set()
            for entry in self.entries:
                if entry.kind != target.kind or entry.key != target.key:
                    continue
                if entry.advisory in seen:
                    continue
                if entry.distro and target.distro and entry.distro != target.distro:
                    continue
                why = explain(entry, target.version)
                if why is not None:
                    seen.add(entry.advisory)
                    yield Match(entry, target, why)
