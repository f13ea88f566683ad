"""``audit verify`` against a forger with database access: it reads only, and it detects an
inserted row, an edited head with its hash nulled, a truncated tail and a forged checkpoint."""

from __future__ import annotations

import datetime as dt
import json
import socket
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from assetgraph.audit import checkpoint as checkpoints
from assetgraph.audit.models import AuditEvent
from assetgraph.audit.services import (
    BULK_COLUMNS,
    EventSpec,
    _bulk_insert_sql,
    record_events,
    seal_pending,
    verify_chain,
)
from assetgraph.core.actor import Actor

pytestmark = pytest.mark.django_db
TABLE = AuditEvent._meta.db_table


def _chain(system: Actor, count: int = 6) -> list[AuditEvent]:
    """``count`` sealed events and a checkpoint of the head."""
    record_events(system, (EventSpec("org.company", i, "update", {"n": i}) for i in range(count)))
    seal_pending()
    checkpoints.write_checkpoint()
    return list(AuditEvent.objects.order_by("chain_seq"))[-count:]


def _forge(timestamp: dt.datetime, action: str = "approve") -> int:
    """Insert an unsealed event straight into the table, as someone with SQL access would."""
    values = {
        "timestamp": connection.ops.adapt_datetimefield_value(timestamp),
        "object_type": "org.company",
        "object_id": "1",
        "object_repr": "forged",
        "action": action,
        "before": None,
        "after": json.dumps({"approved": True}),
        "changed_fields": "[]",
        "actor_type": "user",
        "actor_id": None,
        "actor_repr": "ceo",
        "token_id": None,
        "source": "ui",
        "request_id": "",
        "job_id": "",
        "prev_hash": "",
        "hash": "",
    }
    with connection.cursor() as cursor:
        cursor.execute(_bulk_insert_sql(), [values[c] for c in BULK_COLUMNS])
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _sql(statement: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement.format(t=connection.ops.quote_name(TABLE)), params)


def _verify_fails(match: str) -> str:
    result = verify_chain()
    assert not result.ok, result
    assert match in result.reason, result.reason
    with pytest.raises(CommandError) as failure:
        call_command("audit", "verify")
    assert failure.value.returncode == 1
    return result.reason


def head_seq() -> int:
    return AuditEvent.objects.exclude(chain_seq=None).order_by("-chain_seq")[0].chain_seq or 0


def _table_state() -> list[tuple[Any, ...]]:
    fields = [f.attname for f in AuditEvent._meta.concrete_fields]
    return list(AuditEvent.objects.order_by("id").values_list(*fields))


def test_verify_writes_nothing(system: Actor, capsys: Any) -> None:
    _chain(system)
    record_events(system, [EventSpec("org.company", 99, "update")])  # pending, legitimately
    state = _table_state()
    path = checkpoints.checkpoint_path()
    checkpoint_bytes, checkpoint_mtime = path.read_bytes(), path.stat().st_mtime_ns
    with CaptureQueriesContext(connection) as queries:
        call_command("audit", "verify")
        call_command("audit", "verify", "--no-seal")
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
    assert _table_state() == state
    assert AuditEvent.objects.filter(chain_seq__isnull=True).count() == 1
    assert (path.read_bytes(), path.stat().st_mtime_ns) == (checkpoint_bytes, checkpoint_mtime)
    out = capsys.readouterr().out
    head = AuditEvent.objects.exclude(chain_seq=None).count()
    assert f"{head} event(s) verified, matches the checkpoint at position {head}" in out
    assert "1 event(s) not yet sealed" in out


def test_a_backdated_row_inserted_unsealed_is_tampering_and_never_sealed(system: Actor) -> None:
    _chain(system)
    forged = _forge(timezone.now() - dt.timedelta(days=30))
    reason = _verify_fails("older than the chain head")
    assert str(forged) in reason
    assert verify_chain().forged_unsealed == (forged,)
    call_command("audit", "seal")  # the sealer refuses to launder it into the chain
    assert AuditEvent.objects.get(pk=forged).chain_seq is None
    _verify_fails("older than the chain head")


def test_a_future_dated_unsealed_row_is_tampering(system: Actor) -> None:
    _chain(system)
    _forge(timezone.now() + dt.timedelta(days=2))
    _verify_fails("older than the chain head")
    assert seal_pending() == 0


def test_a_late_commit_within_the_window_is_pending_not_tampering(system: Actor) -> None:
    """On PostgreSQL a long transaction commits events older than ones already sealed."""
    _chain(system)
    late = _forge(timezone.now() - dt.timedelta(minutes=20))
    result = verify_chain()
    assert result.ok and result.unsealed == 1
    assert any("not yet sealed" in w for w in result.warnings)
    assert seal_pending() == 1
    assert AuditEvent.objects.get(pk=late).chain_seq == head_seq()
    assert verify_chain().ok


