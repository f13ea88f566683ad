"""The audit spine: append-only rows, bulk append, sealing after commit, verification."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction

from assetgraph.audit.models import AuditEvent, AuditEventImmutable
from assetgraph.audit.services import (
    EventSpec,
    current_revision,
    record_events,
    seal_pending,
    verify_chain,
)
from assetgraph.core.actor import Actor
from assetgraph.org import services as org
from assetgraph.org.models import Company

from ..conftest import events_for


@pytest.mark.django_db
def test_service_write_appends_one_event_with_before_after_and_actor(system: Actor) -> None:
    company = org.create_company(system, {"name": "Dell"})
    org.update_company(system, company, {"website": "https://dell.com", "is_supplier": True})
    created, updated = events_for(company)
    assert created.action == "create" and created.before is None
    assert created.after["name"] == "Dell"
    assert updated.changed_fields == ["is_supplier", "website"]
    assert updated.before["website"] == "" and updated.after["website"] == "https://dell.com"
    assert (
        updated.actor_type == "system"
        and updated.source == "system"
        and updated.actor_repr == "tests"
    )


@pytest.mark.django_db
def test_a_failed_write_leaves_no_event(system: Actor) -> None:
    org.create_company(system, {"name": "Dell"})
    before = AuditEvent.objects.count()
    with pytest.raises(Exception, match="Company with this Name already exists"):
        org.create_company(system, {"name": "Dell"})
    assert AuditEvent.objects.count() == before
    assert Company.objects.count() == 1


@pytest.mark.django_db
def test_events_cannot_be_updated_or_deleted_through_the_orm(system: Actor) -> None:
    company = org.create_company(system, {"name": "Dell"})
    event = events_for(company)[0]
    event.action = "forged"
    with pytest.raises(AuditEventImmutable):
        event.save()
    with pytest.raises(AuditEventImmutable):
        event.delete()
    with pytest.raises(AuditEventImmutable):
        AuditEvent.objects.filter(pk=event.pk).update(action="forged")
    with pytest.raises(AuditEventImmutable):
        AuditEvent.objects.filter(pk=event.pk).delete()


@pytest.mark.django_db
def test_bulk_append_writes_many_events_and_the_revision_grows(system: Actor) -> None:
    start = current_revision()
    count = record_events(system, (EventSpec("org.company", i, "import") for i in range(2500)))
    assert count == 2500
    assert current_revision() >= start + 2500
    assert AuditEvent.objects.filter(action="import").count() == 2500


@pytest.mark.django_db(transaction=True)
def test_sealing_after_commit_links_the_chain_and_verify_passes(system: Actor) -> None:
    org.create_company(system, {"name": "A"})
    org.create_company(system, {"name": "B"})
    assert not AuditEvent.objects.filter(chain_seq__isnull=True).exists()  # sealed on commit
    result = verify_chain()
    assert result.ok and result.checked == AuditEvent.objects.count()
    seqs = list(AuditEvent.objects.order_by("chain_seq").values_list("chain_seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


@pytest.mark.django_db(transaction=True)
def test_editing_a_row_in_the_database_breaks_verify_naming_it(system: Actor) -> None:
    org.create_company(system, {"name": "A"})
    victim = org.create_company(system, {"name": "B"})
    org.create_company(system, {"name": "C"})
    event = events_for(victim)[0]
    table = AuditEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET actor_repr = %s WHERE id = %s", ["mallory", event.pk])
    result = verify_chain()
    assert not result.ok
    assert result.broken_event_id == event.pk
    assert "modified" in result.reason
    with pytest.raises(CommandError, match=f"event #{event.pk}") as failure:
        call_command("audit", "verify")
    assert failure.value.returncode == 1


@pytest.mark.django_db(transaction=True)
def test_deleting_a_row_in_the_database_breaks_verify(system: Actor) -> None:
    org.create_company(system, {"name": "A"})
    victim = org.create_company(system, {"name": "B"})
    after = org.create_company(system, {"name": "C"})
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s", [events_for(victim)[0].pk]
        )
    result = verify_chain()
    assert not result.ok
    assert result.broken_event_id == events_for(after)[0].pk
    assert "missing" in result.reason


@pytest.mark.django_db(transaction=True)
def test_verify_command_succeeds_on_an_intact_chain(system: Actor, capsys: Any) -> None:
    org.create_company(system, {"name": "A"})
    call_command("audit", "verify")
    assert "audit chain intact" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_a_long_open_transaction_does_not_block_others_from_sealing(system: Actor) -> None:
    """A writer holding an open transaction does not stop another writer's events being sealed.

    On SQLite writers are serialised by the database itself (one write transaction at a time),
    so only the ordering half of this test applies there.
    """
    if connection.vendor == "sqlite":
        org.create_company(system, {"name": "early"})
        assert verify_chain().ok
        return
    started = threading.Event()
    release = threading.Event()

    def long_import() -> None:
        try:
            with transaction.atomic():
                record_events(system, [EventSpec("org.company", 1, "slow-import")])
                started.set()
                release.wait(10)
        finally:
            connections.close_all()

    worker = threading.Thread(target=long_import)
    worker.start()
    try:
        assert started.wait(10)
        quick = org.create_company(
            system, {"name": "quick"}
        )  # commits and seals while the import is open
        assert events_for(quick)[0].chain_seq is not None
    finally:
        release.set()
        worker.join(10)
    seal_pending()
    slow = AuditEvent.objects.get(action="slow-import")
    assert slow.chain_seq is not None and slow.chain_seq > events_for(quick)[0].chain_seq  # type: ignore[operator]
    assert verify_chain().ok
