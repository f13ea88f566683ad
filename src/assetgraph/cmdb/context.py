"""One record, two halves: the business context of a CI and the CI of an asset.

A hardware CI links 1:1 to its asset. The CI page shows what ITAM knows (custodian, lifecycle
state, warranty, end of life, cost for those allowed); the asset page shows what the CMDB
knows (its CI, relationships, and the business services that depend on it). Nothing is
copied between the two: both read through the link, every read permission-checked.

"Depends on it" is reachability along impact edges (who would be affected if it failed),
walked in the database one level at a time with two indexed queries per level; redundancy-
aware impact is the graph engine's job (``assetgraph.impact``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from assetgraph.accounts.permissions import has_perm, restrict
from assetgraph.assets.models import Asset
from assetgraph.ui.generic import link

from .choices import ClassSlug, ImpactDirectionChoices
from .models import CI, Relationship, semantic_class_ids
from .querysets import visible_relationships

MAX_DEPTH = 12
MAX_AFFECTED = 5000


def visible_asset(request: HttpRequest | None, asset: Asset | None) -> Asset | None:
    """The asset if the caller may view it, else None (a hidden asset is absent)."""
    if asset is None or request is None:
        return None
    user = request.user
    if not has_perm(user, "assets.asset", "view"):
        return None
    if restrict(Asset.objects.filter(pk=asset.pk), user, "view").exists():
        return asset
    return None


def dependents(
    ci_ids: list[int], max_depth: int = MAX_DEPTH, limit: int = MAX_AFFECTED
) -> dict[int, int]:
    """CIs that would be affected if ``ci_ids`` failed, with their distance (current links)."""
    depth_of: dict[int, int] = {}
    seen = set(ci_ids)
    frontier = set(ci_ids)
    current = Relationship.objects.filter(valid_to__isnull=True)
    for depth in range(1, max_depth + 1):
        if not frontier or len(depth_of) >= limit:
            break
        ids = list(frontier)
        upward = set(
            current.filter(
                target_id__in=ids, type__impact_direction=ImpactDirectionChoices.REVERSE
            ).values_list("source_id", flat=True)
        ) | set(
            current.filter(
                source_id__in=ids, type__impact_direction=ImpactDirectionChoices.FORWARD
            ).values_list("target_id", flat=True)
        )
        frontier = upward - seen
        seen |= frontier
        for ci_id in frontier:
            depth_of[ci_id] = depth
    return depth_of


def service_class_ids() -> list[int]:
    """The Business Service class (by its built-in slug) and every class below it."""
    return semantic_class_ids(ClassSlug.BUSINESS_SERVICE)


@dataclass(frozen=True)
class DependentService:
    """A business service that depends (directly or not) on a CI."""

    ci: CI
    depth: int


def dependent_services(request: HttpRequest, ci: CI) -> list[DependentService]:
    """Visible, current business services that would be affected if ``ci`` failed."""
    depth_of = dependents([ci.pk])
    if not depth_of:
        return []
    services = restrict(
        CI.objects.filter(
            pk__in=list(depth_of), valid_to__isnull=True, ci_class_id__in=service_class_ids()
        ),
        request.user,
        "view",
    ).select_related("ci_class")
    return sorted(
        (DependentService(s, depth_of[s.pk]) for s in services), key=lambda d: (d.depth, d.ci.name)
    )


def business_context(request: HttpRequest, ci: CI) -> dict[str, Any] | None:
    """The ITAM facts about a CI's asset, as far as the caller may see them."""
    asset = visible_asset(request, ci.asset)
    if asset is None:
        return None
    today = timezone.localdate()
    custodian = asset.custodian
    return {
        "asset": {"id": asset.pk, "display": str(asset)},
        "asset_tag": asset.asset_tag,
        "custodian": {"id": custodian.pk, "display": str(custodian)} if custodian else None,
        "state": asset.state,
        "substate": asset.substate,
        "warranty_end": asset.warranty_end,
        "warranty_expired": bool(asset.warranty_end and asset.warranty_end < today),
        "eol_date": asset.eol_date,
        "past_end_of_life": bool(asset.eol_date and asset.eol_date < today),
        "cost": asset.cost if has_perm(request.user, "assets.asset", "view_cost") else None,
        "currency": asset.currency if has_perm(request.user, "assets.asset", "view_cost") else None,
    }


def ci_business_section(request: HttpRequest, ci: CI) -> dict[str, Any] | None:
    """The "Business context" section of the CI page (registered in ``CmdbConfig.ready``)."""
    context = business_context(request, ci)
    if context is None:
        return None
    asset = ci.asset
    warranty = context["warranty_end"]
    warranty_text = f"{warranty} (expired)" if context["warranty_expired"] else (warranty or "")
    eol = context["eol_date"]
    fields = [
        ("Asset", link(asset, "ui:assets:asset_detail")),
        ("Custodian", link(asset.custodian if asset else None, "ui:org:person_detail")),
        ("Lifecycle", f"{context['state']} / {context['substate']}".rstrip(" /")),
        ("Warranty end", warranty_text),
        ("End of life", f"{eol} (passed)" if context["past_end_of_life"] else (eol or "")),
    ]
    if context["cost"] is not None:
        fields.append(("Cost", f"{context['cost']:,.2f} {context['currency']}"))
    return {"title": "Business context (from the asset)", "fields": fields}


def visible_ci(request: HttpRequest, asset: Asset) -> CI | None:
    """The asset's CI if the caller may view it, else None (a hidden CI is absent)."""
    ci = getattr(asset, "ci", None)
    if ci is None or not restrict(CI.objects.filter(pk=ci.pk), request.user, "view").exists():
        return None
    return ci


def asset_ci_section(request: HttpRequest, asset: Asset) -> dict[str, Any] | None:
    """The "Configuration item" section of the asset page (registered in ``CmdbConfig.ready``)."""
    ci = visible_ci(request, asset)
    if ci is None:
        return None
    # Counted through the permission check: links to CIs the caller cannot see do not show.
    links = visible_relationships(request.user)
    outgoing = links.filter(source=ci).count()
    incoming = links.filter(target=ci).count()
    services = dependent_services(request, ci)
    return {
        "title": "Configuration item",
        "fields": [
            ("CI", link(ci, "ui:cmdb:ci_detail")),
            ("Class", str(ci.ci_class)),
            ("Status", ci.get_operational_status_display()),
            ("Relationships", f"{outgoing} outgoing, {incoming} incoming"),
        ],
        "headers": ["Business service that depends on it", "Criticality", "Hops"],
        "rows": [
            [link(s.ci, "ui:cmdb:ci_detail"), f"tier {s.ci.criticality}", s.depth] for s in services
        ],
    }


def asset_ci_summary(request: HttpRequest, asset: Asset) -> dict[str, Any] | None:
    """The API form of :func:`asset_ci_section`."""
    ci = visible_ci(request, asset)
    if ci is None:
        return None
    return {
        "ci": {"id": ci.pk, "display": str(ci)},
        "ci_class": str(ci.ci_class),
        "operational_status": ci.operational_status,
        "services": [
            {"id": s.ci.pk, "display": str(s.ci), "criticality": s.ci.criticality, "depth": s.depth}
            for s in dependent_services(request, ci)
        ],
    }


__all__ = [
    "asset_ci_section",
    "asset_ci_summary",
    "business_context",
    "ci_business_section",
    "dependents",
]
