"""Who may read costs, and the assets a caller's finance reports cover."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from assetgraph.accounts.permissions import has_perm, restrict
from assetgraph.assets.models import Asset
from assetgraph.core.errors import PermissionDenied

COST_TYPE = "assets.asset"
COST_ACTION = "view_cost"


def may_view_costs(user: Any) -> bool:
    """Costs, book values and journals need ``view_cost`` on assets, as asset costs do."""
    return has_perm(user, COST_TYPE, COST_ACTION)


def require_costs(user: Any) -> None:
    """Refuse (403) a caller who may not see costs; the assets themselves stay 404 if hidden."""
    if not may_view_costs(user):
        raise PermissionDenied("you may not view costs (view_cost on assets)")


def visible_assets(user: Any | None) -> QuerySet[Asset]:
    """The assets whose costs the caller may read (the CLI's system actor: every one)."""
    base = Asset.objects.all()
    if user is None:
        return base
    return restrict(restrict(base, user, "view"), user, COST_ACTION)
