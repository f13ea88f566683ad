"""Maintenance costs feed finance: a repair logged on a CI's asset joins the service cost
roll-up for the month it started; warranty-covered work adds nothing."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command

from assetgraph.core.actor import Actor
from assetgraph.stock import services
from tests.cmdb.conftest import estate
from tests.finance.test_contracts_costs import priced

__all__ = ["estate", "priced"]

pytestmark = pytest.mark.django_db


def _costs(month: str) -> dict[str, str]:
    out = io.StringIO()
    call_command("finance", "service-cost", "--month", month, "--json", stdout=out)
    return {row["name"]: row["monthly_cost"] for row in json.loads(out.getvalue())["services"]}


def test_a_repair_joins_the_service_cost_of_its_month(
    priced: dict[str, Any], system: Actor
) -> None:
    """The database server (shared by Finance and HR, 200 a month of depreciation) gets a
    600 repair in March and a warranty-covered one: March splits 800, 400 / 400; April is
    back to depreciation only."""
    assert _costs("2026-03") == {"Finance": "600.00", "HR": "100.00"}
    for cost, covered in [(Decimal("600.00"), False), (Decimal("900.00"), True)]:
        services.create_maintenance(
            system,
            {
                "asset": priced["db_server"],
                "kind": "repair",
                "title": "PSU",
                "started": dt.date(2026, 3, 10),
                "cost": cost,
                "currency": "EUR",
                "warranty_covered": covered,
            },
        )
    assert _costs("2026-03") == {"Finance": "900.00", "HR": "400.00"}
    assert _costs("2026-04") == {"Finance": "600.00", "HR": "100.00"}
    by_asset = services.maintenance.monthly_maintenance_costs(
        dt.date(2026, 3, 1), dt.date(2026, 3, 31)
    )
    assert by_asset == {priced["db_server"].pk: {"EUR": Decimal("600.00")}}
