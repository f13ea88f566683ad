"""Stock and requests: quantity-tracked items with a ledger, reorder levels, self-service
requests, reservations of loaners, and maintenance (docs/stock.md, docs/requests.md)."""

from django.apps import AppConfig


class StockConfig(AppConfig):
    """App config for :mod:`assetgraph.stock`."""

    name = "assetgraph.stock"
    label = "stock"
    verbose_name = "Stock and requests"
