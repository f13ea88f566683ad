"""One record, two halves: the business context of a CI and the CI of an asset.

A hardware CI links 1:1 to its asset. The CI page shows what ITAM knows (custodian, lifecycle
state, warranty, end of life, cost for those allowed); the asset page shows what the CMDB
knows (its CI, relationships, and the business services that depend on it). Nothing is
copied between the two: both read through the link, every read permission-checked.

Which business services depend on a CI is a graph question: the impact app answers it with
the engine (``assetgraph.impact.dependents``) and adds it to the asset page and the API.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from assetgraph.accounts.permissions import has_perm, restrict
from assetgraph.assets.models import Asset
from assetgraph.framework.flags import book_values, business_flags
from assetgraph.ui.generic import link

from .choices import ClassSlug
from .models import CI, semantic_class_ids


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


def service_class_ids() -> list[int]:
    """The Business Service class (by its built-in slug) and every class below it."""
    return semantic_class_ids(ClassSlug.BUSINESS_SERVICE)


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
    """The "Business context" section of the CI page (declared in ``resources.py``)."""
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


def ci_flags_section(request: HttpRequest, ci: CI) -> dict[str, Any] | None:
    """The "Business flags" section of the CI page: every declared flag of this CI (warranty,
    support, licences, replacement, decommissioning…), each linking to its evidence, and the
    net book value of its hardware for those who may see costs."""
    flags = business_flags(request.user, [ci.pk]).get(ci.pk, [])
    value = book_values(request.user, [ci.pk]).get(ci.pk)
    if not flags and value is None:
        return None
    fields: list[tuple[str, Any]] = []
    if value is not None:
        fields.append(("Net book value", f"{value.amount:,.2f} {value.currency}"))
    return {
        "title": "Business flags",
        "fields": fields,
        "headers": ["Flag", "Evidence"],
        "rows": [
            [f.label, {"text": f.detail, "url": f.evidence} if f.evidence else f.detail]
            for f in flags
        ],
    }


def visible_ci(request: HttpRequest, asset: Asset) -> CI | None:
    """The asset's CI if the caller may view it, else None (a hidden CI is absent)."""
    ci: CI | None = getattr(asset, "ci", None)
    if ci is None or not restrict(CI.objects.filter(pk=ci.pk), request.user, "view").exists():
        return None
    return ci


__all__ = [
    "business_context",
    "ci_business_section",
    "ci_flags_section",
    "service_class_ids",
    "visible_ci",
]
