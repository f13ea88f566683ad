"""The finance demo: the books of depreciation for the demo company's hardware.

Runs after the assets demo (``DEMO_APPS``) and writes through the services, so every record
has its audit trail:

* a **book** profile per category (straight line from the purchase date: laptops, phones,
  tablets 3 years; desktops, monitors, docks, headsets 4 years; servers, network and storage
  5 years with 5 % salvage; servers on 200 % declining balance), each with its GL accounts;
* a **tax** profile per category: MACRS GDS 5-year property, half-year convention
  (computers and peripheral equipment are 5-year property in IRS Publication 946);
* exchange rates USD→EUR and GBP→EUR, so reports in EUR convert any non-EUR cost;
* the storage array's own finance settings (booked to a cost centre, not its holder's);
* the **last month closed** in the book, so the period-close page has a journal to export;
* contracts: auto-renewing support for the hypervisors, a support contract on the
  out-of-warranty storage array that lapses in 30 days (its notice date has passed: a renewal
  alert, and the array will show as a coverage gap once it lapses), a SaaS subscription for
  the e-mail service — so the service-cost page shows Finance, HR and e-mail with
  depreciation and contract costs;
* a budget per active cost centre for this fiscal year, an **ordered PO for 50 laptops**
  (ready to receive: "receive 50 laptops" is one action) and a draft PO for four servers;
* replacement policies for laptops, desktops, servers, storage and network devices, with a
  replacement price per model, so the replacement forecast has counts and a budget.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from assetgraph.assets.models import Asset, AssetModel, Category
from assetgraph.org.models import Company, CostCentre

from . import conf, procurement, services
from .closing import close_period
from .depreciation.calendar import fiscal_year_label, month_ordinal

if TYPE_CHECKING:
    from assetgraph.demo.generator import DemoContext

# category → (book method, life years, salvage %, GL expense account, GL accumulated account)
BOOK_PROFILES: dict[str, tuple[str, int, str, str, str]] = {
    "Laptops": ("straight_line", 3, "0", "6810", "1591"),
    "Phones": ("straight_line", 3, "0", "6810", "1591"),
    "Tablets": ("straight_line", 3, "0", "6810", "1591"),
    "Desktops": ("straight_line", 4, "0", "6810", "1591"),
    "Monitors": ("straight_line", 4, "0", "6811", "1592"),
    "Docking stations": ("straight_line", 4, "0", "6811", "1592"),
    "Headsets": ("straight_line", 4, "0", "6811", "1592"),
    "Servers": ("declining_balance", 5, "5", "6820", "1595"),
    "Network devices": ("straight_line", 5, "5", "6820", "1595"),
    "Storage": ("straight_line", 5, "5", "6820", "1595"),
}
RATES = [("USD", "1.00", "0.9210"), ("GBP", "1.00", "1.1630")]


def last_closed_month(today: dt.date) -> dt.date:
    """The month before ``today``'s, as its first day."""
    return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def load_demo(context: DemoContext) -> None:
    """Seed the profiles, rates and one closed period (see the module docstring)."""
    actor = context.actor
    categories = {c.name: c for c in Category.objects.all()}
    for name, (method, life, salvage, expense, accumulated) in BOOK_PROFILES.items():
        category = categories.get(name)
        if category is None:
            continue
        values: dict[str, Any] = {
            "name": f"{name} ({life}y {'DDB' if method == 'declining_balance' else 'SL'})",
            "book": "book",
            "category": category,
            "method": method,
            "life_years": life,
            "salvage_percent": Decimal(salvage),
            "convention": "full_month",
            "start_basis": "purchase",
            "expense_account": expense,
            "accumulated_account": accumulated,
        }
        services.create_profile(actor, values)
        services.create_profile(
            actor,
            {
                "name": f"{name} (MACRS 5-year)",
                "book": "tax",
                "category": category,
                "method": "macrs_gds",
                "life_years": 5,
                "convention": "half_year",
                "start_basis": "purchase",
                "expense_account": expense,
                "accumulated_account": accumulated,
            },
        )
    for currency, _, rate in RATES:
        services.create_rate(
            actor,
            {
                "currency": currency,
                "base": "EUR",
                "valid_from": dt.date(2024, 1, 1),
                "rate": Decimal(rate),
            },
        )
    # The storage array is booked to the infrastructure cost centre, whoever holds it.
    storage = Asset.objects.filter(model__category__name="Storage").order_by("pk").first()
    centre = CostCentre.objects.order_by("code").first()
    if storage is not None:
        services.create_asset_finance(actor, {"asset": storage, "cost_centre": centre})
    close_period(actor, last_closed_month(timezone.localdate()), "book")
    _orders(actor)
    _contracts(actor)
    _replacement_policies(actor, categories)


# Replacement triggers per category: (after N years, at warranty end, at end of life).
REPLACEMENT_POLICIES: dict[str, tuple[int | None, bool, bool]] = {
    "Laptops": (4, True, False),
    "Desktops": (5, False, True),
    "Servers": (5, False, True),
    "Storage": (6, False, True),
    "Network devices": (7, False, True),
}


