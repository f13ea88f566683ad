"""The generic permission harness on the licences app's resources: publishers, families,
products, suites, normalisation rules, core factors, entitlements and allocations (API and
pages, constraints, 404s, audit events)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.test import Client

from assetgraph.audit.models import AuditEvent
from assetgraph.cmdb import services as cmdb
from assetgraph.cmdb.models import CIClass
from assetgraph.core import registry
from assetgraph.core.actor import Actor
from assetgraph.licences import services
from assetgraph.licences.models import (
    ConcurrencySample,
    Entitlement,
    Product,
    ProductMapping,
    Publisher,
    SaasUsage,
)
from assetgraph.licences.usage import import_usage, parse_rows, record_concurrency

from ..harness import NEVER, PermissionHarness
from ..test_permission_coverage import ReadSurfaceHarness

SYSTEM = Actor.system("harness")


def _publisher(name: str = "Harness Corp") -> Publisher:
    return services.create_publisher(SYSTEM, {"name": name})


def _product(name: str = "Harness Suite Pro") -> Product:
    return services.create_product(SYSTEM, {"name": name, "publisher": _publisher(f"{name} Inc")})


def _quiet_publisher(name: str = "Quiet Corp") -> Publisher:
    """A publisher written without an audit event: ``create_payload`` runs between the
    harness's before/after counts, so it must not write anything they count."""
    publisher, _ = Publisher.objects.get_or_create(name=name)
    return publisher


def _quiet_product(name: str = "Quiet Product") -> Product:
    product, _ = Product.objects.get_or_create(name=name, publisher=_quiet_publisher())
    return product


def _quiet_entitlement(name: str = "Quiet licence") -> Entitlement:
    entitlement, _ = Entitlement.objects.get_or_create(
        name=name, defaults={"product": _quiet_product(), "metric": "user", "quantity": 10}
    )
    return entitlement


class TestPublisherPermissions(PermissionHarness):
    object_type = "licences.publisher"
    path = "/api/licences/publishers/"
    update_payload = {"website": "https://harness.example"}

    def make_object(self, site: dict[str, Any]) -> Any:
        return _publisher()

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {"name": "New Publisher"}


class TestProductFamilyPermissions(PermissionHarness):
    object_type = "licences.productfamily"
    path = "/api/licences/families/"
    update_payload = {"name": "Patched family"}

    def make_object(self, site: dict[str, Any]) -> Any:
        return services.create_family(SYSTEM, {"name": "Harness family", "publisher": _publisher()})

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {"name": "New family", "publisher_id": _quiet_publisher().pk}


class TestProductPermissions(PermissionHarness):
    object_type = "licences.product"
    path = "/api/licences/products/"
    update_payload = {"edition": "Patched"}

    def make_object(self, site: dict[str, Any]) -> Any:
        return _product()

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {"name": "New product", "publisher_id": _quiet_publisher().pk, "version": "2"}


class TestSuitePermissions(PermissionHarness):
    object_type = "licences.suite"
    path = "/api/licences/suites/"
    update_payload = {"name": "Patched suite"}

    def make_object(self, site: dict[str, Any]) -> Any:
        product = _product()
        return services.create_suite(
            SYSTEM,
            {"name": "Harness suite", "publisher": product.publisher, "products": [product.pk]},
        )

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        product = _quiet_product()
        return {
            "name": "New suite",
            "publisher_id": product.publisher_id,
            "products": [product.pk],
        }


class TestNormalisationRulePermissions(PermissionHarness):
    object_type = "licences.normalisationrule"
    path = "/api/licences/rules/"
    update_payload = {"priority": 7}

    def make_object(self, site: dict[str, Any]) -> Any:
        return services.create_rule(
            SYSTEM, {"name_pattern": "Harness*", "product": _product(), "priority": 50}
        )

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {"name_pattern": "Quiet*", "product_id": _quiet_product().pk}


class TestCoreFactorPermissions(PermissionHarness):
    object_type = "licences.corefactor"
    path = "/api/licences/core-factors/"
    update_payload = {"priority": 9}

    def make_object(self, site: dict[str, Any]) -> Any:
        return services.create_core_factor(
            SYSTEM, {"processor_pattern": "Harness*", "factor": "0.50", "priority": 20}
        )

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {"processor_pattern": "Quiet*", "factor": "0.75"}


class TestEntitlementPermissions(PermissionHarness):
    object_type = "licences.entitlement"
    path = "/api/licences/entitlements/"
    update_payload = {"quantity": 12}

    def make_object(self, site: dict[str, Any]) -> Any:
        return services.create_entitlement(
            SYSTEM,
            {"name": "Harness licence", "product": _product(), "metric": "user", "quantity": 5},
        )

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": "New licence",
            "product_id": _quiet_product().pk,
            "metric": "device",
            "quantity": 3,
        }


