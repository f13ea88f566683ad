"""Every registered object type is under a permission harness.

The generic :class:`tests.harness.PermissionHarness` covers the resources with generic CRUD
endpoints and pages. The types whose surfaces are hand-built (accounts, the audit log,
campaigns, the software catalogue and installs) are covered here by
:class:`ReadSurfaceHarness`: anonymous is 401; without ``view`` no row is listed and an
object is 404; under a constraint that denies, the object is absent from the list and its
detail and writes are 404 and change nothing; under a constraint that allows, it is listed.
``test_every_registered_type_is_harnessed`` fails when a new type arrives without either.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import pytest
from django.db import models
from django.test import Client

from assetgraph.accounts import services as account_services
from assetgraph.accounts.models import APIToken, ObjectPermission, Role
from assetgraph.assets import services as asset_services
from assetgraph.audit.models import AuditEvent
from assetgraph.cmdb import services as cmdb_services
from assetgraph.core import registry
from assetgraph.core.actor import Actor

from .cmdb.conftest import cls
from .conftest import bearer
from .harness import NEVER, PermissionHarness

pytestmark = pytest.mark.django_db


class ReadSurfaceHarness:
    """Visibility of one type on its hand-built API surface."""

    object_type: ClassVar[str]

    def make_object(self, site: dict[str, Any]) -> models.Model:
        raise NotImplementedError

    def list_url(self, obj: Any) -> str:
        raise NotImplementedError

    def detail_url(self, obj: Any) -> str | None:
        return None

    def write(self, client: Client, obj: Any) -> Any:
        """One write on the object (None when the surface has none)."""
        return None

    deny: ClassVar[dict[str, Any]] = NEVER

    def allow(self, obj: Any) -> dict[str, Any]:
        """A constraint the object satisfies (on a field the type lets constraints name)."""
        return {"id": obj.pk}

    def listed_ids(self, body: Any) -> list[Any]:
        rows = body["results"] if isinstance(body, dict) else body
        return [row.get("id") for row in rows]

    @property
    def model(self) -> type[models.Model]:
        return registry.get(self.object_type).model

    def counts(self) -> tuple[int, int]:
        return self.model._default_manager.count(), AuditEvent.objects.count()

    def client(self, make_user: Callable[..., Any], constraints: Any, actions: list[str]) -> Client:
        others = [
            t.key for t in registry.all_types() if t.key != self.object_type and "view" in t.actions
        ]
        return bearer(
            make_user(
                permissions=[([self.object_type], actions, constraints), (others, ["view"], None)]
            )
        )

    def _hidden(self, client: Client, obj: Any) -> None:
        listing = client.get(self.list_url(obj))
        assert listing.status_code in (200, 403, 404), listing.content
        if listing.status_code == 200:
            assert obj.pk not in self.listed_ids(listing.json())
        detail = self.detail_url(obj)
        if detail is not None:
            assert client.get(detail).status_code == 404
        before = self.counts()
        response = self.write(client, obj)
        if response is not None:
            assert response.status_code == 404, response.content
        assert self.counts() == before

    def test_anonymous_gets_401(self, site: dict[str, Any]) -> None:
        obj = self.make_object(site)
        assert Client().get(self.list_url(obj)).status_code == 401
        detail = self.detail_url(obj)
        if detail is not None:
            assert Client().get(detail).status_code == 401

    def test_without_view_nothing_is_shown(
        self, site: dict[str, Any], make_user: Callable[..., Any]
    ) -> None:
        obj = self.make_object(site)
        self._hidden(bearer(make_user()), obj)

    def test_constraint_that_denies_hides_the_object(
        self, site: dict[str, Any], make_user: Callable[..., Any]
    ) -> None:
        obj = self.make_object(site)
        self._hidden(
            self.client(make_user, self.deny, list(registry.get(self.object_type).actions)), obj
        )

    def test_constraint_that_allows_shows_the_object(
        self, site: dict[str, Any], make_user: Callable[..., Any]
    ) -> None:
        obj = self.make_object(site)
        client = self.client(make_user, self.allow(obj), ["view"])
        listing = client.get(self.list_url(obj))
        assert listing.status_code == 200, listing.content
        assert obj.pk in self.listed_ids(listing.json())
        detail = self.detail_url(obj)
        if detail is not None:
            assert client.get(detail).status_code == 200


def _install(site: dict[str, Any]) -> Any:
    ci = cmdb_services.create_ci(
        Actor.system(),
        {"name": "srv-harness", "ci_class": cls("Virtual Machine"), "owning_team": site["it"]},
    )
    return cmdb_services.record_software_install(
        Actor.system(), ci, {"publisher": "PostgreSQL", "product": "PostgreSQL", "version": "16.2"}
    )


class TestSoftwareInstallVisibility(ReadSurfaceHarness):
    object_type = "cmdb.softwareinstall"

    def make_object(self, site: dict[str, Any]) -> Any:
        return _install(site)

    def list_url(self, obj: Any) -> str:
        return f"/api/cmdb/cis/{obj.ci_id}/software"

    def write(self, client: Client, obj: Any) -> Any:
        return client.delete(f"/api/cmdb/software-installs/{obj.pk}")


class TestSoftwareProductVisibility(ReadSurfaceHarness):
    object_type = "cmdb.softwareproduct"

    def make_object(self, site: dict[str, Any]) -> Any:
        return _install(site).product

    def list_url(self, obj: Any) -> str:
        return "/api/cmdb/software-products?limit=1000"


class TestAuditCampaignVisibility(ReadSurfaceHarness):
    object_type = "assets.auditcampaign"

    def make_object(self, site: dict[str, Any]) -> Any:
        return asset_services.start_audit_campaign(
            Actor.system(), site["berlin"], name="Harness audit"
        )

    def list_url(self, obj: Any) -> str:
        return "/api/assets/audits/?limit=1000"

    def detail_url(self, obj: Any) -> str:
        return f"/api/assets/audits/{obj.pk}"

    def write(self, client: Client, obj: Any) -> Any:
        return client.post(f"/api/assets/audits/{obj.pk}/close")


class TestUserVisibility(ReadSurfaceHarness):
    object_type = "accounts.user"

    def make_object(self, site: dict[str, Any]) -> Any:
        return account_services.create_user(Actor.system(), username="harness-user", password=None)

    def list_url(self, obj: Any) -> str:
        return "/api/accounts/users?limit=1000"

    def detail_url(self, obj: Any) -> str:
        return f"/api/accounts/users/{obj.pk}"

    def write(self, client: Client, obj: Any) -> Any:
        return client.post(f"/api/accounts/users/{obj.pk}/deactivate")


class TestRoleVisibility(ReadSurfaceHarness):
    object_type = "accounts.role"

    def make_object(self, site: dict[str, Any]) -> Any:
        return Role.objects.get(name="Helpdesk")

    def list_url(self, obj: Any) -> str:
        return "/api/accounts/roles"

    deny = {"name": "no such role"}

    def allow(self, obj: Any) -> dict[str, Any]:
        return {"name": obj.name}


class TestObjectPermissionVisibility(ReadSurfaceHarness):
    object_type = "accounts.objectpermission"

    def make_object(self, site: dict[str, Any]) -> Any:
        return ObjectPermission.objects.exclude(roles=None).order_by("pk").first()

    def list_url(self, obj: Any) -> str:
        return "/api/accounts/permissions"

    deny = {"name": "no such permission"}

    def allow(self, obj: Any) -> dict[str, Any]:
        return {"name": obj.name}


class TestAuditEventVisibility(ReadSurfaceHarness):
    object_type = "audit.auditevent"

    def make_object(self, site: dict[str, Any]) -> Any:
        return AuditEvent.objects.order_by("-id").first()

    def list_url(self, obj: Any) -> str:
        return "/api/audit/events?limit=1000"

    deny = {"action": "no such action"}

    def allow(self, obj: Any) -> dict[str, Any]:
        return {"object_type": obj.object_type, "action": obj.action}


class TestAPITokensArePersonal:
    """``accounts.apitoken`` has no constraint surface: tokens belong to their user alone."""

    def test_a_user_sees_and_revokes_only_their_own_tokens(
        self, make_user: Callable[..., Any]
    ) -> None:
        alice, bob = make_user("Admin"), make_user("Admin")
        bobs = account_services.create_api_token(Actor.system(), bob, name="bob's").token
        alices_client = bearer(alice)
        listed = [row["id"] for row in alices_client.get("/api/accounts/tokens").json()]
        assert bobs.pk not in listed and listed  # Alice's own bearer token is listed
        before = AuditEvent.objects.count()
        assert alices_client.delete(f"/api/accounts/tokens/{bobs.pk}").status_code == 404
        assert APIToken.objects.get(pk=bobs.pk).revoked_at is None
        assert AuditEvent.objects.count() == before
        assert Client().get("/api/accounts/tokens").status_code == 401


def _subclasses(base: type) -> list[type]:
    found: list[type] = []
    for sub in base.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


def test_every_registered_type_is_harnessed() -> None:
    import importlib
    import pkgutil

    import tests

    for module in pkgutil.walk_packages(tests.__path__, "tests."):
        if module.name.startswith(("tests.e2e", "tests.graph")) or "conftest" in module.name:
            continue
        importlib.import_module(module.name)
    covered = {
        getattr(sub, "object_type", None)
        for sub in _subclasses(PermissionHarness) + _subclasses(ReadSurfaceHarness)
    }
    covered.add("accounts.apitoken")  # TestAPITokensArePersonal
    missing = sorted(t.key for t in registry.all_types() if t.key not in covered)
    assert not missing, f"types with no permission harness: {missing}"
