"""Asset services: tags, catalogue defaults, custom fields, lifecycle rules, custody, kits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from assetgraph.assets import services
from assetgraph.assets.models import Asset, CustodyRecord, Disposal, Sequence
from assetgraph.audit.models import AuditEvent
from assetgraph.core.actor import Actor
from assetgraph.core.errors import Conflict, ValidationFailed
from assetgraph.org import services as org

from ..conftest import events_for

pytestmark = pytest.mark.django_db
MakeAsset = Callable[..., Asset]


def test_tags_are_generated_in_sequence_and_skip_hand_typed_ones(make_asset: MakeAsset) -> None:
    first = make_asset()
    assert first.asset_tag == "AG-000001"
    make_asset(asset_tag="AG-000002")
    assert make_asset().asset_tag == "AG-000003"
    assert Sequence.objects.get(name="asset_tag").next_value == 4


def test_model_defaults_fill_manufacturer_warranty_and_end_of_life(
    make_asset: MakeAsset, catalogue: dict[str, Any]
) -> None:
    asset = make_asset()
    assert asset.manufacturer == catalogue["dell"]
    assert asset.warranty_end == dt.date(2028, 1, 31)
    assert asset.eol_date == dt.date(2029, 1, 31)
    assert asset.state == "in_stock" and asset.substate == "available"
    assert asset.received_date is not None
    explicit = make_asset(warranty_end=dt.date(2026, 6, 30))
    assert explicit.warranty_end == dt.date(2026, 6, 30)


def test_serial_number_is_unique_per_manufacturer_and_names_the_field(
    make_asset: MakeAsset, system: Actor, catalogue: dict[str, Any]
) -> None:
    make_asset(serial_number="SN1")
    with pytest.raises(ValidationFailed) as exc:
        make_asset(serial_number="SN1")
    assert "serial_number" in exc.value.fields
    hp = org.create_company(system, {"name": "HP", "is_manufacturer": True})
    elite = services.create_model(
        system, {"name": "EliteBook", "category": catalogue["laptops"], "manufacturer": hp}
    )
    other = services.create_asset(system, {"model": elite, "serial_number": "SN1"})
    assert other.serial_number == "SN1"
    make_asset(serial_number="")  # blank serials never clash
    make_asset(serial_number="")


def test_money_needs_an_iso_currency(make_asset: MakeAsset) -> None:
    with pytest.raises(ValidationFailed) as exc:
        make_asset(currency="euro")
    assert "currency" in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        make_asset(currency="")
    assert exc.value.fields["currency"] == ["a cost needs its currency"]


def test_model_manufacturer_must_be_a_manufacturer(
    catalogue: dict[str, Any], system: Actor
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.create_model(
            system,
            {"name": "X", "category": catalogue["laptops"], "manufacturer": catalogue["cdw"]},
        )
    assert "manufacturer" in exc.value.fields


def test_custom_fields_are_validated_per_category(make_asset: MakeAsset, system: Actor) -> None:
    laptop = make_asset(attributes={"ram_gb": "32", "team": "core"})
    assert laptop.attributes == {"ram_gb": 32, "team": "Core"}
    with pytest.raises(ValidationFailed) as exc:
        make_asset(attributes={"ram_gb": "lots"})
    assert exc.value.fields == {"attributes.ram_gb": ["not a whole number"]}
    with pytest.raises(ValidationFailed) as exc:
        make_asset(model="u27", attributes={"ram_gb": 8})  # laptops only
    assert "attributes.ram_gb" in exc.value.fields
    updated = services.update_asset(system, laptop, {"attributes": {"team": "Edge"}})
    assert updated.attributes == {"ram_gb": 32, "team": "Edge"}


def test_state_cannot_be_patched_only_transitioned(make_asset: MakeAsset, system: Actor) -> None:
    asset = make_asset()
    with pytest.raises(ValidationFailed) as exc:
        services.update_asset(system, asset, {"state": "retired"})
    assert "state" in exc.value.fields
    with pytest.raises(ValidationFailed):
        make_asset(state="in_use")


def test_transition_table_allows_stamps_and_audits(make_asset: MakeAsset, system: Actor) -> None:
    asset = make_asset(state="on_order")
    assert asset.received_date is None
    received = services.transition_asset(system, asset, "receive")
    assert (received.state, received.substate) == ("in_stock", "available")
    assert received.received_date is not None
    repair = services.transition_asset(system, received, "send_to_repair", reason="fan noise")
    assert repair.state == "in_repair"
    assert [e.action for e in events_for(asset)] == ["create", "receive", "send_to_repair"]
    assert events_for(asset)[-1].after["reason"] == "fan noise"


def test_impossible_transition_is_a_conflict_naming_the_rule(
    make_asset: MakeAsset, system: Actor
) -> None:
    asset = make_asset()
    with pytest.raises(Conflict) as exc:
        services.transition_asset(system, asset, "receive")
    assert "rule 'receive'" in exc.value.message
    assert "on order" in exc.value.message
    with pytest.raises(Conflict) as exc:
        services.transition_asset(system, asset, "check_out")
    assert "check-out" in exc.value.message
    with pytest.raises(ValidationFailed) as unknown:
        services.transition_asset(system, asset, "teleport")
    assert "transition" in unknown.value.fields


def test_retire_needs_a_reason_and_disposal_needs_a_record(
    make_asset: MakeAsset, system: Actor
) -> None:
    asset = make_asset()
    with pytest.raises(ValidationFailed) as exc:
        services.transition_asset(system, asset, "retire", substate="disposed")
    assert "reason" in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        services.transition_asset(system, asset, "retire", substate="disposed", reason="old")
    assert "disposal.recipient" in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        services.transition_asset(
            system, asset, "retire", substate="sold", reason="old", disposal={"recipient": "Bob"}
        )
    assert "disposal.proceeds" in exc.value.fields
    retired = services.transition_asset(
        system,
        asset,
        "retire",
        substate="disposed",
        reason="end of life",
        disposal={"recipient": "GreenCycle", "certificate_number": "C-1"},
    )
    assert (retired.state, retired.substate) == ("retired", "disposed")
    assert retired.retired_date is not None
    assert Disposal.objects.get(asset=asset).recipient == "GreenCycle"
    lost = services.transition_asset(system, make_asset(), "retire", substate="lost", reason="?")
    assert lost.substate == "lost"
    with pytest.raises(Conflict):  # retired is terminal
        services.transition_asset(system, retired, "found")


def test_check_out_and_in_keep_a_custody_history(
    make_asset: MakeAsset, system: Actor, catalogue: dict[str, Any]
) -> None:
    monitor = make_asset(model="u27")
    record = services.check_out_asset(
        system, monitor, to_person=catalogue["ana"], expected_return=dt.date(2099, 1, 1)
    )
    monitor.refresh_from_db()
    assert (monitor.state, monitor.custodian, monitor.deployed_date) == (
        "in_use",
        catalogue["ana"],
        dt.date.today(),
    )
    assert record.acceptance == "not_required" and record.acceptance_token is None
    with pytest.raises(Conflict) as exc:
        services.check_out_asset(system, monitor, to_person=catalogue["ben"])
    assert "rule 'check_out'" in exc.value.message
    services.check_in_asset(system, monitor, condition_notes="scratched", defective=True)
    monitor.refresh_from_db()
    assert (monitor.state, monitor.substate, monitor.custodian) == ("in_stock", "defective", None)
    closed = CustodyRecord.objects.get(pk=record.pk)
    assert closed.checked_in_at is not None and closed.condition_notes == "scratched"
    with pytest.raises(Conflict) as exc:
        services.check_in_asset(system, monitor)
    assert "rule 'check_in'" in exc.value.message
    assert [e.action for e in events_for(monitor)] == ["create", "checkout", "checkin"]


def test_check_out_targets_location_or_asset_but_exactly_one(
    make_asset: MakeAsset, system: Actor, catalogue: dict[str, Any]
) -> None:
    workstation, monitor = make_asset(), make_asset(model="u27")
    with pytest.raises(ValidationFailed):
        services.check_out_asset(system, monitor)
    with pytest.raises(ValidationFailed):
        services.check_out_asset(
            system, monitor, to_person=catalogue["ana"], to_location=catalogue["room"]
        )
    with pytest.raises(ValidationFailed) as exc:
        services.check_out_asset(system, monitor, to_asset=monitor)
    assert "to_asset" in exc.value.fields
    services.check_out_asset(system, monitor, to_asset=workstation)
    services.check_out_asset(system, workstation, to_location=catalogue["berlin"])
    monitor.refresh_from_db()
    workstation.refresh_from_db()
    assert monitor.parent == workstation
    assert workstation.assigned_location == catalogue["berlin"]
    assert workstation.location == catalogue["berlin"]
    with pytest.raises(ValidationFailed):
        services.check_out_asset(
            system, make_asset(), to_person=catalogue["ana"], expected_return=dt.date(2000, 1, 1)
        )


def test_acceptance_is_recorded_once_with_a_timestamp(
    make_asset: MakeAsset, system: Actor, catalogue: dict[str, Any]
) -> None:
    laptop = make_asset()
    record = services.check_out_asset(system, laptop, to_person=catalogue["minh"])
    assert record.acceptance == "pending" and record.acceptance_terms == "Keep it safe."
    assert record.acceptance_token
    answered = services.respond_to_acceptance(system, record.acceptance_token, accept=True)
    assert answered.acceptance == "accepted" and answered.responded_at is not None
    with pytest.raises(Conflict):
        services.respond_to_acceptance(system, record.acceptance_token, accept=False)
    assert events_for(laptop)[-1].action == "accept"


def test_report_missing_closes_custody(
    make_asset: MakeAsset, system: Actor, catalogue: dict[str, Any]
) -> None:
    laptop = make_asset()
    services.check_out_asset(system, laptop, to_person=catalogue["ana"])
    missing = services.transition_asset(system, laptop, "report_missing", reason="not at desk")
    assert missing.state == "missing" and missing.custodian is None
    assert not CustodyRecord.objects.filter(asset=laptop, checked_in_at__isnull=True).exists()


def test_kit_issue_is_all_or_nothing_with_a_shortage_report(
    make_asset: MakeAsset, system: Actor, catalogue: dict[str, Any]
) -> None:
    kit = services.create_kit(
        system,
        {
            "name": "Starter",
            "items": [
                {"model_id": catalogue["latitude"].pk, "quantity": 1},
                {"model_id": catalogue["u27"].pk, "quantity": 2},
            ],
        },
    )
    for _ in range(2):
        make_asset()
    for _ in range(3):
        make_asset(model="u27")
    events = AuditEvent.objects.count()
    people = [catalogue["minh"], catalogue["ana"]]
    with pytest.raises(Conflict) as exc:
        services.issue_kit(system, kit, people)
    assert "U2723QE: need 4, 3 available (1 short)" in exc.value.message
    assert exc.value.fields == {"items": ["U2723QE: need 4, 3 available (1 short)"]}
    assert Asset.objects.filter(state="in_use").count() == 0
    assert AuditEvent.objects.count() == events
    make_asset(model="u27", location=catalogue["berlin"])
    records = services.issue_kit(system, kit, people)
    assert len(records) == 6
    assert Asset.objects.filter(custodian=catalogue["ana"]).count() == 3
    # Ana works in Berlin: the Berlin monitor goes to her.
    assert Asset.objects.filter(custodian=catalogue["ana"], location=catalogue["berlin"]).exists()


def test_offboarding_checks_everything_in(
    make_asset: MakeAsset, system: Actor, catalogue: dict[str, Any]
) -> None:
    for model in ("latitude", "u27"):
        services.check_out_asset(system, make_asset(model=model), to_person=catalogue["ben"])
    returned = services.offboard_person(system, catalogue["ben"])
    assert len(returned) == 2
    assert not Asset.objects.filter(custodian=catalogue["ben"]).exists()
    assert (
        CustodyRecord.objects.filter(person=catalogue["ben"], checked_in_at__isnull=True).count()
        == 0
    )


def test_asset_with_custody_history_cannot_be_deleted(
    make_asset: MakeAsset, system: Actor, catalogue: dict[str, Any]
) -> None:
    asset = make_asset()
    services.check_out_asset(system, asset, to_person=catalogue["ana"])
    services.check_in_asset(system, asset)
    with pytest.raises(Conflict):
        services.delete_asset(system, asset)
    services.delete_asset(system, make_asset())
