"""A reusable permission harness for REST resources (NetBox's pattern, made generic).

Subclass :class:`PermissionHarness`, set ``object_type``, ``path`` and the two factories, and
the subclass gets tests for anonymous, no-permission, constraint-denies, constraint-allows and
create-outside-constraint, on the API and the UI, each asserting status codes, row counts and
audit-event counts.

:class:`CrossTypeHarness` covers the other half: every surface that lists another type's
objects (the audit log, History tabs, campaign items, custody lists, search, exports), declared
in :data:`CROSS_TYPE_SURFACES` and checked under an object constraint and without ``view_cost``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest
from django.db import models
from django.test import Client
from django.urls import reverse

from assetgraph.audit.models import AuditEvent
from assetgraph.core import registry

from .conftest import bearer

NEVER = {"id": -1}  # a constraint no object satisfies


class PermissionHarness:
    """Base class; subclasses named ``Test…`` are collected by pytest."""

    object_type: ClassVar[str]
    path: ClassVar[str]  # e.g. "/api/org/people/"

    def make_object(self, site: dict[str, Any]) -> models.Model:
        raise NotImplementedError

    def create_payload(self, site: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    update_payload: ClassVar[dict[str, Any]]

    # -- helpers ---------------------------------------------------------------------------

    @property
    def model(self) -> type[models.Model]:
        return registry.get(self.object_type).model

    def counts(self) -> tuple[int, int]:
        return self.model._default_manager.count(), AuditEvent.objects.count()

    def client(
        self,
        make_user: Callable[..., Any],
        actions: list[str],
        constraints: Any = None,
        *,
        view_all: bool = False,
    ) -> Client:
        """A token client with ``actions`` on this type (constrained) and view on every other type
        (on this one too with ``view_all``, so references in payloads resolve)."""
        others = [
            t.key
            for t in registry.all_types()
            if (view_all or t.key != self.object_type) and "view" in t.actions
        ]
        user = make_user(
            permissions=[([self.object_type], actions, constraints), (others, ["view"], None)]
        )
        return bearer(user)

    @staticmethod
    def send(
        client: Client, method: str, url: str, body: dict[str, Any] | None = None, **headers: str
    ) -> Any:
        kwargs: dict[str, Any] = {"content_type": "application/json"}
        if body is not None:
            kwargs["data"] = json.dumps(body, default=str)
        return getattr(client, method)(url, **kwargs, **headers)

    # -- the tests ---------------------------------------------------------------------------

    def test_anonymous_gets_401_and_changes_nothing(self, site: dict[str, Any]) -> None:
        obj = self.make_object(site)
        before = self.counts()
        client = Client()
        assert client.get(self.path).status_code == 401
        assert client.get(f"{self.path}{obj.pk}").status_code == 401
        assert self.send(client, "post", self.path, self.create_payload(site)).status_code == 401
        assert (
            self.send(client, "patch", f"{self.path}{obj.pk}", self.update_payload).status_code
            == 401
        )
        assert client.delete(f"{self.path}{obj.pk}").status_code == 401
        assert self.counts() == before
        entry = registry.get(self.object_type)
        if entry.list_url_name:
            response = client.get(reverse(entry.list_url_name))
            assert response.status_code == 302
            assert "/login/" in response["Location"]

    def test_no_permission_is_403_for_lists_and_404_for_objects(
        self, site: dict[str, Any], make_user: Callable[..., Any]
    ) -> None:
        obj = self.make_object(site)
        client = bearer(make_user())
        before = self.counts()
        assert client.get(self.path).status_code == 403
        assert client.get(f"{self.path}{obj.pk}").status_code == 404
        assert self.send(client, "post", self.path, self.create_payload(site)).status_code == 403
        assert (
            self.send(client, "patch", f"{self.path}{obj.pk}", self.update_payload).status_code
            == 404
        )
        assert client.delete(f"{self.path}{obj.pk}").status_code == 404
        assert self.counts() == before

    def test_constraint_that_denies_hides_the_object(
        self, site: dict[str, Any], make_user: Callable[..., Any]
    ) -> None:
        obj = self.make_object(site)
        client = self.client(make_user, ["view", "change", "delete"], NEVER)
        before = self.counts()
        listing = client.get(self.path, {"limit": 1000})
        assert listing.status_code == 200
        assert obj.pk not in [row["id"] for row in listing.json()["results"] if "id" in row]
        assert client.get(f"{self.path}{obj.pk}").status_code == 404
        assert (
            self.send(client, "patch", f"{self.path}{obj.pk}", self.update_payload).status_code
            == 404
        )
        assert client.delete(f"{self.path}{obj.pk}").status_code == 404
        assert self.counts() == before

    def test_constraint_that_allows_permits_read_update_delete(
        self, site: dict[str, Any], make_user: Callable[..., Any]
    ) -> None:
        obj = self.make_object(site)
        client = self.client(make_user, ["view", "change", "delete"], {"id": obj.pk})
        listing = client.get(self.path, {"limit": 1000}).json()["results"]
        assert [row.get("id", None) for row in listing if row.get("id") == obj.pk] == [obj.pk]
        detail = client.get(f"{self.path}{obj.pk}")
        assert detail.status_code == 200
        assert detail["ETag"]
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
        assert last.action == "update"
        assert last.object_id == str(obj.pk)
        assert last.source == "api"
        assert last.actor_type == "token"
        assert client.delete(f"{self.path}{obj.pk}").status_code in (204, 409)
        if not self.model._default_manager.filter(pk=obj.pk).exists():
            assert self.counts() == (rows - 1, events + 2)
            assert AuditEvent.objects.order_by("-id").first().action == "delete"  # type: ignore[union-attr]

    def test_create_needs_add_and_a_matching_constraint(
        self, site: dict[str, Any], make_user: Callable[..., Any]
    ) -> None:
        denied = self.client(make_user, ["add"], NEVER, view_all=True)
        before = self.counts()
        response = self.send(denied, "post", self.path, self.create_payload(site))
        assert response.status_code == 403, response.content
        assert response.json()["error"]["code"] == "permission_denied"
        assert self.counts() == before
        allowed = self.client(make_user, ["add"], view_all=True)
        before = self.counts()
        response = self.send(allowed, "post", self.path, self.create_payload(site))
        assert response.status_code == 201, response.content
        assert self.counts() == (before[0] + 1, before[1] + 1)

    def test_ui_detail_is_404_when_hidden_and_200_when_visible(
        self, site: dict[str, Any], make_user: Callable[..., Any]
    ) -> None:
        entry = registry.get(self.object_type)
        if not entry.detail_url_name:
            pytest.skip("no detail page")
        obj = self.make_object(site)
        hidden = Client()
        hidden.force_login(make_user(permissions=[([self.object_type], ["view"], NEVER)]))
        assert hidden.get(reverse(entry.detail_url_name, args=[obj.pk])).status_code == 404
        visible = Client()
        visible.force_login(make_user(permissions=[([self.object_type], ["view"], {"id": obj.pk})]))
        page = visible.get(reverse(entry.detail_url_name, args=[obj.pk]))
        assert page.status_code == 200
        assert b"History" in page.content

    def _ui(self, make_user: Callable[..., Any], actions: list[str], constraints: Any) -> Client:
        client = Client()
        others = [t.key for t in registry.all_types() if t.key != self.object_type]
        client.force_login(
            make_user(
                permissions=[([self.object_type], actions, constraints), (others, ["view"], None)]
            )
        )
        return client

    def test_ui_add_edit_and_delete_follow_the_constraint(
        self, site: dict[str, Any], make_user: Callable[..., Any]
    ) -> None:
        """The pages' writes under a constraint, as the API's: a denied object's edit and
        delete pages are 404 and change nothing; an allowed one is edited and deleted through
        the service; the add page needs ``add``."""
        from assetgraph.framework.spec import resource_for

        resource = resource_for(self.object_type)
        if resource is None or not resource.has_pages:
            pytest.skip("no generic pages")
        obj = self.make_object(site)
        denied = self._ui(make_user, ["view", "change", "delete"], NEVER)
        before = self.counts()
        assert denied.get(resource.url("edit", obj.pk)).status_code == 404
        assert denied.post(resource.url("edit", obj.pk), {}).status_code == 404
        if "delete" in resource.pages:
            assert denied.post(resource.url("delete", obj.pk)).status_code == 404
        add_page = denied.get(resource.url("add"))
        assert add_page.status_code in (403, 404)
        assert self.counts() == before

        allowed = self._ui(make_user, ["view", "change", "delete"], {"id": obj.pk})
        assert allowed.get(resource.url("edit", obj.pk)).status_code == 200
        if "delete" not in resource.pages:
            return
        rows, events = self.counts()
        response = allowed.post(resource.url("delete", obj.pk))
        assert response.status_code in (302, 409)
        if response.status_code == 302:
            assert self.counts() == (rows - 1, events + 1)
            last = AuditEvent.objects.order_by("-id").first()
            assert last is not None and last.action == "delete" and last.source == "ui"
        else:
            assert self.counts() == (rows, events)


# -- surfaces that list one type's rows about another type's objects -----------------------
#
# The harness above tests each resource's own endpoints. The leaks that remain are on surfaces
# that show *other* types' objects: the audit log (events about anything), History tabs
# (references to other objects, gated fields such as cost), a campaign's items (assets), a
# person's custody list, search, exports. Each such surface is declared once below; the
# scenario puts objects inside and outside a constraint (assets and people limited to EMEA)
# and the harness checks, surface by surface, that a constrained user without ``view_cost``
# sees the in-scope objects and nothing out of scope, while an unconstrained user with
# ``view_cost`` sees both (so a surface cannot pass by showing nothing).
# ``test_every_cross_type_surface_is_enumerated`` fails when a new view or API operation
# renders audit events or campaign items without being declared here.

OUT_OF_SCOPE = ("OUT-AMER-1", "Otto", "Outscope", "4321.99", "420.00")


@dataclass(frozen=True)
class CrossTypeSurface:
    """One surface: how to fetch it, which view or operation it covers, what it must show."""

    name: str
    url: Callable[[dict[str, Any]], str]
    covers: tuple[str, ...]  # view callables ("module.function") or API paths it exercises
    # Markers an unconstrained user with view_cost must see there (proves it lists them).
    control: tuple[str, ...] = ()
    # Markers the constrained user must see there (proves it is not simply empty).
    in_scope: tuple[str, ...] = ()
    session: bool = True  # a browser session (UI) or a bearer token (API)


def _compare_url(asset: Any) -> str:
    """The compare page from the asset's first version to its last."""
    from assetgraph.audit.models import AuditEvent

    ids = list(AuditEvent.objects.for_object("assets.asset", asset.pk).values_list("id", flat=True))
    return f"/assets/assets/{asset.pk}/history/compare/?from={min(ids)}&to={max(ids)}"


