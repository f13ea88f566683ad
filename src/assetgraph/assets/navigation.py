"""The Assets section of the main navigation and the assets' dashboard cards."""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from assetgraph.ui.context_processors import NavItem
from assetgraph.ui.dashboards import DashboardCard

SECTIONS = [
    (
        "Assets",
        [
            NavItem("Assets", "ui:assets:asset_list", "assets.asset", "laptop"),
            NavItem("Scan", "ui:assets:scan", "assets.asset", "upc-scan"),
            NavItem("Models", "ui:assets:assetmodel_list", "assets.assetmodel", "box-seam"),
            NavItem("Categories", "ui:assets:category_list", "assets.category", "tags"),
            NavItem("Custom fields", "ui:assets:customfield_list", "assets.customfield", "sliders"),
            NavItem("Kits", "ui:assets:kit_list", "assets.kit", "bag"),
            NavItem("Audits", "ui:assets:audit_list", "assets.auditcampaign", "clipboard-check"),
            NavItem("Reports", "ui:assets:reports", "assets.asset", "bar-chart"),
            NavItem("Alerts", "ui:assets:alerts", "assets.asset", "bell"),
        ],
    )
]


# --- dashboard cards -------------------------------------------------------------------------
# Every count is one grouped query over the viewer's restricted assets (no query per row).


def _assets(request: HttpRequest) -> Any:
    from assetgraph.accounts.permissions import restrict

    from .models import Asset

    return restrict(Asset.objects.all(), request.user, "view")


def pending_acceptances(request: HttpRequest) -> dict[str, Any]:
    """Check-outs the custodian has not yet accepted (their link is on the alerts page)."""
    from .choices import AcceptanceChoices
    from .models import CustodyRecord

    count = CustodyRecord.objects.filter(
        checked_in_at__isnull=True,
        acceptance=AcceptanceChoices.PENDING,
        asset__in=_assets(request),
    ).count()
    return {"count": count, "url": reverse("ui:assets:alerts") + "#pending-acceptances"}


def overdue_returns(request: HttpRequest) -> dict[str, Any]:
    """Loans past their expected return date."""
    from . import reports

    count = reports.overdue_returns(_assets(request), timezone.localdate()).count()
    return {
        "count": count,
        "url": reverse("ui:assets:alerts") + "#overdue-returns",
        "alert": count > 0,
    }


def leavers_with_devices(request: HttpRequest) -> dict[str, Any]:
    """People who left or are leaving and still hold assets (offboarding to finish)."""
    from assetgraph.accounts.permissions import restrict
    from assetgraph.org.choices import PersonStatusChoices
    from assetgraph.org.models import Person

    holders = _assets(request).filter(custodian__isnull=False).values("custodian")
    count = (
        restrict(Person.objects.all(), request.user)
        .filter(status__in=[PersonStatusChoices.LEFT, PersonStatusChoices.LEAVING], pk__in=holders)
        .count()
    )
    return {"count": count, "url": reverse("ui:assets:alerts") + "#leavers", "alert": count > 0}


def stock_by_model_and_site(request: HttpRequest) -> dict[str, Any]:
    """Assets in stock and available, by model and site: what the desk can hand out."""
    from django.db.models import Count

    from .choices import AssetStateChoices

    in_stock = _assets(request).filter(state=AssetStateChoices.IN_STOCK)
    grouped = (
        in_stock.values("model_id", "model__name", "location_id", "location__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "model__name", "location__name")[:8]
    )
    base = reverse("ui:assets:asset_list")
    rows = []
    for g in grouped:
        query = {"state": AssetStateChoices.IN_STOCK, "model_id": g["model_id"]}
        if g["location_id"]:
            query["location_id"] = g["location_id"]
        rows.append(
            {
                "label": f"{g['model__name']} · {g['location__name'] or 'no site'}",
                "count": g["n"],
                "url": base + "?" + urlencode(query),
            }
        )
    return {
        "count": in_stock.count(),
        "note": "in stock; the largest piles by model and site",
        "url": base + "?" + urlencode({"state": AssetStateChoices.IN_STOCK}),
        "rows": rows,
    }


def warranties_expiring(request: HttpRequest) -> dict[str, Any]:
    """Assets in service whose warranty ends within 90 days (renew, or plan the refresh)."""
    from . import reports

    count = reports.warranty_expiring(_assets(request), 90, timezone.localdate()).count()
    return {
        "count": count,
        "note": "within 90 days",
        "url": reverse("ui:assets:alerts") + "?" + urlencode({"warranty_days": 90}),
    }


DASHBOARD_CARDS = [
    DashboardCard(
        "pending-acceptances",
        "Pending acceptances",
        ("Helpdesk",),
        pending_acceptances,
        needs=("assets.asset",),
        description="check-outs waiting for the custodian to accept",
    ),
    DashboardCard(
        "overdue-returns",
        "Overdue returns",
        ("Helpdesk",),
        overdue_returns,
        needs=("assets.asset",),
        description="loans past their expected return date",
    ),
    DashboardCard(
        "leavers-with-devices",
        "Leavers holding devices",
        ("Helpdesk", "Compliance"),
        leavers_with_devices,
        needs=("assets.asset", "org.person"),
        description="offboarding to finish",
    ),
    DashboardCard(
        "stock-by-model-site",
        "Stock by model and site",
        ("Helpdesk", "Procurement"),
        stock_by_model_and_site,
        needs=("assets.asset",),
        description="available assets, by model and site",
    ),
    DashboardCard(
        "warranties-expiring",
        "Warranties expiring",
        ("Procurement",),
        warranties_expiring,
        needs=("assets.asset",),
        description="within 90 days",
    ),
]
