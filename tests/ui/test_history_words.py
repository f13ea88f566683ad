"""History in words: what an event did ("Checked out to Minh Nguyen"), labels instead of
keys, choices by their label, typed attributes key by key, and no internal counters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from assetgraph.assets import services as assets
from assetgraph.cmdb import services as cmdb
from assetgraph.cmdb.models import CIClass
from assetgraph.core.actor import Actor
from assetgraph.ui.history import humanize
from tests.assets.conftest import catalogue, make_asset
from tests.cmdb.conftest import estate

__all__ = ["catalogue", "estate", "make_asset"]  # the assets and CMDB tests' fixtures

pytestmark = pytest.mark.django_db


def test_generated_labels_read_like_labels() -> None:
    assert humanize("ram_gb") == "RAM (GB)"
    assert humanize("eol_date") == "End of life date"
    assert humanize("os_version") == "OS version"
    assert humanize("hostname") == "Hostname"


def test_a_checkout_reads_as_a_sentence_with_states_by_label(
    make_asset: Callable[..., Any],
    site: dict[str, Any],
    system: Actor,
    browser: Callable[..., Client],
) -> None:
    asset = make_asset()
    assets.check_out_asset(system, asset, to_person=site["minh"])
    html = browser("Admin").get(f"/assets/assets/{asset.pk}/history/").content.decode()
    assert f"Checked out to {site['minh']}" in html
    assert "In stock</span> → In use" in html  # the state's label, not "in_stock"
    assert 'title="version"' not in html and 'title="custody_record"' not in html
    assert ">Custodian</span>" in html


def test_typed_attributes_change_key_by_key(
    site: dict[str, Any], system: Actor, browser: Callable[..., Client]
) -> None:
    vm = cmdb.create_ci(
        system,
        {
            "name": "vm-words",
            "ci_class": CIClass.objects.get(name="Virtual Machine"),
            "attributes": {"hostname": "vm-words", "ram_gb": 16},
        },
    )
    cmdb.update_ci(system, vm, {"attributes": {"hostname": "vm-words", "ram_gb": 32}})
    html = browser("Admin").get(f"/cmdb/cis/{vm.pk}/history/").content.decode()
    assert 'RAM (GB)</span>: <span class="text-body-secondary">16</span> → 32' in html
    assert ">Hostname</span>" not in html  # unchanged keys are not listed


def test_a_retirement_substate_is_chosen_not_typed(
    make_asset: Callable[..., Any], browser: Callable[..., Client]
) -> None:
    asset = make_asset()
    client = browser("Admin")
    url = f"/assets/assets/{asset.pk}/transition/"
    page = client.get(url).content.decode()
    assert '<select name="substate"' in page and '<option value="sold">Sold</option>' in page
    refused = client.post(url, {"transition": "retire", "substate": "melted"})
    assert refused.status_code in (200, 422)
    assert "Select a valid choice" in refused.content.decode()
    asset.refresh_from_db()
    assert asset.state == "in_stock"


def test_root_cause_reads_in_plain_words(
    estate: dict[str, Any], system: Actor, browser: Callable[..., Client]
) -> None:
    cmdb.update_ci(system, estate["db"], {"attributes": {"version": "16.3"}})
    page = browser("Admin").get("/impact/root-cause/", {"symptom": "Finance"}).content.decode()
    assert "explains 1 of 1 symptom" in page and "point" in page and "also affects" in page
    assert "collateral" not in page
    # The count of recent changes is the rows listed under it (it read 0 above a change).
    assert "Recent changes (0)" not in page and "Recent changes (1)" in page
