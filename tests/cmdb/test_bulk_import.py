"""The bulk CI and relationship imports: row/column errors, all-or-nothing, audit and history.

These run on SQLite and PostgreSQL alike (``ASSETGRAPH_DATABASE_URL``): the writes use
``executemany`` on one and ``COPY`` on the other.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command

from assetgraph.audit.models import AuditEvent
from assetgraph.audit.services import seal_pending, verify_chain
from assetgraph.cmdb import services
from assetgraph.cmdb.history import states_at
from assetgraph.cmdb.importers import CIImporter, RelationshipImporter
from assetgraph.cmdb.models import CI, Relationship
from assetgraph.core.actor import Actor
from assetgraph.framework.etags import etag_for

from .conftest import cls, rtype

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=["one-pass index", "IN queries"])
def lookup_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run every test with both ways of finding existing CIs and relationship ends: the
    one-pass index (large files, small tables) and chunked IN queries (small files, large
    tables)."""
    if request.param == "IN queries":
        from assetgraph.cmdb import import_cis, import_relationships

        for module in (import_cis, import_relationships):
            monkeypatch.setattr(module, "FULL_INDEX_AT", 0)
            monkeypatch.setattr(module, "FULL_INDEX_ROWS", 10**9)
    return str(request.param)


def _run(importer: type, text: str, dry_run: bool = False, actor: Actor | None = None) -> Any:
    return (importer)(actor or Actor.system("test")).run(
        io.BytesIO(text.encode()), "f.csv", dry_run=dry_run
    )


def _state() -> tuple[int, int, int]:
    return CI.objects.count(), Relationship.objects.count(), AuditEvent.objects.count()


def _vms(count: int, start: int = 0) -> str:
    lines = ["class,name,attr.hostname,attr.ram_gb,environment,owning_team"]
    lines += [
        f"Virtual Machine,bulk-{i:04d},bulk-{i:04d},{8 + i % 4},test,IT"
        for i in range(start, start + count)
    ]
    return "\n".join(lines) + "\n"


def test_large_ci_import_writes_rows_events_and_history(estate: dict[str, Any]) -> None:
    before = _state()
    report = _run(CIImporter, _vms(1200))
    assert report.applied and report.counts()["create"] == 1200
    assert CI.objects.count() == before[0] + 1200
    vm = CI.objects.get(name="bulk-0005")
    assert vm.attributes == {"hostname": "bulk-0005", "ram_gb": 9}
    assert vm.environment == "test" and vm.owning_team == estate["site"]["it"]
    assert vm.valid_to is None and vm.created is not None
    events = AuditEvent.objects.filter(job_id=report.job_id)
    assert events.count() == 1200
    event = events.get(object_id=str(vm.pk))
    assert event.action == "create" and event.object_type == "cmdb.ci"
    assert event.after["attributes"] == {"hostname": "bulk-0005", "ram_gb": 9}
    assert event.after["ci_class"] == cls("Virtual Machine").pk and event.object_repr == vm.name
    # The etag reads the same state the audit snapshot recorded.
    assert etag_for(vm)
    # A second file updates by identification key (hostname) and only what changed.
    text = "class,name,attr.hostname,attr.ram_gb\nVirtual Machine,bulk-0005,bulk-0005,64\n"
    update = _run(CIImporter, text)
    assert update.counts() == {"create": 0, "update": 1, "unchanged": 0, "error": 0}
    row = next(iter(update.rows))
    assert row.changes == {
        "attributes": [
            {"hostname": "bulk-0005", "ram_gb": 9},
            {"hostname": "bulk-0005", "ram_gb": 64},
        ]
    }
    vm.refresh_from_db()
    assert vm.attributes["ram_gb"] == 64 and vm.environment == "test"
    changed = AuditEvent.objects.get(job_id=update.job_id)
    assert changed.action == "update" and changed.changed_fields == ["attributes"]
    # History (as of) replays the bulk events: before the update, 9 GB.
    then = changed.timestamp - (changed.timestamp - event.timestamp) / 2
    assert states_at("cmdb.ci", [vm.pk], then)[str(vm.pk)]["attributes"]["ram_gb"] == 9
    assert _run(CIImporter, text).counts()["unchanged"] == 1


