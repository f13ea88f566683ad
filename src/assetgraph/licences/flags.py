"""The licences app's business flag for the technical views (declared in ``resources.py``).

Rule (docs/both-layers.md): a CI is flagged ``unlicensed_software`` when it has an
installation of a licensable product (a catalogue entry mapped to the product) and the
compliance position of that product, over the entitlements the caller may see, has

- an **unlicensed** row and the CI lies outside the scope of every right of the product
  (a right with organisation scope covers every device); or
- an **under-licensed** row (consumption above what is available) whose scope contains the
  CI (organisation scope contains every CI; a location scope the CIs at or below it, by
  their own or their asset's location; a department scope those its team owns or whose asset's
  custodian belongs to it).

The flag links to the product's position page. One position computation for the products
installed on the given CIs, a few queries per 900 CIs; the caller needs ``view`` on
entitlements (the position is evidence only they may read).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.urls import reverse

from assetgraph.accounts.permissions import has_perm
from assetgraph.cmdb.flags import visible_ci_ids
from assetgraph.cmdb.models import CI, SoftwareInstall
from assetgraph.framework.flags import BusinessFlag, FlagSource, chunked

from .choices import StatusChoices
from .evidence import compute, device_scope, location_paths
from .position import ORG
from .reads import may_see_cost, visible_entitlements

Flags = dict[int, list[BusinessFlag]]


def _installed(user: Any, pks: Sequence[int]) -> dict[int, dict[int, str]]:
    """``{product id: {ci pk: product name}}`` of licensable installations on visible CIs."""
    out: dict[int, dict[int, str]] = defaultdict(dict)
    for chunk in chunked(visible_ci_ids(user, pks)):  # read once per business_flags call
        rows = SoftwareInstall.objects.filter(
            ci_id__in=chunk, product__licence_mapping__isnull=False
        ).values_list(
            "ci_id",
            "product__licence_mapping__product_id",
            "product__licence_mapping__product__name",
        )
        for ci, product, name in rows:
            out[product][ci] = name
    return out


def _inside(cis: set[int], scopes: set[str]) -> set[int]:
    """The CIs among ``cis`` inside any of ``scopes``."""
    if ORG in scopes:
        return set(cis)
    paths = location_paths()
    condition = Q()
    for scope in scopes:
        condition |= device_scope(scope, paths, via="")
    inside: set[int] = set()
    for chunk in chunked(sorted(cis)):
        inside.update(
            CI.objects.filter(condition, pk__in=chunk).values_list("pk", flat=True).distinct()
        )
    return inside


@dataclass(frozen=True)
class Finding:
    """A CI running a licensable product it is not (fully) licensed for."""

    ci: int
    product_id: int
    product: str
    why: str
    true_up_cost: Decimal | None
    currency: str


def unlicensed_findings(user: Any, pks: Sequence[int]) -> list[Finding]:
    """The rule of the module docstring for the CIs ``pks`` (``true_up_cost``: the product's
    under-licensed rows' true-up cost, None when unpriced or hidden from the caller)."""
    if not has_perm(user, "licences.entitlement", "view"):
        return []
    installed = _installed(user, pks)
    if not installed:
        return []
    position = compute(visible_entitlements(user), product_ids=set(installed))
    if not may_see_cost(user):
        position.rows = [dataclasses.replace(r, true_up_cost=None) for r in position.rows]
    by_product: dict[int, list[Any]] = defaultdict(list)
    for row in position.rows:
        by_product[row.product_id].append(row)
    out: list[Finding] = []
    for product, cis_names in installed.items():
        rows = by_product.get(product, [])
        cis = set(cis_names)
        flagged: dict[int, str] = {}
        rights = {r.scope for r in rows if r.entitlement_ids}
        if any(r.status == StatusChoices.UNLICENSED for r in rows):
            for ci in cis - _inside(cis, rights):
                flagged[ci] = "no right of the product covers this device"
        for row in rows:
            if row.status != StatusChoices.UNDER:
                continue
            for ci in _inside(cis, {row.scope}):
                flagged.setdefault(
                    ci,
                    f"under-licensed: {row.consumed} {row.metric} used, "
                    f"{row.available} available ({row.scope_label or row.scope})",
                )
        priced = [r.true_up_cost for r in rows if r.true_up_cost is not None]
        cost = sum(priced, Decimal(0)) if priced else None
        currency = next((r.currency for r in rows if r.true_up_cost is not None), "")
        for ci, why in flagged.items():
            out.append(Finding(ci, product, cis_names[ci], why, cost, currency))
    return out


def unlicensed_software(user: Any, pks: Sequence[int], on: dt.date) -> Flags:
    out: Flags = {}
    for item in unlicensed_findings(user, pks):
        out.setdefault(item.ci, []).append(
            BusinessFlag(
                "unlicensed_software",
                "Unlicensed software",
                f"{item.product}: {item.why}",
                reverse("ui:licences:product_position", args=[item.product_id]),
            )
        )
    return out


FLAG_SOURCES = [
    FlagSource(
        "unlicensed_software",
        "Unlicensed software",
        "The CI runs a licensable product whose position is unlicensed for this device or "
        "under-licensed in a scope that contains it.",
        unlicensed_software,
        order=40,
    )
]
