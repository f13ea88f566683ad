"""Pages show a reference to an object the viewer may not see as "(hidden)", never by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assetgraph.core.actor import Actor
from assetgraph.org import services as org

from ..harness import NEVER

pytestmark = pytest.mark.django_db


def _client(make_user: Callable[..., Any], department_constraint: Any) -> Client:
    client = Client()
    client.force_login(
        make_user(
            permissions=[
                (["org.person", "org.location", "org.costcentre"], ["view"], None),
                (["org.department"], ["view"], department_constraint),
            ]
        )
    )
    return client


def test_list_and_detail_hide_the_name_of_a_hidden_department(
    site: dict[str, Any], make_user: Callable[..., Any]
) -> None:
    minh = site["minh"]  # in Finance
    hidden = _client(make_user, NEVER)
    listing = hidden.get(reverse("ui:org:person_list"))
    assert listing.status_code == 200
    assert b"Nguyen" in listing.content
    assert b"(hidden)" in listing.content
    assert b">Finance<" not in listing.content
    detail = hidden.get(reverse("ui:org:person_detail", args=[minh.pk]))
    assert detail.status_code == 200
    assert b"(hidden)" in detail.content
    assert reverse("ui:org:department_detail", args=[site["finance"].pk]).encode() not in (
        detail.content
    )

    visible = _client(make_user, {"id": site["finance"].pk})
    detail = visible.get(reverse("ui:org:person_detail", args=[minh.pk]))
    assert reverse("ui:org:department_detail", args=[site["finance"].pk]).encode() in (
        detail.content
    )


def test_hidden_references_cost_no_query_per_row(
    site: dict[str, Any], make_user: Callable[..., Any]
) -> None:
    client = _client(make_user, {"code": "FIN"})
    url = reverse("ui:org:person_list")
    client.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    system = Actor.system()
    for index in range(12):
        department = org.create_department(system, {"name": f"Dept {index}", "code": f"D{index}"})
        org.create_person(
            system,
            {
                "employee_number": f"Q{index}",
                "first_name": "Row",
                "last_name": f"{index}",
                "department": department,
            },
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.count(b"(hidden)") >= 12
    assert len(many.captured_queries) <= len(few.captured_queries) + 2
