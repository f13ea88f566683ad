"""Catalogue writes: categories, models and custom fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from assetgraph.audit.services import record_event
from assetgraph.core.actor import Actor
from assetgraph.core.errors import MissingReference
from assetgraph.framework.crud import create_instance, delete_instance, update_instance

from ..models import AssetModel, Category, CustomField


def create_category(actor: Actor, values: Mapping[str, Any]) -> Category:
    """Add a category (Laptops, Monitors…)."""
    return create_instance(actor, Category, values)


def update_category(
    actor: Actor, category: Category, changes: Mapping[str, Any], expected_etag: str | None = None
) -> Category:
    """Rename a category or change its acceptance terms."""
    return update_instance(actor, category, changes, expected_etag=expected_etag)


def delete_category(actor: Actor, category: Category) -> None:
    """Delete a category no model uses."""
    delete_instance(actor, category)


def create_model(actor: Actor, values: Mapping[str, Any]) -> AssetModel:
    """Add a model to the catalogue (its manufacturer must be marked as one)."""
    return create_instance(actor, AssetModel, values)


def update_model(
    actor: Actor, model: AssetModel, changes: Mapping[str, Any], expected_etag: str | None = None
) -> AssetModel:
    """Change a model; existing assets keep their dates (defaults apply to new assets)."""
    return update_instance(actor, model, changes, expected_etag=expected_etag)


def delete_model(actor: Actor, model: AssetModel) -> None:
    """Delete a model no asset or kit uses."""
    delete_instance(actor, model)


def _split_categories(values: Mapping[str, Any]) -> tuple[dict[str, Any], list[Any] | None]:
    data = dict(values)
    categories = data.pop("categories", None)
    if categories is None and "category_ids" in data:
        categories = data.pop("category_ids")
    data.pop("category_ids", None)
    return data, categories


def _set_categories(actor: Actor, field: CustomField, categories: list[Any]) -> None:
    ids = [c.pk if isinstance(c, Category) else int(c) for c in categories]
    found = set(Category.objects.filter(pk__in=ids).values_list("pk", flat=True))
    missing = sorted(set(ids) - found)
    if missing:
        raise MissingReference(
            f"categories: category {missing[0]} not found", fields={"categories": ["not found"]}
        )
    before = sorted(field.categories.values_list("pk", flat=True))
    field.categories.set(ids)
    after = sorted(found)
    if before != after:
        record_event(
            actor, "update", field, before={"categories": before}, after={"categories": after}
        )


def create_custom_field(actor: Actor, values: Mapping[str, Any]) -> CustomField:
    """Define a typed custom field, optionally only for some categories (empty: all)."""
    data, categories = _split_categories(values)
    with transaction.atomic():
        field = create_instance(actor, CustomField, data)
        if categories:
            _set_categories(actor, field, categories)
        return field


def update_custom_field(
    actor: Actor,
    field: CustomField,
    changes: Mapping[str, Any],
    expected_etag: str | None = None,
) -> CustomField:
    """Change a custom field's rules or categories (existing values are not rewritten)."""
    data, categories = _split_categories(changes)
    with transaction.atomic():
        updated = update_instance(actor, field, data, expected_etag=expected_etag)
        if categories is not None:
            _set_categories(actor, updated, categories)
        return updated


def delete_custom_field(actor: Actor, field: CustomField) -> None:
    """Delete a custom field definition (values stay in assets' JSON until edited)."""
    delete_instance(actor, field)
