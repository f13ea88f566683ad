"""Cross-layer report: business services running on hardware that is out of support, past end
of life, or due for replacement, with the replacement budget (docs/both-layers.md).

Rules, on the day ``on`` (today):

- **services**: current business services (the Business Service class and below) of tier
  ``max_tier`` or better (tier 1 by default), visible to the caller;
- **their hardware**: every CI the service needs transitively (the impact engine's dependency
  path, :func:`assetgraph.impact.costs.needed_by`) that has an asset;
- a hardware CI is **at risk** when it carries one of the business flags
  ``no_support_contract``, ``past_end_of_life`` or ``replacement_due`` (the last with the
  notice period replaced by ``months``: its replacement date is on or before ``on`` +
  ``months``). The flags' rules are the ones every technical view uses
  (:mod:`assetgraph.finance.flags`, :mod:`assetgraph.cmdb.flags`);
- the **replacement budget** of an at-risk asset is its original cost (like for like); a
  service's budget is the sum over its distinct at-risk assets; the report's total counts each
  asset once, however many services need it (amounts per currency, no conversion: costs are
  the asset's own).

Budgets and the replacement flag need ``view_cost`` on assets (without it they are left out);
the other flags need what each flag needs (docs/both-layers.md).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from assetgraph.accounts.permissions import restrict
from assetgraph.cmdb.context import service_class_ids
from assetgraph.cmdb.models import CI
from assetgraph.framework.flags import BusinessFlag, business_flags
from assetgraph.impact.costs import needed_by

from .access import may_view_costs
from .flags import replacements

RISK_KINDS = ("no_support_contract", "past_end_of_life")


@dataclass
class AtRisk:
    """One at-risk hardware CI under a service."""

    ci: CI
    asset_tag: str
    flags: list[BusinessFlag]
    replacement_date: dt.date | None
    budget: Decimal | None
    currency: str


@dataclass
class ServiceRisk:
    service: CI
    hardware: list[AtRisk] = field(default_factory=list)

    @property
    def budget(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = defaultdict(Decimal)
        for item in self.hardware:
            if item.budget is not None:
                out[item.currency] += item.budget
        return dict(out)


def hardware_risk(
    user: Any, *, months: int = 12, max_tier: int = 1, on: dt.date | None = None
) -> dict[str, Any]:
    """The report as a JSON-ready dict (see the module docstring); without ``view_cost`` the
    budgets and the replacement flag (which rests on costs) are left out."""
    on = on or timezone.localdate()
    costs = may_view_costs(user)
    services = list(
        restrict(
            CI.objects.current().filter(
                ci_class__in=service_class_ids(), criticality__lte=max_tier
            ),
            user,
            "view",
        ).order_by("criticality", "name")
    )
    needs = needed_by([s.pk for s in services])
    hardware_pks = set().union(*needs.values()) if needs else set()
    hardware = {
        ci.pk: ci
        for ci in restrict(
            CI.objects.current().filter(pk__in=list(hardware_pks), asset__isnull=False),
            user,
            "view",
        ).select_related("asset", "ci_class")
    }
    flags = business_flags(user, list(hardware), on, kinds=RISK_KINDS)
    due = {r.ci: r for r in replacements(user, list(hardware), on, months)}
    at_risk: dict[int, AtRisk] = {}
    for pk, ci in hardware.items():
        found = list(flags.get(pk, []))
        replacement = due.get(pk)
        if replacement is not None:
            found.append(
                BusinessFlag(
                    "replacement_due",
                    "Due for replacement",
                    f"replacement date {replacement.date.isoformat()} ({replacement.reason})",
                    f"/assets/assets/{ci.asset_id}/",
                )
            )
        if not found:
            continue
        asset = ci.asset
        at_risk[pk] = AtRisk(
            ci,
            asset.asset_tag if asset else "",
            found,
            replacement.date if replacement else None,
            asset.cost if asset and costs else None,
            asset.currency if asset else "",
        )
    rows = []
    listed: set[int] = set()
    for service in services:
        hardware_at_risk = [at_risk[pk] for pk in needs.get(service.pk, ()) if pk in at_risk]
        if hardware_at_risk:
            rows.append(ServiceRisk(service, sorted(hardware_at_risk, key=lambda i: i.ci.name)))
            listed.update(item.ci.pk for item in hardware_at_risk)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for pk in listed:  # each asset once, however many services need it
        item = at_risk[pk]
        if item.budget is not None:
            totals[item.currency] += item.budget
    return {
        "on": on,
        "months": months,
        "max_tier": max_tier,
        "services": [_service_dict(r) for r in rows],
        "total_budget": [{"amount": str(v), "currency": c} for c, v in sorted(totals.items())],
    }


def _service_dict(risk: ServiceRisk) -> dict[str, Any]:
    return {
        "service": {"id": risk.service.pk, "display": risk.service.name},
        "criticality": risk.service.criticality,
        "hardware": [
            {
                "ci": {"id": item.ci.pk, "display": item.ci.name},
                "ci_class": str(item.ci.ci_class),
                "asset_tag": item.asset_tag,
                "flags": [f.as_dict() for f in item.flags],
                "replacement_date": item.replacement_date,
                "budget": None
                if item.budget is None
                else {"amount": str(item.budget), "currency": item.currency},
            }
            for item in risk.hardware
        ],
        "budget": [{"amount": str(v), "currency": c} for c, v in sorted(risk.budget.items())],
    }


EXPORT_COLUMNS = [
    ("service", lambda r: r["service"]),
    ("tier", lambda r: r["tier"]),
    ("ci", lambda r: r["ci"]),
    ("class", lambda r: r["ci_class"]),
    ("asset_tag", lambda r: r["asset_tag"]),
    ("flags", lambda r: r["flags"]),
    ("replacement_date", lambda r: r["replacement_date"]),
    ("budget", lambda r: r["budget"]),
    ("currency", lambda r: r["currency"]),
]


def export_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per (service, hardware CI) for CSV/XLSX."""
    rows = []
    for service in report["services"]:
        for item in service["hardware"]:
            budget = item["budget"]
            rows.append(
                {
                    "service": service["service"]["display"],
                    "tier": service["criticality"],
                    "ci": item["ci"]["display"],
                    "ci_class": item["ci_class"],
                    "asset_tag": item["asset_tag"],
                    "flags": "; ".join(f["label"] for f in item["flags"]),
                    "replacement_date": item["replacement_date"],
                    "budget": budget["amount"] if budget else "",
                    "currency": budget["currency"] if budget else "",
                }
            )
    return rows
