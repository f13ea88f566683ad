"""What each built-in role may do with stock, requests, reservations and maintenance.

Every employee holds Self-service: they see the request catalogue and submit requests for
themselves (``request`` on requests); what they hold and their own requests are shown to them
because they are theirs, not through a grant on everyone's. Approval by a manager needs no
grant (being the requester's manager is the right); ``approve`` is the helpdesk's for entries
approved by the helpdesk (or requesters with no manager). Helpdesk fulfils requests, hands
out and takes back stock (``issue`` on movements), books loaners and logs repairs.
Procurement owns the catalogue of items and storerooms, receives, transfers, counts and
writes off stock (``add`` on movements), sees reorder levels and sends assets for repair
(which moves the asset through its lifecycle, so it also needs ``change`` on the asset);
Finance reads it all.
"""

ITEM = "stock.stockitem"
ROOM = "stock.storeroom"
MOVEMENT = "stock.stockmovement"
ENTRY = "stock.catalogueentry"
REQUEST = "stock.stockrequest"
LOANER = "stock.loaner"
RESERVATION = "stock.reservation"
MAINTENANCE = "stock.maintenancerecord"
FULL = ["view", "add", "change", "delete"]
READ = ["view"]
ALL_TYPES = [ITEM, ROOM, MOVEMENT, ENTRY, REQUEST, LOANER, RESERVATION, MAINTENANCE]

ROLE_GRANTS: dict[str, dict[str, list[str]]] = {
    "Self-service": {ENTRY: READ, REQUEST: ["request"]},
    "Helpdesk": {
        ITEM: READ,
        ROOM: READ,
        MOVEMENT: ["view", "issue"],
        ENTRY: READ,
        REQUEST: ["view", "add", "request", "approve", "fulfil"],
        LOANER: FULL,
        RESERVATION: FULL,
        MAINTENANCE: FULL,
    },
    "Procurement": {
        ITEM: FULL,
        ROOM: FULL,
        MOVEMENT: ["view", "add"],
        ENTRY: FULL,
        REQUEST: READ,
        LOANER: READ,
        RESERVATION: READ,
        MAINTENANCE: FULL,
    },
    "Finance": dict.fromkeys(ALL_TYPES, READ),
    "Compliance": dict.fromkeys(ALL_TYPES, READ),
    "Read-only": dict.fromkeys([ITEM, ROOM, ENTRY], READ),
}
