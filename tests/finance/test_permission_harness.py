"""The finance app's types under the permission harnesses.

Eight types have generated CRUD under ``/api/finance/<path>/`` (and generic pages) and get
:class:`tests.harness.PermissionHarness`; closed periods are written only by the period close
and read through the app's own ``/api/finance/periods`` endpoints, so they get
:class:`tests.test_permission_coverage.ReadSurfaceHarness`. Objects are made through the
finance services; the catalogue, orders and assets a payload refers to are built before the
harness counts rows and audit events.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from assetgraph.assets import services as asset_services
from assetgraph.core import registry
from assetgraph.core.actor import Actor
from assetgraph.finance import services
from assetgraph.finance.closing import close_period
from assetgraph.org import services as org

from ..conftest import bearer
from ..harness import PermissionHarness
from ..test_permission_coverage import ReadSurfaceHarness

pytestmark = pytest.mark.django_db


def _world(site: dict[str, Any]) -> dict[str, Any]:
    system = Actor.system()
    dell = org.create_company(system, {"name": "Dell", "is_manufacturer": True})
    cdw = org.create_company(system, {"name": "CDW", "is_supplier": True})
    laptops = asset_services.create_category(system, {"name": "Laptops", "kind": "laptop"})
    model = asset_services.create_model(
        system, {"name": "Latitude", "category": laptops, "manufacturer": dell}
    )
    assets = [
        asset_services.create_asset(system, {"model": model, "serial_number": f"FIN-{n}"})
        for n in range(2)
    ]
    order = services.create_order(
        system, {"number": "PO-HARNESS-0", "supplier": cdw, "order_date": dt.date(2025, 3, 1)}
    )
    return {
        "dell": dell,
        "cdw": cdw,
        "laptops": laptops,
        "model": model,
        "assets": assets,
        "order": order,
    }


class _FinanceHarness(PermissionHarness):
    """The harness counts rows around ``create_payload``: build what it refers to first."""

    w: dict[str, Any]

    @pytest.fixture(autouse=True)
    def _world(self, site: dict[str, Any]) -> None:
        self.w = _world(site)


class TestDepreciationProfilePermissions(_FinanceHarness):
    object_type = "finance.depreciationprofile"
    path = "/api/finance/profiles/"
    update_payload = {"life_years": 5}

    def make_object(self, site: dict[str, Any]) -> Any:
        return services.create_profile(
            Actor.system(),
            {"name": "Laptops 3y", "category": self.w["laptops"], "method": "straight_line"},
        )

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": "Latitude 4y",
            "asset_model_id": self.w["model"].pk,
            "method": "sum_of_years_digits",
            "life_years": 4,
        }


class TestAssetFinancePermissions(_FinanceHarness):
    object_type = "finance.assetfinance"
    path = "/api/finance/asset-settings/"
    update_payload = {"depreciation_start": "2025-02-01"}

    def make_object(self, site: dict[str, Any]) -> Any:
        return services.create_asset_finance(
            Actor.system(), {"asset": self.w["assets"][0], "cost_centre": site["cc"]}
        )

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {"asset_id": self.w["assets"][1].pk, "company_id": self.w["dell"].pk}


class TestExchangeRatePermissions(_FinanceHarness):
    object_type = "finance.exchangerate"
    path = "/api/finance/rates/"
    update_payload = {"rate": "0.9500000000"}

    def make_object(self, site: dict[str, Any]) -> Any:
        return services.create_rate(
            Actor.system(),
            {
                "currency": "USD",
                "base": "EUR",
                "valid_from": dt.date(2025, 1, 1),
                "rate": Decimal("0.92"),
            },
        )

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {"currency": "GBP", "base": "EUR", "valid_from": "2025-01-01", "rate": "1.17"}


class TestPurchaseOrderPermissions(_FinanceHarness):
    object_type = "finance.purchaseorder"
    path = "/api/finance/purchase-orders/"
    update_payload = {"notes": "urgent"}

    def make_object(self, site: dict[str, Any]) -> Any:
        return services.create_order(
            Actor.system(),
            {
                "number": "PO-HARNESS-1",
                "supplier": self.w["cdw"],
                "order_date": dt.date(2025, 4, 1),
            },
        )

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {
            "number": "PO-HARNESS-2",
            "supplier_id": self.w["cdw"].pk,
            "order_date": "2025-05-01",
            "cost_centre_id": site["cc"].pk,
        }


class TestPurchaseOrderLinePermissions(_FinanceHarness):
    object_type = "finance.purchaseorderline"
    path = "/api/finance/purchase-order-lines/"
    update_payload = {"quantity": 3}

    def make_object(self, site: dict[str, Any]) -> Any:
        return services.create_line(
            Actor.system(),
            {
                "order": self.w["order"],
                "kind": "hardware",
                "asset_model": self.w["model"],
                "quantity": 2,
                "unit_price": Decimal("999.00"),
            },
        )

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {
            "order_id": self.w["order"].pk,
            "kind": "service",
            "description": "Imaging",
            "quantity": 2,
            "unit_price": "25.00",
        }


class TestBudgetPermissions(_FinanceHarness):
    object_type = "finance.budget"
    path = "/api/finance/budgets/"
    update_payload = {"amount": "2000.00"}

    def make_object(self, site: dict[str, Any]) -> Any:
        return services.create_budget(
            Actor.system(),
            {"cost_centre": site["cc"], "fiscal_year": 2026, "amount": Decimal(1000)},
        )

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {"cost_centre_id": site["cc"].pk, "fiscal_year": 2027, "amount": "500.00"}


class TestContractPermissions(_FinanceHarness):
    object_type = "finance.contract"
    path = "/api/finance/contracts/"
    update_payload = {"notice_days": 30}

    def make_object(self, site: dict[str, Any]) -> Any:
        return services.create_contract(
            Actor.system(),
            {
                "name": "Dell ProSupport",
                "kind": "maintenance",
                "supplier": self.w["cdw"],
                "start_date": dt.date(2025, 1, 1),
                "end_date": dt.date(2027, 12, 31),
                "assets": [self.w["assets"][0].pk],
            },
        )

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": "Laptop lease",
            "kind": "lease",
            "supplier_id": self.w["cdw"].pk,
            "start_date": "2025-01-01",
            "end_date": "2028-12-31",
            "assets": [self.w["assets"][1].pk],
        }


class TestReplacementPolicyPermissions(_FinanceHarness):
    object_type = "finance.replacementpolicy"
    path = "/api/finance/replacement-policies/"
    update_payload = {"replace_after_years": 5}

    def make_object(self, site: dict[str, Any]) -> Any:
        return services.create_replacement_policy(
            Actor.system(), {"category": self.w["laptops"], "replace_after_years": 4}
        )

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {"asset_model_id": self.w["model"].pk, "replacement_price": "1500.00"}


class TestClosedPeriodVisibility(ReadSurfaceHarness):
    """Closed periods: the list and a period's journal (both need ``view_cost`` on assets as
    well, granted here so the closed-period permission is what decides)."""

    object_type = "finance.closedperiod"
    deny = {"book": "no such book"}

    def make_object(self, site: dict[str, Any]) -> Any:
        return close_period(Actor.system(), dt.date(2025, 1, 1)).closed

    def list_url(self, obj: Any) -> str:
        return "/api/finance/periods"

    def detail_url(self, obj: Any) -> str:
        return f"/api/finance/periods/{obj.pk}/journal"

    def write(self, client: Client, obj: Any) -> Any:
        """None: a closed period is locked for good; the only write is the close itself
        (``POST /api/finance/periods``), a create, not a write on an existing period."""
        return None

    def allow(self, obj: Any) -> dict[str, Any]:
        return {"book": obj.book}

    def client(self, make_user: Callable[..., Any], constraints: Any, actions: list[str]) -> Client:
        others = [
            t.key for t in registry.all_types() if t.key != self.object_type and "view" in t.actions
        ]
        return bearer(
            make_user(
                permissions=[
                    ([self.object_type], actions, constraints),
                    (others, ["view"], None),
                    (["assets.asset"], ["view_cost"], None),
                ]
            )
        )

    def test_ui_period_page_is_404_when_hidden_and_200_when_visible(
        self, site: dict[str, Any], make_user: Callable[..., Any]
    ) -> None:
        obj = self.make_object(site)
        costs = (["assets.asset"], ["view", "view_cost"], None)
        for constraint, expected in ((None, 404), (self.deny, 404), (self.allow(obj), 200)):
            permissions = [costs]
            if constraint is not None:
                permissions.append(([self.object_type], ["view"], constraint))
            client = Client()
            client.force_login(make_user(permissions=permissions))
            for url in (
                f"/finance/periods/{obj.pk}/",
                f"/finance/periods/{obj.pk}/journal/?format=csv",
            ):
                assert client.get(url).status_code == expected, (constraint, url)
