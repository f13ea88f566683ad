"""The API docs page (Swagger UI) runs under the same strict CSP as every other page."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_api_docs_render_under_the_strict_policy(
    page: Any, sign_in: Any, make_login: Any, browser_problems: Any
) -> None:
    make_login("e2e-docs", "Admin")
    sign_in(page, "e2e-docs")
    response = page.goto("/api/docs")
    assert response is not None and response.status == 200
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    # Swagger UI built the page from the OpenAPI document: operations are listed and open.
    operations = page.locator(".opblock-summary")
    # The document has about 400 operations: Swagger UI takes seconds to lay them out.
    expect(operations.first).to_be_visible(timeout=30_000)
    assert operations.count() > 50
    expect(page.locator(".opblock-summary-path", has_text="/api/audit/events").first).to_be_visible(
        timeout=30_000
    )
    browser_problems.assert_none()
