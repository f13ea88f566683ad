"""The monthly cost of each business service, from the cost of the CIs it depends on.

Each CI's monthly cost is the sum of its **cost sources** (:data:`COST_SOURCES`), in the
base currency at the rate on the month's last day:

- ``depreciation``: the book depreciation of the CI's asset in that month;
- ``contracts``: the CI's (or its asset's) share of the contracts in force that month;
- ``maintenance``: repairs and other maintenance of the CI's asset started that month, not
  covered by warranty (the stock app's maintenance log);
- ``licences``: its share of the licences with a term in force that month
  (:func:`licence_source`).

A new source is one more function
``(month) -> {("asset" | "ci", pk): {currency: amount}}`` appended to ``COST_SOURCES``: the
roll-up, the breakdown and TCO pick it up unchanged.

The costs then flow up the dependency graph (``assetgraph.impact.costs``, engine
``assetgraph.graph.costs``): a shared CI's cost is split among its direct dependents equally
(or by a weight attribute such as ``vcpu``), repeatedly, until it reaches business services.
Results are rounded to the base currency's minor unit per service; what no service uses
(stranded) or what circulates in a closed cycle is reported, never dropped silently.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from assetgraph.assets.models import Asset
from assetgraph.cmdb.context import service_class_ids
from assetgraph.cmdb.models import CI
from assetgraph.core.errors import ValidationFailed
from assetgraph.impact.costs import allocate_to_services, service_breakdown
from assetgraph.stock.services.maintenance import monthly_maintenance_costs

from . import conf
from .books import ProfileIndex, asset_book
from .choices import BookChoices
from .contracts import monthly_contract_costs
from .money import minor_digits, quantum, rate_on
from .register_columns import monthly_depreciation, plain_rows

WEIGHT_ATTRIBUTE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,49}$")
Key = tuple[str, int]
Amounts = dict[Key, dict[str, Decimal]]


def _ci_assets() -> QuerySet[Asset]:
    """The assets that are CIs and have a cost."""
    return Asset.objects.filter(ci__isnull=False, cost__isnull=False).exclude(currency="")


def depreciation_source(month: dt.date) -> Amounts:
    """Book depreciation in ``month`` of every asset that is a CI: one query of plain values,
    straight-line full-month schedules computed in bulk, the others per asset
    (:func:`~assetgraph.finance.register_columns.monthly_depreciation`); the same amounts as
    :func:`depreciation_source_per_asset`."""
    amounts = monthly_depreciation(_ci_assets(), month, BookChoices.BOOK)
    return {("asset", pk): {currency: amount} for pk, (currency, amount) in amounts.items()}


def depreciation_source_per_asset(month: dt.date) -> Amounts:
    """The naive depreciation source: one model instance and one full Decimal schedule per
    asset (about 1 to 2 ms each). The reference :func:`depreciation_source` is tested equal
    to, and the benchmark's baseline."""
    assets = _ci_assets().select_related("model__category", "disposal")
    out: Amounts = {}
    index = ProfileIndex(BookChoices.BOOK)
    for asset in assets:
        entry = asset_book(asset, BookChoices.BOOK, index)
        if entry.schedule is None:
            continue
        amount = entry.schedule.amount_in_month(month.year, month.month)
        if amount:
            out[("asset", asset.pk)] = {asset.currency: amount}
    return out


def contract_source(month: dt.date) -> Amounts:
    """The contracts' monthly cost shares of covered assets and CIs."""
    assets, cis = monthly_contract_costs(month)
    out: Amounts = {("asset", pk): dict(v) for pk, v in assets.items()}
    out.update({("ci", pk): dict(v) for pk, v in cis.items()})
    return out


def maintenance_source(month: dt.date) -> Amounts:
    """Repairs, upgrades and inspections logged on assets (stock's maintenance log) started in
    ``month``, at their cost; warranty-covered work costs nothing and is left out."""
    first = month.replace(day=1)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    return {("asset", pk): v for pk, v in monthly_maintenance_costs(first, last).items()}


