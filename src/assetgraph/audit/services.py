"""Writing to the audit spine: snapshots, single and bulk appends, sealing and verification.

Services call :func:`record_event` (or :func:`record_events` for bulk) inside the same
transaction as the write they describe. Sealing happens after commit, so the chain never holds
a lock for the length of a writer's transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from assetgraph.core.actor import Actor
from assetgraph.core.registry import object_type_key

from .models import GENESIS_HASH, AuditEvent

SEAL_BATCH = 2000
# Arbitrary constant naming the sealer's PostgreSQL advisory lock.
_SEAL_LOCK_KEY = 0x617564_6974  # "audit"


def json_value(value: Any) -> Any:
    """A JSON-safe, stable rendering of a model field value for before/after snapshots."""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_value(v) for v in value]
    return value


def snapshot(instance: models.Model) -> dict[str, Any]:
    """The auditable state of an instance: concrete fields (FKs as ids), minus secrets."""
    excluded = set(getattr(instance, "audit_exclude", ()))
    data: dict[str, Any] = {}
    for model_field in instance._meta.concrete_fields:
        if model_field.name in excluded or model_field.name in {"created", "updated"}:
            continue
        data[model_field.name] = json_value(getattr(instance, model_field.attname))
    return data


def changed_fields(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[str]:
    """Names of keys whose values differ between two snapshots."""
    before = before or {}
    after = after or {}
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


@dataclass
class EventSpec:
    """One event to append; :func:`record_events` turns many of these into rows at once."""

    object_type: str
    object_id: Any
    action: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    object_repr: str = ""
    changed: list[str] | None = field(default=None)


def _build(actor: Actor, spec: EventSpec, now: dt.datetime) -> AuditEvent:
    user = actor.user
    return AuditEvent(
        timestamp=now,
        object_type=spec.object_type,
        object_id=str(spec.object_id),
        object_repr=spec.object_repr[:200],
        action=spec.action,
        before=spec.before,
        after=spec.after,
        changed_fields=spec.changed
        if spec.changed is not None
        else changed_fields(spec.before, spec.after),
        actor_type=actor.actor_type.value,
        actor_id=user.pk if user is not None else None,
        actor_repr=actor.display[:150],
        token_id=actor.token_id,
        source=actor.source.value,
        request_id=actor.request_id[:64],
        job_id=actor.job_id[:64],
    )


def record_event(
    actor: Actor,
    action: str,
    instance: models.Model,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event about ``instance``; must run inside the writer's transaction."""
    spec = EventSpec(
        object_type=object_type_key(instance),
        object_id=instance.pk,
        action=action,
        before=before,
        after=after,
        object_repr=str(instance),
    )
    event = _build(actor, spec, timezone.now())
    event.save()
    schedule_seal()
    return event


# The columns a bulk writer fills, in order (shared with the CMDB's COPY/executemany path).
BULK_COLUMNS = (
    "timestamp",
    "object_type",
    "object_id",
    "object_repr",
    "action",
    "before",
    "after",
    "changed_fields",
    "actor_type",
    "actor_id",
    "actor_repr",
    "token_id",
    "source",
    "request_id",
    "job_id",
    "prev_hash",
    "hash",
)
JSON_COLUMNS = frozenset({"before", "after", "changed_fields"})


def _bulk_insert_sql() -> str:
    cast = "::jsonb" if connection.vendor == "postgresql" else ""
    placeholders = ", ".join(f"%s{cast}" if c in JSON_COLUMNS else "%s" for c in BULK_COLUMNS)
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in BULK_COLUMNS)
    return f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608 - our names


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def actor_columns(actor: Actor) -> tuple[Any, ...]:
    """The trailing :data:`BULK_COLUMNS` values every event of one actor shares (actor, source,
    request, job; hashes empty until sealed)."""
    return (
        actor.actor_type.value,
        actor.user.pk if actor.user is not None else None,
        actor.display[:150],
        actor.token_id,
        actor.source.value,
        actor.request_id[:64],
        actor.job_id[:64],
        "",
        "",
    )


def record_events(actor: Actor, specs: Iterable[EventSpec], batch_size: int = 5000) -> int:
    """Append many events at once (imports, bulk actions); returns the count.

    One prepared INSERT run with ``executemany``: the events are plain data, so the ORM's
    per-value compilation would only cost time (it dominated bulk imports).
    """
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    fixed = actor_columns(actor)
    sql = _bulk_insert_sql()
    count = 0
    batch: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for spec in specs:
            changed = (
                spec.changed
                if spec.changed is not None
                else changed_fields(spec.before, spec.after)
            )
            batch.append(
                (
                    now,
                    spec.object_type,
                    str(spec.object_id),
                    spec.object_repr[:200],
                    spec.action,
                    _json(spec.before),
                    _json(spec.after),
                    _json(changed),
                    *fixed,
                )
            )
            if len(batch) >= batch_size:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    if count:
        schedule_seal()
    return count


