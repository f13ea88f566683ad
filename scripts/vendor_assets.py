#!/usr/bin/env python3
"""Vendor the UI's third-party CSS/JS/fonts from pinned npm packages (no CDN, air-gap safe).

The pinned manifest is ``MANIFEST`` below. For every package the script:

1. asks the registry for ``dist.integrity`` (``npm view <name>@<version> dist.integrity``) and
   requires it to equal the integrity pinned in the manifest;
2. downloads the tarball with ``npm pack <name>@<version>`` into a temporary directory;
3. verifies the tarball's SHA-512 against that integrity;
4. extracts only the listed files (every member name is validated; nothing is extracted by
   member name, so path traversal, links and devices cannot escape), plus the package's
   LICENSE file(s);
5. strips a trailing ``//# sourceMappingURL=...`` / ``/*# sourceMappingURL=... */`` comment,
   because we do not ship ``.map`` files and Django's manifest storage (used by whitenoise)
   would otherwise fail on the missing map;
6. writes everything to ``src/assetgraph/ui/static/vendor/<directory>/...`` and records
   name, version, license, integrity and per-file sha256 in ``vendor/VERSIONS.json``.

The ``vendor/`` directory is fully managed by this script: a successful run replaces it.

Usage::

    python scripts/vendor_assets.py            # (re)vendor everything; needs npm + network
    python scripts/vendor_assets.py --check    # offline: files on disk == VERSIONS.json

To bump a package: change its ``version`` and set ``integrity`` to the output of
``npm view <name>@<version> dist.integrity``, then run the script and commit the result.
Avoid ``dist``/``build``/``data`` in destination paths: ``.gitignore`` ignores such dirs.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any


@dataclass(frozen=True)
class FileSpec:
    """One file to vendor from a package.

    ``sources`` are candidate paths inside the package (relative to its root, e.g.
    ``dist/htmx.min.js``); the first one present in the tarball is used. ``dest`` is the
    path relative to the package's vendor directory.
    """

    sources: tuple[str, ...]
    dest: str


@dataclass(frozen=True)
class PackageSpec:
    """A pinned npm package and the files taken from it."""

    name: str
    version: str
    integrity: str
    directory: str
    files: tuple[FileSpec, ...]


# --------------------------------------------------------------------------------------------
# Pinned manifest. Exact versions only; integrity is the registry's dist.integrity (SRI).
# --------------------------------------------------------------------------------------------
MANIFEST: tuple[PackageSpec, ...] = (
    PackageSpec(
        name="htmx.org",
        version="2.0.11",
        integrity=(
            "sha512-Thx/WtpeOQqSrqBCw/A1cwGJGg4UrVa3+sW0GmrM3p4gJgO89ecH4qtbnyzDDWFvBTqjnIMCgELT"
            "Nt636dtamA=="
        ),
        directory="htmx",
        files=(FileSpec(("dist/htmx.min.js",), "htmx.min.js"),),
    ),
    PackageSpec(
        name="bootstrap",
        version="5.3.9",
        integrity=(
            "sha512-20cU0rcfw8WdxtVbmfU+xT2EjvVTw9Ror/h1Qvd7DXCujRg8OO9mdBCsmTHdJFf3BuadmBNJtgIu"
            "UXsBqSkk/w=="
        ),
        directory="bootstrap",
        files=(
            FileSpec(("dist/css/bootstrap.min.css",), "css/bootstrap.min.css"),
            FileSpec(("dist/js/bootstrap.bundle.min.js",), "js/bootstrap.bundle.min.js"),
        ),
    ),
    PackageSpec(
        name="bootstrap-icons",
        version="1.13.2",
        integrity=(
            "sha512-fAU1Ly3dH7hwRg+CB8EZ0Vl0fF80zgXHeUVJyfUOKzoURr+TbwISbCW5tKUoQLERaWYG2emTCybc"
            "PbD96hdD1A=="
        ),
        directory="bootstrap-icons",
        files=(
            # The CSS references url("fonts/bootstrap-icons.woff2?...") relative to itself.
            FileSpec(("font/bootstrap-icons.min.css",), "bootstrap-icons.min.css"),
            FileSpec(("font/fonts/bootstrap-icons.woff2",), "fonts/bootstrap-icons.woff2"),
            FileSpec(("font/fonts/bootstrap-icons.woff",), "fonts/bootstrap-icons.woff"),
        ),
    ),
    PackageSpec(
        name="chart.js",
        version="4.6.1",
        integrity=(
            "sha512-hJyniucsFmq//EvXYvJ6c6mahPoI3kaxdjVH8awTaJ/fDNWeSqqqArixMJWkWNN6fcYvPU3HneSA"
            "NFNYtRi61g=="
        ),
        directory="chartjs",
        # Both are minified UMD builds in 4.x; newer releases add the explicit .min name.
        files=(FileSpec(("dist/chart.umd.min.js", "dist/chart.umd.js"), "chart.umd.min.js"),),
    ),
    PackageSpec(
        name="cytoscape",
        version="3.35.0",
        integrity=(
            "sha512-sMvBIXiGMnhkCaWz2R06FwF/27MNlS+Tqvi17foO9UhnUg3XGZccKjxsvEqQFAQYMSSZmN5SxYzU"
            "YlQ0DOJJ3g=="
        ),
        directory="cytoscape",
        files=(FileSpec(("dist/cytoscape.min.js",), "cytoscape.min.js"),),
    ),
    # Layered (Sugiyama) layout for dependency maps: dagre computes ranks, cytoscape-dagre
    # plugs it into Cytoscape as the "dagre" layout (it finds window.dagre and registers).
    PackageSpec(
        name="dagre",
        version="0.8.5",
        integrity=(
            "sha512-/aTqmnRta7x7MCCpExk7HQL2O4owCT2h8NT//9I1OQ9vt29Pa0BzSAkR5lwFUcQ7491yVi/3CXU9"
            "jQ5o0Mn2Sw=="
        ),
        directory="dagre",
        files=(FileSpec(("dist/dagre.min.js",), "dagre.min.js"),),
    ),
    PackageSpec(
        name="cytoscape-dagre",
        version="2.5.0",
        integrity=(
            "sha512-VG2Knemmshop4kh5fpLO27rYcyUaaDkRw+6PiX4bstpB+QFt0p2oauMrsjVbUamGWQ6YNavh7x2e"
            "m2uZlzV44g=="
        ),
        directory="cytoscape-dagre",
        files=(FileSpec(("cytoscape-dagre.js",), "cytoscape-dagre.js"),),
    ),
    # Accessibility checks of the browser tests (tests/e2e/test_accessibility.py); served as
    # a static file so the page's CSP ('self' scripts only) allows injecting it.
    PackageSpec(
        name="axe-core",
        version="4.11.1",
        integrity=(
            "sha512-BASOg+YwO2C+346x3LZOeoovTIoTrRqEsqMa6fmfAV0P+U9mFr9NsyOEpiYvFjbc64NMrSswhV50"
            "WdXzdb/Z5A=="
        ),
        directory="axe-core",
        files=(FileSpec(("axe.min.js",), "axe.min.js"),),
    ),
)

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VENDOR_DIR = REPO_ROOT / "src" / "assetgraph" / "ui" / "static" / "vendor"
VERSIONS_FILE = "VERSIONS.json"
VERSIONS_SCHEMA = 1

NPM_TIMEOUT_SECONDS = 300
MAX_MEMBER_BYTES = 64 * 1024 * 1024  # refuse absurdly large members (decompression bombs)

EXACT_VERSION_RE = re.compile(r"^\d+\.\d+\.\d+$")
SAFE_SEGMENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]*$")
CONTROL_CHARS_RE = re.compile(r"[\x00-\x1f\x7f]")
LICENSE_STEMS = frozenset({"license", "licence", "copying", "unlicense"})
LICENSE_SUFFIXES = frozenset({"", ".md", ".txt", ".markdown", ".rst"})
STRIP_MAP_SUFFIXES = frozenset({".js", ".mjs", ".cjs", ".css"})

# A source-map comment as the last non-blank line of a file (JS and CSS forms, incl. legacy @).
TRAILING_MAP_RE = re.compile(
    rb"(?:\A|\r?\n)[ \t]*"
    rb"(?://[#@][ \t]*sourceMappingURL=[^\r\n]*|/\*[#@][ \t]*sourceMappingURL=[^\r\n]*?\*/)"
    rb"[ \t\r\n]*\Z"
)
# What Django's ManifestStaticFilesStorage rewrites (and fails on if the map is missing).
ANY_MAP_LINE_RE = re.compile(rb"(?m)^[ \t]*(?://|/\*)[#@][ \t]*sourceMappingURL=")


class VendorError(Exception):
    """A fatal problem while vendoring; the message is shown to the user."""


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------
def sha256_bytes(data: bytes) -> str:
    """Return the hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    """Return the hex SHA-256 of the file at ``path``."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def safe_relative_path(raw: str, *, what: str, strict: bool = True) -> PurePosixPath:
    """Validate a relative POSIX path and return it normalised.

    Always rejects empty and absolute paths, ``..`` segments, backslashes and control
    characters. ``strict`` (used for paths we write) also restricts every segment to
    ``SAFE_SEGMENT_RE``; tar member names are checked non-strictly so that harmless dotfiles
    elsewhere in a package do not reject the whole tarball.
    """
    if not raw or "\\" in raw or raw.startswith("/") or CONTROL_CHARS_RE.search(raw):
        raise VendorError(f"unsafe {what}: {raw!r}")
    parts = [part for part in raw.split("/") if part not in ("", ".")]
    if not parts or ".." in parts:
        raise VendorError(f"unsafe {what}: {raw!r}")
    if strict and not all(SAFE_SEGMENT_RE.match(part) for part in parts):
        raise VendorError(f"unsafe {what}: {raw!r}")
    return PurePosixPath(*parts)


def validate_manifest(manifest: Sequence[PackageSpec]) -> None:
    """Reject manifests with loose versions, bad integrity, unsafe or colliding paths."""
    names: set[str] = set()
    directories: set[str] = set()
    for pkg in manifest:
        if pkg.name in names:
            raise VendorError(f"duplicate package in manifest: {pkg.name}")
        names.add(pkg.name)
        if not EXACT_VERSION_RE.match(pkg.version):
            raise VendorError(f"{pkg.name}: version must be exact X.Y.Z, got {pkg.version!r}")
        parse_sha512_integrity(pkg.integrity)
        directory = str(safe_relative_path(pkg.directory, what=f"{pkg.name} directory"))
        if "/" in directory or directory in directories:
            raise VendorError(f"{pkg.name}: directory must be a unique single segment")
        directories.add(directory)
        dests: set[str] = set()
        if not pkg.files:
            raise VendorError(f"{pkg.name}: no files listed")
        for spec in pkg.files:
            if not spec.sources:
                raise VendorError(f"{pkg.name}: {spec.dest}: no source candidates")
            for source in spec.sources:
                safe_relative_path(source, what=f"{pkg.name} source path")
            dest = str(safe_relative_path(spec.dest, what=f"{pkg.name} destination"))
            if dest in dests:
                raise VendorError(f"{pkg.name}: duplicate destination {dest}")
            dests.add(dest)


def parse_sha512_integrity(integrity: str) -> bytes:
    """Return the raw SHA-512 digest from an SRI string such as ``sha512-<base64>``."""
    for token in integrity.split():
        algorithm, _, encoded = token.partition("-")
        if algorithm == "sha512":
            try:
                digest = base64.b64decode(encoded.split("?")[0], validate=True)
            except ValueError as exc:
                raise VendorError(f"malformed sha512 integrity: {integrity!r}") from exc
            if len(digest) != hashlib.sha512().digest_size:
                raise VendorError(f"malformed sha512 integrity: {integrity!r}")
            return digest
    raise VendorError(f"no sha512 entry in integrity {integrity!r}")


def strip_trailing_source_map(data: bytes) -> tuple[bytes, bool]:
    """Remove trailing source-map comment line(s); return the new bytes and whether changed."""
    changed = False
    while match := TRAILING_MAP_RE.search(data):
        data = data[: match.start()]
        changed = True
    if changed and data:
        data += b"\n"
    return data, changed


# --------------------------------------------------------------------------------------------
# npm
# --------------------------------------------------------------------------------------------
def npm_executable() -> str:
    """Return the absolute path of ``npm`` or fail."""
    npm = shutil.which("npm")
    if npm is None:
        raise VendorError("npm not found on PATH (needed to download packages)")
    return npm


def run_npm(args: Sequence[str], cwd: Path) -> str:
    """Run ``npm <args>`` (no shell) in ``cwd`` and return its stdout."""
    command = [npm_executable(), *args, "--loglevel=error"]
    try:
        # Fixed argv from the validated manifest; no shell is involved.
        result = subprocess.run(  # noqa: S603
            command,
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
            timeout=NPM_TIMEOUT_SECONDS,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise VendorError(f"`npm {' '.join(args)}` failed: {exc}") from exc
    if result.returncode != 0:
        detail = result.stderr.strip() or result.stdout.strip()
        raise VendorError(f"`npm {' '.join(args)}` exited {result.returncode}: {detail}")
    return result.stdout


def registry_integrity(pkg: PackageSpec, cwd: Path) -> str:
    """Return ``dist.integrity`` for the pinned version as reported by the registry."""
    out = run_npm(["view", f"{pkg.name}@{pkg.version}", "dist.integrity", "--json"], cwd)
    if not out.strip():
        raise VendorError(f"{pkg.name}@{pkg.version}: not found in the registry")
    value = json.loads(out)
    if not isinstance(value, str):
        raise VendorError(f"{pkg.name}@{pkg.version}: unexpected dist.integrity {value!r}")
    return value


def npm_pack(pkg: PackageSpec, dest: Path) -> Path:
    """Download the pinned tarball into ``dest`` with ``npm pack`` and return its path."""
    out = run_npm(
        [
            "pack",
            f"{pkg.name}@{pkg.version}",
            "--json",
            "--ignore-scripts",
            "--pack-destination",
            str(dest),
        ],
        dest,
    )
    try:
        entries = json.loads(out)
        filename = entries[0]["filename"]
    except (ValueError, LookupError, TypeError) as exc:
        raise VendorError(f"{pkg.name}: cannot parse `npm pack --json` output") from exc
    if not isinstance(filename, str) or "/" in filename or "\\" in filename:
        raise VendorError(f"{pkg.name}: unexpected tarball name {filename!r}")
    tarball = dest / filename
    if not tarball.is_file():
        raise VendorError(f"{pkg.name}: npm pack did not produce {tarball}")
    return tarball


def verify_tarball(tarball: Path, integrity: str) -> None:
    """Check the tarball's SHA-512 against an SRI integrity string."""
    expected = parse_sha512_integrity(integrity)
    digest = hashlib.sha512()
    with tarball.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    if not hmac.compare_digest(digest.digest(), expected):
        actual = "sha512-" + base64.b64encode(digest.digest()).decode()
        raise VendorError(f"{tarball.name}: integrity mismatch (got {actual}, want {integrity})")


