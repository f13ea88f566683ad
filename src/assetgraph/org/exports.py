"""Export columns of organisation data, shared by the API, the UI and the CLI."""

from __future__ import annotations

from typing import Any

from assetgraph.core.exporting import Column


def _name(obj: Any) -> str:
    return str(obj) if obj is not None else ""


COMPANY_COLUMNS: list[Column] = [
    ("id", lambda o: o.pk),
    ("name", lambda o: o.name),
    ("supplier", lambda o: o.is_supplier),
    ("manufacturer", lambda o: o.is_manufacturer),
    ("service_provider", lambda o: o.is_service_provider),
    ("website", lambda o: o.website),
    ("email", lambda o: o.email),
    ("phone", lambda o: o.phone),
]
COST_CENTRE_COLUMNS: list[Column] = [
    ("id", lambda o: o.pk),
    ("code", lambda o: o.code),
    ("name", lambda o: o.name),
    ("active", lambda o: o.active),
]
DEPARTMENT_COLUMNS: list[Column] = [
    ("id", lambda o: o.pk),
    ("name", lambda o: o.name),
    ("code", lambda o: o.code or ""),
    ("parent", lambda o: _name(o.parent)),
    ("cost_centre", lambda o: o.cost_centre.code if o.cost_centre else ""),
    ("head", lambda o: _name(o.head)),
]
# Location and person columns match their importers, so an export can be edited and re-imported.
LOCATION_COLUMNS: list[Column] = [
    ("path", lambda o: o.path),
    ("kind", lambda o: o.kind),
    ("address", lambda o: o.address),
    ("city", lambda o: o.city),
    ("postcode", lambda o: o.postcode),
    ("country", lambda o: o.country),
    ("notes", lambda o: o.notes),
]
PERSON_COLUMNS: list[Column] = [
    ("employee_number", lambda o: o.employee_number),
    ("first_name", lambda o: o.first_name),
    ("last_name", lambda o: o.last_name),
    ("email", lambda o: o.email),
    ("job_title", lambda o: o.job_title),
    ("phone", lambda o: o.phone),
    ("department", lambda o: o.department.code or o.department.name if o.department else ""),
    ("cost_centre", lambda o: o.cost_centre.code if o.cost_centre else ""),
    ("manager", lambda o: o.manager.employee_number if o.manager else ""),
    ("location", lambda o: o.location.path if o.location else ""),
    ("status", lambda o: o.status),
    ("start_date", lambda o: o.start_date),
    ("end_date", lambda o: o.end_date),
]
