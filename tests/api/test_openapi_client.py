"""The OpenAPI document is complete and stable enough to generate a typed client from.

Operation ids are derived from each route (``api/operation_ids.py``) and listed in
``operation_ids.txt`` beside this file, so a renamed id shows in review; every operation has
a tag and documents its errors with the one error body; key schemas carry examples that
validate. Then ``openapi-python-client`` generates a client from the document a live server
serves (no warning allowed: a schema it cannot read is a bug in the document), and a smoke
script drives the live server through that client with a token.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from assetgraph.api.examples import SCHEMA_EXAMPLES
from assetgraph.api.operation_ids import OperationIdClash, assign_operation_ids
from assetgraph.site.api import api

DOCUMENT = api.get_openapi_schema(path_prefix="/api/")
IDS_FILE = Path(__file__).with_name("operation_ids.txt")
ERROR_REF = "#/components/schemas/Error"


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, methods in DOCUMENT["paths"].items()
        for method, operation in methods.items()
    ]


def _listing() -> str:
    rows = sorted(f"{op['operationId']} {m.upper()} {p}" for m, p, op in _operations())
    return "\n".join(rows) + "\n"


def test_every_operation_has_a_readable_unique_id() -> None:
    ids = [operation["operationId"] for _, _, operation in _operations()]
    assert len(ids) > 400
    assert len(ids) == len(set(ids))
    bad = [i for i in ids if not re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", i)]
    assert not bad, bad
    # Not ninja's default (module and function name), which drifts with refactoring.
    assert not [i for i in ids if i.startswith("assetgraph_")]


def test_operation_ids_match_the_checked_in_list() -> None:
    """A changed id breaks every generated client: it must be a reviewed change. Update the
    list with ``ASSETGRAPH_UPDATE_OPERATION_IDS=1 pytest tests/api/test_openapi_client.py``."""
    current = _listing()
    if os.environ.get("ASSETGRAPH_UPDATE_OPERATION_IDS") == "1":
        IDS_FILE.write_text(current)
    assert IDS_FILE.read_text() == current, "operation ids changed: see this test's docstring"


def test_two_routes_deriving_one_id_are_refused() -> None:
    ok = {"responses": {"200": {}}}
    document = {"paths": {"/api/a-b/{x}": {"get": dict(ok)}, "/api/a_b/{y}": {"get": dict(ok)}}}
    with pytest.raises(OperationIdClash, match="a_b_get"):
        assign_operation_ids(document)


def test_ids_read_as_resource_and_verb() -> None:
    ids = {f"{m.upper()} {p}": op["operationId"] for m, p, op in _operations()}
    assert ids["GET /api/assets/assets/"] == "assets_list"
    assert ids["POST /api/assets/assets/"] == "assets_create"
    assert ids["GET /api/assets/assets/{object_id}"] == "assets_get"
    assert ids["PATCH /api/assets/assets/{object_id}"] == "assets_update"
    assert ids["DELETE /api/assets/assets/{object_id}"] == "assets_delete"
    assert ids["POST /api/assets/assets/{asset_id}/checkout"] == "assets_checkout"
    assert ids["GET /api/org/people/export"] == "org_people_export"
    assert ids["GET /api/accounts/me"] == "accounts_me_read"
    assert ids["PUT /api/accounts/users/{user_id}/roles"] == "accounts_users_roles_set"
    assert ids["POST /api/impact/analyse"] == "impact_analyse"


def test_every_operation_has_a_tag_and_a_summary_or_description() -> None:
    untagged = [f"{m} {p}" for m, p, op in _operations() if not op.get("tags")]
    assert not untagged, untagged


def test_every_error_status_is_documented_with_the_error_body() -> None:
    """400/401/403/404/409/412/422 on every operation, each with the one ``Error`` schema (a
    422 an operation declares itself, an import's report of row errors, is offered beside
    it: a refused request still answers with the error body)."""
    problems = []
    for method, path, operation in _operations():
        for status in ("400", "401", "403", "404", "409", "412", "422"):
            response = operation["responses"].get(status)
            if response is None:
                problems.append(f"{method} {path}: no {status}")
                continue
            schema = response["content"]["application/json"]["schema"]
            options = [option.get("$ref") for option in schema.get("anyOf", [schema])]
            if ERROR_REF not in options:
                problems.append(f"{method} {path}: {status} does not offer the Error body")
    assert not problems, problems[:20]
    assert DOCUMENT["components"]["schemas"]["Error"]["examples"]


@pytest.mark.parametrize("name", sorted(SCHEMA_EXAMPLES))
def test_key_schemas_carry_examples_that_validate(name: str) -> None:
    schemas = DOCUMENT["components"]["schemas"]
    assert name in schemas, f"the example names no published schema: {name}"
    (example,) = schemas[name]["examples"]
    validator = Draft202012Validator(
        {**schemas[name], "components": DOCUMENT["components"]},
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(example)]
    assert not errors, errors


def test_every_json_request_body_has_an_example_or_a_schema_with_one() -> None:
    """Each operation with a JSON body of a key schema shows it in ``/api/docs``."""
    bodies = {
        op["requestBody"]["content"]["application/json"]["schema"].get("$ref", "").rsplit("/")[-1]
        for _, _, op in _operations()
        if "application/json" in op.get("requestBody", {}).get("content", {})
    }
    assert {"PersonIn", "AssetIn", "CIIn", "RelationshipIn", "ImpactIn"} <= bodies


# --- the generated client against a live server ------------------------------------------

GENERATOR_CONFIG = """\
package_name_override: assetgraph_client
project_name_override: assetgraph-client
post_hooks: []
"""


def generate_client(document_url: str, where: Path) -> Path:
    """Run openapi-python-client on the served document; fail on any warning it prints."""
    import httpx

    spec = where / "openapi.json"
    spec.write_bytes(httpx.get(document_url, timeout=60).content)
    config = where / "generator.yaml"
    config.write_text(GENERATOR_CONFIG)
    package = where / "assetgraph_client"
    generator = Path(sys.executable).with_name("openapi-python-client")
    command = [str(generator), "generate", "--path", str(spec), "--meta", "none"]
    command += ["--output-path", str(package), "--config", str(config)]
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Warning" not in output and "WARNING" not in output, output
    return package


@pytest.fixture
def generated_client(tmp_path: Path) -> Iterator[Callable[[str], ModuleType]]:
    """``op("assets_list")`` → the generated module of that operation."""
    sys.path.insert(0, str(tmp_path))
    try:
        yield lambda operation_id: importlib.import_module(
            next(
                f"assetgraph_client.api.{found.parent.name}.{found.stem}"
                for found in (tmp_path / "assetgraph_client" / "api").glob(f"*/{operation_id}.py")
            )
        )
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n.startswith("assetgraph_client")]:
            del sys.modules[name]


@pytest.mark.django_db(transaction=True)
def test_a_generated_client_drives_the_live_server(
    live_server: Any,
    tmp_path: Path,
    make_user: Callable[..., Any],
    generated_client: Callable[[str], ModuleType],
) -> None:
    from assetgraph.accounts import services as account_services
    from assetgraph.core.actor import Actor

    generate_client(f"{live_server.url}/api/openapi.json", tmp_path)
    client_module = importlib.import_module("assetgraph_client")
    models = importlib.import_module("assetgraph_client.models")
    token = account_services.create_api_token(
        Actor.system("tests"), make_user(superuser=True), name="client", write_enabled=True
    ).plaintext
    client = client_module.AuthenticatedClient(base_url=live_server.url, token=token)
    op = generated_client

    def call(operation_id: str, status: int, **kwargs: Any) -> Any:
        response = op(operation_id).sync_detailed(client=client, **kwargs)
        assert response.status_code == status, (operation_id, response.content[:300])
        return response.parsed

    # Assets: the catalogue, an asset, the list, one asset, an update, a typed 404.
    dell = call(
        "org_companies_create", 201, body=models.CompanyIn(name="Dell", is_manufacturer=True)
    )
    laptops = call(
        "assets_categories_create",
        201,
        body=models.CategoryIn(name="Laptops", kind=models.CategoryKindChoices.LAPTOP),
    )
    latitude = call(
        "assets_models_create",
        201,
        body=models.AssetModelIn(name="Latitude", category_id=laptops.id, manufacturer_id=dell.id),
    )
    created = call(
        "assets_create",
        201,
        body=models.AssetIn.from_dict({"model_id": latitude.id, "serial_number": "SN-1"}),
    )
    assert isinstance(created, models.AssetOut)
    page = call("assets_list", 200)
    assert [row.id for row in page.results] == [created.id]
    one = call("assets_get", 200, object_id=created.id)
    assert one.serial_number == "SN-1"
    updated = call(
        "assets_update",
        200,
        object_id=created.id,
        body=models.AssetPatch.from_dict({"notes": "from the generated client"}),
    )
    assert updated.notes == "from the generated client"
    missing = call("assets_get", 404, object_id=created.id + 1000)
    assert isinstance(missing, models.Error)
    assert missing.error.code == "not_found"

    # CMDB and impact: a server hosting a service, and what fails with the server.
    cls = call("cmdb_classes_create", 201, body=models.CIClassIn(name="Smoke server"))
    service_cls = call("cmdb_classes_create", 201, body=models.CIClassIn(name="Smoke service"))
    runs_on = call(
        "cmdb_relationship_types_create",
        201,
        body=models.RelationshipTypeIn.from_dict(
            {"name": "smoke runs on", "reverse_name": "smoke hosts", "impact_direction": "reverse"}
        ),
    )
    server = call("cmdb_cis_create", 201, body=models.CIIn(name="srv-1", ci_class_id=cls.id))
    service = call(
        "cmdb_cis_create", 201, body=models.CIIn(name="payroll", ci_class_id=service_cls.id)
    )
    call(
        "cmdb_relationships_create",
        201,
        body=models.RelationshipIn(source_id=service.id, target_id=server.id, type_id=runs_on.id),
    )
    impact = call("impact_analyse", 200, body=models.ImpactIn.from_dict({"cis": [server.id]}))
    assert isinstance(impact, models.ImpactOut)
    assert [failed.id for failed in impact.failed] == [server.id]
    assert impact.summary is not None


@pytest.mark.django_db
def test_free_form_arrays_nest_as_deep_as_the_document_says(
    api: Callable[..., Any],
) -> None:
    """``JSONValue`` spells out one level of arrays (generators cannot name a
    self-referencing list); the server enforces the document, so a list in a list is a 422,
    while objects nest freely and a list inside an object starts again."""
    client = api("Admin")
    ok = {"name": "IT", "code": "IT", "extra": [1, {"deeper": ["fine", {"again": [2]}]}]}
    created = client.post("/api/org/departments/", ok, content_type="application/json")
    assert created.status_code == 201, created.content
    deep = {"name": "Ops", "code": "OPS", "extra": [[1]]}
    refused = client.post("/api/org/departments/", deep, content_type="application/json")
    assert refused.status_code == 422, refused.content
    assert "extra" in refused.json()["error"]["fields"]