def test_ci_errors_name_row_and_column_and_write_nothing(estate: dict[str, Any]) -> None:
    long_name = "x" * 201
    text = _vms(3) + "\n".join(
        [
            "Virtual Machine,bad-ram,bad-ram,lots,test,IT",  # row 5
            "No Such Class,x,x,1,test,IT",  # row 6
            "Virtual Machine,,nameless,1,test,IT",  # row 7
            f"Virtual Machine,{long_name},long,1,test,IT",  # row 8
            "Virtual Machine,bad-env,bad-env,1,moon,IT",  # row 9
            "Virtual Machine,bad-team,bad-team,1,test,Nowhere",  # row 10
            "Virtual Machine,bulk-0001,bulk-0001,1,test,IT",  # row 11: same hostname as row 3
        ]
    )
    before = _state()
    report = _run(CIImporter, text + "\n")
    assert not report.ok and not report.applied
    errors = {r.number: r.errors for r in report.rows if r.errors}
    assert errors == {
        5: ["attr.ram_gb: not a number"],
        6: ["class: unknown class 'No Such Class'"],
        7: ["name: required"],
        8: ["name: Ensure this value has at most 200 characters (it has 201)."],
        9: ["environment: 'moon' is not one of production, staging, test, development, dr"],
        10: ["owning_team: owning_team 'Nowhere' not found"],
        11: [
            "identity: 'Virtual Machine: hostname=bulk-0001' already appears on row 3",
        ],
    }
    assert report.counts()["error"] == 7 and report.counts()["create"] == 3
    assert _state() == before


def test_group_rules_and_nul_characters_are_row_errors(estate: dict[str, Any]) -> None:
    text = (
        "class,name,redundancy_mode,redundancy_value,description\n"
        "Cluster/Farm,farm-x,percent,120,\n"
        "Virtual Machine,vm-x,count,2,\n"
        "Application,app-y,,,bad\x00text\n"
    )
    report = _run(CIImporter, text)
    errors = [r.errors for r in report.rows]
    assert errors == [
        ["redundancy_value: at most 100 (%)"],
        ["redundancy_mode: only CIs of a group class (farm, cluster) have redundancy"],
        ["description: Null characters are not allowed."],
    ]


def test_dry_run_reports_the_diff_and_writes_nothing(estate: dict[str, Any]) -> None:
    before = _state()
    report = _run(CIImporter, _vms(2), dry_run=True)
    assert report.ok and not report.applied
    created = report.rows[0]
    assert created.action == "create" and created.key == "Virtual Machine: hostname=bulk-0000"
    assert created.changes["name"] == [None, "bulk-0000"]
    assert created.changes["attributes"] == [None, {"hostname": "bulk-0000", "ram_gb": 8}]
    assert report.as_dict()["counts"]["create"] == 2
    assert _state() == before


def test_relationship_import_resolves_ends_in_bulk(estate: dict[str, Any]) -> None:
    _run(CIImporter, _vms(50))
    lines = ["source,type,target,description"]
    lines += [f"bulk-{i:04d},hosted on,hv-01,row {i}" for i in range(50)]
    lines += ["Finance application,runs on,fin-vm-01,"]  # already current: unchanged
    lines += ["SN-HV-1,member of,Farm A,primary"]  # by serial number: a description change
    lines += [f"#{estate['db'].pk},runs on,bulk-0001,"]  # by id
    report = _run(RelationshipImporter, "\n".join(lines) + "\n")
    assert report.applied, report.as_dict()
    assert report.counts() == {"create": 51, "update": 1, "unchanged": 1, "error": 0}
    rel = Relationship.objects.current().get(source__name="bulk-0007")
    assert (rel.target, rel.type, rel.description) == (estate["hv"], rtype("hosted on"), "row 7")
    member = Relationship.objects.current().get(source=estate["hv"], target=estate["farm"])
    assert member.description == "primary"
    events = AuditEvent.objects.filter(job_id=report.job_id)
    assert events.filter(action="create").count() == 51
    created = events.get(object_id=str(rel.pk))
    assert created.object_repr == "bulk-0007 hosted on hv-01"
    assert created.after == {
        "id": rel.pk,
        "source": rel.source_id,
        "target": rel.target_id,
        "type": rel.type_id,
        "description": "row 7",
        "valid_from": created.after["valid_from"],
        "valid_to": None,
    }
    update = events.get(action="update")
    assert (update.before, update.after) == ({"description": ""}, {"description": "primary"})
    # The hash chain seals the bulk events like any others.
    seal_pending()
    assert verify_chain().ok
    call_command("audit", "verify", verbosity=0)


