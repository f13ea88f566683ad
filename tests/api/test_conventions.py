"""API conventions: one error body, 4xx for any malformed input, ETag / If-Match, OpenAPI."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db


def _assert_error_body(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


def test_malformed_json_is_a_4xx_with_the_error_body(api: Any) -> None:
    client = api("Helpdesk")
    error = _assert_error_body(
        client.post("/api/org/people/", "{not json", content_type="application/json"), 400
    )
    assert error["message"]


def test_wrong_types_name_the_fields(api: Any) -> None:
    client = api("Helpdesk")
    body = json.dumps(
        {
            "employee_number": "E5",
            "first_name": "",
            "last_name": "X",
            "start_date": "yesterday",
            "department_id": "abc",
        }
    )
    error = _assert_error_body(
        client.post("/api/org/people/", body, content_type="application/json"), 422
    )
    assert {"first_name", "start_date", "department_id"} <= set(error["fields"])


def test_model_rules_are_field_errors(site: dict[str, Any], api: Any) -> None:
    client = api("Helpdesk")
    body = json.dumps({"status": "left"})
    error = _assert_error_body(
        client.patch(f"/api/org/people/{site['ben'].pk}", body, content_type="application/json"),
        422,
    )
    assert error["fields"] == {"end_date": ["a person who has left needs an end date"]}


def test_pagination_parameters_are_validated(api: Any) -> None:
    client = api("Read-only")
    assert _assert_error_body(client.get("/api/org/people/", {"limit": 5000}), 422)["fields"] == {
        "limit": ["must be between 1 and 1000"]
    }
    assert (
        "ordering"
        in _assert_error_body(client.get("/api/org/people/", {"ordering": "salary"}), 422)["fields"]
    )
    assert (
        "cursor"
        in _assert_error_body(client.get("/api/org/people/", {"cursor": "!!garbage"}), 422)[
            "fields"
        ]
    )


def test_unknown_ids_and_paths_are_404_with_the_body(api: Any) -> None:
    client = api("Read-only")
    _assert_error_body(client.get("/api/org/people/999999"), 404)


def test_etag_if_none_match_and_stale_if_match(site: dict[str, Any], api: Any) -> None:
    client = api("Helpdesk")
    url = f"/api/org/people/{site['ana'].pk}"
    first = client.get(url)
    etag = first["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    ok = client.patch(
        url, json.dumps({"job_title": "Lead"}), content_type="application/json", HTTP_IF_MATCH=etag
    )
    assert ok.status_code == 200 and ok["ETag"] != etag
    stale = client.patch(
        url, json.dumps({"job_title": "Chief"}), content_type="application/json", HTTP_IF_MATCH=etag
    )
    error = _assert_error_body(stale, 412)
    assert error["code"] == "precondition_failed"
    assert client.get(url).json()["job_title"] == "Lead"


def test_session_writes_need_csrf(site: dict[str, Any], browser: Any) -> None:
    client = browser("Helpdesk")
    client.handler.enforce_csrf_checks = True
    response = client.patch(
        f"/api/org/people/{site['ana'].pk}",
        json.dumps({"job_title": "X"}),
        content_type="application/json",
    )
    assert response.status_code == 403


def test_openapi_schema_and_docs_are_served(api: Any) -> None:
    from django.test import Client

    schema = Client().get("/api/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/org/people/" in paths and "/api/audit/events" in paths
    assert Client().get("/api/docs").status_code == 200


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    payload=st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False)
        | st.text(max_size=20),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(st.text(max_size=12), children, max_size=4)
        ),
        max_leaves=8,
    )
)
def test_no_payload_makes_a_500(api: Any, payload: Any) -> None:
    client = api("Admin")
    for path in ("/api/org/people/", "/api/org/locations/", "/api/accounts/permissions"):
        response = client.post(path, json.dumps(payload), content_type="application/json")
        assert response.status_code < 500, (path, payload, response.content)
