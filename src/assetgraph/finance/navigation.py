"""The finance app's section of the navigation."""

from assetgraph.ui.context_processors import NavItem

SECTIONS = [
    (
        "Finance",
        [
            NavItem(
                "Fixed-asset register",
                "ui:finance:register",
                "finance.depreciationprofile",
                "cash-stack",
            ),
            NavItem("Period close", "ui:finance:periods", "finance.closedperiod", "lock"),
            NavItem(
                "Purchase orders", "ui:finance:purchaseorder_list", "finance.purchaseorder", "cart"
            ),
            NavItem("Budgets", "ui:finance:budget_list", "finance.budget", "piggy-bank"),
            NavItem(
                "Contracts", "ui:finance:contract_list", "finance.contract", "file-earmark-text"
            ),
            NavItem(
                "Services on at-risk hardware",
                "ui:finance:hardware_risk",
                "cmdb.ci",
                "exclamation-octagon",
            ),
            NavItem(
                "Service costs",
                "ui:finance:service_costs",
                "finance.depreciationprofile",
                "diagram-2",
            ),
            NavItem(
                "Depreciation profiles",
                "ui:finance:depreciationprofile_list",
                "finance.depreciationprofile",
                "graph-down",
            ),
            NavItem(
                "Asset finance settings",
                "ui:finance:assetfinance_list",
                "finance.assetfinance",
                "sliders",
            ),
            NavItem(
                "Exchange rates",
                "ui:finance:exchangerate_list",
                "finance.exchangerate",
                "currency-exchange",
            ),
        ],
    ),
]
