"""Writes of the CMDB. Every function runs in one transaction and audits itself.

CIs and relationships are never deleted: :func:`retire_ci` and :func:`remove_relationship`
close their validity interval, so the estate as of any time can be rebuilt.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from assetgraph.accounts.permissions import authorize
from assetgraph.audit.services import EventSpec, record_event, record_events, snapshot
from assetgraph.core.actor import Actor
from assetgraph.core.attributes import clean_attributes, public_values
from assetgraph.core.errors import Conflict, ValidationFailed
from assetgraph.framework.crud import create_instance, delete_instance, full_clean, update_instance

from .choices import OperationalStatusChoices
from .models import (
    CI,
    CIClass,
    ClassAttribute,
    Relationship,
    RelationshipType,
    SoftwareInstall,
    SoftwareProduct,
    subclass_ids,
)
from .software import normalise_product

# --- classes and attributes (administrators; no migrations needed) ---------------------------


def create_ci_class(actor: Actor, values: Mapping[str, Any]) -> CIClass:
    """Add a CI class (optionally under a parent whose attributes it inherits)."""
    return create_instance(actor, CIClass, values)


def update_ci_class(
    actor: Actor, ci_class: CIClass, changes: Mapping[str, Any], expected_etag: str | None = None
) -> CIClass:
    """Rename, re-describe or re-parent a class, or set its identification key."""

    def check(current: CIClass) -> None:
        if "parent" in changes or "parent_id" in changes:
            _check_reparent(current)

    return update_instance(actor, ci_class, changes, validate=check, expected_etag=expected_etag)


def _check_reparent(ci_class: CIClass) -> None:
    if ci_class.parent_id is not None and ci_class.parent_id in subclass_ids(ci_class.pk):
        raise ValidationFailed(
            "parent: a class cannot inherit from itself or a subclass",
            fields={"parent": ["a class cannot inherit from itself or a subclass"]},
        )
    moved = {
        d.key for d in ClassAttribute.objects.filter(ci_class_id__in=subclass_ids(ci_class.pk))
    }
    inherited = (
        {d.key for d in ci_class.parent.effective_attributes()} if ci_class.parent else set()
    )
    clash = sorted(moved & inherited)
    if clash:
        raise ValidationFailed(
            f"parent: the new parent already defines {', '.join(clash)}",
            fields={"parent": [f"the new parent already defines {', '.join(clash)}"]},
        )
    if CI.objects.filter(ci_class_id__in=subclass_ids(ci_class.pk)).exists() and inherited:
        raise Conflict("CIs of this class exist; move them before giving it new attributes")


def delete_ci_class(actor: Actor, ci_class: CIClass) -> None:
    """Delete a class with no CIs, subclasses or attributes.

    A class marked with a slug (business service, application, end-user device…) stays:
    impact analysis gives it a meaning; rename it instead.
    """
    if ci_class.slug:
        raise Conflict(
            f"{ci_class.name} is a built-in class impact analysis relies on ({ci_class.slug});"
            " rename it instead"
        )
    if ClassAttribute.objects.filter(ci_class=ci_class).exists():
        raise Conflict("this CI class still has attributes; delete them first")
    delete_instance(actor, ci_class)


def _values_exist(definition: ClassAttribute) -> bool:
    return CI.objects.filter(
        ci_class_id__in=subclass_ids(definition.ci_class_id),
        attributes__has_key=definition.key,
    ).exists()


def create_class_attribute(actor: Actor, values: Mapping[str, Any]) -> ClassAttribute:
    """Add a typed attribute to a class (and so to its subclasses)."""

    def check(definition: ClassAttribute) -> None:
        if (
            definition.required
            and definition.ci_class_id
            and CI.objects.current()
            .filter(ci_class_id__in=subclass_ids(definition.ci_class_id))
            .exists()
        ):
            raise ValidationFailed(
                "required: CIs of this class exist without a value; add it as optional first",
                fields={"required": ["CIs of this class exist without a value"]},
            )

    return create_instance(actor, ClassAttribute, values, validate=check)


def update_class_attribute(
    actor: Actor,
    definition: ClassAttribute,
    changes: Mapping[str, Any],
    expected_etag: str | None = None,
) -> ClassAttribute:
    """Change an attribute's label and rules; its key and class are fixed, its type too once
    values exist (stored values would no longer match)."""
    original = ClassAttribute.objects.get(pk=definition.pk)

    def check(current: ClassAttribute) -> None:
        for name in ("key", "ci_class_id"):
            if getattr(current, name) != getattr(original, name):
                field = name.removesuffix("_id")
                raise ValidationFailed(
                    f"{field}: cannot change; add a new attribute instead",
                    fields={field: ["cannot change; add a new attribute instead"]},
                )
        if current.type != original.type and _values_exist(original):
            raise ValidationFailed(
                "type: CIs hold values of this attribute; it cannot change type",
                fields={"type": ["CIs hold values of this attribute"]},
            )

    return update_instance(actor, definition, changes, validate=check, expected_etag=expected_etag)


def delete_class_attribute(actor: Actor, definition: ClassAttribute) -> None:
    """Delete an attribute no CI holds a value for."""
    if _values_exist(definition):
        raise Conflict("CIs hold values of this attribute; clear them first")
    delete_instance(actor, definition)


# --- relationship types ----------------------------------------------------------------------


def create_relationship_type(actor: Actor, values: Mapping[str, Any]) -> RelationshipType:
    """Add a relationship type (with its impact direction)."""
    return create_instance(actor, RelationshipType, values)


def update_relationship_type(
    actor: Actor,
    rel_type: RelationshipType,
    changes: Mapping[str, Any],
    expected_etag: str | None = None,
) -> RelationshipType:
    """Change a relationship type's names, impact direction or allowed class pairs."""
    return update_instance(actor, rel_type, changes, expected_etag=expected_etag)


