"""The changes app's section of the navigation."""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import urlencode

from assetgraph.ui.context_processors import NavItem
from assetgraph.ui.dashboards import DashboardCard

SECTIONS = [
    (
        "Changes",
        [
            NavItem(
                "Changes", "ui:changes:changerecord_list", "changes.changerecord", "calendar-check"
            ),
            NavItem(
                "Blackout windows",
                "ui:changes:blackoutwindow_list",
                "changes.blackoutwindow",
                "slash-circle",
            ),
        ],
    ),
]


def failed_changes_card(request: HttpRequest) -> dict[str, Any]:
    """Changes that failed in the last 30 days (what broke, to check first in an incident)."""
    import datetime as dt

    from django.db.models import Q
    from django.utils import timezone

    from assetgraph.accounts.permissions import restrict

    from .lifecycle import ChangeStateChoices
    from .models import ChangeRecord

    since = timezone.now() - dt.timedelta(days=30)
    failed = restrict(ChangeRecord.objects.all(), request.user).filter(
        Q(actual_end__gte=since) | Q(actual_end__isnull=True, updated__gte=since),
        state=ChangeStateChoices.FAILED,
    )
    count = failed.count()
    return {
        "count": count,
        "note": "in the last 30 days",
        "url": reverse("ui:changes:changerecord_list")
        + "?"
        + urlencode({"state": ChangeStateChoices.FAILED}),
        "alert": count > 0,
    }


def team_changes_card(request: HttpRequest) -> dict[str, Any] | None:
    """The viewer's team's changes that are not finished yet, by state."""
    from django.db.models import Count

    from assetgraph.accounts.permissions import restrict
    from assetgraph.cmdb.navigation import team_of

    from .lifecycle import FINAL_STATES
    from .models import ChangeRecord

    team = team_of(request.user)
    if team is None:
        return None
    open_changes = restrict(ChangeRecord.objects.all(), request.user).filter(team=team)
    open_changes = open_changes.exclude(state__in=list(FINAL_STATES))
    grouped = open_changes.values("state").annotate(n=Count("pk")).order_by("-n")
    base = reverse("ui:changes:changerecord_list")
    return {
        "count": open_changes.count(),
        "note": f"open changes of {team}",
        "url": base + "?" + urlencode({"team_id": team.pk}),
        "rows": [
            {
                "label": str(g["state"]).replace("_", " ").capitalize(),
                "count": g["n"],
                "url": base + "?" + urlencode({"team_id": team.pk, "state": g["state"]}),
            }
            for g in grouped
        ],
        "chart": False,
    }


DASHBOARD_CARDS = [
    DashboardCard(
        "failed-changes",
        "Recent failed changes",
        ("IT Operations (NOC)", "DevOps", "System Administrator"),
        failed_changes_card,
        needs=("changes.changerecord",),
        description="failed in the last 30 days",
    ),
    DashboardCard(
        "team-changes",
        "My team's open changes",
        ("DevOps", "System Administrator"),
        team_changes_card,
        needs=("changes.changerecord",),
        description="changes your department implements",
    ),
]
