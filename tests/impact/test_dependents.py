"""One answer about the graph: the services an asset's page says depend on it are exactly the
business services that the impact analysis of its CI reports DOWN or DEGRADED (issue 9)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from assetgraph.assets.models import Asset
from assetgraph.impact.analysis import run_impact
from assetgraph.impact.context import asset_ci_summary


@pytest.fixture(scope="class")
def linked_assets(demo_company: Any, django_db_blocker: Any) -> Iterator[list[Asset]]:
    """Every demo asset that is a CI (servers, storage, network gear, laptops…)."""
    with django_db_blocker.unblock():
        yield list(Asset.objects.filter(ci__isnull=False).select_related("ci__ci_class"))


class _Request:
    def __init__(self, user: Any) -> None:
        self.user = user


@pytest.mark.usefixtures("db")
class TestDemoAssets:
    def test_every_asset_page_agrees_with_the_impact_analysis(
        self, linked_assets: list[Asset], make_user: Any
    ) -> None:
        admin = make_user(superuser=True)
        request = _Request(admin)
        compared = with_services = 0
        for asset in linked_assets:
            summary = asset_ci_summary(request, asset)  # type: ignore[arg-type]
            assert summary is not None
            shown = {(s["id"], s["state"]) for s in summary["services"]}
            report = run_impact(admin, [asset.ci.pk])
            assert not report.truncated or "services" not in report.truncated
            expected = {(s.ci.pk, s.state) for s in report.services}
            assert shown == expected, asset.asset_tag
            compared += 1
            with_services += bool(shown)
        assert compared == len(linked_assets) > 100
        assert with_services > 10  # servers, storage and network gear carry services
