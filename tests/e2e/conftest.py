"""Fixtures of the real-browser smoke tests: one headless Chromium per session, a page per test.

Self-sufficient on purpose: only pytest-django's built-in fixtures (``live_server``, which
brings ``transactional_db``) and the project's own services are used, so the suite does not
depend on the unit tests' fixtures.

Playwright's sync API runs an event loop in the test thread; Django's async-safety check would
then refuse the ORM calls the fixtures make, hence ``DJANGO_ALLOW_ASYNC_UNSAFE`` below.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.shared_demo import reseed_builtin_data

# Django checks this at each ORM call, so setting it at import is early enough.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PASSWORD = "e2e-Correct-Horse-42"
DEFAULT_TIMEOUT_MS = 10_000

# Reports every CSP violation of the page (and of pages it navigates to) to the test. Injected
# through the DevTools protocol, so the page's own CSP does not apply to it.
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", function (e) {
  if (window.__e2eReportCsp) {
    window.__e2eReportCsp(e.violatedDirective + " blocked " + (e.blockedURI || "inline") +
      " at " + e.sourceFile + ":" + e.lineNumber);
  }
});
"""


@dataclass
class BrowserProblems:
    """What went wrong in the browser while a test ran."""

    console_errors: list[tuple[str, str]] = field(default_factory=list)
    error_documents: set[str] = field(default_factory=set)
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    failed_subresources: list[str] = field(default_factory=list)

    def assert_none(self) -> None:
        """Fail with everything collected if anything went wrong.

        Chromium logs "Failed to load resource" for a page served with a 4xx status; the tests
        check those statuses themselves (401 on a failed login, 404 for a hidden page), so only
        the console errors of other URLs count (and of the known issues below).
        """
        console = [
            f"{text} ({url})"
            for text, url in self.console_errors
            if not (
                text.startswith("Failed to load resource") and _tolerated(url, self.error_documents)
            )
        ]
        found = {
            "console errors": console,
            "uncaught page errors": self.page_errors,
            "CSP violations": self.csp_violations,
            "failed sub-resource requests (static files, XHR)": self.failed_subresources,
        }
        report = "; ".join(f"{name}: {items}" for name, items in found.items() if items)
        assert not report, report


def _tolerated(url: str, error_documents: set[str]) -> bool:
    """Failed loads of documents whose error status the test asserts itself are expected."""
    return url in error_documents


