"""Webhooks and event rules: signed deliveries after commit, retries, redaction, SSRF guard."""

from __future__ import annotations

import ipaddress
import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from assetgraph.assets import services as asset_services
from assetgraph.assets.models import Asset
from assetgraph.audit.models import AuditEvent
from assetgraph.core.actor import Actor
from assetgraph.core.errors import ValidationFailed
from assetgraph.events import services
from assetgraph.events.delivery import dispatch_new_events, retry_delay, send_due_deliveries
from assetgraph.events.models import Delivery, DeliveryAttempt, DeliveryState
from assetgraph.events.signing import SIGNATURE_HEADER, SignatureError, sign, verify
from assetgraph.events.ssrf import AddressRefused, check_address, resolve
from assetgraph.events.worker import Worker

from .conftest import Receiver

SECRET = "whsec-test-1234"


def _hook(system: Actor, owner: Any, url: str, **extra: Any) -> Any:
    webhook = services.create_webhook(
        system, {"name": "Receiver", "url": url, "secret": SECRET, "owner": owner, **extra}
    )
    services.create_rule(
        system,
        {
            "name": "Check-outs",
            "object_type": "assets.asset",
            "actions": ["checkout"],
            "conditions": {},
            "webhook": webhook,
        },
    )
    return webhook


def test_a_check_out_reaches_the_receiver_signed(
    receiver: Receiver,
    make_user: Callable[..., Any],
    make_asset: Callable[..., Asset],
    catalogue: dict[str, Any],
    system: Actor,
) -> None:
    _hook(system, make_user(superuser=True), receiver.url)
    asset = make_asset(model="u27")
    asset_services.check_out_asset(system, asset, to_person=catalogue["ana"])
    # One worker pass delivers it (how fast is a benchmark's business, not an assertion's).
    worker = Worker()
    worker.run_once()
    assert receiver.wait_for(1)
    got = receiver.requests[0]
    assert verify(SECRET, got.headers[SIGNATURE_HEADER], got.body) > 0
    payload = json.loads(got.body)
    assert payload["action"] == "checkout"
    assert payload["object_id"] == str(asset.pk)
    assert payload["after"]["custodian"] == catalogue["ana"].pk
    assert payload["after"]["cost"] == "1299.00"  # the owner may see costs
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.SUCCEEDED and delivery.status_code == 200
    assert delivery.response_ms is not None
    # nothing is sent twice: the cursor moved past the event
    worker.run_once()
    assert len(receiver.requests) == 1 and Delivery.objects.count() == 1


def test_a_failing_receiver_gets_retries_with_backoff_until_it_accepts(
    receiver: Receiver,
    make_user: Callable[..., Any],
    make_asset: Callable[..., Asset],
    catalogue: dict[str, Any],
    system: Actor,
    settings: Any,
) -> None:
    settings.ASSETGRAPH_WEBHOOK_RETRY_BASE_SECONDS = 0.1
    receiver.statuses = [500, 500]
    _hook(system, make_user(superuser=True), receiver.url)
    asset_services.check_out_asset(system, make_asset(), to_person=catalogue["ana"])
    dispatch_new_events()
    deadline = time.monotonic() + 5
    while len(receiver.requests) < 3 and time.monotonic() < deadline:
        send_due_deliveries()
        time.sleep(0.02)
    assert len(receiver.requests) == 3
    log = list(DeliveryAttempt.objects.order_by("id"))
    assert [a.status_code for a in log] == [500, 500, 200]
    assert log[0].error == "the receiver answered 500"
    gaps = [b.at - a.at for a, b in zip(receiver.requests, receiver.requests[1:], strict=False)]
    assert gaps[0] >= 0.1 and gaps[1] >= 0.2  # exponential: 0.1 s, then 0.2 s
    # every attempt is signed afresh and verifies
    for request in receiver.requests:
        verify(SECRET, request.headers[SIGNATURE_HEADER], request.body)
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.SUCCEEDED and delivery.attempts == 3


