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
    assert "1\u20133 of 7" in first and 'id="previous-page"' not in first
    second = client.get(url + _link(first, "next-page"), HTTP_HX_REQUEST="true").content.decode()
    assert "4\u20136 of 7" in second
    third = client.get(url + _link(second, "next-page"), HTTP_HX_REQUEST="true").content.decode()
    assert "7\u20137 of 7" in third and 'id="next-page"' not in third
    back = client.get(url + _link(third, "previous-page"), HTTP_HX_REQUEST="true").content.decode()
    assert _names(back) == _names(second)
    start = client.get(url + _link(back, "previous-page"), HTTP_HX_REQUEST="true").content.decode()
    assert _names(start) == _names(first) and "1\u20133 of 7" in start
    assert _names(first) != _names(second)
    filtered = client.get(url, {"q": "Pat"}, HTTP_HX_REQUEST="true").content.decode()
    assert "1\u20134 of 4" in filtered


def test_a_huge_list_says_its_count_is_capped(
    site: dict[str, Any], browser: Callable[..., Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(generic, "COUNT_CAP", 2)
    page = browser("Admin").get("/org/people/", HTTP_HX_REQUEST="true").content.decode()
    assert "1\u20133 of more than 2" in page


def test_the_column_choice_is_kept_per_user_and_audited(
    site: dict[str, Any], browser: Callable[..., Client]
) -> None:
    from assetgraph.audit.models import AuditEvent

    mine, theirs = browser("Admin"), browser("Admin")
    url = "/org/people/"
    response = mine.post("/lists/org.person/columns/", {"show": ["Name", "Status"], "next": url})
    assert response.status_code == 302 and response["Location"] == url
    table = mine.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert ">Employee no.<" not in table and ">Status<" in table
    assert ">Employee no.<" in theirs.get(url, HTTP_HX_REQUEST="true").content.decode()
    event = AuditEvent.objects.filter(object_type="ui.listlayout").latest("id")
    assert event.after["hidden_columns"] == ["Department", "Employee no.", "Location"]
    # Hiding everything keeps the first column; an unknown list is 404; a foreign next is refused.
    mine.post("/lists/org.person/columns/", {"next": url})
    assert ">Name" in mine.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert mine.post("/lists/no.such/columns/", {"show": ["x"]}).status_code == 404
    away = mine.post(
        "/lists/org.person/columns/", {"show": ["Name"], "next": "https://evil.example/"}
    )
    assert away["Location"] == "/org/people/"


def test_saved_filters_are_named_private_and_deletable(
    site: dict[str, Any], browser: Callable[..., Client], make_user: Callable[..., Any]
) -> None:
    from assetgraph.ui.models import SavedFilter

    mine, theirs = browser("Admin"), browser("Admin")
    saved = mine.post(
        "/lists/org.person/filters/",
        {"name": "Finance people", "query": f"department_id={site['finance'].pk}&cursor=abc"},
    )
    assert saved.status_code == 302
    kept = SavedFilter.objects.get(name="Finance people")
    assert kept.query == f"department_id={site['finance'].pk}"  # no page position kept
    page = mine.get("/org/people/").content.decode()
    assert f'href="/org/people/?department_id={site["finance"].pk}">Finance people<' in page
    assert "Finance people" not in theirs.get("/org/people/").content.decode()
    again = mine.post("/lists/org.person/filters/", {"name": "Finance people", "query": ""})
    assert again.status_code == 302 and SavedFilter.objects.count() == 1
    too_long = mine.post("/lists/org.person/filters/", {"name": "x" * 101, "query": ""})
    assert too_long.status_code == 302 and SavedFilter.objects.count() == 1
    assert theirs.post(f"/lists/filters/{kept.pk}/delete/").status_code == 404
    assert mine.post(f"/lists/filters/{kept.pk}/delete/").status_code == 302
    assert not SavedFilter.objects.exists()
    # Someone who may not view the type cannot save filters on it.
    blind = Client()
    blind.force_login(make_user())
    assert blind.post("/lists/org.person/filters/", {"name": "x"}).status_code == 404