def _campaign(s: dict[str, Any]) -> int:
    return int(s["campaign"].pk)


CROSS_TYPE_SURFACES: tuple[CrossTypeSurface, ...] = (
    CrossTypeSurface(
        "api audit events",
        lambda s: "/api/audit/events?limit=1000",
        ("/api/audit/events",),
        control=OUT_OF_SCOPE,
        in_scope=("IN-EMEA-1", "Inga"),
        session=False,
    ),
    CrossTypeSurface(
        "api audit events of assets",
        lambda s: "/api/audit/events?limit=1000&object_type=assets.asset",
        ("/api/audit/events",),
        control=("OUT-AMER-1", "4321.99", "420.00"),
        in_scope=("IN-EMEA-1",),
        session=False,
    ),
    CrossTypeSurface(
        "api audit events of the campaign",
        lambda s: f"/api/audit/events?object_type=assets.auditcampaign&object_id={_campaign(s)}",
        ("/api/audit/events",),
        control=("OUT-AMER-1",),
        in_scope=("IN-EMEA-1",),
        session=False,
    ),
    CrossTypeSurface(
        "ui audit log",
        lambda s: "/audit/?object_type=assets.asset",
        ("assetgraph.ui.views.audit_log",),
        control=("OUT-AMER-1", "4321.99"),
        in_scope=("IN-EMEA-1",),
    ),
    CrossTypeSurface("ui dashboard", lambda s: "/", ("assetgraph.ui.views.dashboard",)),
    CrossTypeSurface(
        "ui asset history",
        lambda s: f"/assets/assets/{s['in_asset'].pk}/history/",
        ("assetgraph.ui.generic.history_view",),
        control=("Inga", "4321.99", "420.00"),
        in_scope=("Inga",),
    ),
    CrossTypeSurface(
        "ui asset history compare (first version to last)",
        lambda s: _compare_url(s["in_asset"]),
        ("assetgraph.ui.generic.compare_view",),
        control=("Inga", "4321.99", "420.00"),
        in_scope=("Inga",),
    ),
    CrossTypeSurface(
        "ui campaign history",
        lambda s: f"/assets/audits/{_campaign(s)}/history/",
        ("assetgraph.assets.audits_views.audit_history",),
        control=("OUT-AMER-1",),
        in_scope=("IN-EMEA-1",),
    ),
    CrossTypeSurface(
        "ui campaign detail",
        lambda s: f"/assets/audits/{_campaign(s)}/",
        ("assetgraph.assets.audits_views.audit_detail",),
        control=("OUT-AMER-1",),
        in_scope=("IN-EMEA-1",),
    ),
    CrossTypeSurface(
        "api campaign items",
        lambda s: f"/api/assets/audits/{_campaign(s)}/items",
        ("/api/assets/audits/{campaign_id}/items",),
        control=("OUT-AMER-1",),
        in_scope=("IN-EMEA-1",),
        session=False,
    ),
    CrossTypeSurface(
        "api campaign counts",
        lambda s: f"/api/assets/audits/{_campaign(s)}",
        ("/api/assets/audits/{campaign_id}",),
        control=('"unexpected": 1',),
        in_scope=('"unexpected": 0',),
        session=False,
    ),
    CrossTypeSurface(
        "ui person custody",
        lambda s: f"/assets/people/{s['inga'].pk}/custody/",
        ("assetgraph.assets.views.person_custody",),
        control=("OUT-AMER-1",),
    ),
    CrossTypeSurface(
        "ui search",
        lambda s: "/search/?q=scope",
        ("assetgraph.ui.views.search",),
        control=("Otto", "Inga"),
        in_scope=("Inga",),
    ),
    CrossTypeSurface(
        "api asset list",
        lambda s: "/api/assets/assets/?limit=1000",
        ("/api/assets/assets/",),
        control=("OUT-AMER-1", "4321.99"),
        in_scope=("IN-EMEA-1",),
        session=False,
    ),
    CrossTypeSurface(
        "api asset export",
        lambda s: "/api/assets/assets/export?format=csv",
        ("/api/assets/assets/export",),
        control=("OUT-AMER-1", "4321.99"),
        in_scope=("IN-EMEA-1",),
        session=False,
    ),
)