def test_the_window_is_configurable(system: Actor, settings: Any) -> None:
    _chain(system)
    _forge(timezone.now() - dt.timedelta(minutes=20))
    settings.ASSETGRAPH_AUDIT_LATE_COMMIT_SECONDS = 600
    _verify_fails("older than the chain head")


def test_an_edited_head_with_its_hash_nulled_is_detected(system: Actor) -> None:
    events = _chain(system)
    head = events[-1]
    _sql(
        "UPDATE {t} SET after = %s, chain_seq = NULL, prev_hash = '', hash = '' WHERE id = %s",
        [json.dumps({"n": "forged"}), head.pk],
    )
    _verify_fails(f"the chain ends at position {head.chain_seq - 1} but the checkpoint")
    # Once the sealer re-links the edited row it holds position 6 with another hash.
    assert seal_pending() == 1
    _verify_fails("does not hold the hash checkpointed")
    # ... and the checkpoint is not moved to the rewritten head.
    checkpoint, message = checkpoints.write_checkpoint()
    assert "not overwritten" in message
    assert checkpoint is not None and checkpoint.hash == head.hash


def test_the_head_with_only_its_hash_nulled_is_detected(system: Actor) -> None:
    head = _chain(system)[-1]
    _sql("UPDATE {t} SET hash = '' WHERE id = %s", [head.pk])
    _verify_fails("does not match its hash")


def test_a_truncated_tail_is_detected(system: Actor) -> None:
    events = _chain(system)
    keep = events[2].chain_seq
    _sql("DELETE FROM {t} WHERE chain_seq > %s", [keep])
    reason = _verify_fails(f"the chain ends at position {keep}")
    assert f"event #{events[-1].pk}" in reason


def test_a_truncated_tail_regrown_by_new_writes_is_detected(system: Actor) -> None:
    events = _chain(system)
    _sql("DELETE FROM {t} WHERE chain_seq > %s", [events[2].chain_seq])
    record_events(system, (EventSpec("org.company", i, "update") for i in range(5)))
    seal_pending()
    _verify_fails("does not hold the hash checkpointed")


def test_an_empty_table_after_a_checkpoint_is_detected(system: Actor) -> None:
    _chain(system)
    _sql("DELETE FROM {t} WHERE id > %s", [0])
    _verify_fails("the chain ends at position 0")


def test_a_forged_or_edited_checkpoint_is_refused(system: Actor) -> None:
    _chain(system)
    path = checkpoints.checkpoint_path()
    data = json.loads(path.read_text())
    data["chain_seq"] = 2
    path.write_text(json.dumps(data))
    _verify_fails("invalid signature")
    payload = {k: v for k, v in data.items() if k != "signature"}
    data["signature"] = checkpoints.sign(payload, secret="x" * 50)
    path.write_text(json.dumps(data))
    _verify_fails("invalid signature")
    path.write_text("{not json")
    _verify_fails("not a valid checkpoint")
    assert "not overwritten" in checkpoints.write_checkpoint()[1]
    assert checkpoints.write_checkpoint(reset=True)[0] is not None
    assert verify_chain().ok


def test_a_checkpoint_survives_key_rotation_through_fallbacks(system: Actor, settings: Any) -> None:
    _chain(system)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "n" * 50
    assert verify_chain().ok


def test_without_a_checkpoint_verify_warns(system: Actor, capsys: Any) -> None:
    record_events(system, [EventSpec("org.company", 1, "update")])
    seal_pending()
    result = verify_chain()
    assert result.ok and result.checkpoint_seq is None
    assert any("no checkpoint yet" in w for w in result.warnings)
    call_command("audit", "verify")
    assert "warning: no checkpoint yet" in capsys.readouterr().out


def test_a_checkpoint_of_another_database_is_not_compared(system: Actor) -> None:
    _chain(system)
    path = checkpoints.checkpoint_path()
    data = json.loads(path.read_text())
    data["database"] = "sqlite:/elsewhere.sqlite3"
    data["chain_seq"] = 999
    data["signature"] = checkpoints.sign({k: v for k, v in data.items() if k != "signature"})
    path.write_text(json.dumps(data))
    result = verify_chain()
    assert result.ok and any("another database" in w for w in result.warnings)


def test_seal_and_checkpoint_commands(system: Actor, capsys: Any) -> None:
    pending = AuditEvent.objects.filter(chain_seq=None).count()
    record_events(system, (EventSpec("org.company", i, "update") for i in range(3)))
    call_command("audit", "seal")
    out = capsys.readouterr().out
    head = head_seq()
    assert f"sealed {pending + 3} pending event(s)" in out
    assert f"checkpoint written at chain position {head}" in out
    call_command("audit", "checkpoint")
    assert f"already at chain position {head}" in capsys.readouterr().out
    stored = checkpoints.read_checkpoint().checkpoint
    assert stored is not None and stored.chain_seq == head
    assert oct(checkpoints.checkpoint_path().stat().st_mode & 0o777) == "0o600"


