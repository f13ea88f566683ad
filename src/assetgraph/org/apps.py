"""Organisation data: people, departments, cost centres, locations, companies."""

from typing import Any

from django.apps import AppConfig


def _person_of(user: Any) -> int | None:
    from .models import Person

    return Person.objects.filter(user=user).values_list("pk", flat=True).first()


class OrgConfig(AppConfig):
    """App config for :mod:`assetgraph.org`."""

    name = "assetgraph.org"
    label = "org"
    verbose_name = "Organisation"

    def ready(self) -> None:
        from assetgraph.core import registry

        from .models import Company, CostCentre, Department, Location, Person

        registry.register(
            Person,
            search_fields=("first_name", "last_name", "email", "employee_number"),
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
            detail_url_name="ui:org:person_detail",
            list_url_name="ui:org:person_list",
        )
        registry.register(
            Department,
            search_fields=("name", "code"),
            constraint_fields=("id", "name", "code", "parent", "cost_centre"),
            detail_url_name="ui:org:department_detail",
            list_url_name="ui:org:department_list",
        )
        registry.register(
            CostCentre,
            search_fields=("code", "name"),
            constraint_fields=("id", "code", "active"),
            detail_url_name="ui:org:costcentre_detail",
            list_url_name="ui:org:costcentre_list",
        )
        registry.register(
            Location,
            search_fields=("name", "path", "city"),
            constraint_fields=("id", "path", "kind", "country"),
            detail_url_name="ui:org:location_detail",
            list_url_name="ui:org:location_list",
        )
        registry.register(
            Company,
            search_fields=("name",),
            constraint_fields=(
                "id",
                "name",
                "is_supplier",
                "is_manufacturer",
                "is_service_provider",
            ),
            detail_url_name="ui:org:company_detail",
            list_url_name="ui:org:company_list",
        )
        registry.register_token("$person", _person_of)
        self._register_table_kinds()

    @staticmethod
    def _register_table_kinds() -> None:
        from assetgraph.core.registry import TableKind, register_table_kind

        from . import exports, services
        from .importers import LocationImporter, PersonImporter
        from .models import Company, CostCentre, Department, Location, Person

        kinds = [
            (
                "people",
                Person,
                PersonImporter,
                exports.PERSON_COLUMNS,
                ("department", "cost_centre", "manager", "location"),
                "person",
            ),
            (
                "locations",
                Location,
                LocationImporter,
                exports.LOCATION_COLUMNS,
                ("parent",),
                "location",
            ),
            (
                "departments",
                Department,
                None,
                exports.DEPARTMENT_COLUMNS,
                ("parent", "cost_centre", "head"),
                "department",
            ),
            ("cost-centres", CostCentre, None, exports.COST_CENTRE_COLUMNS, (), "cost_centre"),
            ("companies", Company, None, exports.COMPANY_COLUMNS, (), "company"),
        ]
        for slug, model, importer, columns, related, noun in kinds:
            register_table_kind(
                TableKind(
                    slug,
                    model,
                    importer,
                    tuple(columns),
                    related,
                    create=getattr(services, f"create_{noun}"),
                    update=getattr(services, f"update_{noun}"),
                    delete=getattr(services, f"delete_{noun}"),
                )
            )
