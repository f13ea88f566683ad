"""Generic audited writes: create, update and delete one model instance.

Domain services build on these so that every write does the same things in the same order:
permission check on the old state, ``full_clean()``, save, permission check on the new state,
one audit event, all in one transaction. Domain rules live in the calling service.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django.db import models, transaction
from django.db.models.deletion import ProtectedError, RestrictedError

from assetgraph.accounts.permissions import authorize
from assetgraph.audit.services import record_event, snapshot
from assetgraph.core.actor import Actor
from assetgraph.core.errors import Conflict, PreconditionFailed
from assetgraph.core.modelwrites import assign_editable, full_clean, save_or_conflict

from .etags import etag_for

M = TypeVar("M", bound=models.Model)


def create_instance(
    actor: Actor,
    model: type[M],
    values: Mapping[str, Any],
    *,
    validate: Callable[[M], None] | None = None,
) -> M:
    """Create, validate, authorise (``add``) and audit one instance."""
    with transaction.atomic():
        instance = model()
        assign_editable(instance, values)
        authorize(actor, "add", instance)
        if validate is not None:
            validate(instance)
        full_clean(instance)
        save_or_conflict(instance)
        authorize(actor, "add", instance, after=True)
        record_event(actor, "create", instance, after=snapshot(instance))
        return instance


def update_instance(
    actor: Actor,
    instance: M,
    changes: Mapping[str, Any],
    *,
    validate: Callable[[M], None] | None = None,
    expected_etag: str | None = None,
    action: str = "update",
) -> M:
    """Apply ``changes`` to ``instance`` (re-read under lock), validate, authorise, audit.

    With ``expected_etag``, the change is refused with :class:`PreconditionFailed` when the
    object changed since the client read it (optimistic concurrency for ``If-Match``).
    """
    with transaction.atomic():
        manager = type(instance)._default_manager
        current = manager.select_for_update().get(pk=instance.pk)
        if expected_etag is not None and etag_for(current) != expected_etag:
            raise PreconditionFailed("the object changed since you read it; reload and retry")
        authorize(actor, "change", current)
        before = snapshot(current)
        assign_editable(current, changes)
        if validate is not None:
            validate(current)
        full_clean(current)
        after = snapshot(current)
        if after == before:
            return current
        save_or_conflict(current)
        authorize(actor, "change", current, after=True)
        record_event(actor, action, current, before=before, after=after)
        return current


def delete_instance(actor: Actor, instance: models.Model) -> None:
    """Delete one instance (authorised, audited); references to it make this a 409."""
    with transaction.atomic():
        authorize(actor, "delete", instance)
        before = snapshot(instance)
        pk = instance.pk
        try:
            with transaction.atomic():
                instance.delete()
        except (ProtectedError, RestrictedError) as exc:
            count = len(
                exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
            )
            raise Conflict(
                f"this {instance._meta.verbose_name} is still referenced by {count} object(s); "
                "reassign or remove them first"
            ) from exc
        instance.pk = pk
        record_event(actor, "delete", instance, before=before)


__all__ = [
    "assign_editable",
    "create_instance",
    "delete_instance",
    "full_clean",
    "save_or_conflict",
    "update_instance",
]
