"""Attribute mapping of directory entries, including Active Directory's names and its
disabled-account flag, and the configuration's validation."""

from __future__ import annotations

import json
import sys

import pytest

from assetgraph.conf import ConfigError
from assetgraph.integrations import conf
from assetgraph.integrations.directory import to_record


def test_active_directory_entry_maps_with_its_attribute_names() -> None:
    config = conf.directory(
        {
            "ASSETGRAPH_LDAP_ATTRIBUTES": json.dumps(
                {
                    "employee_number": "employeeID",
                    "department": "department",
                    "username": "sAMAccountName",
                    "disabled": "userAccountControl",
                }
            )
        }
    )
    entry = {
        "employeeID": [b"10042"],
        "givenName": [b"J\xc3\xbcrgen"],
        "sn": [b"M\xc3\xbcller"],
        "mail": [b"jm@corp.example.com"],
        "department": [b"Finance"],
        "sAMAccountName": [b"jmueller"],
        "manager": [b"CN=Boss,OU=Staff,DC=corp,DC=example,DC=com"],
        "userAccountControl": [b"512"],  # NORMAL_ACCOUNT
    }
    record = to_record("CN=J,OU=Staff,DC=corp", entry, config["attributes"])
    assert (record.employee_number, record.first_name, record.last_name) == (
        "10042",
        "Jürgen",
        "Müller",
    )
    assert (record.department, record.username, record.disabled) == ("Finance", "jmueller", False)
    assert record.manager_dn.startswith("CN=Boss")
    disabled = to_record("CN=J", {**entry, "userAccountControl": [b"514"]}, config["attributes"])
    assert disabled.disabled  # 512 | ACCOUNTDISABLE (0x2)


def test_attribute_names_are_case_insensitive_as_in_ldap() -> None:
    config = conf.directory({})
    record = to_record(
        "uid=a", {"EMPLOYEENUMBER": [b"7"], "GivenName": [b"A"]}, config["attributes"]
    )
    assert (record.employee_number, record.first_name) == ("7", "A")


def test_bad_mapping_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="unknown field 'shoe_size'"):
        conf.directory({"ASSETGRAPH_LDAP_ATTRIBUTES": '{"shoe_size": "x"}'})
    with pytest.raises(ConfigError, match="not valid JSON"):
        conf.directory({"ASSETGRAPH_LDAP_GROUP_ROLES": "{nope"})
    with pytest.raises(ConfigError, match="OIDC_ISSUER"):
        conf.oidc({"ASSETGRAPH_OIDC_CLIENT_ID": "x"})


def test_without_python_ldap_the_sync_and_the_login_say_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """python-ldap is the optional ``ldap`` extra (it has no wheels): a fresh install runs
    without it, and only using the directory asks for it, by name."""
    from assetgraph.integrations.directory import DirectoryUnavailable, read_directory

    monkeypatch.setitem(sys.modules, "ldap", None)  # as if it were not installed
    config = conf.directory({"ASSETGRAPH_LDAP_URI": "ldap://127.0.0.1:1"})
    with pytest.raises(DirectoryUnavailable, match=r"assetgraph\[ldap\]") as refused:
        read_directory(config)
    assert "uri" in refused.value.fields
    with pytest.raises(ConfigError, match=r"LDAP_LOGIN needs python-ldap"):
        conf.authentication_backends({"ASSETGRAPH_LDAP_LOGIN": "true"})
    # Local login alone never needs it.
    assert conf.authentication_backends({}) == ["django.contrib.auth.backends.ModelBackend"]
