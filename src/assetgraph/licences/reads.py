"""Reads of the licences app: the position for a user, its diff between two times, alerts.

Every read starts from the entitlements the user may view (``restrict``); money is blanked for
users without ``view_cost`` on entitlements.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django.db.models import F, QuerySet
from django.utils import timezone

from assetgraph.accounts.permissions import has_perm, restrict

from .evidence import Position, compute
from .models import Entitlement
from .position import PositionRow, RowKey, totals

RENEWAL_DAYS = 60
BUSY_SHARE = 0.9


def visible_entitlements(user: Any) -> QuerySet[Entitlement]:
    """The entitlements ``user`` may view."""
    return restrict(Entitlement.objects.all(), user, "view")


def may_see_cost(user: Any) -> bool:
    return has_perm(user, "licences.entitlement", "view_cost")


def _blank_money(row: PositionRow) -> PositionRow:
    return dataclasses.replace(row, unit_price=None, true_up_cost=None, unused_cost=None)


def position_for(
    user: Any, *, as_of: dt.datetime | None = None, product_id: int | None = None
) -> Position:
    """The position the user may see (money only with ``view_cost``)."""
    position = compute(
        visible_entitlements(user),
        as_of=as_of,
        product_ids={product_id} if product_id is not None else None,
    )
    if not may_see_cost(user):
        position.rows = [_blank_money(r) for r in position.rows]
    return position


def position_dict(position: Position) -> dict[str, Any]:
    """The JSON shape of a position (the API's, the CLI's ``--json``)."""
    return {
        "as_of": position.as_of,
        "day": position.day,
        "rows": [dataclasses.asdict(r) for r in position.rows],
        "totals": totals(position.rows),
    }


def _row_key(row: PositionRow) -> RowKey:
    return RowKey(row.product_id, row.metric, row.scope)


def diff_positions(before: Position, after: Position) -> list[dict[str, Any]]:
    """Rows that appeared, disappeared or changed (entitled, consumed, status, money)."""
    old = {_row_key(r): r for r in before.rows}
    new = {_row_key(r): r for r in after.rows}
    compared = ("entitled", "consumed", "balance", "status", "true_up_cost", "unused_cost")
    result = []
    for key in sorted(set(old) | set(new), key=lambda k: (k.product_id, k.metric, k.scope)):
        a, b = old.get(key), new.get(key)
        if a is None or b is None:
            change = "added" if a is None else "removed"
        elif any(getattr(a, f) != getattr(b, f) for f in compared):
            change = "changed"
        else:
            continue
        row = b or a
        assert row is not None
        result.append(
            {
                "product_id": key.product_id,
                "product": row.product,
                "metric": key.metric,
                "scope": key.scope,
                "change": change,
                "before": dataclasses.asdict(a) if a else None,
                "after": dataclasses.asdict(b) if b else None,
            }
        )
    return result


def alerts_for(user: Any, *, days: int = RENEWAL_DAYS) -> list[dict[str, Any]]:
    """Renewals due within ``days``, licences over 90 % allocated or consumed, and shortfalls
    that are new since 30 days ago (under-licensed now, not then)."""
    today = timezone.localdate()
    visible = visible_entitlements(user)
    result: list[dict[str, Any]] = []
    for ent in visible.filter(
        end_date__gte=today, end_date__lte=today + dt.timedelta(days=days)
    ).order_by("end_date"):
        result.append(
            {
                "kind": "renewal",
                "message": f"{ent.name} ends on {ent.end_date} "
                f"({(ent.end_date - today).days} days)",  # type: ignore[operator]
                "entitlement_id": ent.pk,
                "product_id": ent.product_id,
                "due": ent.end_date,
            }
        )
    for ent in visible.filter(quantity__gt=0, allocated__gte=F("quantity") * BUSY_SHARE):
        result.append(
            {
                "kind": "busy",
                "message": f"{ent.name}: {ent.allocated} of {ent.quantity} seats allocated",
                "entitlement_id": ent.pk,
                "product_id": ent.product_id,
            }
        )
    now = position_for(user)
    month_ago = position_for(user, as_of=timezone.now() - dt.timedelta(days=30))
    before = {_row_key(r): r.status for r in month_ago.rows}
    for row in now.rows:
        available = row.available or 0
        if row.entitled and available and available * BUSY_SHARE <= row.consumed <= available:
            result.append(
                {
                    "kind": "busy",
                    "message": f"{row.product} ({row.metric}): {row.consumed} of "
                    f"{available} rights consumed",
                    "product_id": row.product_id,
                }
            )
        if row.status in ("under", "unlicensed") and before.get(_row_key(row)) not in (
            "under",
            "unlicensed",
        ):
            result.append(
                {
                    "kind": "new_shortfall",
                    "message": f"{row.product} ({row.metric}): new shortfall of {row.shortfall}",
                    "product_id": row.product_id,
                }
            )
    return result
