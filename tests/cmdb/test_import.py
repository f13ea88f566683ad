"""CI and relationship imports: identification-key upsert, dry run, row errors, all surfaces."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command

from assetgraph.audit.models import AuditEvent
from assetgraph.cmdb.importers import CIImporter, RelationshipImporter
from assetgraph.cmdb.models import CI, Relationship
from assetgraph.core.actor import Actor
from tests.importjobs import post_import

pytestmark = pytest.mark.django_db

CIS = """class,name,environment,owning_team,attr.hostname,ram_gb,serial_number
Virtual Machine,fin-vm-01,production,IT,fin-vm-01,24,
Virtual Machine,web-01,staging,IT,web-01,8,
Server,srv-9,production,,srv-9,,SN-9
"""


def _run(importer: type, text: str, dry_run: bool, name: str = "f.csv") -> Any:
    return importer(Actor.system("test")).run(io.BytesIO(text.encode()), name, dry_run=dry_run)


def test_dry_run_then_apply_upserts_by_identification_key(estate: dict[str, Any]) -> None:
    counts = (CI.objects.count(), AuditEvent.objects.count())
    report = _run(CIImporter, CIS, dry_run=True)
    assert report.ok, report.as_dict()
    assert report.counts() == {"create": 2, "update": 1, "unchanged": 0, "error": 0}
    update = next(r for r in report.rows if r.action == "update")
    assert update.changes["attributes"][1]["ram_gb"] == 24.0
    assert (CI.objects.count(), AuditEvent.objects.count()) == counts
    report = _run(CIImporter, CIS, dry_run=False)
    assert report.applied
    vm = CI.objects.get(pk=estate["vm"].pk)
    assert vm.attributes["ram_gb"] == 24.0 and vm.attributes["ip_address"] == "10.0.0.5"
    assert CI.objects.get(name="srv-9").attributes["serial_number"] == "SN-9"
    assert AuditEvent.objects.filter(job_id=report.job_id).count() == 3
    again = _run(CIImporter, CIS, dry_run=False)
    assert again.counts()["unchanged"] == 3


def test_row_errors_write_nothing(estate: dict[str, Any]) -> None:
    text = CIS + "Virtual Machine,bad,production,,bad,lots,\nNo Such Class,x,,,,,\n"
    counts = (CI.objects.count(), AuditEvent.objects.count())
    report = _run(CIImporter, text, dry_run=False)
    assert not report.ok and not report.applied
    errors = {r.number: r.errors for r in report.rows if r.errors}
    assert errors[5] == ["attr.ram_gb: not a number"]
    assert "class" in errors[6][0]
    assert (CI.objects.count(), AuditEvent.objects.count()) == counts


def test_json_import_and_relationships(estate: dict[str, Any]) -> None:
    rows = [
        {"class": "Application", "name": "HR portal", "attributes": {"version": "2.1"}},
        {"class": "Virtual Machine", "name": "hr-vm", "attr.hostname": "hr-vm"},
    ]
    report = CIImporter(Actor.system("t")).run(
        io.BytesIO(json.dumps(rows).encode()), "cis.json", dry_run=False
    )
    assert report.applied, report.as_dict()
    rels = """source,type,target,target_class
HR portal,runs on,hr-vm,Virtual Machine
HR portal,depends on,fin-db,
Finance application,runs on,fin-vm-01,
hr-vm,runs on,nowhere,
"""
    report = _run(RelationshipImporter, rels, dry_run=True)
    assert [r.errors for r in report.rows if r.errors] == [["target: no current CI 'nowhere'"]]
    report = _run(RelationshipImporter, "\n".join(rels.splitlines()[:4]) + "\n", dry_run=False)
    assert report.applied and report.counts() == {
        "create": 2,
        "update": 0,
        "unchanged": 1,
        "error": 0,
    }
    hr = CI.objects.get(name="HR portal")
    assert set(
        Relationship.objects.current().filter(source=hr).values_list("target__name", flat=True)
    ) == {
        "hr-vm",
        "fin-db",
    }


def test_cli_and_api_import(estate: dict[str, Any], tmp_path: Any, api: Any) -> None:
    path = tmp_path / "cis.csv"
    path.write_text(CIS)
    call_command("import_data", "cis", str(path), verbosity=0)
    assert CI.objects.filter(name="web-01").exists()
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = api("DevOps")
    upload = SimpleUploadedFile("r.csv", b"source,type,target\nweb-01,depends on,fin-db\n")
    response = post_import(client, "/api/cmdb/import/relationships?dry_run=false", {"file": upload})
    assert response.status_code == 200, response.content
    assert Relationship.objects.current().filter(source__name="web-01").count() == 1