def delete_relationship_type(actor: Actor, rel_type: RelationshipType) -> None:
    """Delete a type no relationship (current or historic) uses."""
    if Relationship.objects.filter(type=rel_type).exists():
        raise Conflict("relationships of this type exist (history included); it cannot go")
    delete_instance(actor, rel_type)


# --- CIs -------------------------------------------------------------------------------------


def _refuse_lifecycle_fields(values: Mapping[str, Any]) -> None:
    for name in ("valid_from", "valid_to"):
        if name in values:
            raise ValidationFailed(
                f"{name}: set by the CMDB", fields={name: ["set by the CMDB; retire instead"]}
            )
    if values.get("operational_status") == OperationalStatusChoices.RETIRED:
        raise ValidationFailed(
            "operational_status: retire the CI instead",
            fields={"operational_status": ["retire the CI instead"]},
        )


def create_ci(actor: Actor, values: Mapping[str, Any]) -> CI:
    """Register a CI; its attributes are validated against its class's definitions."""
    _refuse_lifecycle_fields(values)
    data = dict(values)
    if data.get("attributes") is None:
        data["attributes"] = {}
    return create_instance(actor, CI, data)


def update_ci(
    actor: Actor, ci: CI, changes: Mapping[str, Any], expected_etag: str | None = None
) -> CI:
    """Change a current CI. ``attributes`` is a partial update: keys given are set (``null``
    clears one), others keep their value. Retired CIs are history and cannot change."""
    _refuse_lifecycle_fields(changes)
    data = dict(changes)
    partial = data.pop("attributes", None)

    def check(current: CI) -> None:
        if current.valid_to is not None:
            raise Conflict("this CI is retired; its history cannot change")
        if partial is not None:
            current.attributes = clean_attributes(
                current.attribute_definitions(),
                partial,
                current=public_values(current.attributes),
                partial=True,
            )

    return update_instance(actor, ci, data, validate=check, expected_etag=expected_etag)


def retire_ci(actor: Actor, ci: CI, when: dt.datetime | None = None, *, with_asset: str = "") -> CI:
    """Retire a CI: close its interval, set status retired, end its current relationships.

    ``with_asset`` (the asset transition's name) is the CMDB following its asset's
    retirement in the same transaction: the asset's retirement was authorised, and the one
    record's CI half follows it without a second permission check.
    """
    with transaction.atomic():
        current = CI.objects.select_for_update().get(pk=ci.pk)
        if not with_asset:
            authorize(actor, "change", current)
        if current.valid_to is not None:
            raise Conflict("this CI is already retired")
        now = when or timezone.now()
        before = snapshot(current)
        current.valid_to = now
        current.operational_status = OperationalStatusChoices.RETIRED
        current.save(update_fields=["valid_to", "operational_status", "updated"])
        after = snapshot(current)
        if with_asset:
            after["reason"] = f"its asset was retired ({with_asset})"
        record_event(actor, "retire", current, before=before, after=after)
        links = list(Relationship.objects.current().filter(Q(source=current) | Q(target=current)))
        _close_relationships(actor, links, now)
        return current


def follow_asset(actor: Actor, ci: CI, changes: Mapping[str, Any], reason: str) -> CI:
    """Align a current CI with its asset (location, maintenance status): the CMDB half of
    one record following an authorised asset change in the same transaction, so without a
    second permission check; audited as an update whose ``reason`` says why."""
    with transaction.atomic():
        current = CI.objects.select_for_update().get(pk=ci.pk)
        if current.valid_to is not None:
            return current
        wanted = {k: v for k, v in changes.items() if getattr(current, k) != v}
        if not wanted:
            return current
        before = snapshot(current)
        for name, value in wanted.items():
            setattr(current, name, value)
        current.save(update_fields=[*wanted, "updated"])
        after = {**snapshot(current), "reason": reason}
        record_event(actor, "update", current, before=before, after=after)
        return current


