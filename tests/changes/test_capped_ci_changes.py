"""The CI page's "Changes touching this CI" says when it is capped (issue 17): "Showing 10 of
N", the change list filtered to the CI, and its export."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from assetgraph.changes import services, views
from assetgraph.core.actor import Actor

pytestmark = pytest.mark.django_db


def test_the_ci_pages_changes_are_capped_with_a_link_and_an_export(
    estate: dict[str, Any],
    system: Actor,
    browser: Callable[..., Client],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(views, "CI_CHANGES_CAP", 2)
    vm = estate["vm"]
    for index in range(3):
        services.create_change(
            system, {"title": f"Patch {index}", "cis": [{"ci_id": vm.pk, "takes_down": True}]}
        )
    client = browser("Admin")
    page = client.get(f"/cmdb/cis/{vm.pk}/").content.decode()
    start = page.index("Changes touching this CI")
    assert "Showing 2 of 3" in page[start:], page[start : start + 3000]
    assert f'href="/changes/?ci_id={vm.pk}"' in page
    export = f"/api/impact/changes/export?format=csv&amp;ci_id={vm.pk}"
    assert export in page
    listing = client.get("/changes/", {"ci_id": vm.pk}).content.decode()
    assert all(f"Patch {i}" in listing for i in range(3))
