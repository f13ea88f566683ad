"""Business actions that know what they break (docs/both-layers.md): the outage preview, the
confirmation rule, and the CI retiring with its asset, through the API and the UI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from assetgraph.assets.models import Asset
from assetgraph.audit.models import AuditEvent
from assetgraph.cmdb import services as cmdb_services
from assetgraph.cmdb.models import CI
from assetgraph.core.actor import Actor
from assetgraph.org import services as org_services
from tests.assets.conftest import catalogue, make_asset
from tests.cmdb.conftest import cls, rtype

__all__ = ["catalogue", "make_asset"]


def transition(client: Any, asset: Asset, **body: Any) -> Any:
    return client.post(
        f"/api/assets/assets/{asset.pk}/transition",
        json.dumps(body),
        content_type="application/json",
    )


@pytest.mark.django_db
class TestOneRecord:
    @pytest.fixture
    def server(self, make_asset: Any, system: Actor) -> tuple[CI, Asset]:
        asset = make_asset()
        ci = cmdb_services.create_ci(
            system, {"name": "srv-ret-01", "ci_class": cls("Server"), "asset": asset}
        )
        return ci, asset

    def test_retiring_the_asset_retires_its_ci_in_the_same_transaction(
        self, server: tuple[CI, Asset], api: Any
    ) -> None:
        ci, asset = server
        response = transition(
            api("Admin"),
            asset,
            transition="retire",
            substate="lost",
            reason="gone from the rack",
        )
        assert response.status_code == 200, response.content
        ci.refresh_from_db()
        assert ci.valid_to is not None and ci.operational_status == "retired"
        events = AuditEvent.objects.filter(object_id=str(ci.pk), object_type="cmdb.ci")
        retire = events.get(action="retire")
        assert retire.after["reason"] == "its asset was retired (retire)"
        assert AuditEvent.objects.filter(
            object_type="assets.asset", object_id=str(asset.pk), action="retire"
        ).exists()

    def test_a_failing_ci_retirement_rolls_the_asset_back(
        self, server: tuple[CI, Asset], system: Actor, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from assetgraph.assets.services import transition_asset
        from assetgraph.cmdb import receivers

        _ci, asset = server

        def boom(*args: Any, **kwargs: Any) -> None:
            raise RuntimeError("CMDB down")

        monkeypatch.setattr(receivers, "retire_ci", boom)
        with pytest.raises(RuntimeError):
            transition_asset(system, asset, "retire", substate="lost", reason="x")
        asset.refresh_from_db()
        assert asset.state == "in_stock"
        assert not AuditEvent.objects.filter(
            object_type="assets.asset", object_id=str(asset.pk), action="retire"
        ).exists()

    def test_decommission_is_refused_while_a_person_holds_the_asset(
        self, server: tuple[CI, Asset], api: Any, system: Actor, catalogue: dict[str, Any]
    ) -> None:
        from assetgraph.assets.services import check_out_asset

        _ci, asset = server
        person = org_services.create_person(
            system, {"employee_number": "E77", "first_name": "Ana", "last_name": "Holder"}
        )
        check_out_asset(system, asset, to_person=person)
        refused = transition(
            api("Admin"),
            asset,
            transition="decommission",
            substate="disposed",
            reason="old",
            disposal={"recipient": "Recycler"},
        )
        assert refused.status_code == 409
        assert "held by a person" in refused.json()["error"]["message"]

    def test_a_tier1_service_going_down_needs_a_confirmation(
        self, server: tuple[CI, Asset], api: Any, system: Actor
    ) -> None:
        ci, asset = server
        service = cmdb_services.create_ci(
            system, {"name": "Payments", "ci_class": cls("Business Service"), "criticality": 1}
        )
        cmdb_services.add_relationship(
            system, {"source": service, "type": rtype("depends on"), "target": ci}
        )
        client = api("Admin")
        preview = client.get(f"/api/assets/assets/{asset.pk}/outage-preview").json()["preview"]
        assert preview["needs_confirmation"] is True
        assert preview["reasons"] == ["tier-1 service Payments goes down"]
        assert preview["services"][0]["display"] == "Payments"
        body = {"transition": "send_to_repair", "reason": "fan"}
        refused = transition(client, asset, **body)
        assert refused.status_code == 409
        assert refused.json()["error"]["code"] == "confirmation_required"
        assert "Payments" in refused.json()["error"]["message"]
        asset.refresh_from_db()
        assert asset.state == "in_stock"
        done = transition(client, asset, **body, confirm_impact=True)
        assert done.status_code == 200, done.content
        assert Asset.objects.get(pk=asset.pk).state == "in_repair"


@pytest.fixture(scope="class")
def hypervisor(demo_company: Any, django_db_blocker: Any) -> Iterator[CI]:
    with django_db_blocker.unblock():
        yield CI.objects.current().get(name="hv-a01")


@pytest.mark.usefixtures("db")
class TestDemoHypervisor:
    def test_the_demo_has_no_asset_ci_drift(self, hypervisor: CI) -> None:
        from assetgraph.cmdb.drift import find_drift

        assert [d.as_dict() for d in find_drift()] == []

    """Issue 21's done-when: retiring a hypervisor of Farm A (hv-a07 is in repair)."""

    def test_the_page_shows_farm_a_down_if_one_more_host_fails_and_asks(
        self, hypervisor: CI, browser: Any
    ) -> None:
        client = browser("Admin")
        page = client.get(f"/assets/assets/{hypervisor.asset_id}/transition/")
        html = page.content.decode()
        assert page.status_code == 200
        assert 'id="outage-preview"' in html and "Farm A" in html
        assert "down if one more member fails" in html
        assert "Needs your confirmation" in html
        post = {
            "transition": "decommission",
            "substate": "disposed",
            "reason": "end of life",
            "recipient": "Recycler",
        }
        refused = client.post(f"/assets/assets/{hypervisor.asset_id}/transition/", post)
        assert refused.status_code == 409
        assert "no spare capacity" in refused.content.decode()
        done = client.post(
            f"/assets/assets/{hypervisor.asset_id}/transition/", {**post, "confirm_impact": "on"}
        )
        assert done.status_code == 302
        assert CI.objects.get(pk=hypervisor.pk).valid_to is not None


