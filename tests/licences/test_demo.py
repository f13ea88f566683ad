"""The licences demo stories on the full demo company (loaded once for the class): the M365
shortfall with its cost, Adobe's idle seats, the Oracle farm exposure with its path, the site
licence, the expired subscription still installed, WinRAR unlicensed, Minh's seats."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from assetgraph.licences.evidence import compute
from assetgraph.licences.models import Allocation, Entitlement
from assetgraph.licences.position import PositionRow
from assetgraph.org.models import Person


@pytest.fixture(scope="class")
def rows(demo_company: Any, django_db_blocker: Any) -> dict[tuple[str, str], PositionRow]:
    with django_db_blocker.unblock():
        return {(r.product, r.metric): r for r in compute(Entitlement.objects.all()).rows}


@pytest.mark.django_db
class TestLicenceStories:
    def test_microsoft_365_shortfall_and_its_cost(
        self, rows: dict[tuple[str, str], PositionRow]
    ) -> None:
        m365 = rows[("Microsoft 365 E3", "subscription")]
        assert (m365.entitled, m365.consumed, m365.shortfall, m365.status) == (60, 75, 15, "under")
        assert (m365.true_up_cost, m365.currency) == (Decimal("6480.00"), "EUR")

    def test_adobe_idle_seats_to_reclaim(self, rows: dict[tuple[str, str], PositionRow]) -> None:
        adobe = rows[("Creative Cloud All Apps", "subscription")]
        idle = [c for c in adobe.candidates if c["kind"] == "idle"]
        assert len(idle) == 8 and adobe.unused_cost == Decimal("3900.00")

    def test_oracle_exposure_on_the_whole_farm(
        self, rows: dict[tuple[str, str], PositionRow]
    ) -> None:
        oracle = rows[("Oracle Database Enterprise Edition", "core")]
        assert (oracle.entitled, oracle.consumed, oracle.status) == (16, 256, "under")
        (path,) = oracle.exposure
        assert path["path"].startswith("ERP Oracle DB → runs on erp-ora-01 → hosted on Farm A")
        assert path["cores"] == 512 and len(path["hosts"]) == 8

    def test_site_licence_expired_subscription_and_unlicensed_product(
        self, rows: dict[tuple[str, str], PositionRow]
    ) -> None:
        site = rows[("CAD Viewer", "site")]
        assert site.entitled is None and site.status == "compliant" and site.consumed > 0
        assert site.scope_label.endswith("London")
        assert rows[("Visio Plan 2", "device")].status == "unlicensed"  # expired, still installed
        assert rows[("WinRAR", "device")].status == "unlicensed"

    def test_minh_holds_seats(self, rows: dict[tuple[str, str], PositionRow]) -> None:
        minh = Person.objects.get(employee_number="E0001")
        held = set(
            Allocation.objects.filter(person=minh, reclaimed_at__isnull=True).values_list(
                "entitlement__product__name", flat=True
            )
        )
        assert held == {"Microsoft 365", "Creative Cloud"}
