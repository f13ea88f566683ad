"""Discovery's section of the navigation."""

from assetgraph.ui.context_processors import NavItem

SECTIONS = [
    (
        "Discovery",
        [
            NavItem("Run discovery", "ui:discovery:upload", "discovery.discoveryrun", "upload"),
            NavItem("Runs", "ui:discovery:discoveryrun_list", "discovery.discoveryrun", "activity"),
            NavItem(
                "Reconciliation queue",
                "ui:discovery:reconciliationitem_list",
                "discovery.reconciliationitem",
                "question-diamond",
            ),
            NavItem("CMDB health", "ui:discovery:health", "cmdb.ci", "heart-pulse"),
            NavItem(
                "Unmanaged hardware", "ui:discovery:unmanaged", "cmdb.ci", "exclamation-diamond"
            ),
            NavItem("Missing assets", "ui:discovery:missing", "assets.asset", "search"),
            NavItem("Sources", "ui:discovery:datasource_list", "discovery.datasource", "broadcast"),
            NavItem(
                "Identification rules",
                "ui:discovery:identificationrule_list",
                "discovery.identificationrule",
                "fingerprint",
            ),
            NavItem(
                "Class policies", "ui:discovery:classpolicy_list", "discovery.classpolicy", "clock"
            ),
            NavItem(
                "Compliance rules",
                "ui:discovery:compliancerule_list",
                "discovery.compliancerule",
                "clipboard-check",
            ),
        ],
    ),
]
