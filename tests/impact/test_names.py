"""Names people type: the closest visible matches for an unknown name, and the ``name #id``
the pickers fill in, on impact, root cause and the change form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from assetgraph.core.errors import NotFound
from assetgraph.impact.analysis import resolve_cis
from assetgraph.impact.rootcause import resolve_person

pytestmark = pytest.mark.django_db


def test_an_unknown_ci_name_suggests_the_closest_visible_names(
    estate: dict[str, Any], make_user: Callable[..., Any]
) -> None:
    admin = make_user("Admin")
    with pytest.raises(NotFound) as missing:
        resolve_cis(admin, ["fin-vm01"])
    assert "did you mean: fin-vm-01" in missing.value.message
    assert missing.value.fields["ci"][0].startswith("'fin-vm01' not found")
    # A user who may see only the application is never told the VM's name.
    narrow = make_user(permissions=[(["cmdb.ci"], ["view"], {"name": "Finance application"})])
    with pytest.raises(NotFound) as hidden:
        resolve_cis(narrow, ["fin-vm01"])
    assert "fin-vm-01" not in hidden.value.message.replace("'fin-vm01'", "")


def test_a_picked_name_with_its_id_resolves_to_that_ci(
    estate: dict[str, Any], make_user: Callable[..., Any]
) -> None:
    admin = make_user("Admin")
    vm = estate["vm"]
    assert resolve_cis(admin, [f"fin-vm-01 #{vm.pk}"]) == [vm]
    narrow = make_user(permissions=[(["cmdb.ci"], ["view"], {"name": "Finance application"})])
    with pytest.raises(NotFound):
        resolve_cis(narrow, [f"fin-vm-01 #{vm.pk}"])


def test_an_unknown_person_suggests_people_and_a_picked_one_resolves(
    site: dict[str, Any], make_user: Callable[..., Any]
) -> None:
    admin = make_user("Admin")
    with pytest.raises(NotFound) as missing:
        resolve_person(admin, "Minh Nguyn")
    assert "did you mean: Minh Nguyen" in missing.value.message
    assert resolve_person(admin, f"Minh Nguyen #{site['minh'].pk}") == site["minh"]


def test_the_impact_page_shows_the_suggestion_and_takes_picked_names(
    estate: dict[str, Any], browser: Callable[..., Client]
) -> None:
    client = browser("Admin")
    url = reverse("ui:impact:analyse")
    wrong = client.get(url, {"ci": "fin-db1"})
    assert wrong.status_code == 404
    assert "did you mean: fin-db" in wrong.content.decode()
    assert 'data-picker="/pick/cmdb.ci/"' in wrong.content.decode()
    picked = client.get(url, {"ci": f"fin-db #{estate['db'].pk}"})
    assert picked.status_code == 200
    assert 'id="impact-summary"' in picked.content.decode()
    person = client.get(reverse("ui:impact:root_cause"), {"person": "Ana Cost", "service": "x"})
    assert "did you mean: Ana Costa" in person.content.decode()
