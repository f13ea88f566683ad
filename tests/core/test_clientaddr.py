"""The client address behind trusted proxies only."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import RequestFactory

from assetgraph import conf
from assetgraph.core.clientaddr import client_address


@pytest.mark.parametrize(
    ("remote", "forwarded", "trusted", "expected"),
    [
        ("203.0.113.9", "1.2.3.4", (), "203.0.113.9"),
        ("203.0.113.9", "1.2.3.4", ("10.0.0.0/8",), "203.0.113.9"),
        ("10.0.0.2", "1.2.3.4", ("10.0.0.0/8",), "1.2.3.4"),
        ("10.0.0.2", "6.6.6.6, 1.2.3.4", ("10.0.0.0/8",), "1.2.3.4"),
        ("10.0.0.2", "1.2.3.4, 10.0.0.7", ("10.0.0.0/8",), "1.2.3.4"),
        ("10.0.0.2", "not-an-ip", ("10.0.0.0/8",), "10.0.0.2"),
        ("10.0.0.2", "", ("10.0.0.0/8",), "10.0.0.2"),
        ("::1", "2001:db8::1", ("::1",), "2001:db8::1"),
    ],
)
def test_client_address(
    remote: str, forwarded: str, trusted: tuple[str, ...], expected: str, settings: Any
) -> None:
    settings.ASSETGRAPH_TRUSTED_PROXIES = trusted
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


def test_trusted_proxies_are_parsed(tmp_path: Any) -> None:
    config = conf.load(
        {"ASSETGRAPH_DATA_DIR": str(tmp_path), "ASSETGRAPH_TRUSTED_PROXIES": "10.0.0.0/8, ::1"}
    )
    assert config.trusted_proxies == ("10.0.0.0/8", "::1")
