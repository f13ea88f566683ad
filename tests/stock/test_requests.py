"""Self-service requests: submit, approve (manager or helpdesk), fulfil (the hand-over),
reject, cancel; who may do what; every step audited on the request."""

from __future__ import annotations

from typing import Any

import pytest

from assetgraph.assets.models import Asset
from assetgraph.core.actor import Actor
from assetgraph.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from assetgraph.stock import services
from assetgraph.stock.models import StockMovement
from assetgraph.stock.querysets import below_minimum, holdings, on_hand
from tests.conftest import events_for

pytestmark = pytest.mark.django_db


def as_user(user: Any) -> Actor:
    return Actor(user=user)


def test_headset_request_manager_approves_helpdesk_fulfils_from_the_nearest_storeroom(
    people: dict[str, Any],
) -> None:
    ana = as_user(people["ana_user"])
    request = services.submit_request(ana, people["headset_entry"], reason="calls all day")
    assert request.requester_id == people["ana"].pk and request.state == "submitted"
    # the helpdesk cannot approve an entry that says the manager approves
    with pytest.raises(PermissionDenied, match="only the request's approver"):
        services.transition_request(as_user(people["helpdesk"]), request, "approve")
    # Ana cannot approve her own request
    with pytest.raises(PermissionDenied):
        services.transition_request(ana, request, "approve")
    services.transition_request(as_user(people["minh_user"]), request, "approve", note="ok")
    # a manager cannot fulfil
    with pytest.raises(PermissionDenied, match="fulfiller"):
        services.transition_request(as_user(people["minh_user"]), request, "fulfil")
    done = services.transition_request(as_user(people["helpdesk"]), request, "fulfil")
    assert done.state == "fulfilled" and "Berlin" in done.fulfilment
    line = StockMovement.objects.get(reference=done.number)
    # Ana sits in Berlin: the headset came from the Berlin storeroom
    assert (line.reason, line.from_location_id, line.to_person_id) == (
        "issued",
        people["berlin"].pk,
        people["ana"].pk,
    )
    assert holdings(people["ana"].pk).get().on_hand == 1
    assert on_hand(people["headset"].pk, people["berlin"].pk) == 2
    steps = [(e.action, e.actor_repr) for e in events_for(done)]
    assert [s[0] for s in steps] == ["submit", "approve", "fulfil"]
    assert steps[1][1] == people["minh_user"].username
    # Berlin now holds 2 headsets, below its minimum of 5
    assert (people["berlin"].pk, people["headset"].pk) in {
        (b.location_id, b.item_id) for b in below_minimum()
    }


def test_helpdesk_approves_helpdesk_entries_and_fulfilment_checks_out_an_asset(
    people: dict[str, Any], make_asset: Any
) -> None:
    far = make_asset(model="u27", location=people["berlin"])
    near = make_asset(model="u27")  # London HQ, where Minh sits
    minh = as_user(people["minh_user"])
    request = services.submit_request(minh, people["monitor_entry"], reason="second screen")
    desk = as_user(people["helpdesk"])
    services.transition_request(desk, request, "approve")
    done = services.transition_request(desk, request, "fulfil")
    assert done.fulfilment == f"checked out {near.asset_tag}"
    assert Asset.objects.get(pk=near.pk).custodian_id == people["minh"].pk
    assert Asset.objects.get(pk=far.pk).custodian_id is None


def test_entries_without_approval_are_approved_on_submission(people: dict[str, Any]) -> None:
    request = services.submit_request(
        as_user(people["ana_user"]), people["toner_entry"], reason="printer empty", quantity=2
    )
    assert request.state == "approved"
    assert [e.action for e in events_for(request)] == ["submit", "approve"]


