"""Every GET endpoint's responses validate against the published OpenAPI document.

The operations come from ``/api/openapi.json`` itself, so a new endpoint is covered the day it
is mounted (a path parameter this file cannot fill fails the test, naming the path). Each is
called with the demo company loaded, real ids and a superuser's token (every field filled);
list endpoints follow their ``next`` cursor once. The body must validate against the response
schema the document publishes (``jsonschema``, the document's own components), with no
property the schema does not publish, and no string in it may be a Python repr of a dict (a
reference rendered as ``"{'id': 4, …}"``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import models
from django.test import Client
from jsonschema import Draft202012Validator

from assetgraph.site.api import api as ninja_api

from ..conftest import bearer


def _get_operations() -> list[tuple[str, dict[str, Any]]]:
    spec = ninja_api.get_openapi_schema(path_prefix="/api/")
    return [(path, ops["get"]) for path, ops in sorted(spec["paths"].items()) if "get" in ops]


OPERATIONS = _get_operations()

# Operations whose published schema is wrong today, and why. Each entry is a bug to fix in
# a file another engineer owns (see the reason); remove the entry with the fix.
# Operations whose responses are known not to match their published schema, with the reason;
# a fixed one fails until it is removed from here.
KNOWN_EXCEPTIONS: dict[str, str] = {}


def _model(path: str) -> type[models.Model]:
    """The model whose id fills the path's parameter (by the collection the path names)."""
    from assetgraph.accounts.models import User
    from assetgraph.assets.models import (
        Asset,
        AssetModel,
        AuditCampaign,
        Category,
        CustomField,
        Kit,
    )
    from assetgraph.changes.models import BlackoutWindow, ChangeRecord
    from assetgraph.cmdb.models import CI, CIClass, ClassAttribute, Relationship, RelationshipType
    from assetgraph.discovery.models import (
        ClassPolicy,
        ComplianceRule,
        DataSource,
        DiscoveryRun,
        IdentificationRule,
    )
    from assetgraph.events.models import AllowedNetwork, EventRule, Job, Schedule, Webhook
    from assetgraph.finance.models import (
        AssetFinance,
        Budget,
        ClosedPeriod,
        Contract,
        DepreciationProfile,
        ExchangeRate,
        PurchaseOrder,
        PurchaseOrderLine,
        ReplacementPolicy,
    )
    from assetgraph.integrations.models import DirectorySyncRun, Offboarding
    from assetgraph.licences import models as licences
    from assetgraph.org.models import Company, CostCentre, Department, Location, Person
    from assetgraph.security import models as security
    from assetgraph.stock.models import (
        CatalogueEntry,
        Loaner,
        MaintenanceRecord,
        StockItem,
        StockRequest,
        Storeroom,
    )

    collections: list[tuple[str, type[models.Model]]] = [
        ("/api/accounts/users/", User),
        ("/api/org/companies/", Company),
        ("/api/org/cost-centres/", CostCentre),
        ("/api/org/departments/", Department),
        ("/api/org/locations/", Location),
        ("/api/org/people/", Person),
        ("/api/assets/people/", Person),
        ("/api/assets/categories/", Category),
        ("/api/assets/models/", AssetModel),
        ("/api/assets/custom-fields/", CustomField),
        ("/api/assets/kits/", Kit),
        ("/api/assets/assets/", Asset),
        ("/api/assets/audits/", AuditCampaign),
        ("/api/cmdb/cis/", CI),
        ("/api/cmdb/relationships/", Relationship),
        ("/api/cmdb/assets/", Asset),
        ("/api/cmdb/classes/", CIClass),
        ("/api/cmdb/attributes/", ClassAttribute),
        ("/api/cmdb/relationship-types/", RelationshipType),
        ("/api/impact/changes/blackouts/", BlackoutWindow),
        ("/api/impact/changes/", ChangeRecord),
        ("/api/impact/map/", CI),
        ("/api/finance/profiles/", DepreciationProfile),
        ("/api/finance/asset-settings/", AssetFinance),
        ("/api/finance/rates/", ExchangeRate),
        ("/api/finance/assets/", Asset),
        ("/api/finance/periods/", ClosedPeriod),
        ("/api/finance/purchase-orders/", PurchaseOrder),
        ("/api/finance/purchase-order-lines/", PurchaseOrderLine),
        ("/api/finance/budgets/", Budget),
        ("/api/finance/contracts/", Contract),
        ("/api/finance/replacement-policies/", ReplacementPolicy),
        ("/api/licences/publishers/", licences.Publisher),
        ("/api/licences/families/", licences.ProductFamily),
        ("/api/licences/products/", licences.Product),
        ("/api/licences/suites/", licences.Suite),
        ("/api/licences/rules/", licences.NormalisationRule),
        ("/api/licences/core-factors/", licences.CoreFactor),
        ("/api/licences/entitlements/", licences.Entitlement),
        ("/api/licences/allocations/", licences.Allocation),
        ("/api/licences/position/", licences.Product),
        ("/api/licences/people/", Person),
        ("/api/stock/items/", StockItem),
        ("/api/stock/storerooms/", Storeroom),
        ("/api/stock/catalogue/", CatalogueEntry),
        ("/api/stock/loaners/", Loaner),
        ("/api/stock/maintenance/", MaintenanceRecord),
        ("/api/stock/requests/", StockRequest),
        ("/api/stock/assets/", Asset),
        ("/api/discovery/sources/", DataSource),
        ("/api/discovery/rules/", IdentificationRule),
        ("/api/discovery/policies/", ClassPolicy),
        ("/api/discovery/compliance-rules/", ComplianceRule),
        ("/api/discovery/runs/", DiscoveryRun),
        ("/api/events/webhooks/", Webhook),
        ("/api/events/rules/", EventRule),
        ("/api/events/networks/", AllowedNetwork),
        ("/api/events/jobs/", Job),
        ("/api/events/schedules/", Schedule),
        ("/api/security/advisories/", security.Advisory),
        ("/api/security/findings/", security.Finding),
        ("/api/security/policies/", security.Policy),
        ("/api/security/policy-exceptions/", security.PolicyException),
        ("/api/integrations/directory/runs/", DirectorySyncRun),
        ("/api/integrations/offboardings/", Offboarding),
    ]
    for prefix, model in collections:
        if path.startswith(prefix):
            return model
    raise AssertionError(f"{path}: add the model whose id fills its path parameter")


