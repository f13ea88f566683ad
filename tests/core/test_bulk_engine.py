"""The bulk-write engine's parts: query sizes from the connection, cells parsed by their field,
field checks without instances, tuple plans written with their events, and create_objects."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from assetgraph.assets.models import Asset
from assetgraph.audit.models import AuditEvent
from assetgraph.audit.services import changed_fields, snapshot
from assetgraph.cmdb.models import CI, Relationship
from assetgraph.core import batching
from assetgraph.core.actor import Actor
from assetgraph.core.errors import ValidationFailed
from assetgraph.framework.importing import (
    AuditRows,
    CellParsers,
    PlannedTable,
    RowError,
    ValueChecker,
    create_objects,
    parse_boolean,
    parse_integer,
)
from assetgraph.org.models import Location, Person
from tests.cmdb.conftest import cls, estate, rtype

__all__ = ["estate"]  # the CMDB fixture, used below

pytestmark = pytest.mark.django_db


# --- query sizes ---------------------------------------------------------------------------


def test_batches_follow_the_connections_parameter_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connection.features, "max_query_params", 999)  # SQLite before 3.32
    assert batching.in_batch_size() == 900
    assert batching.in_batch_size(per_value=3) == 300
    assert batching.rows_per_statement(17, cap=2000) == 58
    assert [len(c) for c in batching.in_batches(list(range(2000)))] == [900, 900, 200]
    monkeypatch.setattr(connection.features, "max_query_params", None)  # PostgreSQL: no limit
    assert batching.max_query_params() == batching.PROTOCOL_LIMIT
    assert batching.rows_per_statement(10, cap=2000) == 2000


def test_chunked_lookups_work_at_the_legacy_limit(
    site: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An import finds existing rows in several IN queries when the limit is small."""
    import io

    from assetgraph.org.importers import PersonImporter

    monkeypatch.setattr(batching, "RESERVED_PARAMS", 0)
    monkeypatch.setattr(connection.features, "max_query_params", 10)
    lines = ["employee_number,first_name,last_name"]
    lines += [f"B{i:03d},First,Last" for i in range(25)]
    text = "\n".join(lines) + "\n"
    first = PersonImporter(Actor.system("t")).run(io.BytesIO(text.encode()), "p.csv", dry_run=False)
    assert first.counts()["create"] == 25
    again = PersonImporter(Actor.system("t")).run(io.BytesIO(text.encode()), "p.csv", dry_run=True)
    assert again.counts() == {"create": 0, "update": 0, "unchanged": 25, "error": 0}


# --- cells -------------------------------------------------------------------------------------


def test_cells_are_parsed_by_their_field() -> None:
    ci = CellParsers(CI)
    assert ci.parse("criticality", "TIER 1 (mission critical)") == 1
    assert ci.parse("criticality", "2") == 2
    assert ci.parse("environment", " Staging ") == "staging"
    assert type(ci.parse("environment", "dr")) is str
    assert ci.parse("environment", "") == "production"  # empty: the field's default
    with pytest.raises(RowError) as bad:
        ci.parse("environment", "moon")
    assert bad.value.text() == (
        "environment: 'moon' is not one of production, staging, test, development, dr"
    )
    assert ci.parse("redundancy_value", " +7 ") == 7
    with pytest.raises(RowError, match="not a whole number"):
        ci.parse("redundancy_value", "7.5")
    location = CellParsers(Location)
    with pytest.raises(RowError, match="required"):  # no default, may not be blank
        location.parse("kind", "")
    asset = CellParsers(Asset)
    assert asset.parse("cost", "1,299.456") == Decimal("1299.46")  # the field's 2 places
    assert asset.parse("purchase_date", "2025-01-31T10:00") == dt.date(2025, 1, 31)
    with pytest.raises(RowError, match="is not a date"):
        asset.parse("purchase_date", "31/01/2025")
    with pytest.raises(ImproperlyConfigured):
        asset.parser("model")  # references resolve through the importer's lookups
    assert parse_boolean("Yes", "x") is True and parse_boolean("0", "x") is False
    assert parse_integer("", "x") is None


def test_too_many_digits_are_reported_by_the_field() -> None:
    """A number too long to round is left as it is, for max_digits to name the problem."""
    cost = CellParsers(Asset).parse("cost", "1" + "0" * 30)
    errors = ValueChecker(Asset, ["cost"]).errors({"cost": cost})
    assert errors == ["cost: Ensure that there are no more than 14 digits in total."]


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"name": "x" * 201},
        {"source": "s" * 51, "name": "n" * 300},
        {"redundancy_value": -1},
        {"redundancy_value": 10**20},
        {"description": "bad\x00text"},
    ],
)
def test_value_checker_says_what_full_clean_says(overrides: dict[str, Any]) -> None:
    names = ["name", "description", "source", "redundancy_value"]
    values = {"name": "web-01", "description": "", "source": "manual", "redundancy_value": None}
    values.update(overrides)
    try:
        CI(**values).clean_fields(exclude=[f.name for f in CI._meta.fields if f.name not in names])
        expected: list[str] = []
    except ValidationError as exc:
        expected = [f"{k}: {m}" for k, ms in exc.message_dict.items() for m in ms]
    assert ValueChecker(CI, names).errors(values) == expected


# --- tuple plans ---------------------------------------------------------------------------------

PLANNED = ("name", "ci_class_id", "owning_team_id", "attributes", "criticality")


