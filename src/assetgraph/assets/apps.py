"""IT asset management: catalogue, assets, lifecycle, custody, kits, labels, alerts."""

from django.apps import AppConfig

ASSET_ACTIONS = (
    "view",
    "add",
    "change",
    "delete",
    "checkout",
    "checkin",
    "view_cost",
    "relocate",
)
CAMPAIGN_ACTIONS = ("view", "add", "change", "delete", "scan")


class AssetsConfig(AppConfig):
    """App config for :mod:`assetgraph.assets`."""

    name = "assetgraph.assets"
    label = "assets"
    verbose_name = "Assets"

    def ready(self) -> None:
        from assetgraph.core import registry

        from .models import Asset, AssetModel, AuditCampaign, Category, CustomField, Kit

        registry.register(
            Asset,
            search_fields=("asset_tag", "serial_number", "name"),
            constraint_fields=(
                "id",
                "asset_tag",
                "state",
                "substate",
                "model",
                "model__category",
                "model__category__kind",
                "manufacturer",
                "location",
                "location__path",
                "custodian",
                "custodian__department",
                "custodian__location__path",
                "supplier",
            ),
            detail_url_name="ui:assets:asset_detail",
            list_url_name="ui:assets:asset_list",
            actions=ASSET_ACTIONS,
            field_permissions={"cost": "view_cost", "disposal.proceeds": "view_cost"},
        )
        registry.register(
            AssetModel,
            search_fields=("name", "model_number"),
            constraint_fields=("id", "name", "category", "category__kind", "manufacturer"),
            detail_url_name="ui:assets:assetmodel_detail",
            list_url_name="ui:assets:assetmodel_list",
        )
        registry.register(
            Category,
            search_fields=("name",),
            constraint_fields=("id", "name", "kind"),
            detail_url_name="ui:assets:category_detail",
            list_url_name="ui:assets:category_list",
        )
        registry.register(
            CustomField,
            search_fields=("key", "label"),
            constraint_fields=("id", "key", "type"),
            detail_url_name="ui:assets:customfield_detail",
            list_url_name="ui:assets:customfield_list",
        )
        registry.register(
            Kit,
            search_fields=("name",),
            constraint_fields=("id", "name"),
            detail_url_name="ui:assets:kit_detail",
            list_url_name="ui:assets:kit_list",
        )
        registry.register(
            AuditCampaign,
            search_fields=("name",),
            constraint_fields=("id", "name", "status", "location", "location__path"),
            detail_url_name="ui:assets:audit_detail",
            list_url_name="ui:assets:audit_list",
            actions=CAMPAIGN_ACTIONS,
            audit_references={"asset": "assets.asset"},
        )
        self._register_table_kinds()

    @staticmethod
    def _register_table_kinds() -> None:
        from assetgraph.core.registry import TableKind, register_table_kind

        from . import exports, services
        from .importers import AssetImporter
        from .models import Asset, AssetModel, Category

        register_table_kind(
            TableKind(
                "assets",
                Asset,
                AssetImporter,
                tuple(exports.ASSET_COLUMNS_WITH_COST),
                exports.ASSET_RELATED,
                create=services.create_asset,
                update=services.update_asset,
                delete=services.delete_asset,
            )
        )
        register_table_kind(
            TableKind(
                "asset-models",
                AssetModel,
                None,
                tuple(exports.MODEL_COLUMNS),
                ("category", "manufacturer"),
                create=services.create_model,
                update=services.update_model,
                delete=services.delete_model,
            )
        )
        register_table_kind(
            TableKind(
                "asset-categories",
                Category,
                None,
                tuple(exports.CATEGORY_COLUMNS),
                (),
                create=services.create_category,
                update=services.update_category,
                delete=services.delete_category,
            )
        )
