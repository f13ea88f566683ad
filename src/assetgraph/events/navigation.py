"""The operations section of the navigation (administrators see it)."""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import urlencode

from assetgraph.ui.context_processors import NavItem
from assetgraph.ui.dashboards import DashboardCard

SECTIONS = [
    (
        "Operations",
        [
            NavItem("Webhooks", "ui:events:webhook_list", "events.webhook", "broadcast"),
            NavItem("Event rules", "ui:events:eventrule_list", "events.eventrule", "funnel"),
            NavItem("Deliveries", "ui:events:delivery_list", "events.delivery", "send"),
            NavItem("Schedules", "ui:events:schedule_list", "events.schedule", "clock"),
            NavItem("Jobs", "ui:events:job_list", "events.job", "list-task"),
            NavItem(
                "Webhook networks",
                "ui:events:allowednetwork_list",
                "events.allowednetwork",
                "shield",
            ),
        ],
    ),
]


def jobs_card(request: HttpRequest) -> dict[str, Any]:
    """Background jobs: failed in the last 7 days, queued and running now (one grouped query)."""
    import datetime as dt

    from django.db.models import Count, Q
    from django.utils import timezone

    from assetgraph.accounts.permissions import restrict

    from .models import Job, JobState

    since = timezone.now() - dt.timedelta(days=7)
    counts = restrict(Job.objects.all(), request.user).aggregate(
        failed=Count("pk", filter=Q(state=JobState.FAILED, created__gte=since)),
        queued=Count("pk", filter=Q(state=JobState.QUEUED)),
        running=Count("pk", filter=Q(state=JobState.RUNNING)),
    )
    base = reverse("ui:events:job_list")
    return {
        "count": counts["failed"],
        "note": "failed in the last 7 days",
        "url": base + "?" + urlencode({"state": JobState.FAILED}),
        "alert": counts["failed"] > 0,
        "rows": [
            {"label": "Queued", "count": counts["queued"], "url": base + "?state=queued"},
            {"label": "Running", "count": counts["running"], "url": base + "?state=running"},
        ],
        "chart": False,
    }


DASHBOARD_CARDS = [
    DashboardCard(
        "jobs",
        "Background jobs",
        ("Admin",),
        jobs_card,
        needs=("events.job",),
        description="failed, queued and running jobs",
    ),
]
