"""No input ends in a 500: every class of hostile value, sent to every query parameter, path
parameter and body field of every operation the OpenAPI document lists, answers 4xx with the
one error body; the classes with a precise rule get their precise answer (422 naming the
field). Runs on SQLite and PostgreSQL alike (``ASSETGRAPH_DATABASE_URL``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from assetgraph.core.actor import Actor
from assetgraph.site.api import api as ninja_api

from ..conftest import bearer
from . import hostile

pytestmark = pytest.mark.django_db
DOCUMENT = ninja_api.get_openapi_schema()
COMPONENTS = DOCUMENT["components"]["schemas"]
OPERATIONS = list(hostile.operations(DOCUMENT))
READS = [op for op in OPERATIONS if op.method == "get"]
WRITES = [op for op in OPERATIONS if op.body is not None]
QUERY_PARAMS = [(op, name) for op in READS for name, _ in op.query]
BODY_FIELDS = [(op, name) for op in WRITES for name in op.fields]
# Query parameters that take a point in time (the issue's as_of / from / since family).
TIME_PARAMS = [
    (op, name)
    for op, name in QUERY_PARAMS
    if name in {"as_of", "from", "to", "since", "until", "active_at"}
    or name.startswith(("starts_", "ends_"))
]


@pytest.fixture
def client(site: dict[str, Any], make_user: Callable[..., Any]) -> Client:
    return bearer(make_user(superuser=True))


def _send(client: Client, op: hostile.Operation, *, query: Any = None, body: Any = None) -> Any:
    url = op.url()
    if op.method == "get":
        return client.get(url, query or {})
    data = body if isinstance(body, str) else json.dumps(body)
    return getattr(client, op.method)(url, data, content_type="application/json")


def _assert_4xx(response: Any, label: str) -> dict[str, Any]:
    assert 400 <= response.status_code < 500, (label, response.status_code, response.content[:300])
    if response["Content-Type"].startswith("application/json"):
        body = response.json()
        if "error" in body:
            assert set(body["error"]) == {"code", "message", "fields"}, label
            return dict(body["error"])
    return {}


def _assert_not_500(response: Any, label: str) -> None:
    assert response.status_code < 500, (label, response.status_code, response.content[:300])


def test_the_enumeration_covers_the_api() -> None:
    assert len(OPERATIONS) > 100 and len(QUERY_PARAMS) > 150 and len(BODY_FIELDS) > 150
    assert len(TIME_PARAMS) >= 8


@pytest.mark.parametrize("kind", sorted(hostile.QUERY_CLASSES))
def test_no_query_parameter_answers_500(client: Client, kind: str) -> None:
    value = hostile.QUERY_CLASSES[kind][0]
    for op, name in QUERY_PARAMS:
        _assert_not_500(_send(client, op, query={name: value}), f"{op.name} ?{name} {kind}")


@pytest.mark.parametrize("kind", sorted(hostile.BODY_CLASSES))
def test_no_body_field_answers_500(client: Client, kind: str) -> None:
    value = hostile.BODY_CLASSES[kind][0]
    for op, name in BODY_FIELDS:
        body = {**hostile.sample_body(op.body or {}, COMPONENTS), name: value}
        _assert_not_500(_send(client, op, body=body), f"{op.name} {name} {kind}")


def test_no_path_parameter_answers_500(client: Client) -> None:
    for op in OPERATIONS:
        for name in op.path_params:
            for value in [hostile.HUGE_INTEGERS[0], "-1", "0"]:
                url = op.url({name: value})
                response = (
                    client.get(url)
                    if op.method == "get"
                    else getattr(client, op.method)(url, "{}", content_type="application/json")
                )
                _assert_not_500(response, f"{op.method} {url}")


@pytest.mark.parametrize("kind", ["control character", "lone surrogate"])
def test_forbidden_characters_in_any_body_field_are_a_422_naming_it(
    client: Client, kind: str
) -> None:
    for op, name in BODY_FIELDS:
        for value in hostile.BODY_CLASSES[kind][:2]:
            body = {**hostile.sample_body(op.body or {}, COMPONENTS), name: value}
            response = _send(client, op, body=body)
            label = f"{op.name} {name} {value!r}"
            assert response.status_code == 422, (label, response.content[:200])
            assert name in response.json()["error"]["fields"], label


def test_forbidden_characters_in_any_query_parameter_are_a_422_naming_it(client: Client) -> None:
    for op, name in QUERY_PARAMS:
        response = _send(client, op, query={name: "a\x00b"})
        assert response.status_code == 422, (op.name, name)
        assert response.json()["error"]["fields"] == {
            name: ["contains a NUL character, which is not allowed"]
        }


def test_integers_beyond_64_bits_in_bodies_are_a_422_naming_the_field(client: Client) -> None:
    for op, name in BODY_FIELDS:
        body = {**hostile.sample_body(op.body or {}, COMPONENTS), name: 2**64}
        response = _send(client, op, body=body)
        assert response.status_code == 422, (op.name, name)
        assert response.json()["error"]["fields"] == {name: ["is out of range (a 64-bit integer)"]}


def test_integers_beyond_64_bits_in_filters_never_500(client: Client) -> None:
    """A filter on an integer beyond any stored value matches nothing (Django answers an empty
    page) or is refused; it never reaches the database as an overflow."""
    integer_params = [
        (op, name)
        for op in READS
        for name, schema in op.query
        if schema.get("type") == "integer"
        or any(s.get("type") == "integer" for s in schema.get("anyOf", []))
    ]
    assert len(integer_params) > 20
    for op, name in integer_params:
        for value in hostile.HUGE_INTEGERS:
            _assert_not_500(_send(client, op, query={name: value}), f"{op.name} ?{name}={value}")


@pytest.mark.parametrize("value", hostile.IMPOSSIBLE_DATES + hostile.OVERFLOWING_DATETIMES)
def test_impossible_and_overflowing_times_are_4xx_on_every_time_parameter(
    client: Client, value: str
) -> None:
    for op, name in TIME_PARAMS:
        error = _assert_4xx(_send(client, op, query={name: value}), f"{op.name} ?{name}={value}")
        assert error["code"] == "validation_error", (op.name, name, error)


def test_diff_from_and_to_are_validated(client: Client) -> None:
    for name in ("from", "to"):
        response = client.get(
            "/api/cmdb/diff", {"from": "2024-01-01", "to": "2024-02-01", name: "2020-13-45"}
        )
        assert response.status_code == 422 and name in response.json()["error"]["fields"]


def test_a_blank_attribute_filter_is_a_422_naming_it(client: Client, system: Actor) -> None:
    from assetgraph.cmdb.models import ClassAttribute

    key = ClassAttribute.objects.filter(type="integer").values_list("key", flat=True).first()
    assert key
    for value in [" ", "\t", " , "]:
        for lookup in ("", "__gte", "__lt"):
            response = client.get("/api/cmdb/cis/", {f"attr.{key}{lookup}": value})
            if lookup == "" and value == " , ":
                continue
            assert response.status_code == 422, (lookup, value, response.content)
            assert f"attr.{key}" in response.json()["error"]["fields"]
    huge = client.get("/api/cmdb/cis/", {f"attr.{key}__gte": hostile.HUGE_INTEGERS[0]})
    assert huge.status_code == 422 and f"attr.{key}" in huge.json()["error"]["fields"]


def test_null_for_a_non_null_field_is_a_422(client: Client, site: dict[str, Any]) -> None:
    location = site["london"]
    before = client.get(f"/api/org/locations/{location.pk}").json()
    for field in ("name", "kind"):
        response = client.patch(
            f"/api/org/locations/{location.pk}",
            json.dumps({field: None}),
            content_type="application/json",
        )
        assert response.status_code == 422, response.content
        assert response.json()["error"]["fields"] == {field: ["may not be null"]}
    assert client.get(f"/api/org/locations/{location.pk}").json() == before


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, 400, "nested too deeply"),
        ('{"a":' * 40 + "1" + "}" * 40, 422, "nested too deeply"),
        ("5701", 422, "the body must be a JSON object, not int"),
        ("[]", 422, "the body must be a JSON object, not an array"),
        ("null", 422, "the body must be a JSON object, not null"),
        ('"\\ud800"', 422, "the body must be a JSON object"),
        ('{"name": NaN}', 400, "not valid JSON"),
        ('{"name": Infinity}', 400, "not valid JSON"),
        ("{not json", 400, "not valid JSON"),
    ],
)
def test_bodies_that_are_not_json_objects_are_refused_on_every_write(
    client: Client, body: str, status: int, message: str
) -> None:
    for op in WRITES:
        response = _send(client, op, body=body)
        assert response.status_code == status, (op.name, response.content[:200])
        assert message in response.json()["error"]["message"], (op.name, response.json())


def test_a_body_of_the_wrong_type_changes_nothing(client: Client, site: dict[str, Any]) -> None:
    url = f"/api/org/people/{site['ana'].pk}"
    before = client.get(url).json()
    response = client.patch(url, "5701", content_type="application/json")
    assert response.status_code == 422
    assert client.get(url).json() == before


def test_stored_control_characters_do_not_break_exports(
    client: Client, site: dict[str, Any]
) -> None:
    from assetgraph.org.models import Company

    company = Company.objects.create(name="Acme")
    Company.objects.filter(pk=company.pk).update(name="Ac\x01me\x0b", notes="\x1f")  # from before
    for fmt in ("xlsx", "csv"):
        response = client.get("/api/org/companies/export", {"format": fmt})
        assert response.status_code == 200, response.content[:200]


HYPOTHESIS = hypothesis_settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@HYPOTHESIS
@given(
    target=st.sampled_from(BODY_FIELDS),
    kind=st.sampled_from(["huge integer", "control character", "lone surrogate"]),
    data=st.data(),
)
def test_generated_hostile_body_values_are_422(
    client: Client, target: tuple[hostile.Operation, str], kind: str, data: Any
) -> None:
    op, name = target
    value = data.draw(hostile.generated(kind))
    if kind == "huge integer" and isinstance(value, str):
        value = int(value)
    body = {**hostile.sample_body(op.body or {}, COMPONENTS), name: value}
    response = _send(client, op, body=body)
    assert response.status_code == 422, (op.name, name, value, response.content[:200])
    assert name in response.json()["error"]["fields"]


@HYPOTHESIS
@given(
    target=st.sampled_from(QUERY_PARAMS),
    kind=st.sampled_from(
        ["huge integer", "impossible date", "overflowing datetime", "control character"]
    ),
    data=st.data(),
)
def test_generated_hostile_query_values_never_500(
    client: Client, target: tuple[hostile.Operation, str], kind: str, data: Any
) -> None:
    op, name = target
    value = str(data.draw(hostile.generated(kind)))
    _assert_not_500(_send(client, op, query={name: value}), f"{op.name} ?{name}={value!r}")


@HYPOTHESIS
@given(
    target=st.sampled_from(TIME_PARAMS),
    kind=st.sampled_from(["impossible date", "overflowing datetime"]),
    data=st.data(),
)
def test_generated_impossible_times_are_4xx(
    client: Client, target: tuple[hostile.Operation, str], kind: str, data: Any
) -> None:
    op, name = target
    value = data.draw(hostile.generated(kind))
    _assert_4xx(_send(client, op, query={name: value}), f"{op.name} ?{name}={value}")