def test_planned_rows_are_written_with_the_events_the_services_record(
    estate: dict[str, Any],
) -> None:
    table = PlannedTable(CI, PLANNED)
    actor = Actor.system("bulk test")
    vm = cls("Virtual Machine").pk
    it = estate["site"]["it"].pk
    rows = [
        ("bulk-a", vm, it, {"hostname": "bulk-a", "ram_gb": 8}, 2),
        ("bulk-b", vm, None, {}, 3),
    ]
    now = timezone.now()
    before = AuditEvent.objects.count()
    with transaction.atomic():
        ids = table.insert(rows, now)
        audit = AuditRows(actor, now)
        audit.write(table.create_events(audit, ids, rows, now, lambda row: row[0]))
    assert AuditEvent.objects.count() == before + 2
    for pk, row in zip(ids, rows, strict=True):
        ci = CI.objects.get(pk=pk)
        assert (ci.name, ci.ci_class_id, ci.owning_team_id, ci.attributes) == row[:4]
        assert ci.criticality == row[4] and ci.environment == "production"  # a default
        assert ci.valid_from == now and ci.created == now and ci.valid_to is None
        event = AuditEvent.objects.get(object_type="cmdb.ci", object_id=str(pk))
        assert event.after == snapshot(ci)  # what a service would have recorded
        assert event.changed_fields == changed_fields(None, snapshot(ci))
        assert event.object_repr == row[0] and event.actor_repr == actor.display
    later = now + dt.timedelta(minutes=5)
    with transaction.atomic():
        table.update([(ids[1], ("renamed", vm, it, {"x": 1}, 1))], later, only=("name",))
    renamed = CI.objects.get(pk=ids[1])
    assert renamed.name == "renamed" and renamed.owning_team_id is None  # only the name
    assert renamed.updated == later and renamed.created == now


def test_a_table_must_plan_every_required_column() -> None:
    with pytest.raises(ImproperlyConfigured, match="ci_class_id"):
        PlannedTable(CI, ("name",))
    with pytest.raises(ImproperlyConfigured, match="not plannable"):
        PlannedTable(CI, ("name", "ci_class_id", "id"))


# --- create_objects ----------------------------------------------------------------------------


def test_create_objects_validates_links_and_audits(site: dict[str, Any]) -> None:
    actor = Actor.system("bulk test")
    boss = Person(employee_number="C1", first_name="Bo", last_name="Ss", location=site["room"])
    report = Person(employee_number="C2", first_name="Re", last_name="Port", manager=boss)
    create_objects(actor, [boss, report])
    report.refresh_from_db()
    assert report.manager_id == boss.pk  # a row of the same write, linked once it existed
    event = AuditEvent.objects.get(object_type="org.person", object_id=str(report.pk))
    assert event.action == "create" and event.after == snapshot(report)
    assert event.after["manager"] == boss.pk


def test_create_objects_writes_nothing_when_a_row_is_invalid(site: dict[str, Any]) -> None:
    people = Person.objects.count()
    events = AuditEvent.objects.count()
    good = Person(employee_number="C3", first_name="Good", last_name="Row")
    bad = Person(employee_number="C4", first_name="", last_name="Row", status="left")
    with pytest.raises(ValidationFailed) as failed:
        create_objects(Actor.system("t"), [good, bad])
    assert failed.value.fields == {
        "first_name": ["This field cannot be blank."],
        "end_date": ["a person who has left needs an end date"],
    }
    assert Person.objects.count() == people and AuditEvent.objects.count() == events


def test_unaudited_rows_write_no_events(estate: dict[str, Any]) -> None:
    events = AuditEvent.objects.count()
    link = Relationship(source=estate["db"], target=estate["vm"], type=rtype("runs on"))
    create_objects(Actor.system("t"), [link], audit=False)
    assert link.pk is not None and AuditEvent.objects.count() == events


# --- a declared importer ------------------------------------------------------------------------


def test_a_declaration_is_a_whole_importer(site: dict[str, Any]) -> None:
    """Model, key and columns are enough: cells parsed and checked by their fields, dry-run
    diff, row errors, all-or-nothing, audit events tagged with the job."""
    import io

    from assetgraph.framework.importing import Importer
    from assetgraph.org.models import CostCentre

    class CostCentreImporter(Importer):
        model = CostCentre
        key_column = "code"
        required_columns = ("name",)
        optional_columns = ("active",)

    def run(text: str, dry_run: bool = False) -> Any:
        stream = io.BytesIO(text.encode())
        return CostCentreImporter(Actor.system("t")).run(stream, "cc.csv", dry_run=dry_run)

    bad = run(f"code,name,active\nCC-7,Ops,yes\nCC-8,{'x' * 201},maybe\n")
    assert not bad.applied and [r.errors for r in bad.rows] == [
        [],
        ["active: 'maybe' is not true or false"],
    ]
    assert not CostCentre.objects.filter(code="CC-7").exists()  # all or nothing
    long_name = run(f"code,name\nCC-8,{'x' * 201}\n", dry_run=True)
    assert long_name.rows[0].errors == [
        "name: Ensure this value has at most 200 characters (it has 201)."
    ]
    preview = run("code,name,active\nCC-7,Ops,no\n", dry_run=True)
    assert preview.rows[0].changes == {
        "code": [None, "CC-7"],
        "name": [None, "Ops"],
        "active": [None, False],
    }
    applied = run("code,name,active\nCC-7,Ops,no\n")
    assert applied.applied and CostCentre.objects.get(code="CC-7").active is False
    update = run("code,name\nCC-7,Operations\n")
    assert update.counts() == {"create": 0, "update": 1, "unchanged": 0, "error": 0}
    event = AuditEvent.objects.get(job_id=update.job_id)
    assert (event.action, event.before, event.after) == (
        "update",
        {"name": "Ops"},
        {"name": "Operations"},
    )
