"""The stock app's sections of the navigation: self-service for every employee, then stock."""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from assetgraph.accounts.permissions import has_perm
from assetgraph.ui.context_processors import NavItem
from assetgraph.ui.dashboards import DashboardCard

SECTIONS = [
    (
        "Self-service",
        [
            NavItem("What I hold", "ui:stock:my", "stock.catalogueentry", "person-check"),
            NavItem("Request catalogue", "ui:stock:catalogue", "stock.catalogueentry", "cart"),
            NavItem("Requests", "ui:stock:request_list", "stock.stockrequest", "inbox"),
            NavItem("Approval queue", "ui:stock:queue", "stock.catalogueentry", "check2-square"),
        ],
    ),
    (
        "Stock",
        [
            NavItem("Stock items", "ui:stock:stockitem_list", "stock.stockitem", "boxes"),
            NavItem("Storerooms", "ui:stock:storeroom_list", "stock.storeroom", "shop"),
            NavItem("Ledger", "ui:stock:ledger", "stock.stockmovement", "journal-arrow-down"),
            NavItem("Reorder alerts", "ui:stock:alerts", "stock.stockitem", "bell"),
            NavItem(
                "Catalogue entries",
                "ui:stock:catalogueentry_list",
                "stock.stockrequest",
                "list-check",
            ),
            NavItem("Loaners", "ui:stock:loaner_list", "stock.loaner", "laptop"),
            NavItem("Reservations", "ui:stock:calendar", "stock.reservation", "calendar-week"),
            NavItem(
                "Maintenance", "ui:stock:maintenancerecord_list", "stock.maintenancerecord", "tools"
            ),
            NavItem(
                "Repairs per model", "ui:stock:repairs", "stock.maintenancerecord", "graph-down"
            ),
        ],
    ),
]


def reorder_card(request: HttpRequest) -> dict[str, Any] | None:
    """Dashboard card: storeroom stock below its minimum (for who may view stock items)."""
    if not has_perm(request.user, "stock.stockitem", "view"):
        return None
    from .querysets import below_minimum

    count = below_minimum(request.user).count()
    return {
        "count": count,
        "url": reverse("ui:stock:alerts"),
        "alert": count > 0,
    }


def queue_card(request: HttpRequest) -> dict[str, Any] | None:
    """Dashboard card: requests waiting for the user (to approve or to fulfil)."""
    from .services.requests import roles_of, visible_requests

    waiting = [
        r
        for r in visible_requests(request.user).filter(state__in=["submitted", "approved"])[:500]
        if ("approver" if r.state == "submitted" else "fulfiller") in roles_of(request.user, r)
    ]
    if not waiting:
        return None
    return {
        "count": len(waiting),
        "url": reverse("ui:stock:queue"),
        "alert": False,
    }


DASHBOARD_CARDS = [
    DashboardCard(
        "reorder-alerts",
        "Reorder alerts (below minimum)",
        ("Procurement", "Helpdesk"),
        reorder_card,
        needs=("stock.stockitem",),
        description="storeroom stock to reorder",
    ),
    DashboardCard(
        "approval-queue",
        "Requests waiting for you",
        ("*",),  # approvers and fulfillers hold any role; nothing waiting: no card
        queue_card,
        description="to approve or to fulfil",
    ),
]
