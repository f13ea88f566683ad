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

        from . import exports
        from .importers import LocationImporter, PersonImporter
        from .models import Company, CostCentre, Department, Location, Person

        register_table_kind(
            TableKind(
                "people",
                Person,
                PersonImporter,
                tuple(exports.PERSON_COLUMNS),
                ("department", "cost_centre", "manager", "location"),
            )
        )
        register_table_kind(
            TableKind("locations", Location, LocationImporter, tuple(exports.LOCATION_COLUMNS))
        )
        register_table_kind(
            TableKind(
                "departments",
                Department,
                None,
                tuple(exports.DEPARTMENT_COLUMNS),
                ("parent", "cost_centre", "head"),
            )
        )
        register_table_kind(
            TableKind("cost-centres", CostCentre, None, tuple(exports.COST_CENTRE_COLUMNS))
        )
        register_table_kind(TableKind("companies", Company, None, tuple(exports.COMPANY_COLUMNS)))
