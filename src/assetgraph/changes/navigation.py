"""The changes app's section of the navigation."""

from assetgraph.ui.context_processors import NavItem

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
