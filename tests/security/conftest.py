"""Security fixtures: the real advisory samples under fixtures/ and small estates."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
DISCOVERY_FIXTURES = Path(__file__).parent.parent / "discovery" / "fixtures"

from tests.assets.conftest import catalogue, make_asset  # noqa: E402, F401 - shared fixtures
