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
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone

from assetgraph.core.actor import Actor
from assetgraph.core.middleware import in_request
from assetgraph.core.registry import object_type_key

from .checkpoint import checkpoint_if_due, database_identity, read_checkpoint
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
        if not getattr(model_field, "audited", True):  # derived (sort keys): not a fact
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
    """Seal after the surrounding transaction commits (once per transaction), except in a web
    request: there the worker seals (each pass of its loop, and the "Seal the audit chain"
    schedule), so no request spends its time hashing the chain (issue 15, ADR 0014 §5)."""
    if in_request():
        return
    if not connection.in_atomic_block:
        _seal_after_commit()
        return
    if any(entry[1] is _seal_after_commit for entry in connection.run_on_commit):
        return
    transaction.on_commit(_seal_after_commit, robust=True)


def _seal_after_commit() -> None:
    # Bounded, so a command or job that committed a huge import does not seal 100k events at
    # once; the worker's next pass (or `assetgraph audit seal`) finishes the rest.
    if seal_pending(limit=SEAL_BATCH):
        checkpoint_if_due()


def current_revision() -> int:
    """The id of the newest event: monotonically increasing, for cache keys."""
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    return int(last or 0)


def late_commit_window() -> dt.timedelta:
    """How long a writer's transaction may legitimately hold events before it commits.

    Events are stamped when written but sealed after commit, so on PostgreSQL an event can
    reach the sealer after newer ones from shorter transactions were sealed. An unsealed event
    stamped earlier than the chain head (the last sealed event) by more than this cannot be a
    late commit: it was inserted behind the chain's back.
    """
    return dt.timedelta(seconds=settings.ASSETGRAPH_AUDIT_LATE_COMMIT_SECONDS)


def _forged_pending_q(head_time: dt.datetime | None) -> Q:
    """Unsealed events whose time rules out a late commit: stamped longer than the window
    before the chain head (the newest sealed event), or later than the window from now."""
    window = late_commit_window()
    condition = Q(timestamp__gt=timezone.now() + window)
    if head_time is not None:
        condition |= Q(timestamp__lt=head_time - window)
    return condition


def seal_pending(limit: int | None = None) -> int:
    """Link committed, unsealed events into the chain in id order; returns how many sealed.

    Sealers serialise on an advisory lock (PostgreSQL) or the write lock (SQLite); the unique
    ``chain_seq`` plus the ``chain_seq IS NULL`` condition make a lost race harmless. Events
    that cannot be late commits (stamped long before the chain head, or in the future) are
    never sealed: sealing would launder a row inserted behind the chain's back,
    so they stay unsealed and ``audit verify`` reports them.
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
            .values_list("chain_seq", "hash", "timestamp")
            .first()
        )
        seq, prev = (int(head[0] or 0), head[1]) if head else (0, GENESIS_HASH)
        pending = list(
            AuditEvent.objects.filter(chain_seq__isnull=True)
            .exclude(_forged_pending_q(head[2] if head else None))
            .order_by("id")[:batch]
        )
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
    """Outcome of checking the chain, its unsealed events and the last checkpoint.

    ``ok`` is false on any sign of tampering; ``warnings`` are facts worth knowing that are not
    tampering (no checkpoint yet, events waiting to be sealed).
    """

    ok: bool
    checked: int
    unsealed: int
    broken_event_id: int | None = None
    broken_chain_seq: int | None = None
    reason: str = ""
    forged_unsealed: tuple[int, ...] = ()
    checkpoint_seq: int | None = None
    warnings: tuple[str, ...] = ()


def _iter_chain(batch: int = 5000) -> Iterator[AuditEvent]:
    last = 0
    while True:
        rows = list(AuditEvent.objects.filter(chain_seq__gt=last).order_by("chain_seq")[:batch])
        if not rows:
            return
        yield from rows
        last = rows[-1].chain_seq or last


@dataclass
class _Walk:
    checked: int = 0
    head_seq: int = 0
    head_id: int | None = None
    head_time: dt.datetime | None = None
    hashes_at: dict[int, str] = field(default_factory=dict)
    broken: tuple[int, int | None, str] | None = None


def _walk_chain(watch: set[int]) -> _Walk:
    """Recompute every sealed event's hash in chain order; stop at the first broken link."""
    walk = _Walk()
    prev = GENESIS_HASH
    for expected_seq, event in enumerate(_iter_chain(), start=1):
        problem = ""
        if event.chain_seq != expected_seq:
            problem = f"chain position {expected_seq} is missing (an event was deleted)"
        elif event.prev_hash != prev:
            problem = "its prev_hash does not match the previous event's hash"
        elif event.compute_hash(prev) != event.hash:
            problem = "its content does not match its hash (the row was modified)"
        if problem:
            walk.broken = (event.pk, event.chain_seq, problem)
            return walk
        if expected_seq in watch:
            walk.hashes_at[expected_seq] = event.hash
        prev = event.hash
        walk.checked += 1
        walk.head_seq, walk.head_id, walk.head_time = expected_seq, event.pk, event.timestamp
    return walk


