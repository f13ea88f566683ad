"""The stock demo on the full demo company (loaded once, rolled back afterwards)."""

from __future__ import annotations

from typing import Any

import pytest

from assetgraph.assets.models import Asset
from assetgraph.stock.models import (
    MaintenanceRecord,
    Reservation,
    StockRequest,
    Storeroom,
)
from assetgraph.stock.querysets import below_minimum, check_balances, reorder_report


@pytest.fixture(scope="class")
def demo(demo_company: Any) -> None:
    """The shared demo company (loaded once per worker)."""


@pytest.mark.django_db
@pytest.mark.usefixtures("demo")
class TestStockDemo:
    def test_storerooms_at_each_site_with_stock_some_below_minimum(self) -> None:
        assert set(Storeroom.objects.values_list("name", flat=True)) == {
            "London storeroom",
            "Berlin storeroom",
            "New York storeroom",
            "Austin storeroom",
        }
        low = {(b.location.storeroom.name, b.item.name) for b in below_minimum()}
        assert ("Berlin storeroom", "Evolve2 65 headset") in low
        assert ("New York storeroom", "Toner HP 415A black") in low
        assert any(line.consumed > 0 for line in reorder_report())
        assert check_balances() == []

    def test_open_requests_include_minhs_second_monitor(self) -> None:
        minh = StockRequest.objects.get(requester__first_name="Minh", requester__last_name="Nguyen")
        assert (minh.entry.title, minh.state) == ("Second monitor", "submitted")
        assert StockRequest.objects.filter(state__in=["submitted", "approved"]).count() >= 5

    def test_loaner_bookings_and_laptops_at_repair(self) -> None:
        assert Reservation.objects.filter(state="booked").count() == 4
        at_repair = Asset.objects.filter(state="in_repair", maintenance_records__in_repair=True)
        assert at_repair.filter(maintenance_records__completed__isnull=True).count() == 2
        assert MaintenanceRecord.objects.filter(cost__gt=0).exists()
