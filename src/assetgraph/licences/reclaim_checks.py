"""What a seat's device serves, before the seat is reclaimed (docs/both-layers.md).

Rule: reclaiming an allocation to a device (a CI, or an asset's current CI) warns when the
device has an installation of a product the entitlement licenses (its product, the members
of its suite, or with downgrade rights the older versions of its family), and business
services depend on the device (the impact engine: failing it would take them down or degrade
them). The warning names the device, the product and the services; the caller confirms.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from assetgraph.cmdb.models import CI, SoftwareInstall
from assetgraph.framework.flags import SYSTEM
from assetgraph.impact.dependents import dependent_services

from .evidence import product_facts, suite_members
from .models import Allocation


def _licensed_products(allocation: Allocation) -> set[int]:
    entitlement = allocation.entitlement
    if entitlement.product_id:
        products = {entitlement.product_id}
        if entitlement.version_rights == "downgrade":
            facts = product_facts()
            own = facts.get(entitlement.product_id)
            if own is not None and own.family_id is not None:
                products |= {
                    p.id
                    for p in facts.values()
                    if p.family_id == own.family_id and p.version_rank <= own.version_rank
                }
        return products
    return set(suite_members().get(entitlement.suite_id or 0, []))


def _device(allocation: Allocation) -> CI | None:
    if allocation.ci_id:
        return CI.objects.current().filter(pk=allocation.ci_id).first()
    if allocation.asset_id:
        return CI.objects.current().filter(asset_id=allocation.asset_id).first()
    return None


def reclaim_warnings(user: Any, allocations: Iterable[Allocation]) -> dict[int, str]:
    """``{allocation pk: warning}`` for the allocations whose device serves a business
    service with the licensed software (services named as far as ``user`` may see them;
    ``None`` is the system)."""
    out: dict[int, str] = {}
    for allocation in allocations:
        device = _device(allocation)
        if device is None:
            continue
        products = _licensed_products(allocation)
        installed = (
            SoftwareInstall.objects.filter(
                ci=device, product__licence_mapping__product_id__in=list(products)
            )
            .values_list("product__licence_mapping__product__name", flat=True)
            .first()
        )
        if installed is None:
            continue
        services = dependent_services(SYSTEM if user is None else user, device)
        if not services:
            continue
        names = ", ".join(s.ci.name for s in services[:5])
        more = f" and {len(services) - 5} more" if len(services) > 5 else ""
        out[allocation.pk] = f"{device.name} runs {installed}, and {names}{more} depend on it"
    return out
