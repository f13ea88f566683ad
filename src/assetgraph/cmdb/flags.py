"""The business flags the CMDB and ITAM answer themselves (declared in ``resources.py``).

Rules (docs/both-layers.md), each evaluated on the day ``on`` (today by default):

- ``out_of_warranty``: the CI's asset has a warranty end date before ``on``;
- ``past_end_of_life``: the CI's asset has an end-of-life date before ``on`` (the asset's
  own date, which defaults from its model's end-of-life months);
- ``decommission_planned``: the CI has a planned retirement date (any date: a past one is
  overdue and says so).

Asset flags need ``view`` on the asset (the flag links to it); every flag needs ``view`` on
the CI. A few queries per 900 CIs, whatever their number; the three flags of one
:func:`~assetgraph.framework.flags.business_flags` call share their reads (the visible CIs
with an asset or a planned retirement, then their expired assets).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db.models import Q
from django.urls import reverse

from assetgraph.accounts.permissions import has_perm, restrict, sees_all
from assetgraph.assets.models import Asset
from assetgraph.framework.flags import BusinessFlag, FlagSource, IdList, chunked, shared_read

from .models import CI

Flags = dict[int, list[BusinessFlag]]


def _visible_cis(user: Any, pks: Sequence[int]) -> Any:
    return restrict(CI.objects.filter(pk__in=pks), user, "view")


def visible_ci_ids(user: Any, pks: Sequence[int]) -> Sequence[int]:
    """The CIs among ``pks`` the caller may view: the one visibility read of a
    :func:`~assetgraph.framework.flags.business_flags` call, shared by the sources that ask
    about CIs (no query when the caller sees every CI)."""

    def read() -> Sequence[int]:
        if sees_all(user, CI, "view"):
            return pks if isinstance(pks, IdList) else IdList(pks)
        seen: list[int] = []
        for chunk in chunked(pks):
            seen.extend(_visible_cis(user, chunk).order_by().values_list("pk", flat=True))
        return IdList(sorted(seen))

    return shared_read(pks, "cmdb.flags.visible", read)


def _ci_rows(user: Any, pks: Sequence[int]) -> dict[int, tuple[int | None, dt.date | None]]:
    """``{ci pk: (asset id, planned retirement)}`` of the visible CIs among ``pks`` that have
    either: one read for the three flags of a :func:`business_flags` call."""

    def read() -> dict[int, tuple[int | None, dt.date | None]]:
        out: dict[int, tuple[int | None, dt.date | None]] = {}
        either = Q(asset__isnull=False) | Q(planned_retirement__isnull=False)
        for chunk in chunked(visible_ci_ids(user, pks)):
            rows = CI.objects.filter(either, pk__in=chunk).order_by()
            for pk, asset, day in rows.values_list("pk", "asset_id", "planned_retirement"):
                out[pk] = (asset, day)
        return out

    return shared_read(pks, "cmdb.flags.ci_rows", read)


def _asset_rows(user: Any, pks: Sequence[int], on: dt.date) -> list[tuple[int, int, str, Any, Any]]:
    """``(ci pk, asset pk, asset tag, warranty end, eol date)`` of visible CIs' visible
    assets out of warranty or past end of life on ``on`` (read once for both flags)."""
    if not has_perm(user, "assets.asset", "view"):
        return []

    def read() -> list[tuple[int, int, str, Any, Any]]:
        cis = {asset: pk for pk, (asset, _day) in _ci_rows(user, pks).items() if asset}
        expired = Q(warranty_end__lt=on) | Q(eol_date__lt=on)
        rows: list[tuple[int, int, str, Any, Any]] = []
        for chunk in chunked(sorted(cis)):
            assets = restrict(Asset.objects.filter(expired, pk__in=chunk), user, "view")
            for pk, tag, warranty, eol in assets.order_by().values_list(
                "pk", "asset_tag", "warranty_end", "eol_date"
            ):
                rows.append((cis[pk], pk, tag, warranty, eol))
        return rows

    return shared_read(pks, ("cmdb.flags.asset_rows", on), read)


def out_of_warranty(user: Any, pks: Sequence[int], on: dt.date) -> Flags:
    out: Flags = {}
    for ci, asset, tag, warranty, _eol in _asset_rows(user, pks, on):
        if warranty is None or warranty >= on:
            continue
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
    for ci, asset, tag, _warranty, eol in _asset_rows(user, pks, on):
        if eol is None or eol >= on:
            continue
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
    for pk, (_asset, day) in sorted(_ci_rows(user, pks).items()):
        if day is None:
            continue
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
