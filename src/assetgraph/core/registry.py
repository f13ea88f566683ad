"""The registry of object types: one place that knows every model users can see.

Search, permissions (object types and constraint whitelists), History tabs and exports all ask
the registry instead of hard-coding models. An app registers its models in ``AppConfig.ready``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models

# Lookups a permission constraint may use. Anything else is rejected when the constraint is saved.
CONSTRAINT_LOOKUPS = frozenset(
    {
        "exact",
        "iexact",
        "in",
        "contains",
        "icontains",
        "startswith",
        "istartswith",
        "gt",
        "gte",
        "lt",
        "lte",
        "isnull",
    }
)


@dataclass(frozen=True)
class ObjectType:
    """Metadata for a registered model."""

    key: str  # "app_label.model_name", the same string the audit spine and permissions use
    model: type[models.Model]
    label: str
    label_plural: str
    search_fields: tuple[str, ...] = ()
    constraint_fields: tuple[str, ...] = ()
    detail_url_name: str | None = None
    list_url_name: str | None = None
    actions: tuple[str, ...] = ("view", "add", "change", "delete")
    # Keys the type had before (a model moved between apps): old audit events still name them.
    aliases: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def keys(self) -> tuple[str, ...]:
        """The key and every former key, for reading history."""
        return (self.key, *self.aliases)


_TYPES: dict[str, ObjectType] = {}
_TOKENS: dict[str, Callable[[Any], Any]] = {}


def object_type_key(model: type[models.Model] | models.Model) -> str:
    """The stable string naming a model: ``app_label.model_name``."""
    meta = model._meta
    return f"{meta.app_label}.{meta.model_name}"


def register(
    model: type[models.Model],
    *,
    search_fields: Iterable[str] = (),
    constraint_fields: Iterable[str] = (),
    detail_url_name: str | None = None,
    list_url_name: str | None = None,
    actions: Iterable[str] = ("view", "add", "change", "delete"),
    aliases: Iterable[str] = (),
    **extra: Any,
) -> ObjectType:
    """Register ``model`` so search, permissions and history know about it."""
    key = object_type_key(model)
    meta = model._meta
    entry = ObjectType(
        key=key,
        model=model,
        label=str(meta.verbose_name),
        label_plural=str(meta.verbose_name_plural),
        search_fields=tuple(search_fields),
        constraint_fields=tuple(constraint_fields),
        detail_url_name=detail_url_name,
        list_url_name=list_url_name,
        actions=tuple(actions),
        aliases=tuple(aliases),
        extra=dict(extra),
    )
    _TYPES[key] = entry
    return entry


def get(key: str) -> ObjectType:
    """The registered type for ``key``; ``KeyError`` if unknown."""
    return _TYPES[key]


def find(key: str) -> ObjectType | None:
    """The registered type for ``key`` or ``None``."""
    return _TYPES.get(key)


def for_model(model: type[models.Model] | models.Model) -> ObjectType | None:
    """The registered type of a model class or instance."""
    return _TYPES.get(object_type_key(model))


def all_types() -> list[ObjectType]:
    """Every registered type, sorted by key."""
    return [_TYPES[k] for k in sorted(_TYPES)]


def register_token(token: str, resolver: Callable[[Any], Any]) -> None:
    """Register a ``$token`` usable in permission constraints, resolved from the user."""
    if not token.startswith("$"):
        raise ValueError("constraint tokens start with '$'")
    _TOKENS[token] = resolver


def constraint_tokens() -> dict[str, Callable[[Any], Any]]:
    """Every registered constraint token and its resolver."""
    return dict(_TOKENS)


@dataclass(frozen=True)
class TableKind:
    """An importable or exportable kind of object for the CLI (``assetgraph import people``)."""

    slug: str
    model: type[models.Model]
    importer: Any = None  # an ``Importer`` subclass, or None when the kind is export-only
    columns: tuple[Any, ...] = ()  # export columns: (header, getter) pairs
    select_related: tuple[str, ...] = ()
    # Services behind CLI CRUD: create(actor, values), update(actor, obj, changes), delete(…)
    create: Any = None
    update: Any = None
    delete: Any = None


_KINDS: dict[str, TableKind] = {}


def register_table_kind(kind: TableKind) -> None:
    """Make a kind available to ``assetgraph import`` / ``assetgraph export``."""
    _KINDS[kind.slug] = kind


def table_kinds() -> dict[str, TableKind]:
    """Every registered import/export kind by slug."""
    return dict(sorted(_KINDS.items()))
