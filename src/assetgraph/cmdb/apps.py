"""The CMDB: CI classes and attributes, CIs, typed relationships, history as of any time."""

from django.apps import AppConfig


class CmdbConfig(AppConfig):
    """App config for :mod:`assetgraph.cmdb`."""

    name = "assetgraph.cmdb"
    label = "cmdb"
    verbose_name = "CMDB"

    def ready(self) -> None:
        from assetgraph.assets import views as asset_views
        from assetgraph.core import registry

        from . import context, views

        # One record, two halves: each page shows the other half through the asset link.
        if context.ci_business_section not in views.DETAIL_SECTIONS:
            views.DETAIL_SECTIONS.append(context.ci_business_section)
        if context.asset_ci_section not in asset_views.DETAIL_SECTIONS:
            asset_views.DETAIL_SECTIONS.append(context.asset_ci_section)

        from .models import (
            CI,
            CIClass,
            ClassAttribute,
            Relationship,
            RelationshipType,
            SoftwareInstall,
            SoftwareProduct,
        )

        registry.register(
            CI,
            search_fields=("name", "description"),
            constraint_fields=(
                "id",
                "name",
                "ci_class",
                "ci_class__name",
                "operational_status",
                "environment",
                "criticality",
                "owning_team",
                "owning_team__code",
                "support_group",
                "support_group__code",
                "location",
                "location__path",
                "source",
            ),
            detail_url_name="ui:cmdb:ci_detail",
            list_url_name="ui:cmdb:ci_list",
        )
        registry.register(
            CIClass,
            search_fields=("name", "description"),
            constraint_fields=("id", "name", "parent", "is_group", "builtin"),
            detail_url_name="ui:cmdb:ciclass_detail",
            list_url_name="ui:cmdb:ciclass_list",
        )
        registry.register(
            ClassAttribute,
            search_fields=("key", "label"),
            constraint_fields=("id", "key", "ci_class", "ci_class__name", "type"),
            detail_url_name="ui:cmdb:classattribute_detail",
            list_url_name="ui:cmdb:classattribute_list",
        )
        registry.register(
            RelationshipType,
            search_fields=("name", "reverse_name"),
            constraint_fields=("id", "name", "impact_direction", "builtin"),
            detail_url_name="ui:cmdb:relationshiptype_detail",
            list_url_name="ui:cmdb:relationshiptype_list",
        )
        registry.register(
            Relationship,
            constraint_fields=(
                "id",
                "type",
                "type__name",
                "source",
                "target",
                "source__ci_class__name",
                "target__ci_class__name",
                "source__owning_team",
                "target__owning_team",
            ),
        )
        registry.register(
            SoftwareProduct,
            search_fields=("publisher", "name"),
            constraint_fields=("id", "publisher", "name"),
        )
        registry.register(
            SoftwareInstall,
            constraint_fields=("id", "ci", "product", "product__publisher", "ci__owning_team"),
        )
        self._register_table_kinds()

    @staticmethod
    def _register_table_kinds() -> None:
        """Make CIs and relationships importable/exportable from the CLI."""
        from assetgraph.core.registry import TableKind, register_table_kind

        from . import exports, services
        from .importers import CIImporter, RelationshipImporter
        from .models import CI, Relationship

        register_table_kind(
            TableKind(
                "cis",
                CI,
                CIImporter,
                tuple(exports.CI_COLUMNS),
                ("ci_class", "owning_team", "support_group", "location"),
                create=services.create_ci,
                update=services.update_ci,
                delete=services.retire_ci,
            )
        )
        register_table_kind(
            TableKind(
                "relationships",
                Relationship,
                RelationshipImporter,
                tuple(exports.RELATIONSHIP_COLUMNS),
                ("source", "target", "type"),
                create=services.add_relationship,
                update=services.update_relationship,
                delete=services.remove_relationship,
            )
        )
