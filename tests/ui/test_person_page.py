"""A person's page shows what they hold (assets, pending acceptances with a full link to copy,
their endpoints' CIs) and offers check-in-all and start-offboarding; hidden assets stay hidden."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from assetgraph.assets import services as asset_services
from assetgraph.assets.models import CustodyRecord
from assetgraph.audit.models import AuditEvent
from assetgraph.integrations.models import Offboarding
from tests.assets.conftest import catalogue, make_asset  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


@pytest.fixture
def minh_holds(
    make_asset: Callable[..., Any],  # noqa: F811
    catalogue: dict[str, Any],  # noqa: F811
    system: Any,
) -> dict[str, Any]:
    laptop = make_asset(serial_number="L1")  # laptops need acceptance
    monitor = make_asset("u27", serial_number="M1", location=catalogue["berlin"])
    for asset in (laptop, monitor):
        asset_services.check_out_asset(system, asset, to_person=catalogue["minh"])
    from assetgraph.cmdb import services as cmdb_services
    from assetgraph.cmdb.models import CIClass

    ci = cmdb_services.create_ci(
        system,
        {
            "name": "lt-minh",
            "ci_class": CIClass.objects.get(name="Laptop"),
            "asset": laptop,
            "attributes": {"serial_number": "L1"},
        },
    )
    return {"laptop": laptop, "monitor": monitor, "minh": catalogue["minh"], "ci": ci}


def test_person_page_shows_holdings_acceptance_link_and_actions(
    browser: Callable[..., Client], minh_holds: dict[str, Any]
) -> None:
    minh, laptop = minh_holds["minh"], minh_holds["laptop"]
    response = browser("Helpdesk").get(f"/org/people/{minh.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="section-holdings"' in html
    assert "What they hold (2) · 1 waiting for acceptance" in html
    assert laptop.asset_tag in html and minh_holds["monitor"].asset_tag in html
    record = CustodyRecord.objects.get(asset=laptop, checked_in_at__isnull=True)
    assert f"http://testserver/assets/accept/{record.acceptance_token}/" in html
    assert 'data-copy="#accept-link-' in html
    assert f'href="/assets/people/{minh.pk}/custody/"' in html  # check in all
    assert 'id="section-endpoints"' in html  # their devices in the CMDB
    endpoints = html.split('id="section-endpoints"')[1][:1500]
    assert "lt-minh" in endpoints and 'href="/cmdb/cis/' in endpoints, endpoints


def test_holdings_hide_assets_the_viewer_may_not_see(
    browser: Callable[..., Client], minh_holds: dict[str, Any], site: dict[str, Any]
) -> None:
    client = browser(
        permissions=[
            (["org.person"], ["view"], None),
            (["assets.asset"], ["view"], {"location": site["berlin"].pk}),
        ]
    )
    html = client.get(f"/org/people/{minh_holds['minh'].pk}/").content.decode()
    assert "What they hold (1)" in html
    assert minh_holds["laptop"].asset_tag not in html
    assert "/assets/accept/" not in html
    assert 'id="check-in-all"' not in html  # no check-in permission
    assert 'id="section-endpoints"' not in html  # no CI view


def test_start_offboarding_from_the_person_page(
    browser: Callable[..., Client], minh_holds: dict[str, Any], make_user: Callable[..., Any]
) -> None:
    minh = minh_holds["minh"]
    client = browser("Admin")
    html = client.get(f"/org/people/{minh.pk}/").content.decode()
    assert 'id="start-offboarding"' in html
    response = client.post(f"/integrations/people/{minh.pk}/offboard/")
    offboarding = Offboarding.objects.get(person=minh)
    assert response.status_code == 302
    assert response["Location"] == f"/integrations/offboardings/{offboarding.pk}/"
    assert offboarding.assets_at_start == 2
    assert AuditEvent.objects.filter(
        object_type="integrations.offboarding", object_id=str(offboarding.pk), action="create"
    ).exists()
    # Started: the page links to it and no longer offers to start another.
    html = client.get(f"/org/people/{minh.pk}/").content.decode()
    assert f"/integrations/offboardings/{offboarding.pk}/" in html
    assert 'id="start-offboarding"' not in html
    # GET does nothing; who may not view the person gets a 404.
    assert client.get(f"/integrations/people/{minh.pk}/offboard/").status_code == 404
    assert browser().post(f"/integrations/people/{minh.pk}/offboard/").status_code == 404
    assert Offboarding.objects.filter(person=minh).count() == 1
