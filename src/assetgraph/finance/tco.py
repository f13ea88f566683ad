"""The total cost of ownership of an asset, as of a date (docs/finance.md, "TCO").

TCO = purchase cost
    + its share of every contract that covers it (directly or through its CI), month by
      month while the contract is in force and the asset is owned: the contract's monthly
      cost ÷ the number of items the contract covers (the same share the service-cost
      roll-up uses, :func:`.contracts.monthly_contract_costs`)
    + its share of each licence allocated to it or to its CI: the entitlement's total cost
      x the allocation's quantity ÷ the entitlement's quantity (÷ the quantity of all its
      allocations for a site or enterprise licence with no quantity)
    + every logged repair and maintenance cost (stock maintenance records started by then)
    - the disposal proceeds, when disposed of by then.

Amounts keep their currency, one line per source item, each rounded half up to the
currency's minor unit; the total is converted to the base currency at the rate on the as-of
date, and a currency with no rate is named, its amounts left out of the converted total.
Why per item and not a single figure: Finance must be able to trace every euro back to the
order, contract, licence or repair it came from.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q, Sum

from assetgraph.assets.models import Asset, add_months
from assetgraph.licences.models import Allocation
from assetgraph.stock.models import MaintenanceRecord

from . import conf
from .contracts import in_force
from .models import Contract
from .money import quantum, rate_on

ZERO = Decimal(0)


@dataclass(frozen=True)
class TcoLine:
    """One contribution to the TCO: where it comes from and how much, in its currency."""

    source: str  # purchase | contract | licence | maintenance | disposal
    reference: str
    detail: str
    currency: str
    amount: Decimal

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "reference": self.reference,
            "detail": self.detail,
            "currency": self.currency,
            "amount": self.amount,
        }


@dataclass
class Tco:
    """An asset's TCO as of a date: its lines, totals per currency and in the base."""

    asset: Asset
    as_of: dt.date
    base_currency: str
    lines: list[TcoLine] = field(default_factory=list)
    missing_rates: list[str] = field(default_factory=list)
    total: Decimal = ZERO

    @property
    def by_currency(self) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for line in self.lines:
            totals[line.currency] += line.amount
        return dict(sorted(totals.items()))

    @property
    def by_source(self) -> dict[str, dict[str, Decimal]]:
        out: dict[str, dict[str, Decimal]] = {}
        for line in self.lines:
            bucket = out.setdefault(line.source, {})
            bucket[line.currency] = bucket.get(line.currency, ZERO) + line.amount
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "asset_id": self.asset.pk,
            "asset_tag": self.asset.asset_tag,
            "as_of": self.as_of,
            "base_currency": self.base_currency,
            "total": self.total,
            "missing_rates": self.missing_rates,
            "by_currency": self.by_currency,
            "by_source": self.by_source,
            "lines": [line.as_dict() for line in self.lines],
        }


def _rounded(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    """The first days of the months from ``first``'s to ``last``'s, both included."""
    out: list[dt.date] = []
    month = first.replace(day=1)
    while month <= last:
        out.append(month)
        month = add_months(month, 1)
    return out


def _contract_lines(
    asset: Asset, ci_pk: int | None, owned_from: dt.date, until: dt.date
) -> list[TcoLine]:
    covering = Contract.objects.filter(start_date__lte=until).filter(
        Q(assets=asset) | Q(cis=ci_pk) if ci_pk is not None else Q(assets=asset)
    )
    lines: list[TcoLine] = []
    for contract in (
        covering.distinct().prefetch_related("assets", "cis").order_by("start_date", "pk")
    ):
        asset_ids = {a.pk for a in contract.assets.all()}
        ci_ids = {c.pk for c in contract.cis.all() if c.asset_id not in asset_ids}
        items = len(asset_ids) + len(ci_ids)
        if not items:
            continue
        share = contract.monthly_cost / items
        months = [
            month
            for month in _months(max(contract.start_date, owned_from), until)
            if in_force(contract, month)
            or in_force(contract, add_months(month, 1) - dt.timedelta(days=1))
        ]
        if not months:
            continue
        lines.append(
            TcoLine(
                "contract",
                contract.reference or contract.name,
                f"{contract.name}: {len(months)} month(s) x "
                f"{contract.monthly_cost:.2f} ÷ {items} item(s)",
                contract.currency,
                _rounded(share * len(months), contract.currency),
            )
        )
    return lines


def _licence_lines(asset: Asset, ci_pk: int | None, until: dt.date) -> list[TcoLine]:
    target = Q(asset=asset) | Q(ci_id=ci_pk) if ci_pk is not None else Q(asset=asset)
    allocations = (
        Allocation.objects.filter(target, allocated_at__date__lte=until)
        .select_related("entitlement")
        .order_by("allocated_at", "pk")
    )
    lines: list[TcoLine] = []
    for allocation in allocations:
        entitlement = allocation.entitlement
        cost = entitlement.effective_total_cost
        if cost is None or not entitlement.currency:
            continue
        seats = entitlement.quantity
        if not seats:
            seats = (
                Allocation.objects.filter(
                    entitlement=entitlement, allocated_at__date__lte=until
                ).aggregate(n=Sum("quantity"))["n"]
                or 0
            )
        if not seats:
            continue
        lines.append(
            TcoLine(
                "licence",
                entitlement.name,
                f"{allocation.quantity} of {seats} seat(s) x {cost:.2f}",
                entitlement.currency,
                _rounded(cost * allocation.quantity / seats, entitlement.currency),
            )
        )
    return lines


def asset_tco(asset: Asset, as_of: dt.date, base: str | None = None) -> Tco:
    """The asset's TCO on ``as_of`` (see the module docstring for the rule)."""
    base = (base or conf.base_currency()).upper()
    result = Tco(asset, as_of, base)
    disposal = getattr(asset, "disposal", None)
    if disposal is not None and disposal.disposed_on > as_of:
        disposal = None
    until = disposal.disposed_on if disposal is not None else as_of
    if asset.cost is not None and asset.currency:
        result.lines.append(
            TcoLine(
                "purchase", asset.order_number or "", "purchase cost", asset.currency, asset.cost
            )
        )
    ci = getattr(asset, "ci", None)
    ci_pk = ci.pk if ci is not None else None
    owned_from = asset.purchase_date or dt.date.min
    result.lines += _contract_lines(asset, ci_pk, owned_from, until)
    result.lines += _licence_lines(asset, ci_pk, until)
    for record in MaintenanceRecord.objects.filter(
        asset=asset, started__lte=until, cost__isnull=False
    ).order_by("started", "pk"):
        currency = record.currency or asset.currency
        if not currency or not record.cost:
            continue
        result.lines.append(
            TcoLine("maintenance", record.started.isoformat(), record.title, currency, record.cost)
        )
    if disposal is not None and disposal.proceeds:
        currency = disposal.currency or asset.currency
        result.lines.append(
            TcoLine(
                "disposal",
                disposal.disposed_on.isoformat(),
                f"{disposal.get_method_display()} proceeds",
                currency,
                -disposal.proceeds,
            )
        )
    total = ZERO
    for currency, amount in result.by_currency.items():
        rate = rate_on(currency, base, as_of)
        if rate is None:
            result.missing_rates.append(currency)
            continue
        total += _rounded(amount * rate, base)
    result.total = total
    return result