def _replacement_policies(actor: Any, categories: dict[str, Category]) -> None:
    """Replacement triggers for the main categories and a replacement price for each of
    their models (10 % above the average cost paid for it), so the forecast has a budget."""
    from django.db.models import Avg

    for name, (years, warranty, eol) in REPLACEMENT_POLICIES.items():
        category = categories.get(name)
        if category is None:
            continue
        services.create_replacement_policy(
            actor,
            {
                "category": category,
                "replace_after_years": years,
                "at_warranty_end": warranty,
                "at_end_of_life": eol,
            },
        )
        models = (
            AssetModel.objects.filter(category=category, assets__cost__isnull=False)
            .annotate(paid=Avg("assets__cost"))
            .order_by("name")
        )
        for model in models:
            services.create_replacement_policy(
                actor,
                {
                    "asset_model": model,
                    "replacement_price": (Decimal(model.paid) * Decimal("1.1")).quantize(
                        Decimal("0.01")
                    ),
                    "currency": "EUR",
                },
            )


def _contracts(actor: Any) -> None:
    """Support for the hypervisors (auto-renewing), the support contract of the
    out-of-warranty storage array that lapsed two weeks ago (the array now runs without
    support: a coverage gap and a business flag on every impact through it), and the e-mail
    SaaS."""
    from assetgraph.cmdb.models import CI

    today = timezone.localdate()
    cis = {ci.name: ci for ci in CI.objects.current().filter(name__in=["stor-aus1-01", "E-mail"])}
    hypervisors = list(
        CI.objects.current().filter(name__startswith="hv-", asset__isnull=False).order_by("name")
    )
    dell = Company.objects.filter(name="Dell Technologies").first()
    netapp = Company.objects.filter(name="NetApp").first()
    supplier = Company.objects.filter(is_supplier=True).order_by("name").first()
    if dell and hypervisors:
        services.create_contract(
            actor,
            {
                "name": "Dell ProSupport: hypervisors",
                "kind": "maintenance",
                "supplier": dell,
                "start_date": dt.date(today.year - 1, 1, 1),
                "end_date": dt.date(today.year, 12, 31),
                "notice_days": 60,
                "auto_renew": True,
                "renewal_months": 12,
                "billing_period": "annual",
                "cost_per_period": Decimal("24000.00"),
                "currency": "EUR",
                "assets": [ci.asset_id for ci in hypervisors],
            },
        )
    storage = cis.get("stor-aus1-01")
    if netapp and storage is not None:
        services.create_contract(
            actor,
            {
                "name": "NetApp SupportEdge: stor-aus1-01",
                "kind": "maintenance",
                "supplier": netapp,
                "reference": "SE-77120",
                "start_date": today - dt.timedelta(days=379),
                "end_date": today - dt.timedelta(days=14),
                "notice_days": 45,
                "auto_renew": False,
                "billing_period": "quarterly",
                "cost_per_period": Decimal("3900.00"),
                "currency": "EUR",
                "assets": [storage.asset_id] if storage.asset_id else [],
                "cis": [storage.pk],
            },
        )
    mail = cis.get("E-mail")
    if supplier and mail is not None:
        services.create_contract(
            actor,
            {
                "name": "Mail platform subscription",
                "kind": "saas",
                "supplier": supplier,
                "start_date": dt.date(today.year - 1, 1, 1),
                "end_date": dt.date(today.year + 1, 12, 31),
                "notice_days": 90,
                "billing_period": "monthly",
                "cost_per_period": Decimal("6200.00"),
                "currency": "EUR",
                "cis": [mail.pk],
            },
        )


def _orders(actor: Any) -> None:
    """Budgets for this fiscal year and two orders: 50 laptops placed (committed against
    IT Operations' budget, ready to receive) and a draft for four servers."""
    today = timezone.localdate()
    year = fiscal_year_label(month_ordinal(today), conf.fiscal_year_start_month())
    centres = list(CostCentre.objects.filter(active=True).order_by("code"))
    for centre in centres:
        services.create_budget(
            actor,
            {
                "cost_centre": centre,
                "fiscal_year": year,
                "amount": Decimal("250000"),
                "currency": "EUR",
            },
        )
    supplier = Company.objects.filter(is_supplier=True).order_by("name").first()
    laptop = AssetModel.objects.filter(name="Latitude 7440").first()
    server = AssetModel.objects.filter(name="PowerEdge R760").first()
    if supplier is None or laptop is None or server is None:
        return
    it_ops = next((c for c in centres if "IT" in c.name), centres[0] if centres else None)
    laptops = services.create_order(
        actor,
        {
            "number": "PO-FIN-0001",
            "supplier": supplier,
            "order_date": today,
            "currency": "EUR",
            "cost_centre": it_ops,
            "notes": "Laptop refresh, wave 1",
        },
    )
    services.create_line(
        actor,
        {
            "order": laptops,
            "kind": "hardware",
            "asset_model": laptop,
            "quantity": 50,
            "unit_price": Decimal("1390.00"),
        },
    )
    procurement.place_order(actor, laptops)
    servers = services.create_order(
        actor,
        {
            "number": "PO-FIN-0002",
            "supplier": supplier,
            "order_date": today,
            "currency": "EUR",
            "cost_centre": it_ops,
            "notes": "Farm B expansion",
        },
    )
    services.create_line(
        actor,
        {
            "order": servers,
            "kind": "hardware",
            "asset_model": server,
            "quantity": 4,
            "unit_price": Decimal("14500.00"),
        },
    )
