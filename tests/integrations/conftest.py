"""Fixtures of the integrations tests: a real OpenLDAP ``slapd`` seeded with 200 people,
and the settings that point the directory sync and LDAP login at it."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assetgraph.integrations import conf as integrations_conf
from tests.assets.conftest import catalogue, make_asset
from tests.licences.conftest import lic

from . import slapd
from .slapd import ADMIN_DN, ADMIN_PASSWORD, BASE, GROUPS, PEOPLE, SLAPD, Directory, free_port

__all__ = ["catalogue", "directory", "ldap_settings", "lic", "make_asset", "need_directory"]


def directory_env(directory: Directory, **extra: str) -> dict[str, str]:
    """The ``ASSETGRAPH_LDAP_*`` variables an operator would set for this directory."""
    return {
        "ASSETGRAPH_LDAP_URI": directory.uri,
        "ASSETGRAPH_LDAP_BIND_DN": ADMIN_DN,
        "ASSETGRAPH_LDAP_BIND_PASSWORD": ADMIN_PASSWORD,
        "ASSETGRAPH_LDAP_USER_BASE": PEOPLE,
        "ASSETGRAPH_LDAP_GROUP_BASE": GROUPS,
        "ASSETGRAPH_LDAP_PAGE_SIZE": "50",
        **extra,
    }


def need_directory() -> None:
    """Skip without python-ldap or slapd (fail instead when ASSETGRAPH_REQUIRE_LDAP=1, as CI
    sets it: there the directory tests must run)."""
    missing = ""
    if slapd.ldap is None:
        missing = (
            "python-ldap is not installed (apt-get install libldap2-dev libsasl2-dev; make dev)"
        )
    elif not Path(SLAPD).is_file():
        missing = "slapd is not installed (apt-get install slapd)"
    if missing and os.environ.get("ASSETGRAPH_REQUIRE_LDAP") == "1":
        pytest.fail(f"ASSETGRAPH_REQUIRE_LDAP=1 but {missing}", pytrace=False)
    if missing:
        pytest.skip(missing)


@pytest.fixture
def directory(tmp_path: Path) -> Iterator[Directory]:
    """A running slapd on 127.0.0.1 with the seeded company (200 people, two groups)."""
    need_directory()
    server = Directory(tmp_path / "slapd", free_port())
    server.start()
    try:
        server.seed(200)
        yield server
    finally:
        server.stop()


@pytest.fixture
def ldap_settings(settings: Any, directory: Directory) -> Directory:
    """Point ``ASSETGRAPH_DIRECTORY`` at the test directory."""
    roles = json.dumps({f"cn=helpdesk,{GROUPS}": "Helpdesk", f"cn=it-admins,{GROUPS}": "Admin"})
    settings.ASSETGRAPH_DIRECTORY = integrations_conf.directory(
        directory_env(directory, ASSETGRAPH_LDAP_GROUP_ROLES=roles)
    )
    return directory


assert BASE  # the base DN the seeded entries live under