# --------------------------------------------------------------------------------------------
# Tarball reading
# --------------------------------------------------------------------------------------------
class PackageArchive:
    """Read-only, validated view of an npm tarball, keyed by path relative to its root dir."""

    def __init__(self, tar: tarfile.TarFile, label: str) -> None:
        """Index and validate every member of ``tar`` (all must share one root directory)."""
        self._tar = tar
        self._label = label
        self._members: dict[PurePosixPath, tarfile.TarInfo] = {}
        self._duplicates: set[PurePosixPath] = set()
        roots: set[str] = set()
        for member in tar.getmembers():
            path = safe_relative_path(member.name, what=f"{label} tar member", strict=False)
            roots.add(path.parts[0])
            if len(path.parts) < 2:  # the root directory entry itself
                continue
            relative = PurePosixPath(*path.parts[1:])
            if relative in self._members:
                self._duplicates.add(relative)
            self._members[relative] = member
        if len(roots) != 1:
            raise VendorError(f"{label}: expected one root directory, found {sorted(roots)}")

    def has_file(self, path: str) -> bool:
        """Return whether ``path`` (relative to the package root) is a regular file."""
        member = self._members.get(PurePosixPath(path))
        return member is not None and member.isreg()

    def root_files(self) -> list[str]:
        """Return names of regular files directly in the package root."""
        return sorted(
            str(path)
            for path, member in self._members.items()
            if len(path.parts) == 1 and member.isreg()
        )

    def read(self, path: str) -> bytes:
        """Return the bytes of a regular file (links/devices/duplicates are refused)."""
        key = PurePosixPath(path)
        member = self._members.get(key)
        if member is None:
            raise VendorError(f"{self._label}: {path} not in tarball")
        if not member.isreg():
            raise VendorError(f"{self._label}: {path} is not a regular file")
        if key in self._duplicates:
            raise VendorError(f"{self._label}: {path} appears more than once in tarball")
        if member.size > MAX_MEMBER_BYTES:
            raise VendorError(f"{self._label}: {path} is too large ({member.size} bytes)")
        fh = self._tar.extractfile(member)
        if fh is None:
            raise VendorError(f"{self._label}: cannot read {path}")
        with fh:
            return fh.read(MAX_MEMBER_BYTES + 1)


