"""The business flags the CMDB and ITAM answer themselves (declared in ``resources.py``).

Rules (docs/both-layers.md), each evaluated on the day ``on`` (today by default):

- ``out_of_warranty``: the CI's asset has a warranty end date before ``on``;
- ``past_end_of_life``: the CI's asset has an end-of-life date before ``on`` (the asset's
  own date, which defaults from its model's end-of-life months);
- ``decommission_planned``: the CI has a planned retirement date (any date: a past one is
  overdue and says so).

Asset flags need ``view`` on the asset (the flag links to it); every flag needs ``view`` on
the CI. A few queries per 900 CIs, whatever their number.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db.models import Q
from django.urls import reverse

from assetgraph.accounts.permissions import has_perm, restrict
from assetgraph.assets.models import Asset
from assetgraph.framework.flags import BusinessFlag, FlagSource, IdList, chunked

from .models import CI

Flags = dict[int, list[BusinessFlag]]


def _visible_cis(user: Any, pks: Sequence[int]) -> Any:
    return restrict(CI.objects.filter(pk__in=pks), user, "view")


def _asset_rows(user: Any, pks: Sequence[int], extra: Q) -> list[tuple[int, int, str, Any, Any]]:
    """``(ci pk, asset pk, asset tag, warranty end, eol date)`` of visible CIs' visible
    assets matching ``extra``."""
    if not has_perm(user, "assets.asset", "view"):
        return []
    rows: list[tuple[int, int, str, Any, Any]] = []
    for chunk in chunked(pks):
        cis = dict(
            _visible_cis(user, chunk).filter(asset__isnull=False).values_list("asset_id", "pk")
        )
        if not cis:
            continue
        assets = restrict(Asset.objects.filter(extra, pk__in=IdList(cis)), user, "view")
        for pk, tag, warranty, eol in assets.values_list(
            "pk", "asset_tag", "warranty_end", "eol_date"
        ):
            rows.append((cis[pk], pk, tag, warranty, eol))
    return rows


def out_of_warranty(user: Any, pks: Sequence[int], on: dt.date) -> Flags:
    out: Flags = {}
    for ci, asset, tag, warranty, _eol in _asset_rows(user, pks, Q(warranty_end__lt=on)):
        out[ci] = [
            BusinessFlag(
                "out_of_warranty",
                "Out of warranty",
                f"{tag}: warranty ended {warranty.isoformat()}",
                reverse("ui:assets:asset_detail", args=[asset]),
            )
        ]
    return out


def past_end_of_life(user: Any, pks: Sequence[int], on: dt.date) -> Flags:
    out: Flags = {}
    for ci, asset, tag, _warranty, eol in _asset_rows(user, pks, Q(eol_date__lt=on)):
        out[ci] = [
            BusinessFlag(
                "past_end_of_life",
                "Past end of life",
                f"{tag}: end of life {eol.isoformat()}",
                reverse("ui:assets:asset_detail", args=[asset]),
            )
        ]
    return out


def decommission_planned(user: Any, pks: Sequence[int], on: dt.date) -> Flags:
    out: Flags = {}
    for chunk in chunked(pks):
        rows = _visible_cis(user, chunk).filter(planned_retirement__isnull=False)
        for pk, day in rows.values_list("pk", "planned_retirement"):
            when = "overdue since" if day < on else "planned for"
            out[pk] = [
                BusinessFlag(
                    "decommission_planned",
                    "Decommissioning planned",
                    f"retirement {when} {day.isoformat()}",
                    reverse("ui:cmdb:ci_detail", args=[pk]),
                )
            ]
    return out


FLAG_SOURCES = [
    FlagSource(
        "out_of_warranty",
        "Out of warranty",
        "The CI's asset has a warranty end date before today.",
        out_of_warranty,
        order=10,
    ),
    FlagSource(
        "past_end_of_life",
        "Past end of life",
        "The CI's asset has an end-of-life date before today.",
        past_end_of_life,
        order=20,
    ),
    FlagSource(
        "decommission_planned",
        "Decommissioning planned",
        "The CI has a planned retirement date.",
        decommission_planned,
        order=60,
    ),
]
