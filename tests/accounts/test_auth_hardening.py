"""Authentication details: 401 (not a CSRF 403) for bad credentials on writes, login
throttling keyed on the username and the client address, no Server header, strict CSP on the
API docs."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from assetgraph.accounts import services
from assetgraph.accounts.models import LoginThrottle
from assetgraph.core.actor import Actor

from ..conftest import PASSWORD

pytestmark = pytest.mark.django_db
WRITE_METHODS = ("post", "put", "patch", "delete")


def _write_operations() -> list[tuple[str, str]]:
    """Every write operation of the API, with its path parameters filled with 1."""
    from assetgraph.site.api import api

    schema = api.get_openapi_schema()
    return sorted(
        (method, re.sub(r"\{[^}]+\}", "1", path))
        for path, operations in schema["paths"].items()
        for method in operations
        if method in WRITE_METHODS
    )


def _assert_401(response: Any) -> None:
    assert response.status_code == 401, (response.status_code, response.content[:200])
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_every_write_without_credentials_is_401_not_a_csrf_403() -> None:
    client = Client(enforce_csrf_checks=True)
    operations = _write_operations()
    assert len(operations) > 30
    for method, path in operations:
        _assert_401(getattr(client, method)(path, "{}", content_type="application/json"))


def test_bad_revoked_and_expired_tokens_on_writes_are_401(make_user: Any, system: Actor) -> None:
    user = make_user("Admin")
    revoked = services.create_api_token(system, user, name="old")
    services.revoke_api_token(system, revoked.token)
    expired = services.create_api_token(system, user, name="expired")
    type(expired.token).objects.filter(pk=expired.token.pk).update(
        expires_at=timezone.now() - timezone.timedelta(minutes=1)
    )
    tokens = [
        revoked.plaintext,
        expired.plaintext,
        "agt_nope_nope",
        "garbage",
        revoked.plaintext[:-2] + "xx",
    ]
    for token in tokens:
        client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {token}")
        for method, path in [("post", "/api/org/companies/"), ("patch", "/api/org/companies/1")]:
            _assert_401(getattr(client, method)(path, "{}", content_type="application/json"))
        _assert_401(client.get("/api/org/companies/"))


def test_a_bad_token_next_to_a_session_cookie_is_401(make_user: Any) -> None:
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION="Bearer agt_bad_bad")
    client.force_login(make_user("Admin"))
    _assert_401(client.post("/api/org/companies/", "{}", content_type="application/json"))
    _assert_401(client.get("/api/org/companies/"))


def test_a_signed_in_session_still_needs_csrf_for_writes(make_user: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("Admin"))
    response = client.post("/api/org/companies/", '{"name": "X"}', content_type="application/json")
    assert response.status_code == 403 and "CSRF" in response.json()["error"]["message"]


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(token=st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=80))
def test_any_unknown_bearer_token_is_401_for_every_method(token: str) -> None:
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {token}")
    for method, path in [
        ("post", "/api/org/people/"),
        ("patch", "/api/org/people/1"),
        ("delete", "/api/org/people/1"),
    ]:
        _assert_401(getattr(client, method)(path, "{}", content_type="application/json"))


def _login(username: str, password: str, address: str, **extra: str) -> Any:
    return Client(REMOTE_ADDR=address, **extra).post(
        "/login/", {"username": username, "password": password}
    )


def test_an_attacker_cannot_lock_out_the_owner(make_user: Any, settings: Any) -> None:
    victim = make_user()
    for _ in range(settings.ASSETGRAPH_LOGIN_FAILURES_BEFORE_LOCK):
        assert _login(victim.username, "wrong-guess-1", "203.0.113.9").status_code == 401
    locked = _login(victim.username, PASSWORD, "203.0.113.9")
    assert locked.status_code == 429 and int(locked["Retry-After"]) > 0
    assert _login(victim.username, PASSWORD, "198.51.100.7").status_code == 302  # the owner


def test_many_usernames_from_one_address_are_slowed(make_user: Any, settings: Any) -> None:
    real = make_user()
    for i in range(settings.ASSETGRAPH_LOGIN_ADDRESS_FAILURES_BEFORE_LOCK):
        assert _login(f"spray-{i}", "Winter2025!", "203.0.113.50").status_code == 401
    assert _login("spray-new", "Winter2025!", "203.0.113.50").status_code == 429
    assert _login(real.username, PASSWORD, "203.0.113.50").status_code == 429
    assert _login(real.username, PASSWORD, "203.0.113.51").status_code == 302


def test_locks_double_and_failures_are_forgotten_after_a_quiet_period(
    make_user: Any, settings: Any
) -> None:
    user = make_user()
    address = "192.0.2.1"
    threshold = settings.ASSETGRAPH_LOGIN_FAILURES_BEFORE_LOCK
    for _ in range(threshold):
        services.record_login_failure(user.username, address)
    first = services.login_locked_for(user.username, address)
    assert 0 < first <= settings.ASSETGRAPH_LOGIN_LOCK_SECONDS
    services.record_login_failure(user.username, address)
    assert services.login_locked_for(user.username, address) > first
    long_ago = timezone.now() - timezone.timedelta(
        seconds=settings.ASSETGRAPH_LOGIN_LOCK_MAX_SECONDS + 1
    )
    LoginThrottle.objects.update(last_failure_at=long_ago, locked_until=None)
    services.record_login_failure(user.username, address)
    assert services.login_locked_for(user.username, address) == 0  # counting starts afresh
    assert LoginThrottle.objects.filter(key__startswith="pair:").get().failures == 1


def test_forwarded_addresses_count_only_behind_a_trusted_proxy(
    make_user: Any, settings: Any
) -> None:
    user = make_user()
    threshold = settings.ASSETGRAPH_LOGIN_FAILURES_BEFORE_LOCK
    for i in range(threshold):  # an untrusted sender cannot pick its address
        _login(user.username, "x", "203.0.113.9", HTTP_X_FORWARDED_FOR=f"10.9.9.{i}")
    assert _login(user.username, PASSWORD, "203.0.113.9").status_code == 429
    settings.ASSETGRAPH_TRUSTED_PROXIES = ("10.0.0.0/8",)
    for _ in range(threshold):
        _login(user.username, "x", "10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.1")
    proxied = _login(user.username, PASSWORD, "10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert proxied.status_code == 429  # the client behind the proxy is locked
    other = _login(user.username, PASSWORD, "10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert other.status_code == 302  # ... not everyone behind the same proxy


def test_api_docs_get_the_strict_policy(make_user: Any) -> None:
    client = Client()
    client.force_login(make_user("Admin"))
    response = client.get("/api/docs")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    html = response.content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    for attributes, _body in scripts:  # only static files, and JSON data the page reads
        assert "src=" in attributes or 'type="application/json"' in attributes, attributes
    assert "cdn" not in html.lower()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.django_db(transaction=False)
def test_the_production_server_sends_no_server_header(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "ASSETGRAPH_DATA_DIR": str(tmp_path), "ASSETGRAPH_DEBUG": "false"}
    env.pop("ASSETGRAPH_DATABASE_URL", None)
    # The headers are the web server's and the middleware's: the login page and the CSP need
    # no table, so the server starts on an empty database (no migrations, no worker to poll).
    command = [sys.executable, "-m", "assetgraph.cli", "serve", "--port", str(port)]
    command += ["--workers", "1", "--threads", "1", "--no-migrate", "--no-worker"]
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 120  # gunicorn's start is slow on a loaded machine
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5) as r:
                    headers = dict(r.headers)
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.3)
    finally:
        server.terminate()
        try:
            server.wait(30)  # gunicorn's graceful stop is slow on a loaded machine
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)
    assert "Server" not in headers and "server" not in {k.lower() for k in headers}
    assert headers["Content-Security-Policy"].startswith("default-src 'self'")
