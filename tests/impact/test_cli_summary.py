"""``assetgraph impact`` answers first (a few lines), tables with ``--details``; ``ci list``
has a header and ``--json``; progress goes to a terminal only, never into piped output."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command

from assetgraph.core import commandline

pytestmark = pytest.mark.django_db


def _cli(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_impact_prints_the_summary_first_and_tables_on_request(estate: dict[str, Any]) -> None:
    text = _cli("impact", "fin-vm-01")
    lines = text.splitlines()
    assert lines[0] == f"If fin-vm-01 (#{estate['vm'].pk}) fails:"
    assert "2 down" in lines[1]
    assert "  business services down: Finance" in lines
    assert "  applications down: Finance application" in lines
    assert lines[-1].startswith("details: --details")
    assert "People to notify" not in text  # the tables wait for --details
    detailed = _cli("impact", "fin-vm-01", "--details")
    assert "People to notify" in detailed and "Business services" in detailed


def test_ci_list_has_a_header_and_json(estate: dict[str, Any]) -> None:
    lines = _cli("ci", "list").splitlines()
    assert lines[0] == "id\tclass\tname\tstatus"
    assert any("\tfin-vm-01\t" in line for line in lines[1:])
    rows = json.loads(_cli("ci", "list", "--json"))  # one document: an array
    vm = next(r for r in rows if r["name"] == "fin-vm-01")
    assert vm == {
        "id": estate["vm"].pk,
        "class": "Virtual Machine",
        "name": "fin-vm-01",
        "status": estate["vm"].operational_status,
    }


def test_progress_only_on_a_terminal(
    estate: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(commandline, "on_terminal", lambda: False)
    with commandline.working("Analysing…"):
        pass
    assert capsys.readouterr().err == ""
    shown: list[str] = []

    class Spy:
        def __init__(self, **kwargs: Any) -> None:
            assert kwargs == {"stderr": True}

        def status(self, message: str) -> Any:
            shown.append(message)
            return io.StringIO()  # a context manager

    monkeypatch.setattr(commandline, "on_terminal", lambda: True)
    monkeypatch.setattr("rich.console.Console", Spy)
    with commandline.working("Analysing…"):
        pass
    assert shown == ["Analysing…"]
