"""Administration lists say when they are capped (issue 17): the token list ("Showing N of M",
the whole list paged, an export that holds no secret) and a user's History (the audit log
filtered to the account, and its export)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from assetgraph.accounts import services as account_services
from assetgraph.core.actor import Actor
from assetgraph.ui import admin_views

pytestmark = pytest.mark.django_db


def test_the_token_list_is_capped_paged_and_exported(
    make_user: Callable[..., Any], browser: Callable[..., Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(admin_views, "TOKEN_CAP", 2)
    owner = make_user("Helpdesk")
    issued = [
        account_services.create_api_token(Actor.system(), owner, name=f"script {i}")
        for i in range(3)
    ]
    admin = browser("Admin")
    page = admin.get("/tokens/").content.decode()
    total = page.count('id="token-')
    assert total == 2 and 'id="tokens-capped"' in page and "only=tokens" in page
    everything = admin.get("/tokens/", {"only": "tokens", "offset": 2, "state": "active"})
    assert 'id="token-' in everything.content.decode()
    response = admin.get("/tokens/", {"only": "tokens", "format": "csv", "state": "active"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    names = {r["name"] for r in rows}
    assert {"script 0", "script 1", "script 2"} <= names
    body = response.content.decode()
    assert all(i.plaintext not in body for i in issued)


def test_a_users_history_is_capped_with_the_audit_log_and_its_export(
    make_user: Callable[..., Any], browser: Callable[..., Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    from assetgraph.ui import views

    monkeypatch.setattr(views, "USER_HISTORY_CAP", 2)
    subject = make_user("Helpdesk")
    for roles in (["Read-only"], ["Helpdesk"], ["Read-only", "Helpdesk"]):
        account_services.set_user_roles(Actor.system(), subject, roles)
    admin = browser("Admin")
    page = admin.get(f"/users/{subject.pk}/").content.decode()
    assert 'id="history-capped"' in page and "Showing 2 of" in page
    link = f"/audit/?object_type=accounts.user&amp;object_id={subject.pk}"
    assert link in page and f"{link}&amp;format=csv" in page
    log = admin.get("/audit/", {"object_type": "accounts.user", "object_id": subject.pk})
    assert log.status_code == 200
    exported = admin.get(
        "/audit/", {"object_type": "accounts.user", "object_id": subject.pk, "format": "csv"}
    )
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert len(rows) >= 3 and {r.get("object_id", str(subject.pk)) for r in rows} == {
        str(subject.pk)
    }
