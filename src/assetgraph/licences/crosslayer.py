"""Cross-layer report: business services running unlicensed or under-licensed software, with
the true-up cost (docs/both-layers.md).

Rules:

- **services**: current business services of tier ``max_tier`` or better (all tiers by
  default), visible to the caller;
- **their CIs**: every CI the service needs transitively (the impact engine's dependency path,
  :func:`assetgraph.impact.costs.needed_by`), the service itself included;
- a CI **runs unlicensed software** by the ``unlicensed_software`` flag's rule
  (:mod:`assetgraph.licences.flags`): an installation of a product whose position is
  unlicensed for it or under-licensed in a scope that contains it;
- the **true-up cost** of a product is its position's true-up cost (shortfall x unit price of
  its under-licensed rows; unknown for unpriced or purely unlicensed products). A service's
  true-up is the sum over the distinct products found under it (making the product compliant
  fixes every service that runs it, so the cost is not split); the report's total counts each
  product once. Amounts need ``view_cost`` on entitlements; the rows need ``view``.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from assetgraph.accounts.permissions import has_perm, restrict
from assetgraph.cmdb.context import service_class_ids
from assetgraph.cmdb.models import CI
from assetgraph.core.errors import PermissionDenied
from assetgraph.impact.costs import needed_by

from .flags import Finding, unlicensed_findings


def unlicensed_services(user: Any, *, max_tier: int = 4) -> dict[str, Any]:
    """The report as a JSON-ready dict (see the module docstring)."""
    if not has_perm(user, "licences.entitlement", "view"):
        raise PermissionDenied("you may not view entitlements")
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
    for service in services:
        needs.setdefault(service.pk, set()).add(service.pk)
    everything = set().union(*needs.values()) if needs else set()
    findings = unlicensed_findings(user, sorted(everything))
    by_ci: dict[int, list[Finding]] = defaultdict(list)
    for item in findings:
        by_ci[item.ci].append(item)
    names = dict(CI.objects.filter(pk__in=list(by_ci)).values_list("pk", "name"))
    rows = []
    counted: dict[int, Finding] = {}
    for service in services:
        products: dict[int, dict[str, Any]] = {}
        for pk in sorted(needs.get(service.pk, ())):
            for item in by_ci.get(pk, ()):
                entry = products.setdefault(
                    item.product_id,
                    {
                        "product": {"id": item.product_id, "display": item.product},
                        "true_up_cost": _money(item),
                        "cis": [],
                    },
                )
                entry["cis"].append({"id": pk, "display": names.get(pk, ""), "why": item.why})
                counted[item.product_id] = item
        if not products:
            continue
        rows.append(
            {
                "service": {"id": service.pk, "display": service.name},
                "criticality": service.criticality,
                "products": sorted(products.values(), key=lambda p: p["product"]["display"]),
                "true_up_cost": _total(item for pid, item in counted.items() if pid in products),
            }
        )
    return {
        "max_tier": max_tier,
        "services": rows,
        "total_true_up_cost": _total(counted.values()),
    }


def _money(item: Finding) -> dict[str, str] | None:
    if item.true_up_cost is None:
        return None
    return {"amount": str(item.true_up_cost), "currency": item.currency}


def _total(items: Any) -> list[dict[str, str]]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for item in items:
        if item.true_up_cost is not None:
            totals[item.currency] += item.true_up_cost
    return [{"amount": str(v), "currency": c} for c, v in sorted(totals.items())]


EXPORT_COLUMNS = [
    ("service", lambda r: r["service"]),
    ("tier", lambda r: r["tier"]),
    ("product", lambda r: r["product"]),
    ("ci", lambda r: r["ci"]),
    ("why", lambda r: r["why"]),
    ("product_true_up_cost", lambda r: r["cost"]),
    ("currency", lambda r: r["currency"]),
]


def export_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per (service, product, CI) for CSV/XLSX."""
    rows = []
    for service in report["services"]:
        for product in service["products"]:
            cost = product["true_up_cost"]
            for ci in product["cis"]:
                rows.append(
                    {
                        "service": service["service"]["display"],
                        "tier": service["criticality"],
                        "product": product["product"]["display"],
                        "ci": ci["display"],
                        "why": ci["why"],
                        "cost": cost["amount"] if cost else "",
                        "currency": cost["currency"] if cost else "",
                    }
                )
    return rows