def _close_relationships(actor: Actor, links: list[Relationship], when: dt.datetime) -> None:
    if not links:
        return
    Relationship.objects.filter(pk__in=[r.pk for r in links]).update(valid_to=when)
    record_events(
        actor,
        (
            EventSpec(
                "cmdb.relationship",
                r.pk,
                "remove",
                {"valid_to": None},
                {"valid_to": when.isoformat()},
                str(r),
            )
            for r in links
        ),
    )


# --- relationships ---------------------------------------------------------------------------


def _check_relationship(rel: Relationship) -> None:
    errors: dict[str, list[str]] = {}
    for end in ("source", "target"):
        ci = getattr(rel, end) if getattr(rel, f"{end}_id") is not None else None
        if ci is not None and ci.valid_to is not None:
            errors[end] = ["this CI is retired"]
    if errors:
        first = next(iter(errors))
        raise ValidationFailed(f"{first}: {errors[first][0]}", fields=errors)
    if (
        rel.source_id
        and rel.target_id
        and rel.type_id
        and Relationship.objects.current()
        .filter(source_id=rel.source_id, target_id=rel.target_id, type_id=rel.type_id)
        .exclude(pk=rel.pk)
        .exists()
    ):
        raise Conflict("these CIs are already related this way")


def add_relationship(actor: Actor, values: Mapping[str, Any]) -> Relationship:
    """Relate two current CIs with a type (cycles allowed; duplicates and self-links not)."""
    for name in ("valid_from", "valid_to"):
        if name in values:
            raise ValidationFailed(f"{name}: set by the CMDB", fields={name: ["set by the CMDB"]})
    return create_instance(actor, Relationship, values, validate=_check_relationship)


def update_relationship(
    actor: Actor,
    rel: Relationship,
    changes: Mapping[str, Any],
    expected_etag: str | None = None,
) -> Relationship:
    """Change a current relationship's description (ends and type are its identity)."""
    allowed = {"description"}
    bad = sorted(set(changes) - allowed)
    if bad:
        raise ValidationFailed(
            f"{bad[0]}: remove the relationship and add a new one instead",
            fields={name: ["remove the relationship and add a new one"] for name in bad},
        )

    def check(current: Relationship) -> None:
        if current.valid_to is not None:
            raise Conflict("this relationship has ended; its history cannot change")

    return update_instance(actor, rel, changes, validate=check, expected_etag=expected_etag)


def remove_relationship(actor: Actor, rel: Relationship, when: dt.datetime | None = None) -> None:
    """End a relationship (close its interval); the row stays for history."""
    with transaction.atomic():
        current = Relationship.objects.select_for_update().get(pk=rel.pk)
        authorize(actor, "delete", current)
        if current.valid_to is not None:
            raise Conflict("this relationship has already ended")
        before = snapshot(current)
        current.valid_to = when or timezone.now()
        current.save(update_fields=["valid_to", "updated"])
        record_event(actor, "remove", current, before=before, after=snapshot(current))


# --- software --------------------------------------------------------------------------------


def catalogue_product(actor: Actor, publisher: str, name: str) -> SoftwareProduct:
    """The catalogue entry for a raw publisher/product pair, created (audited) when new."""
    normalised = normalise_product(publisher, name)
    with transaction.atomic():
        existing = SoftwareProduct.objects.filter(key=normalised.key).first()
        if existing is not None:
            return existing
        product = SoftwareProduct(
            publisher=normalised.publisher, name=normalised.name, key=normalised.key
        )
        authorize(actor, "add", product)
        full_clean(product)
        product.save()
        record_event(actor, "create", product, after=snapshot(product))
        return product


def record_software_install(actor: Actor, ci: CI, values: Mapping[str, Any]) -> SoftwareInstall:
    """Record that a product (raw ``publisher`` and ``product`` names) is installed on a CI."""
    data = dict(values)
    publisher = str(data.pop("publisher", "") or "").strip()
    product_name = str(data.pop("product", "") or "").strip()
    if not product_name:
        raise ValidationFailed("product: required", fields={"product": ["required"]})
    if ci.valid_to is not None:
        raise Conflict("this CI is retired")
    with transaction.atomic():
        product = catalogue_product(actor, publisher, product_name)
        version = str(data.get("version") or "")
        if SoftwareInstall.objects.filter(ci=ci, product=product, version=version).exists():
            raise Conflict(f"{product} {version} is already recorded on {ci}".strip())
        return create_instance(
            actor,
            SoftwareInstall,
            {
                **data,
                "ci": ci,
                "product": product,
                "version": version,
                "raw_publisher": publisher,
                "raw_name": product_name,
            },
        )


def remove_software_install(actor: Actor, install: SoftwareInstall) -> None:
    """Forget an install (uninstalled software); the audit spine keeps the record."""
    delete_instance(actor, install)