def license_expression(package_json: dict[str, Any]) -> str:
    """Return the SPDX-ish license declared in package.json (modern or legacy form)."""
    value = package_json.get("license")
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, dict) and isinstance(value.get("type"), str):
        return str(value["type"])
    legacy = package_json.get("licenses")
    if isinstance(legacy, list):
        types = [str(item["type"]) for item in legacy if isinstance(item, dict) and "type" in item]
        if types:
            return " OR ".join(types)
    return "UNKNOWN"


def is_license_file(name: str) -> bool:
    """Return whether a root-level file name looks like a license (LICENSE, LICENSE.md, ...)."""
    path = PurePosixPath(name.lower())
    return path.stem in LICENSE_STEMS and path.suffix in LICENSE_SUFFIXES


# --------------------------------------------------------------------------------------------
# Vendoring
# --------------------------------------------------------------------------------------------
def write_file(root: Path, relative: str, data: bytes) -> None:
    """Write ``data`` to ``root/relative`` (validated), creating parent directories."""
    target = root.joinpath(*safe_relative_path(relative, what="output path").parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def vendor_package(pkg: PackageSpec, download_dir: Path, staging: Path) -> dict[str, Any]:
    """Download, verify and stage one package; return its VERSIONS.json record."""
    integrity = registry_integrity(pkg, download_dir)
    if integrity != pkg.integrity:
        raise VendorError(
            f"{pkg.name}@{pkg.version}: registry integrity {integrity} differs from the pinned "
            f"{pkg.integrity}"
        )
    tarball = npm_pack(pkg, download_dir)
    verify_tarball(tarball, integrity)
    label = f"{pkg.name}@{pkg.version}"
    files: list[dict[str, Any]] = []
    with tarfile.open(tarball, "r:gz") as tar:
        archive = PackageArchive(tar, label)
        try:
            package_json = json.loads(archive.read("package.json"))
        except ValueError as exc:
            raise VendorError(f"{label}: package.json is not valid JSON") from exc
        if package_json.get("name") != pkg.name or package_json.get("version") != pkg.version:
            raise VendorError(f"{label}: tarball package.json names a different package/version")
        for spec in pkg.files:
            source = next((s for s in spec.sources if archive.has_file(s)), None)
            if source is None:
                raise VendorError(f"{label}: none of {list(spec.sources)} exist in the tarball")
            data = archive.read(source)
            stripped = False
            if PurePosixPath(spec.dest).suffix in STRIP_MAP_SUFFIXES:
                data, stripped = strip_trailing_source_map(data)
                if ANY_MAP_LINE_RE.search(data):
                    raise VendorError(f"{label}: {source} still has a sourceMappingURL comment")
            files.append(_stage(staging, pkg, spec.dest, source, data, stripped))
        licenses = [name for name in archive.root_files() if is_license_file(name)]
        if not licenses:
            raise VendorError(f"{label}: no LICENSE file found in the package root")
        taken = {str(PurePosixPath(spec.dest)) for spec in pkg.files}
        for name in licenses:
            if name in taken:
                raise VendorError(f"{label}: license file {name} collides with a vendored file")
            files.append(_stage(staging, pkg, name, name, archive.read(name), False))
    return {
        "name": pkg.name,
        "version": pkg.version,
        "license": license_expression(package_json),
        "integrity": integrity,
        "directory": pkg.directory,
        "files": files,
    }


def _stage(
    staging: Path, pkg: PackageSpec, dest: str, source: str, data: bytes, stripped: bool
) -> dict[str, Any]:
    """Write one file into the staging tree and return its VERSIONS.json entry."""
    relative = f"{pkg.directory}/{safe_relative_path(dest, what='destination')}"
    write_file(staging, relative, data)
    entry: dict[str, Any] = {
        "path": relative,
        "source": source,
        "size": len(data),
        "sha256": sha256_bytes(data),
    }
    if stripped:
        entry["source_map_comment_removed"] = True
    return entry


def vendor_all(manifest: Sequence[PackageSpec], vendor_dir: Path) -> None:
    """Vendor every package into a staging tree, then replace ``vendor_dir`` with it."""
    with tempfile.TemporaryDirectory(prefix="assetgraph-vendor-") as tmp:
        download_dir = Path(tmp) / "download"
        staging = Path(tmp) / "vendor"
        download_dir.mkdir()
        staging.mkdir()
        packages: list[dict[str, Any]] = []
        for pkg in manifest:
            print(f"vendoring {pkg.name}@{pkg.version} ...", file=sys.stderr)
            packages.append(vendor_package(pkg, download_dir, staging))
        versions = {
            "schema": VERSIONS_SCHEMA,
            "generated_by": "scripts/vendor_assets.py",
            "packages": packages,
        }
        (staging / VERSIONS_FILE).write_text(
            json.dumps(versions, indent=2) + "\n", encoding="utf-8", newline="\n"
        )
        if vendor_dir.is_symlink() or (vendor_dir.exists() and not vendor_dir.is_dir()):
            raise VendorError(f"{vendor_dir} exists and is not a directory")
        if vendor_dir.exists():
            shutil.rmtree(vendor_dir)
        vendor_dir.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(staging, vendor_dir)


# --------------------------------------------------------------------------------------------
# Offline check
# --------------------------------------------------------------------------------------------
def check(manifest: Sequence[PackageSpec], vendor_dir: Path) -> list[str]:
    """Compare files on disk with VERSIONS.json and the manifest; return the problems found."""
    versions_path = vendor_dir / VERSIONS_FILE
    try:
        versions = json.loads(versions_path.read_text(encoding="utf-8"))
        packages: list[dict[str, Any]] = versions["packages"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [f"{versions_path}: cannot read ({exc})"]
    problems: list[str] = []
    expected: set[str] = set()
    recorded = {str(p.get("name")): p for p in packages if isinstance(p, dict)}
    problems.extend(_compare_with_manifest(manifest, recorded))
    for package in recorded.values():
        for entry in package.get("files", []):
            raw = str(entry.get("path", ""))
            try:
                relative = safe_relative_path(raw, what="path in VERSIONS.json")
            except VendorError as exc:
                problems.append(str(exc))
                continue
            expected.add(str(relative))
            path = vendor_dir.joinpath(*relative.parts)
            if not path.is_file():
                problems.append(f"missing: {relative} ({package.get('name')})")
            elif (actual := sha256_file(path)) != entry.get("sha256"):
                problems.append(
                    f"sha256 mismatch: {relative} ({package.get('name')}): "
                    f"expected {entry.get('sha256')}, found {actual}"
                )
    for path in _files_under(vendor_dir):
        name = path.relative_to(vendor_dir).as_posix()
        if name != VERSIONS_FILE and name not in expected:
            problems.append(f"unexpected file not in {VERSIONS_FILE}: {name}")
    return problems


def _compare_with_manifest(
    manifest: Sequence[PackageSpec], recorded: dict[str, dict[str, Any]]
) -> Iterable[str]:
    """Yield differences between the pinned manifest and VERSIONS.json (re-run needed)."""
    for pkg in manifest:
        record = recorded.get(pkg.name)
        if record is None:
            yield f"{pkg.name}: pinned in manifest but absent from {VERSIONS_FILE}"
            continue
        for key, want in (
            ("version", pkg.version),
            ("integrity", pkg.integrity),
            ("directory", pkg.directory),
        ):
            if record.get(key) != want:
                got = record.get(key)
                yield f"{pkg.name}: {VERSIONS_FILE} has {key}={got!r}, manifest has {want!r}"
        paths = {str(entry.get("path")) for entry in record.get("files", [])}
        for spec in pkg.files:
            if f"{pkg.directory}/{spec.dest}" not in paths:
                yield f"{pkg.name}: {pkg.directory}/{spec.dest} not recorded in {VERSIONS_FILE}"
    pinned = {pkg.name for pkg in manifest}
    for name in recorded:
        if name not in pinned:
            yield f"{name}: recorded in {VERSIONS_FILE} but not in the manifest"


def _files_under(root: Path) -> list[Path]:
    """Return all files (and symlinks) below ``root``, sorted."""
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() or p.is_symlink())


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------
def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse command-line arguments."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--check",
        action="store_true",
        help="offline: verify vendored files match VERSIONS.json and the manifest",
    )
    parser.add_argument(
        "--vendor-dir",
        type=Path,
        default=DEFAULT_VENDOR_DIR,
        help="output directory (default: %(default)s)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit status."""
    args = parse_args(argv)
    vendor_dir: Path = args.vendor_dir
    try:
        validate_manifest(MANIFEST)
        if not args.check:
            vendor_all(MANIFEST, vendor_dir)
    except VendorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    problems = check(MANIFEST, vendor_dir)
    for problem in problems:
        print(f"vendor check: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"vendor check: OK ({vendor_dir})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
