"""API token scopes: whole API, per app, read-only, provisioning; chosen in the UI too."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from assetgraph.accounts import services as account_services
from assetgraph.accounts.models import APIToken
from assetgraph.core.actor import Actor
from assetgraph.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db


def _client(user: Any, scopes: list[str], write: bool = True) -> Client:
    issued = account_services.create_api_token(
        Actor.system("t"), user, name="t", write_enabled=write, scopes=scopes
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")


def test_app_scope_limits_the_token_to_that_app(
    site: dict[str, Any], make_user: Callable[..., Any]
) -> None:
    admin = make_user("Admin")
    discovery = _client(admin, ["discovery"])
    assert discovery.get("/api/discovery/sources/").status_code == 200
    refused = discovery.get("/api/org/people/")
    assert refused.status_code == 403 and "scopes" in refused.json()["error"]["message"]
    whole = _client(admin, [])
    assert whole.get("/api/org/people/").status_code == 200


def test_read_scope_refuses_writes_even_with_write_enabled(
    site: dict[str, Any], make_user: Callable[..., Any]
) -> None:
    client = _client(make_user("Admin"), ["read"])
    assert client.get("/api/org/people/").status_code == 200
    response = client.post(
        "/api/org/departments/", {"name": "New"}, content_type="application/json"
    )
    assert response.status_code == 403


def test_unknown_scope_is_a_field_error(make_user: Callable[..., Any]) -> None:
    with pytest.raises(ValidationFailed) as caught:
        account_services.create_api_token(
            Actor.system("t"), make_user(), name="t", scopes=["everything"]
        )
    assert caught.value.fields is not None and "scopes" in caught.value.fields


def test_profile_page_creates_a_scoped_token(make_user: Callable[..., Any]) -> None:
    user = make_user()
    client = Client()
    client.force_login(user)
    page = client.get("/profile/")
    assert b'name="scopes"' in page.content and b"provisioning" in page.content
    response = client.post(
        "/profile/",
        {"name": "scim", "write_enabled": "on", "scopes": ["provisioning"], "expires_at": ""},
    )
    assert response.status_code == 200
    token = APIToken.objects.get(user=user)
    assert token.scopes == ["provisioning"] and token.write_enabled
    assert b"provisioning" in client.get("/profile/").content


def test_api_creates_a_token_with_scopes_and_expiry(make_user: Callable[..., Any]) -> None:
    user = make_user()
    client = Client()
    client.force_login(user)
    from django.middleware.csrf import _get_new_csrf_string

    csrf = _get_new_csrf_string()
    client.cookies["csrftoken"] = csrf
    response = client.post(
        "/api/accounts/tokens",
        {"name": "ro", "scopes": ["read", "assets"], "expires_at": "2099-01-01T00:00:00Z"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf,
    )
    assert response.status_code == 201, response.content
    assert response.json()["scopes"] == ["assets", "read"]