def test_retries_stop_after_the_last_attempt(
    receiver: Receiver,
    make_user: Callable[..., Any],
    make_asset: Callable[..., Asset],
    catalogue: dict[str, Any],
    system: Actor,
    settings: Any,
) -> None:
    settings.ASSETGRAPH_WEBHOOK_MAX_ATTEMPTS = 2
    receiver.statuses = [500, 500, 500]
    _hook(system, make_user(superuser=True), receiver.url)
    asset_services.check_out_asset(system, make_asset(), to_person=catalogue["ana"])
    dispatch_new_events()
    deadline = time.monotonic() + 3
    while Delivery.objects.get().state == DeliveryState.PENDING and time.monotonic() < deadline:
        send_due_deliveries()
        time.sleep(0.02)
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.FAILED and delivery.attempts == 2
    assert len(receiver.requests) == 2


def test_backoff_doubles_and_is_capped(settings: Any) -> None:
    settings.ASSETGRAPH_WEBHOOK_RETRY_BASE_SECONDS = 10
    settings.ASSETGRAPH_WEBHOOK_RETRY_MAX_SECONDS = 60
    assert [retry_delay(n) for n in range(1, 6)] == [10, 20, 40, 60, 60]


def test_payloads_hide_costs_from_an_owner_without_view_cost(
    receiver: Receiver,
    make_user: Callable[..., Any],
    make_asset: Callable[..., Asset],
    catalogue: dict[str, Any],
    system: Actor,
) -> None:
    owner = make_user("Helpdesk")  # sees assets, not their costs
    _hook(system, owner, receiver.url)
    asset_services.check_out_asset(system, make_asset(), to_person=catalogue["ana"])
    Worker().run_once()
    assert receiver.wait_for(1)
    payload = json.loads(receiver.requests[0].body)
    assert "cost" not in payload["after"] and "cost" not in payload["before"]
    assert payload["after"]["custodian"] == catalogue["ana"].pk


def test_rule_filters_on_fields_and_a_body_template(
    receiver: Receiver,
    make_user: Callable[..., Any],
    make_asset: Callable[..., Asset],
    catalogue: dict[str, Any],
    system: Actor,
) -> None:
    webhook = services.create_webhook(
        system,
        {
            "name": "Chat",
            "url": receiver.url,
            "owner": make_user(superuser=True),
            "body_template": (
                '{"text": "{{ event.object_repr }} went to {{ event.after.custodian }}"}'
            ),
            "headers": {"X-Team": "core"},
        },
    )
    services.create_rule(
        system,
        {
            "name": "Only Ana",
            "object_type": "assets.asset",
            "actions": ["checkout"],
            "conditions": {"custodian": catalogue["ana"].pk},
            "webhook": webhook,
        },
    )
    others = [p for k, p in catalogue.items() if k in {"minh", "li"}]
    asset_services.check_out_asset(system, make_asset(), to_person=others[0])
    mine = make_asset(model="u27")
    asset_services.check_out_asset(system, mine, to_person=catalogue["ana"])
    Worker().run_once()
    assert receiver.wait_for(1)
    time.sleep(0.1)
    assert len(receiver.requests) == 1
    got = receiver.requests[0]
    assert json.loads(got.body) == {"text": f"{mine} went to {catalogue['ana'].pk}"}
    assert got.headers["X-Team"] == "core"
    assert SIGNATURE_HEADER not in got.headers  # no secret, no signature


def test_nothing_is_sent_for_a_write_that_rolled_back(
    receiver: Receiver,
    make_user: Callable[..., Any],
    make_asset: Callable[..., Asset],
    catalogue: dict[str, Any],
    system: Actor,
) -> None:
    from django.db import transaction

    _hook(system, make_user(superuser=True), receiver.url)
    asset = make_asset()

    def check_out_then_fail() -> None:
        with transaction.atomic():
            asset_services.check_out_asset(system, asset, to_person=catalogue["ana"])
            raise RuntimeError("the request failed after the check-out")

    with pytest.raises(RuntimeError):
        check_out_then_fail()
    assert not AuditEvent.objects.filter(action="checkout").exists()
    Worker().run_once()
    assert Delivery.objects.count() == 0 and receiver.requests == []


