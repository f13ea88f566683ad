"""The demo company: deterministic, complete, one login per role, re-runnable."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.db import transaction

from assetgraph.accounts.roles import ROLE_DESCRIPTIONS
from assetgraph.audit.models import AuditEvent
from assetgraph.demo.generator import load_demo
from assetgraph.org.models import Company, Location, Person

pytestmark = pytest.mark.django_db


def test_demo_company_is_complete_and_audited() -> None:
    result = load_demo(seed=7, people=60)
    assert result.created and Person.objects.count() == 60
    assert Location.objects.filter(kind="site").count() == 5
    assert Location.objects.filter(kind="room").exists()
    assert (
        Company.objects.filter(is_supplier=True).exists()
        and Company.objects.filter(is_manufacturer=True).exists()
    )
    assert Person.objects.filter(first_name="Minh", last_name="Nguyen").exists()
    assert {role for _, role, _ in result.accounts} == set(ROLE_DESCRIPTIONS)
    username, _, password = result.accounts[0]
    assert authenticate(username=username, password=password) is not None
    assert AuditEvent.objects.filter(object_type="org.person", action="create").count() == 60


class _Rollback(Exception):
    pass


def _people() -> list[tuple[str, str, str]]:
    return list(
        Person.objects.order_by("employee_number").values_list(
            "first_name", "last_name", "location__path"
        )
    )


def _load_and_roll_back() -> list[tuple[str, str, str]]:
    """Load the demo inside a transaction that is then rolled back; return its people."""
    try:
        with transaction.atomic():
            load_demo(seed=7, people=40)
            people = _people()
            raise _Rollback
    except _Rollback:
        return people


def test_demo_is_deterministic_and_rerunning_resets_passwords() -> None:
    first = _load_and_roll_back()
    assert not Person.objects.exists()
    assert load_demo(seed=7, people=40).created
    assert _people() == first
    again = load_demo(seed=7, people=40)
    assert not again.created
    username, _, password = again.accounts[0]
    assert authenticate(username=username, password=password) is not None
