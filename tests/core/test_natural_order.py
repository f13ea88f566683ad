"""Natural, case-insensitive name order (issue 17): "server2" before "server10", "alpha" with
"Alpha", on SQLite and PostgreSQL alike, through a stored, indexed sort key kept current by
every write path (services, the import engines) and filled for existing rows by migration."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from assetgraph.audit.models import AuditEvent
from assetgraph.cmdb import services
from assetgraph.cmdb.importers import CIImporter
from assetgraph.cmdb.models import CI, CIClass
from assetgraph.core.actor import Actor
from assetgraph.core.natural import natural_key

NAMES = ["server10", "Server2", "alpha", "server1", "Beta", "server02b", "Alpha"]


def test_natural_key_orders_numbers_by_value_and_ignores_case() -> None:
    ordered = sorted(NAMES, key=natural_key)
    assert ordered.index("Server2") < ordered.index("server10")
    assert ordered.index("server1") < ordered.index("Server2")
    assert {ordered[0], ordered[1]} == {"alpha", "Alpha"} and ordered[2] == "Beta"
    assert natural_key("A007") == natural_key("a7")  # leading zeros do not count
    assert natural_key("x" + "9" * 30) > natural_key("x" + "9" * 29)  # any length


def _make(names: list[str]) -> list[CI]:
    vm = CIClass.objects.get(name="Virtual Machine")
    system = Actor.system("tests")
    return [services.create_ci(system, {"name": n, "ci_class": vm}) for n in names]


@pytest.mark.django_db
def test_ci_list_page_and_api_sort_names_naturally(browser: Any, api: Any) -> None:
    _make(NAMES)
    page = browser("Read-only").get("/cmdb/cis/", {"ordering": "name"}).content.decode()
    positions = [page.index(f">{n}<") for n in ("alpha", "Beta", "server1", "Server2", "server10")]
    assert positions == sorted(positions)
    body = api("Read-only").get("/api/cmdb/cis/", {"ordering": "name"}).json()
    names = [r["name"] for r in body["results"]]
    assert names.index("server1") < names.index("Server2") < names.index("server10")
    assert {names[0], names[1]} == {"alpha", "Alpha"}
    descending = api("Read-only").get("/api/cmdb/cis/", {"ordering": "-name"}).json()
    assert [r["name"] for r in descending["results"]] == names[::-1]


@pytest.mark.django_db
def test_sort_key_follows_renames_and_stays_out_of_the_audit_trail() -> None:
    (ci,) = _make(["web9"])
    services.update_ci(Actor.system("tests"), ci, {"name": "Web10"})
    ci.refresh_from_db()
    assert ci.name_key == natural_key("Web10")
    event = AuditEvent.objects.filter(object_type="cmdb.ci", object_id=str(ci.pk)).last()
    assert event is not None and "name_key" not in json.dumps([event.before, event.after])
    assert "name_key" not in (event.changed_fields or [])


@pytest.mark.django_db
def test_imported_cis_get_their_sort_key_on_create_and_on_rename() -> None:
    text = "class,name\nVirtual Machine,Node10\nVirtual Machine,node9\n"
    report = CIImporter(Actor.system("t")).run(io.BytesIO(text.encode()), "f.csv", dry_run=False)
    assert report.applied, report.as_dict()
    keys = dict(CI.objects.filter(name__in=["Node10", "node9"]).values_list("name", "name_key"))
    assert keys == {"Node10": natural_key("Node10"), "node9": natural_key("node9")}
    ordered = list(CI.objects.order_by("name_key").values_list("name", flat=True))
    assert ordered.index("node9") < ordered.index("Node10")


def test_the_sort_key_column_is_indexed() -> None:
    field = CI._meta.get_field("name_key")
    assert field.db_index and not field.editable