def test_signature_verification_refuses_tampering_and_replays() -> None:
    body = b'{"a": 1}'
    header = sign(SECRET, body, timestamp=1_000_000)
    assert verify(SECRET, header, body, now=1_000_100) == 1_000_000
    with pytest.raises(SignatureError, match="does not match"):
        verify(SECRET, header, b'{"a": 2}', now=1_000_100)
    with pytest.raises(SignatureError, match="does not match"):
        verify("other", header, body, now=1_000_100)
    with pytest.raises(SignatureError, match="replay window"):
        verify(SECRET, header, body, now=1_000_000 + 301)
    with pytest.raises(SignatureError, match="timestamp"):
        verify(SECRET, "v1=abc", body)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "0.0.0.0",  # noqa: S104 - an address to refuse, not to bind
        "224.0.0.1",
        "240.0.0.1",
        "100.64.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
    ],
)
def test_the_ssrf_guard_refuses_internal_addresses(address: str) -> None:
    with pytest.raises(AddressRefused):
        check_address(ipaddress.ip_address(address), [])


def test_the_ssrf_guard_allows_public_and_allow_listed_addresses() -> None:
    check_address(ipaddress.ip_address("93.184.216.34"), [])
    check_address(ipaddress.ip_address("10.1.2.3"), [ipaddress.ip_network("10.1.2.0/24")])


def test_resolve_refuses_loopback_unless_allow_listed(settings: Any, db: None) -> None:
    settings.ASSETGRAPH_WEBHOOK_ALLOWED_NETWORKS = []
    with pytest.raises(AddressRefused, match="loopback"):
        resolve("http://localhost:9/hook")
    with pytest.raises(AddressRefused, match="http and https"):
        resolve("file:///etc/passwd")
    settings.ASSETGRAPH_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]
    assert resolve("http://127.0.0.1:9/x?y=1").path == "/x?y=1"


def test_a_refused_address_fails_the_delivery_at_once(
    make_user: Callable[..., Any],
    make_asset: Callable[..., Asset],
    catalogue: dict[str, Any],
    system: Actor,
    settings: Any,
) -> None:
    _hook(system, make_user(superuser=True), "http://127.0.0.1:9/hook")
    settings.ASSETGRAPH_WEBHOOK_ALLOWED_NETWORKS = []
    asset_services.check_out_asset(system, make_asset(), to_person=catalogue["ana"])
    Worker().run_once()
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.FAILED and delivery.attempts == 1
    assert "SSRF" in delivery.error


def test_webhook_input_is_validated(system: Actor, make_user: Callable[..., Any]) -> None:
    owner = make_user(superuser=True)
    with pytest.raises(ValidationFailed) as caught:
        services.create_webhook(system, {"name": "x", "url": "ftp://x", "owner": owner})
    assert "url" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        services.create_webhook(
            system, {"name": "y", "url": "http://x.example", "owner": owner, "headers": [1]}
        )
    assert "headers" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        services.create_webhook(
            system,
            {"name": "z", "url": "http://x.example", "owner": owner, "body_template": "{% if %}"},
        )
    assert "body_template" in caught.value.fields
    hook = services.create_webhook(
        system, {"name": "ok", "url": "http://x.example", "owner": owner}
    )
    with pytest.raises(ValidationFailed) as caught:
        services.create_rule(
            system,
            {"name": "r", "object_type": "nope.thing", "webhook": hook, "actions": ["checkout"]},
        )
    assert "object_type" in caught.value.fields
    assert AuditEvent.objects.filter(object_type="events.webhook", action="create").count() == 1