# Views and operations that render audit events or campaign items but need no surface above,
# each with the reason.
CROSS_TYPE_EXEMPT: dict[str, str] = {
    "assetgraph.ui.views.user_detail": "a user's own account events; needs accounts.user view",
}
# What marks a view or an operation as showing another type's rows.
CROSS_TYPE_MARKERS = ("describe(", "items_of(", "visible_events(")
CROSS_TYPE_SCHEMAS = ("AuditEventOut", "AuditItemOut")


def build_constrained_scenario(
    site: dict[str, Any], make_asset: Callable[..., Any], system: Any
) -> dict[str, Any]:
    """Objects inside and outside EMEA: people, assets with a changed cost, an EMEA person
    holding an American asset, and a London campaign that scanned the American asset.

    References from a visible object read as on its Overview (a visible asset names its
    custodian, as NetBox does), so no in-scope object refers to an out-of-scope one here."""
    from decimal import Decimal

    from assetgraph.assets import services as asset_services
    from assetgraph.org import services as org

    amer = org.create_location(system, {"name": "AMER", "kind": "region"})
    new_york = org.create_location(
        system, {"name": "New York", "kind": "site", "parent": amer, "country": "US"}
    )
    inga = org.create_person(
        system,
        {
            "employee_number": "E10",
            "first_name": "Inga",
            "last_name": "Inscope",
            "location": site["london"],
        },
    )
    otto = org.create_person(
        system,
        {
            "employee_number": "E11",
            "first_name": "Otto",
            "last_name": "Outscope",
            "location": new_york,
        },
    )
    in_asset = make_asset(
        "u27", asset_tag="IN-EMEA-1", location=site["room"], cost=Decimal("420.00")
    )
    out_asset = make_asset("u27", asset_tag="OUT-AMER-1", location=new_york, cost=Decimal("420.00"))
    for asset in (in_asset, out_asset):
        asset_services.update_asset(system, asset, {"cost": Decimal("4321.99")})
    asset_services.check_out_asset(system, in_asset, to_person=inga)
    asset_services.check_out_asset(system, out_asset, to_person=inga)
    campaign = asset_services.start_audit_campaign(system, site["london"], name="London sweep")
    asset_services.scan_asset_tag(system, campaign, "IN-EMEA-1")
    asset_services.scan_asset_tag(system, campaign, "OUT-AMER-1")
    return {
        **site,
        "inga": inga,
        "otto": otto,
        "in_asset": in_asset,
        "out_asset": out_asset,
        "campaign": campaign,
    }


