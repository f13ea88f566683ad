"""Audit evidence as of a past date: the reports read the state then, from timestamped rows
and the audit trail, and the same date gives the same bytes."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from typing import Any

import pytest
from django.utils import timezone

from assetgraph.cmdb import services as cmdb
from assetgraph.cmdb.models import CIClass
from assetgraph.core.actor import Actor
from assetgraph.security import evidence, policies

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("evidence tests")


def _rows(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def test_devices_and_policies_as_of_a_past_date(make_asset: Any) -> None:
    laptop = cmdb.create_ci(
        SYSTEM,
        {
            "name": "lt-0001",
            "ci_class": CIClass.objects.get(name="Laptop"),
            "asset": make_asset(),
            "attributes": {"managed": True, "encrypted": False},
        },
    )
    policy = policies.create_policy(
        SYSTEM,
        {
            "name": "Laptops encrypted",
            "scope_class": CIClass.objects.get(name="Laptop"),
            "condition": {"attribute": "encrypted", "equals": True},
        },
    )
    policies.evaluate_policy(SYSTEM, policy)
    time.sleep(0.01)
    before = timezone.now()
    time.sleep(0.01)
    cmdb.update_ci(SYSTEM, laptop, {"attributes": {"encrypted": True}})
    policies.evaluate_policy(SYSTEM, policy)
    then = evidence.build_reports(None, before)
    now = evidence.build_reports(None, timezone.now())
    assert [(r["device"], r["managed"], r["encrypted"]) for r in _rows(then["devices.csv"])] == [
        ("lt-0001", "yes", "no")
    ]
    assert _rows(now["devices.csv"]) == []
    assert [
        r["failed"] for r in _rows(then["policies.csv"]) if r["evaluated_at"] and not r["ci"]
    ] == ["1"]
    assert [
        r["failed"] for r in _rows(now["policies.csv"]) if r["evaluated_at"] and not r["ci"]
    ] == ["0"]
    assert evidence.build_reports(None, before) == then  # reproducible


def test_custody_as_of_a_past_date(make_asset: Any, site: dict[str, Any]) -> None:
    from assetgraph.assets import services as assets

    asset = make_asset()
    assets.check_out_asset(SYSTEM, asset, to_person=site["minh"])
    time.sleep(0.01)
    held = timezone.now()
    time.sleep(0.01)
    assets.check_in_asset(SYSTEM, asset)
    then = _rows(evidence.custody_report(None, held))
    now = _rows(evidence.custody_report(None, timezone.now()))
    assert [(r["asset_tag"], r["to"], r["held_at_date"]) for r in then] == [
        (asset.asset_tag, "", "yes")
    ]
    assert now[0]["held_at_date"] == "no" and now[0]["to"]
    assert _rows(evidence.custody_report(None, held - dt.timedelta(days=1))) == []
