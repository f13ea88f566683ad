"""Stock and requests of the demo company, written through the services (audited).

* a **storeroom at each office site** (London HQ, Berlin, New York, Austin) holding
  accessories (headsets, mice, docking cables), consumables (toner, batteries) and components
  (RAM), received months ago and issued since, so the 90-day reorder report has consumption;
  some sit **below their minimum** (headsets in Berlin, toner in New York, mice in Austin);
* a **request catalogue** (headset: the manager approves; toner: no approval; a second
  monitor: the helpdesk approves; the starter kit) and **open requests**, among them Minh
  Nguyen's request for a **second monitor**;
* a **loaner pool** of three laptops with **bookings** over the next weeks (none picked up
  yet: the CMDB demo gives every laptop in use a CI, and a pick-up is a check-out);
* two **laptops at repair** (sent to the supplier, open repair records) and a history of
  repairs with costs, so the repairs-per-model report has data;
* every demo login also holds the **Self-service** role (every employee does).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone

from assetgraph.accounts import services as account_services
from assetgraph.accounts.models import Role, User
from assetgraph.assets import services as asset_services
from assetgraph.assets.choices import AssetStateChoices, AssetSubstateChoices
from assetgraph.assets.models import Asset, AssetModel, Kit
from assetgraph.org.models import Company, Location, Person

from . import services
from .models import StockItem, StockMovement

if TYPE_CHECKING:
    from assetgraph.demo.generator import DemoContext

SELF_SERVICE = "Self-service"
# (site path, building) of the storerooms
STOREROOMS = [
    ("EMEA / London", "HQ"),
    ("EMEA / Berlin", "Mitte Office"),
    ("Americas / New York", "Midtown Tower"),
    ("Americas / Austin", "Campus A"),
]
# (name, kind, category, model, manufacturer, minimum, unit cost EUR)
ITEMS = [
    ("Evolve2 65 headset", "accessory", "Accessories", "Evolve2 65", "Logitech", 5, "119.00"),
    ("MX Master 3S mouse", "accessory", "Accessories", "MX Master 3S", "Logitech", 6, "99.00"),
    (
        "USB-C docking cable",
        "accessory",
        "Accessories",
        "USB-C 1m",
        "Dell Technologies",
        4,
        "19.00",
    ),
    ("Toner HP 415A black", "consumable", "Consumables", "W2030A", "HP Inc.", 8, "89.00"),
    ("AA batteries (pack of 4)", "consumable", "Consumables", "AA-4", "HP Inc.", 10, "5.00"),
    (
        "RAM 16 GB DDR5 SODIMM",
        "component",
        "Components",
        "DDR5-16",
        "Dell Technologies",
        2,
        "59.00",
    ),
]
# Received per site (same order as STOREROOMS), then issued over the last 90 days.
RECEIVED = {
    "Evolve2 65 headset": (12, 6, 10, 8),
    "MX Master 3S mouse": (14, 10, 10, 6),
    "USB-C docking cable": (20, 10, 10, 10),
    "Toner HP 415A black": (16, 10, 12, 10),
    "AA batteries (pack of 4)": (40, 20, 20, 20),
    "RAM 16 GB DDR5 SODIMM": (6, 4, 4, 4),
}
ISSUED = {
    "Evolve2 65 headset": (4, 3, 2, 1),
    "MX Master 3S mouse": (3, 2, 2, 3),
    "USB-C docking cable": (2, 1, 1, 1),
    "Toner HP 415A black": (4, 2, 7, 3),
    "AA batteries (pack of 4)": (12, 5, 6, 4),
}


def load_demo(context: DemoContext) -> None:
    """Seed storerooms, stock, catalogue, requests, loaners and repairs (module docstring)."""
    _self_service_for_demo_logins(context)
    rooms = _storerooms(context)
    items = _items(context)
    _stock(context, rooms, items)
    _requests(context, items)
    _loaners(context)
    _repairs(context)


def _self_service_for_demo_logins(context: DemoContext) -> None:
    role = Role.objects.filter(name=SELF_SERVICE).first()
    if role is None:
        return
    for user in User.objects.filter(person__isnull=False).prefetch_related("roles"):
        names = [r.name for r in user.roles.all()]
        if SELF_SERVICE not in names:
            account_services.set_user_roles(context.actor, user, [*names, SELF_SERVICE])


def _storerooms(context: DemoContext) -> list[Location]:
    rooms = []
    for site, building in STOREROOMS:
        location = Location.objects.filter(path=f"{site} / {building}").first()
        if location is None:
            continue
        city = site.split(" / ")[-1]
        services.create_storeroom(
            context.actor, {"name": f"{city} storeroom", "location": location}
        )
        rooms.append(location)
    return rooms


def _items(context: DemoContext) -> dict[str, StockItem]:
    actor = context.actor
    companies = {c.name: c for c in Company.objects.filter(is_manufacturer=True)}
    categories = {}
    for name, kind in (("Accessories", "peripheral"), ("Consumables", "other")):
        categories[name] = asset_services.create_category(actor, {"name": name, "kind": kind})
    categories["Components"] = asset_services.create_category(
        actor, {"name": "Components", "kind": "other"}
    )
    items = {}
    for name, kind, category, model_name, maker, minimum, cost in ITEMS:
        model = asset_services.create_model(
            actor,
            {
                "name": model_name,
                "category": categories[category],
                "manufacturer": companies[maker],
            },
        )
        items[name] = services.create_stock_item(
            actor,
            {
                "name": name,
                "kind": kind,
                "model": model,
                "min_quantity": minimum,
                "unit_cost": Decimal(cost),
                "currency": "EUR",
            },
        )
    return items


def _people_at(site: str, count: int) -> list[Person]:
    return list(
        Person.objects.filter(location__path__startswith=f"{site} /", status="active").order_by(
            "employee_number"
        )[:count]
    )


def _stock(context: DemoContext, rooms: list[Location], items: dict[str, StockItem]) -> None:
    actor = context.actor
    now = timezone.now()
    for index, room in enumerate(rooms):
        site = STOREROOMS[index][0]
        people = _people_at(site, 12) or context.people[:12]
        for name, item in items.items():
            services.receive_stock(
                actor, item, room, RECEIVED[name][index], reference=f"PO-DEMO-{index + 1:03d}"
            )
            for n in range(ISSUED.get(name, (0, 0, 0, 0))[index]):
                services.issue_stock(
                    actor, item, 1, to_person=people[n % len(people)], from_location=room
                )
    # Spread the history over the last 120 days so "as of" and the 90-day window mean
    # something: receipts ~4 months ago, issues over the last 80 days.
    for offset, line in enumerate(StockMovement.objects.order_by("pk")):
        days = 120 if line.reason == "received" else 80 - (offset * 7) % 80
        StockMovement.objects.filter(pk=line.pk).update(
            occurred_at=now - dt.timedelta(days=days, hours=offset % 9)
        )
    laptop = Asset.objects.filter(model__category__kind="laptop", state="in_use").first()
    if laptop is not None and rooms:
        services.issue_stock(
            actor, items["RAM 16 GB DDR5 SODIMM"], 1, to_asset=laptop, from_location=rooms[0]
        )
    if len(rooms) > 1:
        services.transfer_stock(
            actor,
            items["USB-C docking cable"],
            3,
            from_location=rooms[0],
            to_location=rooms[1],
            reference="TR-DEMO-1",
        )
        services.count_stock(actor, items["AA batteries (pack of 4)"], rooms[1], 13, note="demo")


def _requests(context: DemoContext, items: dict[str, StockItem]) -> None:
    actor = context.actor
    headset = services.create_catalogue_entry(
        actor,
        {
            "title": "Headset",
            "description": "A wireless headset for calls (Evolve2 65).",
            "stock_item": items["Evolve2 65 headset"],
            "approval": "manager",
        },
    )
    toner = services.create_catalogue_entry(
        actor,
        {
            "title": "Printer toner",
            "description": "HP 415A black toner for the floor printer.",
            "stock_item": items["Toner HP 415A black"],
            "approval": "none",
            "max_quantity": 2,
        },
    )
    services.create_catalogue_entry(
        actor,
        {
            "title": "Mouse",
            "description": "An ergonomic mouse (MX Master 3S).",
            "stock_item": items["MX Master 3S mouse"],
            "approval": "manager",
        },
    )
    monitor_model = AssetModel.objects.filter(name="U2723QE").first()
    monitor = None
    if monitor_model is not None:
        monitor = services.create_catalogue_entry(
            actor,
            {
                "title": "Second monitor",
                "description": 'A second 27" 4K monitor (Dell U2723QE).',
                "asset_model": monitor_model,
                "approval": "helpdesk",
            },
        )
    kit = Kit.objects.order_by("name").first()
    if kit is not None:
        services.create_catalogue_entry(
            actor,
            {
                "title": f"Kit: {kit.name}",
                "description": kit.description,
                "kit": kit,
                "approval": "helpdesk",
            },
        )
    minh = Person.objects.filter(first_name="Minh", last_name="Nguyen").first()
    staff = [p for p in context.people if p.status == "active" and p.manager_id][:6]
    if minh is not None and monitor is not None:
        services.submit_request(
            actor,
            monitor,
            reason="A second screen for the month-end close spreadsheets.",
            requester=minh,
        )
    for index, person in enumerate(staff):
        entry = headset if index % 2 == 0 else toner
        request = services.submit_request(
            actor, entry, reason="Demo request: needed for daily work.", requester=person
        )
        if index == 0 and request.state == "submitted":
            services.transition_request(actor, request, "approve", note="approved in the demo")


def _loaners(context: DemoContext) -> None:
    actor = context.actor
    pool = list(
        Asset.objects.filter(
            model__category__kind="laptop",
            state=AssetStateChoices.IN_STOCK,
            substate=AssetSubstateChoices.AVAILABLE,
        ).order_by("asset_tag")[:3]
    )
    loaners = [services.create_loaner(actor, {"asset": asset}) for asset in pool]
    people = [p for p in context.people if p.status == "active"][20:26]
    if not loaners or len(people) < 4:
        return
    start = timezone.now().replace(minute=0, second=0, microsecond=0)
    services.book_loaner(
        actor, loaners[0], people[0], start + dt.timedelta(hours=2), start + dt.timedelta(days=3),
        purpose="customer visit",
    )  # fmt: skip
    services.book_loaner(
        actor, loaners[0], people[1], start + dt.timedelta(days=5), start + dt.timedelta(days=9),
        purpose="conference",
    )  # fmt: skip
    if len(loaners) > 1:
        services.book_loaner(
            actor, loaners[1], people[2], start + dt.timedelta(days=1),
            start + dt.timedelta(days=4), purpose="trade fair",
        )  # fmt: skip
        services.book_loaner(
            actor, loaners[1], people[3], start + dt.timedelta(days=8),
            start + dt.timedelta(days=12), purpose="training",
        )  # fmt: skip


def _repairs(context: DemoContext) -> None:
    actor = context.actor
    supplier = Company.objects.filter(name="Dell Technologies").first()
    candidates = list(
        Asset.objects.filter(
            model__category__kind="laptop",
            state=AssetStateChoices.IN_STOCK,
            substate__in=[AssetSubstateChoices.AVAILABLE, AssetSubstateChoices.DEFECTIVE],
            loaner__isnull=True,
        ).order_by("asset_tag")[:6]
    )
    problems = ["keyboard keys failing", "battery swelling", "cracked screen", "fan noise"]
    for index, asset in enumerate(candidates[:4]):
        services.send_for_repair(
            actor, asset, title=problems[index], supplier=supplier,
            kind="warranty_claim" if index == 1 else "repair",
        )  # fmt: skip
        services.return_from_repair(
            actor,
            asset,
            cost=Decimal("0.00") if index == 1 else Decimal(120 + 35 * index),
            currency="EUR",
            warranty_covered=index == 1,
        )
    for asset in candidates[4:6]:  # still away: "laptops at repair"
        services.send_for_repair(actor, asset, title="no power", supplier=supplier)
