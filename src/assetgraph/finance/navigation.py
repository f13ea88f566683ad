"""The finance app's section of the navigation."""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from assetgraph.accounts.permissions import has_perm
from assetgraph.ui.context_processors import NavItem

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
        "id": "hardware-risk",
        "label": "Tier-1 services on at-risk hardware",
        "count": count,
        "url": reverse("ui:finance:hardware_risk"),
        "alert": count > 0,
    }


DASHBOARD_CARDS = [hardware_risk_card]