def test_submission_rules(people: dict[str, Any]) -> None:
    ana = as_user(people["ana_user"])
    with pytest.raises(ValidationFailed, match="reason"):
        services.submit_request(ana, people["headset_entry"], reason=" ")
    with pytest.raises(ValidationFailed, match="quantity: between 1 and 1"):
        services.submit_request(ana, people["headset_entry"], reason="x", quantity=2)
    # an employee cannot request on behalf of someone else; the helpdesk can
    with pytest.raises(PermissionDenied, match="on behalf"):
        services.submit_request(ana, people["headset_entry"], reason="x", requester=people["ben"])
    made = services.submit_request(
        as_user(people["helpdesk"]), people["headset_entry"], reason="x", requester=people["ben"]
    )
    assert made.requester_id == people["ben"].pk
    # an account without a person cannot request for itself
    with pytest.raises(ValidationFailed, match="not linked to a person"):
        services.submit_request(as_user(people["procurement"]), people["headset_entry"], reason="x")


def test_reject_needs_a_note_and_ends_the_request(people: dict[str, Any]) -> None:
    request = services.submit_request(
        as_user(people["ana_user"]), people["headset_entry"], reason="want"
    )
    minh = as_user(people["minh_user"])
    with pytest.raises(ValidationFailed, match="note: required"):
        services.transition_request(minh, request, "reject")
    services.transition_request(minh, request, "reject", note="you have one")
    with pytest.raises(Conflict, match=r"rule 'approve'.* is rejected"):
        services.transition_request(minh, request, "approve")


def test_requester_cancels_and_strangers_see_nothing(
    people: dict[str, Any], make_user: Any
) -> None:
    request = services.submit_request(
        as_user(people["ana_user"]), people["headset_entry"], reason="want"
    )
    stranger = make_user("Self-service")
    with pytest.raises(NotFound):
        services.transition_request(as_user(stranger), request, "cancel")
    assert not services.visible_requests(stranger).exists()
    assert services.visible_requests(people["minh_user"]).filter(pk=request.pk).exists()
    done = services.transition_request(as_user(people["ana_user"]), request, "cancel")
    assert done.state == "cancelled"


def test_fulfilment_without_stock_is_a_409_and_the_request_stays_approved(
    people: dict[str, Any],
) -> None:
    minh = as_user(people["minh_user"])
    request = services.submit_request(minh, people["monitor_entry"], reason="second screen")
    desk = as_user(people["helpdesk"])
    services.transition_request(desk, request, "approve")
    with pytest.raises(Conflict, match="not enough available assets"):
        services.transition_request(desk, request, "fulfil")
    request.refresh_from_db()
    assert request.state == "approved"


def test_kit_with_stock_items_takes_them_from_the_persons_site_first(
    people: dict[str, Any], make_asset: Any, system: Actor
) -> None:
    from assetgraph.assets.services import create_kit

    laptop = make_asset(location=people["berlin"])
    make_asset()  # another laptop, in London
    kit = create_kit(
        system,
        {
            "name": "Starter",
            "items": [
                {"model_id": people["latitude"].pk, "quantity": 1},
                {"model_id": people["headset"].model_id, "quantity": 1},
            ],
        },
    )
    entry = services.create_catalogue_entry(
        system, {"title": "Starter kit", "kit": kit, "approval": "none"}
    )
    request = services.submit_request(as_user(people["ana_user"]), entry, reason="new starter")
    done = services.transition_request(as_user(people["helpdesk"]), request, "fulfil")
    # Ana sits in Berlin: the Berlin laptop and a headset from the Berlin storeroom
    assert laptop.asset_tag in done.fulfilment and "EMEA / Berlin" in done.fulfilment
    assert Asset.objects.get(pk=laptop.pk).custodian_id == people["ana"].pk
    assert holdings(people["ana"].pk).get().item_id == people["headset"].pk


def test_nobody_approves_their_own_request(people: dict[str, Any], system: Actor) -> None:
    from assetgraph.org import services as org

    desk = people["helpdesk"]
    org.update_person(system, people["ben"], {"user": desk})  # Ben works at the helpdesk
    request = services.submit_request(as_user(desk), people["monitor_entry"], reason="mine")
    with pytest.raises(PermissionDenied, match="approver"):
        services.transition_request(as_user(desk), request, "approve")
