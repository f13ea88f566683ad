"""CMDB pages: lists, CI detail tabs and as-of picker, typed CI form, class browser, diff."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from assetgraph.cmdb import services
from assetgraph.cmdb.models import CI
from assetgraph.core.actor import Actor

from .conftest import cls

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url_name",
    [
        "ui:cmdb:ci_list",
        "ui:cmdb:class_tree",
        "ui:cmdb:ciclass_list",
        "ui:cmdb:diff",
        "ui:cmdb:relationshiptype_list",
    ],
)
def test_pages_render_without_inline_styles_or_scripts(
    estate: dict[str, Any], browser: Any, url_name: str
) -> None:
    response = browser("Read-only").get(reverse(url_name))
    assert response.status_code == 200
    assert b" style=" not in response.content and b"<script>" not in response.content


def test_ci_detail_tabs_and_as_of(estate: dict[str, Any], browser: Any, system: Actor) -> None:
    before = timezone.now().strftime("%Y-%m-%dT%H:%M:%S.%f")
    services.update_ci(system, estate["vm"], {"attributes": {"ram_gb": 48}})
    client = browser("Read-only")
    url = reverse("ui:cmdb:ci_detail", args=[estate["vm"].pk])
    page = client.get(url).content.decode()
    for tab in ("Overview", "Attributes", "Relationships", "Software", "History", "As of"):
        assert tab in page
    assert "48.0" in page and "hv-01" in page and "Finance application" in page
    old = client.get(url, {"as_of": before}).content.decode()
    assert "16.0" in old and "48.0" not in old
    history = client.get(reverse("ui:cmdb:ci_history", args=[estate["vm"].pk]))
    assert history.status_code == 200


def test_ci_form_renders_typed_attributes_and_names_attribute_errors(
    site: dict[str, Any], browser: Any
) -> None:
    client = browser("DevOps")
    choose = client.get(reverse("ui:cmdb:ci_add"))
    assert b"ci_class" in choose.content
    vm = cls("Virtual Machine")
    form = client.get(reverse("ui:cmdb:ci_add"), {"ci_class": vm.pk}).content.decode()
    assert 'name="attributes.ram_gb"' in form and 'name="attributes.hostname"' in form
    data = {
        "name": "vm-ui",
        "ci_class": vm.pk,
        "operational_status": "live",
        "environment": "production",
        "criticality": 3,
        "redundancy_mode": "disabled",
        "source": "manual",
        "attributes.ip_address": "not-an-ip",
    }
    bad = client.post(reverse("ui:cmdb:ci_add") + f"?ci_class={vm.pk}", data)
    assert bad.status_code == 422 and b"not an IP address" in bad.content
    data["attributes.ip_address"] = "10.1.1.1"
    good = client.post(reverse("ui:cmdb:ci_add") + f"?ci_class={vm.pk}", data)
    assert good.status_code == 302
    ci = CI.objects.get(name="vm-ui")
    assert ci.attributes == {"ip_address": "10.1.1.1"}


def test_retire_relate_and_end_through_pages(estate: dict[str, Any], browser: Any) -> None:
    client = browser("System Administrator")
    db = estate["db"]
    response = client.post(
        reverse("ui:cmdb:relationship_add", args=[db.pk]),
        {"type": estate["app-db"].type_id, "target": estate["vm"].pk},
    )
    assert response.status_code == 302
    assert db.outgoing.filter(valid_to__isnull=True).count() == 1
    rel = db.outgoing.get()
    client.post(reverse("ui:cmdb:relationship_remove", args=[db.pk, rel.pk]))
    rel.refresh_from_db()
    assert rel.valid_to is not None
    assert client.post(reverse("ui:cmdb:ci_delete", args=[db.pk])).status_code == 302
    db.refresh_from_db()
    assert db.operational_status == "retired"
    readonly = browser("Read-only")
    assert readonly.post(reverse("ui:cmdb:ci_delete", args=[estate["vm"].pk])).status_code == 403


def test_hidden_ci_page_is_404(estate: dict[str, Any], browser: Any) -> None:
    client = browser(permissions=[(["cmdb.ci"], ["view"], {"id": -1})])
    assert client.get(reverse("ui:cmdb:ci_detail", args=[estate["vm"].pk])).status_code == 404


def test_diff_page_lists_changes(estate: dict[str, Any], browser: Any, system: Actor) -> None:
    start = timezone.now().strftime("%Y-%m-%dT%H:%M:%S.%f")
    services.retire_ci(system, estate["db"])
    page = browser("Read-only").get(reverse("ui:cmdb:diff"), {"from": start}).content.decode()
    assert "CIs retired (1)" in page and "fin-db" in page


def test_admin_defines_a_class_and_attribute_in_the_browser(
    site: dict[str, Any], browser: Any
) -> None:
    client = browser("Admin")
    response = client.post(
        reverse("ui:cmdb:ciclass_add"),
        {"name": "Printer", "icon": "printer", "identification_key": ""},
    )
    assert response.status_code == 302, response.content
    printer = cls("Printer")
    response = client.post(
        reverse("ui:cmdb:classattribute_add"),
        {
            "ci_class": printer.pk,
            "key": "ppm",
            "label": "Pages/min",
            "type": "integer",
            "choices": "[]",
            "weight": 100,
        },
    )
    assert response.status_code == 302, response.content
    form = client.get(reverse("ui:cmdb:ci_add"), {"ci_class": printer.pk})
    assert b'name="attributes.ppm"' in form.content
    tree = client.get(reverse("ui:cmdb:class_tree")).content.decode()
    assert "Printer" in tree and "1 attr." in tree