def _real_id(model: type[models.Model]) -> int:
    """A demo object with much to show (a CI on the story path, a deployed asset…)."""
    from assetgraph.assets.models import Asset
    from assetgraph.changes.models import ChangeRecord
    from assetgraph.cmdb.models import CI
    from assetgraph.org.models import Person

    preferred: dict[type[models.Model], models.QuerySet[Any]] = {
        CI: CI.objects.filter(name="fin-db-01"),
        Asset: Asset.objects.filter(ci__isnull=False, custodian__isnull=False),
        Person: Person.objects.filter(employee_number="E0001"),
        ChangeRecord: ChangeRecord.objects.filter(state="scheduled"),
    }
    queryset = preferred.get(model, model._default_manager.all())
    pk = queryset.order_by("pk").values_list("pk", flat=True).first()
    assert pk is not None, f"the demo has no {model._meta.verbose_name}"
    return int(pk)


def _queries(path: str) -> list[dict[str, str]]:
    """The query strings an operation is called with (one request each)."""
    from assetgraph.assets import reports
    from assetgraph.assets.models import Asset
    from assetgraph.audit.models import AuditEvent

    if path == "/api/assets/reports/{name}":
        return [{} for _ in reports.REPORTS]
    if path == "/api/assets/labels":
        ids = Asset.objects.order_by("pk").values_list("pk", flat=True)[:3]
        return [{"ids": ",".join(str(pk) for pk in ids)}]
    if path == "/api/impact/":
        return [{"ci": "stor-aus1-01"}, {"ci": "fin-db-01", "state": "down"}]
    if path == "/api/impact/root-cause":
        return [{"symptom": "Finance"}, {"person": "E0001", "service": "Finance"}]
    if path == "/api/cmdb/diff":
        changed = AuditEvent.objects.filter(object_type="cmdb.ci", action="update").latest("id")
        since = changed.timestamp - dt.timedelta(seconds=1)
        return [{"from": since.isoformat()}]
    if path == "/api/licences/position/diff":
        return [{"since": (dt.datetime.now(dt.UTC) - dt.timedelta(days=30)).isoformat()}]
    if path == "/api/stock/on-hand":
        from assetgraph.stock.models import StockBalance

        balance = StockBalance.objects.filter(location__isnull=False).order_by("pk").first()
        assert balance is not None, "the demo has no stock"
        return [
            {"item_id": str(balance.item_id), "location_id": str(balance.location_id)},
            {
                "item_id": str(balance.item_id),
                "location_id": str(balance.location_id),
                "as_of": dt.datetime.now(dt.UTC).isoformat(),
            },
        ]
    if path == "/api/discovery/health/offenders":
        from assetgraph.cmdb.models import CIClass

        server = CIClass.objects.get(name="Server").pk
        return [{"class_id": str(server), "measure": m} for m in ("stale", "incomplete")]
    if path == "/api/security/blast-radius":
        return [{"advisory": "CVE-2021-44228"}, {"advisory": "GHSA-35jh-r3h4-6jhm"}]
    if path == "/api/impact/map/{ci_id}":
        return [{}, {"depth": "3", "direction": "both"}]
    return [{}]


def _finished_import_job() -> str:
    """An ended import job with its report (the demo runs none), as its status shows it."""
    from django.utils import timezone

    from assetgraph.core.models import ImportJob

    now = timezone.now()
    report = {"object_type": "org.person", "ok": True, "counts": {"create": 1}, "rows": []}
    job = ImportJob.objects.create(
        kind="people",
        object_type="org.person",
        filename="people.csv",
        upload="contract.csv",
        dry_run=True,
        state="succeeded",
        counts={"create": 1},
        report=report,
        started=now,
        finished=now,
    )
    return job.pk.hex


