"""Reports of the stock app: repairs per model (the models that fail most)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count

from assetgraph.accounts.permissions import restrict
from assetgraph.assets.models import Asset, AssetModel

from .choices import MaintenanceKindChoices as Kind
from .models import MaintenanceRecord

REPAIR_KINDS = (Kind.REPAIR, Kind.WARRANTY_CLAIM)


@dataclass
class ModelRepairs:
    """Repairs of one model: how many assets it has, how many repairs and repaired assets,
    the share of its assets repaired at least once, and the repair spend per currency
    (warranty-covered work excluded)."""

    model: AssetModel
    assets: int
    repairs: int = 0
    assets_repaired: int = 0
    costs: dict[str, Decimal] = field(default_factory=dict)

    @property
    def repair_rate(self) -> float:
        return round(self.assets_repaired / self.assets, 4) if self.assets else 0.0


def repairs_per_model(user: Any = None) -> list[ModelRepairs]:
    """Models with at least one repair or warranty claim, most-repaired share first.

    Counts only assets the user may view (all for ``None``)."""
    assets = Asset.objects.all()
    if user is not None:
        assets = restrict(assets, user, "view")
    records = MaintenanceRecord.objects.filter(kind__in=REPAIR_KINDS, asset__in=assets.values("pk"))
    repaired: dict[int, set[int]] = defaultdict(set)
    counts: dict[int, int] = defaultdict(int)
    costs: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for model_id, asset_id, cost, currency, covered in records.values_list(
        "asset__model_id", "asset_id", "cost", "currency", "warranty_covered"
    ):
        counts[model_id] += 1
        repaired[model_id].add(asset_id)
        if cost is not None and not covered:
            costs[model_id][currency] += cost
    if not counts:
        return []
    sizes = dict(
        assets.filter(model_id__in=list(counts))
        .values_list("model_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    models = AssetModel.objects.in_bulk(list(counts))
    rows = [
        ModelRepairs(
            model=models[model_id],
            assets=sizes.get(model_id, 0),
            repairs=counts[model_id],
            assets_repaired=len(repaired[model_id]),
            costs=dict(costs[model_id]),
        )
        for model_id in counts
    ]
    return sorted(rows, key=lambda r: (-r.repair_rate, -r.repairs, r.model.name))
