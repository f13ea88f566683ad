"""The CMDB's section of the navigation."""

from assetgraph.ui.context_processors import NavItem

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
