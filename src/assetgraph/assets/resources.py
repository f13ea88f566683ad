"""The assets app's resources, each declared once: API, pages, registry, search, exports and
CLI kinds are derived from these (see :mod:`assetgraph.framework.spec`)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from assetgraph.accounts.permissions import restrict
from assetgraph.framework.spec import ALL_PAGES, BulkAction, Column, DetailSection, Resource
from assetgraph.ui.generic import link, name_of

from . import api, exports, forms, schemas, services
from .importers import AssetImporter
from .lifecycle import state_label
from .models import Asset, AssetModel, AuditCampaign, Category, CustomField, Kit
from .querysets import ASSET_RELATED
from .services.register import all_definitions

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


def holder(asset: Asset) -> dict[str, str] | str:
    if asset.custodian is not None:
        return link(asset.custodian, "ui:org:person_detail")
    if asset.assigned_location is not None:
        return link(asset.assigned_location, "ui:org:location_detail")
    if asset.parent is not None:
        return link(asset.parent, "ui:assets:asset_detail")
    return ""


def _models_table(request: HttpRequest, category: Category) -> dict[str, Any] | None:
    visible = restrict(category.models.select_related("manufacturer"), request.user)
    rows = list(visible[:101])
    if not rows:
        return None
    capped = len(rows) > 100
    return {
        "title": "Models",
        "headers": ["Model", "Manufacturer"],
        "rows": [[link(m, "ui:assets:assetmodel_detail"), m.manufacturer.name] for m in rows[:100]],
        # Capped: "Showing 100 of N", the full filtered list and its export (issue 17).
        "more_url": reverse("ui:assets:assetmodel_list") + f"?category_id={category.pk}"
        if capped
        else None,
        "total": visible.count() if capped else len(rows),
        "export_url": f"/api/assets/models/export?format=csv&category_id={category.pk}",
    }


def _kit_items(request: HttpRequest, kit: Kit) -> dict[str, Any] | None:
    return {
        "title": "Items",
        "headers": ["Model", "Quantity"],
        "rows": [
            [link(i.model, "ui:assets:assetmodel_detail"), i.quantity] for i in kit.items.all()
        ],
        "more_url": None,
    }


CATEGORY = Resource(
    out_schema=schemas.CategoryOut,
    in_schema=schemas.CategoryIn,
    patch_schema=schemas.CategoryPatch,
    api_path="categories",
    tag="asset categories",
    search_fields=("name",),
    constraint_fields=("id", "name", "kind"),
    export_columns=exports.CATEGORY_COLUMNS,
    cli_name="asset-categories",
    model=Category,
    filter_schema=schemas.CategoryFilter,
    form_class=forms.CategoryForm,
    create=services.create_category,
    update=services.update_category,
    delete=services.delete_category,
    orderings={"name": "name_key", "id": "pk"},
    default_ordering="name",
    columns=[
        Column("Name", lambda c: c.name, order="name", link=True),
        Column("Kind", lambda c: c.get_kind_display()),
        Column("Acceptance", lambda c: "Required" if c.requires_acceptance else ""),
    ],
    detail_fields=[
        ("Kind", lambda c: c.get_kind_display()),
        ("Requires acceptance", lambda c: "Yes" if c.requires_acceptance else "No"),
        ("Acceptance terms", lambda c: c.acceptance_terms),
    ],
    related_tables=[_models_table],
)
MODEL = Resource(
    out_schema=schemas.AssetModelOut,
    in_schema=schemas.AssetModelIn,
    patch_schema=schemas.AssetModelPatch,
    api_path="models",
    tag="asset models",
    search_fields=("name", "model_number"),
    picker_detail=lambda m: " · ".join(
        part for part in (name_of(m.manufacturer), name_of(m.category), m.model_number) if part
    ),
    picker_related=("manufacturer", "category"),
    constraint_fields=("id", "name", "category", "category__kind", "manufacturer"),
    export_columns=exports.MODEL_COLUMNS,
    cli_name="asset-models",
    model=AssetModel,
    filter_schema=schemas.AssetModelFilter,
    form_class=forms.AssetModelForm,
    create=services.create_model,
    update=services.update_model,
    delete=services.delete_model,
    orderings={"name": "name_key", "id": "pk"},
    default_ordering="name",
    select_related=("category", "manufacturer"),
    columns=[
        Column("Model", lambda m: m.name, order="name", link=True),
        Column("Model number", lambda m: m.model_number),
        Column("Category", lambda m: link(m.category, "ui:assets:category_detail")),
        Column("Manufacturer", lambda m: link(m.manufacturer, "ui:org:company_detail")),
        Column("Warranty (months)", lambda m: m.default_warranty_months),
    ],
    detail_fields=[
        ("Model number", lambda m: m.model_number),
        ("Category", lambda m: link(m.category, "ui:assets:category_detail")),
        ("Manufacturer", lambda m: link(m.manufacturer, "ui:org:company_detail")),
        ("Default warranty (months)", lambda m: m.default_warranty_months),
        ("End of life (months)", lambda m: m.eol_months),
        ("Specs", lambda m: ", ".join(f"{k}: {v}" for k, v in m.specs.items())),
    ],
)
CUSTOM_FIELD = Resource(
    out_schema=schemas.CustomFieldOut,
    in_schema=schemas.CustomFieldIn,
    patch_schema=schemas.CustomFieldPatch,
    api_path="custom-fields",
    tag="asset custom fields",
    search_fields=("key", "label"),
    constraint_fields=("id", "key", "type"),
    model=CustomField,
    filter_schema=schemas.CustomFieldFilter,
    form_class=forms.CustomFieldForm,
    create=services.create_custom_field,
    update=services.update_custom_field,
    delete=services.delete_custom_field,
    orderings={"key": "key", "weight": "weight", "id": "pk"},
    default_ordering="weight",
    columns=[
        Column("Label", lambda f: f.label, link=True),
        Column("Key", lambda f: f.key, order="key"),
        Column("Type", lambda f: f.get_type_display()),
        Column("Categories", lambda f: ", ".join(str(c) for c in f.categories.all()) or "All"),
    ],
    detail_fields=[
        ("Key", lambda f: f.key),
        ("Type", lambda f: f.get_type_display()),
        ("Categories", lambda f: ", ".join(str(c) for c in f.categories.all()) or "All"),
        ("Required", lambda f: "Yes" if f.required else "No"),
        ("Choices", lambda f: ", ".join(f.choices)),
    ],
)
KIT = Resource(
    out_schema=schemas.KitOut,
    in_schema=schemas.KitIn,
    patch_schema=schemas.KitPatch,
    api_path="kits",
    api_routes=api.kit_routes,
    tag="kits",
    search_fields=("name",),
    constraint_fields=("id", "name"),
    model=Kit,
    filter_schema=schemas.KitFilter,
    form_class=forms.KitForm,
    create=services.create_kit,
    update=services.update_kit,
    delete=services.delete_kit,
    orderings={"name": "name_key", "id": "pk"},
    default_ordering="name",
    columns=[
        Column("Kit", lambda k: k.name, order="name", link=True),
        Column("Items", lambda k: ", ".join(str(i) for i in k.items.all())),
    ],
    detail_fields=[
        ("Description", lambda k: k.description),
        (
            "Actions",
            lambda k: {
                "url": reverse("ui:assets:kit_issue", args=[k.pk]),
                "text": "Issue to people…",
            },
        ),
        (
            "Items",
            lambda k: {"url": reverse("ui:assets:kit_items", args=[k.pk]), "text": "Edit items…"},
        ),
    ],
    related_tables=[_kit_items],
)
ASSET = Resource(
    out_schema=schemas.AssetOut,
    in_schema=schemas.AssetIn,
    patch_schema=schemas.AssetPatch,
    api_path="assets",
    api_routes=api.asset_routes,
    tag="assets",
    actions=ASSET_ACTIONS,
    field_permissions={"cost": "view_cost", "disposal.proceeds": "view_cost"},
    search_fields=("asset_tag", "serial_number", "name"),
    picker_detail=lambda a: " · ".join(
        part
        for part in (name_of(a.model), name_of(a.custodian), name_of(a.location), a.serial_number)
        if part
    ),
    picker_related=("model", "custodian", "location"),
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
    # The asset's own pages: detail with custody tabs, the form with typed custom fields.
    pages=ALL_PAGES - {"detail", "add", "edit"},
    export_columns=exports.asset_columns,
    cli_name="assets",
    importer=AssetImporter,
    model=Asset,
    filter_schema=schemas.AssetFilter,
    form_class=forms.AssetForm,
    create=services.create_asset,
    update=services.update_asset,
    delete=services.delete_asset,
    orderings={
        "asset_tag": "asset_tag",
        "name": "name_key",
        "purchase_date": "purchase_date",
        "warranty_end": "warranty_end",
        "id": "pk",
    },
    default_ordering="asset_tag",
    select_related=ASSET_RELATED,
    columns=[
        Column("Tag", lambda a: a.asset_tag, order="asset_tag", link=True),
        Column("Model", lambda a: a.model.name),
        Column("Serial", lambda a: a.serial_number),
        Column("State", lambda a: state_label(a.state, a.substate)),
        Column("Held by", holder),
        Column("Location", lambda a: link(a.location, "ui:org:location_detail")),
        Column("Warranty end", lambda a: a.warranty_end, order="warranty_end"),
    ],
    attribute_definitions=all_definitions,
    bulk_edit_fields=(
        "location",
        "supplier",
        "purchase_date",
        "warranty_end",
        "eol_date",
        "order_number",
        "invoice_number",
    ),
    bulk_actions=[
        BulkAction(
            "transition",
            "Change state of selected",
            "change",
            "ui:assets:bulk_transition",
            "arrow-left-right",
        ),
        BulkAction(
            "checkin", "Check in selected", "checkin", "ui:assets:bulk_checkin", "box-arrow-in-left"
        ),
        BulkAction("labels", "Print labels for selected", "view", "ui:assets:labels", "qr-code"),
    ],
)
AUDIT_CAMPAIGN = Resource(
    model=AuditCampaign,
    actions=CAMPAIGN_ACTIONS,
    audit_references={"asset": "assets.asset"},
    search_fields=("name",),
    constraint_fields=("id", "name", "status", "location", "location__path"),
    # Campaigns have their own API (audits_api) and pages (audits_views).
    pages=frozenset(),
    url_names={"detail": "ui:assets:audit_detail", "list": "ui:assets:audit_list"},
)

RESOURCES = [ASSET, MODEL, CATEGORY, CUSTOM_FIELD, KIT, AUDIT_CAMPAIGN]


def _person_holdings(request: HttpRequest, person: Any) -> dict[str, Any] | None:
    from .person_section import person_holdings_section

    return person_holdings_section(request, person)


# The person page's "What they hold" (org cannot import assets: assets contributes it).
SECTIONS = [DetailSection("org.person", _person_holdings)]
