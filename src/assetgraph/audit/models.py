"""``AuditEvent``: one row per write, never updated or deleted.

Writers insert events unsealed (``hash`` empty) inside their own transaction; a sealer links
committed events into the hash chain afterwards, in ``id`` order of what is committed at the
time (``chain_seq`` records that order). So a long import never makes a check-out wait on the
chain, and the chain still proves that no sealed event was changed or removed.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, NoReturn

from django.db import models

from assetgraph.core import registry
from assetgraph.core.actor import ActorType, Source

GENESIS_HASH = "0" * 64


class AuditEventImmutable(Exception):
    """Raised on any attempt to update or delete audit events through the ORM."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    """Reads only: bulk updates and deletes are refused."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditEventImmutable("audit events are append-only")

    def delete(self) -> NoReturn:
        raise AuditEventImmutable("audit events are append-only")

    def for_object(self, object_type: str, object_id: Any) -> AuditEventQuerySet:
        """Events about one object, newest first (under its former type keys too)."""
        entry = registry.find(object_type)
        keys = entry.keys if entry is not None else (object_type,)
        return self.filter(object_type__in=keys, object_id=str(object_id)).order_by("-id")


class AuditEvent(models.Model):
    """An immutable record of one write: what, who, from where, before and after."""

    id = models.BigAutoField(primary_key=True)
    timestamp = models.DateTimeField(db_index=True)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=40)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    changed_fields = models.JSONField(default=list, blank=True)
    actor_type = models.CharField(max_length=20, choices=[(a.value, a.value) for a in ActorType])
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_repr = models.CharField(max_length=150, blank=True)
    token_id = models.BigIntegerField(null=True, blank=True)
    source = models.CharField(max_length=20, choices=[(s.value, s.value) for s in Source])
    request_id = models.CharField(max_length=64, blank=True)
    job_id = models.CharField(max_length=64, blank=True)
    # Chain fields: empty until sealed, written exactly once by the sealer.
    chain_seq = models.BigIntegerField(null=True, blank=True, unique=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "id"], name="audit_object_idx"),
            models.Index(fields=["actor_id", "id"], name="audit_actor_idx"),
            models.Index(fields=["action", "id"], name="audit_action_idx"),
            models.Index(fields=["source", "id"], name="audit_source_idx"),
            models.Index(fields=["request_id"], name="audit_request_idx"),
            models.Index(
                fields=["id"], name="audit_unsealed_idx", condition=models.Q(chain_seq__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise AuditEventImmutable("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditEventImmutable("audit events are append-only")

    def content(self) -> dict[str, Any]:
        """The hashed content: every field that describes the event (not the chain fields)."""
        return {
            "id": self.pk,
            "timestamp": self.timestamp.isoformat(timespec="microseconds"),
            "object_type": self.object_type,
            "object_id": self.object_id,
            "object_repr": self.object_repr,
            "action": self.action,
            "before": self.before,
            "after": self.after,
            "changed_fields": self.changed_fields,
            "actor_type": self.actor_type,
            "actor_id": self.actor_id,
            "actor_repr": self.actor_repr,
            "token_id": self.token_id,
            "source": self.source,
            "request_id": self.request_id,
            "job_id": self.job_id,
            "chain_seq": self.chain_seq,
        }

    def compute_hash(self, prev_hash: str) -> str:
        """SHA-256 over the previous hash and this event's canonical JSON content."""
        canonical = json.dumps(
            self.content(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()