def schedule_seal() -> None:
    """Seal after the surrounding transaction commits (once per transaction)."""
    if not connection.in_atomic_block:
        seal_pending(limit=SEAL_BATCH)
        return
    if any(entry[1] is _seal_after_commit for entry in connection.run_on_commit):
        return
    transaction.on_commit(_seal_after_commit, robust=True)


def _seal_after_commit() -> None:
    # Bounded, so a request that committed a huge import does not seal 100k events inline;
    # `assetgraph audit seal` and `audit verify` finish the rest.
    seal_pending(limit=SEAL_BATCH)


def current_revision() -> int:
    """The id of the newest event: monotonically increasing, for cache keys."""
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    return int(last or 0)


def seal_pending(limit: int | None = None) -> int:
    """Link committed, unsealed events into the chain in id order; returns how many sealed.

    Sealers serialise on an advisory lock (PostgreSQL) or the write lock (SQLite); the unique
    ``chain_seq`` plus the ``chain_seq IS NULL`` condition make a lost race harmless.
    """
    sealed = 0
    while limit is None or sealed < limit:
        batch = SEAL_BATCH if limit is None else min(SEAL_BATCH, limit - sealed)
        done = _seal_batch(batch)
        sealed += done
        if done < batch:
            break
    return sealed


def _seal_batch(batch: int) -> int:
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SEAL_LOCK_KEY])
        head = (
            AuditEvent.objects.filter(chain_seq__isnull=False)
            .order_by("-chain_seq")
            .values_list("chain_seq", "hash")
            .first()
        )
        seq, prev = (int(head[0] or 0), head[1]) if head else (0, GENESIS_HASH)
        pending = list(AuditEvent.objects.filter(chain_seq__isnull=True).order_by("id")[:batch])
        if not pending:
            return 0
        params: list[tuple[int, str, str, int]] = []
        for event in pending:
            seq += 1
            event.chain_seq = seq
            digest = event.compute_hash(prev)
            params.append((seq, prev, digest, event.pk))
            prev = digest
        table = connection.ops.quote_name(AuditEvent._meta.db_table)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET chain_seq = %s, prev_hash = %s, hash = %s "  # noqa: S608 - table name is ours
                "WHERE id = %s AND chain_seq IS NULL",
                params,
            )
        return len(pending)


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of walking the chain."""

    ok: bool
    checked: int
    unsealed: int
    broken_event_id: int | None = None
    broken_chain_seq: int | None = None
    reason: str = ""


def _iter_chain(batch: int = 5000) -> Iterator[AuditEvent]:
    last = 0
    while True:
        rows = list(AuditEvent.objects.filter(chain_seq__gt=last).order_by("chain_seq")[:batch])
        if not rows:
            return
        yield from rows
        last = rows[-1].chain_seq or last


def verify_chain() -> VerifyResult:
    """Recompute every sealed event's hash in chain order and report the first broken link."""
    prev = GENESIS_HASH
    checked = 0
    for expected_seq, event in enumerate(_iter_chain(), start=1):
        if event.chain_seq != expected_seq:
            return VerifyResult(
                False,
                checked,
                _unsealed(),
                event.pk,
                event.chain_seq,
                f"chain position {expected_seq} is missing (an event was deleted)",
            )
        if event.prev_hash != prev:
            return VerifyResult(
                False,
                checked,
                _unsealed(),
                event.pk,
                event.chain_seq,
                "its prev_hash does not match the previous event's hash",
            )
        if event.compute_hash(prev) != event.hash:
            return VerifyResult(
                False,
                checked,
                _unsealed(),
                event.pk,
                event.chain_seq,
                "its content does not match its hash (the row was modified)",
            )
        prev = event.hash
        checked += 1
    return VerifyResult(True, checked, _unsealed())


def _unsealed() -> int:
    return AuditEvent.objects.filter(chain_seq__isnull=True).count()


def history(object_type: str, object_ids: Sequence[Any]) -> models.QuerySet[AuditEvent]:
    """Events about the given objects, newest first (the History tab's query)."""
    return AuditEvent.objects.filter(
        object_type=object_type, object_id__in=[str(i) for i in object_ids]
    ).order_by("-id")
