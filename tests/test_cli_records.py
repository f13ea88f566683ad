"""``assetgraph records``: CRUD from the CLI through the services, audited as ``cli``."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from assetgraph.audit.models import AuditEvent
from assetgraph.org.models import Company

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("records", *args, stdout=out)
    return out.getvalue()


def test_create_update_show_list_delete(site: dict[str, Any]) -> None:
    assert "created company" in _run(
        "companies", "create", "--set", "name=Acme", "--set", "is_supplier=yes"
    )
    company = Company.objects.get(name="Acme")
    assert company.is_supplier
    _run("companies", "update", str(company.pk), "--set", "website=https://acme.example")
    shown = json.loads(_run("companies", "show", str(company.pk), "--json"))
    assert shown[0]["website"] == "https://acme.example"
    assert "Acme" in _run("companies", "list")
    _run("companies", "delete", str(company.pk))
    assert not Company.objects.filter(pk=company.pk).exists()
    sources = set(
        AuditEvent.objects.filter(object_type="org.company", object_id=str(company.pk)).values_list(
            "source", flat=True
        )
    )
    assert sources == {"cli"}


def test_errors_exit_non_zero_and_change_nothing(site: dict[str, Any]) -> None:
    with pytest.raises(CommandError, match="website: Enter a valid URL") as bad_value:
        _run("companies", "create", "--set", "name=Acme", "--set", "website=not a url")
    assert bad_value.value.returncode == 1
    with pytest.raises(CommandError, match="no such field") as bad_field:
        _run("people", "update", str(site["ana"].pk), "--set", "salary=1")
    assert bad_field.value.returncode == 2
    with pytest.raises(CommandError, match="still referenced"):
        _run("departments", "delete", str(site["it"].pk))
    with pytest.raises(CommandError, match="not found"):
        _run("people", "show", "99999")
    assert not Company.objects.filter(name="Acme").exists()
