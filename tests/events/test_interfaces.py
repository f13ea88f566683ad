"""API and pages of the operations app: administrators only for webhooks, rules, schedules,
jobs and deliveries; every user for their own notifications and preferences."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from django.test import Client
from django.utils import timezone

from assetgraph.audit.models import AuditEvent
from assetgraph.core.actor import Actor
from assetgraph.events.models import (
    Job,
    JobState,
    Notification,
    NotificationPreference,
    Schedule,
    Webhook,
)
from assetgraph.events.notifications import notify
from assetgraph.events.queue import enqueue
from tests.conftest import bearer


def _json(client: Client, method: str, url: str, body: Any) -> Any:
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


def test_only_administrators_manage_webhooks(
    api: Callable[..., Client], make_user: Callable[..., Any]
) -> None:
    helpdesk = api("Helpdesk")
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = {"name": "Chat", "url": "https://hooks.example.com/x", "secret": secret}
    refused = _json(helpdesk, "post", "/api/events/webhooks/", body)
    assert refused.status_code == 403 and not Webhook.objects.exists()
    assert helpdesk.get("/api/events/webhooks/").status_code == 403
    admin_user = make_user("Admin")
    admin = bearer(admin_user)
    created = _json(admin, "post", "/api/events/webhooks/", body)
    assert created.status_code == 201
    data = created.json()
    assert data["has_secret"] is True and "secret" not in data
    assert data["owner_id"] == admin_user.pk
    event = AuditEvent.objects.get(object_type="events.webhook", action="create")
    assert "secret" not in (event.after or {})
    assert helpdesk.get(f"/api/events/webhooks/{data['id']}").status_code == 404
    bad = _json(admin, "post", "/api/events/webhooks/", {**body, "name": "B", "url": "ftp://x"})
    assert bad.status_code == 422 and "url" in bad.json()["error"]["fields"]
    # a secret that is not a Standard Webhooks secret is refused, naming the field
    plain = _json(admin, "post", "/api/events/webhooks/", {**body, "name": "P", "secret": "abc"})
    assert plain.status_code == 422 and "secret" in plain.json()["error"]["fields"]
    assert Webhook.objects.count() == 1
    rule = _json(
        admin,
        "post",
        "/api/events/rules/",
        {
            "name": "Check-outs",
            "object_type": "assets.asset",
            "actions": ["checkout"],
            "webhook_id": data["id"],
        },
    )
    assert rule.status_code == 201
    wrong = _json(
        admin,
        "post",
        "/api/events/rules/",
        {"name": "X", "object_type": "no.such", "webhook_id": data["id"]},
    )
    assert wrong.status_code == 422 and "object_type" in wrong.json()["error"]["fields"]


def test_schedules_and_jobs_for_administrators(
    api: Callable[..., Client], make_user: Callable[..., Any]
) -> None:
    schedule = Schedule.objects.create(
        name="Digest", task="events.daily_digest", at_time=dt.time(7), next_run=timezone.now()
    )
    failed = enqueue("events.cleanup")
    Job.objects.filter(pk=failed.pk).update(state=JobState.FAILED, error="boom")
    helpdesk = api("Helpdesk")
    assert helpdesk.get("/api/events/schedules").status_code == 403
    assert helpdesk.get("/api/events/jobs").status_code == 403
    assert helpdesk.get(f"/api/events/jobs/{failed.pk}").status_code == 404
    admin = api("Admin")
    listed = admin.get("/api/events/schedules").json()
    assert [s["name"] for s in listed] == ["Digest"]
    changed = _json(admin, "patch", f"/api/events/schedules/{schedule.pk}", {"at_time": "05:30"})
    assert changed.status_code == 200 and changed.json()["next_run"].endswith("05:30:00Z")
    bad = _json(admin, "patch", f"/api/events/schedules/{schedule.pk}", {"weekday": 9})
    assert bad.status_code == 422
    assert (
        admin.get("/api/events/jobs", {"state": "failed"}).json()["results"][0]["error"] == "boom"
    )
    retried = admin.post(f"/api/events/jobs/{failed.pk}/retry")
    assert retried.status_code == 201 and retried.json()["state"] == "queued"
    again = admin.post(f"/api/events/jobs/{retried.json()['id']}/retry")
    assert again.status_code == 409
    assert admin.get("/api/events/deliveries").status_code == 200
    # Every job, newest first, one page at a time (the list used to stop at 200, silently).
    page = admin.get("/api/events/jobs", {"limit": 1}).json()
    assert [j["id"] for j in page["results"]] == [retried.json()["id"]] and page["next"]
    rest = admin.get("/api/events/jobs", {"limit": 1, "cursor": page["next"]}).json()
    assert [j["id"] for j in rest["results"]] == [failed.pk] and rest["next"] is None
    assert admin.get("/api/events/jobs", {"limit": 5000}).status_code == 422
    assert admin.get("/api/events/jobs", {"cursor": "nonsense"}).status_code == 422


def test_each_user_sees_only_their_own_notifications(
    make_user: Callable[..., Any], system: Actor
) -> None:
    mine, theirs = make_user("Read-only"), make_user("Read-only")
    notify(mine, "job_finished", "Mine")
    notify(theirs, "job_finished", "Theirs")
    client = bearer(mine)
    listed = client.get("/api/events/notifications").json()
    assert [n["subject"] for n in listed["results"]] == ["Mine"] and listed["next"] is None
    marked = _json(client, "post", "/api/events/notifications/read", {})
    assert marked.json() == {"marked": 1}
    assert Notification.objects.get(subject="Theirs").read is None
    prefs = _json(
        client,
        "put",
        "/api/events/notifications/preferences",
        {"in_app": True, "email": True, "digest": True},
    )
    assert prefs.status_code == 200 and prefs.json()["digest"] is True
    assert client.get("/api/events/notifications/preferences").json()["digest"] is True


def test_the_bell_and_notification_pages(browser: Callable[..., Client], make_user: Any) -> None:
    client = browser("Read-only")
    user = client.get("/").wsgi_request.user
    page = client.get("/")
    assert b'id="notification-bell"' in page.content
    assert b'data-count-url="/events/notifications/count/"' in page.content
    assert b"data-unread" not in client.get("/events/notifications/count/").content
    notify(user, "job_finished", "Your import finished", url="/")
    count = client.get("/events/notifications/count/")
    assert b'data-unread="1"' in count.content
    listing = client.get("/events/notifications/")
    assert b"Your import finished" in listing.content
    client.post("/events/notifications/read/", {})
    assert b"data-unread" not in client.get("/events/notifications/count/").content
    saved = client.post(
        "/events/notifications/preferences/", {"in_app": "on", "email": "", "digest": ""}
    )
    assert saved.status_code == 302
    assert NotificationPreference.objects.get(user=user).email is False


def test_operations_pages_are_for_administrators(browser: Callable[..., Client]) -> None:
    helpdesk = browser("Helpdesk")
    admin = browser("Admin")
    for url in ("/events/webhooks/", "/events/rules/", "/events/jobs/", "/events/schedules/"):
        assert helpdesk.get(url).status_code in {403, 404}
        assert admin.get(url).status_code == 200
    backup = Schedule.objects.create(name="Backup", task="events.backup", next_run=timezone.now())
    assert b"Backup" in admin.get("/events/schedules/").content
    assert b"no runs yet" in admin.get(f"/events/schedules/{backup.pk}/").content
    for _ in range(12):
        Job.objects.create(task="events.backup", schedule=backup, run_after=timezone.now())
    detail = admin.get(f"/events/schedules/{backup.pk}/").content.decode()
    assert "latest 10 of 12" in detail and f"/events/jobs/?schedule_id={backup.pk}" in detail
    assert 'id="history-tab"' not in detail  # no History page for schedules (was a 500)
    job = Job.objects.filter(schedule=backup).first()
    assert job is not None and admin.get(f"/events/jobs/{job.pk}/").status_code == 200


def test_the_new_webhook_form_proposes_a_standard_webhooks_secret_shown_once(
    browser: Callable[..., Client],
) -> None:
    import re

    from assetgraph.events.signing import secret_key

    admin = browser("Admin")
    page = admin.get("/events/webhooks/add/").content.decode()
    proposed = re.search(r'name="secret"[^>]*value="(whsec_[A-Za-z0-9+/=]+)"', page)
    assert proposed is not None and len(secret_key(proposed.group(1))) == 32
    posted = admin.post(
        "/events/webhooks/add/",
        {
            "name": "Chat",
            "url": "https://hooks.example.com/x",
            "headers": "{}",
            "secret": proposed.group(1),
            "enabled": "on",
            "timeout_seconds": "10",
        },
    )
    assert posted.status_code == 302
    hook = Webhook.objects.get(name="Chat")
    assert hook.secret == proposed.group(1)
    edit = admin.get(f"/events/webhooks/{hook.pk}/edit/").content.decode()
    assert proposed.group(1) not in edit  # never shown again
    refused = admin.post(
        "/events/webhooks/add/",
        {
            "name": "Bad",
            "url": "https://h.example.com/",
            "headers": "{}",
            "secret": "abc",
            "timeout_seconds": "10",
        },
    )
    assert refused.status_code in {200, 422} and b"whsec_" in refused.content
    assert not Webhook.objects.filter(name="Bad").exists()
