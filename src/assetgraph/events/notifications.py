"""Telling people: :func:`notify` for any app, the e-mail sender, the daily digest, and the
hooks that turn audit events into notifications (an asset assigned to someone).

A notification is always stored (it is the record the digest and the bell read). Where the
user's preferences say so it is shown under the bell (otherwise stored as read), mailed at
once by a queued job (so mail leaves only after the write committed, and a mail server that
is down is retried), or kept for the daily digest, which groups a user's pending
notifications by kind in one e-mail.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db.models import Model
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from assetgraph.audit.models import AuditEvent

from .delivery import register_event_hook
from .models import Notification, NotificationPreference
from .queue import enqueue, task

logger = logging.getLogger(__name__)

KIND_LABELS = {
    "asset_assigned": "Assets assigned to you",
    "acceptance_pending": "Assets awaiting your acceptance",
    "return_overdue": "Overdue returns",
    "expiring": "Warranties, contracts and licences expiring",
    "licence_shortfall": "Licence shortfalls",
    "change_affects_service": "Changes affecting your services",
    "finding": "Findings for your team",
    "job_finished": "Your jobs",
}


def register_kind(kind: str, label: str) -> None:
    """Give a notification kind of another app its heading in the digest (first one wins)."""
    KIND_LABELS.setdefault(kind, label)


def users_granted(object_type: str, action: str) -> list[Any]:
    """Active users holding ``action`` on ``object_type`` through a grant (directly or by a
    role): whom an app tells of work in its area (the helpdesk, Procurement). Superusers are
    not listed unless granted, so they are not told of everything. Callers still check that
    each may see the object the notification names (grants may be constrained)."""
    from assetgraph.accounts.models import ObjectPermission

    ids: set[int] = set()
    grants = ObjectPermission.objects.filter(enabled=True).prefetch_related("users", "roles__users")
    for grant in grants:
        if object_type in (grant.object_types or []) and action in (grant.actions or []):
            ids.update(user.pk for user in grant.users.all())
            ids.update(user.pk for role in grant.roles.all() for user in role.users.all())
    users = get_user_model()._default_manager.filter(pk__in=ids, is_active=True)
    return list(users.order_by("pk"))


def _user_of(recipient: Any) -> Any:
    """The user behind a user or a person (``person.user``); None when there is none."""
    if recipient is None:
        return None
    if hasattr(recipient, "get_username"):
        return recipient
    if isinstance(recipient, Model) and hasattr(recipient, "user_id"):
        # read afresh: the caller's instance may predate the person's login being linked
        user_id = (
            type(recipient)
            ._default_manager.filter(pk=recipient.pk)
            .values_list("user_id", flat=True)
            .first()
        )
        return get_user_model()._default_manager.filter(pk=user_id).first() if user_id else None
    return getattr(recipient, "user", None)


def preferences(user: Any) -> NotificationPreference:
    """The user's preferences (the defaults when never saved: in the app and by e-mail)."""
    found = NotificationPreference.objects.filter(user=user).first()
    return found or NotificationPreference(user=user)


def notify(
    recipient: Any,
    kind: str,
    subject: str,
    body: str = "",
    url: str = "",
    *,
    source_event: int | None = None,
    key: str = "",
) -> Notification | None:
    """Notify a user (or a person's user) through their chosen channels.

    Returns the stored notification, or None when there is nobody to tell (a person with no
    login, an inactive user, or a ``key`` (what a scheduled alert is about) this user was
    already told of). Call it inside the write's transaction: the e-mail job is queued in the
    same transaction and so only runs if the write commits.
    """
    user = _user_of(recipient)
    if user is None or not user.is_active:
        return None
    if key and Notification.objects.filter(user=user, kind=kind[:50], key=key[:200]).exists():
        return None
    chosen = preferences(user)
    wants_mail = chosen.email and bool(user.email)
    notification = Notification.objects.create(
        user=user,
        kind=kind[:50],
        subject=subject[:200],
        body=body,
        url=url[:500],
        read=None if chosen.in_app else timezone.now(),
        digest_pending=wants_mail and chosen.digest,
        source_event=source_event,
        key=key[:200],
    )
    if wants_mail and not chosen.digest:
        enqueue("events.send_notification", {"notification": notification.pk}, max_attempts=5)
    return notification


def unread_count(user: Any) -> int:
    """How many notifications the bell shows."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=user, read__isnull=True).count()


def mark_read(user: Any, ids: list[int] | None = None) -> int:
    """Mark the user's notifications (these, or all) read; returns how many changed."""
    unread = Notification.objects.filter(user=user, read__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read=timezone.now())


def _absolute(url: str) -> str:
    return f"{settings.BASE_URL}{url}" if url.startswith("/") else url


def _send(to: str, subject: str, template: str, context: dict[str, Any]) -> None:
    text = render_to_string(f"events/email/{template}.txt", context)
    html = render_to_string(f"events/email/{template}.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
    message.attach_alternative(html, "text/html")
    message.send()


@task("events.send_notification")
def send_notification(notification: int) -> dict[str, Any]:
    """Mail one notification (a job, so a failing mail server is retried)."""
    item = Notification.objects.select_related("user").filter(pk=notification).first()
    if item is None or item.emailed is not None:
        return {"sent": 0}
    _send(
        item.user.email,
        f"[assetgraph] {item.subject}",
        "notification",
        {"notification": item, "url": _absolute(item.url), "user": item.user},
    )
    Notification.objects.filter(pk=item.pk).update(emailed=timezone.now())
    return {"sent": 1}


@task("events.daily_digest")
def send_daily_digests() -> dict[str, Any]:
    """One e-mail per user with their pending digest notifications, grouped by kind."""
    pending: dict[int, list[Notification]] = defaultdict(list)
    for item in Notification.objects.filter(digest_pending=True).select_related("user"):
        pending[item.user_id].append(item)
    sent = 0
    for items in pending.values():
        user = items[0].user
        groups: dict[str, list[Notification]] = defaultdict(list)
        for item in sorted(items, key=lambda n: n.pk):
            groups[KIND_LABELS.get(item.kind, item.kind)].append(item)
        if user.email and user.is_active:
            _send(
                user.email,
                f"[assetgraph] Your daily digest: {len(items)} notification(s)",
                "digest",
                {
                    "user": user,
                    "groups": sorted(groups.items()),
                    "base_url": settings.BASE_URL,
                    "count": len(items),
                },
            )
            sent += 1
        Notification.objects.filter(pk__in=[n.pk for n in items]).update(
            digest_pending=False, emailed=timezone.now()
        )
    return {"digests": sent}


def _asset_url(object_id: str) -> str:
    try:
        return reverse("ui:assets:asset_detail", args=[int(object_id)])
    except (NoReverseMatch, ValueError):
        return ""


def notify_assignment(event: AuditEvent) -> None:
    """An asset checked out to a person: tell that person's user (read from the event; the
    person is looked up by model name, so events does not import the org app)."""
    if event.object_type != "assets.asset" or event.action != "checkout":
        return
    person_id = (event.after or {}).get("custodian")
    if not person_id:
        return
    person_model = apps.get_model("org", "Person")
    person = person_model._default_manager.select_related("user").filter(pk=person_id).first()
    if person is None:
        return
    awaiting = (event.after or {}).get("acceptance") == "pending"
    notify(
        person,
        "acceptance_pending" if awaiting else "asset_assigned",
        f"{event.object_repr} was assigned to you",
        f"{event.actor_repr} checked out {event.object_repr} to you.",
        _asset_url(event.object_id),
        source_event=event.pk,
    )


register_event_hook(notify_assignment)
