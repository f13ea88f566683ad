"""The security issue's "Done when", in a real browser, as the Security role: import
advisories, open the Finance application's most urgent finding with its path to the
internet, accept one risk with an expiry, watch a fixed host close its finding, and export
audit evidence. No console errors, no CSP violations."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.demo_snapshot import load_demo_once

pytestmark = pytest.mark.e2e
FIXTURES = Path(__file__).resolve().parent.parent / "security" / "fixtures"
SCREENSHOT = "/tmp/e2e-security-finding.png"  # noqa: S108 - for a human to look at


@pytest.fixture
def demo_security(e2e_roles: None) -> None:
    """The demo company with its security story, written through the services."""

    load_demo_once(seed=42, people=40)


@pytest.mark.usefixtures("worker")
def test_security_walk(
    page: Any, sign_in: Any, make_login: Any, demo_security: None, browser_problems: Any
) -> None:
    from assetgraph.cmdb import services as cmdb
    from assetgraph.cmdb.models import CI, SoftwareInstall
    from assetgraph.core.actor import Actor
    from assetgraph.security.models import Advisory, Finding

    make_login("e2e-security", "Security")
    assert sign_in(page, "e2e-security").status == 302

    # Import advisories: a folder's worth, zipped, through the upload form.
    page.goto("/security/advisories/")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted((FIXTURES / "osv").iterdir()):
            archive.writestr(path.name, path.read_bytes())
    page.locator("#advisory-upload input[name=file]").set_input_files(
        {"name": "osv.zip", "mimeType": "application/zip", "buffer": buffer.getvalue()}
    )
    with page.expect_navigation():  # to the job's page: the worker imports (issue 15)
        page.locator("#advisory-upload").get_by_role("button", name="Import").click()
    expect(page.locator("#upload-job-outcome")).to_contain_text("Imported 9 file(s)")
    assert Advisory.objects.filter(identifier="GO-2022-0969").exists()

    # The dashboard's most urgent finding is Log4Shell under Finance, with its internet path.
    page.goto("/security/")
    expect(page.locator("#chart-severity")).to_be_attached()
    page.locator("#urgent tbody tr").first.locator("a").first.click()
    expect(page.locator("main h1")).to_contain_text("GHSA-jfh8-c2jp-5v3q")
    expect(page.locator("#internet-path")).to_contain_text("lb-fin-web")
    expect(page.locator("#internet-path")).to_contain_text("Finance web")
    expect(page.locator("#finding-services")).to_contain_text("Finance (tier 1")
    expect(page.locator("#priority")).to_contain_text("P1 · 100")
    page.screenshot(path=SCREENSHOT, full_page=True)

    # Accept one risk with an expiry.
    until = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    page.locator("#accept-form input[name=reason]").fill(
        "WAF rule blocks JNDI lookups until the upgrade"
    )
    page.locator("#accept-form input[name=until]").fill(until)
    page.locator("#accept-form").get_by_role("button", name="Accept risk").click()
    expect(page.locator("#acceptance")).to_contain_text("until")
    # Shown in the browser's locale; the machine-readable date is the one entered.
    expect(page.locator("#acceptance time")).to_have_attribute("datetime", until)

    # A fixed host closes its finding: fin-api-01 is patched, then Match now.
    host = CI.objects.get(name="fin-api-01")
    actor = Actor.system("e2e patch")
    cmdb.remove_software_install(
        actor, SoftwareInstall.objects.get(ci=host, product__name="OpenSSH", version="9.6p1")
    )
    cmdb.record_software_install(
        actor, host, {"publisher": "OpenBSD", "product": "OpenSSH", "version": "9.8p1"}
    )
    page.goto("/security/findings/")
    page.get_by_role("button", name="Match now").click()
    expect(page.locator("main")).to_contain_text("closed")
    finding = Finding.objects.get(ci=host)
    assert (finding.status, finding.resolution) == ("fixed", "fixed version 9.8p1 seen")

    # Export audit evidence.
    page.goto("/security/evidence/")
    with page.expect_download() as download:
        page.locator("#evidence-form").get_by_role("button", name="Export evidence").click()
    archive = zipfile.ZipFile(download.value.path())
    manifest = json.loads(archive.read("manifest.json"))
    assert {f["name"] for f in manifest["files"]} >= {
        "custody.csv",
        "policies.csv",
        "audit-chain.json",
    }
    browser_problems.assert_none()
