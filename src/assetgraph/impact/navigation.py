"""The impact app's section of the navigation."""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from assetgraph.ui.context_processors import NavItem
from assetgraph.ui.dashboards import DashboardCard

SECTIONS = [
    (
        "Impact",
        [
            NavItem("Impact analysis", "ui:impact:analyse", "cmdb.ci", "lightning-charge"),
            NavItem("Root cause", "ui:impact:root_cause", "cmdb.ci", "search"),
        ],
    ),
]


def degraded_services_card(request: HttpRequest) -> dict[str, Any]:
    """Business services down or degraded now because CIs are out of service (maintenance,
    repair, missing), and the redundancy groups left without spare capacity. One traversal of
    the cached estate graph; only the services and groups the viewer may see are named."""
    from assetgraph.accounts.permissions import restrict
    from assetgraph.cmdb.context import service_class_ids
    from assetgraph.cmdb.models import CI

    from .objective import DOWN, groups_left_degraded, impact_of, service_pks
    from .preview import out_of_service

    impact = impact_of(out_of_service())
    states = impact.state_of(service_pks(impact, set(service_class_ids())))
    groups = groups_left_degraded(impact)
    wanted = list(states) + [g[0] for g in groups]
    names = dict(restrict(CI.objects.filter(pk__in=wanted), request.user).values_list("pk", "name"))
    services = sorted(
        (pk for pk in states if pk in names), key=lambda pk: (states[pk] != DOWN, names[pk])
    )
    rows = [
        {
            "label": f"{names[pk]} ({'down' if states[pk] == DOWN else 'degraded'})",
            "count": 1,
            "url": reverse("ui:cmdb:ci_detail", args=[pk]),
        }
        for pk in services[:6]
    ]
    rows += [
        {
            "label": f"{names[pk]}: {down} of {members} down, tolerates {tolerates}",
            "count": down,
            "url": reverse("ui:cmdb:ci_detail", args=[pk]),
        }
        for pk, members, down, tolerates in groups
        if pk in names
    ][:6]
    return {
        "count": len(services),
        "note": "services affected by CIs out of service; redundancy groups below",
        "url": reverse("ui:cmdb:ci_list") + "?operational_status=maintenance",
        "rows": rows,
        "chart": False,
        "alert": bool(services),
    }


DASHBOARD_CARDS = [
    DashboardCard(
        "degraded-services",
        "Services degraded or down now",
        ("IT Operations (NOC)",),
        degraded_services_card,
        needs=("cmdb.ci",),
        description="from CIs in maintenance, repair or missing; redundancy lost",
    ),
]
