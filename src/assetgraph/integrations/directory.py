"""Reading people from an LDAP directory (OpenLDAP, Active Directory) with python-ldap.

:func:`read_directory` binds with the configured service account, pages through the people
under the user base (RFC 2696 simple paged results, so Active Directory's 1,000-entry limit
does not truncate the list), and maps each entry to a :class:`DirectoryRecord` with the
attribute mapping of ``ASSETGRAPH_DIRECTORY``.

python-ldap is an optional dependency (``pip install 'assetgraph[ldap]'``: it compiles against
the OpenLDAP and SASL headers and has no wheels), so it is imported only when a directory is
actually read. Without it, a sync answers with a clear error naming what to install, and the
rest of the product (the demo's directory, which is in-memory records) never needs it.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from assetgraph.core.errors import ValidationFailed

# Active Directory's userAccountControl flag for a disabled account.
AD_ACCOUNTDISABLE = 0x2


@dataclass(frozen=True)
class DirectoryRecord:
    """One person as the directory describes them (text values, already decoded)."""

    dn: str
    employee_number: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    job_title: str = ""
    phone: str = ""
    department: str = ""
    manager_dn: str = ""
    username: str = ""
    disabled: bool = False


class DirectoryUnavailable(ValidationFailed):
    """The directory could not be reached or refused the service account (a 422 on the API)."""


def _first(attrs: Mapping[str, list[bytes]], name: str) -> str:
    if not name:
        return ""
    for key, values in attrs.items():
        if key.lower() == name.lower() and values:
            return values[0].decode("utf-8", errors="replace").strip()
    return ""


def _disabled(raw: str) -> bool:
    """AD's userAccountControl (a flag set) or a boolean-ish attribute."""
    if raw.isdigit():
        return bool(int(raw) & AD_ACCOUNTDISABLE)
    return raw.strip().lower() in {"true", "yes", "1", "disabled"}


def to_record(
    dn: str, attrs: Mapping[str, list[bytes]], mapping: Mapping[str, str]
) -> DirectoryRecord:
    """Map one LDAP entry to a record."""
    return DirectoryRecord(
        dn=dn,
        employee_number=_first(attrs, mapping["employee_number"]),
        first_name=_first(attrs, mapping["first_name"]),
        last_name=_first(attrs, mapping["last_name"]),
        email=_first(attrs, mapping["email"]),
        job_title=_first(attrs, mapping["job_title"]),
        phone=_first(attrs, mapping["phone"]),
        department=_first(attrs, mapping["department"]),
        manager_dn=_first(attrs, mapping["manager"]),
        username=_first(attrs, mapping["username"]),
        disabled=_disabled(_first(attrs, mapping.get("disabled", ""))),
    )


LDAP_MISSING = (
    "python-ldap is not installed: install assetgraph with its LDAP extra "
    "(pip install 'assetgraph[ldap]', which needs the OpenLDAP and SASL headers, "
    "e.g. apt-get install libldap2-dev libsasl2-dev)"
)


def python_ldap() -> ModuleType:
    """The ``ldap`` module, or a :class:`DirectoryUnavailable` that says how to install it."""
    try:
        module: ModuleType = importlib.import_module("ldap")
    except ImportError as exc:
        raise DirectoryUnavailable(f"uri: {LDAP_MISSING}", fields={"uri": [LDAP_MISSING]}) from exc
    return module


def connect(config: Mapping[str, Any]) -> Any:
    """A bound connection with the service account (or anonymous when no bind DN is set)."""
    if not config.get("uri"):
        raise DirectoryUnavailable(
            "uri: no directory configured (set ASSETGRAPH_LDAP_URI)",
            fields={"uri": ["no directory configured"]},
        )
    ldap = python_ldap()
    try:
        conn = ldap.initialize(config["uri"])
        conn.set_option(ldap.OPT_REFERRALS, 0)
        conn.set_option(ldap.OPT_NETWORK_TIMEOUT, config.get("timeout_seconds", 10))
        conn.set_option(ldap.OPT_TIMEOUT, config.get("timeout_seconds", 10))
        conn.protocol_version = ldap.VERSION3
        if config.get("start_tls"):
            conn.start_tls_s()
        conn.simple_bind_s(config.get("bind_dn", ""), config.get("bind_password", ""))
    except ldap.LDAPError as exc:
        raise DirectoryUnavailable(
            f"uri: the directory refused or did not answer: {_describe(exc)}",
            fields={"uri": [_describe(exc)]},
        ) from exc
    return conn


def _describe(exc: Exception) -> str:
    detail = exc.args[0] if exc.args else {}
    if isinstance(detail, dict):
        return str(detail.get("desc", "")) + (f" ({detail['info']})" if detail.get("info") else "")
    return str(exc)


def search_paged(
    conn: Any, base: str, query: str, attrs: list[str], page_size: int
) -> list[tuple[str, dict[str, list[bytes]]]]:
    """Every entry under ``base`` matching ``query``, fetched page by page."""
    ldap = python_ldap()
    from ldap.controls import SimplePagedResultsControl

    control = SimplePagedResultsControl(True, size=page_size, cookie="")
    entries: list[tuple[str, dict[str, list[bytes]]]] = []
    while True:
        msgid = conn.search_ext(base, ldap.SCOPE_SUBTREE, query, attrs, serverctrls=[control])
        _type, data, _msgid, controls = conn.result3(msgid)
        entries.extend((dn, entry) for dn, entry in data if dn)  # skip referrals
        cookie = next(
            (c.cookie for c in controls if c.controlType == SimplePagedResultsControl.controlType),
            b"",
        )
        if not cookie:
            return entries
        control.cookie = cookie


def read_directory(config: Mapping[str, Any]) -> list[DirectoryRecord]:
    """Every person under the configured user base, mapped to records."""
    mapping = config["attributes"]
    conn = connect(config)
    ldap = python_ldap()
    try:
        wanted = sorted({name for name in mapping.values() if name})
        entries = search_paged(
            conn, config["user_base"], config["user_filter"], wanted, config.get("page_size", 500)
        )
    except ldap.LDAPError as exc:
        raise DirectoryUnavailable(
            f"user_base: the search failed: {_describe(exc)}",
            fields={"user_base": [_describe(exc)]},
        ) from exc
    finally:
        conn.unbind_s()
    return [to_record(dn, attrs, mapping) for dn, attrs in entries]
