"""The licences app's section of the navigation."""

from assetgraph.ui.context_processors import NavItem

SECTIONS = [
    (
        "Licences",
        [
            NavItem("Compliance", "ui:licences:dashboard", "licences.entitlement", "speedometer2"),
            NavItem(
                "Services running unlicensed software",
                "ui:licences:unlicensed_services",
                "licences.entitlement",
                "exclamation-diamond",
            ),
            NavItem("Licences", "ui:licences:entitlement_list", "licences.entitlement", "key"),
            NavItem(
                "Allocations", "ui:licences:allocation_list", "licences.allocation", "person-check"
            ),
            NavItem("Products", "ui:licences:product_list", "licences.product", "boxes"),
            NavItem("Suites", "ui:licences:suite_list", "licences.suite", "collection"),
            NavItem("Publishers", "ui:licences:publisher_list", "licences.publisher", "building"),
            NavItem(
                "Normalisation rules",
                "ui:licences:normalisationrule_list",
                "licences.normalisationrule",
                "funnel",
            ),
            NavItem("Core factors", "ui:licences:corefactor_list", "licences.corefactor", "cpu"),
        ],
    ),
]
