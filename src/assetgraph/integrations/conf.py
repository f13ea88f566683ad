"""The integrations' configuration, read from ``ASSETGRAPH_LDAP_*`` environment variables by
``settings.py`` (documented in docs/integrations.md and docs/configuration.md).

Imports no Django model: settings load it before apps are ready.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Mapping
from typing import Any

from assetgraph.conf import PREFIX, ConfigError, _bool, _int

# The person field each directory attribute fills (OpenLDAP ``inetOrgPerson`` names; Active
# Directory differs only in ``department`` and the login attribute, see the docs).
DEFAULT_ATTRIBUTES: dict[str, str] = {
    "employee_number": "employeeNumber",
    "first_name": "givenName",
    "last_name": "sn",
    "email": "mail",
    "job_title": "title",
    "phone": "telephoneNumber",
    "department": "departmentNumber",
    "manager": "manager",
    "username": "uid",
}
MAPPABLE = frozenset(DEFAULT_ATTRIBUTES) | {"disabled"}


def _json(env: Mapping[str, str], name: str) -> dict[str, str]:
    raw = env.get(PREFIX + name, "").strip()
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{PREFIX}{name} is not valid JSON: {exc.msg}") from None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ConfigError(f'{PREFIX}{name} must be a JSON object of strings, {{"a": "b"}}')
    return value


def scim_group_roles(env: Mapping[str, str]) -> dict[str, str]:
    """``ASSETGRAPH_SCIM_GROUP_ROLES``: SCIM Group (``displayName`` or ``externalId``) → role
    name, matched case-insensitively like ``ASSETGRAPH_LDAP_GROUP_ROLES``' group DNs."""
    return {key.lower(): role for key, role in _json(env, "SCIM_GROUP_ROLES").items()}


def directory(env: Mapping[str, str]) -> dict[str, Any]:
    """``ASSETGRAPH_DIRECTORY``: where the directory is and how its attributes map to people."""
    attributes = dict(DEFAULT_ATTRIBUTES)
    overrides = _json(env, "LDAP_ATTRIBUTES")
    unknown = sorted(set(overrides) - MAPPABLE)
    if unknown:
        raise ConfigError(
            f"{PREFIX}LDAP_ATTRIBUTES: unknown field {unknown[0]!r} "
            f"(known: {', '.join(sorted(MAPPABLE))})"
        )
    attributes.update(overrides)
    roles = _json(env, "LDAP_GROUP_ROLES")
    return {
        "uri": env.get(PREFIX + "LDAP_URI", "").strip(),
        "bind_dn": env.get(PREFIX + "LDAP_BIND_DN", ""),
        "bind_password": env.get(PREFIX + "LDAP_BIND_PASSWORD", ""),
        "start_tls": _bool(env, "LDAP_START_TLS", False),
        "user_base": env.get(PREFIX + "LDAP_USER_BASE", ""),
        "user_filter": env.get(PREFIX + "LDAP_USER_FILTER", "(objectClass=inetOrgPerson)"),
        "group_base": env.get(PREFIX + "LDAP_GROUP_BASE", ""),
        "group_filter": env.get(PREFIX + "LDAP_GROUP_FILTER", "(objectClass=groupOfNames)"),
        "attributes": attributes,
        "group_roles": {dn.lower(): role for dn, role in roles.items()},
        "login": _bool(env, "LDAP_LOGIN", False),
        "sync_interval_seconds": _int(env, "LDAP_SYNC_INTERVAL", 3600, minimum=60),
        "timeout_seconds": _int(env, "LDAP_TIMEOUT", 10, minimum=1),
        "page_size": _int(env, "LDAP_PAGE_SIZE", 500, minimum=1),
    }


