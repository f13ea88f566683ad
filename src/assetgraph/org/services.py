"""Writes for organisation data. Every function runs in one transaction and audits itself."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from assetgraph.audit.services import EventSpec, record_events
from assetgraph.core.actor import Actor
from assetgraph.core.batching import UPDATE_BATCH
from assetgraph.core.errors import DuplicateValue, ValidationFailed
from assetgraph.framework.crud import create_instance, delete_instance, update_instance

from .models import PATH_SEPARATOR, Company, CostCentre, Department, Location, Person

# --- companies, cost centres, departments ------------------------------------------------------


def create_company(actor: Actor, values: Mapping[str, Any]) -> Company:
    """Register a supplier, manufacturer or service provider."""
    return create_instance(actor, Company, values)


def update_company(
    actor: Actor, company: Company, changes: Mapping[str, Any], expected_etag: str | None = None
) -> Company:
    """Change a company's details."""
    return update_instance(actor, company, changes, expected_etag=expected_etag)


def delete_company(actor: Actor, company: Company) -> None:
    """Delete a company that nothing references."""
    delete_instance(actor, company)


def create_cost_centre(actor: Actor, values: Mapping[str, Any]) -> CostCentre:
    """Add a cost centre."""
    return create_instance(actor, CostCentre, values)


def update_cost_centre(
    actor: Actor,
    cost_centre: CostCentre,
    changes: Mapping[str, Any],
    expected_etag: str | None = None,
) -> CostCentre:
    """Change a cost centre (close it with ``active=False`` rather than deleting)."""
    return update_instance(actor, cost_centre, changes, expected_etag=expected_etag)


def delete_cost_centre(actor: Actor, cost_centre: CostCentre) -> None:
    """Delete a cost centre that nothing references."""
    delete_instance(actor, cost_centre)


def create_department(actor: Actor, values: Mapping[str, Any]) -> Department:
    """Add a department or team."""
    return create_instance(actor, Department, values)


def update_department(
    actor: Actor,
    department: Department,
    changes: Mapping[str, Any],
    expected_etag: str | None = None,
) -> Department:
    """Change a department (rename, move under another, change its cost centre or head)."""
    return update_instance(actor, department, changes, expected_etag=expected_etag)


def delete_department(actor: Actor, department: Department) -> None:
    """Delete a department with no people and no sub-teams."""
    delete_instance(actor, department)


# --- locations -------------------------------------------------------------------------------


def _check_location(location: Location) -> None:
    """Derive the path and reject a sibling with the same name with a message on ``name``."""
    if (
        location.parent_id is not None
        and location.parent is not None
        and location.parent.pk == location.pk
    ):
        raise ValidationFailed(
            "parent: a location cannot be inside itself",
            fields={"parent": ["a location cannot be inside itself"]},
        )
    location.path = location.compute_path()
    clash = Location.objects.filter(path=location.path).exclude(pk=location.pk).exists()
    if clash:
        where = f"inside {location.parent.path}" if location.parent else "at the top level"
        raise DuplicateValue(
            f"name: a location named {location.name!r} already exists {where}",
            fields={"name": [f"already exists {where}"]},
        )


def create_location(actor: Actor, values: Mapping[str, Any]) -> Location:
    """Add a node to the location tree."""
    return create_instance(actor, Location, values, validate=_check_location)


def update_location(
    actor: Actor, location: Location, changes: Mapping[str, Any], expected_etag: str | None = None
) -> Location:
    """Rename or move a location; the paths of its whole subtree follow in the same transaction."""
    with transaction.atomic():
        old_path = Location.objects.values_list("path", flat=True).get(pk=location.pk)
        updated = update_instance(
            actor, location, changes, validate=_check_location, expected_etag=expected_etag
        )
        if updated.path != old_path:
            _repath_descendants(actor, old_path, updated.path)
        return updated


def _repath_descendants(actor: Actor, old_prefix: str, new_prefix: str) -> None:
    descendants = list(
        Location.objects.filter(path__startswith=old_prefix + PATH_SEPARATOR).order_by("path")
    )
    events = []
    for node in descendants:
        old = node.path
        node.path = new_prefix + node.path[len(old_prefix) :]
        events.append(
            EventSpec(
                "org.location",
                node.pk,
                "update",
                {"path": old},
                {"path": node.path},
                str(node.path),
            )
        )
    Location.objects.bulk_update(descendants, ["path"], batch_size=UPDATE_BATCH)
    record_events(actor, events)


def delete_location(actor: Actor, location: Location) -> None:
    """Delete a location with no children and nothing placed in it."""
    delete_instance(actor, location)


# --- people ----------------------------------------------------------------------------------


def create_person(actor: Actor, values: Mapping[str, Any]) -> Person:
    """Add a person (employee or contractor)."""
    return create_instance(actor, Person, values)


def update_person(
    actor: Actor, person: Person, changes: Mapping[str, Any], expected_etag: str | None = None
) -> Person:
    """Change a person's details, including status (active → leaving → left)."""
    return update_instance(actor, person, changes, expected_etag=expected_etag)


def delete_person(actor: Actor, person: Person) -> None:
    """Delete a person entered by mistake (leavers are kept with status ``left``)."""
    delete_instance(actor, person)
