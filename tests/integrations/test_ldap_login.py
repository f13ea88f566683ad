"""LDAP login against the real slapd: the user signs in through the login page, gets the role
of their group, and is linked to their person; leavers and wrong passwords are refused."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from assetgraph.accounts.models import User
from assetgraph.audit.models import AuditEvent
from assetgraph.core.actor import Actor
from assetgraph.integrations import services
from assetgraph.org.models import Person

from .conftest import need_directory
from .slapd import USER_PASSWORD, Directory, employee_number

pytestmark = pytest.mark.django_db
BACKENDS = [
    "assetgraph.integrations.ldap_login.DirectoryBackend",
    "django.contrib.auth.backends.ModelBackend",
]


@pytest.fixture
def ldap_login(settings: Any, ldap_settings: Directory) -> Directory:
    settings.AUTHENTICATION_BACKENDS = BACKENDS
    return ldap_settings


def _login(username: str, password: str) -> Any:
    return Client().post("/login/", {"username": username, "password": password})


def test_helpdesk_member_logs_in_and_gets_the_helpdesk_role(ldap_login: Directory) -> None:
    services.sync_directory(Actor.system("t"))
    response = _login("user0002", USER_PASSWORD)
    assert response.status_code == 302, response.content
    user = User.objects.get(username="user0002")
    assert list(user.roles.values_list("name", flat=True)) == ["Helpdesk"]
    assert not user.has_usable_password()  # the password stays in the directory
    assert (user.first_name, user.email) == ("Given2", "user0002@example.test")
    assert Person.objects.get(employee_number=employee_number(2)).user == user
    assert AuditEvent.objects.filter(object_type="accounts.user", action="create").count() == 1
    assert AuditEvent.objects.filter(object_type="accounts.user", action="set_roles").count() == 1
    # the session works: the dashboard answers
    client = Client()
    client.post("/login/", {"username": "user0002", "password": USER_PASSWORD})
    assert client.get("/").status_code == 200


def test_admin_group_maps_to_admin_and_leaving_a_group_revokes_its_role(
    ldap_login: Directory,
) -> None:
    assert _login("user0001", USER_PASSWORD).status_code == 302
    user = User.objects.get(username="user0001")
    assert set(user.roles.values_list("name", flat=True)) == {"Admin"}
    conn = ldap_login.connect()
    import ldap

    conn.modify_s(
        "cn=it-admins,ou=groups,dc=example,dc=test",
        [(ldap.MOD_REPLACE, "member", [b"uid=user0003,ou=people,dc=example,dc=test"])],
    )
    conn.unbind_s()
    assert _login("user0001", USER_PASSWORD).status_code == 302
    assert not user.roles.exists()


def test_user_in_no_mapped_group_gets_no_role(ldap_login: Directory) -> None:
    assert _login("user0050", USER_PASSWORD).status_code == 302
    assert not User.objects.get(username="user0050").roles.exists()


def test_wrong_password_and_unknown_user_are_refused(ldap_login: Directory) -> None:
    assert _login("user0002", "wrong-password").status_code == 401
    assert _login("nobody", USER_PASSWORD).status_code == 401
    assert not User.objects.exists()


def test_leaver_cannot_log_in(ldap_login: Directory) -> None:
    assert _login("user0020", USER_PASSWORD).status_code == 302
    user = User.objects.get(username="user0020")
    from assetgraph.accounts import services as account_services

    account_services.deactivate_user(Actor.system("t"), user)
    assert _login("user0020", USER_PASSWORD).status_code == 401


def test_backend_is_off_without_a_directory(settings: Any, db: None) -> None:
    from assetgraph.integrations import conf

    need_directory()  # the backend itself needs django-auth-ldap

    settings.AUTHENTICATION_BACKENDS = BACKENDS
    settings.ASSETGRAPH_DIRECTORY = conf.directory({})
    assert _login("user0002", USER_PASSWORD).status_code == 401
    assert conf.authentication_backends({"ASSETGRAPH_LDAP_LOGIN": "true"})[0] == BACKENDS[0]
    assert conf.authentication_backends({}) == BACKENDS[1:]
