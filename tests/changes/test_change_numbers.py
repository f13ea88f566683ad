"""Change numbers (``CHG00002``) work wherever a change is named: the CLI, search and the
pickers; the change form's CI lists suggest the closest names."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from assetgraph.changes import services
from assetgraph.changes.models import ChangeRecord, parse_change_number
from assetgraph.core.actor import Actor

pytestmark = pytest.mark.django_db


def _cli(*args: str) -> str:
    out = io.StringIO()
    call_command("change", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def change(estate: dict[str, Any], system: Actor) -> ChangeRecord:
    return services.create_change(
        system,
        {"title": "Patch fin-vm-01", "cis": [{"ci_id": estate["vm"].pk, "takes_down": True}]},
    )


def test_a_change_number_reads_as_its_id() -> None:
    assert parse_change_number("CHG00002") == 2
    assert parse_change_number("chg-17") == 17
    assert parse_change_number(" CHG 3 ") == 3
    assert parse_change_number("2") is None
    assert parse_change_number("CHG") is None


def test_the_cli_takes_change_numbers_and_lists_with_a_header(change: ChangeRecord) -> None:
    shown = json.loads(_cli("show", change.number))
    assert shown["id"] == change.pk and shown["number"] == change.number
    assert json.loads(_cli("show", str(change.pk)))["id"] == change.pk
    assert "risk:" in _cli("assess", change.number.lower())
    listing = _cli("list").splitlines()
    assert listing[0].split("\t")[:3] == ["id", "number", "state"]
    assert any(change.number in line for line in listing[1:])
    rows = json.loads(_cli("list", "--json"))  # one document: an array
    assert rows[0]["number"] == change.number and rows[0]["title"] == "Patch fin-vm-01"
    with pytest.raises(CommandError) as missing:
        _cli("show", "CHG99999")
    assert "CHG99999 not found" in str(missing.value)
    with pytest.raises(CommandError):
        _cli("show", "not-a-change")


def test_search_and_the_picker_find_a_change_by_number(
    change: ChangeRecord, browser: Callable[..., Client], make_user: Callable[..., Any]
) -> None:
    client = browser("Admin")
    found = client.get(reverse("ui:search"), {"q": change.number})
    assert reverse("ui:changes:changerecord_detail", args=[change.pk]) in found.content.decode()
    picked = client.get(reverse("ui:pick", args=["changes.changerecord"]), {"q": change.number})
    assert [r["id"] for r in picked.json()["results"]] == [change.pk]
    # Someone who may not view the change is not told it exists.
    blind = Client()
    blind.force_login(make_user(permissions=[(["changes.changerecord"], ["view"], {"id": -1})]))
    answer = blind.get(reverse("ui:pick", args=["changes.changerecord"]), {"q": change.number})
    assert answer.status_code == 200 and answer.json()["results"] == []
    hidden = blind.get(reverse("ui:search"), {"q": change.number}).content.decode()
    assert reverse("ui:changes:changerecord_detail", args=[change.pk]) not in hidden


def test_the_change_form_suggests_close_ci_names(
    estate: dict[str, Any], browser: Callable[..., Client]
) -> None:
    client = browser("Admin")
    add = reverse("ui:changes:changerecord_add")
    page = client.get(add).content.decode()
    assert 'data-picker="/pick/cmdb.ci/"' in page and "data-picker-text" in page
    response = client.post(
        add, {"title": "Reboot", "change_type": "normal", "cis_down": "fin-vm01"}
    )
    assert response.status_code == 422
    assert "did you mean: fin-vm-01" in response.content.decode()
    assert not ChangeRecord.objects.filter(title="Reboot").exists()
    picked = client.post(
        add,
        {"title": "Reboot", "change_type": "normal", "cis_down": f"fin-vm-01 #{estate['vm'].pk}"},
    )
    assert picked.status_code == 302
    assert list(ChangeRecord.objects.get(title="Reboot").items.values_list("ci_id", flat=True)) == [
        estate["vm"].pk
    ]
