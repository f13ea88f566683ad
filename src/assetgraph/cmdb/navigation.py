"""The CMDB's section of the navigation."""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import urlencode

from assetgraph.ui.context_processors import NavItem
from assetgraph.ui.dashboards import DashboardCard

SECTIONS = [
    (
        "CMDB",
        [
            NavItem("CIs", "ui:cmdb:ci_list", "cmdb.ci", "diagram-3-fill"),
            NavItem("Class browser", "ui:cmdb:class_tree", "cmdb.ciclass", "bezier2"),
            NavItem(
                "Relationship types",
                "ui:cmdb:relationshiptype_list",
                "cmdb.relationshiptype",
                "arrow-left-right",
            ),
            NavItem("Changes (diff)", "ui:cmdb:diff", "cmdb.ci", "clock-history"),
        ],
    )
]


def team_of(user: Any) -> Any:
    """The viewer's department (through their person record), or None: "my team"."""
    person = getattr(user, "person", None) if user.is_authenticated else None
    return person.department if person is not None and person.department_id else None


def in_maintenance_card(request: HttpRequest) -> dict[str, Any]:
    """CIs in maintenance now, by class (one grouped query over the CIs the viewer sees)."""
    from django.db.models import Count

    from assetgraph.accounts.permissions import restrict

    from .choices import OperationalStatusChoices
    from .models import CI

    status = OperationalStatusChoices.MAINTENANCE
    rows = restrict(CI.objects.current().filter(operational_status=status), request.user)
    grouped = (
        rows.values("ci_class_id", "ci_class__name").annotate(n=Count("pk")).order_by("-n")[:8]
    )
    base = reverse("ui:cmdb:ci_list")
    return {
        "count": rows.count(),
        "url": base + "?" + urlencode({"operational_status": status}),
        "rows": [
            {
                "label": g["ci_class__name"],
                "count": g["n"],
                "url": base + "?" + f"operational_status={status}&ci_class_id={g['ci_class_id']}",
            }
            for g in grouped
        ],
        "chart": False,
    }


def team_services_card(request: HttpRequest) -> dict[str, Any] | None:
    """The business services and applications the viewer's team owns."""
    from django.db.models import Count

    from assetgraph.accounts.permissions import restrict

    from .choices import ClassSlug
    from .models import CI, semantic_class_ids

    team = team_of(request.user)
    if team is None:
        return None
    classes = semantic_class_ids(ClassSlug.BUSINESS_SERVICE) + semantic_class_ids(
        ClassSlug.APPLICATION
    )
    owned = restrict(
        CI.objects.current().filter(owning_team=team, ci_class_id__in=classes), request.user
    )
    grouped = owned.values("operational_status").annotate(n=Count("pk")).order_by("-n")
    base = reverse("ui:cmdb:ci_list")
    return {
        "count": owned.count(),
        "note": f"services and applications owned by {team}",
        "url": base + "?" + urlencode({"owning_team_id": team.pk}),
        "rows": [
            {
                "label": str(g["operational_status"]).capitalize(),
                "count": g["n"],
                "url": base
                + "?"
                + urlencode(
                    {"owning_team_id": team.pk, "operational_status": g["operational_status"]}
                ),
            }
            for g in grouped
        ],
        "chart": False,
    }


DASHBOARD_CARDS = [
    DashboardCard(
        "cis-in-maintenance",
        "CIs in maintenance",
        ("IT Operations (NOC)", "System Administrator"),
        in_maintenance_card,
        needs=("cmdb.ci",),
        description="out of service for work now",
    ),
    DashboardCard(
        "team-services",
        "My team's services",
        ("DevOps", "System Administrator"),
        team_services_card,
        needs=("cmdb.ci",),
        description="services and applications your department owns",
    ),
]
