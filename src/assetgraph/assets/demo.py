"""Assets of the demo company: catalogue, ~1,500 assets, custody, kits, audit dates and one
physical audit campaign in progress.

The catalogue goes through the services (a handful of rows); the assets, their custody records
and disposals go through the bulk-write engine (``create_objects``: the models' validation,
batched inserts, one audit event per asset), because 1,500 service calls would dominate the
demo's load time. Everything is derived from ``context.rng``, so the same seed gives the same
estate.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from assetgraph.framework.importing import create_objects
from assetgraph.org.choices import PersonStatusChoices
from assetgraph.org.models import Company

from . import services
from .choices import AssetStateChoices as S
from .choices import AssetSubstateChoices as Sub
from .models import Asset, AssetModel, CustodyRecord, Disposal, add_months

if TYPE_CHECKING:
    from assetgraph.demo.generator import DemoContext

EPOCH = dt.date(2026, 1, 1)
# (category, kind, needs acceptance, [(model, manufacturer, number, warranty, eol, price EUR)])
CATALOGUE: list[tuple[str, str, bool, list[tuple[str, str, str, int, int, str]]]] = [
    (
        "Laptops",
        "laptop",
        True,
        [
            ("Latitude 7440", "Dell Technologies", "LAT7440", 36, 48, "1390.00"),
            ("ThinkPad T14 Gen 4", "Lenovo", "21HD", 36, 48, "1290.00"),
            ('MacBook Pro 14" M3', "Apple", "MRX33", 12, 60, "2199.00"),
        ],
    ),
    (
        "Desktops",
        "desktop",
        False,
        [("OptiPlex 7010", "Dell Technologies", "OP7010", 36, 60, "890.00")],
    ),
    (
        "Monitors",
        "monitor",
        False,
        [
            ("U2723QE", "Dell Technologies", "U2723QE", 36, 72, "540.00"),
            ("ViewFinity S8", "Samsung Electronics", "LS27B800", 24, 72, "420.00"),
        ],
    ),
    ("Phones", "phone", True, [("Galaxy S24", "Samsung Electronics", "SM-S921", 24, 36, "799.00")]),
    ("Tablets", "tablet", True, [("iPad Air 11", "Apple", "MUWD3", 12, 48, "699.00")]),
    (
        "Docking stations",
        "dock",
        False,
        [("WD22TB4", "Dell Technologies", "WD22TB4", 36, 60, "289.00")],
    ),
    (
        "Headsets",
        "headset",
        False,
        [("Zone Wireless 2", "Logitech", "981-001311", 24, 36, "249.00")],
    ),
    (
        "Servers",
        "server",
        False,
        [("PowerEdge R760", "Dell Technologies", "R760", 60, 84, "14500.00")],
    ),
    (
        "Network devices",
        "network",
        False,
        [("Catalyst 9300", "Cisco Systems", "C9300-48P", 60, 96, "7800.00")],
    ),
    ("Storage", "storage", False, [("AFF A400", "NetApp", "AFF-A400", 60, 84, "52000.00")]),
]
TERMS = (
    "I will keep this device safe, lock it when unattended, report loss or theft at once, "
    "and return it when I leave or when asked."
)
SUPPLIERS = ("CDW", "Insight Enterprises", "Softcat", "Dell Technologies")
# Per person: (model name, probability)
PER_PERSON = [
    ("laptop", 0.97),
    ("U2723QE", 0.8),
    ("ViewFinity S8", 0.6),
    ("WD22TB4", 0.7),
    ("Zone Wireless 2", 0.6),
    ("Galaxy S24", 0.5),
    ("iPad Air 11", 0.1),
]


def load_demo(context: DemoContext) -> None:
    """Add the catalogue, ~1,500 assets (most in use), custody history and two kits."""
    actor = context.actor
    companies = {c.name: c for c in Company.objects.all()}
    models: dict[str, AssetModel] = {}
    for category_name, kind, acceptance, entries in CATALOGUE:
        category = services.create_category(
            actor,
            {
                "name": category_name,
                "kind": kind,
                "requires_acceptance": acceptance,
                "acceptance_terms": TERMS if acceptance else "",
            },
        )
        for name, maker, number, warranty, eol, price in entries:
            models[name] = services.create_model(
                actor,
                {
                    "name": name,
                    "model_number": number,
                    "category": category,
                    "manufacturer": companies[maker],
                    "default_warranty_months": warranty,
                    "eol_months": eol,
                    "specs": {"list_price_eur": price},
                },
            )
    laptops = models["Latitude 7440"].category
    services.create_custom_field(
        actor, {"key": "ram_gb", "label": "RAM (GB)", "type": "integer", "categories": [laptops]}
    )
    services.create_custom_field(
        actor,
        {
            "key": "os",
            "label": "Operating system",
            "type": "choice",
            "choices": ["Windows 11", "macOS", "Ubuntu"],
            "categories": [laptops],
        },
    )
    services.create_custom_field(
        actor, {"key": "mac_address", "label": "MAC address", "type": "mac"}
    )
    _assets(context, models, companies)
    services.create_kit(
        actor,
        {
            "name": "Engineer starter",
            "description": "Laptop, two monitors, dock and headset.",
            "items": [
                {"model": models["Latitude 7440"], "quantity": 1},
                {"model": models["U2723QE"], "quantity": 2},
                {"model": models["WD22TB4"], "quantity": 1},
                {"model": models["Zone Wireless 2"], "quantity": 1},
            ],
        },
    )
    _audits(context)
    services.create_kit(
        actor,
        {
            "name": "Sales starter",
            "description": "Laptop and phone.",
            "items": [
                {"model": models["ThinkPad T14 Gen 4"], "quantity": 1},
                {"model": models["Galaxy S24"], "quantity": 1},
            ],
        },
    )


def _assets(context: DemoContext, models: dict[str, AssetModel], companies: dict[str, Any]) -> None:
    rng = context.rng
    stock_rooms = [r for r in context.rooms if "Datacenter" not in r.path]
    dc_rooms = [r for r in context.rooms if "Datacenter" in r.path] or stock_rooms
    laptop_models = ["Latitude 7440", "ThinkPad T14 Gen 4", 'MacBook Pro 14" M3']
    plan: list[tuple[AssetModel, Any, Any]] = []  # (model, custodian person or None, location)
    for person in context.people:
        for name, chance in PER_PERSON:
            if person.first_name == "Minh" and name == "laptop":
                plan.append((models["Latitude 7440"], person, person.location))
                continue
            if rng.random() < chance:
                model = models[rng.choice(laptop_models) if name == "laptop" else name]
                plan.append((model, person, person.location))
    for name, count in (
        ("Latitude 7440", 40),
        ("ThinkPad T14 Gen 4", 25),
        ("U2723QE", 60),
        ("WD22TB4", 30),
        ("Zone Wireless 2", 30),
        ("Galaxy S24", 20),
        ("OptiPlex 7010", 40),
        ("PowerEdge R760", 40),
        ("Catalyst 9300", 24),
        ("AFF A400", 6),
    ):
        for _ in range(count):
            room = rng.choice(
                dc_rooms if name in ("PowerEdge R760", "Catalyst 9300", "AFF A400") else stock_rooms
            )
            plan.append((models[name], None, room))
    tags = services.next_asset_tags(len(plan))
    today = timezone.localdate()
    now = timezone.now()
    assets: list[Asset] = []
    for index, ((model, person, room), tag) in enumerate(zip(plan, tags, strict=True)):
        purchased = EPOCH - dt.timedelta(days=rng.randint(10, 5 * 365))
        price = Decimal(model.specs.get("list_price_eur", "100.00"))
        asset = Asset(
            asset_tag=tag,
            model=model,
            manufacturer_id=model.manufacturer_id,
            serial_number=f"{model.model_number[:4].upper()}{rng.randint(10**7, 10**8 - 1)}{index}",
            location=room,
            supplier=companies[rng.choice(SUPPLIERS)],
            order_number=f"PO-{purchased.year}-{rng.randint(1000, 9999)}",
            purchase_date=purchased,
            cost=price,
            currency="EUR",
            warranty_end=add_months(purchased, model.default_warranty_months),
            eol_date=add_months(purchased, model.eol_months),
            received_date=purchased + dt.timedelta(days=7),
            state=S.IN_STOCK,
            substate=Sub.AVAILABLE,
        )
        if model.category.kind == "laptop":
            asset.attributes = {
                "ram_gb": rng.choice([16, 16, 32, 64]),
                "os": "macOS" if "MacBook" in model.name else rng.choice(["Windows 11", "Ubuntu"]),
            }
        left = person is not None and person.status == PersonStatusChoices.LEFT
        if person is not None and (not left or rng.random() < 0.3):
            asset.state, asset.substate = S.IN_USE, ""
            asset.custodian = person
            asset.deployed_date = purchased + dt.timedelta(days=14)
        elif person is not None:
            asset.location = rng.choice(stock_rooms)
        if asset.state == S.IN_STOCK and not person:
            _vary_stock_state(asset, rng, today)
        assets.append(asset)
    create_objects(context.actor, assets)
    records = [
        CustodyRecord(
            asset=a,
            person=a.custodian,
            checked_out_at=timezone.make_aware(
                dt.datetime.combine(a.deployed_date or today, dt.time(9))
            ),
            checked_out_by="demo loader",
            acceptance="accepted" if a.model.category.requires_acceptance else "not_required",
            responded_at=now if a.model.category.requires_acceptance else None,
            acceptance_terms=a.model.category.acceptance_terms,
        )
        for a in assets
        if a.state == S.IN_USE
    ]
    # Custody and disposal rows are described by their asset's events, as in the services.
    create_objects(context.actor, records, audit=False)
    disposals = [
        Disposal(
            asset=a,
            method=a.substate,
            disposed_on=a.retired_date or today,
            recipient="GreenCycle Ltd" if a.substate == Sub.DISPOSED else "Staff sale",
            proceeds=Decimal("50.00") if a.substate == Sub.SOLD else None,
            currency="EUR" if a.substate == Sub.SOLD else "",
        )
        for a in assets
        if a.state == S.RETIRED
    ]
    create_objects(context.actor, disposals, audit=False)


def _vary_stock_state(asset: Asset, rng: Any, today: dt.date) -> None:
    """Some unassigned stock is in repair, retired (and how), defective or missing."""
    roll = rng.random()
    if roll < 0.08:
        asset.state, asset.substate = S.IN_REPAIR, ""
    elif roll < 0.16:
        asset.state, asset.substate = (S.RETIRED, rng.choice([Sub.DISPOSED, Sub.SOLD, Sub.DONATED]))
        asset.retired_date = today - dt.timedelta(days=rng.randint(1, 300))
    elif roll < 0.2:
        asset.substate = Sub.DEFECTIVE
    elif roll < 0.22:
        asset.state, asset.substate = S.MISSING, ""


def _audits(context: DemoContext) -> None:
    """Audit dates on most assets (some overdue), and a campaign half-way through a room."""
    rng = context.rng
    today = timezone.localdate()
    active = list(
        Asset.objects.exclude(state=S.RETIRED).order_by("pk").values_list("pk", flat=True)
    )
    by_date: dict[tuple[dt.date, dt.date], list[int]] = {}
    for pk in active:
        if rng.random() < 0.75:
            last = today - dt.timedelta(days=rng.randint(20, 420))
            by_date.setdefault((last, add_months(last, 12)), []).append(pk)
    for (last, due), pks in by_date.items():
        Asset.objects.filter(pk__in=pks).update(last_audit_date=last, next_audit_due=due)
    rooms = sorted(
        {
            a.location
            for a in Asset.objects.filter(state=S.IN_STOCK).select_related("location")
            if a.location is not None
        },
        key=lambda loc: loc.path,
    )
    if not rooms:
        return
    room = rooms[0]
    campaign = services.start_audit_campaign(
        context.actor, room, name=f"Stock check {room.name}", notes="Quarterly stock check."
    )
    expected = list(campaign.items.order_by("tag").values_list("tag", flat=True))
    for tag in expected[: max(1, len(expected) * 2 // 3)]:
        services.scan_asset_tag(context.actor, campaign, tag)
    stray = (
        Asset.objects.exclude(location=room)
        .filter(state=S.IN_STOCK)
        .order_by("asset_tag")
        .values_list("asset_tag", flat=True)
        .first()
    )
    if stray:
        services.scan_asset_tag(context.actor, campaign, stray)
    services.scan_asset_tag(context.actor, campaign, "OLD-0042")