def licence_source(month: dt.date) -> Amounts:
    """The monthly cost of licences with a term (a start and an end date) in force in
    ``month``, shared by the assets and CIs they are allocated to: total cost ÷ the term's
    months (start month to end month, both counted), x the allocation's quantity ÷ the
    entitlement's quantity (÷ the allocated quantity when it has none). A perpetual licence
    has no monthly cost: it is a one-off, counted in the TCO."""
    from assetgraph.licences.models import Allocation, Entitlement

    first = month.replace(day=1)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    entitlements = Entitlement.objects.filter(
        start_date__isnull=False, end_date__isnull=False, start_date__lte=last, end_date__gte=first
    ).exclude(currency="")
    out: Amounts = {}
    rows = list(entitlements)
    by_entitlement: dict[int, list[Allocation]] = {}
    for allocation in Allocation.objects.filter(  # one query for all of them, not one each
        entitlement__in=rows, allocated_at__date__lte=last, person__isnull=True
    ).exclude(reclaimed_at__date__lt=first):
        by_entitlement.setdefault(allocation.entitlement_id, []).append(allocation)
    for entitlement in rows:
        cost = entitlement.effective_total_cost
        if not cost:
            continue
        start, end = entitlement.start_date, entitlement.end_date
        if start is None or end is None:  # excluded by the query; narrows the types
            continue
        term_months = (end.year - start.year) * 12 + end.month - start.month + 1
        allocations = by_entitlement.get(entitlement.pk, [])
        seats = entitlement.quantity or sum(a.quantity for a in allocations)
        if not seats:
            continue
        monthly = cost / term_months
        for allocation in allocations:
            key: Key = (
                ("asset", allocation.asset_id)
                if allocation.asset_id is not None
                else ("ci", allocation.ci_id or 0)
            )
            bucket = out.setdefault(key, {})
            share = monthly * allocation.quantity / seats
            bucket[entitlement.currency] = bucket.get(entitlement.currency, Decimal(0)) + share
    return out


COST_SOURCES: dict[str, Callable[[dt.date], Amounts]] = {
    "depreciation": depreciation_source,
    "contracts": contract_source,
    "maintenance": maintenance_source,
    "licences": licence_source,
}


@dataclass
class CiCosts:
    """Each CI's monthly cost in the base currency, by source, and the currencies lacking a
    rate (those amounts are left out)."""

    month: dt.date
    base: str
    by_ci: dict[int, Decimal] = field(default_factory=dict)
    by_source: dict[int, dict[str, Decimal]] = field(default_factory=dict)
    missing_rates: set[str] = field(default_factory=set)


def ci_monthly_costs(month: dt.date, base: str | None = None) -> CiCosts:
    """Every CI's cost for the month from every source, converted to ``base``."""
    return _ci_costs(COST_SOURCES, month, base)


def ci_monthly_costs_per_asset(month: dt.date, base: str | None = None) -> CiCosts:
    """:func:`ci_monthly_costs` with the naive per-asset depreciation source (the reference
    and the benchmark's baseline)."""
    sources = {**COST_SOURCES, "depreciation": depreciation_source_per_asset}
    return _ci_costs(sources, month, base)


def _ci_costs(
    cost_sources: dict[str, Callable[[dt.date], Amounts]], month: dt.date, base: str | None
) -> CiCosts:
    base = (base or conf.base_currency()).upper()
    month = month.replace(day=1)
    month_end = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    result = CiCosts(month, base)
    # ``asset_id > 0`` (every CI with an asset) walks the asset column's unique index, where
    # ``IS NOT NULL`` scans a 1M-row table; unordered, the rows as the driver gives them.
    linked = CI.objects.current().filter(asset_id__gt=0).order_by()
    asset_ci = dict(plain_rows(linked.values_list("asset_id", "pk")))
    rates: dict[str, Decimal | None] = {}
    for source, compute in cost_sources.items():
        for (kind, pk), amounts in compute(month).items():
            ci_pk = asset_ci.get(pk) if kind == "asset" else pk
            if ci_pk is None:
                continue
            for currency, amount in amounts.items():
                if currency not in rates:
                    rates[currency] = rate_on(currency, base, month_end)
                rate = rates[currency]
                if rate is None:
                    result.missing_rates.add(currency)
                    continue
                converted = amount * rate
                result.by_ci[ci_pk] = result.by_ci.get(ci_pk, Decimal(0)) + converted
                sources = result.by_source.setdefault(ci_pk, {})
                sources[source] = sources.get(source, Decimal(0)) + converted
    return result


def clean_weight_attribute(raw: str | None) -> str | None:
    """The weight attribute's name (letters, digits, underscores), None when blank; anything
    else is a 422 naming ``weight``."""
    name = (raw or "").strip()
    if not name:
        return None
    if not WEIGHT_ATTRIBUTE.match(name):
        raise ValidationFailed(
            "weight: an attribute name of letters, digits and underscores",
            fields={"weight": ["not an attribute name"]},
        )
    return name


