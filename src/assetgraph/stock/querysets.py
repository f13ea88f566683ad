"""Reads of the stock app: stock on hand (now from the balance table, as of any date from
the ledger), the balance check, reorder alerts and the reorder report."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from assetgraph.accounts.permissions import restrict

from .choices import MovementReasonChoices as Reason
from .models import HOLDERS, StockBalance, StockItem, StockMovement, Storeroom

REORDER_WINDOW_DAYS = 90


def on_hand(item_id: int, location_id: int) -> int:
    """Stock on hand of an item at a location now: one row of the balance table."""
    value = (
        StockBalance.objects.filter(item_id=item_id, location_id=location_id)
        .values_list("on_hand", flat=True)
        .first()
    )
    return int(value or 0)


def ledger_on_hand(item_id: int, location_id: int, as_of: dt.datetime | None = None) -> int:
    """Stock on hand at a location as the sum of its ledger lines up to ``as_of`` (inclusive):
    lines into the location count plus, lines out of it minus."""
    lines = StockMovement.objects.filter(item_id=item_id)
    if as_of is not None:
        lines = lines.filter(occurred_at__lte=as_of)
    into = lines.filter(to_location_id=location_id).aggregate(n=Sum("quantity"))["n"] or 0
    out = lines.filter(from_location_id=location_id).aggregate(n=Sum("quantity"))["n"] or 0
    return int(into - out)


def ledger_sums(holder: str) -> dict[tuple[int, int], int]:
    """``{(item_id, holder_id): ledger sum}`` for one holder kind, in two GROUP BY queries."""
    sums: dict[tuple[int, int], int] = defaultdict(int)
    for prefix, sign in (("to", 1), ("from", -1)):
        column = f"{prefix}_{holder}_id"
        rows = (
            StockMovement.objects.filter(**{f"{column}__isnull": False})
            .values_list("item_id", column)
            .annotate(n=Sum("quantity"))
            .order_by()
        )
        for item_id, holder_id, n in rows:
            sums[(item_id, holder_id)] += sign * int(n)
    return dict(sums)


@dataclass(frozen=True)
class Mismatch:
    """A balance row that disagrees with the ledger (or a ledger sum with no row)."""

    item_id: int
    holder: str
    holder_id: int
    balance: int
    ledger: int


def check_balances() -> list[Mismatch]:
    """Every (item, holder) whose maintained balance differs from the sum of its lines.

    Empty when the invariant holds; run by ``assetgraph stock check`` and after the race
    tests. Also reports negative sums (impossible unless the ledger was tampered with).
    """
    problems: list[Mismatch] = []
    for holder in HOLDERS:
        sums = ledger_sums(holder)
        rows = StockBalance.objects.filter(**{f"{holder}__isnull": False}).values_list(
            "item_id", f"{holder}_id", "on_hand"
        )
        seen: set[tuple[int, int]] = set()
        for item_id, holder_id, balance in rows:
            key = (item_id, holder_id)
            seen.add(key)
            ledger = sums.get(key, 0)
            if balance != ledger or ledger < 0:
                problems.append(Mismatch(item_id, holder, holder_id, balance, ledger))
        for (item_id, holder_id), ledger in sums.items():
            if (item_id, holder_id) not in seen and ledger != 0:
                problems.append(Mismatch(item_id, holder, holder_id, 0, ledger))
    return problems


def storeroom_balances() -> QuerySet[StockBalance]:
    """Balances at active storerooms, with the effective minimum as ``minimum``."""
    rooms = Storeroom.objects.filter(active=True).values("location_id")
    return (
        StockBalance.objects.filter(location_id__in=rooms)
        .select_related("item__model__category", "location__storeroom")
        .annotate(minimum=Coalesce("min_quantity", "item__min_quantity"))
    )


def below_minimum(user: Any = None) -> QuerySet[StockBalance]:
    """Reorder alerts: storeroom balances below their minimum (items the user may view)."""
    balances = storeroom_balances().filter(on_hand__lt=F("minimum"))
    if user is not None:
        balances = balances.filter(item__in=restrict(StockItem.objects.all(), user, "view"))
    return balances.order_by("location__path", "item__name")


@dataclass(frozen=True)
class ReorderLine:
    """One line of the reorder report."""

    balance: StockBalance
    minimum: int
    consumed: int
    suggested: int


def consumption(
    since: dt.datetime, location_ids: list[int] | None = None
) -> dict[tuple[int, int], int]:
    """``{(item_id, location_id): net consumption}`` since ``since``: quantities issued or
    written off from the location minus quantities returned to it (never below 0)."""
    lines = StockMovement.objects.filter(occurred_at__gte=since)
    if location_ids is not None:
        lines = lines.filter(
            Q(from_location_id__in=location_ids) | Q(to_location_id__in=location_ids)
        )
    used: dict[tuple[int, int], int] = defaultdict(int)
    for item_id, loc, n in (
        lines.filter(reason__in=[Reason.ISSUED, Reason.WRITTEN_OFF], from_location__isnull=False)
        .values_list("item_id", "from_location_id")
        .annotate(n=Sum("quantity"))
        .order_by()
    ):
        used[(item_id, loc)] += int(n)
    for item_id, loc, n in (
        lines.filter(reason=Reason.RETURNED, to_location__isnull=False)
        .values_list("item_id", "to_location_id")
        .annotate(n=Sum("quantity"))
        .order_by()
    ):
        used[(item_id, loc)] -= int(n)
    return {key: max(0, n) for key, n in used.items()}


def reorder_report(user: Any = None, *, days: int = REORDER_WINDOW_DAYS) -> list[ReorderLine]:
    """What to order per storeroom: enough to cover the last ``days`` days of consumption
    again and stay at the minimum, ``suggested = max(0, minimum + consumed - on hand)``.
    Only lines with something to order are listed."""
    since = timezone.now() - dt.timedelta(days=days)
    balances = list(storeroom_balances().order_by("location__path", "item__name"))
    if user is not None:
        visible = set(restrict(StockItem.objects.all(), user, "view").values_list("pk", flat=True))
        balances = [b for b in balances if b.item_id in visible]
    used = consumption(since, sorted({b.location_id for b in balances if b.location_id}))
    lines = []
    for balance in balances:
        minimum = int(balance.minimum or 0)  # type: ignore[attr-defined]
        consumed = used.get((balance.item_id, balance.location_id or 0), 0)
        suggested = max(0, minimum + consumed - balance.on_hand)
        if suggested > 0:
            lines.append(ReorderLine(balance, minimum, consumed, suggested))
    return lines


def holdings(person_id: int) -> QuerySet[StockBalance]:
    """Accessories and consumables a person holds (issued to them, not returned)."""
    return (
        StockBalance.objects.filter(person_id=person_id, on_hand__gt=0)
        .select_related("item__model__category")
        .order_by("item__name")
    )


def movements_at(location_id: int) -> QuerySet[StockMovement]:
    """Ledger lines into or out of a location, newest first."""
    return (
        StockMovement.objects.filter(
            Q(from_location_id=location_id) | Q(to_location_id=location_id)
        )
        .select_related("item", "from_location", "to_location", "from_person", "to_person")
        .select_related("from_asset", "to_asset")
        .order_by("-occurred_at", "-id")
    )
