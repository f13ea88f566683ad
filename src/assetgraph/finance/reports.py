"""Finance reports beside the register (docs/finance.md, "Reports"): the depreciation
forecast by month and fiscal year, spend by supplier, and the contract renewals calendar.
Each is a list of flat rows (exportable as CSV/XLSX with the same columns) plus totals a
chart can draw. Amounts keep their currency per row and are totalled in the base currency
with the dated rate table; a currency with no rate is named, never guessed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import QuerySet

from assetgraph.assets.models import Asset, add_months

from . import conf
from .books import asset_books
from .choices import BILLING_MONTHS, BookChoices, OrderStatusChoices
from .contracts import term_end
from .depreciation import calendar as cal
from .models import Contract, PurchaseOrder
from .money import quantum, rate_on

ZERO = Decimal(0)
REPORTS = ("depreciation-forecast", "spend-by-supplier", "renewals-calendar")


class _Converter:
    """Converts to the base currency at one day's rates, remembering missing ones."""

    def __init__(self, base: str, day: dt.date) -> None:
        self.base, self.day = base, day
        self.rates: dict[str, Decimal | None] = {}
        self.missing: set[str] = set()

    def __call__(
        self, amount: Decimal, currency: str, day: dt.date | None = None
    ) -> Decimal | None:
        when = day or self.day
        key = f"{currency}@{when}"
        if key not in self.rates:
            self.rates[key] = rate_on(currency, self.base, when)
        rate = self.rates[key]
        if rate is None:
            self.missing.add(currency)
            return None
        return (amount * rate).quantize(quantum(self.base), rounding=ROUND_HALF_UP)


def depreciation_forecast(
    assets: QuerySet[Asset],
    start: dt.date,
    months: int = 36,
    book: str = BookChoices.BOOK,
    base: str | None = None,
) -> dict[str, Any]:
    """The depreciation each month from ``start``'s month for ``months`` months, summed over
    every asset's schedule in ``book`` (disposals included), by currency, and by fiscal
    year; totals in the base currency at the rate on ``start``."""
    base = (base or conf.base_currency()).upper()
    convert = _Converter(base, start)
    first = cal.month_ordinal(start)
    last = first + months - 1
    by_month: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    queryset = assets.filter(cost__isnull=False).exclude(currency="")
    for entry in asset_books(queryset.select_related("model__category", "disposal"), book):
        if entry.schedule is None:
            continue
        for period in entry.schedule.periods:
            ordinal = cal.month_ordinal(period.start)
            if first <= ordinal <= last and period.amount:
                by_month[(ordinal, entry.currency)] += period.amount
    start_month = conf.fiscal_year_start_month()
    rows: list[dict[str, Any]] = []
    years: dict[int, Decimal] = defaultdict(Decimal)
    monthly_base: dict[int, Decimal] = defaultdict(Decimal)
    for (ordinal, currency), amount in sorted(by_month.items()):
        fiscal_year = cal.fiscal_year_label(ordinal, start_month)
        converted = convert(amount, currency)
        rows.append(
            {
                "month": cal.month_start(ordinal).strftime("%Y-%m"),
                "fiscal_year": fiscal_year,
                "currency": currency,
                "amount": amount,
                "amount_base": converted if converted is not None else "",
            }
        )
        if converted is not None:
            years[fiscal_year] += converted
            monthly_base[ordinal] += converted
    return {
        "start": cal.month_start(first),
        "months": months,
        "book": book,
        "base_currency": base,
        "rows": rows,
        "by_month": [
            {"month": cal.month_start(o).strftime("%Y-%m"), "amount": monthly_base.get(o, ZERO)}
            for o in range(first, last + 1)
        ],
        "by_fiscal_year": [{"fiscal_year": y, "amount": a} for y, a in sorted(years.items())],
        "missing_rates": sorted(convert.missing),
    }


def spend_by_supplier(
    orders: QuerySet[PurchaseOrder], start: dt.date, end: dt.date, base: str | None = None
) -> dict[str, Any]:
    """Per supplier and currency, for orders dated ``start`` to ``end`` (placed or later;
    drafts and cancelled orders are not spend): the ordered amount (quantity x unit price)
    and the received amount (received quantity x unit price). Base-currency totals convert
    each order at the rate on its order date."""
    base = (base or conf.base_currency()).upper()
    convert = _Converter(base, end)
    spend: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO, ZERO, ZERO])
    counts: dict[tuple[str, str], int] = defaultdict(int)
    selected = (
        orders.filter(order_date__gte=start, order_date__lte=end)
        .exclude(status__in=[OrderStatusChoices.DRAFT, OrderStatusChoices.CANCELLED])
        .select_related("supplier")
        .prefetch_related("lines")
    )
    for order in selected:
        key = (order.supplier.name, order.currency)
        counts[key] += 1
        ordered = sum((line.quantity * line.unit_price for line in order.lines.all()), ZERO)
        received = sum(
            (line.received_quantity * line.unit_price for line in order.lines.all()), ZERO
        )
        totals = spend[key]
        totals[0] += ordered
        totals[1] += received
        for index, amount in ((2, ordered), (3, received)):
            converted = convert(amount, order.currency, order.order_date)
            if converted is not None:
                totals[index] += converted
    rows = [
        {
            "supplier": supplier,
            "currency": currency,
            "orders": counts[(supplier, currency)],
            "ordered": values[0],
            "received": values[1],
            "ordered_base": values[2] if currency not in convert.missing else "",
            "received_base": values[3] if currency not in convert.missing else "",
        }
        for (supplier, currency), values in sorted(spend.items())
    ]
    return {
        "start": start,
        "end": end,
        "base_currency": base,
        "rows": rows,
        "total_ordered": sum((r["ordered_base"] or ZERO for r in rows), ZERO),
        "total_received": sum((r["received_base"] or ZERO for r in rows), ZERO),
        "missing_rates": sorted(convert.missing),
    }


