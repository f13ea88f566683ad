"""Checkpoints of the audit chain's head, kept outside the database.

The hash chain proves that no sealed event was changed or removed *in the middle*; it cannot
prove on its own that the newest events were not deleted (the shorter chain is still a valid
chain). So the head (chain position, hash, event id) is written to a file in the data
directory, signed with an HMAC derived from the secret key: someone who can write to the
database but not read the secret key can neither forge a checkpoint nor make an old one match
a truncated or rewritten chain. ``audit verify`` compares the chain with the last checkpoint.

A checkpoint is written after sealing, at most every ``ASSETGRAPH_AUDIT_CHECKPOINT_SECONDS``
(0: after every seal), always by ``assetgraph audit seal`` / ``audit checkpoint``, and is also
sent to syslog when ``ASSETGRAPH_AUDIT_SYSLOG`` names a target, so a copy lives on another host.

A checkpoint never moves backwards and is never replaced by one the chain does not extend:
if the database no longer holds the checkpointed head, the old checkpoint stays (so ``verify``
keeps reporting the truncation) until an operator resets it with ``audit checkpoint --reset``
(after restoring a backup, for instance).
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import logging.handlers
import os
import socket
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .models import AuditEvent

logger = logging.getLogger("assetgraph.audit")

FORMAT_VERSION = 1
_SALT = "assetgraph.audit.checkpoint"


@dataclass(frozen=True)
class Checkpoint:
    """The chain head at one moment: position, hash and event id, for one database."""

    chain_seq: int
    hash: str
    event_id: int
    database: str
    written_at: str
    version: int = FORMAT_VERSION

    def payload(self) -> dict[str, Any]:
        """The signed content (everything but the signature)."""
        return asdict(self)


@dataclass(frozen=True)
class StoredCheckpoint:
    """What the checkpoint file holds: a checkpoint, or why it cannot be trusted."""

    checkpoint: Checkpoint | None
    problem: str = ""


def checkpoint_path() -> Path:
    """The signed checkpoint file (``<data dir>/audit-checkpoint.json`` by default)."""
    return Path(settings.ASSETGRAPH_AUDIT_CHECKPOINT_FILE)


def database_identity() -> str:
    """Which database a checkpoint belongs to (a data dir may serve a test database too)."""
    return f"{connection.vendor}:{connection.settings_dict.get('NAME') or ''}"


def _canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode("utf-8")


def sign(payload: dict[str, Any], secret: str | None = None) -> str:
    """HMAC-SHA256 of the canonical payload, keyed by the secret key (salted for this use)."""
    return salted_hmac(
        _SALT, _canonical(payload), secret=secret or settings.SECRET_KEY, algorithm="sha256"
    ).hexdigest()


def _signature_valid(payload: dict[str, Any], signature: str) -> bool:
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return any(hmac.compare_digest(sign(payload, secret), signature) for secret in secrets)


def read_checkpoint(path: Path | None = None) -> StoredCheckpoint:
    """Load and authenticate the checkpoint file; a missing file is ``(None, "")``."""
    path = path or checkpoint_path()
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return StoredCheckpoint(None)
    except OSError as exc:
        return StoredCheckpoint(None, f"the checkpoint file {path} cannot be read ({exc})")
    try:
        data = json.loads(raw)
        signature = data.pop("signature")
        checkpoint = Checkpoint(
            chain_seq=int(data["chain_seq"]),
            hash=str(data["hash"]),
            event_id=int(data["event_id"]),
            database=str(data["database"]),
            written_at=str(data["written_at"]),
            version=int(data["version"]),
        )
        if set(data) != set(checkpoint.payload()) or not isinstance(signature, str):
            raise ValueError("unexpected fields")
    except (ValueError, KeyError, TypeError, AttributeError):
        return StoredCheckpoint(None, f"the checkpoint file {path} is not a valid checkpoint")
    if not _signature_valid(checkpoint.payload(), signature):
        return StoredCheckpoint(
            None,
            f"the checkpoint file {path} has an invalid signature "
            "(edited, or written with another secret key)",
        )
    return StoredCheckpoint(checkpoint)


def chain_head() -> tuple[int, str, int] | None:
    """``(chain_seq, hash, event id)`` of the newest sealed event, or ``None``."""
    row = (
        AuditEvent.objects.filter(chain_seq__isnull=False)
        .order_by("-chain_seq")
        .values_list("chain_seq", "hash", "id")
        .first()
    )
    return (int(row[0] or 0), row[1], row[2]) if row else None


def hash_at(chain_seq: int) -> str | None:
    """The stored hash at one chain position (``None`` if no event holds it)."""
    return AuditEvent.objects.filter(chain_seq=chain_seq).values_list("hash", flat=True).first()


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Serialise checkpoint writers of this data dir (threads and processes alike)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.with_name(path.name + ".lock")
    with lock_path.open("a") as handle:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: best effort without a lock
            yield
            return
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _write_file(path: Path, checkpoint: Checkpoint) -> None:
    body = {**checkpoint.payload(), "signature": sign(checkpoint.payload())}
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".checkpoint-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(body, handle, indent=2, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)  # readers see the old file or the new one, never half of one
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_checkpoint(*, reset: bool = False) -> tuple[Checkpoint | None, str]:
    """Checkpoint the current chain head; returns ``(checkpoint in force, message)``.

    Refuses (keeping the old checkpoint) when the chain no longer holds the checkpointed head
    or is shorter than it, unless ``reset``: overwriting it would hide exactly the truncation
    or rewrite that the checkpoint exists to reveal.
    """
    path = checkpoint_path()
    with _locked(path):
        head = chain_head()
        if head is None:
            return None, "nothing sealed yet: no checkpoint written"
        seq, digest, event_id = head
        identity = database_identity()
        stored = read_checkpoint(path)
        previous = stored.checkpoint
        if not reset:
            if stored.problem:
                return None, stored.problem + "; not overwritten (use --reset after checking)"
            if previous is not None and previous.database == identity:
                if previous.chain_seq > seq:
                    return previous, (
                        f"the chain ends at position {seq}, before the checkpoint's "
                        f"{previous.chain_seq}; not overwritten (use --reset after checking)"
                    )
                if hash_at(previous.chain_seq) != previous.hash:
                    return previous, (
                        f"chain position {previous.chain_seq} no longer holds the checkpointed "
                        "hash; not overwritten (use --reset after checking)"
                    )
                if previous.chain_seq == seq:
                    return previous, f"checkpoint already at chain position {seq}"
        checkpoint = Checkpoint(
            chain_seq=seq,
            hash=digest,
            event_id=event_id,
            database=identity,
            written_at=timezone.now().isoformat(timespec="seconds"),
        )
        _write_file(path, checkpoint)
    _send_to_syslog(checkpoint)
    return checkpoint, f"checkpoint written at chain position {seq}"


def checkpoint_if_due() -> None:
    """After sealing: write a checkpoint when the last one is older than the interval.

    Never raises: a full disk must not fail the write whose commit triggered the seal; it is
    logged, and ``audit verify`` reports a stale checkpoint as it would a missing one.
    """
    interval = settings.ASSETGRAPH_AUDIT_CHECKPOINT_SECONDS
    path = checkpoint_path()
    try:
        if interval > 0 and time.time() - path.stat().st_mtime < interval:
            return
    except FileNotFoundError:
        pass
    except OSError:
        logger.exception("cannot stat the audit checkpoint file %s", path)
        return
    try:
        _, message = write_checkpoint()
    except Exception:
        logger.exception("writing the audit checkpoint failed")
        return
    if "not overwritten" in message:
        logger.error("audit checkpoint: %s", message)


@lru_cache(maxsize=4)
def _syslog_handler(target: str) -> logging.handlers.SysLogHandler:
    if target.startswith("/"):
        return logging.handlers.SysLogHandler(address=target)
    parts = urlsplit(target)
    kind = socket.SOCK_STREAM if parts.scheme == "tcp" else socket.SOCK_DGRAM
    return logging.handlers.SysLogHandler(
        address=(parts.hostname or "localhost", parts.port or 514), socktype=kind
    )


def syslog_line(checkpoint: Checkpoint) -> str:
    """The one line sent to syslog: enough to check a database against it by hand."""
    signature = sign(checkpoint.payload())
    return (
        f"assetgraph audit checkpoint chain_seq={checkpoint.chain_seq} hash={checkpoint.hash} "
        f"event_id={checkpoint.event_id} database={checkpoint.database} "
        f"written_at={checkpoint.written_at} signature={signature}"
    )


def _send_to_syslog(checkpoint: Checkpoint) -> None:
    target = settings.ASSETGRAPH_AUDIT_SYSLOG
    if not target:
        return
    record = logging.LogRecord(
        "assetgraph.audit", logging.INFO, __file__, 0, syslog_line(checkpoint), None, None
    )
    try:
        handler = _syslog_handler(target)
        handler.emit(record)
    except OSError:
        logger.exception("sending the audit checkpoint to syslog %s failed", target)
