"""CI reads serialised from plain rows: same shape as the schema, bounded queries, keyset
pages, permissions still applied."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import RequestFactory

from assetgraph.cmdb import schemas, services
from assetgraph.cmdb.models import CI
from assetgraph.core.actor import Actor
from assetgraph.framework.etags import etag_for
from assetgraph.site.api import api as ninja_api

from .conftest import cls

pytestmark = pytest.mark.django_db


def _vms(count: int, site: dict[str, Any]) -> list[CI]:
    return [
        services.create_ci(
            Actor.system(),
            {
                "name": f"page-vm-{i:03d}",
                "ci_class": cls("Virtual Machine"),
                "owning_team": site["it"] if i % 2 else site["finance"],
                "support_group": site["it"],
                "location": site["room"],
                "attributes": {"hostname": f"page-vm-{i:03d}", "os": "Ubuntu", "ram_gb": 8},
            },
        )
        for i in range(count)
    ]


def _schema_json(ci: CI, user: Any) -> Any:
    """What the schema itself renders for the instance (the reference the rows must match)."""
    request = RequestFactory().get("/")
    request.user = user
    out = schemas.CIOut.from_orm(ci, context={"request": request}).model_dump()
    return json.loads(ninja_api.create_response(request, out, status=200).content)


def test_detail_matches_the_schema_and_keeps_etags(
    site: dict[str, Any], make_user: Any, django_assert_max_num_queries: Any
) -> None:
    ci = _vms(1, site)[0]
    user = make_user("IT Operations (NOC)")
    from ..conftest import bearer

    client = bearer(user)
    client.get(f"/api/cmdb/cis/{ci.pk}")  # warm the per-process caches
    # Token, grants, the CI, then one query per kind of related object (class, departments,
    # location): no joins, no query per field.
    with django_assert_max_num_queries(7):
        response = client.get(f"/api/cmdb/cis/{ci.pk}")
    assert response.status_code == 200
    body = response.json()
    fresh = CI.objects.select_related(
        "ci_class", "owning_team", "support_group", "location", "asset"
    ).get(pk=ci.pk)
    assert body == _schema_json(fresh, user)
    assert body["owning_team"]["display"] == str(site["finance"])
    assert body["attributes"] == {"hostname": "page-vm-000", "os": "Ubuntu", "ram_gb": 8}
    assert response["ETag"] == etag_for(fresh)
    again = client.get(f"/api/cmdb/cis/{ci.pk}", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_list_pages_cost_the_same_queries_whatever_their_size(
    site: dict[str, Any], make_user: Any, django_assert_max_num_queries: Any
) -> None:
    from ..conftest import bearer

    _vms(45, site)
    user = make_user("IT Operations (NOC)")
    client = bearer(user)
    client.get("/api/cmdb/cis/", {"limit": 5})  # warm the per-process caches
    params = {"ci_class_id": cls("Virtual Machine").pk, "attr.os": "Ubuntu"}
    with django_assert_max_num_queries(12) as small:
        client.get("/api/cmdb/cis/", {**params, "limit": 2})
    with django_assert_max_num_queries(len(small.captured_queries)) as large:
        page = client.get("/api/cmdb/cis/", {**params, "limit": 40}).json()
    assert len(large.captured_queries) == len(small.captured_queries)
    assert len(page["results"]) == 40 and page["next"]
    first = CI.objects.select_related(
        "ci_class", "owning_team", "support_group", "location", "asset"
    ).get(pk=page["results"][0]["id"])
    assert page["results"][0] == _schema_json(first, user)
    # Keyset: the next page starts after the last row; no row twice, none missing.
    rest = client.get("/api/cmdb/cis/", {**params, "limit": 40, "cursor": page["next"]}).json()
    names = [r["name"] for r in page["results"] + rest["results"]]
    assert names == sorted(names) and len(set(names)) == 45 and rest["next"] is None
    assert not any("count(" in q["sql"].lower() for q in large.captured_queries)


def test_lists_and_details_still_apply_object_permissions(site: dict[str, Any], api: Any) -> None:
    cis = _vms(4, site)
    allowed = [cis[0].pk, cis[2].pk]
    client = api(permissions=[(["cmdb.ci"], ["view"], {"id__in": allowed})])
    listing = client.get("/api/cmdb/cis/").json()["results"]
    assert sorted(r["id"] for r in listing) == allowed
    assert client.get(f"/api/cmdb/cis/{cis[1].pk}").status_code == 404
    # A user who may see CIs but not the linked asset sees no asset reference.
    assert all(r["asset"] is None for r in listing)


def test_as_of_rows_show_the_values_then(site: dict[str, Any], api: Any) -> None:
    ci = _vms(1, site)[0]
    from django.utils import timezone

    then = timezone.now()
    services.update_ci(Actor.system(), ci, {"attributes": {"os": "Debian"}})
    client = api("IT Operations (NOC)")
    old = client.get(f"/api/cmdb/cis/{ci.pk}", {"as_of": then.isoformat()}).json()
    assert old["attributes"]["os"] == "Ubuntu"
    rows = client.get("/api/cmdb/cis/", {"as_of": then.isoformat()}).json()["results"]
    assert [r["attributes"]["os"] for r in rows if r["id"] == ci.pk] == ["Ubuntu"]
    assert client.get(f"/api/cmdb/cis/{ci.pk}").json()["attributes"]["os"] == "Debian"
