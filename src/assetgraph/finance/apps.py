"""Finance: depreciation books and schedules, the fixed-asset register, period close and
journals, exchange rates (docs/finance.md)."""

from django.apps import AppConfig


class FinanceConfig(AppConfig):
    """App config for :mod:`assetgraph.finance`."""

    name = "assetgraph.finance"
    label = "finance"
    verbose_name = "Finance"
