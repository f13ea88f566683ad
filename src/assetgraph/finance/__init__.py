"""Finance: depreciation books and schedules, the fixed-asset register, period close and
journals, exchange rates (docs/finance.md)."""
