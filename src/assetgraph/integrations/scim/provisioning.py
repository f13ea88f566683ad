"""What a SCIM write does to assetgraph's records: a User is a person in ``org`` (created,
updated, deactivated with offboarding when ``active`` turns false or the User is deleted;
never deleted), a Group a stored list of member references. Every change is audited."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Q

from assetgraph.audit.services import record_event
from assetgraph.core.actor import Actor
from assetgraph.org import services as org_services
from assetgraph.org.choices import PersonStatusChoices
from assetgraph.org.models import Department, Person

from ..models import ScimResource, ScimResourceType
from ..services import deactivate_person
from . import roles
from .filters import Compare
from .schemas import ENTERPRISE


def _error(status: int, detail: str, scim_type: str = "") -> Exception:
    from .views import ScimError

    return ScimError(status, detail, scim_type)


def is_active(resource: ScimResource) -> bool | None:
    """A User is active while their person has not left; None: the provider never said and
    the person has not left (``active`` is then not returned)."""
    left = resource.person is not None and resource.person.status == PersonStatusChoices.LEFT
    if left:
        return False
    if "active" not in resource.data:
        return None
    return resource.person is not None or bool(resource.data.get("active"))


def fast_lookup(node: Any, kind: str) -> dict[str, Any] | None:
    """A database lookup for the filters identity providers send on every sync."""
    if not isinstance(node, Compare) or node.op != "eq" or not isinstance(node.value, str):
        return None
    attr = node.path.rsplit(":", 1)[-1].lower()
    if attr == ("username" if kind == ScimResourceType.USER else "displayname"):
        return {"name_key": node.value.lower()}
    if attr == "externalid":
        return {"external_id": node.value}
    return None


def _text(data: dict[str, Any], *path: str) -> str:
    value: Any = data
    for part in path:
        if not isinstance(value, dict):
            return ""
        value = next((v for k, v in value.items() if k.lower() == part.lower()), None)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _error(400, f"{'.'.join(path)}: a string is required", "invalidValue")
    return value


def _primary_email(data: dict[str, Any]) -> str:
    emails = data.get("emails") or []
    if not isinstance(emails, list):
        raise _error(400, "emails: a list is required", "invalidValue")
    chosen = [e for e in emails if isinstance(e, dict) and e.get("primary")] or [
        e for e in emails if isinstance(e, dict)
    ]
    value = chosen[0].get("value", "") if chosen else ""
    return value if isinstance(value, str) else ""


def _department(actor: Actor, name: str) -> Department | None:
    if not name:
        return None
    found = Department.objects.filter(name__iexact=name).order_by("pk").first()
    return found or org_services.create_department(actor, {"name": name[:200]})


def _person_values(actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    user_name = _text(data, "userName")
    return {
        "first_name": (_text(data, "name", "givenName") or user_name)[:100],
        "last_name": (_text(data, "name", "familyName") or user_name)[:100],
        "email": _primary_email(data),
        "job_title": _text(data, "title")[:150],
        "department": _department(actor, _text(data, ENTERPRISE, "department")),
    }


def _prepare(kind: str, data: dict[str, Any], exclude_pk: int | None) -> tuple[str, str, Any]:
    """Validate the common parts: the name (unique for Users), externalId and ``active``."""
    field = "userName" if kind == ScimResourceType.USER else "displayName"
    name = _text(data, field).strip()
    if not name:
        raise _error(400, f"{field}: required", "invalidValue")
    if len(name) > 255:
        raise _error(400, f"{field}: at most 255 characters", "invalidValue")
    if kind == ScimResourceType.USER:
        clash = ScimResource.objects.filter(kind=kind, name_key=name.lower())
        if exclude_pk is not None:
            clash = clash.exclude(pk=exclude_pk)
        if clash.exists():
            raise _error(409, f"userName {name!r} is already taken", "uniqueness")
    external = data.pop("externalId", "") or ""
    if not isinstance(external, str):
        raise _error(400, "externalId: a string is required", "invalidValue")
    active = data.get("active", True)  # kept in data: an absent ``active`` is not returned
    if not isinstance(active, bool):
        raise _error(400, "active: a boolean is required", "invalidValue")
    for key in [k for k in data if k.lower() in ("username", "displayname") and k != field]:
        data[field] = data.pop(key)
    if kind == ScimResourceType.GROUP:
        _check_members(data)
    return name, external, active


def _check_members(data: dict[str, Any]) -> None:
    members = data.get("members") or []
    if not isinstance(members, list):
        raise _error(400, "members: a list is required", "invalidValue")
    ids = []
    for member in members:
        value = member.get("value") if isinstance(member, dict) else None
        if not isinstance(value, str) or not value.isdigit():
            raise _error(
                400, "members: each member needs the id of a User or Group as value", "invalidValue"
            )
        ids.append(int(value))
    known = set(ScimResource.objects.filter(pk__in=ids).values_list("pk", flat=True))
    missing = [i for i in ids if i not in known]
    if missing:
        raise _error(400, f"members: no User or Group with id {missing[0]}", "invalidValue")


def _snapshot(resource: ScimResource) -> dict[str, Any]:
    return {
        "kind": resource.kind,
        "name": resource.name,
        "external_id": resource.external_id,
        "person": resource.person_id,
        "version": resource.version,
    }


def create(actor: Actor, kind: str, data: dict[str, Any], base: str) -> ScimResource:
    """Provision a User (and its person) or a Group."""
    name, external, active = _prepare(kind, data, None)
    resource = ScimResource(kind=kind, name=name, name_key=name.lower(), external_id=external)
    if kind == ScimResourceType.USER:
        number = _text(data, ENTERPRISE, "employeeNumber").strip()
        if len(number) > 64:
            raise _error(400, "employeeNumber: at most 64 characters", "invalidValue")
        values = _person_values(actor, data)
        person = Person.objects.filter(employee_number=number).first() if number else None
        if person is not None and ScimResource.objects.filter(person=person).exists():
            raise _error(409, f"employeeNumber {number!r} is already provisioned", "uniqueness")
        if person is None:
            number = number or f"SCIM-{uuid.uuid4().hex[:12].upper()}"
            person = org_services.create_person(actor, {**values, "employee_number": number})
        else:
            person = org_services.update_person(actor, person, values)
        _set_active(actor, person, active)
        person.refresh_from_db()
        resource.person = person
    resource.data = data
    resource.save()
    record_event(actor, "create", resource, after=_snapshot(resource))
    if kind == ScimResourceType.GROUP:
        roles.reconcile(actor, roles.user_members(resource))
    return resource


def _set_active(actor: Actor, person: Person, active: bool) -> None:
    if not active and person.status != PersonStatusChoices.LEFT:
        deactivate_person(actor, person)
    elif active and person.status == PersonStatusChoices.LEFT:
        org_services.update_person(
            actor, person, {"status": PersonStatusChoices.ACTIVE, "end_date": None}
        )


def replace(actor: Actor, resource: ScimResource, data: dict[str, Any], base: str) -> ScimResource:
    """Replace a resource's attributes (PUT, and PATCH after its operations are applied)."""
    before = _snapshot(resource)
    name, external, active = _prepare(resource.kind, data, resource.pk)
    members_before = (
        roles.user_members(resource) if resource.kind == ScimResourceType.GROUP else set()
    )
    if resource.kind == ScimResourceType.USER and resource.person is not None:
        person = resource.person
        number = _text(data, ENTERPRISE, "employeeNumber").strip()
        values = _person_values(actor, data)
        if number and number != person.employee_number:
            if len(number) > 64:
                raise _error(400, "employeeNumber: at most 64 characters", "invalidValue")
            if Person.objects.filter(employee_number=number).exclude(pk=person.pk).exists():
                raise _error(409, f"employeeNumber {number!r} is taken", "uniqueness")
            values["employee_number"] = number
        person = org_services.update_person(actor, person, values)
        _set_active(actor, person, active)
        person.refresh_from_db()
        resource.person = person
    resource.name = name
    resource.name_key = name.lower()
    resource.external_id = external
    resource.data = data
    resource.version += 1
    resource.save()
    record_event(actor, "update", resource, before=before, after=_snapshot(resource))
    if resource.kind == ScimResourceType.GROUP:
        roles.reconcile(actor, members_before | roles.user_members(resource))
    else:  # its login may have appeared since the last push
        roles.reconcile(actor, [resource.pk])
    return resource


def delete(actor: Actor, resource: ScimResource) -> None:
    """Deprovision: a User's person becomes a leaver (kept, offboarded); the SCIM resource and
    its group memberships go."""
    before = _snapshot(resource)
    affected = roles.user_members(resource) if resource.kind == ScimResourceType.GROUP else set()
    login = roles.login_of(resource) if resource.kind == ScimResourceType.USER else None
    if resource.person is not None:
        deactivate_person(actor, resource.person)
    pk = str(resource.pk)
    for group in ScimResource.objects.filter(kind=ScimResourceType.GROUP).filter(
        Q(data__has_key="members")
    ):
        members = group.data.get("members") or []
        kept = [m for m in members if not (isinstance(m, dict) and m.get("value") == pk)]
        if len(kept) != len(members):
            group.data = {**group.data, "members": kept}
            group.version += 1
            group.save(update_fields=["data", "version", "updated"])
            record_event(actor, "update", group, before=_snapshot(group), after=_snapshot(group))
    record_event(actor, "delete", resource, before=before)
    resource.delete()
    roles.reconcile(actor, affected)
    if login is not None:  # a deleted User is in no group: what SCIM granted goes
        roles.apply_grants(actor, login, set())
