"""Reading advisory feeds offline: OSV records (JSON or YAML; one file, a folder, or a zip of
an ecosystem's export) and NVD CVE JSON 2.0 feeds, plus exploit data (CISA's known exploited
vulnerabilities catalogue, FIRST's EPSS CSV). Parsing only: the services write.

Every problem is reported with the file (and record) it is in; the import refuses the whole
upload when any record is unreadable (docs/security.md, "Advisory import").
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from cvss import CVSS2, CVSS3, CVSS4

from . import gitrefs, nvdconfig
from .distros import distro_of_ecosystem
from .matching import osv_package_key, parse_cpe, parse_purl

MAX_FILE_BYTES = 50 * 1024 * 1024
# GitHub's qualitative severities when a record carries no CVSS vector.
QUALITATIVE = {"CRITICAL": "critical", "HIGH": "high", "MODERATE": "medium", "MEDIUM": "medium"}
QUALITATIVE |= {"LOW": "low", "NONE": "none"}


class FeedError(Exception):
    """An unreadable file or record: ``where`` names the file and record."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


@dataclass
class ParsedAffected:
    """One affected entry, normalised (see :class:`models.AffectedPackage`)."""

    kind: str
    key: str
    ecosystem: str
    distro: str = ""
    ranges: list[dict[str, Any]] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)


@dataclass
class ParsedAdvisory:
    """One advisory, normalised from OSV or NVD."""

    identifier: str
    source: str
    where: str
    aliases: list[str] = field(default_factory=list)
    summary: str = ""
    details: str = ""
    cvss_vector: str = ""
    cvss_score: float | None = None
    severity: str = "unknown"
    published: dt.datetime | None = None
    modified: dt.datetime | None = None
    withdrawn: dt.datetime | None = None
    references: list[str] = field(default_factory=list)
    affected: list[ParsedAffected] = field(default_factory=list)
    content_hash: str = ""


def severity_of(score: float | None) -> str:
    """FIRST's qualitative band of a CVSS base score."""
    if score is None:
        return "unknown"
    if score == 0:
        return "none"
    if score < 4:
        return "low"
    if score < 7:
        return "medium"
    if score < 9:
        return "high"
    return "critical"


def cvss_score(vector: str) -> float | None:
    """The base score of a CVSS v2, v3.x or v4.0 vector, computed by the ``cvss`` library."""
    try:
        if vector.startswith("CVSS:4"):
            return float(CVSS4(vector).base_score)
        if vector.startswith("CVSS:3"):
            return float(CVSS3(vector).base_score)
        return float(CVSS2(vector).base_score)
    except Exception:
        return None


def _time(value: Any) -> dt.datetime | None:
    if not value or not isinstance(value, str):
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.year <= 1:
        return None  # Go's zero time: "not set"
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _hash(doc: Any) -> str:
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


# ------------------------------------------------------------------------------ OSV
def parse_osv(doc: Any, where: str) -> ParsedAdvisory:
    """One OSV record (schema 1.x)."""
    if not isinstance(doc, dict):
        raise FeedError(where, "an OSV record is a JSON object")
    identifier = doc.get("id")
    if not isinstance(identifier, str) or not identifier.strip():
        raise FeedError(where, "id: required")
    where = f"{where} ({identifier})"
    advisory = ParsedAdvisory(
        identifier=identifier.strip()[:100],
        source="osv",
        where=where,
        aliases=[str(a) for a in doc.get("aliases") or [] if isinstance(a, str)],
        summary=str(doc.get("summary") or "")[:500],
        details=str(doc.get("details") or ""),
        published=_time(doc.get("published")),
        modified=_time(doc.get("modified")),
        withdrawn=_time(doc.get("withdrawn")),
        references=[str(r.get("url")) for r in doc.get("references") or [] if isinstance(r, dict)][
            :50
        ],
        content_hash=_hash(doc),
    )
    _osv_severity(doc, advisory)
    affected = doc.get("affected") or []
    if not isinstance(affected, list):
        raise FeedError(where, "affected: must be a list")
    for position, entry in enumerate(affected):
        advisory.affected.extend(_osv_affected(entry, f"{where} affected[{position}]"))
    return advisory


