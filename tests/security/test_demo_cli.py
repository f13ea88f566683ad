"""The security demo story on the shared demo company, and the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from assetgraph.security.models import Finding, PolicyRun

from .conftest import FIXTURES


@pytest.fixture(scope="class")
def demo(demo_company: Any, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock():
        yield


@pytest.mark.django_db
class TestSecurityDemo:
    def test_log4shell_under_finance_is_the_most_urgent_and_reaches_the_internet(
        self, demo: None
    ) -> None:
        top = (
            Finding.objects.filter(status__in=["open", "in_progress"])
            .order_by("-priority", "pk")
            .first()
        )
        assert top is not None
        assert (top.advisory.identifier, top.ci.name, top.priority, top.priority_band) == (
            "GHSA-jfh8-c2jp-5v3q",
            "Finance ledger service",
            100,
            "P1",
        )
        assert [s["name"] for s in top.exposure["internet_path"]] == [
            "lb-fin-web",
            "Finance web",
            "Finance ledger service",
        ]
        assert "Finance" in {s["name"] for s in top.exposure["services"]}
        assert top.priority_explanation["exploit"]["why"] == "known exploited (KEV)"

    def test_one_accepted_risk_and_one_self_closed_finding(self, demo: None) -> None:
        accepted = Finding.objects.get(status="risk_accepted")
        assert accepted.advisory.identifier == "GHSA-h5c8-rqwp-cp95"
        assert accepted.accepted_by is not None and accepted.accepted_by.username == "security"
        closed = Finding.objects.get(status="fixed")
        assert (closed.ci.name, closed.resolution) == ("fin-api-02", "fixed version 9.8p1 seen")
        assert Finding.objects.get(ci__name="fin-api-01").status == "open"

    def test_eol_os_on_the_tier_one_path_fails_its_policy(self, demo: None) -> None:
        run = PolicyRun.objects.filter(policy__name="No end-of-life OS on a tier-1 path").first()
        assert run is not None and run.failed == 1
        assert run.results.get().ci.name == "pay-db-01"
        assert PolicyRun.objects.filter(policy=run.policy).count() == 2  # a trend

    def test_cli_findings_for_a_service_and_blast_radius(self, demo: None) -> None:
        out = StringIO()
        call_command("security", "findings", "--service", "Finance", "--json", stdout=out)
        rows = json.loads(out.getvalue())
        assert rows[0]["advisory"] == "GHSA-jfh8-c2jp-5v3q"
        assert {r["status"] for r in rows} <= {"open", "in_progress", "risk_accepted"}
        out = StringIO()
        call_command("security", "blast-radius", "CVE-2021-44228", "--json", stdout=out)
        radius = json.loads(out.getvalue())
        assert radius["advisory"] == "GHSA-jfh8-c2jp-5v3q"
        assert {"Finance", "Payroll"} <= {s["name"] for s in radius["services"]}


@pytest.mark.django_db
def test_cli_import_refuses_bad_files_with_exit_1(tmp_path: Any) -> None:
    (tmp_path / "bad.json").write_text('{"id": "X-1", "affected": [{}]}')
    err = StringIO()
    with pytest.raises(SystemExit) as caught:
        call_command("security", "import-advisories", str(tmp_path), stderr=err)
    assert caught.value.code == 1
    assert "bad.json (X-1) affected[0]: package: required" in err.getvalue()
    out = StringIO()
    call_command("security", "import-advisories", str(FIXTURES / "osv"), stdout=out)
    assert "9 file(s): 9 new" in out.getvalue()
