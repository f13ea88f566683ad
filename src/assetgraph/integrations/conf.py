"""The integrations' configuration, read from ``ASSETGRAPH_LDAP_*`` environment variables by
``settings.py`` (documented in docs/integrations.md and docs/configuration.md).

Imports no Django model: settings load it before apps are ready.
"""

from __future__ import annotations

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
    """Local passwords, then the directory when ``ASSETGRAPH_LDAP_LOGIN`` is on."""
    backends = ["django.contrib.auth.backends.ModelBackend"]
    if _bool(env, "LDAP_LOGIN", False):
        backends.insert(0, "assetgraph.integrations.ldap_login.DirectoryBackend")
    return backends
