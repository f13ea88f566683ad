"""The CMDB as an Ansible inventory: the CLI, the API, and the real ``ansible-inventory``
reading the inventory script against a live server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from assetgraph.accounts import services as account_services
from assetgraph.cmdb import services as cmdb
from assetgraph.core.actor import Actor
from tests.cmdb.conftest import cls, rtype
from tests.shared_demo import reseed_builtin_data

SCRIPT = Path(__file__).resolve().parents[2] / "contrib" / "ansible" / "assetgraph_inventory.py"
ANSIBLE_INVENTORY = Path(sys.executable).parent / "ansible-inventory"
SYSTEM = Actor.system("t")


def estate(site: dict[str, Any]) -> dict[str, Any]:
    """A service on an app on two VMs (one tagged), a staging VM and a laptop."""

    def ci(name: str, klass: str, **values: Any) -> Any:
        return cmdb.create_ci(SYSTEM, {"name": name, "ci_class": cls(klass), **values})

    cmdb.create_class_attribute(
        SYSTEM, {"ci_class": cls("Computer System"), "key": "tags", "label": "Tags", "type": "text"}
    )
    service = ci("Payroll", "Business Service")
    app = ci("payroll-app", "Application")
    web1 = ci(
        "web-01",
        "Virtual Machine",
        location=site["room"],
        attributes={
            "hostname": "web-01",
            "ip_address": "10.0.0.11",
            "os": "Debian",
            "tags": "web, pci",
        },
    )
    web2 = ci("web-02", "Virtual Machine", attributes={"ip_address": "10.0.0.12", "os": "Debian"})
    ci("stage-01", "Virtual Machine", environment="staging", attributes={"os": "Ubuntu"})
    ci("laptop-01", "Endpoint")
    for source, kind, target in [
        (service, "depends on", app),
        (app, "runs on", web1),
        (app, "runs on", web2),
    ]:
        cmdb.add_relationship(SYSTEM, {"source": source, "target": target, "type": rtype(kind)})
    return {"web1": web1}


@pytest.mark.django_db
def test_cli_list_groups_hosts_by_class_environment_location_service_and_tag(
    site: dict[str, Any], capsys: Any
) -> None:
    estate(site)
    call_command("inventory", "--list")
    data = json.loads(capsys.readouterr().out)
    assert data["class_virtual_machine"]["hosts"] == ["stage-01", "web-01", "web-02"]
    assert data["class_computer_system"]["hosts"] == ["stage-01", "web-01", "web-02"]
    assert "laptop-01" not in data["_meta"]["hostvars"]  # end-user devices are left out
    assert data["env_production"]["hosts"] == ["web-01", "web-02"]
    assert data["env_staging"]["hosts"] == ["stage-01"]
    assert data["service_payroll"]["hosts"] == ["web-01", "web-02"]
    assert data["tag_pci"]["hosts"] == data["tag_web"]["hosts"] == ["web-01"]
    assert data["location_london"]["hosts"] == ["web-01"]
    web1 = data["_meta"]["hostvars"]["web-01"]
    assert web1["ansible_host"] == "10.0.0.11" and web1["cmdb_os"] == "Debian"
    assert set(data["all"]["children"]) >= {"env_production", "service_payroll", "ungrouped"}

    call_command("inventory", "--list", "--environment", "production", "--vars", "os")
    narrowed = json.loads(capsys.readouterr().out)
    assert sorted(narrowed["_meta"]["hostvars"]) == ["web-01", "web-02"]
    assert "cmdb_tags" not in narrowed["_meta"]["hostvars"]["web-01"]
    call_command("inventory", "--host", "web-02")
    assert json.loads(capsys.readouterr().out)["ansible_host"] == "10.0.0.12"
    call_command("inventory", "--host", "nope")
    assert json.loads(capsys.readouterr().out) == {}


@pytest.mark.django_db
def test_api_inventory_is_filtered_by_permissions(
    site: dict[str, Any], make_user: Callable[..., Any]
) -> None:
    from tests.conftest import bearer

    made = estate(site)
    allowed = bearer(make_user(permissions=[(["cmdb.ci"], ["view"], {"id": made["web1"].pk})]))
    body = allowed.get("/api/integrations/inventory").json()
    assert sorted(body["_meta"]["hostvars"]) == ["web-01"]
    assert bearer(make_user()).get("/api/integrations/inventory").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_real_ansible_inventory_reads_the_cmdb(
    live_server: Any, site: dict[str, Any], make_user: Callable[..., Any], tmp_path: Path
) -> None:
    if not ANSIBLE_INVENTORY.exists():
        pytest.skip("ansible-core is not installed")
    reseed_builtin_data()  # an earlier transactional test's flush took the built-in classes
    estate(site)
    token = account_services.create_api_token(
        SYSTEM,
        make_user("Read-only", permissions=[(["cmdb.ci"], ["view"], None)]),
        name="ansible",
        scopes=["integrations", "read"],
    ).plaintext
    env = {
        **os.environ,
        "ASSETGRAPH_URL": live_server.url,
        "ASSETGRAPH_TOKEN": token,
        "ANSIBLE_LOCAL_TEMP": str(tmp_path),
        "ANSIBLE_HOME": str(tmp_path),
        "ANSIBLE_INVENTORY_ENABLED": "script",
    }
    listed = subprocess.run(
        [str(ANSIBLE_INVENTORY), "-i", str(SCRIPT), "--list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    data = json.loads(listed.stdout)
    assert data["service_payroll"]["hosts"] == ["web-01", "web-02"]
    assert data["env_staging"]["hosts"] == ["stage-01"]
    assert data["_meta"]["hostvars"]["web-01"]["ansible_host"] == "10.0.0.11"
    graph = subprocess.run(
        [str(ANSIBLE_INVENTORY), "-i", str(SCRIPT), "--graph", "tag_pci"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert graph.returncode == 0 and "web-01" in graph.stdout, graph.stderr
    host = subprocess.run(
        [str(ANSIBLE_INVENTORY), "-i", str(SCRIPT), "--host", "web-02"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert host.returncode == 0, host.stderr
    assert json.loads(host.stdout)["cmdb_os"] == "Debian"
