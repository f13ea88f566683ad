"""The licences app's section of the navigation."""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from assetgraph.accounts.permissions import has_perm
from assetgraph.ui.context_processors import NavItem
from assetgraph.ui.dashboards import DashboardCard

SECTIONS = [
    (
        "Licences",
        [
            NavItem("Compliance", "ui:licences:dashboard", "licences.entitlement", "speedometer2"),
            NavItem(
                "Services running unlicensed software",
                "ui:licences:unlicensed_services",
                "licences.entitlement",
                "exclamation-diamond",
            ),
            NavItem("Licences", "ui:licences:entitlement_list", "licences.entitlement", "key"),
            NavItem(
                "Allocations", "ui:licences:allocation_list", "licences.allocation", "person-check"
            ),
            NavItem("Products", "ui:licences:product_list", "licences.product", "boxes"),
            NavItem("Suites", "ui:licences:suite_list", "licences.suite", "collection"),
            NavItem("Publishers", "ui:licences:publisher_list", "licences.publisher", "building"),
            NavItem(
                "Normalisation rules",
                "ui:licences:normalisationrule_list",
                "licences.normalisationrule",
                "funnel",
            ),
            NavItem("Core factors", "ui:licences:corefactor_list", "licences.corefactor", "cpu"),
        ],
    ),
]


def unlicensed_services_card(request: HttpRequest) -> dict[str, Any] | None:
    """Dashboard card (Compliance, Finance, Procurement…): business services whose dependency
    path runs unlicensed or under-licensed software."""
    if not (
        has_perm(request.user, "licences.entitlement", "view")
        and has_perm(request.user, "cmdb.ci", "view")
    ):
        return None
    from .crosslayer import unlicensed_services

    count = len(unlicensed_services(request.user)["services"])
    return {
        "count": count,
        "url": reverse("ui:licences:unlicensed_services"),
        "alert": count > 0,
    }


DASHBOARD_CARDS = [
    DashboardCard(
        "unlicensed-services",
        "Services running unlicensed software",
        ("Compliance", "Finance", "Procurement"),
        unlicensed_services_card,
        needs=("licences.entitlement", "cmdb.ci"),
        description="business services whose dependency path runs unlicensed software",
    ),
]
