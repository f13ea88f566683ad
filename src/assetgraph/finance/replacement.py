"""Replacement planning: when each asset is due, what it will cost, and how urgent it is
(docs/finance.md, "Replacement planning").

- **Due date.** The asset's replacement policy (its model's when that sets a trigger, else
  its category's) names the triggers; the asset is due at the earliest of them: its
  purchase date + ``replace_after_years``, its warranty end (``at_warranty_end``), its
  end-of-life date (``at_end_of_life``). With no policy: the end of its useful life in the
  book (depreciation start + the book profile's life) or its end-of-life date, whichever is
  first — the rule of the "replacement due" flag.
- **Price.** The model policy's replacement price, else the category policy's, else the
  asset's original cost (like for like), in that amount's currency.
- **Priority.** The most critical tier (1 highest) among the business services whose
  dependency path includes the asset's CI (the graph answers it); none for hardware no
  service needs. Items sort by priority, then due date.
- **Forecast.** The next ``quarters`` fiscal quarters from the one containing ``on``: per
  quarter, the count and budget of assets falling due in it; assets already overdue are
  counted in the first quarter. Budgets convert to the base currency at the rate in force on
  ``on``; a currency with no rate is named, its prices left out of the converted budget.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import QuerySet

from assetgraph.assets.choices import AssetStateChoices
from assetgraph.assets.models import Asset, add_months

from . import conf
from .books import ProfileIndex, depreciation_start
from .choices import BookChoices
from .depreciation import calendar as cal
from .models import ReplacementPolicy
from .money import quantum, rate_on

ZERO = Decimal(0)


class PolicyIndex:
    """Every replacement policy, by model and by category, loaded once."""

    def __init__(self) -> None:
        self.by_model: dict[int, ReplacementPolicy] = {}
        self.by_category: dict[int, ReplacementPolicy] = {}
        for policy in ReplacementPolicy.objects.all():
            if policy.asset_model_id is not None:
                self.by_model[policy.asset_model_id] = policy
            elif policy.category_id is not None:
                self.by_category[policy.category_id] = policy

    def triggers(self, asset: Asset) -> ReplacementPolicy | None:
        own = self.by_model.get(asset.model_id)
        if own is not None and own.has_trigger:
            return own
        return self.by_category.get(asset.model.category_id)

    def price(self, asset: Asset) -> tuple[Decimal | None, str, str]:
        """``(price, currency, source)``: the model's, the category's, else the cost."""
        for policy, source in (
            (self.by_model.get(asset.model_id), "model price"),
            (self.by_category.get(asset.model.category_id), "category price"),
        ):
            if policy is not None and policy.replacement_price is not None:
                return policy.replacement_price, policy.currency, source
        return asset.cost, asset.currency, "original cost"


def due_date(
    asset: Asset, policies: PolicyIndex, profiles: ProfileIndex
) -> tuple[dt.date, str] | None:
    """When ``asset`` is due for replacement and why (None: no rule gives a date)."""
    candidates: list[tuple[dt.date, str]] = []
    policy = policies.triggers(asset)
    if policy is not None:
        if policy.replace_after_years and asset.purchase_date:
            candidates.append(
                (
                    add_months(asset.purchase_date, 12 * policy.replace_after_years),
                    f"{policy.replace_after_years} years old",
                )
            )
        if policy.at_warranty_end and asset.warranty_end:
            candidates.append((asset.warranty_end, "warranty ends"))
        if policy.at_end_of_life and asset.eol_date:
            candidates.append((asset.eol_date, "end of life"))
    else:
        profile = profiles.profile_for(asset)
        if profile is not None:
            start = depreciation_start(asset, profile, profiles.overrides.get(asset.pk))
            if start is not None:
                end = add_months(start, 12 * profile.life_years)
                candidates.append((end, f"useful life of {profile.life_years} years ends"))
        if asset.eol_date is not None:
            candidates.append((asset.eol_date, "end of life"))
    return min(candidates) if candidates else None


@dataclass(frozen=True)
class Quarter:
    label: str
    start: dt.date
    end: dt.date


def quarters_from(on: dt.date, count: int) -> list[Quarter]:
    """``count`` fiscal quarters from the one containing ``on`` (labelled ``FY2027 Q1``)."""
    start_month = conf.fiscal_year_start_month()
    ordinal = cal.month_ordinal(on)
    first = cal.fiscal_year_start(ordinal, start_month)
    first += 3 * ((ordinal - first) // 3)
    out: list[Quarter] = []
    for index in range(count):
        begin = first + 3 * index
        label = (
            f"FY{cal.fiscal_year_label(begin, start_month)} "
            f"Q{cal.fiscal_quarter(begin, start_month)}"
        )
        out.append(Quarter(label, cal.month_start(begin), cal.month_end(begin + 2)))
    return out


def _service_priorities(ci_pks: Iterable[int]) -> dict[int, tuple[int | None, list[str]]]:
    """For each CI: the most critical tier of the services that need it, and their names."""
    from assetgraph.cmdb.context import service_class_ids
    from assetgraph.cmdb.models import CI
    from assetgraph.impact.costs import needed_by

    wanted = set(ci_pks)
    if not wanted:
        return {}
    services = {
        pk: (name, criticality)
        for pk, name, criticality in CI.objects.current()
        .filter(ci_class__in=service_class_ids())
        .values_list("pk", "name", "criticality")
    }
    found: dict[int, list[tuple[int | None, str]]] = defaultdict(list)
    for service_pk, cis in needed_by(services).items():
        name, criticality = services[service_pk]
        for ci_pk in cis & wanted:
            found[ci_pk].append((criticality, name))
    out: dict[int, tuple[int | None, list[str]]] = {}
    for ci_pk, needs in found.items():
        tiers = [tier for tier, _ in needs if tier is not None]
        out[ci_pk] = (min(tiers) if tiers else None, sorted({name for _, name in needs}))
    return out


@dataclass
class _Bucket:
    count: int = 0
    budget: Decimal = ZERO
    by_currency: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))


def forecast(
    assets: QuerySet[Asset], on: dt.date, quarters: int = 12, base: str | None = None
) -> dict[str, Any]:
    """The replacement forecast of ``assets`` (already restricted to what the caller may
    see) for ``quarters`` fiscal quarters from ``on``."""
    base = (base or conf.base_currency()).upper()
    periods = quarters_from(on, quarters)
    horizon = periods[-1].end
    candidates = list(
        assets.exclude(state=AssetStateChoices.RETIRED)
        .filter(disposal__isnull=True)
        .select_related("model__category", "ci")
        .order_by("asset_tag")
    )
    policies = PolicyIndex()
    profiles = ProfileIndex(BookChoices.BOOK, [a.pk for a in candidates])
    due: list[tuple[Asset, dt.date, str]] = []
    for asset in candidates:
        found = due_date(asset, policies, profiles)
        if found is not None and found[0] <= horizon:
            due.append((asset, *found))
    ci_of = {a.pk: a.ci.pk for a, _, _ in due if getattr(a, "ci", None) is not None}
    priorities = _service_priorities(ci_of.values())
    rates: dict[str, Decimal | None] = {}
    missing: set[str] = set()
    buckets = {q.label: _Bucket() for q in periods}
    items: list[dict[str, Any]] = []
    for asset, date, reason in due:
        quarter = next((q for q in periods if q.start <= date <= q.end), periods[0])
        price, currency, source = policies.price(asset)
        priority, services = priorities.get(ci_of.get(asset.pk, -1), (None, []))
        bucket = buckets[quarter.label]
        bucket.count += 1
        amount = price if price is not None else ZERO
        if price is not None and currency:
            bucket.by_currency[currency] += amount
            if currency not in rates:
                rates[currency] = rate_on(currency, base, on)
            rate = rates[currency]
            if rate is None:
                missing.add(currency)
            else:
                bucket.budget += (amount * rate).quantize(quantum(base), rounding=ROUND_HALF_UP)
        items.append(
            {
                "asset_id": asset.pk,
                "asset_tag": asset.asset_tag,
                "name": str(asset),
                "category": str(asset.model.category),
                "model": str(asset.model),
                "due": date,
                "reason": reason,
                "quarter": quarter.label,
                "overdue": date < periods[0].start,
                "price": amount,
                "currency": currency or "",
                "price_source": source,
                "services": services,
                "priority": priority,
            }
        )
    items.sort(key=lambda i: (i["priority"] or 99, i["due"], i["asset_tag"]))
    rows = [
        {
            "quarter": q.label,
            "start": q.start,
            "end": q.end,
            "count": buckets[q.label].count,
            "budget": buckets[q.label].budget,
            "budget_by_currency": dict(sorted(buckets[q.label].by_currency.items())),
        }
        for q in periods
    ]
    return {
        "on": on,
        "quarters": rows,
        "items": items,
        "base_currency": base,
        "total_count": len(items),
        "total_budget": sum((b.budget for b in buckets.values()), ZERO),
        "missing_rates": sorted(missing),
    }
