"""The compiled import engine: the same validation, instances, rows and audit as the ORM.

The fast path (``FieldChecker``, ``InstanceFactory``, ``Snapshotter``, ``insert_rows``) must
be indistinguishable from ``full_clean``/``Model(**values)``/``audit.snapshot``/``bulk_create``
except in speed; these tests compare them directly and through a real asset import.
"""

from __future__ import annotations

import datetime as dt
import gc
import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from assetgraph.assets.importers import AssetImporter
from assetgraph.assets.models import Asset
from assetgraph.audit.models import AuditEvent
from assetgraph.audit.services import changed_fields, snapshot
from assetgraph.core.actor import Actor
from assetgraph.framework.importing import FieldChecker, InstanceFactory, Snapshotter

pytestmark = pytest.mark.django_db

RELATIONS = [f.name for f in Asset._meta.concrete_fields if f.is_relation]


def _asset_values(catalogue: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "asset_tag": "T-1",
        "model": catalogue["latitude"],
        "manufacturer": catalogue["dell"],
        "supplier": catalogue["cdw"],
        "location": catalogue["room"],
        "serial_number": "SN-1",
        "purchase_date": dt.date(2025, 1, 31),
        "cost": Decimal("1299.00"),
        "currency": "EUR",
        "state": "in_stock",
        "substate": "available",
        "attributes": {"ram_gb": 16},
    }
    values.update(overrides)
    return values


def _django_errors(instance: Asset) -> dict[str, list[str]]:
    try:
        instance.full_clean(exclude=RELATIONS, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        return exc.message_dict
    return {}


def _fast_errors(instance: Asset) -> dict[str, list[str]]:
    try:
        FieldChecker(Asset, RELATIONS).check(instance)
    except ValidationError as exc:
        return exc.message_dict
    return {}


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"currency": "eur"},
        {"cost": Decimal("-1.00")},
        {"cost": Decimal("1234567890123.45")},  # 15 digits: max_digits is 14
        {"cost": "12.50"},  # a numeric string is converted
        {"cost": 12.5},  # a float is converted, not rejected
        {"cost": Decimal("1.00"), "currency": ""},
        {"name": "x" * 201},
        {"serial_number": "s" * 101},
        {"asset_tag": ""},
        {"state": "flying"},
        {"substate": "deployed"},
        {"purchase_date": "2025-02-30"},
        {"purchase_date": "2025-02-03"},  # a string date is converted
        {"warranty_end": dt.date(2024, 1, 1)},
        {"attributes": ["not", "a", "dict"]},
        {"attributes": {"when": dt.date(2025, 1, 1)}},  # not plain JSON: Django's own check
        {"version": -1},
        {"notes": "x" * 5000},
    ],
)
def test_field_checker_matches_full_clean(
    catalogue: dict[str, Any], overrides: dict[str, Any]
) -> None:
    values = _asset_values(catalogue, **overrides)
    fast, slow = Asset(**values), Asset(**values)
    assert _fast_errors(fast) == _django_errors(slow)
    # Values Django converts while cleaning are converted the same way.
    assert Snapshotter(Asset)(fast) == Snapshotter(Asset)(slow)


def test_instance_factory_matches_model_constructor(catalogue: dict[str, Any]) -> None:
    values = _asset_values(catalogue, location=None)
    built, reference = InstanceFactory(Asset)(values), Asset(**values)
    assert built._state.adding and built.pk is None
    assert snapshot(built) == snapshot(reference)
    assert built.model is catalogue["latitude"]  # cached: no query
    # Callable defaults are fresh per instance, as with the constructor.
    first, second = (
        InstanceFactory(Asset)({"model": catalogue["latitude"]}),
        InstanceFactory(Asset)({"model": catalogue["latitude"]}),
    )
    assert first.attributes == {} and first.attributes is not second.attributes
    # A value of the wrong class gets Django's own error, not a silent write.
    with pytest.raises(ValueError, match='must be a "AssetModel" instance'):
        InstanceFactory(Asset)({"model": catalogue["dell"]})


CSV = (
    "asset_tag,model,serial_number,name,location,supplier,purchase_date,cost,currency,"
    "notes,attr.ram_gb,attr.team\n"
    "IMP-1,Latitude 7440,SN-A,First,EMEA / London / HQ,CDW,2025-01-31,1299.00,EUR,n,16,core\n"
    ",U2723QE,SN-B,,,,,,,,,\n"
    "IMP-3,L7440,SN-C,Third,,CDW,2024-02-29,10.5,USD,,32,\n"
)


def _run(text: str, dry_run: bool) -> Any:
    return AssetImporter(Actor.system("test")).run(
        io.BytesIO(text.encode()), "assets.csv", dry_run=dry_run
    )


