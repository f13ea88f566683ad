"""The stock app's sections of the navigation: self-service for every employee, then stock."""

from assetgraph.ui.context_processors import NavItem

SECTIONS = [
    (
        "Self-service",
        [
            NavItem("What I hold", "ui:stock:my", "stock.catalogueentry", "person-check"),
            NavItem("Request catalogue", "ui:stock:catalogue", "stock.catalogueentry", "cart"),
            NavItem("Requests", "ui:stock:request_list", "stock.stockrequest", "inbox"),
            NavItem("Approval queue", "ui:stock:queue", "stock.catalogueentry", "check2-square"),
        ],
    ),
    (
        "Stock",
        [
            NavItem("Stock items", "ui:stock:stockitem_list", "stock.stockitem", "boxes"),
            NavItem("Storerooms", "ui:stock:storeroom_list", "stock.storeroom", "shop"),
            NavItem("Ledger", "ui:stock:ledger", "stock.stockmovement", "journal-arrow-down"),
            NavItem("Reorder alerts", "ui:stock:alerts", "stock.stockitem", "bell"),
            NavItem(
                "Catalogue entries",
                "ui:stock:catalogueentry_list",
                "stock.stockrequest",
                "list-check",
            ),
            NavItem("Loaners", "ui:stock:loaner_list", "stock.loaner", "laptop"),
            NavItem("Reservations", "ui:stock:calendar", "stock.reservation", "calendar-week"),
            NavItem(
                "Maintenance", "ui:stock:maintenancerecord_list", "stock.maintenancerecord", "tools"
            ),
            NavItem(
                "Repairs per model", "ui:stock:repairs", "stock.maintenancerecord", "graph-down"
            ),
        ],
    ),
]