def authentication_backends(env: Mapping[str, str]) -> list[str]:
    """The directory when ``ASSETGRAPH_LDAP_LOGIN`` is on, single sign-on when an OIDC client
    is configured, and local passwords unless ``ASSETGRAPH_LOCAL_LOGIN`` is off."""
    backends = []
    if _bool(env, "LDAP_LOGIN", False):
        if importlib.util.find_spec("ldap") is None or not importlib.util.find_spec(
            "django_auth_ldap"
        ):
            raise ConfigError(
                f"{PREFIX}LDAP_LOGIN needs python-ldap and django-auth-ldap: install "
                "assetgraph with its LDAP extra (pip install 'assetgraph[ldap]')"
            )
        backends.append("assetgraph.integrations.ldap_login.DirectoryBackend")
    if env.get(PREFIX + "OIDC_CLIENT_ID", "").strip():
        backends.append("assetgraph.integrations.oidc_login.SingleSignOnBackend")
    if _bool(env, "LOCAL_LOGIN", True):
        backends.append("django.contrib.auth.backends.ModelBackend")
    if not backends:
        raise ConfigError(
            f"{PREFIX}LOCAL_LOGIN=false leaves no way to sign in: configure "
            f"{PREFIX}OIDC_CLIENT_ID or {PREFIX}LDAP_LOGIN first"
        )
    return backends


def oidc(env: Mapping[str, str]) -> dict[str, Any]:
    """mozilla-django-oidc's settings, and ``ASSETGRAPH_OIDC`` (claims to roles and people),
    from ``ASSETGRAPH_OIDC_*``. Endpoints are given explicitly (the provider's discovery
    document lists them), so start-up never depends on the provider being reachable."""
    client_id = env.get(PREFIX + "OIDC_CLIENT_ID", "").strip()
    base = env.get(PREFIX + "OIDC_ISSUER", "").strip().rstrip("/")
    if client_id and not base:
        raise ConfigError(f"{PREFIX}OIDC_ISSUER is required with {PREFIX}OIDC_CLIENT_ID")

    def endpoint(name: str, default: str) -> str:
        return env.get(PREFIX + f"OIDC_{name}_ENDPOINT", "").strip() or f"{base}{default}"

    return {
        "OIDC_RP_CLIENT_ID": client_id,
        "OIDC_RP_CLIENT_SECRET": env.get(PREFIX + "OIDC_CLIENT_SECRET", ""),
        "OIDC_OP_AUTHORIZATION_ENDPOINT": endpoint("AUTHORIZATION", "/authorize"),
        "OIDC_OP_TOKEN_ENDPOINT": endpoint("TOKEN", "/token"),
        "OIDC_OP_USER_ENDPOINT": endpoint("USERINFO", "/userinfo"),
        "OIDC_OP_JWKS_ENDPOINT": endpoint("JWKS", "/jwks"),
        "OIDC_RP_SIGN_ALGO": env.get(PREFIX + "OIDC_SIGN_ALGO", "RS256"),
        "OIDC_RP_SCOPES": env.get(PREFIX + "OIDC_SCOPES", "openid email profile"),
        "OIDC_USE_PKCE": True,
        "OIDC_USE_NONCE": True,
        "OIDC_TIMEOUT": _int(env, "OIDC_TIMEOUT", 10, minimum=1),
        "OIDC_AUTHENTICATION_CALLBACK_URL": "oidc_authentication_callback",
        "LOGIN_REDIRECT_URL_FAILURE": "/login/?sso=failed",
        "ASSETGRAPH_OIDC": {
            "enabled": bool(client_id),
            "issuer": base,
            "username_claim": env.get(PREFIX + "OIDC_USERNAME_CLAIM", "preferred_username"),
            "roles_claim": env.get(PREFIX + "OIDC_ROLES_CLAIM", "groups"),
            "claim_roles": _json(env, "OIDC_CLAIM_ROLES"),
            "employee_number_claim": env.get(
                PREFIX + "OIDC_EMPLOYEE_NUMBER_CLAIM", "employee_number"
            ),
            "local_login": _bool(env, "LOCAL_LOGIN", True),
            "password_login": _bool(env, "LOCAL_LOGIN", True) or _bool(env, "LDAP_LOGIN", False),
        },
    }
