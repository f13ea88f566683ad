"""Organisation services: tree paths, validation rules, references."""

from __future__ import annotations

from typing import Any

import pytest

from assetgraph.core.errors import Conflict, ValidationFailed
from assetgraph.org import services as org
from assetgraph.org.models import Location

from ..conftest import events_for

pytestmark = pytest.mark.django_db


def test_renaming_a_location_repaths_its_subtree_and_audits_it(
    site: dict[str, Any], system: Any
) -> None:
    org.update_location(system, site["london"], {"name": "Greater London"})
    assert Location.objects.get(pk=site["room"].pk).path == "EMEA / Greater London / HQ"
    event = events_for(site["room"])[-1]
    assert event.before == {"path": "EMEA / London / HQ"} and event.after == {
        "path": "EMEA / Greater London / HQ"
    }


def test_location_rules(site: dict[str, Any], system: Any) -> None:
    with pytest.raises(ValidationFailed, match="already exists") as failure:
        org.create_location(system, {"name": "London", "kind": "site", "parent": site["region"]})
    assert "name" in failure.value.fields
    with pytest.raises(ValidationFailed, match="cannot sit inside"):
        org.create_location(system, {"name": "Europe", "kind": "region", "parent": site["london"]})
    with pytest.raises(ValidationFailed, match="inside itself"):
        org.update_location(system, site["region"], {"parent": site["room"], "kind": "room"})
    with pytest.raises(ValidationFailed) as failure:
        org.create_location(system, {"name": "X", "kind": "site", "country": "gbr"})
    assert "country" in failure.value.fields


def test_person_rules(site: dict[str, Any], system: Any) -> None:
    with pytest.raises(ValidationFailed, match="manage themselves"):
        org.update_person(system, site["minh"], {"manager": site["ana"]})
    with pytest.raises(ValidationFailed) as failure:
        org.update_person(system, site["ben"], {"status": "left"})
    assert failure.value.fields == {"end_date": ["a person who has left needs an end date"]}


def test_deleting_a_referenced_location_is_a_conflict(site: dict[str, Any], system: Any) -> None:
    with pytest.raises(Conflict, match="still referenced"):
        org.delete_location(system, site["berlin"])
    assert Location.objects.filter(pk=site["berlin"].pk).exists()


def test_unchanged_update_writes_no_event(site: dict[str, Any], system: Any) -> None:
    count = len(events_for(site["ana"]))
    org.update_person(system, site["ana"], {"first_name": "Ana"})
    assert len(events_for(site["ana"])) == count