def verify_chain() -> VerifyResult:
    """Check the audit trail without writing anything.

    1. Every sealed event, in chain order: positions contiguous from 1, each ``prev_hash`` the
       previous hash, each hash recomputed from the content.
    2. Unsealed events: one stamped too long before the chain head (or in the future)
       cannot be waiting for a late commit, so it was inserted or un-sealed behind the chain's
       back (see :func:`late_commit_window`).
    3. The last signed checkpoint: the chain must still hold its position with its hash, so
       deleting the newest events, or rewriting the chain from some point on, is detected.
    """
    stored = read_checkpoint()
    checkpoint = stored.checkpoint
    if checkpoint is not None and checkpoint.database != database_identity():
        checkpoint = None
    walk = _walk_chain({checkpoint.chain_seq} if checkpoint else set())
    unsealed = AuditEvent.objects.filter(chain_seq__isnull=True)
    unsealed_count = unsealed.count()
    result = partial(
        VerifyResult,
        checked=walk.checked,
        unsealed=unsealed_count,
        checkpoint_seq=checkpoint.chain_seq if checkpoint else None,
    )
    if walk.broken is not None:
        event_id, seq, reason = walk.broken
        return result(ok=False, broken_event_id=event_id, broken_chain_seq=seq, reason=reason)
    forged = tuple(
        unsealed.filter(_forged_pending_q(walk.head_time))
        .order_by("id")
        .values_list("id", flat=True)[:20]
    )
    if forged:
        return result(
            ok=False,
            broken_event_id=forged[0],
            reason=(
                f"{len(forged)}{'+' if len(forged) == 20 else ''} unsealed event(s) older than "
                f"the chain head (ids {', '.join(map(str, forged))}): inserted or un-sealed "
                "outside the application"
            ),
            forged_unsealed=forged,
        )
    if stored.problem:
        return result(ok=False, reason=stored.problem)
    warnings: list[str] = []
    if checkpoint is not None:
        if walk.head_seq < checkpoint.chain_seq:
            return result(
                ok=False,
                broken_chain_seq=walk.head_seq + 1,
                reason=(
                    f"the chain ends at position {walk.head_seq} but the checkpoint of "
                    f"{checkpoint.written_at} recorded position {checkpoint.chain_seq} "
                    f"(event #{checkpoint.event_id}): the newest events were deleted or "
                    "un-sealed"
                ),
            )
        if walk.hashes_at.get(checkpoint.chain_seq) != checkpoint.hash:
            return result(
                ok=False,
                broken_chain_seq=checkpoint.chain_seq,
                reason=(
                    f"chain position {checkpoint.chain_seq} does not hold the hash checkpointed "
                    f"at {checkpoint.written_at}: the chain was rewritten"
                ),
            )
    elif walk.checked:
        if stored.checkpoint is not None:
            warnings.append(
                f"the checkpoint file is for another database ({stored.checkpoint.database}); "
                "deleting the newest events cannot be detected"
            )
        else:
            warnings.append(
                "no checkpoint yet: deleting the newest events cannot be detected "
                "(run `assetgraph audit checkpoint`)"
            )
    if unsealed_count:
        warnings.append(f"{unsealed_count} event(s) not yet sealed (`assetgraph audit seal`)")
    return result(ok=True, warnings=tuple(warnings))


def history(object_type: str, object_ids: Sequence[Any]) -> models.QuerySet[AuditEvent]:
    """Events about the given objects, newest first (the History tab's query)."""
    return AuditEvent.objects.filter(
        object_type=object_type, object_id__in=[str(i) for i in object_ids]
    ).order_by("-id")
