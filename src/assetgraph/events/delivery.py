"""Turning audit events into webhook deliveries, and sending them.

Dispatch reads the audit spine after commit: the worker seals committed events and reads
them past the ``webhooks`` :class:`~.models.Cursor` in chain order (``chain_seq``, the order
the sealer saw commits in), so an event whose transaction rolled back is never sent and one
that committed late is not skipped. Each matching rule makes one :class:`~.models.Delivery`
(unique per webhook and event, so two workers dispatching the same batch make it once), whose
body is rendered and redacted at that moment, as the webhook's owner may see the event.

Sending claims a due delivery with a conditional update, signs the stored body with the time
of the attempt, POSTs it to the address the SSRF guard checked, and logs the attempt. A non-2xx
answer or a network error is retried after ``base * 2**(attempt-1)`` seconds (capped), up to
``ASSETGRAPH_WEBHOOK_MAX_ATTEMPTS``; a refused address fails at once.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import logging
import socket
import ssl
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template import engines
from django.utils import timezone

from assetgraph.accounts.permissions import has_perm, restrict, sees_all
from assetgraph.audit.models import AuditEvent
from assetgraph.audit.services import seal_pending
from assetgraph.core import registry
from assetgraph.framework.redaction import redact

from .models import Cursor, Delivery, DeliveryAttempt, DeliveryState, EventRule, Webhook
from .signing import SecretError, sign
from .ssrf import AddressRefused, Target, resolve

logger = logging.getLogger(__name__)

CURSOR = "webhooks"
DISPATCH_BATCH = 500
RESPONSE_READ_LIMIT = 64 * 1024
EventHook = Callable[[AuditEvent], None]
_event_hooks: list[EventHook] = []


def register_event_hook(hook: EventHook) -> None:
    """Run ``hook(event)`` for every committed audit event the worker dispatches (once per
    event, after commit). Apps register here instead of being imported by events."""
    if hook not in _event_hooks:
        _event_hooks.append(hook)


def event_payload(event: AuditEvent) -> dict[str, Any]:
    """The JSON document a webhook receives for one event."""
    return {
        "event_id": event.pk,
        "timestamp": event.timestamp.isoformat(),
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "action": event.action,
        "before": event.before,
        "after": event.after,
        "changed_fields": event.changed_fields,
        "actor": event.actor_repr,
        "source": event.source,
        "request_id": event.request_id,
    }


def rule_matches(rule: EventRule, event: AuditEvent) -> bool:
    """Does ``event`` fall under ``rule``: its type, one of its actions, every condition?

    A condition ``{field: value}`` compares the after-snapshot (the before-snapshot of a
    delete) as text, so ``{"state": "in_use"}`` and ``{"custodian": 12}`` both work; a list
    value means any of them.
    """
    if rule.object_type != event.object_type:
        return False
    if rule.actions and event.action not in rule.actions:
        return False
    snapshot = event.after if event.after is not None else (event.before or {})
    for name, expected in (rule.conditions or {}).items():
        wanted = expected if isinstance(expected, list) else [expected]
        actual = snapshot.get(name) if isinstance(snapshot, dict) else None
        if str(actual) not in {str(value) for value in wanted}:
            return False
    return True


def owner_sees(user: Any, event: AuditEvent) -> bool:
    """May ``user`` see the object ``event`` is about? (A deleted object: only when they see
    every object of its type, as its constraints can no longer be evaluated.)"""
    if getattr(user, "is_superuser", False):
        return bool(user.is_active)
    entry = registry.find(event.object_type)
    if entry is None or not has_perm(user, entry.key, "view"):
        return False
    if sees_all(user, entry.model):
        return True
    if not event.object_id.isdigit():
        return False
    found = entry.model._default_manager.filter(pk=int(event.object_id))
    return restrict(found, user, "view").exists()


def render_body(webhook: Webhook, event: AuditEvent) -> str | None:
    """The delivery body as the webhook's owner may see the event, or None when the owner
    may not see it at all (the object is hidden from them)."""
    if not owner_sees(webhook.owner, event):
        return None
    copy = AuditEvent.objects.get(pk=event.pk)
    redact([copy], webhook.owner)
    payload = event_payload(copy)
    if not webhook.body_template:
        return json.dumps(payload, sort_keys=True)
    template = engines["django"].from_string(webhook.body_template)
    return str(template.render({"event": payload, "payload_json": json.dumps(payload)}))


def _deliveries_for(event: AuditEvent, rules: Iterable[EventRule]) -> list[Delivery]:
    made: dict[int, Delivery] = {}
    now = timezone.now()
    for rule in rules:
        if rule.webhook_id in made or not rule_matches(rule, event):
            continue
        try:
            body = render_body(rule.webhook, event)
        except Exception as exc:  # a broken template must not stop the stream
            logger.warning("webhook %s: body template failed: %s", rule.webhook, exc)
            body = None
            made[rule.webhook_id] = Delivery(
                webhook=rule.webhook,
                rule=rule,
                event_id=event.pk,
                body="",
                next_attempt=now,
                state=DeliveryState.FAILED,
                error=f"the body template failed: {type(exc).__name__}: {exc}"[:500],
            )
            continue
        if body is not None:
            made[rule.webhook_id] = Delivery(
                webhook=rule.webhook, rule=rule, event_id=event.pk, body=body, next_attempt=now
            )
    return list(made.values())


def dispatch_new_events(limit: int = DISPATCH_BATCH) -> int:
    """Seal what has committed, then turn the next events past the cursor into deliveries
    and run the event hooks; returns how many events were read."""
    seal_pending(limit=limit * 4)
    cursor, _ = Cursor.objects.get_or_create(name=CURSOR)
    events = list(
        AuditEvent.objects.filter(chain_seq__gt=cursor.position).order_by("chain_seq")[:limit]
    )
    if not events:
        return 0
    rules = list(
        EventRule.objects.filter(enabled=True, webhook__enabled=True).select_related(
            "webhook__owner"
        )
    )
    last = events[-1].chain_seq
    with transaction.atomic():
        won = Cursor.objects.filter(name=CURSOR, position=cursor.position).update(position=last)
        if not won:
            return 0  # another worker took this batch
        deliveries = [d for event in events for d in _deliveries_for(event, rules)]
        Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        for event in events:
            for hook in list(_event_hooks):
                try:
                    with transaction.atomic():
                        hook(event)
                except IntegrityError:
                    pass  # already done for this event (a unique constraint says so)
                except Exception:
                    logger.exception("event hook %s failed on event %s", hook, event.pk)
    return len(events)


# -- sending ---------------------------------------------------------------------------------


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address, whatever the host name resolves to now."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to the checked address, verifying the certificate against the host name."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
        self._address = target.address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


def message_id(delivery: Delivery) -> str:
    """The Standard Webhooks ``webhook-id``: the delivery, the same on every retry."""
    return f"msg_{delivery.pk}"


def retry_delay(attempt: int) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based): exponential."""
    base = float(settings.ASSETGRAPH_WEBHOOK_RETRY_BASE_SECONDS)
    cap = float(settings.ASSETGRAPH_WEBHOOK_RETRY_MAX_SECONDS)
    return float(min(cap, base * 2 ** (attempt - 1)))


