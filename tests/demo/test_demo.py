"""The demo company: deterministic, complete, one login per role, re-runnable."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.db import transaction

from assetgraph.accounts.roles import ROLE_DESCRIPTIONS
from assetgraph.assets.models import Asset, AuditCampaign
from assetgraph.audit.models import AuditEvent
from assetgraph.cmdb.models import CI, Relationship
from assetgraph.demo.generator import load_demo
from assetgraph.org.models import Company, Location, Person

pytestmark = pytest.mark.django_db

# One test loads the demo (three times: rolled back, kept, re-run) and checks all of it:
# deterministic, complete, audited, with an audit campaign under way. Each load costs seconds
# on both databases, so the checks share the loads rather than each loading its own.
PEOPLE = 60


class _Rollback(Exception):
    pass


def _company() -> tuple[list[Any], list[Any], list[Any]]:
    """The people, the CIs and the relationships, in an order that does not depend on ids."""
    people = Person.objects.order_by("employee_number").values_list(
        "first_name", "last_name", "location__path"
    )
    cis = CI.objects.values_list("name", "ci_class__name")  # names repeat across classes
    rels = Relationship.objects.values_list("source__name", "type__name", "target__name")
    return list(people), sorted(cis), sorted(rels)


def _load_and_roll_back() -> tuple[list[Any], list[Any], list[Any]]:
    """Load the demo inside a transaction that is then rolled back; return what it made."""
    try:
        with transaction.atomic():
            load_demo(seed=7, people=PEOPLE)
            company = _company()
            raise _Rollback
    except _Rollback:
        return company


def test_demo_is_deterministic_and_rerunning_resets_passwords() -> None:
    """The same seed makes the same people and the same estate (CIs and relationships)."""
    first = _load_and_roll_back()
    assert not Person.objects.exists() and not CI.objects.exists()
    result = load_demo(seed=7, people=PEOPLE)
    assert result.created
    assert _company() == first
    _assert_complete_and_audited(result)
    _assert_an_audit_campaign_is_under_way()
    assert len(first[1]) > 300 and len(first[2]) > 500
    again = load_demo(seed=7, people=PEOPLE)
    assert not again.created
    username, _, password = again.accounts[0]
    assert authenticate(username=username, password=password) is not None


def _assert_complete_and_audited(result: Any) -> None:
    assert Person.objects.count() == PEOPLE
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
    assert AuditEvent.objects.filter(object_type="org.person", action="create").count() == PEOPLE


def _assert_an_audit_campaign_is_under_way() -> None:
    """Audit dates on assets, and one campaign in progress with every kind of result."""
    campaign = AuditCampaign.objects.get()
    assert campaign.status == "open"
    results = set(campaign.items.values_list("result", flat=True))
    assert {"found", "pending", "unexpected", "unknown"} <= results
    assert Asset.objects.filter(next_audit_due__isnull=False).exists()