def _url(path: str, query_index: int) -> str:
    """The path with its parameters filled by real ids (or a report's name)."""
    from assetgraph.assets import reports

    if "{name}" in path:
        return path.replace("{name}", list(reports.REPORTS)[query_index])
    if path.startswith("/api/finance/service-costs/"):
        from assetgraph.cmdb.models import CI

        service = CI.objects.get(name="Finance")
        return re.sub(r"\{[a-z_]+\}", str(service.pk), path)
    if path.startswith("/api/jobs/"):
        return f"/api/jobs/{_finished_import_job()}"
    return re.sub(r"\{[a-z_]+\}", lambda _: str(_real_id(_model(path))), path)


def _response_schema(operation: dict[str, Any]) -> dict[str, Any] | None:
    content = operation["responses"].get("200", {}).get("content", {})
    json_content = content.get("application/json")
    return None if json_content is None else json_content.get("schema")


def _closed(schema: Any) -> Any:
    """The schema with every object closed to undocumented properties: a body may not carry
    fields its schema does not publish (a hand-built dict drifting from the schema)."""
    if isinstance(schema, list):
        return [_closed(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    closed = {key: _closed(value) for key, value in schema.items()}
    if "properties" in closed and "additionalProperties" not in closed:
        closed["additionalProperties"] = False
    return closed


def _reprs(value: Any) -> Iterator[str]:
    """Strings that are Python reprs of dicts or lists (a value rendered with ``str()``)."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _reprs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _reprs(item)
    elif isinstance(value, str) and re.match(r"^[\[{]'", value):
        yield value


@pytest.fixture(scope="class")
def demo(demo_company: Any, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock():
        yield


@pytest.fixture(scope="class")
def spec(demo: None) -> dict[str, Any]:
    document: dict[str, Any] = Client(SERVER_NAME="127.0.0.1").get("/api/openapi.json").json()
    return document


@pytest.fixture
def superuser_client(make_user: Callable[..., Any]) -> Client:
    return bearer(make_user(superuser=True), write=False)


@pytest.mark.django_db
class TestEveryGetAgainstTheOpenAPIDocument:
    @pytest.mark.parametrize(
        ("path", "operation"), OPERATIONS, ids=[op["operationId"] for _, op in OPERATIONS]
    )
    def test_responses_validate(
        self,
        spec: dict[str, Any],
        superuser_client: Client,
        path: str,
        operation: dict[str, Any],
    ) -> None:
        published = spec["paths"][path]["get"]
        schema = _response_schema(published)
        validator = (
            None
            if schema is None
            else Draft202012Validator(
                _closed({**schema, "components": spec["components"]}),
                format_checker=Draft202012Validator.FORMAT_CHECKER,
            )
        )
        problems: list[str] = []
        for index, query in enumerate(_queries(path)):
            url = _url(path, index)
            response = superuser_client.get(url, query)
            assert response.status_code == 200, (url, query, response.content[:500])
            if validator is None:  # a file download (CSV/XLSX/JSON estate), not a schema body
                continue
            bodies = [response.json()]
            following = bodies[0].get("next") if isinstance(bodies[0], dict) else None
            if following:
                page = superuser_client.get(url, {**query, "cursor": following})
                assert page.status_code == 200, (url, page.content[:500])
                bodies.append(page.json())
            for body in bodies:
                problems += [
                    f"{url} {query}: {'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
                    for e in validator.iter_errors(body)
                ][:5]
                problems += [f"{url}: a value renders a repr: {r[:80]}" for r in _reprs(body)]
        reason = KNOWN_EXCEPTIONS.get(operation["operationId"])
        if reason is not None:
            assert problems, f"fixed? remove the known exception ({reason})"
            pytest.xfail(reason)
        assert not problems, "\n".join(problems)

    def test_every_operation_id_names_one_operation(self) -> None:
        ids = [op["operationId"] for _, op in OPERATIONS]
        assert len(ids) == len(set(ids))
        assert set(KNOWN_EXCEPTIONS) <= set(ids), "a known exception names no operation"


def test_no_two_schemas_share_a_name() -> None:
    """ninja publishes one component per class name: two ``PersonOut``s would document one
    endpoint with the other's shape (the org person was documented as a person to notify)."""
    from ninja import Schema

    seen: dict[str, str] = {}
    clashes = []

    def walk(cls: type) -> None:
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("assetgraph."):
                where = f"{sub.__module__}.{sub.__qualname__}"
                if sub.__name__ in seen and seen[sub.__name__] != where:
                    clashes.append(f"{sub.__name__}: {seen[sub.__name__]} and {where}")
                seen.setdefault(sub.__name__, where)
            walk(sub)

    walk(Schema)
    assert not clashes, clashes
