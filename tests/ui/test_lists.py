"""Lists people expect: a count (capped on huge tables), first, previous and next pages."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from assetgraph.core.actor import Actor
from assetgraph.org import services as org
from assetgraph.ui import generic

pytestmark = pytest.mark.django_db


def _names(html: str) -> list[str]:
    return re.findall(r'<a href="/org/people/\d+/">([^<]+)</a>', html)


def _link(html: str, element_id: str) -> str:
    found = re.search(rf'href="([^"]+)"[^>]*id="{element_id}"', html)
    assert found, element_id
    return found.group(1).replace("&amp;", "&")


def test_pages_walk_forward_and_back_with_a_count(
    site: dict[str, Any], system: Actor, browser: Callable[..., Client]
) -> None:
    for index in range(4):
        org.create_person(
            system, {"employee_number": f"P{index}", "first_name": "Pat", "last_name": f"Z{index}"}
        )
    client = browser("Admin")
    url = "/org/people/"
    first = client.get(url, {"limit": 3}, HTTP_HX_REQUEST="true").content.decode()
    assert "1–3 of 7" in first and 'id="previous-page"' not in first
    second = client.get(url + _link(first, "next-page"), HTTP_HX_REQUEST="true").content.decode()
    assert "4–6 of 7" in second
    third = client.get(url + _link(second, "next-page"), HTTP_HX_REQUEST="true").content.decode()
    assert "7–7 of 7" in third and 'id="next-page"' not in third
    back = client.get(url + _link(third, "previous-page"), HTTP_HX_REQUEST="true").content.decode()
    assert _names(back) == _names(second)
    start = client.get(url + _link(back, "previous-page"), HTTP_HX_REQUEST="true").content.decode()
    assert _names(start) == _names(first) and "1–3 of 7" in start
    assert _names(first) != _names(second)
    filtered = client.get(url, {"q": "Pat"}, HTTP_HX_REQUEST="true").content.decode()
    assert "1–4 of 4" in filtered


def test_a_huge_list_says_its_count_is_capped(
    site: dict[str, Any], browser: Callable[..., Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(generic, "COUNT_CAP", 2)
    page = browser("Admin").get("/org/people/", HTTP_HX_REQUEST="true").content.decode()
    assert "1–3 of more than 2" in page
