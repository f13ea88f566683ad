"""The integrations' section of the navigation."""

from assetgraph.ui.context_processors import NavItem

SECTIONS = [
    (
        "Integrations",
        [
            NavItem(
                "Directory sync",
                "ui:integrations:directorysyncrun_list",
                "integrations.directorysyncrun",
                "arrow-repeat",
            ),
            NavItem(
                "Directory settings and run",
                "ui:integrations:directory_sync",
                "integrations.directorysyncrun",
                "play-circle",
            ),
            NavItem(
                "Offboarding",
                "ui:integrations:offboarding_list",
                "integrations.offboarding",
                "box-arrow-right",
            ),
        ],
    ),
]
