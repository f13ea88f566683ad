"""The licences demo: the compliance stories, on the demo company's people and estate.

Runs after the CMDB demo (``DEMO_APPS``) and writes through the services, so every record has
its audit trail. Deterministic (``context.rng``):

* **Microsoft 365 E3** — a subscription of 60 seats; the admin console lists 75 users: a
  shortfall of 15 with its true-up cost (15 x 432 EUR = 6,480 EUR);
* **Adobe Creative Cloud** — 25 seats, 20 allocated and in the console, 8 of them idle for
  more than 90 days: reclaim candidates (and money on unused rights);
* **Oracle Database Enterprise Edition** — 16 per-core licences with farm exposure, installed
  on ``ERP Oracle DB`` that runs on the VM ``erp-ora-01`` hosted on **Farm A**: every core of
  the farm's 8 hosts is in scope (512 cores x 0.5 Xeon core factor = 256 licences); the
  tier-2 ``ERP`` service depends on it through the ``ERP application``;
* a **site licence** (Contoso CAD Viewer) for the London site: laptops there are covered, the
  ones elsewhere are unlicensed;
* an **expired subscription still installed** (Visio Plan 2, ended 45 days ago);
* an **unlicensed product found on laptops** (WinRAR);
* **Minh's seats** — Microsoft 365 E3, Adobe Creative Cloud and Visio on his laptop.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from assetgraph.cmdb import services as cmdb
from assetgraph.cmdb.models import CI, CIClass, ClassAttribute, RelationshipType
from assetgraph.core.actor import Actor
from assetgraph.org.models import Company, Location, Person

from . import services, usage
from .models import Product

if TYPE_CHECKING:
    from assetgraph.demo.generator import DemoContext

FARM = "Farm A"
ORACLE_DB = "ERP Oracle DB"
ORACLE_VM = "erp-ora-01"
ERP_APPLICATION = "ERP application"
ERP_SERVICE = "ERP"
M365_USERS = 75
PROCESSOR_ATTRIBUTES = [
    ("cpu_sockets", "Processors (sockets)", "integer", {"minimum": 1, "weight": 32}),
    ("cpu_model", "Processor model", "text", {"weight": 33}),
]


def _catalogue(actor: Actor) -> dict[str, Product]:
    """Publishers, products, rules (raw discovery names → products) and the core factors."""
    publishers = {
        name: services.create_publisher(actor, {"name": name})
        for name in ("Microsoft", "Adobe", "Oracle", "Contoso", "RARLAB")
    }
    office = services.create_family(actor, {"name": "Visio", "publisher": publishers["Microsoft"]})
    spec: list[tuple[str, str, dict[str, Any], str, str]] = [
        ("m365", "Microsoft", {"name": "Microsoft 365", "edition": "E3"}, "microsoft", "*365*"),
        ("cc", "Adobe", {"name": "Creative Cloud", "edition": "All Apps"}, "adobe", "*creative*"),
        (
            "oracle",
            "Oracle",
            {"name": "Oracle Database", "edition": "Enterprise Edition"},
            "oracle",
            "*database*",
        ),
        ("viewer", "Contoso", {"name": "CAD Viewer"}, "contoso", "*cad viewer*"),
        (
            "visio",
            "Microsoft",
            {"name": "Visio", "edition": "Plan 2", "family": office, "version_rank": 2},
            "microsoft",
            "*visio*",
        ),
        ("winrar", "RARLAB", {"name": "WinRAR"}, "*rar*", "*winrar*"),
    ]
    products: dict[str, Product] = {}
    for key, publisher, values, publisher_pattern, name_pattern in spec:
        product = services.create_product(actor, {"publisher": publishers[publisher], **values})
        services.create_rule(
            actor,
            {
                "publisher_pattern": publisher_pattern,
                "name_pattern": name_pattern,
                "product": product,
                "priority": 50,
            },
        )
        products[key] = product
    services.create_suite(
        actor,
        {
            "name": "Contoso Design Bundle",
            "publisher": publishers["Contoso"],
            "products": [products["viewer"].pk],
        },
    )
    services.load_oracle_core_factors(actor)
    return products


def _laptops() -> list[CI]:
    return list(
        CI.objects.current()
        .filter(ci_class__name="Laptop", asset__custodian__isnull=False)
        .select_related("asset__custodian", "asset__location")
        .order_by("name")
    )


def ensure_processor_attributes(actor: Actor) -> None:
    """The ``cpu_sockets``/``cpu_model`` class attributes the per-core metric reads (added by
    this app's data migration; re-added through the CMDB service where a database was emptied
    since, as the browser tests' flush does)."""
    host = CIClass.objects.filter(name="Computer System").first()
    if host is None:
        return
    known = set(ClassAttribute.objects.values_list("key", flat=True))
    for key, label, kind, extra in PROCESSOR_ATTRIBUTES:
        if key not in known:
            cmdb.create_class_attribute(
                actor, {"ci_class": host, "key": key, "label": label, "type": kind, **extra}
            )


def _oracle_on_farm(actor: Actor) -> CI:
    """The Oracle database on a VM of Farm A, whose hypervisors get their processor model."""
    farm = CI.objects.current().get(name=FARM)
    hosts = CI.objects.current().filter(outgoing__target=farm, outgoing__valid_to__isnull=True)
    for host in hosts:
        cmdb.update_ci(
            actor,
            host,
            {"attributes": {"cpu_sockets": 2, "cpu_model": "Intel Xeon Platinum 8480+"}},
        )
    vm = cmdb.create_ci(
        actor,
        {
            "name": ORACLE_VM,
            "ci_class": CIClass.objects.get(name="Virtual Machine"),
            "attributes": {"hostname": ORACLE_VM, "cpu_count": 8, "ram_gb": 64},
        },
    )
    database = cmdb.create_ci(
        actor,
        {
            "name": ORACLE_DB,
            "ci_class": CIClass.objects.get(name="Database"),
            "attributes": {"engine": "Oracle Database", "version": "19.21"},
        },
    )
    # The ERP that Finance's people use: a tier-2 service on an application on this database,
    # so the under-licensed Oracle shows in the unlicensed-services report and on every impact
    # through Farm A (docs/both-layers.md).
    application = cmdb.create_ci(
        actor,
        {
            "name": ERP_APPLICATION,
            "ci_class": CIClass.objects.get(name="Application"),
            "criticality": 2,
            "attributes": {"version": "12.2"},
        },
    )
    service = cmdb.create_ci(
        actor,
        {
            "name": ERP_SERVICE,
            "ci_class": CIClass.objects.get(name="Business Service"),
            "criticality": 2,
            "description": "Purchasing, inventory and general ledger.",
        },
    )
    for source, kind, target in (
        (vm, "hosted on", farm),
        (database, "runs on", vm),
        (application, "depends on", database),
        (service, "depends on", application),
    ):
        cmdb.add_relationship(
            actor,
            {"source": source, "target": target, "type": RelationshipType.objects.get(name=kind)},
        )
    cmdb.record_software_install(
        actor,
        database,
        {
            "publisher": "Oracle Corporation",
            "product": "Oracle Database 19c Enterprise Edition",
            "version": "19.21",
        },
    )
    return database


def _installs(actor: Actor, laptops: list[CI], minh: CI | None, rng: Any) -> None:
    """Office suites everywhere; Visio, the CAD viewer and WinRAR on some laptops."""
    for index, laptop in enumerate(laptops):
        raw = [("Microsoft Corporation", "Microsoft 365 Apps for enterprise", "16.0")]
        if laptop == minh or index % 9 == 0:
            raw.append(("Microsoft Corporation", "Microsoft Visio Plan 2", "16.0"))
        if index % 7 == 0 or laptop == minh:
            raw.append(("Contoso Ltd.", "Contoso CAD Viewer", "3.2"))
        if index % 11 == 3:
            raw.append(("win.rar GmbH", "WinRAR 6.24 (64-bit)", "6.24"))
        if laptop == minh or rng.random() < 0.08:
            raw.append(("Adobe Systems Incorporated", "Adobe Creative Cloud", "6.1"))
        for publisher, name, version in raw:
            cmdb.record_software_install(
                actor, laptop, {"publisher": publisher, "product": name, "version": version}
            )


def _london() -> Location | None:
    return Location.objects.filter(kind="site", name="London").first()


def _entitlements(actor: Actor, products: dict[str, Product]) -> dict[str, Any]:
    today = timezone.localdate()
    microsoft = Company.objects.filter(is_supplier=True).order_by("name").first()
    year_start = today - dt.timedelta(days=120)
    made = {
        "m365": services.create_entitlement(
            actor,
            {
                "name": "Microsoft 365 E3 (EA 2026)",
                "product": products["m365"],
                "metric": "subscription",
                "quantity": 60,
                "term": "subscription",
                "start_date": year_start,
                "end_date": year_start + dt.timedelta(days=364),
                "unit_cost": Decimal("432.00"),
                "currency": "EUR",
                "supplier": microsoft,
                "purchase_reference": "EA-7781-2026",
                "licence_key": "M365-TENANT-7781-DEMO",
                "idle_days": 90,
            },
        ),
        "cc": services.create_entitlement(
            actor,
            {
                "name": "Adobe Creative Cloud All Apps (VIP)",
                "product": products["cc"],
                "metric": "subscription",
                "quantity": 25,
                "term": "subscription",
                "start_date": today - dt.timedelta(days=200),
                "end_date": today + dt.timedelta(days=40),  # renewal alert
                "unit_cost": Decimal("780.00"),
                "currency": "EUR",
                "purchase_reference": "VIP-4410",
                "idle_days": 90,
            },
        ),
        "oracle": services.create_entitlement(
            actor,
            {
                "name": "Oracle Database EE, 16 cores",
                "product": products["oracle"],
                "metric": "core",
                "quantity": 16,
                "term": "perpetual",
                "start_date": today - dt.timedelta(days=700),
                "maintenance_end": today + dt.timedelta(days=300),
                "unit_cost": Decimal("23750.00"),
                "currency": "USD",
                "purchase_reference": "ORA-CSI-20231",
                "core_factor_table": True,
                "farm_exposure": True,
                "licence_key": "ORA-CSI-20231-KEY",
                "notes": "Oracle's partitioning policy: VMware is soft partitioning, so every "
                "host the VM can run on needs licences.",
            },
        ),
        "visio": services.create_entitlement(
            actor,
            {
                "name": "Visio Plan 2 (expired)",
                "product": products["visio"],
                "metric": "user",
                "quantity": 30,
                "term": "subscription",
                "start_date": today - dt.timedelta(days=410),
                "end_date": today - dt.timedelta(days=45),
                "unit_cost": Decimal("180.00"),
                "currency": "EUR",
            },
        ),
    }
    london = _london()
    if london is not None:
        made["viewer"] = services.create_entitlement(
            actor,
            {
                "name": "Contoso CAD Viewer, London site",
                "product": products["viewer"],
                "metric": "site",
                "scope": "location",
                "scope_location": london,
                "total_cost": Decimal("5000.00"),
                "currency": "GBP",
            },
        )
    return made


def _seats(
    actor: Actor, ents: dict[str, Any], products: dict[str, Product], people: list[Person]
) -> None:
    """Allocations and the consoles' seat lists (Minh first in each)."""
    today = timezone.localdate()
    with_email = [p for p in people if p.email and p.status == "active"]
    adobe = with_email[:20]
    for person in adobe:
        services.allocate_seats(actor, ents["cc"], {"person": person})
    rows = [
        usage.UsageRow(p.email, today - dt.timedelta(days=120 + i if i >= 12 else i))
        for i, p in enumerate(adobe)
    ]
    usage.import_usage(actor, products["cc"], rows)
    # The console lists 75 users: the staff first, then contractors (whatever the demo's size).
    names = [p.email for p in with_email[:M365_USERS]]
    names += [f"contractor{n:02d}@contractors.example" for n in range(M365_USERS - len(names))]
    usage.import_usage(
        actor,
        products["m365"],
        [usage.UsageRow(name, today - dt.timedelta(days=i % 20)) for i, name in enumerate(names)],
    )
    services.allocate_seats(actor, ents["m365"], {"person": with_email[0]})


def load_demo(context: DemoContext) -> None:
    """Seed the licences stories (see the module docstring)."""
    actor = context.actor
    ensure_processor_attributes(actor)
    products = _catalogue(actor)
    laptops = _laptops()
    minh_person = Person.objects.filter(employee_number="E0001").first()
    minh = next((ci for ci in laptops if ci.asset and ci.asset.custodian == minh_person), None)
    _installs(actor, laptops, minh, context.rng)
    _oracle_on_farm(actor)
    services.apply_normalisation_rules(actor)
    ents = _entitlements(actor, products)
    people = sorted(context.people, key=lambda p: p.employee_number)
    _seats(actor, ents, products, people)


__all__ = ["FARM", "ORACLE_DB", "ORACLE_VM", "load_demo"]
