"""The fast response helper builds what the schema itself would, from objects and dicts."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from ninja import Schema
from pydantic import Field

from assetgraph.api.fast import RefValue, dump, dump_many, render
from assetgraph.api.schemas import Ref


class StepOut(Schema):
    id: int | None
    display: str


class ItemOut(Schema):
    owner: Ref
    backup: Ref | None
    label: str
    weight: float
    when: dt.datetime | None = None
    paths: list[list[StepOut]]
    city: str = Field(alias="place.city")
    note: str = "none"
    seen_by: str

    @staticmethod
    def resolve_label(obj: Any) -> str:
        return f"#{obj.number}"

    @staticmethod
    def resolve_seen_by(obj: Any, context: Any) -> str:
        return str((context or {}).get("viewer", "nobody"))


@dataclass
class _Owner:
    id: int
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass
class _Place:
    city: str


@dataclass
class _Item:
    owner: _Owner
    backup: _Owner | None
    number: int
    weight: int
    place: _Place
    paths: list[list[StepOut | dict[str, Any]]] = field(default_factory=list)


def _sample() -> _Item:
    return _Item(
        owner=_Owner(7, "Ana"),
        backup=None,
        number=3,
        weight=2,  # an int where the schema says float
        place=_Place("Leeds"),
        paths=[[{"id": 1, "display": "a"}, {"id": None, "display": "hidden"}], []],
    )


def test_dump_builds_what_the_schema_validates() -> None:
    item = _sample()
    context = {"viewer": "Ben"}
    expected = ItemOut.model_validate(item, context=context).model_dump()
    built = dump(ItemOut, item, context)
    assert built == expected
    assert json.dumps(built) == json.dumps(expected)  # 2.0, not 2; same key order
    assert built["label"] == "#3" and built["city"] == "Leeds" and built["note"] == "none"
    assert dump_many(ItemOut, [item, item], context) == [expected, expected]


def test_sources_and_prebuilt_references() -> None:
    item = _sample()
    sources = {ItemOut: {"label": "place.city", "note": lambda obj: f"n{obj.number}"}}
    built = dump(ItemOut, item, None, sources)
    assert built["label"] == "Leeds" and built["note"] == "n3"
    assert dump(ItemOut, item)["label"] == "#3"  # other sources, other compiled function
    # A reference resolved without a join reads like the object it names.
    assert dump(Ref, RefValue(5, "Finance")) == {"id": 5, "display": "Finance"}
    # A body already built keeps its display through the schema (no dict repr leaks).
    assert Ref.model_validate({"id": 5, "display": "Finance"}).display == "Finance"


def test_render_is_the_apis_json(rf: Any) -> None:
    response = render(rf.get("/"), {"when": dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)}, 201)
    assert response.status_code == 201
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(response.content) == {"when": "2026-01-02T03:04:05Z"}


@pytest.mark.django_db
def test_bodies_validated_after_building_keep_their_reference_names(api: Any) -> None:
    """Endpoints that return built dicts through their schema (create a CI) name references
    by their display, not by the dict's repr."""
    from assetgraph.cmdb.models import CIClass

    client = api("IT Operations (NOC)")
    klass = CIClass.objects.get(name="Application")
    body = client.post(
        "/api/cmdb/cis/",
        json.dumps({"name": "fast-app", "ci_class_id": klass.pk}),
        content_type="application/json",
    ).json()
    assert body["ci_class"] == {"id": klass.pk, "display": "Application"}
