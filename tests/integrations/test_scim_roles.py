"""SCIM Groups grant roles through ``ASSETGRAPH_SCIM_GROUP_ROLES``; SCIM revokes only what it
granted (a role an administrator gave stays when the member leaves the group)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from assetgraph.accounts import services as account_services
from assetgraph.audit.models import AuditEvent
from assetgraph.core.actor import Actor
from assetgraph.integrations import conf
from assetgraph.integrations.models import ScimRoleGrant

pytestmark = pytest.mark.django_db
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.fixture(autouse=True)
def _mapping(settings: Any) -> None:
    settings.ASSETGRAPH_SCIM_GROUP_ROLES = conf.scim_group_roles(
        {"ASSETGRAPH_SCIM_GROUP_ROLES": json.dumps({"IT Helpdesk": "Helpdesk", "8c1f": "Finance"})}
    )


@pytest.fixture
def scim(make_user: Callable[..., Any]) -> Client:
    issued = account_services.create_api_token(
        Actor.system("t"),
        make_user("Admin"),
        name="idp",
        write_enabled=True,
        scopes=["provisioning"],
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")


def send(client: Client, method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body) if body is not None else ""
    response = client.generic(method, url, data, content_type="application/scim+json")
    assert response.status_code in (200, 201, 204), response.content
    return response.json() if response.content else None


def provision(scim: Client, login: Any) -> str:
    """A SCIM User whose userName is ``login``'s username: its id."""
    body = {"schemas": [USER], "userName": login.username, "name": {"givenName": "A"}}
    return str(send(scim, "POST", "/scim/v2/Users", body)["id"])


def group(scim: Client, name: str, members: list[str], external_id: str = "") -> str:
    body: dict[str, Any] = {
        "schemas": [GROUP],
        "displayName": name,
        "members": [{"value": m} for m in members],
    }
    if external_id:
        body["externalId"] = external_id
    return str(send(scim, "POST", "/scim/v2/Groups", body)["id"])


def roles(user: Any) -> set[str]:
    return set(user.roles.values_list("name", flat=True))


def patch(scim: Client, group_id: str, *operations: dict[str, Any]) -> None:
    send(
        scim,
        "PATCH",
        f"/scim/v2/Groups/{group_id}",
        {"schemas": [PATCH], "Operations": list(operations)},
    )


def test_a_mapped_group_grants_its_role_audited(
    scim: Client, make_user: Callable[..., Any]
) -> None:
    login = make_user()
    member = provision(scim, login)
    group(scim, "IT Helpdesk", [member])
    assert roles(login) == {"Helpdesk"}
    event = AuditEvent.objects.filter(action="set_roles", object_id=str(login.pk)).last()
    assert event is not None and event.after == {"roles": ["Helpdesk"]}
    assert "SCIM group mapping" in event.actor_repr
    assert ScimRoleGrant.objects.filter(user=login, role__name="Helpdesk").exists()


def test_removing_the_member_revokes_and_adding_grants_again(
    scim: Client, make_user: Callable[..., Any]
) -> None:
    login = make_user()
    member = provision(scim, login)
    helpdesk = group(scim, "IT Helpdesk", [member])
    patch(scim, helpdesk, {"op": "remove", "path": f'members[value eq "{member}"]'})
    assert roles(login) == set()
    assert not ScimRoleGrant.objects.filter(user=login).exists()
    patch(scim, helpdesk, {"op": "add", "path": "members", "value": [{"value": member}]})
    assert roles(login) == {"Helpdesk"}


def test_put_replacing_members_and_deleting_the_group_revoke(
    scim: Client, make_user: Callable[..., Any]
) -> None:
    ana, ben = make_user(), make_user()
    ana_id, ben_id = provision(scim, ana), provision(scim, ben)
    helpdesk = group(scim, "IT Helpdesk", [ana_id])
    body = {"schemas": [GROUP], "displayName": "IT Helpdesk", "members": [{"value": ben_id}]}
    send(scim, "PUT", f"/scim/v2/Groups/{helpdesk}", body)
    assert (roles(ana), roles(ben)) == (set(), {"Helpdesk"})
    send(scim, "DELETE", f"/scim/v2/Groups/{helpdesk}")
    assert roles(ben) == set()


def test_an_unmapped_group_grants_nothing(scim: Client, make_user: Callable[..., Any]) -> None:
    login = make_user()
    group(scim, "Coffee club", [provision(scim, login)])
    assert roles(login) == set()
    assert not AuditEvent.objects.filter(action="set_roles", object_id=str(login.pk)).exists()


def test_a_role_given_by_an_administrator_survives_leaving_the_group(
    scim: Client, make_user: Callable[..., Any]
) -> None:
    login = make_user("Helpdesk")  # granted by hand before any group
    member = provision(scim, login)
    helpdesk = group(scim, "IT Helpdesk", [member])
    assert roles(login) == {"Helpdesk"}
    assert not ScimRoleGrant.objects.filter(user=login).exists()  # not SCIM's to take
    patch(scim, helpdesk, {"op": "remove", "path": "members"})
    send(scim, "DELETE", f"/scim/v2/Groups/{helpdesk}")
    assert roles(login) == {"Helpdesk"}


def test_other_roles_are_left_alone_and_external_id_and_nesting_match(
    scim: Client, make_user: Callable[..., Any]
) -> None:
    login = make_user("Compliance")
    member = provision(scim, login)
    team = group(scim, "Accounts payable", [member])
    group(scim, "Finance (Entra)", [team], external_id="8C1F")  # nested; by externalId
    assert roles(login) == {"Compliance", "Finance"}
    patch(scim, team, {"op": "remove", "path": "members"})
    assert roles(login) == {"Compliance"}


def test_deleting_the_user_takes_back_what_scim_granted(
    scim: Client, make_user: Callable[..., Any]
) -> None:
    login = make_user()
    member = provision(scim, login)
    group(scim, "IT Helpdesk", [member])
    send(scim, "DELETE", f"/scim/v2/Users/{member}")
    assert roles(login) == set()


def test_the_mapping_is_read_like_the_ldap_one() -> None:
    assert conf.scim_group_roles(
        {"ASSETGRAPH_SCIM_GROUP_ROLES": '{"IT Helpdesk": "Helpdesk"}'}
    ) == {"it helpdesk": "Helpdesk"}
    with pytest.raises(conf.ConfigError, match="SCIM_GROUP_ROLES"):
        conf.scim_group_roles({"ASSETGRAPH_SCIM_GROUP_ROLES": '["Helpdesk"]'})
