"""Reads of physical audits shared by the API, the UI and the CLI."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from assetgraph.accounts.permissions import restrict, restrict_related, sees_all

from .choices import AuditResultChoices
from .models import Asset, AuditCampaign, AuditItem

RESULTS = [choice.value for choice in AuditResultChoices]


def with_counts(campaigns: QuerySet[AuditCampaign], user: Any = None) -> QuerySet[AuditCampaign]:
    """Annotate each campaign with how many items it has per result (one grouped query).

    With ``user``, only the items they may see count (as :func:`items_of` lists them): the
    numbers would otherwise say how many out-of-scope assets a campaign holds.
    """
    visible = Q()
    if user is not None and not sees_all(user, Asset):
        visible = Q(items__asset__isnull=True) | Q(
            items__asset__in=restrict(Asset.objects.all(), user, "view")
        )
    annotations: dict[str, Any] = {
        f"n_{result}": Count("items", filter=Q(items__result=result) & visible)
        for result in RESULTS
    }
    annotations["n_expected"] = Count("items", filter=Q(items__expected=True) & visible)
    return campaigns.select_related("location").annotate(**annotations)


def attach_counts(campaign: AuditCampaign) -> AuditCampaign:
    """Set ``result_counts`` from the annotations (or with one query when not annotated)."""
    if hasattr(campaign, "n_found"):
        counts = {r: getattr(campaign, f"n_{r}") for r in RESULTS}
        counts["expected"] = campaign.n_expected  # type: ignore[attr-defined]
    else:
        counts = dict.fromkeys(RESULTS, 0)
        for result, n in (
            campaign.items.order_by()
            .values_list("result")
            .annotate(n=Count("pk"))
            .values_list("result", "n")
        ):
            counts[result] = n
        counts["expected"] = campaign.items.filter(expected=True).count()
    campaign.result_counts = counts  # type: ignore[attr-defined]
    return campaign


def campaigns_for(user: Any, action: str = "view") -> QuerySet[AuditCampaign]:
    """Campaigns the user may see, with their counts."""
    return with_counts(restrict(AuditCampaign.objects.all(), user, action), user)


def items_of(
    campaign: AuditCampaign, result: str | None = None, *, user: Any = None
) -> QuerySet[AuditItem]:
    """A campaign's items (optionally of one result), with what the tables show.

    With ``user``, only items about assets the user may view (and scanned tags that matched no
    asset): a campaign at a location the user may see can still hold assets outside their
    constraint, and those stay hidden here as everywhere else. ``None`` is the system's view.
    """
    items = campaign.items.select_related("asset__model", "registered_location")
    if user is not None:
        items = restrict_related(items, "asset", Asset, user, keep_null=True)
    return items.filter(result=result) if result else items
