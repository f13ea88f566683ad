"""Backups and restores: a consistent online snapshot of the database plus the data files,
with a manifest of checksums; a restore that changes nothing unless the whole archive checks
out and the restored audit chain verifies.

The archive (``assetgraph-backup-<UTC time>.tar``) holds ``manifest.json`` (format, time,
database vendor, the audit chain head, and the size and SHA-256 of every other member), the
database (``database.sqlite3`` from SQLite's online backup API, or ``database.dump`` from
``pg_dump --format=custom``, both consistent snapshots taken while users keep writing), the
audit checkpoint and the files under ``DATA_DIR/uploads``. The checkpoint is copied *before*
the database snapshot, so the snapshot's chain always reaches at least as far as the
checkpoint it is verified against.

A restore (1) reads the manifest and checks every member's size and checksum, refusing
unknown, missing or path-escaping members; (2) restores the database aside (a new file, or a
new PostgreSQL database); (3) runs ``assetgraph audit verify`` against it with the archive's
checkpoint; (4) only then swaps it in, keeping the previous database beside it
(``…pre-restore-<time>``). Any failure before step 4 removes what was restored aside and
leaves the current installation untouched.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from django.conf import settings
from django.db import connection, connections

from assetgraph.audit.models import AuditEvent
from assetgraph.conf import postgres_url

FORMAT = 1
MANIFEST = "manifest.json"
FILE_DIRS = ("uploads",)


class BackupError(Exception):
    """The backup or restore could not be done; nothing was changed."""


@dataclass(frozen=True)
class DatabaseTarget:
    """Where a database lives: a SQLite file, or a PostgreSQL database."""

    vendor: str
    settings: dict[str, Any]

    @classmethod
    def current(cls) -> DatabaseTarget:
        return cls(connection.vendor, dict(connection.settings_dict))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _tool(name: str) -> str:
    """The full path of a PostgreSQL client program (``pg_dump``, ``pg_restore``)."""
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (the PostgreSQL client programs are needed)")
    return found


def _pg_env(db: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return env


def _pg_args(db: dict[str, Any], name: str | None = None) -> list[str]:
    args = ["--host", str(db.get("HOST") or "127.0.0.1"), "--port", str(db.get("PORT") or 5432)]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    return [*args, "--dbname", name or str(db["NAME"])]


def _snapshot_database(into: Path) -> str:
    """Write a consistent snapshot of the current database into ``into``; its member name."""
    if connection.vendor == "sqlite":
        target = into / "database.sqlite3"
        connection.ensure_connection()
        source = cast(sqlite3.Connection, connection.connection)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            copy.close()
        return target.name
    if connection.vendor == "postgresql":
        target = into / "database.dump"
        db = connection.settings_dict
        command = [_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(target)]
        result = subprocess.run(  # noqa: S603 - fixed command, our arguments
            [*command, *_pg_args(db)], env=_pg_env(db), capture_output=True, text=True
        )
        if result.returncode:
            raise BackupError(f"pg_dump failed: {result.stderr.strip()[:500]}")
        return target.name
    raise BackupError(f"backups of {connection.vendor} databases are not supported")


def create_backup(output: Path | None = None) -> Path:
    """Take a backup; returns the archive's path (written whole, then renamed into place)."""
    data_dir = Path(settings.DATA_DIR)
    directory = Path(settings.ASSETGRAPH_BACKUP_DIR)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    archive = output or directory / f"assetgraph-backup-{stamp}.tar"
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=archive.parent, prefix=".backup-") as work:
        staging = Path(work)
        members: list[str] = []
        checkpoint = Path(settings.ASSETGRAPH_AUDIT_CHECKPOINT_FILE)
        if checkpoint.exists():  # before the snapshot: see the module docstring
            shutil.copyfile(checkpoint, staging / "audit-checkpoint.json")
            members.append("audit-checkpoint.json")
        members.append(_snapshot_database(staging))
        for name in FILE_DIRS:
            source = data_dir / name
            if source.is_dir():
                shutil.copytree(source, staging / "files" / name)
        members += (
            sorted(
                str(p.relative_to(staging)) for p in (staging / "files").rglob("*") if p.is_file()
            )
            if (staging / "files").exists()
            else []
        )
        head = AuditEvent.objects.order_by("-chain_seq").values_list("chain_seq", flat=True)
        manifest = {
            "format": FORMAT,
            "created": dt.datetime.now(dt.UTC).isoformat(),
            "vendor": connection.vendor,
            "audit_chain_head_at_start": head.first(),
            "files": {
                m: {"size": (staging / m).stat().st_size, "sha256": _sha256(staging / m)}
                for m in members
            },
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        partial = archive.with_name(f".{archive.name}.partial")
        with tarfile.open(partial, "w") as tar:
            tar.add(staging / MANIFEST, arcname=MANIFEST)
            for member in members:
                tar.add(staging / member, arcname=member)
        os.replace(partial, archive)
    return archive


def prune_backups(keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` archives in the backup directory."""
    directory = Path(settings.ASSETGRAPH_BACKUP_DIR)
    archives = sorted(directory.glob("assetgraph-backup-*.tar"))
    doomed = archives[: max(0, len(archives) - keep)]
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed


def read_verified(archive: Path, into: Path) -> dict[str, Any]:
    """Extract ``archive`` into ``into`` after checking it whole; returns its manifest."""
    try:
        with tarfile.open(archive, "r") as tar:
            names = tar.getnames()
            if MANIFEST not in names:
                raise BackupError("the archive has no manifest")
            handle = tar.extractfile(MANIFEST)
            manifest: dict[str, Any] = json.loads(handle.read() if handle else b"{}")
            files: dict[str, dict[str, Any]] = manifest.get("files", {})
            if manifest.get("format") != FORMAT:
                raise BackupError(f"unknown archive format {manifest.get('format')!r}")
            unknown = set(names) - set(files) - {MANIFEST}
            if unknown:
                raise BackupError(
                    f"the archive holds members its manifest does not list: {sorted(unknown)[:3]}"
                )
            missing = set(files) - set(names)
            if missing:
                raise BackupError(f"the archive is missing {sorted(missing)[:3]}")
            tar.extractall(into, filter="data")  # refuses absolute paths, .., links out
    except (tarfile.TarError, OSError, ValueError, EOFError) as exc:
        raise BackupError(f"the archive cannot be read: {exc}") from exc
    for name, expected in files.items():
        path = into / name
        if not path.is_file() or path.stat().st_size != expected["size"]:
            raise BackupError(f"{name}: wrong size; the archive is damaged")
        if _sha256(path) != expected["sha256"]:
            raise BackupError(f"{name}: checksum mismatch; the archive is damaged")
    return manifest


def _verify_aside(database_url: str, checkpoint: Path | None, work: Path) -> None:
    """Run ``assetgraph audit verify`` against the restored database."""
    data_dir = work / "verify-data"
    data_dir.mkdir()
    if checkpoint is not None:
        shutil.copyfile(checkpoint, data_dir / "audit-checkpoint.json")
    env = {
        **os.environ,
        "ASSETGRAPH_DATABASE_URL": database_url,
        "ASSETGRAPH_DATA_DIR": str(data_dir),
        "ASSETGRAPH_SECRET_KEY": settings.SECRET_KEY,
        "DJANGO_SETTINGS_MODULE": "assetgraph.settings",
    }
    result = subprocess.run(
        [sys.executable, "-m", "assetgraph.cli", "audit", "verify"],
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode:
        output = (result.stderr or result.stdout).strip().splitlines()
        raise BackupError(
            f"audit verify failed on the restored copy: {output[-1] if output else '?'}"
        )


def _admin_sql(db: dict[str, Any], statements: list[str]) -> None:
    import psycopg

    with psycopg.connect(postgres_url(db, "postgres"), autocommit=True) as admin:
        for statement in statements:
            admin.execute(statement)


def _restore_sqlite(work: Path, manifest: dict[str, Any], target: Path, stamp: str) -> Path:
    aside = target.with_name(f"{target.name}.restoring-{stamp}")
    shutil.copyfile(work / "database.sqlite3", aside)
    try:
        checkpoint = work / "audit-checkpoint.json"
        _verify_aside(f"sqlite:///{aside}", checkpoint if checkpoint.exists() else None, work)
    except BaseException:
        aside.unlink(missing_ok=True)
        raise
    connections.close_all()
    previous = target.with_name(f"{target.name}.pre-restore-{stamp}")
    if target.exists():
        os.replace(target, previous)
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    os.replace(aside, target)
    return previous


def _restore_postgresql(work: Path, db: dict[str, Any], target_name: str, stamp: str) -> str:
    aside = f"{target_name}_restoring_{stamp}".lower()[:63]
    previous = f"{target_name}_pre_restore_{stamp}".lower()[:63]
    _admin_sql(db, [f'CREATE DATABASE "{aside}"'])
    try:
        result = subprocess.run(  # noqa: S603 - fixed command, our arguments
            [
                _tool("pg_restore"),
                "--no-owner",
                "--exit-on-error",
                *_pg_args(db, aside),
                str(work / "database.dump"),
            ],
            env=_pg_env(db),
            capture_output=True,
            text=True,
        )
        if result.returncode:
            raise BackupError(f"pg_restore failed: {result.stderr.strip()[:500]}")
        checkpoint = work / "audit-checkpoint.json"
        _verify_aside(postgres_url(db, aside), checkpoint if checkpoint.exists() else None, work)
    except BaseException:
        _admin_sql(db, [f'DROP DATABASE IF EXISTS "{aside}"'])
        raise
    connections.close_all()
    import psycopg

    with psycopg.connect(postgres_url(db, "postgres"), autocommit=True) as admin:
        exists = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [target_name]
        ).fetchone()
        if exists:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [target_name],
            )
            admin.execute(f'ALTER DATABASE "{target_name}" RENAME TO "{previous}"')
        admin.execute(f'ALTER DATABASE "{aside}" RENAME TO "{target_name}"')
    return previous


def restore_backup(
    archive: Path, *, target_database: str | None = None, data_dir: Path | None = None
) -> dict[str, Any]:
    """Restore ``archive`` over the current database (or ``target_database``: a SQLite path or
    a PostgreSQL database name) and data files; returns a summary. Raises BackupError having
    changed nothing when the archive or the restored chain does not check out."""
    db = dict(connection.settings_dict)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    data_dir = data_dir or Path(settings.DATA_DIR)
    parent = data_dir if data_dir.exists() else Path(tempfile.gettempdir())
    with tempfile.TemporaryDirectory(dir=parent, prefix=".restore-") as scratch:
        work = Path(scratch)
        manifest = read_verified(archive, work / "archive")
        work = work / "archive"
        if manifest.get("vendor") != connection.vendor:
            raise BackupError(
                f"the archive is a {manifest.get('vendor')} backup; this installation runs "
                f"{connection.vendor}"
            )
        if connection.vendor == "sqlite":
            target = Path(target_database or db["NAME"])
            previous: str = str(_restore_sqlite(work, manifest, target, stamp))
        else:
            previous = _restore_postgresql(work, db, target_database or str(db["NAME"]), stamp)
        files = work / "files"
        if target_database is not None and data_dir == Path(settings.DATA_DIR):
            # a drill into another database: the installation's files stay as they are
            return {
                "restored": str(archive),
                "previous_database": previous,
                "created": manifest["created"],
            }
        for name in FILE_DIRS:
            restored = files / name
            current = data_dir / name
            if current.exists():
                shutil.rmtree(current)
            if restored.exists():
                shutil.copytree(restored, current)
        checkpoint = work / "audit-checkpoint.json"
        if checkpoint.exists() and target_database is None:
            shutil.copyfile(checkpoint, Path(settings.ASSETGRAPH_AUDIT_CHECKPOINT_FILE))
    return {"restored": str(archive), "previous_database": previous, "created": manifest["created"]}
