"""SCIM 2.0 compliance: scim2-tester, an independent checker, against a live server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from assetgraph.accounts import services as account_services
from assetgraph.core.actor import Actor

pytestmark = pytest.mark.django_db(transaction=True)


def provisioning_token(make_user: Callable[..., Any]) -> str:
    user = make_user("Admin")
    issued = account_services.create_api_token(
        Actor.system("t"), user, name="idp", write_enabled=True, scopes=["provisioning"]
    )
    return issued.plaintext


def run_checker(live_server: Any, token: str) -> list[Any]:
    from httpx2 import Client
    from scim2_client.engines.httpx2 import SyncSCIMClient
    from scim2_tester import check_server

    http = Client(
        base_url=f"{live_server.url}/scim/v2", headers={"Authorization": f"Bearer {token}"}
    )
    client = SyncSCIMClient(http)
    return check_server(client)


def test_scim2_tester_passes(live_server: Any, make_user: Callable[..., Any]) -> None:
    from scim2_tester import Status

    results = run_checker(live_server, provisioning_token(make_user))
    failures = [
        f"{r.resource_type or ''} {r.title}: {r.reason}"
        for r in results
        if r.status == Status.ERROR
    ]
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status.name] = counts.get(r.status.name, 0) + 1
    print("scim2-tester:", counts)
    for r in results:
        if r.status != Status.SUCCESS:
            print(r.status.name, r.resource_type, r.title, r.reason)
    assert not failures, "\n".join(failures)
