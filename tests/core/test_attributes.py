"""The typed-attribute mechanism: coercion, validation and query building."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import models
from hypothesis import given
from hypothesis import strategies as st

from assetgraph.core.attributes import (
    AbstractAttributeDefinition,
    attribute_q,
    clean_attributes,
    coerce,
    parse_attribute_params,
    public_values,
    version_key,
)
from assetgraph.core.errors import ValidationFailed


class Definition(AbstractAttributeDefinition):
    """A throw-away concrete definition (never saved) for these tests."""

    class Meta:
        app_label = "core"
        managed = False


def d(key: str, type: str, **kwargs: Any) -> Definition:
    return Definition(key=key, label=key, type=type, **kwargs)


@pytest.mark.parametrize(
    ("type", "raw", "stored"),
    [
        ("text", " web01 ", "web01"),
        ("integer", "16", 16),
        ("integer", 16.0, 16),
        ("decimal", "2.50", 2.5),
        ("boolean", "Yes", True),
        ("boolean", False, False),
        ("date", "2026-03-01", "2026-03-01"),
        ("url", "https://example.com/x", "https://example.com/x"),
        ("ip", "2001:db8:0::1", "2001:db8::1"),
        ("ip", "10.0.0.1", "10.0.0.1"),
        ("cidr", "10.1.2.3/24", "10.1.2.0/24"),
        ("mac", "AA-BB-CC-00-11-22", "aa:bb:cc:00:11:22"),
        ("mac", "aabb.cc00.1122", "aa:bb:cc:00:11:22"),
        ("version", "8.0.36", "8.0.36"),
        ("reference", "#12", 12),
        ("text", "", None),
    ],
)
def test_coerce_to_the_canonical_form(type: str, raw: Any, stored: Any) -> None:
    assert coerce(d("x", type), raw) == stored


@pytest.mark.parametrize(
    ("type", "raw", "message"),
    [
        ("integer", "1.5", "whole number"),
        ("integer", True, "whole number"),
        ("decimal", "NaN", "not a number"),
        ("boolean", "perhaps", "yes/no"),
        ("date", "31/12/2026", "YYYY-MM-DD"),
        ("ip", "10.0.0.300", "IP address"),
        ("cidr", "10.0.0.0/33", "CIDR"),
        ("mac", "zz:bb:cc:00:11:22", "MAC"),
        ("url", "not a url", "URL"),
        ("reference", "abc", "id"),
    ],
)
def test_bad_values_say_why(type: str, raw: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        coerce(d("x", type), raw)


def test_rules_choice_range_pattern() -> None:
    assert coerce(d("tier", "choice", choices=["Gold", "Silver"]), "gold") == "Gold"
    with pytest.raises(ValueError, match="not one of Gold, Silver"):
        coerce(d("tier", "choice", choices=["Gold", "Silver"]), "bronze")
    with pytest.raises(ValueError, match="above the maximum 64"):
        coerce(d("ram", "integer", maximum=Decimal(64)), 128)
    # limits read as written, not in scientific notation ("1E+1") or padded ("10.000000")
    with pytest.raises(ValueError, match=r"above the maximum 10$"):
        coerce(d("disks", "integer", maximum=Decimal("10.000000")), 11)
    with pytest.raises(ValueError, match=r"below the minimum 0\.5$"):
        coerce(d("ratio", "decimal", minimum=Decimal("0.500000")), "0.1")
    with pytest.raises(ValueError, match="pattern"):
        coerce(d("host", "text", pattern=r"[a-z0-9-]+"), "Web 01")


def test_clean_attributes_reports_every_field_and_keeps_current_on_patch() -> None:
    definitions = [
        d("hostname", "text", required=True),
        d("ram_gb", "integer"),
        d("os_version", "version"),
    ]
    with pytest.raises(ValidationFailed) as failure:
        clean_attributes(definitions, {"ram_gb": "lots", "colour": "red"})
    assert set(failure.value.fields) == {
        "attributes.ram_gb",
        "attributes.colour",
        "attributes.hostname",
    }
    cleaned = clean_attributes(definitions, {"hostname": "web01", "os_version": "1.10"})
    assert cleaned == {
        "hostname": "web01",
        "os_version": "1.10",
        "_os_version_sort": version_key("1.10"),
    }
    patched = clean_attributes(definitions, {"ram_gb": 32}, current=cleaned, partial=True)
    assert public_values(patched) == {"hostname": "web01", "os_version": "1.10", "ram_gb": 32}


def test_definition_rules() -> None:
    with pytest.raises(ValidationError) as failure:
        d("Bad Key", "choice").clean()
    assert set(failure.value.message_dict) == {"key", "choices"}
    with pytest.raises(ValidationError, match="reference"):
        d("owner", "reference").clean()


@given(
    st.lists(st.integers(min_value=0, max_value=99999), min_size=1, max_size=4),
    st.lists(st.integers(min_value=0, max_value=99999), min_size=1, max_size=4),
)
def test_version_key_orders_numerically(a: list[int], b: list[int]) -> None:
    va, vb = ".".join(map(str, a)), ".".join(map(str, b))
    assert (version_key(va) < version_key(vb)) == (a < b)


def test_query_building_validates_lookups_and_values() -> None:
    ram = d("ram_gb", "integer")
    assert "attributes__ram_gb__gte" in str(attribute_q(ram, "gte", "16"))
    with pytest.raises(ValidationFailed, match=r"attr\.ram_gb: not a whole number"):
        attribute_q(ram, "gte", "sixteen")
    with pytest.raises(ValidationFailed, match="lookup 'icontains' not allowed"):
        attribute_q(ram, "icontains", "1")
    version = d("os_version", "version")
    assert "_os_version_sort__lt" in str(attribute_q(version, "lt", "2.0"))
    assert parse_attribute_params(
        {"attr.ram_gb__gte": "16", "q": "x", "attr.host": "a", "attr.empty": ""}
    ) == [("ram_gb", "gte", "16"), ("host", "exact", "a")]


def test_unused_model_stays_unmanaged() -> None:
    assert Definition._meta.managed is False
    assert isinstance(Definition._meta.get_field("key"), models.SlugField)
