"""The exact text forms the document states (api/formats.py) are what the server accepts."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from assetgraph.api.formats import (
    EMAIL_PATTERN,
    INSTANT_PATTERN,
    MONTH_PATTERN,
    decimal_schema,
)
from assetgraph.cmdb.history import parse_when
from assetgraph.core.errors import ValidationFailed
from assetgraph.licences.exports import parse_as_of
from tests.conftest import bearer


@pytest.mark.parametrize(
    "text",
    [
        "2026-01-31",
        "2024-02-29",
        "2000-02-29",
        "2026-12-04T14:05",
        "2026-12-04T14:05:09Z",
        "2026-12-04T14:05:09.123456+01:00",
        "1000-01-01T00:00:00-23:59",
        "2999-12-31T23:59:59+23:59",
    ],
)
def test_every_documented_instant_is_read_by_both_parsers(text: str) -> None:
    assert re.fullmatch(INSTANT_PATTERN, text)
    assert parse_when(text) is not None
    parse_as_of(text)  # no error (a future instant reads as "now")


@pytest.mark.parametrize(
    "text",
    [
        "2023-02-29",  # not a leap year
        "1900-02-29",  # a century that is not a leap year
        "2026-04-31",
        "2026-13-01",
        "0000-00-00",
        "0001-01-01T00:00:00+01:00",  # leaves the calendar once the offset is applied
        "2026-01-31T24:00",
        "20260131",
        "2026-01-31 12:00",
        "0",
    ],
)
def test_impossible_or_other_forms_are_outside_the_pattern(text: str) -> None:
    assert not re.fullmatch(INSTANT_PATTERN, text)


def test_months_and_emails() -> None:
    assert re.fullmatch(MONTH_PATTERN, "2026-12")
    assert not re.fullmatch(MONTH_PATTERN, "2026-13")
    assert re.fullmatch(EMAIL_PATTERN, "minh.nguyen+it@example.co.uk")
    assert not re.fullmatch(EMAIL_PATTERN, "minh..nguyen@example.com")
    assert not re.fullmatch(EMAIL_PATTERN, "minh@localhost")


def test_decimal_forms_follow_precision_and_sign() -> None:
    integer, text = decimal_schema(
        max_digits=5, decimal_places=2, lower=0, lower_strict=False, upper=100, upper_strict=False
    )
    assert integer == {"type": "integer", "minimum": 0, "maximum": 100}
    assert re.fullmatch(text["pattern"], "12.50")
    assert not re.fullmatch(text["pattern"], "12.505")  # three places
    assert not re.fullmatch(text["pattern"], "-1")  # cannot be negative
    assert not re.fullmatch(text["pattern"], "1e3")
    _, above_zero = decimal_schema(
        max_digits=6, decimal_places=4, lower=0, lower_strict=True, upper=None, upper_strict=False
    )
    assert re.fullmatch(above_zero["pattern"], "0.0001")
    assert not re.fullmatch(above_zero["pattern"], "0.0000")
    assert not re.fullmatch(above_zero["pattern"], "0")


@pytest.fixture
def admin(make_user: Callable[..., Any]) -> Any:
    return bearer(make_user(superuser=True))


def _document(client: Any) -> dict[str, Any]:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def test_decimal_inputs_are_integers_or_digit_strings(admin: Any) -> None:
    budget = _document(admin)["components"]["schemas"]["MovementIn"]["properties"]["unit_cost"]
    kinds = [option.get("type") for option in budget["anyOf"]]
    assert kinds == ["integer", "string", "null"]
    assert budget["anyOf"][1]["pattern"] == "^(?:0|[1-9][0-9]{0,9})(?:[.][0-9]{1,2})?$"


def test_instant_parameters_state_their_pattern(admin: Any) -> None:
    document = _document(admin)
    as_of = next(
        p for p in document["paths"]["/api/cmdb/cis/"]["get"]["parameters"] if p["name"] == "as_of"
    )
    assert as_of["schema"]["anyOf"][0]["pattern"] == INSTANT_PATTERN


@pytest.mark.django_db
def test_the_server_refuses_what_the_document_refuses(admin: Any, site: Any) -> None:
    client = admin
    bad_day = client.get("/api/cmdb/cis/?as_of=2023-02-29")
    assert bad_day.status_code == 422
    assert "as_of" in bad_day.json()["error"]["fields"]
    good_day = client.get("/api/cmdb/cis/?as_of=2024-02-29")
    assert good_day.status_code == 200
    budget = {"cost_centre_id": site["cc"].pk, "fiscal_year": 2026, "currency": "EUR"}
    float_amount = client.post(
        "/api/finance/budgets/",
        data=json.dumps({**budget, "amount": 1000.5}),
        content_type="application/json",
    )
    assert float_amount.status_code == 422
    assert "amount" in float_amount.json()["error"]["fields"]
    text_amount = client.post(
        "/api/finance/budgets/",
        data=json.dumps({**budget, "amount": "1000.50"}),
        content_type="application/json",
    )
    assert text_amount.status_code == 201, text_amount.content
    assert text_amount.json()["amount"] == "1000.50"
    assert client.get("/api/impact/?ci=%20").status_code == 422


def test_parse_when_refuses_an_impossible_day() -> None:
    with pytest.raises(ValidationFailed):
        parse_when("2023-02-29")
