"""Finance settings: the fiscal-year start and the base currency of reports.

``ASSETGRAPH_FISCAL_YEAR_START_MONTH`` (1-12, default 1) and ``ASSETGRAPH_BASE_CURRENCY``
(ISO 4217, default EUR), from Django settings or the environment.
"""

from __future__ import annotations

import os

from django.conf import settings


def fiscal_year_start_month() -> int:
    """The month (1-12) a fiscal year starts in."""
    value = getattr(settings, "ASSETGRAPH_FISCAL_YEAR_START_MONTH", None)
    if value is None:
        value = os.environ.get("ASSETGRAPH_FISCAL_YEAR_START_MONTH", "1")
    month = int(value)
    return month if 1 <= month <= 12 else 1


def base_currency() -> str:
    """The currency reports are converted to."""
    value = getattr(settings, "ASSETGRAPH_BASE_CURRENCY", None)
    return str(value or os.environ.get("ASSETGRAPH_BASE_CURRENCY", "EUR")).upper()
