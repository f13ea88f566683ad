"""The generic permission harness on the stock app's plain resources: items, storerooms,
catalogue entries, loaners and maintenance records (API and pages, constraints, 404s)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from assetgraph.assets import services as asset_services
from assetgraph.assets.models import Asset, AssetModel, Category
from assetgraph.core.actor import Actor
from assetgraph.org import services as org
from assetgraph.org.models import Company
from assetgraph.stock import services

from ..harness import PermissionHarness

SYSTEM = Actor.system("harness")


def _model(site: dict[str, Any], name: str = "Harness model") -> Any:
    maker = org.create_company(SYSTEM, {"name": f"{name} maker", "is_manufacturer": True})
    category = asset_services.create_category(SYSTEM, {"name": f"{name} cat", "kind": "other"})
    return asset_services.create_model(
        SYSTEM, {"name": name, "category": category, "manufacturer": maker}
    )


def _asset(site: dict[str, Any], tag: str) -> Any:
    return asset_services.create_asset(
        SYSTEM, {"model": _model(site, f"M {tag}"), "asset_tag": tag}
    )


def _quiet_model(name: str) -> AssetModel:
    """A model written without audit events: ``create_payload`` runs between the harness's
    before/after counts (rows of the type under test and audit events), so it must not
    write anything they count."""
    maker, _ = Company.objects.get_or_create(name=f"{name} maker", is_manufacturer=True)
    category, _ = Category.objects.get_or_create(name=f"{name} cat", kind="other")
    model, _ = AssetModel.objects.get_or_create(name=name, category=category, manufacturer=maker)
    return model


def _quiet_asset(tag: str) -> Asset:
    model = _quiet_model(f"M {tag}")
    asset, _ = Asset.objects.get_or_create(
        asset_tag=tag, defaults={"model": model, "manufacturer": model.manufacturer}
    )
    return asset


class TestStockItemPermissions(PermissionHarness):
    object_type = "stock.stockitem"
    path = "/api/stock/items/"
    update_payload = {"notes": "patched by the harness"}

    def make_object(self, site: dict[str, Any]) -> Any:
        return services.create_stock_item(
            SYSTEM, {"name": "Harness cable", "kind": "accessory", "model": _model(site)}
        )

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {"name": "New toner", "kind": "consumable", "model_id": _quiet_model("Toner").pk}


class TestStoreroomPermissions(PermissionHarness):
    object_type = "stock.storeroom"
    path = "/api/stock/storerooms/"
    update_payload = {"notes": "patched by the harness"}

    def make_object(self, site: dict[str, Any]) -> Any:
        return services.create_storeroom(
            SYSTEM, {"name": "Harness store", "location": site["room"]}
        )

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {"name": "Berlin store", "location_id": site["berlin"].pk}


class TestCatalogueEntryPermissions(PermissionHarness):
    object_type = "stock.catalogueentry"
    path = "/api/stock/catalogue/"
    update_payload = {"description": "patched by the harness"}

    def make_object(self, site: dict[str, Any]) -> Any:
        return services.create_catalogue_entry(
            SYSTEM, {"title": "Harness monitor", "asset_model": _model(site)}
        )

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {"title": "New entry", "asset_model_id": _quiet_model("Other").pk}


class TestLoanerPermissions(PermissionHarness):
    object_type = "stock.loaner"
    path = "/api/stock/loaners/"
    update_payload = {"active": False}

    def make_object(self, site: dict[str, Any]) -> Any:
        return services.create_loaner(SYSTEM, {"asset": _asset(site, "LOAN-H1")})

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {"asset_id": _quiet_asset("LOAN-H2").pk}


class TestMaintenanceRecordPermissions(PermissionHarness):
    object_type = "stock.maintenancerecord"
    path = "/api/stock/maintenance/"
    update_payload = {"notes": "patched by the harness"}

    def make_object(self, site: dict[str, Any]) -> Any:
        return services.create_maintenance(
            SYSTEM,
            {
                "asset": _asset(site, "MNT-H1"),
                "kind": "inspection",
                "title": "Harness inspection",
                "started": dt.date(2026, 1, 5),
            },
        )

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {
            "asset_id": _quiet_asset("MNT-H2").pk,
            "kind": "upgrade",
            "title": "RAM upgrade",
            "started": "2026-02-01",
        }
