"""OpenID Connect single sign-on against a real provider on loopback: the code flow with
PKCE, state and nonce; claim-to-role mapping; just-in-time users linked to people; a bad
signature, a wrong nonce and a forged state refused; local logins turned off."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from assetgraph.accounts.models import User
from assetgraph.audit.models import AuditEvent
from assetgraph.core.actor import Actor
from assetgraph.integrations import conf
from assetgraph.org import services as org_services

from .oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider

pytestmark = pytest.mark.django_db
BACKENDS = [
    "assetgraph.integrations.oidc_login.SingleSignOnBackend",
    "django.contrib.auth.backends.ModelBackend",
]


@pytest.fixture
def provider(settings: Any) -> Iterator[Provider]:
    idp = Provider()
    idp.start()
    env = {
        "ASSETGRAPH_OIDC_CLIENT_ID": CLIENT_ID,
        "ASSETGRAPH_OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "ASSETGRAPH_OIDC_ISSUER": idp.issuer,
        "ASSETGRAPH_OIDC_CLAIM_ROLES": json.dumps(
            {"it-helpdesk": "Helpdesk", "cmdb-admins": "Admin"}
        ),
    }
    values = conf.oidc(env)
    for name, value in values.items():
        setattr(settings, name, value)
    settings.AUTHENTICATION_BACKENDS = conf.authentication_backends(env)
    idp.claims = {
        "sub": "248289761001",
        "preferred_username": "jane",
        "email": "jane.doe@example.com",
        "given_name": "Jane",
        "family_name": "Doe",
        "groups": ["it-helpdesk", "everyone"],
        "employee_number": "E7001",
    }
    try:
        yield idp
    finally:
        idp.stop()


def _follow_provider(location: str) -> str:
    """Ask the provider's /authorize (a real HTTP request) and return where it redirects."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(location, timeout=10)
    except urllib.error.HTTPError as exc:
        if exc.code == 302:
            return str(exc.headers["Location"])
        raise
    raise AssertionError("the provider did not redirect")


def sign_in(client: Client, tamper_state: bool = False) -> Any:
    start = client.get("/oidc/authenticate/")
    assert start.status_code == 302
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(start["Location"]).query))
    assert query["code_challenge_method"] == "S256" and query["state"] and query["nonce"]
    callback = _follow_provider(start["Location"])
    parts = urllib.parse.urlsplit(callback)
    params = dict(urllib.parse.parse_qsl(parts.query))
    if tamper_state:
        params["state"] = "forged-state"
    return client.get(parts.path, params)


def test_code_flow_creates_the_user_with_the_role_of_their_group(provider: Provider) -> None:
    person = org_services.create_person(
        Actor.system("t"), {"employee_number": "E7001", "first_name": "Jane", "last_name": "Doe"}
    )
    client = Client()
    done = sign_in(client)
    assert done.status_code == 302 and done["Location"] == "/", done.get("Location")
    assert client.get("/").status_code == 200  # signed in
    user = User.objects.get(username="jane")
    assert list(user.roles.values_list("name", flat=True)) == ["Helpdesk"]
    assert not user.has_usable_password()
    person.refresh_from_db()
    assert person.user == user  # linked by the employee_number claim
    assert AuditEvent.objects.filter(object_type="accounts.user", action="create").count() == 1
    assert not provider.refusals

    # next sign-in: the group changed; the mapped role follows
    provider.claims["groups"] = ["cmdb-admins"]
    second = Client()
    assert sign_in(second).status_code == 302
    assert list(user.roles.values_list("name", flat=True)) == ["Admin"]


def test_a_bad_signature_is_refused(provider: Provider) -> None:
    provider.mode = "bad-signature"
    client = Client()
    done = sign_in(client)
    assert done.status_code == 302 and done["Location"] == "/login/?sso=failed"
    assert not User.objects.exists()
    assert b"Single sign-on did not complete" in client.get(done["Location"]).content


def test_a_wrong_nonce_is_refused(provider: Provider) -> None:
    provider.mode = "wrong-nonce"
    done = sign_in(Client())
    assert done["Location"] == "/login/?sso=failed"
    assert not User.objects.exists()


def test_a_forged_state_is_refused(provider: Provider) -> None:
    done = sign_in(Client(), tamper_state=True)
    assert done.status_code in (302, 400)
    assert not User.objects.exists()


def test_provider_refuses_a_token_request_without_the_pkce_verifier(provider: Provider) -> None:
    client = Client()
    start = client.get("/oidc/authenticate/")
    callback = urllib.parse.urlsplit(_follow_provider(start["Location"]))
    code = dict(urllib.parse.parse_qsl(callback.query))["code"]
    body = urllib.parse.urlencode(
        {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uri": "http://testserver/oidc/callback/",
        }
    ).encode()
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{provider.issuer}/token", body, timeout=10)  # noqa: S310
    assert caught.value.code == 400
    assert provider.refusals == ["PKCE verification failed"]


def test_local_logins_can_be_turned_off(provider: Provider, settings: Any, make_user: Any) -> None:
    from tests.conftest import PASSWORD

    env = {
        "ASSETGRAPH_OIDC_CLIENT_ID": CLIENT_ID,
        "ASSETGRAPH_OIDC_ISSUER": provider.issuer,
        "ASSETGRAPH_LOCAL_LOGIN": "false",
    }
    settings.AUTHENTICATION_BACKENDS = conf.authentication_backends(env)
    settings.ASSETGRAPH_OIDC = conf.oidc(env)["ASSETGRAPH_OIDC"]
    assert "django.contrib.auth.backends.ModelBackend" not in settings.AUTHENTICATION_BACKENDS
    user = make_user()
    page = Client().get("/login/")
    assert b"Sign in with single sign-on" in page.content and b'name="password"' not in page.content
    refused = Client().post("/login/", {"username": user.username, "password": PASSWORD})
    assert refused.status_code == 403
    with pytest.raises(conf.ConfigError):
        conf.authentication_backends({"ASSETGRAPH_LOCAL_LOGIN": "false"})
