"""Impact lists cut at their cap say so (issue 17): "Showing N of M", the full list, an export."""

from __future__ import annotations

from typing import Any

import pytest

from assetgraph.impact import analysis
from assetgraph.impact.catalogue import clear_catalogue
from assetgraph.impact.estate import clear_cache


@pytest.fixture(autouse=True)
def _fresh() -> None:
    clear_cache()
    clear_catalogue()


def test_capped_impact_lists_show_n_of_m_with_full_list_and_export(
    estate: dict[str, Any], browser: Any, api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(analysis, "SUMMARY_CAP", 0)
    html = browser("Read-only").get("/impact/analyse/", {"ci": str(estate["vm"].pk)})
    page = html.content.decode()
    note = page.split('id="impact-services-capped"')[1].split("</p>")[0]
    assert "Showing 0 of 1" in note
    assert "state=infrastructure" in note and "/impact/analyse/export/" in note
    assert "format=csv" in note
    applications = page.split('id="impact-applications-capped"')[1].split("</p>")[0]
    assert "Showing 0 of 1" in applications
    assert 'id="impact-flags-capped"' not in page  # not cut: no note
    body = api("Read-only").post(
        "/api/impact/analyse",
        {"cis": [estate["vm"].pk]},
        content_type="application/json",
    )
    assert body.status_code == 200
    assert body.json()["totals"] == {"services": 1, "applications": 1}