def _post(webhook: Webhook, delivery: Delivery) -> tuple[int, int]:
    """POST the delivery once; returns (status, milliseconds). Raises OSError/AddressRefused."""
    target = resolve(webhook.url)
    body = delivery.body.encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "assetgraph-webhooks",
        **{str(k): str(v) for k, v in (webhook.headers or {}).items()},
        "X-Assetgraph-Event": str(delivery.event_id),
        "X-Assetgraph-Delivery": str(delivery.pk),
    }
    if webhook.secret:
        headers |= sign(webhook.secret, message_id(delivery), body)
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(target, float(webhook.timeout_seconds))
    started = time.monotonic()
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(RESPONSE_READ_LIMIT)
        return response.status, int((time.monotonic() - started) * 1000)
    finally:
        connection.close()


def attempt_delivery(delivery: Delivery) -> bool:
    """Make one attempt and record it; True when the receiver accepted (2xx)."""
    webhook = delivery.webhook
    status: int | None = None
    elapsed = 0
    error = ""
    permanent = False
    started = time.monotonic()
    try:
        status, elapsed = _post(webhook, delivery)
        if not 200 <= status < 300:
            error = f"the receiver answered {status}"
    except AddressRefused as exc:
        error, permanent = f"refused by the SSRF guard: {exc}", True
    except SecretError as exc:  # a secret stored before secrets were checked
        error, permanent = f"cannot sign: the webhook's secret {exc}", True
    except (OSError, http.client.HTTPException) as exc:
        elapsed = int((time.monotonic() - started) * 1000)
        error = f"{type(exc).__name__}: {exc}"
    ok = not error
    attempts = delivery.attempts + 1
    now = timezone.now()
    DeliveryAttempt.objects.create(
        delivery=delivery, status_code=status, response_ms=elapsed, error=error[:500]
    )
    update: dict[str, Any] = {
        "attempts": attempts,
        "status_code": status,
        "response_ms": elapsed,
        "error": error[:500],
        "claimed_until": None,
    }
    if ok:
        update |= {"state": DeliveryState.SUCCEEDED, "delivered": now}
    elif permanent or attempts >= settings.ASSETGRAPH_WEBHOOK_MAX_ATTEMPTS:
        update |= {"state": DeliveryState.FAILED}
    else:
        update |= {"next_attempt": now + dt.timedelta(seconds=retry_delay(attempts))}
    Delivery.objects.filter(pk=delivery.pk).update(**update)
    return ok


def send_due_deliveries(limit: int = 50) -> int:
    """Attempt every pending delivery that is due and not claimed by another worker."""
    now = timezone.now()
    due = list(
        Delivery.objects.filter(state=DeliveryState.PENDING, next_attempt__lte=now)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .select_related("webhook")
        .order_by("next_attempt", "id")[:limit]
    )
    sent = 0
    for delivery in due:
        lease = now + dt.timedelta(seconds=delivery.webhook.timeout_seconds + 30)
        claimed = (
            Delivery.objects.filter(pk=delivery.pk, state=DeliveryState.PENDING)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
            .update(claimed_until=lease)
        )
        if claimed:
            attempt_delivery(delivery)
            sent += 1
    return sent