def renewals_calendar(
    contracts: QuerySet[Contract], start: dt.date, months: int = 12
) -> dict[str, Any]:
    """Every contract term ending from ``start`` to ``months`` months later, with its notice
    date: a fixed contract once (its end date), an auto-renewing one at each renewal (its
    end date + k x renewal months). Sorted by notice date."""
    horizon = add_months(start, months)
    rows: list[dict[str, Any]] = []
    for contract in contracts.select_related("supplier").order_by("pk"):
        ends = [contract.end_date]
        if contract.auto_renew:
            # The terms run from the end date in steps of the renewal period (as term_end).
            first = term_end(contract, start)
            step = 0
            while add_months(contract.end_date, step * contract.renewal_months) < first:
                step += 1
            ends = []
            while (end := add_months(contract.end_date, step * contract.renewal_months)) <= horizon:
                ends.append(end)
                step += 1
        for end in ends:
            if not start <= end <= horizon:
                continue
            rows.append(
                {
                    "contract_id": contract.pk,
                    "name": contract.name,
                    "kind": contract.kind,
                    "supplier": contract.supplier.name,
                    "notice_date": end - dt.timedelta(days=contract.notice_days),
                    "term_end": end,
                    "month": end.strftime("%Y-%m"),
                    "auto_renew": contract.auto_renew,
                    "cost_per_period": contract.cost_per_period,
                    "billing_period": contract.billing_period,
                    "annual_cost": annual_cost(contract),
                    "currency": contract.currency,
                }
            )
    rows.sort(key=lambda r: (r["notice_date"], r["name"]))
    by_month: dict[str, int] = defaultdict(int)
    cost: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in rows:
        by_month[row["month"]] += 1
        cost[row["month"], row["currency"]] += row["annual_cost"]
    return {
        "start": start,
        "months": months,
        "rows": rows,
        "by_month": [{"month": m, "count": c} for m, c in sorted(by_month.items())],
        "cost_by_month": [
            {"month": month, "currency": currency, "annual_cost": amount}
            for (month, currency), amount in sorted(cost.items())
        ],
    }


def annual_cost(contract: Contract) -> Decimal:
    """What a year of the contract costs at its current rate (cost per billing period x
    periods in a year), the figure a renewal decision weighs; rounded to the cent."""
    periods = Decimal(12) / BILLING_MONTHS[contract.billing_period]
    return (contract.cost_per_period * periods).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


EXPORT_COLUMNS: dict[str, list[str]] = {
    "depreciation-forecast": ["month", "fiscal_year", "currency", "amount", "amount_base"],
    "spend-by-supplier": [
        "supplier",
        "currency",
        "orders",
        "ordered",
        "received",
        "ordered_base",
        "received_base",
    ],
    "renewals-calendar": [
        "term_end",
        "notice_date",
        "name",
        "kind",
        "supplier",
        "auto_renew",
        "cost_per_period",
        "billing_period",
        "annual_cost",
        "currency",
    ],
}


def run_report(
    name: str,
    user: Any | None,
    *,
    start: dt.date,
    end: dt.date | None = None,
    months: int | None = None,
    book: str = BookChoices.BOOK,
    base: str | None = None,
) -> dict[str, Any]:
    """Run one report for ``user`` (None: the system, everything); checks the permission
    each needs (``view_cost`` on assets; ``view`` on orders or contracts) and restricts
    to what the user may see."""
    from assetgraph.accounts.permissions import has_perm, restrict
    from assetgraph.core.errors import NotFound, PermissionDenied

    from .access import may_view_costs, visible_assets

    if name == "depreciation-forecast":
        if user is not None and not may_view_costs(user):
            raise PermissionDenied("you may not view costs (view_cost on assets)")
        return depreciation_forecast(visible_assets(user), start, months or 36, book, base)
    if name == "spend-by-supplier":
        orders = PurchaseOrder.objects.all()
        if user is not None:
            if not has_perm(user, "finance.purchaseorder", "view"):
                raise PermissionDenied("you may not view purchase orders")
            orders = restrict(orders, user, "view")
        until = end or start.replace(month=12, day=31)
        return spend_by_supplier(orders, start, until, base)
    if name == "renewals-calendar":
        contracts = Contract.objects.all()
        if user is not None:
            if not has_perm(user, "finance.contract", "view"):
                raise PermissionDenied("you may not view contracts")
            contracts = restrict(contracts, user, "view")
        return renewals_calendar(contracts, start, months or 12)
    raise NotFound(f"no report {name!r}: {', '.join(REPORTS)}")