def _minor(amount: Decimal, base: str) -> float:
    return float(amount * (Decimal(10) ** minor_digits(base)))


def _major(value: float, base: str) -> Decimal:
    scale = Decimal(10) ** minor_digits(base)
    return (Decimal(repr(value)) / scale).quantize(quantum(base))


def service_costs(
    month: dt.date,
    visible_services: QuerySet[CI],
    weight_attribute: str | None = None,
    costs_of: Callable[[dt.date], CiCosts] | None = None,
) -> dict[str, Any]:
    """The month's cost of each visible business service (highest first), plus what no
    service uses and what could not be converted. ``costs_of`` reads the CIs' costs
    (:func:`ci_monthly_costs`, or the benchmark's per-asset baseline)."""
    weight_attribute = clean_weight_attribute(weight_attribute)
    costs = (costs_of or ci_monthly_costs)(month)
    base = costs.base
    scale = Decimal(10) ** minor_digits(base)
    allocation = allocate_to_services(
        {pk: float(v * scale) for pk, v in costs.by_ci.items()}, weight_attribute
    )
    # The visible services as plain values (10,000 at 1M CIs: no model instances, no
    # 10,000-item IN list); the allocation has every current service.
    services = {
        pk: (name, criticality)
        for pk, name, criticality in plain_rows(
            visible_services.filter(ci_class__in=service_class_ids())
            .order_by()
            .values_list("pk", "name", "criticality")
        )
    }
    rows: list[dict[str, Any]] = [
        {
            "id": pk,
            "name": services[pk][0],
            "criticality": services[pk][1],
            "monthly_cost": _major(value, base),
        }
        for pk, value in allocation.by_service.items()
        if pk in services
    ]
    rows.sort(key=lambda r: (-Decimal(r["monthly_cost"]), str(r["name"])))
    return {
        "month": f"{costs.month:%Y-%m}",
        "base_currency": base,
        "weight_attribute": weight_attribute or "",
        "services": rows,
        "total_cis_cost": sum(costs.by_ci.values(), Decimal(0)).quantize(quantum(base)),
        "stranded": _major(sum(allocation.stranded.values()), base),
        "circulating": _major(allocation.circulating, base),
        "missing_rates": sorted(costs.missing_rates),
    }


def service_cost_breakdown(
    month: dt.date, service: CI, visible_cis: QuerySet[CI], weight_attribute: str | None = None
) -> dict[str, Any]:
    """One service's monthly cost by layer (CI class) and by CI, with each CI's sources."""
    weight_attribute = clean_weight_attribute(weight_attribute)
    costs = ci_monthly_costs(month)
    base = costs.base
    parts = service_breakdown(
        {pk: _minor(v, base) for pk, v in costs.by_ci.items()}, service.pk, weight_attribute
    )
    cis = {ci.pk: ci for ci in visible_cis.filter(pk__in=list(parts)).select_related("ci_class")}
    layers: dict[str, Decimal] = defaultdict(Decimal)
    rows: list[dict[str, Any]] = []
    hidden = Decimal(0)
    for pk, value in sorted(parts.items(), key=lambda item: -item[1]):
        amount = _major(value, base)
        ci = cis.get(pk)
        if ci is None:
            hidden += amount
            continue
        layer = ci.ci_class.name
        layers[layer] += amount
        share = value / _minor(costs.by_ci[pk], base) if costs.by_ci.get(pk) else 0.0
        rows.append(
            {
                "id": pk,
                "name": ci.name,
                "layer": layer,
                "amount": amount,
                "share": round(share, 6),
                "sources": {
                    k: v.quantize(quantum(base)) for k, v in costs.by_source.get(pk, {}).items()
                },
            }
        )
    total = sum((r["amount"] for r in rows), Decimal(0)) + hidden
    return {
        "month": f"{costs.month:%Y-%m}",
        "base_currency": base,
        "service": {"id": service.pk, "name": service.name},
        "monthly_cost": total,
        "by_layer": [
            {"layer": k, "amount": v} for k, v in sorted(layers.items(), key=lambda i: -i[1])
        ],
        "by_ci": rows,
        "hidden_cis_amount": hidden,
        "missing_rates": sorted(costs.missing_rates),
    }