class CrossTypeHarness:
    """Subclass with a ``scenario`` fixture built by :func:`build_constrained_scenario`."""

    EMEA = {"location__path__startswith": "EMEA"}

    def constrained_user(self, make_user: Callable[..., Any]) -> Any:
        """Assets and people in EMEA only, the audit log, campaigns; no ``view_cost``."""
        others = [
            t.key
            for t in registry.all_types()
            if t.key not in {"assets.asset", "org.person"} and "view" in t.actions
        ]
        return make_user(
            permissions=[
                (["assets.asset", "org.person"], ["view"], self.EMEA),
                (["assets.auditcampaign"], ["view", "scan"], None),
                (others, ["view"], None),
            ]
        )

    def unconstrained_user(self, make_user: Callable[..., Any]) -> Any:
        everything = [t.key for t in registry.all_types() if "view" in t.actions]
        return make_user(
            permissions=[(everything, ["view"], None), (["assets.asset"], ["view_cost"], None)]
        )

    @staticmethod
    def fetch(user: Any, surface: CrossTypeSurface, scenario: dict[str, Any]) -> tuple[int, str]:
        if surface.session:
            client = Client()
            client.force_login(user)
        else:
            client = bearer(user)
        response = client.get(surface.url(scenario))
        return response.status_code, response.content.decode("utf-8", "replace")

    @pytest.mark.parametrize("surface", CROSS_TYPE_SURFACES, ids=lambda s: s.name)
    def test_a_constrained_user_sees_nothing_out_of_scope(
        self, surface: CrossTypeSurface, scenario: dict[str, Any], make_user: Callable[..., Any]
    ) -> None:
        status, control = self.fetch(self.unconstrained_user(make_user), surface, scenario)
        assert status == 200, (surface.name, status, control[:300])
        missing = [m for m in surface.control if m not in control]
        assert not missing, f"{surface.name}: the control user does not see {missing}"
        status, seen = self.fetch(self.constrained_user(make_user), surface, scenario)
        assert status == 200, (surface.name, status, seen[:300])
        leaks = [m for m in OUT_OF_SCOPE if m in seen]
        assert not leaks, f"{surface.name} leaks {leaks} to a user limited to EMEA"
        absent = [m for m in surface.in_scope if m not in seen]
        assert not absent, f"{surface.name}: the constrained user does not see {absent}"

    def test_every_cross_type_surface_is_enumerated(self) -> None:
        """Every view whose code renders events or campaign items, and every API operation
        that returns them, is declared in CROSS_TYPE_SURFACES (or exempt with a reason)."""
        import inspect

        from django.urls import URLPattern, URLResolver, get_resolver

        from assetgraph.site.api import api

        covered = {c for s in CROSS_TYPE_SURFACES for c in s.covers} | set(CROSS_TYPE_EXEMPT)
        found: set[str] = set()

        def walk(patterns: list[Any]) -> None:
            for pattern in patterns:
                if isinstance(pattern, URLResolver):
                    walk(pattern.url_patterns)
                elif isinstance(pattern, URLPattern):
                    callback = inspect.unwrap(pattern.callback)
                    callback = getattr(callback, "func", callback)  # functools.partial
                    name = f"{callback.__module__}.{callback.__qualname__}"
                    if not name.startswith("assetgraph.") or "ninja" in name:
                        continue
                    try:
                        source = inspect.getsource(callback)
                    except (OSError, TypeError):
                        continue
                    if any(marker in source for marker in CROSS_TYPE_MARKERS):
                        found.add(name)

        walk(get_resolver().url_patterns)
        schema = api.get_openapi_schema()
        for path, operations in schema["paths"].items():
            for operation in operations.values():
                text = json.dumps(operation.get("responses", {}))
                if any(name in text for name in CROSS_TYPE_SCHEMAS):
                    found.add(path)
        assert found, "the enumeration found nothing: the markers are stale"
        assert not found - covered, f"undeclared cross-type surfaces: {sorted(found - covered)}"
