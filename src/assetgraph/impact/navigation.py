"""The impact app's section of the navigation."""

from assetgraph.ui.context_processors import NavItem

SECTIONS = [
    (
        "Impact",
        [
            NavItem("Impact analysis", "ui:impact:analyse", "cmdb.ci", "lightning-charge"),
            NavItem("Root cause", "ui:impact:root_cause", "cmdb.ci", "search"),
        ],
    ),
]