def _osv_severity(doc: dict[str, Any], advisory: ParsedAdvisory) -> None:
    best: tuple[int, str, float] | None = None
    for item in doc.get("severity") or []:
        if not isinstance(item, dict):
            continue
        kind, vector = str(item.get("type", "")), str(item.get("score", ""))
        rank = {"CVSS_V4": 3, "CVSS_V3": 2, "CVSS_V2": 1}.get(kind)
        score = cvss_score(vector) if rank else None
        if rank and score is not None and (best is None or rank > best[0]):
            best = (rank, vector, score)
    if best is not None:
        advisory.cvss_vector, advisory.cvss_score = best[1], best[2]
        advisory.severity = severity_of(best[2])
        return
    specific = doc.get("database_specific")
    if isinstance(specific, dict):
        advisory.severity = QUALITATIVE.get(str(specific.get("severity", "")).upper(), "unknown")


def _osv_affected(entry: Any, where: str) -> list[ParsedAffected]:
    """The entries one OSV affected object gives: its package's (by package URL key, when the
    ecosystem has a package URL type) and, for each ``GIT`` range, one keyed by the range's
    repository (matched by commit or listed version, docs/security.md "GIT ranges"). The
    package may be absent only when a GIT range names the repository."""
    if not isinstance(entry, dict):
        raise FeedError(where, "must be an object")
    package = entry.get("package")
    if package is not None and not isinstance(package, dict):
        raise FeedError(where, "package: must be an object")
    ranges = entry.get("ranges") or []
    versions = entry.get("versions") or []
    if not isinstance(ranges, list) or not isinstance(versions, list):
        raise FeedError(where, "ranges and versions must be lists")
    clean = []
    for position, rng in enumerate(ranges):
        if not isinstance(rng, dict) or not isinstance(rng.get("events"), list):
            raise FeedError(f"{where} ranges[{position}]", "events: required")
        kind = str(rng.get("type", "")).upper()
        if kind == "GIT" and not str(rng.get("repo") or "").strip():
            raise FeedError(f"{where} ranges[{position}]", "repo: required for a GIT range")
        if kind == "GIT" and not gitrefs.repo_key(str(rng["repo"])):
            raise FeedError(
                f"{where} ranges[{position}]",
                f"repo: not a repository URL: {str(rng['repo'])[:100]}",
            )
        clean.append(
            {
                "type": kind,
                "events": rng["events"],
                **({"repo": str(rng["repo"])} if kind == "GIT" else {}),
            }
        )
    listed = [str(v) for v in versions]
    found = []
    if package:
        parsed = _osv_package(package, clean, listed)
        if parsed is not None:
            found.append(parsed)
    elif not any(r["type"] == "GIT" for r in clean):
        raise FeedError(where, "package: required (or a GIT range naming the repository)")
    ecosystem = str((package or {}).get("ecosystem") or "GIT")[:100]
    for rng in clean:
        if rng["type"] == "GIT":
            key = gitrefs.repo_key(rng["repo"])
            found.append(ParsedAffected("git", key[:300], ecosystem, ranges=[rng], versions=listed))
    return found


def _osv_package(
    package: dict[str, Any], ranges: list[dict[str, Any]], versions: list[str]
) -> ParsedAffected | None:
    """The entry of an OSV package: key from its ``purl`` or ecosystem and name; the release
    from the purl's ``distro`` or the ecosystem (``Debian:12`` → ``debian-12``)."""
    ecosystem, name = str(package.get("ecosystem") or ""), str(package.get("name") or "")
    distro = ""
    key: str | None = None
    if package.get("purl"):
        parsed = parse_purl(str(package["purl"]))
        if parsed is not None:
            key, distro = parsed.key, parsed.distro
    if key is None:
        found = osv_package_key(ecosystem, name)
        if found is None:
            return None  # an ecosystem without package URLs (e.g. OSS-Fuzz)
        key = found[0]
    if not distro and key.startswith(("deb/", "apk/")):
        distro = distro_of_ecosystem(ecosystem)
    return ParsedAffected(
        kind="purl",
        key=key[:300],
        ecosystem=ecosystem[:100],
        distro=distro[:50],
        ranges=ranges,
        versions=versions,
    )