@pytest.mark.django_db
class TestCiFollowsItsAsset:
    """One record: every asset change that matters to the CMDB is followed by its CI, in the
    same transaction, with an audit event on each side (docs/both-layers.md)."""

    @pytest.fixture
    def server(self, make_asset: Any, system: Actor, catalogue: dict[str, Any]) -> tuple[CI, Asset]:
        asset = make_asset()
        ci = cmdb_services.create_ci(
            system,
            {
                "name": "srv-follow",
                "ci_class": cls("Server"),
                "asset": asset,
                "location": asset.location,
            },
        )
        return ci, asset

    def test_repair_puts_the_ci_in_maintenance_and_back(
        self, server: tuple[CI, Asset], system: Actor
    ) -> None:
        from assetgraph.assets.services import transition_asset

        ci, asset = server
        transition_asset(system, asset, "send_to_repair", reason="fan")
        ci.refresh_from_db()
        assert ci.operational_status == "maintenance"
        event = (
            AuditEvent.objects.filter(object_type="cmdb.ci", object_id=str(ci.pk))
            .order_by("pk")
            .last()
        )
        assert event is not None and event.after["reason"] == "its asset: send_to_repair"
        transition_asset(system, asset, "return_from_repair")
        ci.refresh_from_db()
        assert ci.operational_status == "live"

    def test_moving_the_asset_moves_the_ci(
        self, server: tuple[CI, Asset], system: Actor, catalogue: dict[str, Any], api: Any
    ) -> None:
        ci, asset = server
        other = org_services.create_location(
            system, {"name": "Annex", "kind": "room", "parent": catalogue["room"]}
        )
        response = api("Admin").patch(
            f"/api/assets/assets/{asset.pk}",
            json.dumps({"location_id": other.pk}),
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
        ci.refresh_from_db()
        assert ci.location_id == other.pk
        event = (
            AuditEvent.objects.filter(object_type="cmdb.ci", object_id=str(ci.pk))
            .order_by("pk")
            .last()
        )
        assert event is not None and event.after["reason"] == "its asset moved"

    def test_drift_is_reported_and_fixed_by_the_command(
        self, server: tuple[CI, Asset], system: Actor
    ) -> None:
        import io

        from django.core.management import call_command

        ci, asset = server
        other = org_services.create_location(
            system, {"name": "Cage 9", "kind": "room", "parent": asset.location}
        )
        Asset.objects.filter(pk=asset.pk).update(location=other, state="in_repair")  # behind
        out = io.StringIO()
        call_command("drift", "--json", stdout=out)
        found = json.loads(out.getvalue())["drift"]
        assert {d["kind"] for d in found} == {"location", "repair"}
        call_command("drift", "--fix", stdout=io.StringIO())
        ci.refresh_from_db()
        assert ci.location_id == other.pk and ci.operational_status == "maintenance"
        out = io.StringIO()
        call_command("drift", stdout=out)
        assert "no drift" in out.getvalue()
        Asset.objects.filter(pk=asset.pk).update(state="retired", substate="lost")
        call_command("drift", "--fix", stdout=io.StringIO())
        ci.refresh_from_db()
        assert ci.valid_to is not None
