"""Surfaces that list another type's objects honour object constraints and field permissions:
the audit log, History tabs, a campaign's items, custody lists, search and exports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ..harness import CrossTypeHarness, build_constrained_scenario

pytestmark = pytest.mark.django_db


class TestConstrainedSurfaces(CrossTypeHarness):
    @pytest.fixture
    def scenario(
        self, catalogue: dict[str, Any], make_asset: Callable[..., Any], system: Any
    ) -> dict[str, Any]:
        return build_constrained_scenario(catalogue, make_asset, system)
