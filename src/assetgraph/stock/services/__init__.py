"""Writes of the stock app; each runs in one transaction and audits itself.

``ledger`` (movements and balances), ``catalogue`` (items, storerooms, catalogue entries,
loaners), ``requests`` (self-service lifecycle), ``reservations`` and ``maintenance``.
"""

from .catalogue import (
    create_catalogue_entry,
    create_loaner,
    create_stock_item,
    create_storeroom,
    delete_catalogue_entry,
    delete_loaner,
    delete_stock_item,
    delete_storeroom,
    update_catalogue_entry,
    update_loaner,
    update_stock_item,
    update_storeroom,
)
from .ledger import (
    count_stock,
    issue_stock,
    pick_storeroom,
    post_movement,
    receive_stock,
    return_stock,
    set_minimum,
    transfer_stock,
    write_off_stock,
)
from .maintenance import (
    create_maintenance,
    delete_maintenance,
    maintenance_costs,
    return_from_repair,
    send_for_repair,
    update_maintenance,
)
from .requests import submit_request, transition_request, visible_requests
from .reservations import book_loaner, cancel_reservation, pick_up_reservation

__all__ = [
    "book_loaner",
    "cancel_reservation",
    "count_stock",
    "create_catalogue_entry",
    "create_loaner",
    "create_maintenance",
    "create_stock_item",
    "create_storeroom",
    "delete_catalogue_entry",
    "delete_loaner",
    "delete_maintenance",
    "delete_stock_item",
    "delete_storeroom",
    "issue_stock",
    "maintenance_costs",
    "pick_storeroom",
    "pick_up_reservation",
    "post_movement",
    "receive_stock",
    "return_from_repair",
    "return_stock",
    "send_for_repair",
    "set_minimum",
    "submit_request",
    "transfer_stock",
    "transition_request",
    "update_catalogue_entry",
    "update_loaner",
    "update_maintenance",
    "update_stock_item",
    "update_storeroom",
    "visible_requests",
    "write_off_stock",
]
