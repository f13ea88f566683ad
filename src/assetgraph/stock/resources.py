"""The stock app's resources, each declared once (see :mod:`assetgraph.framework.spec`), and
the asset page's "Maintenance" section.

Items, storerooms, catalogue entries, loaners and maintenance records are plain resources
(generated API and pages). Movements, requests and reservations are written only through
their use-case services, so they have their own endpoints (``api.py``) and pages
(``views.py``); their declarations give the registry, permissions and History.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest

from assetgraph.framework.spec import Column, DetailSection, Resource
from assetgraph.ui.generic import link

from . import schemas, services
from .importers import OpeningBalanceImporter
from .models import (
    CatalogueEntry,
    Loaner,
    MaintenanceRecord,
    Reservation,
    StockItem,
    StockMovement,
    StockRequest,
    Storeroom,
)
from .views import (
    asset_maintenance_section,
    storeroom_movements_table,
    storeroom_stock_table,
)


def _with_on_hand(request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
    """Items with their storeroom total in the same query (no query per row in lists)."""
    in_rooms = Q(balances__location__storeroom__active=True)
    annotated: QuerySet[Any] = queryset.annotate(
        storeroom_on_hand=Coalesce(Sum("balances__on_hand", filter=in_rooms), 0)
    )
    return annotated


STOCK_ITEM = Resource(
    model=StockItem,
    base_filter=_with_on_hand,
    out_schema=schemas.StockItemOut,
    in_schema=schemas.StockItemIn,
    patch_schema=schemas.StockItemPatch,
    filter_schema=schemas.StockItemFilter,
    create=services.create_stock_item,
    update=services.update_stock_item,
    delete=services.delete_stock_item,
    path="items",
    api_path="items",
    tag="stock",
    select_related=("model__category",),
    orderings={"name": "name_key", "kind": "kind", "id": "pk"},
    default_ordering="name",
    search_fields=("name",),
    constraint_fields=("id", "kind", "model", "model__category"),
    columns=[
        Column("Item", lambda i: i.name, order="name", link=True),
        Column("Kind", lambda i: i.get_kind_display(), order="kind"),
        Column("Model", lambda i: link(i.model, "ui:assets:assetmodel_detail")),
        Column("Category", lambda i: i.model.category.name),
        Column("Minimum", lambda i: i.min_quantity),
        Column("Unit cost", lambda i: f"{i.unit_cost} {i.currency}" if i.unit_cost else ""),
    ],
    detail_fields=[
        ("Kind", lambda i: i.get_kind_display()),
        ("Model", lambda i: link(i.model, "ui:assets:assetmodel_detail")),
        ("Category", lambda i: i.model.category.name),
        ("Default minimum per storeroom", lambda i: i.min_quantity),
        ("Unit cost", lambda i: f"{i.unit_cost} {i.currency}" if i.unit_cost else ""),
        ("Notes", lambda i: i.notes),
    ],
    cli_name="stock-items",
)
STOREROOM = Resource(
    model=Storeroom,
    out_schema=schemas.StoreroomOut,
    in_schema=schemas.StoreroomIn,
    patch_schema=schemas.StoreroomPatch,
    filter_schema=schemas.StoreroomFilter,
    create=services.create_storeroom,
    update=services.update_storeroom,
    delete=services.delete_storeroom,
    path="storerooms",
    api_path="storerooms",
    tag="stock",
    select_related=("location",),
    orderings={"name": "name_key", "id": "pk"},
    default_ordering="name",
    search_fields=("name",),
    constraint_fields=("id", "name", "location", "location__path"),
    columns=[
        Column("Storeroom", lambda r: r.name, order="name", link=True),
        Column("Location", lambda r: link(r.location, "ui:org:location_detail")),
        Column("Active", lambda r: "Yes" if r.active else "No"),
    ],
    detail_fields=[
        ("Location", lambda r: link(r.location, "ui:org:location_detail")),
        ("Active", lambda r: "Yes" if r.active else "No"),
        ("Notes", lambda r: r.notes),
    ],
    related_tables=[storeroom_stock_table, storeroom_movements_table],
    cli_name="storerooms",
)
MOVEMENT = Resource(
    model=StockMovement,
    actions=("view", "add", "issue"),
    search_fields=("reference",),
    constraint_fields=("id", "item", "reason"),
    audit_references={"item": "stock.stockitem"},
    pages=frozenset(),
    url_names={"list": "ui:stock:ledger"},
    cli_name="stock-movements",
    export_columns=[
        ("id", lambda m: m.pk),
        ("occurred_at", lambda m: m.occurred_at),
        ("item", lambda m: m.item.name),
        ("quantity", lambda m: m.quantity),
        ("reason", lambda m: m.reason),
        ("from", lambda m: str(m.from_location or m.from_person or m.from_asset or "")),
        ("to", lambda m: str(m.to_location or m.to_person or m.to_asset or "")),
        ("unit_cost", lambda m: m.unit_cost),
        ("currency", lambda m: m.currency),
        ("reference", lambda m: m.reference),
    ],
    select_related=(
        "item",
        "from_location",
        "from_person",
        "from_asset",
        "to_location",
        "to_person",
        "to_asset",
    ),
    importer=OpeningBalanceImporter,
)
CATALOGUE_ENTRY = Resource(
    model=CatalogueEntry,
    out_schema=schemas.CatalogueEntryOut,
    in_schema=schemas.CatalogueEntryIn,
    patch_schema=schemas.CatalogueEntryPatch,
    filter_schema=schemas.CatalogueEntryFilter,
    create=services.create_catalogue_entry,
    update=services.update_catalogue_entry,
    delete=services.delete_catalogue_entry,
    path="catalogue-entries",
    api_path="catalogue",
    tag="requests",
    select_related=("stock_item", "asset_model", "kit"),
    orderings={"title": "title", "id": "pk"},
    default_ordering="title",
    search_fields=("title", "description"),
    constraint_fields=("id", "approval", "active"),
    columns=[
        Column("Entry", lambda e: e.title, order="title", link=True),
        Column("Offers", lambda e: str(e.stock_item or e.asset_model or e.kit)),
        Column("Approval", lambda e: e.get_approval_display()),
        Column("Active", lambda e: "Yes" if e.active else "No"),
    ],
    detail_fields=[
        ("Description", lambda e: e.description),
        ("Offers", lambda e: str(e.stock_item or e.asset_model or e.kit)),
        ("Approval", lambda e: e.get_approval_display()),
        ("At most per request", lambda e: e.max_quantity),
        ("Active", lambda e: "Yes" if e.active else "No"),
    ],
)
REQUEST = Resource(
    model=StockRequest,
    actions=("view", "add", "request", "approve", "fulfil"),
    search_fields=("reason",),
    constraint_fields=("id", "state", "requester", "entry"),
    audit_references={"requester": "org.person", "entry": "stock.catalogueentry"},
    pages=frozenset(),
    url_names={"list": "ui:stock:request_list", "detail": "ui:stock:request_detail"},
)
LOANER = Resource(
    model=Loaner,
    out_schema=schemas.LoanerOut,
    in_schema=schemas.LoanerIn,
    patch_schema=schemas.LoanerPatch,
    filter_schema=schemas.LoanerFilter,
    create=services.create_loaner,
    update=services.update_loaner,
    delete=services.delete_loaner,
    path="loaners",
    api_path="loaners",
    tag="reservations",
    select_related=("asset__model",),
    orderings={"id": "pk"},
    default_ordering="id",
    constraint_fields=("id", "active", "asset"),
    columns=[
        Column("Loaner", lambda r: str(r.asset), link=True),
        Column("Model", lambda r: r.asset.model.name),
        Column("Active", lambda r: "Yes" if r.active else "No"),
    ],
    detail_fields=[
        ("Asset", lambda r: link(r.asset, "ui:assets:asset_detail")),
        ("Active", lambda r: "Yes" if r.active else "No"),
    ],
)
RESERVATION = Resource(
    model=Reservation,
    search_fields=("purpose",),
    constraint_fields=("id", "state", "loaner", "person"),
    audit_references={"person": "org.person", "loaner": "stock.loaner"},
    pages=frozenset(),
    url_names={"list": "ui:stock:calendar"},
)
MAINTENANCE = Resource(
    model=MaintenanceRecord,
    out_schema=schemas.MaintenanceOut,
    in_schema=schemas.MaintenanceIn,
    patch_schema=schemas.MaintenancePatch,
    filter_schema=schemas.MaintenanceFilter,
    create=services.create_maintenance,
    update=services.update_maintenance,
    delete=services.delete_maintenance,
    path="maintenance",
    api_path="maintenance",
    tag="maintenance",
    select_related=("asset__model", "supplier"),
    orderings={"started": "started", "id": "pk"},
    default_ordering="-started",
    search_fields=("title", "notes"),
    constraint_fields=("id", "kind", "asset", "asset__model", "supplier"),
    columns=[
        Column("Work", lambda m: m.title, link=True),
        Column("Asset", lambda m: link(m.asset, "ui:assets:asset_detail")),
        Column("Kind", lambda m: m.get_kind_display()),
        Column("Started", lambda m: m.started, order="started"),
        Column("Completed", lambda m: m.completed or ("at repair" if m.in_repair else "")),
        Column("Cost", lambda m: f"{m.cost} {m.currency}" if m.cost is not None else ""),
        Column("Warranty", lambda m: "covered" if m.warranty_covered else ""),
    ],
    detail_fields=[
        ("Asset", lambda m: link(m.asset, "ui:assets:asset_detail")),
        ("Kind", lambda m: m.get_kind_display()),
        ("Supplier", lambda m: link(m.supplier, "ui:org:company_detail")),
        ("Started", lambda m: m.started),
        ("Completed", lambda m: m.completed),
        ("Cost", lambda m: f"{m.cost} {m.currency}" if m.cost is not None else ""),
        ("Warranty covered", lambda m: "Yes" if m.warranty_covered else "No"),
        ("Notes", lambda m: m.notes),
    ],
    cli_name="maintenance",
)

RESOURCES = [
    STOCK_ITEM,
    STOREROOM,
    MOVEMENT,
    CATALOGUE_ENTRY,
    REQUEST,
    LOANER,
    RESERVATION,
    MAINTENANCE,
]
SECTIONS = [DetailSection("assets.asset", asset_maintenance_section)]