# ------------------------------------------------------------------------------ NVD
def parse_nvd(doc: dict[str, Any], where: str) -> list[ParsedAdvisory]:
    """The CVEs of an NVD CVE JSON 2.0 document (the API's answer or a feed file)."""
    items = doc.get("vulnerabilities")
    if not isinstance(items, list):
        raise FeedError(where, "vulnerabilities: must be a list")
    found = []
    for position, item in enumerate(items):
        cve = item.get("cve") if isinstance(item, dict) else None
        if not isinstance(cve, dict) or not isinstance(cve.get("id"), str):
            raise FeedError(f"{where} vulnerabilities[{position}]", "cve.id: required")
        found.append(_nvd_cve(cve, f"{where} ({cve['id']})"))
    return found


def _nvd_cve(cve: dict[str, Any], where: str) -> ParsedAdvisory:
    descriptions = [
        d.get("value", "")
        for d in cve.get("descriptions") or []
        if isinstance(d, dict) and d.get("lang") == "en"
    ]
    text = str(descriptions[0]) if descriptions else ""
    rejected = str(cve.get("vulnStatus", "")).lower() == "rejected"
    advisory = ParsedAdvisory(
        identifier=cve["id"][:100],
        source="nvd",
        where=where,
        summary=text.split("\n", 1)[0][:500],
        details=text,
        published=_time(cve.get("published")),
        modified=_time(cve.get("lastModified")),
        withdrawn=_time(cve.get("lastModified")) if rejected else None,
        references=[str(r.get("url")) for r in cve.get("references") or [] if isinstance(r, dict)][
            :50
        ],
        content_hash=_hash(cve),
    )
    metrics = cve.get("metrics") or {}
    for name in ("cvssMetricV40", "cvssMetricV31", "cvssMetricV30", "cvssMetricV2"):
        entries = metrics.get(name) or []
        entries = sorted(entries, key=lambda m: m.get("type") != "Primary")
        for metric in entries:
            vector = str((metric.get("cvssData") or {}).get("vectorString", ""))
            score = cvss_score(vector)
            if score is not None:
                advisory.cvss_vector, advisory.cvss_score = vector, score
                advisory.severity = severity_of(score)
                break
        if advisory.cvss_vector:
            break
    advisory.affected = _nvd_configurations(cve.get("configurations") or [], where)
    return advisory


def _nvd_configurations(configurations: Any, where: str) -> list[ParsedAffected]:
    """One CPE entry per vulnerable ``vendor:product``. A cpeMatch that affects wherever it
    runs is a plain bound (or an exact version); one that needs a platform (an ``AND``
    configuration, a negated node) keeps its whole configuration, which matching decides
    against the CI (docs/security.md, "NVD configurations")."""
    if not isinstance(configurations, list):
        raise FeedError(where, "configurations: must be a list")
    by_key: dict[str, ParsedAffected] = {}
    for position, raw in enumerate(configurations):
        try:
            configuration = nvdconfig.normalise(raw, f"configurations[{position}]")
        except nvdconfig.ConfigurationError as exc:
            raise FeedError(f"{where} {exc.where}", exc.message) from None
        for node in configuration["nodes"]:
            if node["negate"]:
                continue  # a negated node names what must be absent, never the vulnerable part
            plain = nvdconfig.unconditional(configuration, node)
            for cpe in node["cpe"]:
                if not cpe["vulnerable"]:
                    continue
                part = parse_cpe(cpe["criteria"])
                entry = by_key.setdefault(
                    cpe["key"], ParsedAffected("cpe", cpe["key"], f"cpe:{part[0] if part else 'a'}")
                )
                bounds = {k: v for k, v in cpe.items() if k not in {"key", "vulnerable"}}
                if not plain:
                    entry.ranges.append({**bounds, "config": configuration})
                elif "exact" in bounds:
                    entry.versions.append(bounds["exact"])
                else:
                    entry.ranges.append(bounds)
    return list(by_key.values())


# ------------------------------------------------------------------------------ files
def _decode(name: str, data: bytes) -> Any:
    if len(data) > MAX_FILE_BYTES:
        raise FeedError(name, f"larger than {MAX_FILE_BYTES // 1024 // 1024} MB")
    try:
        if name.lower().endswith((".yaml", ".yml")):
            return yaml.safe_load(data)
        return json.loads(data)
    except (ValueError, yaml.YAMLError) as exc:
        raise FeedError(
            name,
            f"not valid {'YAML' if name.endswith(('yaml', 'yml')) else 'JSON'} ({str(exc)[:120]})",
        ) from None


