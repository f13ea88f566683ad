"""API tokens (hashed, shown once, expiry, read-only, revocation) and login throttling."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from assetgraph.accounts import services
from assetgraph.accounts.models import APIToken, User
from assetgraph.core.actor import Actor
from assetgraph.core.errors import ValidationFailed

from ..conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _client(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def test_token_is_random_shown_once_and_stored_hashed(make_user: Any, system: Actor) -> None:
    user = make_user("Read-only")
    issued = services.create_api_token(system, user, name="ci")
    secret = issued.plaintext.split("_", 2)[2]
    assert len(secret) >= 43  # 32 random bytes, base64url: 256 bits
    stored = APIToken.objects.get(pk=issued.token.pk)
    assert stored.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in json.dumps(list(APIToken.objects.values()), default=str)
    assert (
        _client(issued.plaintext).get("/api/accounts/me").json()["user"]["username"]
        == user.username
    )
    stored.refresh_from_db()
    assert stored.last_used_at is not None


def test_wrong_expired_and_revoked_tokens_get_401(make_user: Any, system: Actor) -> None:
    user = make_user("Read-only")
    issued = services.create_api_token(
        system, user, name="t", expires_at=timezone.now() + dt.timedelta(seconds=60)
    )
    assert _client(issued.plaintext + "x").get("/api/org/people/").status_code == 401
    assert _client("agt_nonsense").get("/api/org/people/").status_code == 401
    APIToken.objects.filter(pk=issued.token.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert _client(issued.plaintext).get("/api/org/people/").status_code == 401
    fresh = services.create_api_token(system, user, name="u")
    services.revoke_api_token(system, fresh.token)
    response = _client(fresh.plaintext).get("/api/org/people/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    with pytest.raises(ValidationFailed, match="future"):
        services.create_api_token(
            system, user, name="past", expires_at=timezone.now() - dt.timedelta(days=1)
        )


def test_read_only_token_cannot_write(make_user: Any, system: Actor) -> None:
    user = make_user("Procurement")
    read_only = services.create_api_token(system, user, name="ro", write_enabled=False)
    body = json.dumps({"name": "CDW"})
    response = _client(read_only.plaintext).post(
        "/api/org/companies/", body, content_type="application/json"
    )
    assert response.status_code == 403 and "read-only" in response.json()["error"]["message"]
    writer = services.create_api_token(system, user, name="rw", write_enabled=True)
    assert (
        _client(writer.plaintext)
        .post("/api/org/companies/", body, content_type="application/json")
        .status_code
        == 201
    )


def test_token_endpoints_create_list_and_revoke_own_tokens(make_user: Any) -> None:
    user = make_user("Read-only")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    created = browser.post(
        "/api/accounts/tokens", json.dumps({"name": "laptop"}), content_type="application/json"
    )
    assert created.status_code == 403  # CSRF is enforced for session writes
    browser = Client(enforce_csrf_checks=False)
    browser.force_login(user)
    created = browser.post(
        "/api/accounts/tokens",
        json.dumps({"name": "laptop", "write_enabled": True}),
        content_type="application/json",
    )
    assert created.status_code == 201
    token = created.json()["token"]
    listed = browser.get("/api/accounts/tokens").json()
    assert [t["name"] for t in listed] == ["laptop"] and "token" not in listed[0]
    assert browser.delete(f"/api/accounts/tokens/{created.json()['id']}").status_code == 204
    assert _client(token).get("/api/accounts/me").status_code == 401


def test_deactivating_a_user_ends_sessions_and_tokens(make_user: Any, system: Actor) -> None:
    user = make_user("Read-only")
    issued = services.create_api_token(system, user, name="t")
    browser = Client()
    browser.force_login(user)
    assert browser.get("/").status_code == 200
    services.deactivate_user(system, user)
    assert _client(issued.plaintext).get("/api/accounts/me").status_code == 401
    assert browser.get("/").status_code == 302
    assert APIToken.objects.get(pk=issued.token.pk).revoked_at is not None


def test_admin_can_deactivate_through_the_api(make_user: Any, api: Any) -> None:
    target = make_user("Read-only")
    response = api("Admin").post(f"/api/accounts/users/{target.pk}/deactivate")
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert api("Helpdesk").post(f"/api/accounts/users/{target.pk}/reactivate").status_code in (
        403,
        404,
    )


LOCAL = "127.0.0.1"  # the test client's REMOTE_ADDR


def _login(client: Client, username: str, password: str) -> Any:
    return client.post("/login/", {"username": username, "password": password})


def test_unknown_user_and_wrong_password_get_the_same_answer(make_user: Any) -> None:
    user = make_user()
    wrong = _login(Client(), user.username, "nope-nope-nope")
    unknown = _login(Client(), "nobody-here", "nope-nope-nope")
    assert wrong.status_code == unknown.status_code == 401
    assert (
        b"Invalid username or password." in wrong.content
        and b"Invalid username or password." in unknown.content
    )


def test_repeated_failures_lock_out_with_back_off(make_user: Any, settings: Any) -> None:
    user = make_user()
    client = Client()
    for _ in range(settings.ASSETGRAPH_LOGIN_FAILURES_BEFORE_LOCK):
        assert _login(client, user.username, "wrong-password-1").status_code == 401
    locked = _login(client, user.username, PASSWORD)
    assert locked.status_code == 429 and b"Too many failed attempts" in locked.content
    ghost = Client()
    for _ in range(settings.ASSETGRAPH_LOGIN_FAILURES_BEFORE_LOCK):
        _login(ghost, "ghost", "x")
    assert _login(ghost, "ghost", "x").status_code == 429  # unknown names lock the same way
    first_wait = services.login_locked_for(user.username, LOCAL)
    from assetgraph.accounts.models import LoginThrottle

    LoginThrottle.objects.filter(key__startswith="pair:").update(locked_until=timezone.now())
    assert _login(client, user.username, "wrong-again-1").status_code == 401
    assert services.login_locked_for(user.username, LOCAL) > first_wait  # the lock doubles


def test_successful_login_resets_the_counter(make_user: Any) -> None:
    user = make_user()
    client = Client()
    _login(client, user.username, "wrong-password-1")
    response = _login(client, user.username, PASSWORD)
    assert response.status_code == 302
    assert services.login_locked_for(user.username, LOCAL) == 0
    assert User.objects.get(pk=user.pk).last_login is not None


def test_login_redirect_refuses_other_hosts(make_user: Any) -> None:
    user = make_user()
    response = Client().post(
        "/login/?next=https://evil.example/", {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == "/"