def test_the_checkpoint_never_moves_backwards(system: Actor) -> None:
    events = _chain(system)
    _sql("DELETE FROM {t} WHERE chain_seq > %s", [events[3].chain_seq])
    checkpoint, message = checkpoints.write_checkpoint()
    assert checkpoint is not None and checkpoint.chain_seq == events[-1].chain_seq
    assert "not overwritten" in message
    with pytest.raises(CommandError, match="not overwritten"):
        call_command("audit", "checkpoint")


@pytest.mark.django_db(transaction=True)
def test_sealing_after_commit_checkpoints_at_most_once_per_interval(
    system: Actor, settings: Any
) -> None:
    from assetgraph.org import services as org

    path = checkpoints.checkpoint_path()
    org.create_company(system, {"name": "A"})
    first = checkpoints.read_checkpoint().checkpoint
    assert first is not None and first.chain_seq == head_seq()
    org.create_company(system, {"name": "B"})
    assert checkpoints.read_checkpoint().checkpoint == first  # within the interval
    settings.ASSETGRAPH_AUDIT_CHECKPOINT_SECONDS = 0
    org.create_company(system, {"name": "C"})
    latest = checkpoints.read_checkpoint().checkpoint
    assert latest is not None and latest.chain_seq == head_seq() == first.chain_seq + 2
    assert path.exists() and verify_chain().ok


def test_checkpoints_go_to_syslog_when_configured(system: Actor, settings: Any) -> None:
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(5)
    try:
        settings.ASSETGRAPH_AUDIT_SYSLOG = f"udp://127.0.0.1:{receiver.getsockname()[1]}"
        checkpoint = _chain(system, 2)[-1]
        message = receiver.recv(4096).decode()
    finally:
        receiver.close()
    assert f"assetgraph audit checkpoint chain_seq={checkpoint.chain_seq}" in message
    assert f"hash={checkpoint.hash}" in message and "signature=" in message


def test_the_checkpoint_file_defaults_to_the_data_dir() -> None:
    # The autouse fixture points tests elsewhere; the real default lives in the data dir.
    from assetgraph import settings as project_settings

    assert Path(project_settings.ASSETGRAPH_AUDIT_CHECKPOINT_FILE).parent == Path(
        project_settings.DATA_DIR
    )
    assert settings.ASSETGRAPH_AUDIT_CHECKPOINT_SECONDS >= 0


TAMPERING = st.sampled_from(
    ["edit", "null-hash", "unseal", "delete", "truncate", "insert-old", "swap", "relink"]
)


@hypothesis_settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(kind=TAMPERING, position=st.integers(min_value=1, max_value=6), size=st.integers(2, 5))
def test_any_tampering_with_a_checkpointed_chain_is_detected(
    system: Actor, kind: str, position: int, size: int
) -> None:
    """Property: whatever one SQL statement does to a sealed, checkpointed chain, verify fails
    (and finds no such problem before the statement)."""
    with transaction.atomic():
        events = _chain(system, 6)
        assert verify_chain().ok
        victim = events[position - 1]
        last = events[-1].chain_seq or 0
        if kind == "edit":
            _sql("UPDATE {t} SET actor_repr = %s WHERE id = %s", ["mallory", victim.pk])
        elif kind == "null-hash":
            _sql("UPDATE {t} SET hash = '' WHERE id = %s", [victim.pk])
        elif kind == "unseal":
            _sql(
                "UPDATE {t} SET chain_seq = NULL, hash = '', prev_hash = '' WHERE id = %s",
                [victim.pk],
            )
        elif kind == "delete":
            _sql("DELETE FROM {t} WHERE id = %s", [victim.pk])
        elif kind == "truncate":
            _sql("DELETE FROM {t} WHERE chain_seq > %s", [last - size])
        elif kind == "insert-old":
            _forge(victim.timestamp - dt.timedelta(hours=size))
        elif kind == "swap":
            other = events[position % 6]
            _sql("UPDATE {t} SET object_id = %s WHERE id = %s", [other.object_id + "x", victim.pk])
        elif kind == "relink":
            # Rewrite the event and recompute its whole tail as a forger without the key can.
            _sql("UPDATE {t} SET actor_repr = %s WHERE id = %s", ["mallory", victim.pk])
            prev = events[position - 2].hash if position > 1 else victim.prev_hash
            tail = AuditEvent.objects.filter(chain_seq__gte=victim.chain_seq).order_by("chain_seq")
            for event in tail:
                digest = event.compute_hash(prev)
                _sql(
                    "UPDATE {t} SET prev_hash = %s, hash = %s WHERE id = %s",
                    [prev, digest, event.pk],
                )
                prev = digest
        result = verify_chain()
        assert not result.ok, (kind, position, result)
        transaction.set_rollback(True)
    checkpoints.checkpoint_path().unlink(missing_ok=True)  # the next example starts afresh
