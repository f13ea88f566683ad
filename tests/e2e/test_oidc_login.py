"""Single sign-on in a real browser: Chromium follows the OpenID Connect code flow (PKCE,
state, nonce) from the login page through the loopback provider back to the dashboard."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.integrations.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider

pytestmark = pytest.mark.e2e


@pytest.fixture
def provider(settings: Any, e2e_roles: None) -> Iterator[Provider]:
    from assetgraph.integrations import conf

    idp = Provider()
    idp.start()
    env = {
        "ASSETGRAPH_OIDC_CLIENT_ID": CLIENT_ID,
        "ASSETGRAPH_OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "ASSETGRAPH_OIDC_ISSUER": idp.issuer,
        "ASSETGRAPH_OIDC_CLAIM_ROLES": json.dumps({"it-helpdesk": "Helpdesk"}),
    }
    for name, value in conf.oidc(env).items():
        setattr(settings, name, value)
    settings.AUTHENTICATION_BACKENDS = conf.authentication_backends(env)
    idp.claims = {
        "sub": "e2e-1",
        "preferred_username": "sso-jane",
        "email": "sso-jane@example.com",
        "given_name": "Jane",
        "family_name": "Doe",
        "groups": ["it-helpdesk"],
    }
    try:
        yield idp
    finally:
        idp.stop()


def test_oidc_login_end_to_end_in_a_browser(
    page: Any, provider: Provider, browser_problems: Any
) -> None:
    from assetgraph.accounts.models import User

    page.goto("/login/")
    page.locator("#sso-login").click()
    page.wait_for_url("**/")
    expect(page.locator("main h1")).to_be_visible()
    user = User.objects.get(username="sso-jane")
    assert list(user.roles.values_list("name", flat=True)) == ["Helpdesk"]
    assert not provider.refusals
    browser_problems.assert_none()


def test_bad_signature_lands_on_the_login_page_with_an_error(page: Any, provider: Provider) -> None:
    from assetgraph.accounts.models import User

    provider.mode = "bad-signature"
    page.goto("/login/")
    page.locator("#sso-login").click()
    page.wait_for_url("**/login/?sso=failed")
    expect(page.locator("#sso-error")).to_be_visible()
    assert not User.objects.filter(username="sso-jane").exists()