def parse_document(name: str, data: bytes) -> list[ParsedAdvisory]:
    """The advisories of one file: an NVD 2.0 document, or an OSV record."""
    doc = _decode(name, data)
    if isinstance(doc, dict) and "vulnerabilities" in doc and "id" not in doc:
        return parse_nvd(doc, name)
    if isinstance(doc, list):
        return [parse_osv(item, f"{name}[{i}]") for i, item in enumerate(doc)]
    return [parse_osv(doc, name)]


ADVISORY_SUFFIXES = (".json", ".yaml", ".yml")


def read_files(name: str, data: bytes) -> Iterator[tuple[str, bytes]]:
    """The advisory files in an upload: the file itself, or each member of a zip."""
    if name.lower().endswith(".zip") or data[:4] == b"PK\x03\x04":
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile:
            raise FeedError(name, "not a valid zip archive") from None
        with archive:
            for info in archive.infolist():
                if info.is_dir() or not info.filename.lower().endswith(ADVISORY_SUFFIXES):
                    continue
                if info.file_size > MAX_FILE_BYTES:
                    raise FeedError(f"{name}:{info.filename}", "member too large")
                yield f"{name}:{info.filename}", archive.read(info)
        return
    yield name, data


def read_path(path: Path) -> Iterator[tuple[str, bytes]]:
    """Files under a path: one file, a zip, or every advisory file in a folder (sorted)."""
    if path.is_dir():
        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            if child.suffix.lower() in {*ADVISORY_SUFFIXES, ".zip"}:
                yield from read_files(str(child), child.read_bytes())
        return
    if not path.exists():
        raise FeedError(str(path), "no such file or folder")
    yield from read_files(str(path), path.read_bytes())


@dataclass
class ParseOutcome:
    """Everything read from an upload, and every error found (the import refuses any)."""

    advisories: list[ParsedAdvisory] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    files: int = 0


def parse_files(files: Iterator[tuple[str, bytes]]) -> ParseOutcome:
    """Parse every file, collecting errors instead of stopping at the first."""
    outcome = ParseOutcome()
    try:
        for name, data in files:
            outcome.files += 1
            try:
                outcome.advisories.extend(parse_document(name, data))
            except FeedError as exc:
                outcome.errors.append({"where": exc.where, "message": exc.message})
    except FeedError as exc:
        outcome.errors.append({"where": exc.where, "message": exc.message})
    return outcome


# ------------------------------------------------------------------------------ exploit data
def parse_kev(data: bytes, name: str = "kev") -> set[str]:
    """The CVE ids of CISA's known exploited vulnerabilities catalogue (JSON)."""
    doc = _decode(name if name.endswith(".json") else f"{name}.json", data)
    items = doc.get("vulnerabilities") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise FeedError(name, "vulnerabilities: must be a list (CISA KEV JSON)")
    found = set()
    for position, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("cveID"), str):
            raise FeedError(f"{name} vulnerabilities[{position}]", "cveID: required")
        found.add(item["cveID"].strip())
    return found


def parse_epss(data: bytes, name: str = "epss") -> dict[str, float]:
    """CVE → probability from FIRST's EPSS CSV (``cve,epss,percentile``, ``#`` comments)."""
    text = data.decode("utf-8-sig", errors="replace")
    rows = csv.reader(line for line in text.splitlines() if line and not line.startswith("#"))
    header = next(rows, None)
    if not header or [h.strip().lower() for h in header[:2]] != ["cve", "epss"]:
        raise FeedError(name, "the header must start with cve,epss")
    scores: dict[str, float] = {}
    for number, row in enumerate(rows, start=2):
        try:
            value = float(row[1])
        except (IndexError, ValueError):
            raise FeedError(f"{name} row {number}", "epss: not a number") from None
        if not 0 <= value <= 1:
            raise FeedError(f"{name} row {number}", "epss: must be between 0 and 1")
        scores[row[0].strip()] = value
    return scores
