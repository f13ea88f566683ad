"""Notifications: the assignment hook, the bell count, preferences, e-mail through a real SMTP
server (aiosmtpd) and the daily digest."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from assetgraph.assets import services as asset_services
from assetgraph.assets.models import Asset
from assetgraph.core.actor import Actor
from assetgraph.events import services
from assetgraph.events.models import Notification
from assetgraph.events.notifications import mark_read, notify, unread_count
from assetgraph.events.queue import enqueue
from assetgraph.events.worker import Worker
from assetgraph.org import services as org_services


class Inbox:
    """Collects every message the SMTP server accepts."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 OK"

    def subjects(self) -> list[str]:
        return [str(m["Subject"]) for m in self.messages]


@pytest.fixture
def inbox(settings: Any) -> Iterator[Inbox]:
    handler = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    yield handler
    controller.stop()


@pytest.fixture
def ana_user(catalogue: dict[str, Any], make_user: Callable[..., Any], system: Actor) -> Any:
    user = make_user()
    user.email = "ana@example.com"
    user.save()
    org_services.update_person(system, catalogue["ana"], {"user": user})
    return user


def _bodies(message: email.message.EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return str(text.get_content()), str(html.get_content())


def test_an_assignment_notifies_the_custodian_in_the_app_and_by_mail(
    inbox: Inbox,
    ana_user: Any,
    make_asset: Callable[..., Asset],
    catalogue: dict[str, Any],
    system: Actor,
) -> None:
    asset = make_asset(model="u27")
    asset_services.check_out_asset(system, asset, to_person=catalogue["ana"])
    Worker().drain()
    note = Notification.objects.get(user=ana_user)
    assert note.kind == "asset_assigned" and str(asset) in note.subject
    assert note.url == f"/assets/{asset.pk}/" or note.url.endswith(f"/{asset.pk}/")
    assert unread_count(ana_user) == 1
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["To"] == "ana@example.com"
    assert str(asset) in str(message["Subject"])
    text, html = _bodies(message)
    assert str(asset) in text and "<strong>" in html
    note.refresh_from_db()
    assert note.emailed is not None
    # the hook runs once per event, however often the worker passes
    Worker().drain()
    assert Notification.objects.filter(user=ana_user).count() == 1 and len(inbox.messages) == 1
    assert mark_read(ana_user) == 1 and unread_count(ana_user) == 0


def test_an_expiring_warranty_is_mailed_once(
    inbox: Inbox,
    ana_user: Any,
    make_asset: Callable[..., Asset],
    catalogue: dict[str, Any],
    system: Actor,
) -> None:
    soon = timezone.localdate() + dt.timedelta(days=10)
    asset = make_asset(warranty_end=soon)
    Asset.objects.filter(pk=asset.pk).update(custodian=catalogue["ana"], state="in_use")
    enqueue("assets.daily_alerts")
    Worker().drain()
    expiring = Notification.objects.get(user=ana_user, kind="expiring")
    assert str(soon) in expiring.subject
    assert [s for s in inbox.subjects() if "warranty" in s]
    enqueue("assets.daily_alerts")
    Worker().drain()
    assert Notification.objects.filter(user=ana_user, kind="expiring").count() == 1


def test_the_daily_digest_groups_what_a_digest_user_missed(
    inbox: Inbox,
    ana_user: Any,
    make_asset: Callable[..., Asset],
    catalogue: dict[str, Any],
    system: Actor,
) -> None:
    services.set_preferences(system, ana_user, in_app=True, email=True, digest=True)
    soon = timezone.localdate() + dt.timedelta(days=5)
    expiring = make_asset(warranty_end=soon)
    Asset.objects.filter(pk=expiring.pk).update(custodian=catalogue["ana"], state="in_use")
    first, second = make_asset(model="u27"), make_asset(model="u27")
    asset_services.check_out_asset(system, first, to_person=catalogue["ana"])
    asset_services.check_out_asset(system, second, to_person=catalogue["ana"])
    enqueue("assets.daily_alerts")
    Worker().drain()
    assert inbox.messages == []  # nothing mailed one by one
    assert Notification.objects.filter(user=ana_user, digest_pending=True).count() == 3
    enqueue("events.daily_digest")
    Worker().drain()
    assert len(inbox.messages) == 1
    digest = inbox.messages[0]
    assert "3 notification(s)" in str(digest["Subject"])
    text, html = _bodies(digest)
    assert "Assets assigned to you (2)" in text
    assert "Warranties, contracts and licences expiring (1)" in text
    assert text.index(str(first)) < text.index(str(second))
    assert "<h3>Assets assigned to you (2)</h3>" in html
    assert not Notification.objects.filter(digest_pending=True).exists()
    enqueue("events.daily_digest")
    Worker().drain()
    assert len(inbox.messages) == 1


def test_preferences_turn_channels_off(
    inbox: Inbox, ana_user: Any, system: Actor, catalogue: dict[str, Any]
) -> None:
    services.set_preferences(system, ana_user, in_app=False, email=False, digest=False)
    note = notify(catalogue["ana"], "job_finished", "Your import finished")
    assert note is not None and note.read is not None  # stored, but not under the bell
    Worker().drain()
    assert unread_count(ana_user) == 0 and inbox.messages == []


def test_nobody_to_tell_for_a_person_without_a_login(catalogue: dict[str, Any], db: None) -> None:
    assert notify(catalogue["minh"], "job_finished", "x") is None
    assert not Notification.objects.exists()


def test_a_mail_server_that_is_down_is_retried(
    ana_user: Any, settings: Any, catalogue: dict[str, Any]
) -> None:
    from assetgraph.events.models import Job, JobState

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = 9  # nothing listens
    settings.EMAIL_TIMEOUT = 2
    notify(catalogue["ana"], "job_finished", "Your import finished")
    Worker().drain()
    job = Job.objects.get(task="events.send_notification")
    assert job.state == JobState.FAILED and job.attempts == 5
    assert job.error.startswith("ConnectionRefusedError")
    assert not Notification.objects.get().emailed
