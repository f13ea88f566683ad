"""Generic audited writes: create, update and delete one model instance.

Domain services build on these so that every write does the same things in the same order:
permission check on the old state, ``full_clean()``, save, permission check on the new state,
one audit event, all in one transaction. Domain rules live in the calling service.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, transaction
from django.db.models.deletion import ProtectedError, RestrictedError

from assetgraph.accounts.permissions import authorize
from assetgraph.audit.services import record_event, snapshot

from .actor import Actor
from .errors import Conflict, PreconditionFailed, ValidationFailed
from .etags import etag_for

M = TypeVar("M", bound=models.Model)


def full_clean(instance: models.Model, exclude: list[str] | None = None) -> None:
    """Run model validation and raise :class:`ValidationFailed` naming the fields."""
    try:
        instance.full_clean(exclude=exclude)
    except DjangoValidationError as exc:
        raise ValidationFailed.from_django(exc) from exc


def assign_editable(instance: models.Model, values: Mapping[str, Any]) -> None:
    """Set editable fields only; any other name is a field error naming it."""
    fields = [f for f in instance._meta.concrete_fields if f.editable]
    editable = {f.name for f in fields} | {f.attname for f in fields}
    for name, value in values.items():
        if name not in editable:
            raise ValidationFailed(
                f"{name}: not an editable field", fields={name: ["not an editable field"]}
            )
        setattr(instance, name, value)


def save_or_conflict(instance: models.Model) -> None:
    """Save, turning a unique-constraint violation into a 409 instead of a 500."""
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        raise Conflict(f"the {instance._meta.verbose_name} conflicts with an existing one") from exc


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
