"""The operations section of the navigation (administrators see it)."""

from assetgraph.ui.context_processors import NavItem

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
