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
from assetgraph.events.signing import (
    SIGNATURE_HEADER,
    SignatureError,
    generate_secret,
    secret_key,
    sign,
    signature,
    verify,
)
from assetgraph.events.ssrf import AddressRefused, check_address, resolve
from assetgraph.events.worker import Worker

from .conftest import Receiver

SECRET = "whsec_dGVzdC1zZWNyZXQtb2YtdGhpcnR5LXR3by1ieXRlcyE="


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


def test_a_check_out_reaches_the_receiver_signed_in_one_worker_pass(
    receiver: Receiver,
    make_user: Callable[..., Any],
    make_asset: Callable[..., Asset],
    catalogue: dict[str, Any],
    system: Actor,
) -> None:
    _hook(system, make_user(superuser=True), receiver.url)
    asset = make_asset(model="u27")
    asset_services.check_out_asset(system, asset, to_person=catalogue["ana"])
    worker = Worker()
    worker.run_once()
    # one worker pass seals, dispatches and sends: the request has arrived when it returns
    # (no poll interval or back-off in between; a real worker process delivers in
    # test_live.py; latency is a benchmark's business, not an assertion's)
    assert len(receiver.requests) == 1
    got = receiver.requests[0]
    assert verify(SECRET, got.headers, got.body) > 0
    assert got.headers["webhook-id"] == f"msg_{Delivery.objects.get().pk}"
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
        verify(SECRET, request.headers, request.body)
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
    assert "webhook-id" not in got.headers


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


# The test vector of the Standard Webhooks reference libraries (their test_sign_function):
# a receiver using any of them computes exactly these bytes.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_signatures_match_the_standard_webhooks_test_vector() -> None:
    assert signature(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE
    headers = sign(SPEC_SECRET, SPEC_ID, SPEC_BODY, timestamp=SPEC_TIMESTAMP)
    assert headers == {
        "webhook-id": SPEC_ID,
        "webhook-timestamp": str(SPEC_TIMESTAMP),
        "webhook-signature": SPEC_SIGNATURE,
    }
    assert verify(SPEC_SECRET, headers, SPEC_BODY, now=SPEC_TIMESTAMP + 10) == SPEC_TIMESTAMP


def test_signature_verification_refuses_tampering_and_replays() -> None:
    body = b'{"a": 1}'
    headers = sign(SECRET, "msg_7", body, timestamp=1_000_000)
    assert verify(SECRET, headers, body, now=1_000_100) == 1_000_000
    # header names are case-insensitive; several signatures (secret rotation) are accepted
    upper = {k.upper(): v for k, v in headers.items()}
    upper["WEBHOOK-SIGNATURE"] = "v1,AAAA " + headers["webhook-signature"]
    assert verify(SECRET, upper, body, now=1_000_100) == 1_000_000
    with pytest.raises(SignatureError, match="no v1 signature matches"):
        verify(SECRET, headers, b'{"a": 2}', now=1_000_100)
    with pytest.raises(SignatureError, match="no v1 signature matches"):
        verify(generate_secret(), headers, body, now=1_000_100)
    with pytest.raises(SignatureError, match="no v1 signature matches"):  # id is signed too
        verify(SECRET, {**headers, "webhook-id": "msg_8"}, body, now=1_000_100)
    with pytest.raises(SignatureError, match="no v1 signature matches"):  # so is the time
        verify(SECRET, {**headers, "webhook-timestamp": "1000001"}, body, now=1_000_100)
    with pytest.raises(SignatureError, match="replay window"):
        verify(SECRET, headers, body, now=1_000_000 + 301)
    with pytest.raises(SignatureError, match="replay window"):  # from the future too
        verify(SECRET, headers, body, now=1_000_000 - 301)
    with pytest.raises(SignatureError, match="webhook-timestamp header is missing"):
        verify(SECRET, {"webhook-id": "x", "webhook-signature": "v1,x"}, body)
    with pytest.raises(SignatureError, match="not a whole number"):
        verify(SECRET, {**headers, "webhook-timestamp": "soon"}, body)


def test_the_receiver_in_the_documentation_verifies_real_deliveries(
    receiver: Receiver,
    make_user: Callable[..., Any],
    make_asset: Callable[..., Asset],
    catalogue: dict[str, Any],
    system: Actor,
) -> None:
    """The Python receiver printed in docs/operations.md, run as printed, accepts what the
    worker sends and the reference test vector, and refuses a tampered body."""
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "operations.md").read_text()
    section = doc[doc.index("### Signatures") :]
    start = section.index("```python") + len("```python")
    code = section[start : section.index("```", start)]
    namespace: dict[str, Any] = {}
    exec(compile(code, "docs/operations.md", "exec"), namespace)  # noqa: S102 - our own docs
    doc_verify = namespace["verify"]
    _hook(system, make_user(superuser=True), receiver.url)
    asset_services.check_out_asset(system, make_asset(), to_person=catalogue["ana"])
    Worker().run_once()
    assert receiver.wait_for(1)
    got = receiver.requests[0]
    lowered = {k.lower(): v for k, v in got.headers.items()}
    assert doc_verify(SECRET, lowered, got.body) is True
    assert doc_verify(SECRET, lowered, got.body + b" ") is False
    vector = sign(SPEC_SECRET, SPEC_ID, SPEC_BODY)  # now, inside the window
    assert doc_verify(SPEC_SECRET, vector, SPEC_BODY) is True


def test_a_webhook_secret_must_be_a_standard_webhooks_secret(
    system: Actor, make_user: Callable[..., Any]
) -> None:
    owner = make_user(superuser=True)
    for bad, reason in [
        ("hunter2", "must start with 'whsec_'"),
        ("whsec_not base64!", "not valid base64"),
        ("whsec_c2hvcnQ=", "24 to 64 bytes, not 5"),
    ]:
        with pytest.raises(ValidationFailed) as caught:
            services.create_webhook(
                system,
                {"name": "Bad", "url": "https://h.example.com/", "secret": bad, "owner": owner},
            )
        assert reason in str(caught.value) and "secret" in caught.value.fields
    fresh = generate_secret()
    assert fresh.startswith("whsec_") and len(secret_key(fresh)) == 32
    hook = services.create_webhook(
        system, {"name": "Good", "url": "https://h.example.com/", "secret": fresh, "owner": owner}
    )
    assert hook.secret == fresh


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


def test_a_stored_secret_that_is_not_a_standard_webhooks_secret_fails_the_delivery(
    receiver: Receiver,
    make_user: Callable[..., Any],
    make_asset: Callable[..., Asset],
    catalogue: dict[str, Any],
    system: Actor,
) -> None:
    """A secret saved before secrets were checked cannot sign: the delivery fails at once
    with the reason, nothing is sent unsigned, and the worker carries on."""
    from assetgraph.events.models import Webhook

    hook = _hook(system, make_user(superuser=True), receiver.url)
    Webhook.objects.filter(pk=hook.pk).update(secret="legacy-plain-text")
    asset_services.check_out_asset(system, make_asset(), to_person=catalogue["ana"])
    Worker().run_once()
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.FAILED and delivery.attempts == 1
    assert delivery.error.startswith("cannot sign: the webhook's secret must start with")
    assert receiver.requests == []
