"""The finance app's section of the navigation."""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from assetgraph.accounts.permissions import has_perm
from assetgraph.ui.context_processors import NavItem
from assetgraph.ui.dashboards import DashboardCard

SECTIONS = [
    (
        "Finance",
        [
            NavItem(
                "Fixed-asset register",
                "ui:finance:register",
                "finance.depreciationprofile",
                "cash-stack",
            ),
            NavItem("Period close", "ui:finance:periods", "finance.closedperiod", "lock"),
            NavItem(
                "Purchase orders", "ui:finance:purchaseorder_list", "finance.purchaseorder", "cart"
            ),
            NavItem("Budgets", "ui:finance:budget_list", "finance.budget", "piggy-bank"),
            NavItem(
                "Contracts", "ui:finance:contract_list", "finance.contract", "file-earmark-text"
            ),
            NavItem(
                "Services on at-risk hardware",
                "ui:finance:hardware_risk",
                "cmdb.ci",
                "exclamation-octagon",
            ),
            NavItem(
                "Service costs",
                "ui:finance:service_costs",
                "finance.depreciationprofile",
                "diagram-2",
            ),
            NavItem(
                "Finance reports",
                "ui:finance:reports",
                "finance.depreciationprofile",
                "bar-chart-line",
            ),
            NavItem(
                "Replacement forecast",
                "ui:finance:replacement_forecast",
                "finance.replacementpolicy",
                "arrow-repeat",
            ),
            NavItem(
                "Replacement policies",
                "ui:finance:replacementpolicy_list",
                "finance.replacementpolicy",
                "calendar-check",
            ),
            NavItem(
                "Depreciation profiles",
                "ui:finance:depreciationprofile_list",
                "finance.depreciationprofile",
                "graph-down",
            ),
            NavItem(
                "Asset finance settings",
                "ui:finance:assetfinance_list",
                "finance.assetfinance",
                "sliders",
            ),
            NavItem(
                "Exchange rates",
                "ui:finance:exchangerate_list",
                "finance.exchangerate",
                "currency-exchange",
            ),
        ],
    ),
]


def hardware_risk_card(request: HttpRequest) -> dict[str, Any] | None:
    """Dashboard card (NOC, Finance, Compliance…): tier-1 services running on hardware out of
    support, past end of life or due for replacement within 12 months."""
    user = request.user
    if not (has_perm(user, "cmdb.ci", "view") and has_perm(user, "assets.asset", "view")):
        return None
    from .crosslayer import hardware_risk

    count = len(hardware_risk(request.user, months=12, max_tier=1)["services"])
    return {
        "count": count,
        "url": reverse("ui:finance:hardware_risk"),
        "alert": count > 0,
    }


def contracts_expiring_card(request: HttpRequest) -> dict[str, Any] | None:
    """Dashboard card (Procurement): contracts ending within 90 days (renew or let go)."""
    import datetime as dt

    from django.utils import timezone

    from assetgraph.accounts.permissions import restrict

    from .models import Contract

    today = timezone.localdate()
    count = (
        restrict(Contract.objects.all(), request.user)
        .filter(end_date__gte=today, end_date__lte=today + dt.timedelta(days=90))
        .count()
    )
    return {
        "count": count,
        "note": "within 90 days",
        "url": reverse("ui:finance:contract_list"),
        "alert": False,
    }


def spend_and_book_value_card(request: HttpRequest) -> dict[str, Any] | None:
    """Dashboard card (Finance): purchase cost and net book value today by cost centre.

    The numbers are the fixed-asset register's (``build_register``: the same assets, the same
    depreciation, the same base-currency conversion), so the card's total equals the
    register's total for the viewer. Only for those who may read costs (``view_cost``); the
    dashboard caches it per audit revision like every card.
    """
    from django.utils import timezone

    from .access import may_view_costs, visible_assets
    from .choices import BookChoices
    from .register import build_register, register_assets

    if not may_view_costs(request.user):
        return None
    today = timezone.localdate()
    register = build_register(
        register_assets(visible_assets(request.user), today), today, BookChoices.BOOK
    )
    url = reverse("ui:finance:register")
    base = register.base_currency
    centres = sorted(register.totals["cost_centre"].items(), key=lambda item: -item[1].cost)
    rows = [
        {
            "label": centre,
            "count": int(total.cost),
            "cells": [f"{total.cost:,.0f}", f"{total.net_book_value:,.0f}"],
            "url": url + "#by-cost-centre",
        }
        for centre, total in centres[:8]
    ]
    shown = f"top 8 of {len(centres)} cost centres; " if len(centres) > 8 else ""
    return {
        "count": f"{register.grand_total.net_book_value:,.0f} {base}",
        "note": (
            f"book value of {register.grand_total.assets} assets; spend "
            f"{register.grand_total.cost:,.0f} {base}; {shown}as of today, book depreciation"
        ),
        "url": url,
        "rows": rows,
        "columns": ["Spend", "Book value"],
        "chart": False,
    }


DASHBOARD_CARDS = [
    DashboardCard(
        "value-by-cost-centre",
        "Spend and book value by cost centre",
        ("Finance",),
        spend_and_book_value_card,
        needs=("assets.asset",),
        description="purchase cost and net book value of the assets on the books",
    ),
    DashboardCard(
        "hardware-risk",
        "Tier-1 services on at-risk hardware",
        ("IT Operations (NOC)", "Finance", "Compliance", "Security"),
        hardware_risk_card,
        needs=("cmdb.ci", "assets.asset"),
        description="out of support, past end of life or due within 12 months",
    ),
    DashboardCard(
        "contracts-expiring",
        "Contracts expiring",
        ("Procurement", "Finance"),
        contracts_expiring_card,
        needs=("finance.contract",),
        description="within 90 days",
    ),
]
