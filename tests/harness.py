"""A reusable permission harness for REST resources (NetBox's pattern, made generic).

Subclass :class:`PermissionHarness`, set ``object_type``, ``path`` and the two factories, and
the subclass gets tests for anonymous, no-permission, constraint-denies, constraint-allows and
create-outside-constraint, on the API and the UI, each asserting status codes, row counts and
audit-event counts.
"""

from __future__ import annotations

import json
from collections.abc import Callable
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
