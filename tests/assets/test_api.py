"""Assets through the API: the permission harness, actions, roles, filters and N+1 checks."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from assetgraph.assets import services
from assetgraph.assets.models import Asset, CustomField, Kit
from assetgraph.audit.models import AuditEvent
from assetgraph.core.actor import Actor

from ..harness import PermissionHarness

pytestmark = pytest.mark.django_db


def _catalogue(site: dict[str, Any]) -> dict[str, Any]:
    from assetgraph.org import services as org

    system = Actor.system()
    dell = org.create_company(system, {"name": "Dell", "is_manufacturer": True})
    laptops = services.create_category(system, {"name": "Laptops", "kind": "laptop"})
    model = services.create_model(
        system, {"name": "Latitude", "category": laptops, "manufacturer": dell}
    )
    return {"dell": dell, "laptops": laptops, "model": model}


class _WithCatalogue(PermissionHarness):
    """The harness counts rows around ``create_payload``: build the catalogue before it."""

    cat: dict[str, Any]

    @pytest.fixture(autouse=True)
    def _catalogue(self, site: dict[str, Any]) -> None:
        self.cat = _catalogue(site)


class TestAssetPermissions(_WithCatalogue):
    object_type = "assets.asset"
    path = "/api/assets/assets/"
    update_payload = {"notes": "dent on lid"}

    def make_object(self, site: dict[str, Any]) -> Any:
        return services.create_asset(Actor.system(), {"model": self.cat["model"]})

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {"model_id": self.cat["model"].pk, "serial_number": "NEW-1"}


class TestAssetModelPermissions(_WithCatalogue):
    object_type = "assets.assetmodel"
    path = "/api/assets/models/"
    update_payload = {"model_number": "X-1"}

    def make_object(self, site: dict[str, Any]) -> Any:
        return self.cat["model"]

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": "Precision",
            "category_id": self.cat["laptops"].pk,
            "manufacturer_id": self.cat["dell"].pk,
        }


class TestCategoryPermissions(PermissionHarness):
    object_type = "assets.category"
    path = "/api/assets/categories/"
    update_payload = {"name": "Notebooks"}

    def make_object(self, site: dict[str, Any]) -> Any:
        return services.create_category(Actor.system(), {"name": "Phones", "kind": "phone"})

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {"name": "Tablets", "kind": "tablet"}


class TestCustomFieldPermissions(PermissionHarness):
    object_type = "assets.customfield"
    path = "/api/assets/custom-fields/"
    update_payload = {"label": "Memory"}

    def make_object(self, site: dict[str, Any]) -> Any:
        return services.create_custom_field(
            Actor.system(), {"key": "ram_gb", "label": "RAM", "type": "integer"}
        )

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {"key": "cpu", "label": "CPU", "type": "text"}


class TestKitPermissions(PermissionHarness):
    object_type = "assets.kit"
    path = "/api/assets/kits/"
    update_payload = {"description": "for engineers"}

    def make_object(self, site: dict[str, Any]) -> Any:
        return services.create_kit(Actor.system(), {"name": "Starter"})

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {"name": "Sales kit"}


def _post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body, default=str), content_type="application/json")


def test_helpdesk_checks_out_and_in_but_cannot_edit_or_see_costs(
    api: Callable[..., Client], make_asset: Callable[..., Asset], catalogue: dict[str, Any]
) -> None:
    asset = make_asset(model="u27")
    helpdesk = api("Helpdesk")
    detail = helpdesk.get(f"/api/assets/assets/{asset.pk}").json()
    assert detail["cost"] is None and detail["currency"] == ""
    assert (
        helpdesk.patch(
            f"/api/assets/assets/{asset.pk}", {"notes": "x"}, content_type="application/json"
        ).status_code
        == 403
    )
    out = _post(
        helpdesk,
        f"/api/assets/assets/{asset.pk}/checkout",
        {"to_person_id": catalogue["ana"].pk, "expected_return": "2099-01-01"},
    )
    assert out.status_code == 200, out.content
    assert out.json()["person"]["id"] == catalogue["ana"].pk
    again = _post(
        helpdesk, f"/api/assets/assets/{asset.pk}/checkout", {"to_person_id": catalogue["ben"].pk}
    )
    assert again.status_code == 409
    assert "rule 'check_out'" in again.json()["error"]["message"]
    back = _post(helpdesk, f"/api/assets/assets/{asset.pk}/checkin", {"condition_notes": "ok"})
    assert back.status_code == 200 and back.json()["state"] == "in_stock"
    history = helpdesk.get(f"/api/assets/assets/{asset.pk}/custody").json()
    assert len(history) == 1 and history[0]["condition_notes"] == "ok"
    events = AuditEvent.objects.filter(object_type="assets.asset", object_id=str(asset.pk))
    assert list(events.order_by("id").values_list("action", "source"))[-2:] == [
        ("checkout", "api"),
        ("checkin", "api"),
    ]


def test_procurement_and_finance_see_costs_read_only_roles_cannot_act(
    api: Callable[..., Client], make_asset: Callable[..., Asset], catalogue: dict[str, Any]
) -> None:
    asset = make_asset()
    assert api("Procurement").get(f"/api/assets/assets/{asset.pk}").json()["cost"] == "1299.00"
    assert api("Finance").get(f"/api/assets/assets/{asset.pk}").json()["currency"] == "EUR"
    reader = api("Read-only")
    assert reader.get(f"/api/assets/assets/{asset.pk}").status_code == 200
    response = _post(
        reader, f"/api/assets/assets/{asset.pk}/checkout", {"to_person_id": catalogue["ana"].pk}
    )
    assert response.status_code == 403
    created = _post(
        api("Procurement"),
        "/api/assets/assets/",
        {"model_id": catalogue["latitude"].pk, "cost": "10.50", "currency": "GBP"},
    )
    assert created.status_code == 201, created.content
    assert created.json()["asset_tag"].startswith("AG-")
    assert api("Compliance").get("/api/assets/assets/").status_code == 200


def test_hidden_asset_actions_are_404_and_hidden_targets_name_the_field(
    api: Callable[..., Client], make_asset: Callable[..., Asset], catalogue: dict[str, Any]
) -> None:
    asset = make_asset()
    nobody = api()
    response = _post(nobody, f"/api/assets/assets/{asset.pk}/checkout", {})
    assert response.status_code == 404
    limited = api(
        permissions=[
            (["assets.asset"], ["view", "checkout"], None),
            (["org.person"], ["view"], {"id": -1}),
        ]
    )
    response = _post(
        limited, f"/api/assets/assets/{asset.pk}/checkout", {"to_person_id": catalogue["ana"].pk}
    )
    assert response.status_code == 404  # hidden reads as missing, and names the field
    assert "to_person_id" in response.json()["error"]["fields"]


def test_transition_endpoint_names_the_rule_and_fields(
    api: Callable[..., Client], make_asset: Callable[..., Asset]
) -> None:
    asset = make_asset()
    admin = api("Procurement")
    url = f"/api/assets/assets/{asset.pk}/transition"
    refused = _post(admin, url, {"transition": "receive"})
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "transition_not_allowed"
    assert "rule 'receive'" in refused.json()["error"]["message"]
    missing = _post(admin, url, {"transition": "retire", "substate": "disposed"})
    assert missing.status_code == 422 and "reason" in missing.json()["error"]["fields"]
    done = _post(
        admin,
        url,
        {
            "transition": "retire",
            "substate": "sold",
            "reason": "refresh",
            "disposal": {"recipient": "Buyer Ltd", "proceeds": "100.00", "currency": "EUR"},
        },
    )
    assert done.status_code == 200, done.content
    assert (done.json()["state"], done.json()["substate"]) == ("retired", "sold")
    bad = _post(admin, url, {"transition": 5})
    assert bad.status_code == 422
    table = admin.get("/api/assets/lifecycle").json()
    assert {t["name"] for t in table} >= {"receive", "retire", "check_out"}


def test_custom_field_filters_and_sorting(
    api: Callable[..., Client], make_asset: Callable[..., Asset]
) -> None:
    make_asset(attributes={"ram_gb": 8})
    big = make_asset(attributes={"ram_gb": 32})
    make_asset(attributes={"ram_gb": 16})
    client = api("Helpdesk")
    rows = client.get("/api/assets/assets/", {"attr.ram_gb__gte": "16"}).json()["results"]
    assert sorted(r["attributes"]["ram_gb"] for r in rows) == [16, 32]
    ordered = client.get("/api/assets/assets/", {"ordering": "-attr.ram_gb"}).json()["results"]
    assert ordered[0]["id"] == big.pk
    bad = client.get("/api/assets/assets/", {"attr.ram_gb__gte": "lots"})
    assert bad.status_code == 422 and "attr.ram_gb" in bad.json()["error"]["fields"]
    created = _post(
        api("Procurement"),
        "/api/assets/assets/",
        {"model_id": big.model_id, "attributes": {"ram_gb": "many"}},
    )
    assert created.status_code == 422
    assert "attributes.ram_gb" in created.json()["error"]["fields"]


def test_asset_list_has_no_n_plus_one(
    api: Callable[..., Client],
    make_asset: Callable[..., Asset],
    catalogue: dict[str, Any],
    django_assert_max_num_queries: Any,
) -> None:
    client = api("Procurement")
    for index in range(12):
        asset = make_asset(model="u27" if index % 2 else "latitude")
        if index % 3 == 0:
            services.check_out_asset(Actor.system(), asset, to_person=catalogue["ana"])
    client.get("/api/assets/assets/")  # warm caches (grants, content types)
    with django_assert_max_num_queries(8):
        response = client.get("/api/assets/assets/", {"limit": 50})
    assert len(response.json()["results"]) == 12
    with django_assert_max_num_queries(8):
        assert client.get("/api/assets/custom-fields/").status_code == 200
    services.create_kit(Actor.system(), {"name": "K", "items": [{"model_id": catalogue["u27"].pk}]})
    with django_assert_max_num_queries(8):
        assert len(client.get("/api/assets/kits/").json()["results"]) == 1


def test_issue_kit_and_offboarding_through_the_api(
    api: Callable[..., Client], make_asset: Callable[..., Asset], catalogue: dict[str, Any]
) -> None:
    kit = services.create_kit(
        Actor.system(),
        {"name": "Starter", "items": [{"model_id": catalogue["u27"].pk, "quantity": 2}]},
    )
    make_asset(model="u27")
    helpdesk = api("Helpdesk")
    people = [catalogue["ana"].pk, catalogue["ben"].pk]
    short = _post(helpdesk, f"/api/assets/kits/{kit.pk}/issue", {"people": people})
    assert short.status_code == 409
    assert short.json()["error"]["fields"]["items"] == ["U2723QE: need 4, 1 available (3 short)"]
    for _ in range(3):
        make_asset(model="u27")
    issued = _post(helpdesk, f"/api/assets/kits/{kit.pk}/issue", {"people": people})
    assert issued.status_code == 200 and len(issued.json()) == 4
    held = helpdesk.get(f"/api/assets/people/{catalogue['ben'].pk}/custody").json()
    assert len(held) == 2
    from assetgraph.org import services as org

    org.update_person(
        Actor.system(), catalogue["ben"], {"status": "leaving", "end_date": "2099-01-01"}
    )
    leavers = helpdesk.get("/api/assets/reports/leavers").json()
    assert [(p["id"], p["asset_count"]) for p in leavers] == [(catalogue["ben"].pk, 2)]
    done = helpdesk.post(f"/api/assets/people/{catalogue['ben'].pk}/offboard")
    assert done.status_code == 200 and len(done.json()) == 2
    assert helpdesk.get("/api/assets/reports/leavers").json() == []


def test_alerts_list_expiring_warranties_overdue_returns_and_eol(
    api: Callable[..., Client], make_asset: Callable[..., Asset], catalogue: dict[str, Any]
) -> None:
    import datetime as dt

    today = dt.date.today()
    soon = make_asset(warranty_end=today + dt.timedelta(days=10), eol_date=today)
    make_asset(warranty_end=today + dt.timedelta(days=100), eol_date=today + dt.timedelta(days=900))
    lent = make_asset(model="u27")
    services.check_out_asset(Actor.system(), lent, to_person=catalogue["ana"])
    Asset.objects.filter(pk=lent.pk).update(expected_return=today - dt.timedelta(days=1))
    body = api("Helpdesk").get("/api/assets/alerts", {"warranty_days": 30}).json()
    assert [r["id"] for r in body["warranty_expiring"]["results"]] == [soon.pk]
    assert [r["id"] for r in body["overdue_returns"]["results"]] == [lent.pk]
    assert soon.pk in [r["id"] for r in body["end_of_life"]["results"]]
    assert api().get("/api/assets/alerts").status_code == 403


def test_bulk_checkin_is_all_or_nothing(
    api: Callable[..., Client], make_asset: Callable[..., Asset], catalogue: dict[str, Any]
) -> None:
    lent, idle = make_asset(), make_asset()
    services.check_out_asset(Actor.system(), lent, to_person=catalogue["ana"])
    helpdesk = api("Helpdesk")
    refused = _post(helpdesk, "/api/assets/assets/bulk-checkin", {"assets": [lent.pk, idle.pk]})
    assert refused.status_code == 409
    assert Asset.objects.get(pk=lent.pk).state == "in_use"
    done = _post(helpdesk, "/api/assets/assets/bulk-checkin", {"assets": [lent.pk]})
    assert done.status_code == 200 and done.json()[0]["state"] == "in_stock"


def test_catalogue_models_and_custom_fields_validate(
    api: Callable[..., Client], catalogue: dict[str, Any]
) -> None:
    procurement = api("Procurement")
    bad = _post(
        procurement,
        "/api/assets/models/",
        {
            "name": "X",
            "category_id": catalogue["laptops"].pk,
            "manufacturer_id": catalogue["cdw"].pk,
        },
    )
    assert bad.status_code == 422 and "manufacturer" in bad.json()["error"]["fields"]
    field = _post(
        procurement,
        "/api/assets/custom-fields/",
        {
            "key": "os",
            "label": "OS",
            "type": "choice",
            "choices": ["Windows", "macOS"],
            "categories": [catalogue["laptops"].pk],
        },
    )
    assert field.status_code == 201, field.content
    assert field.json()["categories"] == [catalogue["laptops"].pk]
    assert CustomField.objects.get(key="os").applies_to(catalogue["laptops"].pk)
    assert not Kit.objects.exists()


def test_asset_export_shows_costs_only_to_those_who_may_see_them(api: Any, make_asset: Any) -> None:
    """Exports are a permission surface too: the cost columns follow ``view_cost``."""
    make_asset(cost=Decimal("1234.50"))
    finance = api("Finance").get("/api/assets/assets/export", {"format": "csv"})
    helpdesk = api("Helpdesk").get("/api/assets/assets/export", {"format": "csv"})
    assert finance.status_code == helpdesk.status_code == 200
    assert "cost,currency" in finance.content.decode("utf-8-sig").splitlines()[0]
    assert "1234.50" in finance.content.decode("utf-8-sig")
    assert "cost" not in helpdesk.content.decode("utf-8-sig").splitlines()[0]
    assert "1234.50" not in helpdesk.content.decode("utf-8-sig")