def _require_browser() -> None:
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`"
    if os.environ.get("ASSETGRAPH_REQUIRE_BROWSER") == "1":
        pytest.fail(f"ASSETGRAPH_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium (the Debian package, not a Playwright download) for the session."""
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def e2e_roles(transactional_db: None) -> None:
    """Make sure the built-in roles and CMDB classes exist (a flush removes them)."""
    reseed_builtin_data()


@pytest.fixture
def make_login(e2e_roles: None) -> Callable[..., Any]:
    """Create a user with the given built-in roles through the accounts service."""
    from assetgraph.accounts.services import create_user
    from assetgraph.core.actor import Actor

    def make(username: str, *roles: str, password: str = PASSWORD) -> Any:
        return create_user(
            Actor.system("e2e"), username=username, password=password, roles=list(roles)
        )

    return make


@dataclass(frozen=True)
class OrgData:
    """The organisation objects the smoke tests browse."""

    region: Any
    site: Any
    department: Any
    cost_centre: Any
    people: dict[str, Any]


@pytest.fixture
def org_data(transactional_db: None) -> OrgData:
    """A small organisation created through the org services (so it has audit history)."""
    from assetgraph.core.actor import Actor
    from assetgraph.org import services

    actor = Actor.system("e2e")
    region = services.create_location(actor, {"name": "Europe", "kind": "region"})
    site = services.create_location(
        actor,
        {
            "name": "Lisbon Campus",
            "kind": "site",
            "parent": region,
            "city": "Lisbon",
            "country": "PT",
        },
    )
    cost_centre = services.create_cost_centre(actor, {"code": "CC-100", "name": "Research"})
    department = services.create_department(
        actor, {"name": "Engineering", "code": "ENG", "cost_centre": cost_centre}
    )
    people = {}
    for number, (first, last, title) in enumerate(
        [
            ("Ada", "Lovelace", "Analyst"),
            ("Grace", "Hopper", "Computer Scientist"),
            ("Alan", "Turing", "Mathematician"),
        ],
        start=1,
    ):
        people[last] = services.create_person(
            actor,
            {
                "employee_number": f"E{number:04d}",
                "first_name": first,
                "last_name": last,
                "job_title": title,
                "email": f"{first.lower()}@example.com",
                "department": department,
                "location": site,
                "cost_centre": cost_centre,
            },
        )
    services.create_company(actor, {"name": "Acme Supplies", "is_supplier": True})
    return OrgData(
        region=region, site=site, department=department, cost_centre=cost_centre, people=people
    )


@pytest.fixture
def worker() -> Iterator[None]:
    """``assetgraph worker`` beside the live server: every import runs as a job (issue 15)."""
    import threading

    from django.db import connections

    from assetgraph.events.worker import Worker

    stop = threading.Event()

    def loop() -> None:
        runner = Worker("e2e-worker")
        try:
            while not stop.is_set():
                if not runner.run_once():
                    stop.wait(0.1)
        finally:
            connections.close_all()

    thread = threading.Thread(target=loop, name="e2e-worker", daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=60)


@pytest.fixture
def browser_problems() -> BrowserProblems:
    """Console errors, page errors, CSP violations and failed sub-requests of the test's page."""
    return BrowserProblems()


@pytest.fixture
def page(browser: Any, live_server: Any, browser_problems: BrowserProblems) -> Iterator[Any]:
    """A fresh browser context and page on the live server, watched for errors."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900})
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    problems = browser_problems

    context.expose_binding(
        "__e2eReportCsp", lambda _source, text: problems.csp_violations.append(text)
    )
    context.add_init_script(_CSP_LISTENER)
    new_page = context.new_page()

    def on_console(message: Any) -> None:
        if message.type != "error":
            return
        text = message.text
        if "Content Security Policy" in text:
            problems.csp_violations.append(text)
        problems.console_errors.append((text, message.location.get("url", "")))

    def on_response(response: Any) -> None:
        if response.status < 400:
            return
        if response.request.resource_type == "document":
            problems.error_documents.add(response.url)
        else:
            problems.failed_subresources.append(
                f"{response.status} {response.request.method} {response.url}"
            )

    new_page.on("console", on_console)
    new_page.on("pageerror", lambda error: problems.page_errors.append(str(error)))
    new_page.on("response", on_response)

    def on_request_failed(request: Any) -> None:
        # ERR_ABORTED is the browser cancelling a request because the page navigated away
        # (a favicon still loading when a test clicks on): not a server failure. A missing
        # or broken file answers with a status, which on_response reports.
        if "ERR_ABORTED" in str(request.failure):
            return
        problems.failed_subresources.append(
            f"failed {request.method} {request.url}: {request.failure}"
        )

    new_page.on("requestfailed", on_request_failed)
    try:
        yield new_page
    finally:
        context.close()


def _login(page: Any, username: str, password: str = PASSWORD, *, reuse_form: bool = False) -> Any:
    if not (reuse_form and page.url.endswith("/login/")):
        page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    is_post = lambda r: r.request.method == "POST" and r.url.endswith("/login/")  # noqa: E731
    with page.expect_navigation(), page.expect_response(is_post) as posted:
        page.get_by_role("button", name="Sign in").click()
    return posted.value


@pytest.fixture
def sign_in() -> Callable[..., Any]:
    """``sign_in(page, username, password=PASSWORD)``: submit the real login form.

    Returns the response to the form's POST (302 on success). ``reuse_form=True`` submits the
    form already on the page (after a failed attempt) instead of loading the login page again.
    """
    return _login
