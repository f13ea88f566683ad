"""The offboarding pages: list, start one by hand for a person the directory does not know."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from assetgraph.integrations.models import Offboarding

pytestmark = pytest.mark.django_db


def test_offboarding_pages_for_an_admin(site: dict[str, Any], make_user: Any) -> None:
    c = Client()
    c.force_login(make_user("Admin"))
    assert c.get("/integrations/offboardings/").status_code == 200
    assert c.get("/integrations/offboardings/add/").status_code == 200
    r = c.post("/integrations/offboardings/add/", {"person": site["minh"].pk})
    assert r.status_code == 302, r.content[:3000]
    assert Offboarding.objects.get().person == site["minh"]
