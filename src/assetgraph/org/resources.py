"""The organisation's resources, each declared once: API, pages, registry, search, exports and
CLI kinds are derived from these (see :mod:`assetgraph.framework.spec`)."""

from __future__ import annotations

from assetgraph.framework.spec import Column, Resource
from assetgraph.ui.generic import link, name_of

from . import exports, forms, schemas, services
from .importers import LocationImporter, PersonImporter
from .models import Company, CostCentre, Department, Location, Person
from .views import children_table, people_table

PERSON = Resource(
    model=Person,
    out_schema=schemas.PersonOut,
    in_schema=schemas.PersonIn,
    patch_schema=schemas.PersonPatch,
    filter_schema=schemas.PersonFilter,
    create=services.create_person,
    update=services.update_person,
    delete=services.delete_person,
    # "last_name" sorts by last, then first name, naturally (core.natural, ADR 0015).
    orderings={"last_name": "name_key", "employee_number": "employee_number", "id": "pk"},
    default_ordering="last_name",
    select_related=("department", "cost_centre", "manager", "location"),
    search_fields=("first_name", "last_name", "email", "employee_number"),
    picker_detail=lambda p: " · ".join(
        part for part in (p.email, name_of(p.department), p.employee_number) if part
    ),
    picker_related=("department",),
    constraint_fields=(
        "id",
        "employee_number",
        "department",
        "department__name",
        "department__code",
        "cost_centre",
        "cost_centre__code",
        "location",
        "location__path",
        "manager",
        "status",
        "user",
    ),
    tag="people",
    form_class=forms.PersonForm,
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
    related_tables=[people_table("Direct reports", "manager")],
    export_columns=exports.PERSON_COLUMNS,
    cli_name="people",
    importer=PersonImporter,
)

DEPARTMENT = Resource(
    model=Department,
    out_schema=schemas.DepartmentOut,
    in_schema=schemas.DepartmentIn,
    patch_schema=schemas.DepartmentPatch,
    filter_schema=schemas.DepartmentFilter,
    create=services.create_department,
    update=services.update_department,
    delete=services.delete_department,
    orderings={"name": "name_key", "id": "pk"},
    default_ordering="name",
    select_related=("parent", "cost_centre", "head"),
    search_fields=("name", "code"),
    constraint_fields=("id", "name", "code", "parent", "cost_centre"),
    tag="departments",
    form_class=forms.DepartmentForm,
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
    related_tables=[people_table("People", "department")],
    export_columns=exports.DEPARTMENT_COLUMNS,
    cli_name="departments",
)

COST_CENTRE = Resource(
    model=CostCentre,
    out_schema=schemas.CostCentreOut,
    in_schema=schemas.CostCentreIn,
    patch_schema=schemas.CostCentrePatch,
    filter_schema=schemas.CostCentreFilter,
    create=services.create_cost_centre,
    update=services.update_cost_centre,
    delete=services.delete_cost_centre,
    orderings={"code": "code", "name": "name", "id": "pk"},
    default_ordering="code",
    search_fields=("code", "name"),
    constraint_fields=("id", "code", "active"),
    tag="cost centres",
    form_class=forms.CostCentreForm,
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
    related_tables=[people_table("People", "cost_centre")],
    export_columns=exports.COST_CENTRE_COLUMNS,
    cli_name="cost-centres",
)

LOCATION = Resource(
    model=Location,
    out_schema=schemas.LocationOut,
    in_schema=schemas.LocationIn,
    patch_schema=schemas.LocationPatch,
    filter_schema=schemas.LocationFilter,
    create=services.create_location,
    update=services.update_location,
    delete=services.delete_location,
    orderings={"path": "path", "name": "name_key", "id": "pk"},
    default_ordering="path",
    select_related=("parent",),
    search_fields=("name", "path", "city"),
    picker_detail=lambda loc: " · ".join(part for part in (loc.path, loc.city) if part),
    constraint_fields=("id", "path", "kind", "country"),
    tag="locations",
    form_class=forms.LocationForm,
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
    related_tables=[children_table, people_table("People based here", "location")],
    export_columns=exports.LOCATION_COLUMNS,
    cli_name="locations",
    importer=LocationImporter,
)

COMPANY = Resource(
    model=Company,
    out_schema=schemas.CompanyOut,
    in_schema=schemas.CompanyIn,
    patch_schema=schemas.CompanyPatch,
    filter_schema=schemas.CompanyFilter,
    create=services.create_company,
    update=services.update_company,
    delete=services.delete_company,
    orderings={"name": "name_key", "id": "pk"},
    default_ordering="name",
    search_fields=("name",),
    constraint_fields=("id", "name", "is_supplier", "is_manufacturer", "is_service_provider"),
    tag="companies",
    form_class=forms.CompanyForm,
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
    export_columns=exports.COMPANY_COLUMNS,
    cli_name="companies",
)

RESOURCES = [PERSON, DEPARTMENT, COST_CENTRE, LOCATION, COMPANY]
