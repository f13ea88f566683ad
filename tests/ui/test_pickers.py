"""Type-ahead pickers: suggestions by name with what tells two apart, only objects the user
may view, a constant number of queries, forms that swap long drop-downs for a picker, and
list filters that take names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assetgraph.core.actor import Actor
from assetgraph.org import services as org
from assetgraph.org.models import Person
from assetgraph.ui import pickers
from tests.assets.conftest import catalogue, make_asset

from ..harness import NEVER

__all__ = ["catalogue", "make_asset"]  # the assets tests' fixtures

pytestmark = pytest.mark.django_db


def _pick(client: Client, object_type: str, q: str = "") -> Any:
    return client.get(reverse("ui:pick", args=[object_type]), {"q": q})


def test_a_person_is_found_by_words_of_the_name_and_told_apart(
    site: dict[str, Any], browser: Callable[..., Client]
) -> None:
    client = browser("Helpdesk")
    response = _pick(client, "org.person", "minh ngu")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["id"] for r in results] == [site["minh"].pk]
    assert results[0]["text"] == str(site["minh"])
    assert results[0]["detail"] == "minh@example.com · Finance · E1"
    assert results[0]["token"] == f"{site['minh']} #{site['minh'].pk}"
    # By employee number, and by the first letters of a last name.
    assert [r["id"] for r in _pick(client, "org.person", "E2").json()["results"]] == [
        site["ana"].pk
    ]
    assert [r["id"] for r in _pick(client, "org.person", "Beck").json()["results"]] == [
        site["ben"].pk
    ]
    assert _pick(client, "org.person", "nobody-like-this").json()["results"] == []


def test_a_picker_never_suggests_what_the_user_may_not_view(
    site: dict[str, Any], make_user: Callable[..., Any]
) -> None:
    client = Client()
    client.force_login(
        make_user(
            permissions=[
                (["org.person"], ["view"], {"department__code": "IT"}),
                (["org.department"], ["view"], NEVER),
            ]
        )
    )
    found = _pick(client, "org.person", "").json()["results"]
    assert {r["id"] for r in found} == {site["ana"].pk, site["ben"].pk}
    assert _pick(client, "org.person", "Minh").json()["results"] == []
    assert _pick(client, "org.person", str(site["minh"].pk)).json()["results"] == []
    # A reference the user may not see reads "(hidden)" in the detail line, never its name.
    ana = next(r for r in found if r["id"] == site["ana"].pk)
    assert "(hidden)" in ana["detail"] and "IT" not in ana["detail"].split(" · ")
    # A type the user may not view at all, or one that is not a type: 404 like every surface.
    assert _pick(client, "org.location", "HQ").status_code == 404
    assert _pick(client, "no.such", "x").status_code == 404
    anonymous = Client().get(reverse("ui:pick", args=["org.person"]), {"q": "Minh"})
    assert anonymous.status_code == 302


def test_the_picker_costs_the_same_queries_for_three_or_twenty_suggestions(
    site: dict[str, Any], make_user: Callable[..., Any], system: Actor
) -> None:
    client = Client()
    # A constrained user: the hidden-reference check must not cost a query per row either.
    client.force_login(
        make_user(
            permissions=[
                (["org.person"], ["view"], None),
                (["org.department"], ["view"], {"code": "FIN"}),
            ]
        )
    )
    _pick(client, "org.person", "")  # warm the session
    with CaptureQueriesContext(connection) as few:
        assert len(_pick(client, "org.person", "").json()["results"]) == 3
    for index in range(25):
        department = org.create_department(system, {"name": f"Dept {index}", "code": f"D{index}"})
        org.create_person(
            system,
            {
                "employee_number": f"Q{index}",
                "first_name": "Row",
                "last_name": f"Person {index:02d}",
                "department": department,
            },
        )
    with CaptureQueriesContext(connection) as many:
        answer = _pick(client, "org.person", "").json()
    assert len(answer["results"]) == pickers.PICK_LIMIT and answer["more"] is True
    assert len(many.captured_queries) == len(few.captured_queries)
    with CaptureQueriesContext(connection) as words:
        assert len(_pick(client, "org.person", "row person").json()["results"]) == 20
    # An exact pass would add one; prefix and contains: at most two more than the listing.
    assert len(words.captured_queries) <= len(few.captured_queries) + 2


def test_a_long_reference_list_becomes_a_picker_on_forms(
    site: dict[str, Any], browser: Callable[..., Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = browser("Admin")
    add = reverse("ui:org:person_add")
    short = client.get(add).content.decode()
    assert f">{site['minh']}</option>" in short  # three people: a drop-down
    monkeypatch.setattr(pickers, "SELECT_LIMIT", 2)
    page = client.get(add).content.decode()
    assert 'data-picker="/pick/org.person/"' in page
    assert f">{site['minh']}</option>" not in page  # no person is rendered as an option
    assert 'for="id_manager_search"' in page  # the label points at the search box
    response = client.post(
        add,
        {
            "employee_number": "E9",
            "first_name": "Lan",
            "last_name": "Tran",
            "manager": str(site["minh"].pk),
            "status": "active",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Person.objects.get(employee_number="E9").manager == site["minh"]
    # Editing shows the chosen manager by name, not by id.
    lan = Person.objects.get(employee_number="E9")
    edit = client.get(reverse("ui:org:person_edit", args=[lan.pk])).content.decode()
    assert f'value="{site["minh"]}"' in edit


def test_list_filters_take_names(
    site: dict[str, Any], browser: Callable[..., Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = browser("Admin")
    listing = reverse("ui:org:person_list")
    table = client.get(listing, {"department_id": "finance"}, HTTP_HX_REQUEST="true")
    assert "Nguyen, Minh" in table.content.decode()
    assert "Costa, Ana" not in table.content.decode()
    unknown = client.get(listing, {"department_id": "Marketing"}).content.decode()
    assert "no department named &#x27;Marketing&#x27;" in unknown
    # A long list of departments: the filter is a type-ahead that shows the chosen name.
    monkeypatch.setattr("assetgraph.ui.generic.MAX_FILTER_OPTIONS", 1)
    page = client.get(listing, {"department_id": site["finance"].pk}).content.decode()
    assert 'data-picker="/pick/org.department/"' in page
    assert 'value="Finance"' in page


def test_asset_list_filters_take_names_through_their_lookup(
    catalogue: dict[str, Any],
    make_asset: Callable[..., Any],
    browser: Callable[..., Client],
    api: Callable[..., Client],
) -> None:
    """``category_id`` of assets reads ``model__category_id``: a name resolves through that
    path ("laptop" → Laptops), ``?category=`` is the same filter, and what matches nothing is
    an error naming the field, never a filter silently dropped."""
    laptop = make_asset(serial_number="LAP-1", asset_tag="A-LAP-1")
    screen = make_asset("u27", serial_number="MON-1", asset_tag="A-MON-1")
    client = browser("Admin")
    listing = reverse("ui:assets:asset_list")
    for query in ({"category_id": "laptop"}, {"category": "Laptops"}):
        page = client.get(listing, query).content.decode()
        assert laptop.asset_tag in page and screen.asset_tag not in page, query
    unknown = client.get(listing, {"category": "printers"})
    assert unknown.status_code == 200
    assert "no category named &#x27;printers&#x27;" in unknown.content.decode()
    assert laptop.asset_tag not in unknown.content.decode()  # nothing listed, nothing dropped
    # The API takes ids: a word for an id, or a parameter that is no filter, is a 422 naming
    # it (never a filter silently ignored).
    client = api("Admin")
    named = client.get("/api/assets/assets/", {"category_id": "laptop"})
    assert named.status_code == 422 and "category_id" in named.json()["error"]["fields"]
    word = client.get("/api/assets/assets/", {"category": "laptop"})
    assert word.status_code == 422
    assert word.json()["error"]["fields"] == {
        "category": ["not a filter of this list; use category_id"]
    }
    assert client.get("/api/cmdb/cis/", {"class": "Server"}).status_code == 422
    by_id = client.get("/api/assets/assets/", {"category_id": catalogue["laptops"].pk})
    assert [a["asset_tag"] for a in by_id.json()["results"]] == [laptop.asset_tag]


def test_kit_recipients_are_picked_as_chips_on_a_long_list(
    catalogue: dict[str, Any],
    make_asset: Callable[..., Any],
    browser: Callable[..., Client],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from assetgraph.assets import services as asset_services

    for _ in range(3):
        make_asset(model="u27")
    from assetgraph.assets.models import Asset

    kit = asset_services.create_kit(
        Actor.system(),
        {"name": "Desk", "items": [{"model_id": catalogue["u27"].pk, "quantity": 1}]},
    )
    monkeypatch.setattr(pickers, "SELECT_LIMIT", 1)
    client = browser("Helpdesk")
    url = f"/assets/kits/{kit.pk}/issue/"
    page = client.get(url).content.decode()
    assert 'data-picker-multiple="people"' in page
    assert f">{catalogue['ana']}</option>" not in page
    assert 'for="id_people_search"' in page
    issued = client.post(url, {"people": [catalogue["ana"].pk, catalogue["ben"].pk]})
    assert issued.status_code == 302, issued.content.decode()[:3000]
    assert Asset.objects.filter(state="in_use").count() == 2
    # A form sent back with an error shows the chosen people as chips, by name.
    again = client.post(url, {"people": [catalogue["ana"].pk], "expected_return": "soon"})
    assert again.status_code in (200, 422)
    assert f'<input type="hidden" name="people" value="{catalogue["ana"].pk}">' in (
        again.content.decode()
    )


def test_a_formset_asks_once_whether_a_list_is_long(
    catalogue: dict[str, Any], browser: Callable[..., Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    from assetgraph.assets import services as asset_services

    kit = asset_services.create_kit(
        Actor.system(),
        {"name": "Desk", "items": [{"model_id": catalogue["u27"].pk, "quantity": 1}]},
    )
    monkeypatch.setattr(pickers, "SELECT_LIMIT", 1)
    client = browser("Admin")
    url = f"/assets/kits/{kit.pk}/items/"
    client.get(url)
    with CaptureQueriesContext(connection) as one_kit_line:
        page = client.get(url).content.decode()
    assert 'data-picker="/pick/assets.assetmodel/"' in page
    asset_services.update_kit(
        Actor.system(),
        kit,
        {
            "items": [
                {"model_id": catalogue["u27"].pk, "quantity": 1},
                {"model_id": catalogue["latitude"].pk, "quantity": 2},
            ]
        },
    )
    with CaptureQueriesContext(connection) as two_kit_lines:
        assert client.get(url).status_code == 200
    # A second row costs one query (its chosen model's name); the long-list check is not
    # repeated per row, and the picker's detail line is not read for a chosen value.
    assert len(two_kit_lines.captured_queries) <= len(one_kit_line.captured_queries) + 1


@pytest.mark.parametrize(
    "q",
    ["\x00", "a\x00b", "\x1b[31m", "x" * 100_000, "%", "_", "' OR 1=1 --", "🙂" * 500],
)
def test_hostile_queries_never_end_in_a_server_error(
    site: dict[str, Any], browser: Callable[..., Client], q: str
) -> None:
    """NUL and control characters, a lone surrogate, LIKE wildcards, SQL and a huge value:
    an answer (suggestions or a 4xx naming the problem), never a 500, never every row."""
    response = _pick(browser("Helpdesk"), "org.person", q)
    assert response.status_code < 500
    if response.status_code == 200:
        ids = {r["id"] for r in response.json()["results"]}
        assert site["minh"].pk not in ids  # a wildcard is a character, not "match anything"


def test_invalid_utf8_in_the_query_is_not_a_server_error(browser: Callable[..., Client]) -> None:
    url = reverse("ui:pick", args=["org.person"])
    for raw in ("%ED%A0%80", "%FF%FE", "%C0%AF"):  # a lone surrogate, not UTF-8, overlong
        assert browser("Helpdesk").get(f"{url}?q={raw}").status_code < 500


def test_an_unknown_type_is_404(browser: Callable[..., Client]) -> None:
    assert _pick(browser("Helpdesk"), "no.such-type", "a").status_code == 404


def test_a_ci_prefix_is_read_from_the_natural_key_index(
    site: dict[str, Any],
    browser: Callable[..., Client],
    system: Actor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The CI picker's prefix pass walks ``name_key`` ranges (fast at a million CIs): case
    folded, numbers by value, a typed number continued ("srv-1" → srv-1, srv-10, srv-104),
    leading zeros kept as typed, and one or two letters never match in the middle."""
    from assetgraph.cmdb import services as cmdb
    from assetgraph.cmdb.models import CIClass

    server = CIClass.objects.get(name="Virtual Machine")
    for name in ["srv-2", "SRV-10", "srv-1", "srv-104", "srv-01", "web-srv", "Srv-1a"]:
        cmdb.create_ci(system, {"name": name, "ci_class": server})
    client = browser("Admin")

    def names(q: str) -> list[str]:
        response = _pick(client, "cmdb.ci", q)
        assert response.status_code == 200
        return [r["text"] for r in response.json()["results"]]

    # srv-1 and srv-01 share a key: the older first.
    assert names("srv") == ["srv-1", "srv-01", "Srv-1a", "srv-2", "SRV-10", "srv-104", "web-srv"]
    assert names("SRV-1") == ["srv-1", "Srv-1a", "SRV-10", "srv-104"]
    assert names("srv-0") == ["srv-01"]
    assert names("srv-10") == ["SRV-10", "srv-104"]
    assert names("sr") == names("srv")[:-1]  # two letters: prefixes only
    assert names("zz-9") == []
    # A table too large to scan per keystroke: the start of the name only.
    monkeypatch.setattr(pickers, "SCAN_LIMIT", 1)
    assert names("srv") == names("sr") and names("web-s") == ["web-srv"]
