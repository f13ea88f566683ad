"""SCIM behaviour beyond the compliance checker: the provisioning scope, people projection,
deprovisioning as offboarding, ETags, paging, filters and the error format."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from assetgraph.accounts import services as account_services
from assetgraph.audit.models import AuditEvent
from assetgraph.core.actor import Actor
from assetgraph.integrations.models import Offboarding
from assetgraph.org.choices import PersonStatusChoices
from assetgraph.org.models import Person

pytestmark = pytest.mark.django_db
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def _client(make_user: Callable[..., Any], scopes: list[str], write: bool = True) -> Client:
    issued = account_services.create_api_token(
        Actor.system("t"), make_user("Admin"), name="idp", write_enabled=write, scopes=scopes
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")


@pytest.fixture
def scim(make_user: Callable[..., Any]) -> Client:
    return _client(make_user, ["provisioning"])


def post(client: Client, url: str, body: dict[str, Any], **headers: str) -> Any:
    return client.post(url, json.dumps(body), content_type="application/scim+json", **headers)


def user_body(name: str = "bjensen", **extra: Any) -> dict[str, Any]:
    return {
        "schemas": [USER, ENTERPRISE],
        "userName": name,
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "emails": [{"value": f"{name}@example.com", "type": "work", "primary": True}],
        "title": "Tour Guide",
        ENTERPRISE: {"employeeNumber": f"E-{name}", "department": "Tours"},
        **extra,
    }


def test_only_provisioning_tokens_reach_scim_and_they_reach_nothing_else(
    make_user: Callable[..., Any], scim: Client
) -> None:
    assert Client().get("/scim/v2/Users").status_code == 401
    plain = _client(make_user, [])
    denied = plain.get("/scim/v2/Users")
    assert denied.status_code == 403 and denied.json()["schemas"] == [ERROR]
    assert scim.get("/scim/v2/Users").status_code == 200
    assert scim.get("/api/org/people/").status_code == 403
    read_only = _client(make_user, ["provisioning"], write=False)
    assert post(read_only, "/scim/v2/Users", user_body()).status_code == 403


def test_create_projects_a_person_and_deprovisioning_offboards_them(scim: Client) -> None:
    created = post(scim, "/scim/v2/Users", user_body())
    assert created.status_code == 201, created.content
    assert created["Content-Type"] == "application/scim+json"
    body = created.json()
    person = Person.objects.get(employee_number="E-bjensen")
    assert (person.first_name, person.last_name, person.email, person.job_title) == (
        "Barbara",
        "Jensen",
        "bjensen@example.com",
        "Tour Guide",
    )
    assert person.department is not None and person.department.name == "Tours"
    assert created["ETag"] == body["meta"]["version"] == 'W/"1"'
    assert created["Location"].endswith(f"/scim/v2/Users/{body['id']}")
    # the same userName again: 409 uniqueness
    again = post(scim, "/scim/v2/Users", user_body())
    assert again.status_code == 409 and again.json()["scimType"] == "uniqueness"

    patched = scim.patch(
        f"/scim/v2/Users/{body['id']}",
        json.dumps(
            {
                "schemas": [PATCH],
                "Operations": [{"op": "replace", "path": "active", "value": False}],
            }
        ),
        content_type="application/scim+json",
        HTTP_IF_MATCH='W/"1"',
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["active"] is False and patched["ETag"] == 'W/"2"'
    person.refresh_from_db()
    assert person.status == PersonStatusChoices.LEFT
    assert Offboarding.objects.filter(person=person, state="open").count() == 1

    stale = scim.delete(f"/scim/v2/Users/{body['id']}", HTTP_IF_MATCH='W/"1"')
    assert stale.status_code == 412
    assert scim.delete(f"/scim/v2/Users/{body['id']}").status_code == 204
    assert scim.get(f"/scim/v2/Users/{body['id']}").status_code == 404
    assert Person.objects.filter(pk=person.pk).exists()  # people are never deleted
    assert AuditEvent.objects.filter(object_type="integrations.scimresource").count() == 3


def test_filters_paging_and_errors(scim: Client) -> None:
    for n in range(5):
        post(scim, "/scim/v2/Users", user_body(f"user{n}"))
    found = scim.get('/scim/v2/Users?filter=userName eq "USER3"').json()
    assert found["totalResults"] == 1 and found["Resources"][0]["userName"] == "user3"
    page = scim.get("/scim/v2/Users?startIndex=2&count=2").json()
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (5, 2, 2)
    assert [r["userName"] for r in page["Resources"]] == ["user1", "user2"]
    complex_filter = scim.get(
        '/scim/v2/Users?filter=emails[type eq "work" and value sw "user4"] or title co "nothing"'
    ).json()
    assert [r["userName"] for r in complex_filter["Resources"]] == ["user4"]
    bad = scim.get('/scim/v2/Users?filter=userName zz "x"')
    assert bad.status_code == 400 and bad.json()["scimType"] == "invalidFilter"
    assert bad.json()["schemas"] == [ERROR] and bad.json()["status"] == "400"
    only = scim.get("/scim/v2/Users?attributes=userName").json()["Resources"][0]
    assert set(only) == {"schemas", "id", "meta", "userName"}
    assert scim.get("/scim/v2/Nothing").status_code == 404


def test_groups_hold_members_and_lose_deleted_users(scim: Client) -> None:
    user = post(scim, "/scim/v2/Users", user_body()).json()
    group = post(
        scim,
        "/scim/v2/Groups",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Helpdesk",
            "members": [{"value": user["id"]}],
        },
    )
    assert group.status_code == 201
    missing = post(
        scim,
        "/scim/v2/Groups",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Ghosts",
            "members": [{"value": "99999"}],
        },
    )
    assert missing.status_code == 400 and missing.json()["scimType"] == "invalidValue"
    scim.delete(f"/scim/v2/Users/{user['id']}")
    assert scim.get(f"/scim/v2/Groups/{group.json()['id']}").json()["members"] == []
