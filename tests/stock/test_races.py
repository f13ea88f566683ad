"""Concurrency, with real threads and connections, on SQLite and PostgreSQL alike: issues of
the last items give one winner and clear 409s; overlapping bookings never both land; the
balance table always equals the sum of the ledger lines."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from assetgraph.core.actor import Actor
from assetgraph.core.errors import Conflict
from assetgraph.stock import services
from assetgraph.stock.models import Loaner, Reservation, StockItem, StockMovement
from assetgraph.stock.querysets import check_balances, on_hand
from tests.assets.test_races import _race

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_issues_of_the_last_items_give_one_winner(stock: dict[str, Any]) -> None:
    loc = stock["store_loc"]
    item_id = stock["headset"].pk
    people = [stock["minh"], stock["ana"], stock["ben"], stock["minh"]]

    def clerk(person: Any) -> Any:
        return services.issue_stock(
            Actor.system(f"clerk for {person}"),
            StockItem.objects.get(pk=item_id),
            4,
            to_person=person,
            from_location=loc,
        )

    results = _race(*[lambda p=p: clerk(p) for p in people])  # 6 on hand, 4 x 4 asked
    wins = [r for r in results if isinstance(r, StockMovement)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(wins) == 1 and len(conflicts) == 3, results
    assert all(c.status == 409 and c.code == "insufficient_stock" for c in conflicts)
    assert "2 on hand, 4 asked" in conflicts[0].message
    assert on_hand(item_id, loc.pk) == 2
    assert check_balances() == []


def test_many_concurrent_single_issues_never_oversell(stock: dict[str, Any]) -> None:
    loc = stock["store_loc"]
    item_id = stock["headset"].pk

    def clerk() -> Any:
        return services.issue_stock(
            Actor.system("clerk"),
            StockItem.objects.get(pk=item_id),
            1,
            to_person=stock["ben"],
            from_location=loc,
        )

    results = _race(*[clerk for _ in range(8)])
    assert sum(isinstance(r, StockMovement) for r in results) == 6, results
    assert sum(isinstance(r, Conflict) for r in results) == 2
    assert on_hand(item_id, loc.pk) == 0
    assert check_balances() == []


def test_overlapping_bookings_race_one_wins(stock: dict[str, Any], make_asset: Any) -> None:
    loaner = services.create_loaner(Actor.system(), {"asset": make_asset()})
    start = timezone.now() + dt.timedelta(days=1)

    def book(person: Any, offset: int) -> Any:
        return services.book_loaner(
            Actor.system("desk"),
            Loaner.objects.get(pk=loaner.pk),
            person,
            start + dt.timedelta(hours=offset),
            start + dt.timedelta(hours=offset + 48),
        )

    results = _race(lambda: book(stock["minh"], 0), lambda: book(stock["ana"], 5))
    assert sum(isinstance(r, Reservation) for r in results) == 1, results
    conflict = next(r for r in results if isinstance(r, Conflict))
    assert conflict.code == "overlapping_booking"
    assert Reservation.objects.filter(loaner=loaner).count() == 1
