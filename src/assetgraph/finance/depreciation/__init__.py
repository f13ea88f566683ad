"""Pure depreciation: methods, conventions, schedules, disposal and book value, in Decimal
and without Django (docs/finance.md)."""

from assetgraph.finance.depreciation.schedule import (
    Convention,
    DepreciationError,
    DepreciationSpec,
    FiscalYearAmount,
    Method,
    Period,
    Schedule,
    build_schedule,
    dispose,
)

__all__ = [
    "Convention",
    "DepreciationError",
    "DepreciationSpec",
    "FiscalYearAmount",
    "Method",
    "Period",
    "Schedule",
    "build_schedule",
    "dispose",
]
