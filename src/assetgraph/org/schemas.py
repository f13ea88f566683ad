"""API schemas of the organisation app: ``XIn`` (create), ``XPatch``, ``XOut``, ``XFilter``.

The ``XFilter`` schemas serve both the API list endpoints and the HTMX list pages.
"""

import datetime as dt
from typing import Annotated

from django.db.models import Q
from ninja import Field, FilterLookup, FilterSchema, Schema

from assetgraph.api.formats import COUNTRY_PATTERN, EMAIL_PATTERN, URL_PATTERN, optional
from assetgraph.api.schemas import Ref

from .choices import LocationKindChoices, PersonStatusChoices

# --- company ---


class CompanyIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    is_supplier: bool = False
    is_manufacturer: bool = False
    is_service_provider: bool = False
    website: str = Field("", max_length=200, pattern=optional(URL_PATTERN))
    email: str = Field("", max_length=254, pattern=optional(EMAIL_PATTERN))
    phone: str = Field("", max_length=50)
    notes: str = ""


class CompanyPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    is_supplier: bool | None = None
    is_manufacturer: bool | None = None
    is_service_provider: bool | None = None
    website: str | None = Field(None, max_length=200, pattern=optional(URL_PATTERN))
    email: str | None = Field(None, max_length=254, pattern=optional(EMAIL_PATTERN))
    phone: str | None = Field(None, max_length=50)
    notes: str | None = None


class CompanyOut(Schema):
    id: int
    name: str
    is_supplier: bool
    is_manufacturer: bool
    is_service_provider: bool
    website: str
    email: str
    phone: str
    notes: str


class CompanyFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(["name__icontains", "email__icontains"])] = Field(
        None, description="Search by name or e-mail"
    )
    is_supplier: bool | None = None
    is_manufacturer: bool | None = None
    is_service_provider: bool | None = None


# --- cost centre ---


class CostCentreIn(Schema):
    code: str = Field(min_length=1, max_length=30)
    name: str = Field(min_length=1, max_length=200)
    active: bool = True


class CostCentrePatch(Schema):
    code: str | None = Field(None, min_length=1, max_length=30)
    name: str | None = Field(None, min_length=1, max_length=200)
    active: bool | None = None


class CostCentreOut(Schema):
    id: int
    code: str
    name: str
    active: bool


class CostCentreFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(["code__icontains", "name__icontains"])] = Field(
        None, description="Search by code or name"
    )
    active: bool | None = None


# --- department ---


class DepartmentIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    code: str | None = Field(None, max_length=30)
    parent_id: int | None = None
    cost_centre_id: int | None = None
    head_id: int | None = None


class DepartmentPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    code: str | None = Field(None, max_length=30)
    parent_id: int | None = None
    cost_centre_id: int | None = None
    head_id: int | None = None


class DepartmentOut(Schema):
    id: int
    name: str
    code: str | None
    parent: Ref | None
    cost_centre: Ref | None
    head: Ref | None


class DepartmentFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(["name__icontains", "code__icontains"])] = Field(
        None, description="Search by name or code"
    )
    parent_id: int | None = None
    cost_centre_id: int | None = None


# --- location ---


class LocationIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    kind: LocationKindChoices
    parent_id: int | None = None
    address: str = ""
    city: str = Field("", max_length=100)
    postcode: str = Field("", max_length=20)
    country: str = Field("", max_length=2, pattern=optional(COUNTRY_PATTERN))
    notes: str = ""


class LocationPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    kind: LocationKindChoices | None = None
    parent_id: int | None = None
    address: str | None = None
    city: str | None = Field(None, max_length=100)
    postcode: str | None = Field(None, max_length=20)
    country: str | None = Field(None, max_length=2, pattern=optional(COUNTRY_PATTERN))
    notes: str | None = None


class LocationOut(Schema):
    id: int
    name: str
    kind: str
    path: str
    parent: Ref | None
    address: str
    city: str
    postcode: str
    country: str
    notes: str


class LocationFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(["path__icontains", "city__icontains"])] = Field(
        None, description="Search by path or city"
    )
    kind: LocationKindChoices | None = None
    parent_id: int | None = None
    within: int | None = Field(None, description="Only this location's subtree (by id)")

    def filter_within(self, value: int | None) -> Q:
        if value is None:
            return Q()
        from .models import PATH_SEPARATOR, Location

        path = Location.objects.filter(pk=value).values_list("path", flat=True).first()
        if path is None:
            return Q(pk__in=[])
        return Q(path=path) | Q(path__startswith=path + PATH_SEPARATOR)


# --- person ---


class PersonIn(Schema):
    employee_number: str = Field(min_length=1, max_length=30)
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    email: str = Field("", max_length=254, pattern=optional(EMAIL_PATTERN))
    job_title: str = Field("", max_length=150)
    phone: str = Field("", max_length=50)
    department_id: int | None = None
    cost_centre_id: int | None = None
    manager_id: int | None = None
    location_id: int | None = None
    status: PersonStatusChoices = PersonStatusChoices.ACTIVE
    start_date: dt.date | None = None
    end_date: dt.date | None = None


class PersonPatch(Schema):
    employee_number: str | None = Field(None, min_length=1, max_length=30)
    first_name: str | None = Field(None, min_length=1, max_length=100)
    last_name: str | None = Field(None, min_length=1, max_length=100)
    email: str | None = Field(None, max_length=254, pattern=optional(EMAIL_PATTERN))
    job_title: str | None = Field(None, max_length=150)
    phone: str | None = Field(None, max_length=50)
    department_id: int | None = None
    cost_centre_id: int | None = None
    manager_id: int | None = None
    location_id: int | None = None
    status: PersonStatusChoices | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None


class PersonOut(Schema):
    id: int
    employee_number: str
    first_name: str
    last_name: str
    email: str
    job_title: str
    phone: str
    department: Ref | None
    cost_centre: Ref | None
    manager: Ref | None
    location: Ref | None
    status: str
    start_date: dt.date | None
    end_date: dt.date | None


class PersonFilter(FilterSchema):
    q: Annotated[
        str | None,
        FilterLookup(
            [
                "first_name__icontains",
                "last_name__icontains",
                "email__icontains",
                "employee_number__iexact",
            ]
        ),
    ] = Field(
        None,
        description="Search by name, e-mail or employee number",
    )
    status: PersonStatusChoices | None = None
    department_id: int | None = None
    cost_centre_id: int | None = None
    location_id: int | None = None
    manager_id: int | None = None
