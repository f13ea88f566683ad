"""The security app's section of the navigation."""

from assetgraph.ui.context_processors import NavItem

SECTIONS = [
    (
        "Security",
        [
            NavItem(
                "Security dashboard", "ui:security:dashboard", "security.finding", "shield-check"
            ),
            NavItem("Findings", "ui:security:finding_list", "security.finding", "bug"),
            NavItem("Advisories", "ui:security:advisory_list", "security.advisory", "journal-text"),
            NavItem("End of life", "ui:security:eol", "security.endoflifecycle", "hourglass-split"),
            NavItem(
                "Policies", "ui:security:policies_overview", "security.policy", "clipboard-check"
            ),
            NavItem(
                "Policy exceptions",
                "ui:security:policyexception_list",
                "security.policyexception",
                "shield-slash",
            ),
            NavItem(
                "Audit evidence",
                "ui:security:evidence",
                "security.evidencepackage",
                "file-earmark-zip",
            ),
        ],
    ),
]
