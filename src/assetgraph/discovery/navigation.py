"""Discovery's section of the navigation."""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from assetgraph.ui.context_processors import NavItem
from assetgraph.ui.dashboards import DashboardCard

SECTIONS = [
    (
        "Discovery",
        [
            NavItem("Run discovery", "ui:discovery:upload", "discovery.discoveryrun", "upload"),
            NavItem("Runs", "ui:discovery:discoveryrun_list", "discovery.discoveryrun", "activity"),
            NavItem(
                "Reconciliation queue",
                "ui:discovery:reconciliationitem_list",
                "discovery.reconciliationitem",
                "question-diamond",
            ),
            NavItem("CMDB health", "ui:discovery:health", "cmdb.ci", "heart-pulse"),
            NavItem(
                "Unmanaged hardware", "ui:discovery:unmanaged", "cmdb.ci", "exclamation-diamond"
            ),
            NavItem("Missing assets", "ui:discovery:missing", "assets.asset", "search"),
            NavItem("Sources", "ui:discovery:datasource_list", "discovery.datasource", "broadcast"),
            NavItem(
                "Identification rules",
                "ui:discovery:identificationrule_list",
                "discovery.identificationrule",
                "fingerprint",
            ),
            NavItem(
                "Class policies", "ui:discovery:classpolicy_list", "discovery.classpolicy", "clock"
            ),
            NavItem(
                "Compliance rules",
                "ui:discovery:compliancerule_list",
                "discovery.compliancerule",
                "clipboard-check",
            ),
        ],
    ),
]


def unmanaged_card(request: HttpRequest) -> dict[str, Any]:
    """Discovered hardware with no asset record: on the network, outside asset management."""
    from .assets import unmanaged

    count = unmanaged(request.user).count()
    return {"count": count, "url": reverse("ui:discovery:unmanaged"), "alert": count > 0}


def health_card(request: HttpRequest) -> dict[str, Any] | None:
    """The latest recorded CMDB health (completeness, correctness, compliance)."""
    from .models import HealthSnapshot

    latest = HealthSnapshot.objects.order_by("-day").first()
    if latest is None:
        return {
            "count": "—",
            "note": "no health snapshot yet",
            "url": reverse("ui:discovery:health"),
        }
    overall = latest.overall
    url = reverse("ui:discovery:health")
    return {
        "count": f"{overall.get('correctness', 0)} %",
        "note": f"correctness on {latest.day}",
        "url": url,
        "rows": [
            {"label": "Completeness %", "count": int(overall.get("completeness", 0)), "url": url},
            {"label": "Compliance %", "count": int(overall.get("compliance", 0)), "url": url},
            {"label": "Duplicates", "count": int(overall.get("duplicates", 0)), "url": url},
            {"label": "Stale", "count": int(overall.get("stale", 0)), "url": url},
        ],
        "chart": False,
    }


DASHBOARD_CARDS = [
    DashboardCard(
        "unmanaged",
        "Unmanaged hardware",
        ("Security", "Compliance", "Procurement"),
        unmanaged_card,
        needs=("cmdb.ci",),
        description="discovered, but no asset record",
    ),
    DashboardCard(
        "data-health",
        "CMDB data health",
        ("Admin", "Compliance"),
        health_card,
        needs=("cmdb.ci",),
        description="completeness, correctness, compliance",
    ),
]
