"""UI pages for organisation data, declared as generic resources."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from assetgraph.accounts.permissions import restrict
from assetgraph.ui.generic import Column, UIResource, link

from . import forms, schemas, services
from .models import Company, CostCentre, Department, Location, Person


def _people_table(title: str, field: str) -> Any:
    def make(request: HttpRequest, obj: Any) -> dict[str, Any] | None:
        people = restrict(Person.objects.filter(**{field: obj}), request.user, "view")[:51]
        rows = list(people)
        if not rows:
            return None
        return {
            "title": title,
            "headers": ["Name", "Employee number", "Status"],
            "rows": [
                [link(p, "ui:org:person_detail"), p.employee_number, p.get_status_display()]
                for p in rows[:50]
            ],
            "more_url": reverse("ui:org:person_list") + f"?{field}_id={obj.pk}"
            if len(rows) > 50
            else None,
        }

    return make


def _children_table(request: HttpRequest, obj: Location) -> dict[str, Any] | None:
    rows = list(restrict(obj.children.all(), request.user, "view")[:200])
    if not rows:
        return None
    return {
        "title": "Contains",
        "headers": ["Location", "Kind"],
        "rows": [[link(c, "ui:org:location_detail"), c.get_kind_display()] for c in rows],
        "more_url": None,
    }


schemas.PersonFilter.ui_model = Person  # type: ignore[attr-defined]
schemas.DepartmentFilter.ui_model = Department  # type: ignore[attr-defined]
schemas.LocationFilter.ui_model = Location  # type: ignore[attr-defined]

PERSON = UIResource(
    model=Person,
    namespace="org",
    filter_schema=schemas.PersonFilter,
    form_class=forms.PersonForm,
    create=services.create_person,
    update=services.update_person,
    delete=services.delete_person,
    orderings={"last_name": "last_name", "employee_number": "employee_number", "id": "pk"},
    default_ordering="last_name",
    select_related=("department", "location", "manager", "cost_centre"),
    columns=[
        Column("Name", lambda p: f"{p.last_name}, {p.first_name}", order="last_name", link=True),
        Column("Employee no.", lambda p: p.employee_number, order="employee_number"),
        Column("Department", lambda p: link(p.department, "ui:org:department_detail")),
        Column("Location", lambda p: link(p.location, "ui:org:location_detail")),
        Column("Status", lambda p: p.get_status_display()),
    ],
    detail_fields=[
        ("Employee number", lambda p: p.employee_number),
        ("E-mail", lambda p: p.email),
        ("Job title", lambda p: p.job_title),
        ("Phone", lambda p: p.phone),
        ("Department", lambda p: link(p.department, "ui:org:department_detail")),
        ("Cost centre", lambda p: link(p.cost_centre, "ui:org:costcentre_detail")),
        ("Manager", lambda p: link(p.manager, "ui:org:person_detail")),
        ("Location", lambda p: link(p.location, "ui:org:location_detail")),
        ("Status", lambda p: p.get_status_display()),
        ("Start date", lambda p: p.start_date),
        ("End date", lambda p: p.end_date),
        ("Login", lambda p: p.user.username if p.user else ""),
    ],
    related_tables=[_people_table("Direct reports", "manager")],
    api_path="/api/org/people/",
)

DEPARTMENT = UIResource(
    model=Department,
    namespace="org",
    filter_schema=schemas.DepartmentFilter,
    form_class=forms.DepartmentForm,
    create=services.create_department,
    update=services.update_department,
    delete=services.delete_department,
    orderings={"name": "name", "id": "pk"},
    default_ordering="name",
    select_related=("parent", "cost_centre", "head"),
    columns=[
        Column("Name", lambda d: d.name, order="name", link=True),
        Column("Code", lambda d: d.code or ""),
        Column("Part of", lambda d: link(d.parent, "ui:org:department_detail")),
        Column("Cost centre", lambda d: link(d.cost_centre, "ui:org:costcentre_detail")),
        Column("Head", lambda d: link(d.head, "ui:org:person_detail")),
    ],
    detail_fields=[
        ("Code", lambda d: d.code or ""),
        ("Part of", lambda d: link(d.parent, "ui:org:department_detail")),
        ("Cost centre", lambda d: link(d.cost_centre, "ui:org:costcentre_detail")),
        ("Head", lambda d: link(d.head, "ui:org:person_detail")),
    ],
    related_tables=[_people_table("People", "department")],
    api_path="/api/org/departments/",
)

COST_CENTRE = UIResource(
    model=CostCentre,
    namespace="org",
    filter_schema=schemas.CostCentreFilter,
    form_class=forms.CostCentreForm,
    create=services.create_cost_centre,
    update=services.update_cost_centre,
    delete=services.delete_cost_centre,
    orderings={"code": "code", "name": "name", "id": "pk"},
    default_ordering="code",
    columns=[
        Column("Code", lambda c: c.code, order="code", link=True),
        Column("Name", lambda c: c.name, order="name"),
        Column("Active", lambda c: "Yes" if c.active else "No"),
    ],
    detail_fields=[
        ("Code", lambda c: c.code),
        ("Name", lambda c: c.name),
        ("Active", lambda c: "Yes" if c.active else "No"),
    ],
    related_tables=[_people_table("People", "cost_centre")],
    api_path="/api/org/cost-centres/",
)

LOCATION = UIResource(
    model=Location,
    namespace="org",
    filter_schema=schemas.LocationFilter,
    form_class=forms.LocationForm,
    create=services.create_location,
    update=services.update_location,
    delete=services.delete_location,
    orderings={"path": "path", "name": "name", "id": "pk"},
    default_ordering="path",
    select_related=("parent",),
    columns=[
        Column("Location", lambda loc: loc.path, order="path", link=True),
        Column("Kind", lambda loc: loc.get_kind_display()),
        Column("City", lambda loc: loc.city),
        Column("Country", lambda loc: loc.country),
    ],
    detail_fields=[
        ("Kind", lambda loc: loc.get_kind_display()),
        ("Path", lambda loc: loc.path),
        ("Part of", lambda loc: link(loc.parent, "ui:org:location_detail")),
        ("Address", lambda loc: loc.address),
        ("City", lambda loc: loc.city),
        ("Postcode", lambda loc: loc.postcode),
        ("Country", lambda loc: loc.country),
        ("Notes", lambda loc: loc.notes),
    ],
    related_tables=[_children_table, _people_table("People based here", "location")],
    api_path="/api/org/locations/",
)

COMPANY = UIResource(
    model=Company,
    namespace="org",
    filter_schema=schemas.CompanyFilter,
    form_class=forms.CompanyForm,
    create=services.create_company,
    update=services.update_company,
    delete=services.delete_company,
    orderings={"name": "name", "id": "pk"},
    default_ordering="name",
    columns=[
        Column("Name", lambda c: c.name, order="name", link=True),
        Column("Roles", lambda c: ", ".join(c.roles)),
        Column("Website", lambda c: c.website),
        Column("E-mail", lambda c: c.email),
    ],
    detail_fields=[
        ("Roles", lambda c: ", ".join(c.roles)),
        ("Website", lambda c: c.website),
        ("E-mail", lambda c: c.email),
        ("Phone", lambda c: c.phone),
        ("Notes", lambda c: c.notes),
    ],
    api_path="/api/org/companies/",
)

RESOURCES = [PERSON, DEPARTMENT, COST_CENTRE, LOCATION, COMPANY]
