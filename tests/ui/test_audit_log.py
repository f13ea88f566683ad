"""The audit log: a date range, part of an actor's name, readable type names, links to the
objects, and an export of the filtered view (formula cells escaped)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from assetgraph.core.actor import Actor
from assetgraph.org import services as org

pytestmark = pytest.mark.django_db


def test_filter_by_dates_and_actor_and_export(
    site: dict[str, Any], system: Actor, browser: Callable[..., Client]
) -> None:
    org.update_person(system, site["ana"], {"job_title": "=HYPERLINK(1)"})
    client = browser("Admin")
    today = timezone.localdate()
    page = client.get("/audit/", {"object_type": "org.person", "since": today.isoformat()})
    html = page.content.decode()
    assert page.status_code == 200
    assert f'href="/org/people/{site["ana"].pk}/"' in html  # the object links to its page
    assert '<option value="org.person" selected>Person</option>' in html
    assert "Job title" in html
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    later = client.get("/audit/", {"since": tomorrow}).content.decode()
    assert "No events." in later
    assert "No events." in client.get("/audit/", {"actor": "nobody-at-all"}).content.decode()
    mine = client.get("/audit/", {"actor": "TES", "until": today.isoformat()}).content.decode()
    assert "Costa" in mine  # "tests" acted: part of the name, any case
    export = client.get("/audit/", {"object_type": "org.person", "format": "csv"})
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    update = next(r for r in rows if r["action"] == "update")
    assert update["type"] == "person" and update["object"] == str(site["ana"])
    assert "Job title: ∅ → =HYPERLINK(1)" in update["changes"]
    assert {r["object"] for r in rows} >= {str(site["minh"]), str(site["ben"])}
    org.create_department(system, {"name": "=SUM(1)", "code": "EVIL"})
    evil = client.get("/audit/", {"object_type": "org.department", "format": "csv"})
    cells = list(csv.DictReader(io.StringIO(evil.content.decode("utf-8-sig"))))
    assert "'=SUM(1)" in {r["object"] for r in cells}  # escaped: never a formula
    assert client.get("/audit/", {"format": "pdf"}).status_code == 404