def test_import_writes_what_the_orm_would_and_audits_each_row_exactly(
    catalogue: dict[str, Any],
) -> None:
    report = _run(CSV, dry_run=False)
    assert report.ok and report.applied, report.as_dict()
    assets = {a.serial_number: a for a in Asset.objects.all()}
    assert set(assets) == {"SN-A", "SN-B", "SN-C"}
    first = assets["SN-A"]
    assert first.cost == Decimal("1299.00") and first.currency == "EUR"
    assert first.purchase_date == dt.date(2025, 1, 31)
    assert first.warranty_end == dt.date(2028, 1, 31) and first.eol_date == dt.date(2029, 1, 31)
    assert first.attributes == {"ram_gb": 16, "team": "Core"}
    assert first.created is not None and first.updated is not None
    assert first.location == catalogue["room"] and first.supplier == catalogue["cdw"]
    assert assets["SN-C"].warranty_end == dt.date(2027, 2, 28)  # leap day, clamped
    assert assets["SN-B"].asset_tag.startswith("AG-") and assets["SN-B"].attributes == {}
    # One event per created asset, whose "after" is exactly the stored asset's snapshot.
    events = {e.object_id: e for e in AuditEvent.objects.filter(job_id=report.job_id)}
    assert len(events) == 3
    for asset in assets.values():
        event = events[str(asset.pk)]
        assert event.action == "create" and event.source == "import"
        assert event.after == snapshot(asset)
        assert event.changed_fields == changed_fields(None, snapshot(asset))
        assert event.object_repr == str(asset)
    # The report's diff of a created row shows the generated tag once applied.
    generated = next(r for r in report.rows if r.number == 3)
    assert generated.key == assets["SN-B"].asset_tag
    assert generated.changes["asset_tag"] == [None, assets["SN-B"].asset_tag]


def test_dry_run_diff_lists_planned_values_of_new_rows(catalogue: dict[str, Any]) -> None:
    report = _run(CSV, dry_run=True)
    assert report.ok and not report.applied and Asset.objects.count() == 0
    first = report.rows[0].changes
    assert first["cost"] == [None, "1299.00"] and first["currency"] == [None, "EUR"]
    assert first["warranty_end"] == [None, "2028-01-31"]
    assert first["attributes"] == [None, {"ram_gb": 16, "team": "Core"}]
    assert "id" not in first and "parent" not in first  # empty values are not changes
    assert report.rows[1].changes["asset_tag"] == [None, "(generated)"]


@pytest.mark.parametrize(
    ("cells", "error"),
    [
        ("LONG,,,,", "serial_number: Ensure this value has at most 100 characters (it has 101)."),
        (
            "S1,1234567890123.45,EUR,,",
            "cost: Ensure that there are no more than 14 digits in total.",
        ),
        ("S1,-5,EUR,,", "cost: a cost cannot be negative"),
        ("S1,5,eu,,", "currency: use a three-letter upper-case ISO 4217 code, e.g. EUR"),
        ("S1,5,,,", "currency: a cost needs its currency"),
        ("S1,,,abc,", "attr.ram_gb: not a whole number"),
        ("S1,,,,Fringe", "attr.team: not one of Core, Edge"),
    ],
)
def test_row_errors_keep_their_messages(catalogue: dict[str, Any], cells: str, error: str) -> None:
    serial, cost, currency, ram, team = cells.split(",")
    serial = "s" * 101 if serial == "LONG" else serial
    text = (
        "asset_tag,model,serial_number,cost,currency,attr.ram_gb,attr.team\n"
        f"OK-1,Latitude 7440,OK-SN,1.00,EUR,8,Core\n"
        f"BAD-1,Latitude 7440,{serial},{cost},{currency},{ram},{team}\n"
    )
    report = _run(text, dry_run=False)
    assert not report.applied
    assert {r.number: r.errors for r in report.rows if r.errors} == {3: [error]}
    assert (
        Asset.objects.count() == 0
        and not AuditEvent.objects.filter(object_type="assets.asset").exists()
    )


def test_tag_and_serial_uniqueness_against_database_and_file(catalogue: dict[str, Any]) -> None:
    assert _run(CSV, dry_run=False).applied
    # Same serial + manufacturer on another tag: refused, naming the owner.
    clash = _run("asset_tag,model,serial_number\nNEW-1,U2723QE,SN-A\n", dry_run=False)
    assert clash.rows[0].errors == ["serial_number: 'SN-A' is already the serial number of IMP-1"]
    # The same tag twice in one file.
    twice = _run("asset_tag,model\nX-1,U2723QE\nX-1,U2723QE\n", dry_run=True)
    assert twice.rows[1].errors == ["asset_tag: 'X-1' already appears on row 2"]
    # An existing tag is an update (upsert), unchanged rows write no event.
    events = AuditEvent.objects.count()
    again = _run(CSV.replace("Third", "Third renamed"), dry_run=False)
    assert again.counts() == {"create": 0, "update": 1, "unchanged": 2, "error": 0}
    assert AuditEvent.objects.count() == events + 1
    assert Asset.objects.get(asset_tag="IMP-3").name == "Third renamed"


def test_collector_resumes_after_an_import_even_when_it_fails(catalogue: dict[str, Any]) -> None:
    assert gc.isenabled()
    _run(CSV, dry_run=False)
    assert gc.isenabled()
    importer = AssetImporter(Actor.system("test"))

    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    importer.apply = boom  # type: ignore[method-assign]
    stream = io.BytesIO(CSV.replace("IMP-", "GC-").replace("SN-", "GC-SN-").encode())
    with pytest.raises(RuntimeError):
        importer.run(stream, "a.csv", dry_run=False)
    assert gc.isenabled()
