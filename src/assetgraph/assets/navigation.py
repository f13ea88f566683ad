"""The Assets section of the main navigation."""

from assetgraph.ui.context_processors import NavItem

SECTIONS = [
    (
        "Assets",
        [
            NavItem("Assets", "ui:assets:asset_list", "assets.asset", "laptop"),
            NavItem("Models", "ui:assets:assetmodel_list", "assets.assetmodel", "box-seam"),
            NavItem("Categories", "ui:assets:category_list", "assets.category", "tags"),
            NavItem("Custom fields", "ui:assets:customfield_list", "assets.customfield", "sliders"),
            NavItem("Kits", "ui:assets:kit_list", "assets.kit", "bag"),
            NavItem("Audits", "ui:assets:audit_list", "assets.auditcampaign", "clipboard-check"),
            NavItem("Reports", "ui:assets:reports", "assets.asset", "bar-chart"),
            NavItem("Alerts", "ui:assets:alerts", "assets.asset", "bell"),
        ],
    )
]
