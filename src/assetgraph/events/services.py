"""Audited writes of the operations configuration: webhooks, event rules, schedules, the
SSRF allow list and notification preferences. Each runs in one transaction with its audit
event (through :mod:`assetgraph.framework.crud`); the bookkeeping rows (deliveries, jobs,
notifications) are written by the worker and are not audited (see models.py)."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.template import TemplateSyntaxError, engines

from assetgraph.audit.services import record_event, snapshot
from assetgraph.core import registry
from assetgraph.core.actor import Actor
from assetgraph.core.errors import ValidationFailed
from assetgraph.framework.crud import create_instance, delete_instance, update_instance

from .models import AllowedNetwork, EventRule, NotificationPreference, Schedule, Webhook
from .queue import TASKS
from .schedules import next_run_after
from .signing import SecretError, secret_key


def _fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", fields={field: [message]})


def _validate_webhook(webhook: Webhook) -> None:
    parts = urlsplit(webhook.url or "")
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise _fail("url", "must be an http or https URL with a host")
    if not isinstance(webhook.headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in webhook.headers.items()
    ):
        raise _fail("headers", 'must be an object of text values, e.g. {"X-Team": "core"}')
    if any("\n" in k + v or "\r" in k + v for k, v in webhook.headers.items()):
        raise _fail("headers", "names and values cannot contain line breaks")
    if webhook.body_template:
        try:
            engines["django"].from_string(webhook.body_template)
        except TemplateSyntaxError as exc:
            raise _fail("body_template", f"is not a valid template: {exc}") from None
    if not 1 <= webhook.timeout_seconds <= 60:
        raise _fail("timeout_seconds", "must be between 1 and 60")
    if webhook.secret:
        try:
            secret_key(webhook.secret)
        except SecretError as exc:
            raise _fail("secret", str(exc)) from None


def create_webhook(actor: Actor, values: dict[str, Any]) -> Webhook:
    """Add a webhook; its owner (whose view of events it receives) defaults to the actor."""
    values = dict(values)
    if values.get("owner") is None and values.get("owner_id") is None:
        if actor.user is None:
            raise _fail("owner", "a webhook needs an owner")
        values["owner"] = actor.user
    return create_instance(actor, Webhook, values, validate=_validate_webhook)


def update_webhook(actor: Actor, webhook: Webhook, changes: dict[str, Any], **kw: Any) -> Webhook:
    """Change a webhook (the secret too; it is never shown or audited)."""
    return update_instance(actor, webhook, changes, validate=_validate_webhook, **kw)


def delete_webhook(actor: Actor, webhook: Webhook) -> None:
    """Remove a webhook with its rules and delivery log."""
    delete_instance(actor, webhook)


def _validate_rule(rule: EventRule) -> None:
    if registry.find(rule.object_type) is None:
        raise _fail("object_type", f"{rule.object_type!r} is not a known object type")
    if not isinstance(rule.actions, list) or not all(isinstance(a, str) for a in rule.actions):
        raise _fail("actions", 'must be a list of action names, e.g. ["checkout"]')
    if not isinstance(rule.conditions, dict):
        raise _fail("conditions", 'must be an object of field → value, e.g. {"state": "in_use"}')


def create_rule(actor: Actor, values: dict[str, Any]) -> EventRule:
    """Add an event rule (object type, actions, field conditions → webhook)."""
    return create_instance(actor, EventRule, values, validate=_validate_rule)


def update_rule(actor: Actor, rule: EventRule, changes: dict[str, Any], **kw: Any) -> EventRule:
    """Change an event rule."""
    return update_instance(actor, rule, changes, validate=_validate_rule, **kw)


def delete_rule(actor: Actor, rule: EventRule) -> None:
    """Remove an event rule."""
    delete_instance(actor, rule)


def _validate_schedule(schedule: Schedule) -> None:
    if schedule.task not in TASKS:
        raise _fail("task", f"{schedule.task!r} is not a registered task")
    if schedule.every == Schedule.Every.INTERVAL and not schedule.interval_seconds:
        raise _fail("interval_seconds", "an interval schedule needs its number of seconds")
    if schedule.weekday is not None and not 0 <= schedule.weekday <= 6:
        raise _fail("weekday", "must be 0 (Monday) to 6 (Sunday)")
    if schedule.day_of_month is not None and not 1 <= schedule.day_of_month <= 31:
        raise _fail("day_of_month", "must be 1 to 31")


def update_schedule(
    actor: Actor, schedule: Schedule, changes: dict[str, Any], **kw: Any
) -> Schedule:
    """Change when (or whether) a schedule runs; its next run is recomputed."""
    from django.utils import timezone

    changes = dict(changes)
    with transaction.atomic():
        updated = update_instance(actor, schedule, changes, validate=_validate_schedule, **kw)
        Schedule.objects.filter(pk=updated.pk).update(
            next_run=next_run_after(updated, timezone.now())
        )
        updated.refresh_from_db()
        return updated


def _validate_network(network: AllowedNetwork) -> None:
    try:
        network.cidr = str(ipaddress.ip_network(network.cidr, strict=False))
    except ValueError:
        raise _fail("cidr", "must be a network such as 10.1.2.0/24 or fd00::/8") from None


def create_allowed_network(actor: Actor, values: dict[str, Any]) -> AllowedNetwork:
    """Allow-list a network for webhooks (administrators only)."""
    return create_instance(actor, AllowedNetwork, values, validate=_validate_network)


def update_allowed_network(
    actor: Actor, network: AllowedNetwork, changes: dict[str, Any], **kw: Any
) -> AllowedNetwork:
    """Change an allow-listed network."""
    return update_instance(actor, network, changes, validate=_validate_network, **kw)


def delete_allowed_network(actor: Actor, network: AllowedNetwork) -> None:
    """Remove a network from the allow list."""
    delete_instance(actor, network)


def set_preferences(
    actor: Actor, user: Any, *, in_app: bool, email: bool, digest: bool
) -> NotificationPreference:
    """Save a user's notification channels (a user changes only their own)."""
    with transaction.atomic():
        preference, created = NotificationPreference.objects.get_or_create(user=user)
        before = None if created else snapshot(preference)
        preference.in_app, preference.email, preference.digest = in_app, email, digest
        preference.save()
        record_event(actor, "update", preference, before=before, after=snapshot(preference))
        return preference