class TestAllocationPermissions(PermissionHarness):
    """Allocations are never deleted (seats are reclaimed): the type has no ``delete``, so the
    generic DELETE must change nothing whatever the constraint."""

    object_type = "licences.allocation"
    path = "/api/licences/allocations/"
    update_payload = {"note": "patched by the harness"}

    def make_object(self, site: dict[str, Any]) -> Any:
        entitlement = services.create_entitlement(
            SYSTEM,
            {"name": "Harness seats", "product": _product(), "metric": "user", "quantity": 5},
        )
        return services.allocate_seats(SYSTEM, entitlement, {"person": site["minh"]})

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        return {"entitlement_id": _quiet_entitlement().pk, "person_id": site["ana"].pk}

    def client(
        self,
        make_user: Callable[..., Any],
        actions: list[str],
        constraints: Any = None,
        *,
        view_all: bool = False,
    ) -> Client:
        """The generic tests ask for ``delete`` too; an allocation has no such action."""
        own = [a for a in actions if a in registry.get(self.object_type).actions]
        return super().client(make_user, own, constraints, view_all=view_all)

    def test_ui_add_edit_and_delete_follow_the_constraint(
        self, site: dict[str, Any], make_user: Callable[..., Any]
    ) -> None:
        """No edit or delete page: the add page needs ``add``; the detail page of an allowed
        allocation offers no edit or delete button."""
        from assetgraph.framework.spec import resource_for

        resource = resource_for(self.object_type)
        assert resource is not None and not {"edit", "delete"} & resource.pages
        obj = self.make_object(site)
        denied = self._ui(make_user, ["view", "change"], NEVER)
        before = self.counts()
        assert denied.get(resource.url("add")).status_code in (403, 404)
        assert denied.get(resource.url("detail", obj.pk)).status_code == 404
        assert self.counts() == before
        allowed = self._ui(make_user, ["view", "change"], {"id": obj.pk})
        page = allowed.get(resource.url("detail", obj.pk))
        assert page.status_code == 200
        assert b"bi-pencil" not in page.content and b"bi-trash" not in page.content

    def test_constraint_that_allows_permits_read_update_delete(
        self, site: dict[str, Any], make_user: Callable[..., Any]
    ) -> None:
        obj = self.make_object(site)
        client = self.client(make_user, ["view", "change"], {"id": obj.pk})
        listing = client.get(self.path, {"limit": 1000}).json()["results"]
        assert [row["id"] for row in listing if row["id"] == obj.pk] == [obj.pk]
        detail = client.get(f"{self.path}{obj.pk}")
        assert detail.status_code == 200 and detail["ETag"]
        rows, events = self.counts()
        patched = self.send(
            client,
            "patch",
            f"{self.path}{obj.pk}",
            self.update_payload,
            HTTP_IF_MATCH=detail["ETag"],
        )
        assert patched.status_code == 200, patched.content
        assert self.counts() == (rows, events + 1)
        last = AuditEvent.objects.order_by("-id").first()
        assert last is not None
        assert (last.action, last.object_id, last.source, last.actor_type) == (
            "update",
            str(obj.pk),
            "api",
            "token",
        )
        # No delete action: refused (the object is visible, so 403 or 405), nothing changes.
        assert client.delete(f"{self.path}{obj.pk}").status_code in (403, 405)
        assert self.counts() == (rows, events + 1)


# -- evidence rows: no endpoints of their own; their surface is the audit log ---------------


class _EvidenceVisibility(ReadSurfaceHarness):
    """Evidence rows (written by imports and rule runs) are read through their audit events:
    under a constraint the log lists only the events of the rows the user may view."""

    def list_url(self, obj: Any) -> str:
        return f"/api/audit/events?object_type={self.object_type}&limit=1000"

    def listed_ids(self, body: Any) -> list[Any]:
        return [int(row["object_id"]) for row in body["results"]]


class TestSaasUsageVisibility(_EvidenceVisibility):
    object_type = "licences.saasusage"

    def make_object(self, site: dict[str, Any]) -> Any:
        product = _product("Harness SaaS")
        rows = parse_rows([{"user": "minh@example.com", "last_active": "2026-11-02"}])
        import_usage(SYSTEM, product, rows)
        return SaasUsage.objects.get(product=product)


class TestConcurrencySampleVisibility(_EvidenceVisibility):
    object_type = "licences.concurrencysample"

    def make_object(self, site: dict[str, Any]) -> Any:
        product = _product("Harness CAD")
        at = dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC)
        record_concurrency(SYSTEM, product, [(at, 4)])
        return ConcurrencySample.objects.get(product=product)


class TestProductMappingVisibility(_EvidenceVisibility):
    object_type = "licences.productmapping"

    def make_object(self, site: dict[str, Any]) -> Any:
        product = _product("Harness DB")
        services.create_rule(SYSTEM, {"name_pattern": "Harness DB*", "product": product})
        ci = cmdb.create_ci(
            SYSTEM, {"name": "db-harness", "ci_class": CIClass.objects.get(name="Computer System")}
        )
        # Another catalogue entry first, so the mapping's id and its entry's id differ.
        for publisher, name in (("Other Co", "Unmapped tool"), ("Acme", "Harness DB Server")):
            cmdb.record_software_install(
                SYSTEM, ci, {"publisher": publisher, "product": name, "version": "1"}
            )
        services.apply_normalisation_rules(SYSTEM)
        return ProductMapping.objects.get(product=product)
