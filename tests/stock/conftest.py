"""Stock fixtures: the assets catalogue plus two storerooms and three stock items."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from assetgraph.assets import services as asset_services
from assetgraph.core.actor import Actor
from assetgraph.org import services as org
from assetgraph.stock import services
from tests.assets.conftest import catalogue, make_asset

__all__ = ["catalogue", "make_asset"]


@pytest.fixture
def stock(catalogue: dict[str, Any], system: Actor) -> dict[str, Any]:
    """Storerooms in London (HQ building) and Berlin; a headset (accessory, min 5), toner
    (consumable, min 10) and a RAM stick (component), with 6 headsets and 20 toners in
    London and 3 headsets in Berlin."""
    peripherals = asset_services.create_category(
        system, {"name": "Peripherals", "kind": "peripheral"}
    )
    jabra = org.create_company(system, {"name": "Jabra", "is_manufacturer": True})

    def model(name: str) -> Any:
        return asset_services.create_model(
            system, {"name": name, "category": peripherals, "manufacturer": jabra}
        )

    london_room = org.create_location(
        system, {"name": "Store 1", "kind": "floor", "parent": catalogue["room"]}
    )
    london = services.create_storeroom(system, {"name": "London store", "location": london_room})
    berlin = services.create_storeroom(
        system, {"name": "Berlin store", "location": catalogue["berlin"]}
    )
    headset = services.create_stock_item(
        system,
        {
            "name": "Evolve2 headset",
            "kind": "accessory",
            "model": model("Evolve2 65"),
            "min_quantity": 5,
            "unit_cost": Decimal("89.00"),
            "currency": "EUR",
        },
    )
    toner = services.create_stock_item(
        system,
        {"name": "Toner A4", "kind": "consumable", "model": model("TN-243"), "min_quantity": 10},
    )
    ram = services.create_stock_item(
        system, {"name": "RAM 16GB", "kind": "component", "model": model("DDR5 16GB")}
    )
    services.receive_stock(system, headset, london_room, 6, reference="PO-1")
    services.receive_stock(
        system, toner, london_room, 20, unit_cost=Decimal("12.50"), currency="EUR"
    )
    services.receive_stock(system, headset, catalogue["berlin"], 3)
    return {
        **catalogue,
        "london_store": london,
        "berlin_store": berlin,
        "store_loc": london_room,
        "headset": headset,
        "toner": toner,
        "ram": ram,
        "peripherals": peripherals,
    }


@pytest.fixture
def people(stock: dict[str, Any], make_user: Any, system: Actor) -> dict[str, Any]:
    """Accounts: Ana (employee, Self-service) reports to Minh (her manager, Self-service);
    a helpdesk user; a procurement user; a catalogue offering the headset (manager approval),
    toner (no approval) and the U27 monitor model (helpdesk approval)."""
    ana_user = make_user("Self-service")
    minh_user = make_user("Self-service")
    org.update_person(system, stock["ana"], {"user": ana_user})
    org.update_person(system, stock["minh"], {"user": minh_user})
    headset = services.create_catalogue_entry(
        system, {"title": "Headset", "stock_item": stock["headset"], "approval": "manager"}
    )
    toner = services.create_catalogue_entry(
        system,
        {"title": "Toner", "stock_item": stock["toner"], "approval": "none", "max_quantity": 5},
    )
    monitor = services.create_catalogue_entry(
        system, {"title": "Second monitor", "asset_model": stock["u27"], "approval": "helpdesk"}
    )
    return {
        **stock,
        "ana_user": ana_user,
        "minh_user": minh_user,
        "helpdesk": make_user("Helpdesk"),
        "procurement": make_user("Procurement"),
        "headset_entry": headset,
        "toner_entry": toner,
        "monitor_entry": monitor,
    }
