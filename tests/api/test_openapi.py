"""The OpenAPI document tells the truth: error statuses on every operation, one schema per
name, every accepted parameter declared, the API-wide input rules, no stringified dicts."""

from __future__ import annotations

import re
from typing import Any

import pytest
from ninja import Router, Schema

from assetgraph.api.openapi import DocumentedAPI, DuplicateSchemaName, complete
from assetgraph.api.schemas import Ref
from assetgraph.site.api import api

DOCUMENT = api.get_openapi_schema()


def test_every_operation_documents_its_error_statuses_with_the_error_body() -> None:
    operations = [op for path in DOCUMENT["paths"].values() for op in path.values()]
    assert len(operations) > 100
    for operation in operations:
        responses = operation["responses"]
        for status in ("400", "401", "403", "404", "409", "412", "422", "414"):
            assert status in responses, (operation["operationId"], status)
        assert "application/json" in responses["422"]["content"]  # the error body, or a
        # report the operation declares itself (imports answer 422 with their report)
        assert all(isinstance(key, str) for key in responses)  # one key per status
    uploads = DOCUMENT["paths"]["/api/org/import/{kind}"]["post"]["responses"]
    assert "413" in uploads


def test_input_rules_are_in_the_document() -> None:
    people = DOCUMENT["paths"]["/api/org/people/"]["get"]["parameters"]
    q = next(p for p in people if p["name"] == "q")["schema"]
    text = next(s for s in q.get("anyOf", [q]) if s.get("type") == "string")
    assert text["maxLength"] == 2048 and "\\u0000" in text["pattern"]
    person_in = DOCUMENT["components"]["schemas"]["PersonIn"]["properties"]
    assert "pattern" in person_in["first_name"]
    export = DOCUMENT["paths"]["/api/org/people/export"]["get"]["parameters"]
    assert next(p for p in export if p["name"] == "format")["schema"]["enum"] == ["csv", "xlsx"]
    get_person = DOCUMENT["paths"]["/api/org/people/{object_id}"]["get"]["parameters"][0]
    assert get_person["schema"]["minimum"] == 0
    assert get_person["schema"]["maximum"] == 2**63 - 1


def test_diff_declares_from_and_to() -> None:
    names = [p["name"] for p in DOCUMENT["paths"]["/api/cmdb/diff"]["get"]["parameters"]]
    assert names == ["from", "to"]


def test_person_schemas_are_not_confused() -> None:
    schemas = DOCUMENT["components"]["schemas"]
    assert "employee_number" in schemas["PersonOut"]["properties"]
    assert "reasons" in schemas["PersonToNotifyOut"]["properties"]
    ref = DOCUMENT["paths"]["/api/org/people/{object_id}"]["get"]["responses"]["200"]
    assert ref["content"]["application/json"]["schema"]["$ref"].endswith("/PersonOut")


def test_two_schemas_with_one_name_are_refused() -> None:
    def first() -> type[Schema]:
        class ThingOut(Schema):
            a: int

        return ThingOut

    def second() -> type[Schema]:
        class ThingOut(Schema):
            b: str

        return ThingOut

    one, two = first(), second()
    one.__module__ = two.__module__ = "assetgraph.tests_only"
    router = Router()
    router.get("/one", response=one)(lambda request: {"a": 1})
    router.get("/two", response=two)(lambda request: {"b": "x"})
    local = DocumentedAPI(urls_namespace="dup-test")
    local.add_router("/x", router)
    with pytest.raises(DuplicateSchemaName, match="ThingOut"):
        local.get_openapi_schema()


def test_display_is_never_a_stringified_dict() -> None:
    assert Ref.resolve_display({"id": 3, "display": "Server 3"}) == "Server 3"
    assert Ref.resolve_display({"id": 3, "name": "db"}) == "db"
    assert Ref.resolve_display("x") == "x"


@pytest.mark.django_db
def test_no_display_in_any_json_response_looks_like_a_dict(api: Any, site: dict[str, Any]) -> None:
    client = api("Admin")
    for path, methods in DOCUMENT["paths"].items():
        if "get" not in methods or "{" in path or path.endswith("/export"):
            continue
        response = client.get(path)
        if response.status_code == 200 and response["Content-Type"].startswith("application/json"):
            assert not re.search(r'"display": "\{', response.content.decode()), path


def test_completing_is_idempotent() -> None:
    import copy

    again = copy.deepcopy(DOCUMENT)
    complete(again)
    assert again == DOCUMENT
