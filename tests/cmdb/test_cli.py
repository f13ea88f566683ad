"""``assetgraph ci``: thin over the services, audited as the CLI."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from assetgraph.audit.models import AuditEvent
from assetgraph.cmdb.models import CI

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("ci", *args, stdout=out)
    return out.getvalue()


def test_create_relate_show_list_retire(estate: dict[str, Any]) -> None:
    created = run(
        "create",
        "Virtual Machine",
        "cli-vm",
        "--set",
        "attr.hostname=cli-vm",
        "--set",
        "environment=test",
    )
    ci = CI.objects.get(name="cli-vm")
    assert f"created CI {ci.pk}" in created and ci.environment == "test"
    assert AuditEvent.objects.filter(object_id=str(ci.pk), source="cli").exists()
    run("relate", str(ci.pk), "hosted on", str(estate["hv"].pk))
    shown = json.loads(run("show", str(ci.pk)))
    assert shown["attributes"] == {"hostname": "cli-vm"}
    assert shown["relationships"] == [f"down: hosted on hv-01 (#{estate['hv'].pk})"]
    assert "cli-vm" in run("list", "--class", "Computer System")
    run("retire", str(ci.pk))
    assert "cli-vm" not in run("list")


def test_errors_exit_non_zero(estate: dict[str, Any]) -> None:
    with pytest.raises(CommandError, match=r"attributes\.cpu_count"):
        run("create", "Server", "x", "--set", "attr.cpu_count=many")
    with pytest.raises(CommandError, match="not found"):
        run("show", "999999")
