"""The register's totals by dimension, summed in integers over the columns.

The per-asset register adds Decimals row by row into five totals per asset (the grand total
and one group per dimension), converting each amount to the base currency and rounding it
half up to the base currency's minor unit. This does the same sums with numpy over integer
thousandths (``register_columns.MILLI``): each row's converted amount is rounded exactly as
the Decimal path rounds it, then summed per group, so the totals are equal to the cent, and
they are rendered with the exponent the Decimal sums would have had ("0" for an empty sum,
"12.30" for cents).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from .money import minor_digits
from .register_columns import MILLI, RegisterColumns

I64 = npt.NDArray[np.int64]
COST_EXPONENT = -2  # asset costs are stored with two decimals
SAFE = 2**62


@dataclass
class Total:
    """A group's totals: per currency, and in the base currency where rates exist."""

    assets: int = 0
    by_currency: dict[str, list[Decimal]] = field(default_factory=dict)
    cost: Decimal = Decimal(0)
    accumulated: Decimal = Decimal(0)
    net_book_value: Decimal = Decimal(0)
    unconverted: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "assets": self.assets,
            "cost": self.cost,
            "accumulated": self.accumulated,
            "net_book_value": self.net_book_value,
            "unconverted_assets": self.unconverted,
            "by_currency": {
                currency: {"cost": v[0], "accumulated": v[1], "net_book_value": v[2]}
                for currency, v in sorted(self.by_currency.items())
            },
        }


def _round_half_up(values: I64, numerator: int, denominator: int) -> I64:
    """``round_half_up(values x numerator / denominator)`` per element, exactly (Python
    integers when the products could overflow 64 bits)."""
    if values.size == 0:
        return values
    if int(np.abs(values).max()) * numerator * 2 + denominator < SAFE:
        return (2 * values * numerator + denominator) // (2 * denominator)
    exact = [(2 * int(v) * numerator + denominator) // (2 * denominator) for v in values]
    return np.array(exact, dtype=object)


def _sum_by(codes: I64, groups: int, values: I64) -> I64:
    """Per group code, the exact sum of ``values`` (object integers if it could overflow)."""
    big = values.size and int(np.abs(values).max()) * values.size >= SAFE
    out = np.zeros(groups, dtype=object if big else np.int64)
    np.add.at(out, codes, values.astype(object) if big else values)
    return out


def _decimal(units: Any, scale: int, exponent: int) -> Decimal:
    """An integer of ``10**-scale`` as a Decimal written with ``exponent``."""
    return Decimal(int(units)).scaleb(-scale).quantize(Decimal(1).scaleb(exponent))


@dataclass
class _Converted:
    """Each row's cost and accumulated depreciation in base minor units (0 where the
    currency has no rate, with ``ok`` False)."""

    ok: npt.NDArray[np.bool_]
    cost: I64
    accumulated: I64


def _convert(
    columns: RegisterColumns,
    currency_codes: I64,
    currencies: list[str],
    rates: dict[str, Decimal | None],
    base: str,
) -> _Converted:
    n = len(columns)
    base_digits = minor_digits(base)
    ok = np.zeros(n, dtype=np.bool_)
    parts: list[tuple[I64, I64, I64]] = []
    for code, currency in enumerate(currencies):
        rate = rates.get(currency)
        if rate is None:
            continue
        rows = np.flatnonzero(currency_codes == code)
        ok[rows] = True
        p, q = rate.as_integer_ratio()
        numerator, denominator = p * 10**base_digits, q * 10**MILLI
        parts.append(
            (
                rows,
                _round_half_up(columns.cost_u[rows], numerator, denominator),
                _round_half_up(columns.accumulated_u[rows], numerator, denominator),
            )
        )
    big = any(part.dtype == object for _, *pair in parts for part in pair)
    cost = np.zeros(n, dtype=object if big else np.int64)
    accumulated = np.zeros(n, dtype=object if big else np.int64)
    for rows, cost_part, accumulated_part in parts:
        cost[rows] = cost_part
        accumulated[rows] = accumulated_part
    return _Converted(ok, cost, accumulated)


def _codes(labels: Sequence[str]) -> tuple[I64, list[str]]:
    """Labels as integer codes, and the labels in code order."""
    keys = list(dict.fromkeys(labels))
    index = {label: k for k, label in enumerate(keys)}
    return np.fromiter(map(index.__getitem__, labels), np.int64, len(labels)), keys


def _totals(
    columns: RegisterColumns,
    codes: I64,
    keys: list[str],
    currency_codes: I64,
    currencies: list[str],
    converted: _Converted,
    base_digits: int,
) -> dict[str, Total]:
    """Every group's :class:`Total`."""
    groups = len(keys)
    count = np.bincount(codes, minlength=groups)
    ok = converted.ok
    conv_count = np.bincount(codes[ok], minlength=groups)
    conv_cost = _sum_by(codes[ok], groups, converted.cost[ok])
    conv_acc = _sum_by(codes[ok], groups, converted.accumulated[ok])
    pair = codes * len(currencies) + currency_codes
    cells = groups * len(currencies)
    pair_count = np.bincount(pair, minlength=cells)
    pair_cost = _sum_by(pair, cells, columns.cost_u)
    pair_acc = _sum_by(pair, cells, columns.accumulated_u)
    pair_exp = np.zeros(cells, dtype=np.int64)
    np.minimum.at(pair_exp, pair, columns.accumulated_exp)
    result: dict[str, Total] = {}
    for g, key in enumerate(keys):
        total = Total(assets=int(count[g]), unconverted=int(count[g] - conv_count[g]))
        if conv_count[g]:
            total.cost = _decimal(conv_cost[g], base_digits, -base_digits)
            total.accumulated = _decimal(conv_acc[g], base_digits, -base_digits)
            total.net_book_value = _decimal(conv_cost[g] - conv_acc[g], base_digits, -base_digits)
        for c, currency in enumerate(currencies):
            cell = g * len(currencies) + c
            if not pair_count[cell]:
                continue
            exp = int(pair_exp[cell])
            total.by_currency[currency] = [
                _decimal(pair_cost[cell], MILLI, COST_EXPONENT),
                _decimal(pair_acc[cell], MILLI, exp),
                _decimal(pair_cost[cell] - pair_acc[cell], MILLI, min(COST_EXPONENT, exp)),
            ]
        result[key] = total
    return result


def grouped_totals(
    columns: RegisterColumns,
    dimensions: Sequence[str],
    rates: dict[str, Decimal | None],
    base: str,
) -> tuple[dict[str, dict[str, Total]], Total]:
    """Totals per dimension (``category``, ``cost_centre``…: attribute names of the
    columns) and the grand total."""
    currency_codes, currencies = _codes(columns.currencies)
    converted = _convert(columns, currency_codes, currencies, rates, base)
    base_digits = minor_digits(base)
    everything = np.zeros(len(columns), dtype=np.int64)
    grand = _totals(columns, everything, [""], currency_codes, currencies, converted, base_digits)
    totals = {}
    for dimension in dimensions:
        codes, keys = _codes(getattr(columns, dimension))
        totals[dimension] = _totals(
            columns, codes, keys, currency_codes, currencies, converted, base_digits
        )
    return totals, grand.get("", Total())
