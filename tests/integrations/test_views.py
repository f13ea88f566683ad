"""The integrations pages: run a sync from the UI, read its diff, work an offboarding."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from assetgraph.integrations.models import DirectorySyncRun, Offboarding
from assetgraph.org.models import Person

from .slapd import Directory

pytestmark = pytest.mark.django_db


def _login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_admin_runs_a_dry_run_then_a_sync_from_the_page(
    ldap_settings: Directory, make_user: Callable[..., Any]
) -> None:
    client = _login(make_user("Admin"))
    page = client.get("/integrations/directory-sync/run/")
    assert page.status_code == 200 and b"employeeNumber" in page.content
    response = client.post("/integrations/directory-sync/run/", {"dry_run": "1"})
    assert response.status_code == 302
    run = DirectorySyncRun.objects.get()
    assert run.state == "dry_run" and Person.objects.count() == 0
    detail = client.get(response["Location"])
    assert detail.status_code == 200 and b"dry run: not applied" in detail.content
    # 205 rows (200 people, 5 refused): the page shows 100 and says so, pages the rest in
    # place, exports all.
    assert b"Showing 100 of 205" in detail.content
    rest = client.get(response["Location"], {"only": "changes", "offset": 100})
    assert rest.status_code == 200 and "101\u2013200 of 205" in rest.content.decode()
    exported = client.get(response["Location"], {"only": "changes", "format": "csv"})
    assert exported.status_code == 200 and len(exported.content.decode().splitlines()) == 206
    bad = client.get(response["Location"], {"only": "changes", "format": "pdf"})
    assert bad.status_code == 422
    client.post("/integrations/directory-sync/run/")
    assert Person.objects.count() == 200
    assert client.get("/integrations/directory-sync/").status_code == 200


def test_helpdesk_sees_runs_but_may_not_run_a_sync(make_user: Callable[..., Any]) -> None:
    client = _login(make_user("Helpdesk"))
    assert client.get("/integrations/directory-sync/").status_code == 200
    page = client.get("/integrations/directory-sync/run/")
    assert page.status_code == 200 and b"Sync now" not in page.content
    assert client.post("/integrations/directory-sync/run/").status_code == 403
    assert _login(make_user()).get("/integrations/directory-sync/run/").status_code == 403
    assert not DirectorySyncRun.objects.exists()


def test_offboarding_page_lists_and_reclaims(
    site: dict[str, Any], make_user: Callable[..., Any], lic: Any
) -> None:
    from assetgraph.core.actor import Actor
    from assetgraph.integrations import services
    from assetgraph.licences import services as licence_services

    system = Actor.system("t")
    office = lic.ent(lic.product("Visio"), "user", 5)
    licence_services.allocate_seats(system, office, {"person": site["ana"]})
    offboarding = services.start_offboarding(system, site["ana"])
    client = _login(make_user("Helpdesk"))
    page = client.get(f"/integrations/offboardings/{offboarding.pk}/")
    assert page.status_code == 200 and b"Reclaim list" in page.content and b"Visio" in page.content
    response = client.post(f"/integrations/offboardings/{offboarding.pk}/reclaim/")
    assert response.status_code == 302
    offboarding.refresh_from_db()
    assert offboarding.state == "done"
    assert not Offboarding.objects.filter(state="open").exists()
