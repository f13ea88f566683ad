"""Writes of the list pages' per-user settings: column layout and saved filters.

Each is a service with its audit event in the same transaction, like every other write; a
user changes only their own settings (the views pass ``request.user``).
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import parse_qsl, urlencode

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction

from assetgraph.audit.services import record_event, snapshot
from assetgraph.core.actor import Actor
from assetgraph.core.errors import DuplicateValue, NotFound, ValidationFailed

from .models import ListLayout, SavedFilter

# Parameters that are positions in a list, not filters: never saved.
_NOT_FILTERS = frozenset({"cursor", "back", "select", "limit"})


def set_hidden_columns(actor: Actor, list_key: str, hidden: Sequence[str]) -> ListLayout:
    """Hide these columns (labels) of ``list_key`` for the actor; the rest show."""
    if actor.user is None:
        raise ValidationFailed("user: a person's setting", fields={"user": ["required"]})
    with transaction.atomic():
        layout, created = ListLayout.objects.get_or_create(user=actor.user, list_key=list_key)
        before = None if created else snapshot(layout)
        layout.hidden_columns = sorted({str(h)[:100] for h in hidden})
        layout.full_clean()
        layout.save()
        record_event(
            actor, "create" if created else "update", layout, before=before, after=snapshot(layout)
        )
    return layout


def clean_query(query: str) -> str:
    """A list's query string without page positions (what a saved filter keeps)."""
    pairs = [(k, v) for k, v in parse_qsl(query.lstrip("?")) if k not in _NOT_FILTERS and v]
    return urlencode(pairs)


def save_filter(actor: Actor, list_key: str, name: str, query: str) -> SavedFilter:
    """Keep the list's current filters under a name (a name is used once per list)."""
    if actor.user is None:
        raise ValidationFailed("user: a person's setting", fields={"user": ["required"]})
    name = name.strip()
    if not name:
        raise ValidationFailed("name: required", fields={"name": ["required"]})
    saved = SavedFilter(user=actor.user, list_key=list_key, name=name, query=clean_query(query))
    taken = SavedFilter.objects.filter(user=actor.user, list_key=list_key, name=name).exists()
    try:
        if taken:
            raise IntegrityError
        with transaction.atomic():
            try:
                saved.full_clean(validate_unique=False, validate_constraints=False)
            except DjangoValidationError as exc:  # too long a name or query
                raise ValidationFailed.from_django(exc) from None
            saved.save()
            record_event(actor, "create", saved, after=snapshot(saved))
    except IntegrityError:
        raise DuplicateValue(  # the name is taken (or was taken meanwhile: the index)
            f"name: you already have a filter named {name!r} here",
            fields={"name": ["already used on this list"]},
        ) from None
    return saved


def delete_saved_filter(actor: Actor, pk: int) -> None:
    """Forget one of the actor's saved filters (someone else's is not found)."""
    with transaction.atomic():
        saved = SavedFilter.objects.filter(pk=pk, user=actor.user).first()
        if saved is None:
            raise NotFound(f"saved filter {pk} not found")
        before = snapshot(saved)
        record_event(actor, "delete", saved, before=before)
        saved.delete()
