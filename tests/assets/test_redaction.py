"""Field redaction and object visibility in the audit trail: declared once per type in the
registry, applied per object, in one query per page (no N+1)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assetgraph.assets import services
from assetgraph.audit.models import AuditEvent
from assetgraph.core import registry
from assetgraph.framework.redaction import field_permissions, redact, redact_columns, visible_events

from ..conftest import bearer

pytestmark = pytest.mark.django_db
EMEA = {"location__path__startswith": "EMEA"}


def test_cost_is_declared_in_the_registry() -> None:
    assert field_permissions("assets.asset") == {
        "cost": "view_cost",
        "disposal.proceeds": "view_cost",
    }
    assert field_permissions("org.person") == {}


def test_events_api_redacts_cost_without_view_cost(
    make_asset: Callable[..., Any], make_user: Callable[..., Any], system: Any
) -> None:
    asset = make_asset(cost=Decimal("420.00"))
    services.update_asset(system, asset, {"cost": Decimal("4321.99"), "notes": "new price"})
    query = {"object_type": "assets.asset", "object_id": asset.pk}
    reader = bearer(make_user("Security"))  # views assets and the audit log, not costs
    update, create = reader.get("/api/audit/events", query).json()["results"]
    assert "cost" not in create["after"] and "cost" not in update["before"]
    assert update["changed_fields"] == ["notes"]
    assert update["after"]["notes"] == "new price"
    finance = bearer(make_user("Finance", "Compliance"))
    update, create = finance.get("/api/audit/events", query).json()["results"]
    assert create["after"]["cost"] == "420.00" and update["after"]["cost"] == "4321.99"
    assert update["changed_fields"] == ["cost", "notes"]
    assert AuditEvent.objects.get(pk=update["id"]).after["cost"] == "4321.99"  # stored intact


def test_view_cost_is_checked_per_object_under_a_constraint(
    catalogue: dict[str, Any],
    make_asset: Callable[..., Any],
    make_user: Callable[..., Any],
) -> None:
    here = make_asset(location=catalogue["room"], cost=Decimal("111.00"))
    there = make_asset(location=None, cost=Decimal("222.00"))
    user = make_user(
        permissions=[
            (["assets.asset"], ["view"], None),
            (["assets.asset"], ["view_cost"], EMEA),
            (["audit.auditevent"], ["view"], None),
        ]
    )
    events = list(AuditEvent.objects.filter(object_type="assets.asset").order_by("id"))
    redact(events, user)
    by_id = {e.object_id: e for e in events}
    assert by_id[str(here.pk)].after["cost"] == "111.00"
    assert "cost" not in by_id[str(there.pk)].after


def test_nested_gated_values_are_redacted(
    make_asset: Callable[..., Any], make_user: Callable[..., Any], system: Any
) -> None:
    asset = make_asset()
    services.transition_asset(
        system,
        asset,
        "retire",
        substate="sold",
        reason="old",
        disposal={"recipient": "Buyer", "proceeds": "55.50", "currency": "EUR"},
    )
    event = AuditEvent.objects.filter(object_type="assets.asset", after__has_key="disposal")
    stored = event.order_by("-id").first()
    assert stored is not None and stored.after["disposal"]["proceeds"] == "55.50"
    redact([stored], make_user("Security"))
    assert "proceeds" not in stored.after["disposal"]
    assert stored.after["disposal"]["recipient"] == "Buyer"


def test_a_new_gated_field_is_one_declaration(
    site: dict[str, Any], make_user: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = registry.get("org.person")
    monkeypatch.setitem(entry.extra, "field_permissions", {"email": "view_contact"})
    events = list(AuditEvent.objects.filter(object_type="org.person", after__has_key="email"))
    assert events
    redact(events, make_user("Read-only"))
    assert all("email" not in (e.after or {}) for e in events)
    columns = [("name", str), ("email", str)]
    assert redact_columns(make_user("Read-only"), "org.person", columns) == [("name", str)]
    assert redact_columns(make_user(superuser=True), "org.person", columns) == columns


def test_events_of_deleted_objects_are_hidden_under_a_constraint_only(
    site: dict[str, Any], make_user: Callable[..., Any], system: Any
) -> None:
    from assetgraph.org import services as org

    gone = org.create_department(system, {"name": "Gone", "code": "GONE"})
    gone_id = str(gone.pk)
    org.delete_department(system, gone)
    open_user = make_user(permissions=[(["org.department", "audit.auditevent"], ["view"], None)])
    narrow = make_user(
        permissions=[
            (["org.department"], ["view"], {"code__startswith": "G"}),
            (["audit.auditevent"], ["view"], None),
        ]
    )
    about = AuditEvent.objects.filter(object_type="org.department", object_id=gone_id)
    assert visible_events(about, open_user).count() == 2
    assert visible_events(about, narrow).count() == 0


def test_the_audit_log_costs_the_same_queries_for_ten_or_a_hundred_events(
    catalogue: dict[str, Any],
    make_asset: Callable[..., Any],
    make_user: Callable[..., Any],
    system: Any,
) -> None:
    user = make_user(
        permissions=[
            (["assets.asset", "org.person"], ["view"], EMEA),
            (["assets.auditcampaign", "audit.auditevent", "org.location"], ["view"], None),
        ]
    )
    client = bearer(user)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/api/audit/events", {"limit": 1000})
        assert response.status_code == 200
        return len(captured.captured_queries)

    for i in range(3):
        make_asset(location=catalogue["room"], cost=Decimal(i))
    queries()  # the first use of a token records it (one UPDATE)
    few = queries()
    assert few <= 3  # the token, the grants, the page: visibility is part of the page query
    for i in range(30):
        make_asset(location=catalogue["room"] if i % 2 else None, cost=Decimal(i))
    assert queries() == few
