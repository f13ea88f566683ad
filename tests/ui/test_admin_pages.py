"""Administration in the UI: add a user, reset a password, roles and custom permissions with
constraints, every API token. Writes go through the accounts services (audited); pages are
404 for who may not view the type."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from assetgraph.accounts import services as account_services
from assetgraph.accounts.models import APIToken, ObjectPermission, User
from assetgraph.audit.models import AuditEvent
from assetgraph.core.actor import Actor

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(make_user: Callable[..., Any]) -> Client:
    client = Client()
    client.force_login(make_user("Admin"))
    return client


def test_admin_pages_are_404_without_the_permission(browser: Callable[..., Client]) -> None:
    client = browser("Helpdesk")
    for url in ("/users/add/", "/roles/", "/roles/permissions/add/", "/tokens/"):
        assert client.get(url).status_code == 404, url


def test_admin_adds_a_user_with_roles(admin: Client) -> None:
    response = admin.post(
        "/users/add/",
        {
            "username": "lan.tran",
            "first_name": "Lan",
            "last_name": "Tran",
            "email": "lan@example.com",
            "password": "A-long-Passphrase-42",
            "roles": ["Helpdesk"],
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="lan.tran")
    assert response["Location"] == f"/users/{user.pk}/"
    assert [r.name for r in user.roles.all()] == ["Helpdesk"]
    assert user.check_password("A-long-Passphrase-42")
    actions = set(
        AuditEvent.objects.filter(object_type="accounts.user", object_id=str(user.pk)).values_list(
            "action", flat=True
        )
    )
    assert {"create", "set_roles"} <= actions


def test_add_user_errors_name_the_field_and_change_nothing(admin: Client) -> None:
    before = User.objects.count()
    response = admin.post("/users/add/", {"username": "x", "password": "short", "roles": []})
    assert response.status_code == 422
    assert "password" in response.context["errors"]
    response = admin.post("/users/add/", {"username": "y", "roles": ["No such role"]})
    assert response.status_code in (400, 404, 422)
    assert "roles" in response.context["errors"]
    assert User.objects.count() == before


def test_admin_resets_a_password_shown_once(admin: Client, make_user: Callable[..., Any]) -> None:
    target = make_user("Helpdesk")
    response = admin.post(f"/users/{target.pk}/reset-password/")
    assert response.status_code == 200
    temporary = response.context["temporary"]
    target.refresh_from_db()
    assert target.check_password(temporary)
    event = AuditEvent.objects.filter(
        object_type="accounts.user", object_id=str(target.pk), action="reset_password"
    ).get()
    assert temporary not in json.dumps([event.before, event.after])
    # The secret is on that answer only: the user's page does not show it.
    assert temporary not in admin.get(f"/users/{target.pk}/").content.decode()


def test_reset_password_needs_change_on_users(
    browser: Callable[..., Client], make_user: Callable[..., Any]
) -> None:
    target = make_user("Helpdesk")
    password = target.password
    client = browser(permissions=[(["accounts.user"], ["view"], None)])
    response = client.post(f"/users/{target.pk}/reset-password/")
    assert response.status_code == 302  # back to the page with the error message
    target.refresh_from_db()
    assert target.password == password
    assert browser("Helpdesk").post(f"/users/{target.pk}/reset-password/").status_code == 404


def test_admin_creates_a_constrained_permission_and_it_applies(
    admin: Client, make_user: Callable[..., Any], site: dict[str, Any]
) -> None:
    response = admin.post(
        "/roles/permissions/add/",
        {
            "name": "Berlin people",
            "object_types": ["org.person"],
            "actions": ["view"],
            "constraints": json.dumps({"location": site["berlin"].pk}),
            "roles": ["Read-only"],
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    permission = ObjectPermission.objects.get(name="Berlin people")
    assert permission.constraints == {"location": site["berlin"].pk}
    assert AuditEvent.objects.filter(
        object_type="accounts.objectpermission", object_id=str(permission.pk), action="create"
    ).exists()
    page = admin.get("/roles/").content.decode()
    assert "Berlin people" in page and "every object" not in page.split("Berlin people")[1][:400]

    # Disable, then delete: both audited, built-in permissions refuse.
    assert (
        admin.post(f"/roles/permissions/{permission.pk}/", {"action": "disable"}).status_code == 302
    )
    permission.refresh_from_db()
    assert permission.enabled is False
    builtin = ObjectPermission.objects.filter(builtin=True).first()
    assert builtin is not None
    admin.post(f"/roles/permissions/{builtin.pk}/", {"action": "delete"})
    assert ObjectPermission.objects.filter(pk=builtin.pk).exists()
    assert (
        admin.post(f"/roles/permissions/{permission.pk}/", {"action": "delete"}).status_code == 302
    )
    assert not ObjectPermission.objects.filter(pk=permission.pk).exists()
    assert AuditEvent.objects.filter(
        object_type="accounts.objectpermission", object_id=str(permission.pk), action="delete"
    ).exists()


def test_bad_constraints_name_the_field(admin: Client) -> None:
    for constraints in ("{not json", json.dumps({"no_such_field": 1})):
        response = admin.post(
            "/roles/permissions/add/",
            {
                "name": "Broken",
                "object_types": ["org.person"],
                "actions": ["view"],
                "constraints": constraints,
            },
        )
        assert response.status_code == 422
        assert "constraints" in response.context["errors"], response.context["errors"]
    assert not ObjectPermission.objects.filter(name="Broken").exists()


def test_admin_sees_and_revokes_any_token(
    admin: Client, make_user: Callable[..., Any], browser: Callable[..., Client]
) -> None:
    owner = make_user("Helpdesk")
    issued = account_services.create_api_token(Actor.system(), owner, name="laptop script")
    page = admin.get("/tokens/").content.decode()
    assert "laptop script" in page and owner.username in page
    assert issued.plaintext not in page
    assert admin.post(f"/tokens/{issued.token.pk}/revoke/").status_code == 302
    token = APIToken.objects.get(pk=issued.token.pk)
    assert token.revoked_at is not None
    assert AuditEvent.objects.filter(
        object_type="accounts.apitoken", object_id=str(token.pk), action="revoke"
    ).exists()
    # A helpdesk user cannot revoke someone else's token (404, nothing changes).
    other = account_services.create_api_token(Actor.system(), owner, name="other")
    assert browser("Helpdesk").post(f"/tokens/{other.token.pk}/revoke/").status_code == 404
    assert APIToken.objects.get(pk=other.token.pk).revoked_at is None


def test_user_list_filters_by_status(admin: Client, make_user: Callable[..., Any]) -> None:
    lonely = make_user()
    account_services.deactivate_user(Actor.system(), make_user("Helpdesk"))
    norole = admin.get("/users/?status=norole")
    assert lonely in list(norole.context["page"])
    assert all(u.is_active for u in norole.context["page"])
    inactive = admin.get("/users/?status=inactive")
    assert [u.is_active for u in inactive.context["page"]] == [False]