def test_relationship_errors_name_row_and_column_and_write_nothing(
    estate: dict[str, Any],
) -> None:
    vm = estate["vm"]
    text = "\n".join(
        [
            "source,type,target,target_class",
            "Finance application,depends on,fin-db,",  # row 2: fine
            "Finance application,depends on,nowhere,",  # row 3
            "Finance application,loves,fin-db,",  # row 4
            "fin-vm-01,runs on,fin-vm-01,",  # row 5
            f"Finance application,depends on,#{estate['db'].pk},",  # row 6: duplicate of row 2
            "Finance application,runs on,fin-vm-01,Database",  # row 7: class narrows to none
            "Finance application,runs on,fin-vm-01,Spaceship",  # row 8
            ",runs on,fin-vm-01,",  # row 9
        ]
    )
    before = _state()
    report = _run(RelationshipImporter, text + "\n")
    assert not report.applied
    errors = {r.number: r.errors for r in report.rows if r.errors}
    assert errors == {
        3: ["target: no current CI 'nowhere'"],
        4: ["type: unknown relationship type 'loves'"],
        5: ["target: a CI cannot be related to itself"],
        6: ["relationship: 'Finance application → depends on → fin-db' already appears on row 2"],
        7: [f"target: no current CI {vm.name!r}"],
        8: ["target_class: unknown class 'Spaceship'"],
        9: ["source: required"],
    }
    assert _state() == before


def test_relationship_type_pairs_are_enforced(estate: dict[str, Any]) -> None:
    kind = services.create_relationship_type(
        Actor.system(),
        {
            "name": "replicates to",
            "reverse_name": "replica of",
            "allowed_pairs": [[cls("Database").pk, cls("Database").pk]],
        },
    )
    report = _run(RelationshipImporter, f"source,type,target\nfin-db,{kind.name},fin-vm-01\n")
    assert [r.errors for r in report.rows] == [
        ["type: 'replicates to' does not connect a Database to a Virtual Machine"]
    ]


def test_import_permissions_apply_per_row(estate: dict[str, Any], make_user: Any) -> None:
    viewer = make_user(
        permissions=[
            (["cmdb.ci"], ["view", "change"], None),
            (["cmdb.relationship"], ["view", "change"], None),
        ]
    )
    actor = Actor(user=viewer)
    ci_report = _run(CIImporter, _vms(1), actor=actor)
    assert [r.errors for r in ci_report.rows] == [["identity: you may not create CIs"]]
    rels = "source,type,target\nFinance application,depends on,fin-vm-01\n"
    rel_report = _run(RelationshipImporter, rels, actor=actor)
    assert [r.errors for r in rel_report.rows] == [
        ["relationship: you may not create relationships"]
    ]
    # Ends must be visible to the importer: a constrained viewer cannot link hidden CIs.
    narrow = make_user(
        permissions=[
            (["cmdb.ci"], ["view"], {"id__in": [estate["app"].pk]}),
            (["cmdb.relationship"], ["view", "add"], None),
        ]
    )
    hidden = _run(RelationshipImporter, rels, actor=Actor(user=narrow))
    assert [r.errors for r in hidden.rows] == [["target: no current CI 'fin-vm-01'"]]


def test_json_and_xlsx_go_through_the_same_engine(estate: dict[str, Any]) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["class", "name", "attr.hostname"])
    sheet.append(["Virtual Machine", "xl-01", "xl-01"])
    stream = io.BytesIO()
    book.save(stream)
    stream.seek(0)
    report = CIImporter(Actor.system("t")).run(stream, "cis.xlsx", dry_run=False)
    assert report.applied and CI.objects.filter(name="xl-01").exists()
    report = CIImporter(Actor.system("t")).run(io.BytesIO(b"not json"), "x.json", dry_run=True)
    assert not report.ok and report.file_errors


def test_csv_rows_keep_numbers_blank_lines_and_multibyte_text(estate: dict[str, Any]) -> None:
    from assetgraph.core.tabular import TableError, read_table
    from assetgraph.framework.importing.reading import read_rows

    filler = "é" * 40_000  # past the 64 KiB header window, in two-byte characters
    text = f"Class,Name,Description\r\nApplication,a1,{filler}\r\n,,\r\nApplication,a2\r\n"
    header, rows = read_rows(io.BytesIO(text.encode()), "x.csv")
    expected_header, expected = read_table(io.BytesIO(text.encode()), "x.csv")
    assert header == expected_header == ["class", "name", "description"]
    assert list(rows) == list(expected)
    with pytest.raises(TableError, match="not UTF-8"):
        read_rows(io.BytesIO(b"class,name\n\xff\xfe,x\n"), "x.csv")
    tail = "class,name\n" + "Application,a\n" * 8000 + "Application,\xff\n"
    with pytest.raises(TableError, match="not UTF-8"):
        read_rows(io.BytesIO(tail.encode("latin-1")), "x.csv")


def test_files_past_the_row_limit_are_refused_whole(
    estate: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from assetgraph.framework.importing import reading

    monkeypatch.setattr(reading, "MAX_IMPORT_ROWS", 3)
    before = _state()
    report = _run(CIImporter, _vms(5))
    assert report.file_errors == ["more than 3 rows"] and not report.applied
    assert _state() == before
