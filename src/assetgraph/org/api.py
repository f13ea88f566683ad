"""REST endpoints of the organisation app (one standard router per resource)."""

from typing import Any

from django.http import HttpRequest
from ninja import File, Router
from ninja.files import UploadedFile

from assetgraph.api.crud import Resource, build_router
from assetgraph.core.actor import Actor, Source
from assetgraph.core.errors import NotFound

from . import exports, schemas, services
from .importers import LocationImporter, PersonImporter
from .models import Company, CostCentre, Department, Location, Person

router = Router()

router.add_router(
    "/companies",
    build_router(
        Resource(
            model=Company,
            out_schema=schemas.CompanyOut,
            in_schema=schemas.CompanyIn,
            patch_schema=schemas.CompanyPatch,
            filter_schema=schemas.CompanyFilter,
            create=services.create_company,
            update=services.update_company,
            delete=services.delete_company,
            orderings={"name": "name", "id": "pk"},
            default_ordering="name",
            tag="companies",
            export_columns=exports.COMPANY_COLUMNS,
        )
    ),
)
router.add_router(
    "/cost-centres",
    build_router(
        Resource(
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
            tag="cost centres",
            export_columns=exports.COST_CENTRE_COLUMNS,
        )
    ),
)
router.add_router(
    "/departments",
    build_router(
        Resource(
            model=Department,
            out_schema=schemas.DepartmentOut,
            in_schema=schemas.DepartmentIn,
            patch_schema=schemas.DepartmentPatch,
            filter_schema=schemas.DepartmentFilter,
            create=services.create_department,
            update=services.update_department,
            delete=services.delete_department,
            orderings={"name": "name", "id": "pk"},
            default_ordering="name",
            select_related=("parent", "cost_centre", "head"),
            tag="departments",
            export_columns=exports.DEPARTMENT_COLUMNS,
        )
    ),
)
router.add_router(
    "/locations",
    build_router(
        Resource(
            model=Location,
            out_schema=schemas.LocationOut,
            in_schema=schemas.LocationIn,
            patch_schema=schemas.LocationPatch,
            filter_schema=schemas.LocationFilter,
            create=services.create_location,
            update=services.update_location,
            delete=services.delete_location,
            orderings={"path": "path", "name": "name", "id": "pk"},
            default_ordering="path",
            select_related=("parent",),
            tag="locations",
            export_columns=exports.LOCATION_COLUMNS,
        )
    ),
)
router.add_router(
    "/people",
    build_router(
        Resource(
            model=Person,
            out_schema=schemas.PersonOut,
            in_schema=schemas.PersonIn,
            patch_schema=schemas.PersonPatch,
            filter_schema=schemas.PersonFilter,
            create=services.create_person,
            update=services.update_person,
            delete=services.delete_person,
            orderings={"last_name": "last_name", "employee_number": "employee_number", "id": "pk"},
            default_ordering="last_name",
            select_related=("department", "cost_centre", "manager", "location"),
            tag="people",
            export_columns=exports.PERSON_COLUMNS,
        )
    ),
)


IMPORTERS = {"people": PersonImporter, "locations": LocationImporter}


@router.post(
    "/import/{kind}",
    response={200: dict[str, Any], 422: dict[str, Any]},
    tags=["import"],
    summary="Import people or locations from CSV/XLSX (all-or-nothing; dry_run previews)",
)
def import_file(
    request: HttpRequest, kind: str, file: UploadedFile = File(...), dry_run: bool = True
) -> tuple[int, dict[str, Any]]:
    """Upsert from a file; with ``dry_run`` (the default) nothing is written.

    Answers 200 with the per-row plan (creates, updates with field diffs, unchanged) or 422
    with row-level errors, in which case nothing was written.
    """
    importer = IMPORTERS.get(kind)
    if importer is None:
        raise NotFound(f"nothing to import called {kind!r} (use people or locations)")
    report = importer(Actor.from_request(request, Source.API)).run(
        file, file.name or "upload.csv", dry_run=dry_run
    )
    return (200 if report.ok else 422), report.as_dict()
