"""UI pages: login required, list/detail/history/search, HTMX partials, CSP, query counts."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_pages_need_login(site: dict[str, Any]) -> None:
    for url in (
        "/",
        "/org/people/",
        f"/org/people/{site['ana'].pk}/",
        "/search/?q=an",
        "/profile/",
    ):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url


def test_list_detail_history_and_search(site: dict[str, Any], browser: Any, system: Any) -> None:
    from assetgraph.org.services import update_person

    update_person(
        system, site["ana"], {"job_title": "Network Engineer", "department": site["finance"]}
    )
    client = browser("Read-only")
    listing = client.get("/org/people/", {"q": "ana"}, HTTP_HX_REQUEST="true")
    assert listing.status_code == 200
    assert b"Costa, Ana" in listing.content and b"Becker, Ben" not in listing.content
    detail = client.get(f"/org/people/{site['ana'].pk}/")
    assert (
        detail.status_code == 200
        and b"Network Engineer" in detail.content
        and b"History" in detail.content
    )
    history = client.get(f"/org/people/{site['ana'].pk}/history/")
    assert b"Job title" in history.content and b"Network Engineer" in history.content
    # References read by name: department IT → Finance, not 2 → 1; labels, not keys.
    assert re.search(
        rb"Department</span>: <span[^>]*>IT</span> \xe2\x86\x92 Finance", history.content
    )
    found = client.get("/search/", {"q": "berlin"})
    assert b"EMEA / Berlin" in found.content


def test_htmx_requests_get_only_the_table(site: dict[str, Any], browser: Any) -> None:
    client = browser("Read-only")
    partial = client.get("/org/people/", {"ordering": "-employee_number"}, HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content and b"object-table" in partial.content
    assert partial.content.index(b"Becker, Ben") < partial.content.index(b"Nguyen, Minh")


def test_search_hides_what_the_user_cannot_see(site: dict[str, Any], browser: Any) -> None:
    client = browser(permissions=[(["org.person"], ["view"], {"department__code": "IT"})])
    content = client.get("/search/", {"q": "en"}).content
    assert b"Ben Becker" in content
    assert b"Minh Nguyen" not in content
    assert b"Locations" not in content


def test_pages_send_a_strict_csp_and_contain_no_inline_script(
    site: dict[str, Any], browser: Any
) -> None:
    client = browser("Admin")
    for url in (
        "/",
        "/org/people/",
        f"/org/people/{site['ana'].pk}/",
        "/profile/",
        "/audit/",
        "/users/",
        "/org/import/people/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        for tag in re.findall(rb"<script[^>]*>", response.content):
            assert b"src=" in tag, (url, tag)
        assert b" style=" not in response.content, url


def test_list_page_query_count_does_not_grow_with_rows(
    site: dict[str, Any], browser: Any, system: Any, django_assert_max_num_queries: Any
) -> None:
    from assetgraph.org.services import create_person

    client = browser("Read-only")
    client.get("/org/people/")
    for n in range(30):
        create_person(
            system,
            {
                "employee_number": f"X{n}",
                "first_name": "F",
                "last_name": f"L{n}",
                "department": site["it"],
                "location": site["room"],
            },
        )
    with django_assert_max_num_queries(12):
        response = client.get("/org/people/")
    assert response.content.count(b"<tr>") > 30


def test_forms_create_edit_and_delete_through_services(site: dict[str, Any], browser: Any) -> None:
    from assetgraph.org.models import Company

    client = browser("Procurement")
    bad = client.post("/org/companies/add/", {"name": ""})
    assert bad.status_code == 422
    created = client.post("/org/companies/add/", {"name": "Lenovo", "is_manufacturer": "on"})
    assert created.status_code == 302
    company = Company.objects.get(name="Lenovo")
    assert (
        client.post(
            f"/org/companies/{company.pk}/edit/", {"name": "Lenovo Group", "is_manufacturer": "on"}
        ).status_code
        == 302
    )
    assert client.post(f"/org/companies/{company.pk}/delete/").status_code == 302
    assert not Company.objects.filter(pk=company.pk).exists()
    reader = browser("Read-only")
    assert reader.get("/org/companies/add/").status_code == 403


def test_profile_creates_a_token_shown_once(browser: Any) -> None:
    client = browser("Read-only")
    response = client.post("/profile/", {"name": "cli"})
    assert response.status_code == 200
    token = response.context["new_token"]
    assert token.startswith("agt_") and token.encode() in response.content
    again = client.get("/profile/")
    assert token.encode() not in again.content


def _asset_estate(site: dict[str, Any], system: Any) -> list[Any]:
    from assetgraph.assets import services
    from assetgraph.org.services import create_company

    dell = create_company(system, {"name": "Dell", "is_manufacturer": True})
    category = services.create_category(system, {"name": "Monitors", "kind": "monitor"})
    model = services.create_model(
        system, {"name": "U27", "category": category, "manufacturer": dell}
    )
    assets = [services.create_asset(system, {"model": model}) for _ in range(3)]
    for asset in assets[:2]:
        services.check_out_asset(system, asset, to_person=site["ana"])
    return assets


def test_bulk_actions_render_checkboxes_and_a_toolbar_per_permission(
    site: dict[str, Any], browser: Any, system: Any
) -> None:
    assets = _asset_estate(site, system)
    helpdesk = browser("Helpdesk").get("/assets/assets/")
    html = helpdesk.content.decode()
    assert 'id="bulk-form"' in html and 'id="bulk-checkin"' in html and 'id="bulk-labels"' in html
    assert html.count('name="ids"') == 3 and f'value="{assets[0].pk}"' in html
    assert 'formaction="/assets/bulk/checkin/"' in html
    # a reader may print labels but not check in
    reader = browser("Read-only").get("/assets/assets/").content.decode()
    assert 'id="bulk-labels"' in reader and 'id="bulk-checkin"' not in reader
    # resources without bulk actions are unchanged: no form, no checkboxes
    people = browser("Read-only").get("/org/people/").content.decode()
    assert 'id="bulk-form"' not in people and 'name="ids"' not in people
    # HTMX swaps keep the checkboxes, the sort links and the filter inputs work as before
    partial = browser("Helpdesk").get(
        "/assets/assets/", {"ordering": "-asset_tag"}, HTTP_HX_REQUEST="true"
    )
    body = partial.content.decode()
    assert "<html" not in body and body.count('name="ids"') == 3
    assert body.index(assets[2].asset_tag) < body.index(assets[0].asset_tag)
    assert 'name="next" value="/assets/assets/?ordering=-asset_tag"' in body
    assert partial["HX-Push-Url"] == "/assets/assets/?ordering=-asset_tag"
    selected = browser("Helpdesk").get("/assets/assets/", {"select": "all"}).content.decode()
    rows_checked = re.findall(r'name="ids" value="\d+"[^>]* checked>', selected)
    assert len(rows_checked) == 3 and 'id="select-none"' in selected


def test_bulk_check_in_and_labels_from_the_list(
    site: dict[str, Any], browser: Any, system: Any
) -> None:
    from assetgraph.assets.models import Asset
    from assetgraph.audit.models import AuditEvent

    lent_a, lent_b, idle = _asset_estate(site, system)
    client = browser("Helpdesk")
    refused = client.post(
        "/assets/bulk/checkin/", {"ids": [lent_a.pk, idle.pk], "next": "/assets/assets/"}
    )
    assert refused.status_code == 409 and b"Nothing was changed" in refused.content
    assert Asset.objects.get(pk=lent_a.pk).state == "in_use"  # all or nothing
    assert client.post("/assets/bulk/checkin/", {"ids": []}).status_code == 422
    assert client.post("/assets/bulk/checkin/", {"ids": [999999]}).status_code == 422
    done = client.post(
        "/assets/bulk/checkin/",
        {"ids": [lent_a.pk, lent_b.pk], "next": "/assets/assets/?ordering=-asset_tag"},
    )
    assert done.status_code == 302 and done["Location"] == "/assets/assets/?ordering=-asset_tag"
    assert set(Asset.objects.values_list("state", flat=True)) == {"in_stock"}
    events = AuditEvent.objects.filter(action="checkin", source="ui")
    assert set(events.values_list("object_id", flat=True)) == {str(lent_a.pk), str(lent_b.pk)}
    offsite = client.post(
        "/assets/bulk/checkin/", {"ids": [idle.pk], "next": "https://evil.example/"}
    )
    assert offsite.status_code == 409  # idle is in stock; and the next URL would be ignored
    reader = browser("Read-only")
    assert reader.post("/assets/bulk/checkin/", {"ids": [lent_a.pk]}).status_code == 403
    labels = reader.post("/assets/labels/", {"ids": [lent_a.pk, idle.pk]})
    assert labels.status_code == 200
    assert labels.content.count(b"data:image/svg+xml") == 2
    hidden = browser(permissions=[(["assets.asset"], ["view"], {"id": idle.pk})])
    assert (
        hidden.post("/assets/labels/", {"ids": [lent_a.pk, idle.pk]}).content.count(
            b"data:image/svg+xml"
        )
        == 1
    )
