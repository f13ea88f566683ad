"""The demo estate, layer by layer: facilities, network, compute, applications, endpoints."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from assetgraph.assets import services as asset_services
from assetgraph.assets.choices import AssetStateChoices, AssetSubstateChoices
from assetgraph.assets.models import Asset
from assetgraph.org.choices import PersonStatusChoices
from assetgraph.org.models import Department, Location, Person

from .. import services
from ..choices import EnvironmentChoices, OperationalStatusChoices, RedundancyModeChoices
from ..models import CI

if TYPE_CHECKING:
    from assetgraph.demo.generator import DemoContext

from .builder import _Estate
from .data import (
    APPS,
    BY_DEPARTMENT,
    DESK,
    DOMAIN,
    EVERYONE,
    FARMS,
    INFRA,
    NETWORK_RACKS,
    PLATFORM,
    SERVER_RACKS,
    SERVICES,
    SHARED,
    SUBNETS,
    AppSpec,
)

# -- the estate, layer by layer ---------------------------------------------------------------


def load_demo(context: DemoContext) -> None:
    """Add the demo company's estate (see the module docstring for what and why)."""
    estate = _Estate(context)
    rooms = [r for r in context.rooms if "Datacenter" in r.path]
    hall = next((r for r in rooms if r.name == "Server Hall"), None)
    network_room = next((r for r in rooms if r.name == "Network Room"), hall)
    hardware = _hardware_assets()
    _facilities(estate, hall, network_room, hardware)
    _network(estate, hall, network_room, hardware)
    _compute(estate, hall, hardware)
    _applications(estate)
    _developer_sandboxes(estate, context.people)
    laptops = _endpoints(estate)
    estate.story.update(name for name, person in laptops if person.employee_number == "E0001")
    estate.save()
    _deploy_hardware(estate)
    _flag_story_array(estate)
    _place_hardware_assets(estate)
    # The root-cause story: a change on Minh's path, recorded through the service.
    services.update_ci(
        estate.actor,
        estate.cis["SSO"],
        {"attributes": {"version": "25.0.1"}, "description": "Upgraded to Keycloak 25."},
    )


def _place_hardware_assets(estate: _Estate) -> None:
    """Register each linked asset where its CI is racked (one record, one location: the
    assets demo placed them by room at random), through the asset service."""
    linked = CI.objects.current().filter(asset__isnull=False, location__isnull=False)
    for ci in linked.select_related("asset").order_by("pk"):
        asset = ci.asset
        if asset is not None and asset.location_id != ci.location_id:
            asset_services.update_asset(estate.actor, asset, {"location": ci.location})


def _hardware_assets() -> dict[str, list[Asset]]:
    """Server, network and storage assets that can be live hardware, oldest tag first."""
    found: dict[str, list[Asset]] = {"server": [], "network": [], "storage": []}
    usable = [AssetStateChoices.IN_STOCK, AssetStateChoices.IN_USE, AssetStateChoices.IN_REPAIR]
    for asset in (
        Asset.objects.filter(model__category__kind__in=list(found), state__in=usable)
        .exclude(substate=AssetSubstateChoices.DEFECTIVE)
        .select_related("model__category", "manufacturer", "location")
        .order_by("asset_tag")
    ):
        found[asset.model.category.kind].append(asset)
    storage = found["storage"]
    # The story array (first) is the one whose warranty ended first.
    storage.sort(key=lambda a: (a.warranty_end or dt.date.max, a.asset_tag))
    return found


def _hardware(estate: _Estate, kind: str, hardware: dict[str, list[Asset]]) -> dict[str, Any]:
    """Link the next free asset of ``kind``: asset, serial number and status for a CI."""
    pool = hardware[kind]
    if not pool:
        serial = f"{kind[:3].upper()}{estate.rng.randint(10**7, 10**8 - 1)}"
        return {"asset": None, "serial": serial, "status": OperationalStatusChoices.LIVE}
    asset = pool.pop(0)
    status = (
        OperationalStatusChoices.MAINTENANCE
        if asset.state == AssetStateChoices.IN_REPAIR
        else OperationalStatusChoices.LIVE
    )
    return {"asset": asset, "serial": asset.serial_number, "status": status}


def _facilities(
    estate: _Estate,
    hall: Location | None,
    network_room: Location | None,
    hardware: dict[str, list[Asset]],
) -> None:
    """Racks, PDUs on two UPS feeds, a redundant power group per rack, storage arrays."""
    for ups in ("UPS-A", "UPS-B"):
        estate.ci(
            "UPS",
            f"ups-aus1-{ups[-1].lower()}",
            location=hall,
            criticality=1,
            attributes={
                "serial_number": f"UPS{estate.rng.randint(10**6, 10**7 - 1)}",
                "vendor": "Schneider Electric",
                "model": "Galaxy VS 150",
                "capacity_kva": 150,
            },
        )
    for rack in SERVER_RACKS + NETWORK_RACKS:
        room = hall if rack.startswith("R") else network_room
        estate.ci("Rack", rack, location=room, attributes={"height_u": 42})
        power = f"{rack} power"
        estate.ci(
            "Cluster/Farm",
            power,
            redundancy_mode=RedundancyModeChoices.COUNT,
            redundancy_value=1,
            attributes={"cluster_type": "power feeds"},
            description=f"The A and B feeds of rack {rack}: one is enough.",
        )
        estate.link(rack, "depends on", power)
        for feed in ("a", "b"):
            pdu = f"pdu-{rack.lower()}-{feed}"
            estate.ci(
                "PDU",
                pdu,
                location=room,
                attributes={
                    "serial_number": f"PDU{estate.rng.randint(10**6, 10**7 - 1)}",
                    "vendor": "APC",
                    "model": "AP8886",
                    "capacity_kva": 17.3,
                },
            )
            estate.link(pdu, "member of", power)
            estate.link(pdu, "depends on", f"ups-aus1-{feed}")
            estate.link(rack, "contains", pdu)
    for index, purpose in enumerate(("Farm A", "Farm B", "Farm C", "backups"), start=1):
        name = f"stor-aus1-{index:02d}"
        linked = _hardware(estate, "storage", hardware)
        estate.ci(
            "Storage Array",
            name,
            location=hall,
            criticality=1 if index <= 2 else 3,
            asset=linked["asset"],
            operational_status=linked["status"],
            description=f"All-flash array for {purpose}.",
            attributes={
                "serial_number": linked["serial"],
                "vendor": "NetApp",
                "model": "AFF A400",
                "capacity_tb": [184.3, 122.9, 92.2, 368.6][index - 1],
            },
        )
        estate.link(SERVER_RACKS[-2 + index % 2], "contains", name)


def _network(
    estate: _Estate,
    hall: Location | None,
    network_room: Location | None,
    hardware: dict[str, list[Asset]],
) -> None:
    """Core switches, top-of-rack switches, firewalls, load balancers, subnets and VIPs."""

    def switch(name: str, rack: str, role: str) -> None:
        linked = _hardware(estate, "network", hardware)
        estate.ci(
            "Switch",
            name,
            location=network_room if rack.startswith("N") else hall,
            criticality=1,
            asset=linked["asset"],
            operational_status=linked["status"],
            description=role,
            attributes={
                "hostname": name,
                "ip_address": estate.ip("mgmt"),
                "firmware_version": "17.9.4",
                "serial_number": linked["serial"],
            },
        )
        estate.link(rack, "contains", name)

    def pair(group: str, klass: str, members: list[str], vendor: str, model: str) -> None:
        estate.ci(
            "Cluster/Farm",
            group,
            criticality=1,
            redundancy_mode=RedundancyModeChoices.COUNT,
            redundancy_value=1,
            attributes={"cluster_type": "HA pair"},
        )
        for member, rack in zip(members, NETWORK_RACKS, strict=True):
            estate.ci(
                klass,
                member,
                criticality=1,
                location=network_room,
                attributes={
                    "hostname": member,
                    "ip_address": estate.ip("mgmt"),
                    "serial_number": f"{model[:2]}{estate.rng.randint(10**8, 10**9 - 1)}",
                    "vendor": vendor,
                    "model": model,
                    "firmware_version": "11.1.2",
                },
            )
            estate.link(member, "member of", group)
            estate.link(rack, "contains", member)

    estate.ci(
        "Cluster/Farm",
        "Core network",
        criticality=1,
        redundancy_mode=RedundancyModeChoices.COUNT,
        redundancy_value=1,
        attributes={"cluster_type": "switch stack"},
    )
    for index, rack in enumerate(NETWORK_RACKS, start=1):
        name = f"core-aus1-{index:02d}"
        switch(name, rack, "Core switch")
        estate.link(name, "member of", "Core network")
    for rack in SERVER_RACKS:
        for side in ("a", "b"):
            name = f"tor-{rack.lower()}-{side}"
            switch(name, rack, f"Top-of-rack switch of {rack}")
            for core in ("core-aus1-01", "core-aus1-02"):
                estate.link(name, "connected to", core)
    pair("Perimeter firewalls", "Firewall", ["fw-aus1-01", "fw-aus1-02"], "Palo Alto", "PA-3440")
    pair("Load balancers", "Load Balancer", ["lb-aus1-01", "lb-aus1-02"], "F5", "BIG-IP i5800")
    estate.link("Perimeter firewalls", "depends on", "Core network")
    estate.link("Load balancers", "depends on", "Core network")
    for key, (cidr, vlan) in SUBNETS.items():
        estate.ci(
            "Subnet",
            f"net-{key}",
            criticality=2,
            description=f"{cidr} (VLAN {vlan})",
            attributes={"cidr": cidr, "vlan": vlan},
        )


def _compute(estate: _Estate, hall: Location | None, hardware: dict[str, list[Asset]]) -> None:
    """Hypervisors in three redundant farms, bare-metal servers, the Kubernetes platform."""
    rack_cycle = iter(SERVER_RACKS * 8)
    for farm, environment, hosts, mode, value, array in FARMS:
        letter = farm[-1].lower()
        estate.ci(
            "Cluster/Farm",
            farm,
            environment=environment,
            criticality=1 if environment == EnvironmentChoices.PRODUCTION else 3,
            redundancy_mode=mode,
            redundancy_value=value,
            attributes={"cluster_type": "VMware vSphere HA"},
        )
        estate.link(farm, "depends on", array)
        estate.link(farm, "depends on", "Core network")
        for n in range(1, hosts + 1):
            name = f"hv-{letter}{n:02d}"
            linked = _hardware(estate, "server", hardware)
            rack = next(rack_cycle)
            estate.host(
                "Hypervisor",
                name,
                "mgmt",
                location=hall,
                environment=environment,
                criticality=1 if environment == EnvironmentChoices.PRODUCTION else 3,
                asset=linked["asset"],
                operational_status=linked["status"],
                attributes={
                    "os": "VMware ESXi",
                    "os_version": "8.0.2",
                    "cpu_count": 64,
                    "ram_gb": 1024,
                    "serial_number": linked["serial"],
                    "hypervisor_type": "VMware ESXi",
                },
            )
            estate.link(name, "member of", farm)
            estate.link(rack, "contains", name)
            for side in ("a", "b"):
                estate.link(name, "connected to", f"tor-{rack.lower()}-{side}")
    bare_metal = [
        ("bkp-01", "Backup server"),
        ("bkp-02", "Backup server"),
        ("dwh-db-01", "Data warehouse primary"),
        ("dwh-db-02", "Data warehouse standby"),
        ("ntp-01", "Time server"),
        ("ntp-02", "Time server"),
        ("siem-01", "Security event collector"),
        ("siem-02", "Security event collector"),
        ("gpu-01", "Machine-learning server"),
        ("gpu-02", "Machine-learning server"),
    ]
    for name, role in bare_metal:
        linked = _hardware(estate, "server", hardware)
        rack = next(rack_cycle)
        estate.host(
            "Server",
            name,
            "mgmt",
            location=hall,
            description=role,
            asset=linked["asset"],
            operational_status=linked["status"],
            criticality=2,
            attributes={"cpu_count": 32, "ram_gb": 512, "serial_number": linked["serial"]},
        )
        estate.link(rack, "contains", name)
        estate.link(name, "connected to", f"tor-{rack.lower()}-a")
    estate.ci(
        "Application",
        "Backup",
        criticality=2,
        redundancy_mode=RedundancyModeChoices.COUNT,
        redundancy_value=1,
        attributes={"version": "12.1", "vendor": "Veeam"},
    )
    for name in ("bkp-01", "bkp-02"):
        estate.link(name, "member of", "Backup")
    estate.link("Backup", "uses", "stor-aus1-04")
    estate.ci(
        "Database",
        "Data warehouse",
        criticality=2,
        owning_team=estate.team("FIN"),
        attributes={"engine": "PostgreSQL", "version": "16.2", "port": 5432},
    )
    estate.link("Data warehouse", "runs on", "dwh-db-01")
    estate.link("Data warehouse", "backed up by", "Backup")
    estate.ci(
        "Container Platform",
        "Kubernetes",
        criticality=1,
        owning_team=estate.team(PLATFORM),
        support_group=estate.team(PLATFORM),
        redundancy_mode=RedundancyModeChoices.PERCENT,
        redundancy_value=60,
        attributes={"version": "1.29.4", "vendor": "CNCF", "api_url": f"https://k8s.{DOMAIN}"},
    )
    for n in range(1, 7):
        node = f"k8s-node-{n:02d}"
        estate.host(
            "Container Node",
            node,
            "farm-b",
            criticality=1,
            owning_team=estate.team(PLATFORM),
            attributes={"cpu_count": 16, "ram_gb": 64},
        )
        estate.link(node, "hosted on", "Farm B")
        estate.link(node, "member of", "Kubernetes")
    workloads = [
        ("shop-catalogue", "shop"),
        ("shop-search", "shop"),
        ("shop-payments-connector", "payments"),
        ("shop-recommendations", "shop"),
        ("gitlab-runner-manager", "ci"),
        ("crm-webhooks", "crm"),
    ]
    for name, namespace in workloads:
        estate.ci(
            "Container Workload",
            name,
            owning_team=estate.team(PLATFORM),
            attributes={
                "image": f"registry.{DOMAIN}/{namespace}/{name}:1.0",
                "namespace": namespace,
            },
        )
        estate.link(name, "runs on", "Kubernetes")


def _vm(estate: _Estate, name: str, farm: str, **values: Any) -> CI:
    """A VM hosted on a farm (never pinned to one hypervisor: the farm's redundancy holds)."""
    subnet = f"farm-{farm[-1].lower()}"
    vm = estate.host(
        "Virtual Machine",
        name,
        subnet,
        attributes={
            "cpu_count": estate.rng.choice([2, 4, 4, 8]),
            "ram_gb": estate.rng.choice([4, 8, 16, 16, 32]),
            "vm_uuid": str(uuid.UUID(int=estate.rng.getrandbits(128), version=4)),
        },
        **values,
    )
    estate.link(name, "hosted on", farm)
    estate.link(name, "connected to", f"net-{subnet}")
    return vm


def _applications(estate: _Estate) -> None:
    """Business services, their applications, components, databases, VMs and pools."""
    heads = dict(Department.objects.values_list("code", "head_id"))
    for name, team, tier, sla, description in SERVICES:
        owner = heads.get(team) or heads.get(team.split("-")[0])
        estate.ci(
            "Business Service",
            name,
            criticality=tier,
            owning_team=estate.team(team),
            support_group=estate.team(DESK),
            description=description,
            attributes={"sla": sla, **({"service_owner": owner} if owner else {})},
        )
    estate.ci(
        "Cloud Resource",
        "Exchange Online",
        criticality=1,
        attributes={"provider": "azure", "region": "westeurope", "resource_type": "M365 tenant"},
    )
    estate.link("E-mail", "depends on", "Exchange Online")
    for name, kind in (("CDN distribution", "cloudfront"), ("Website bucket", "s3")):
        estate.ci(
            "Cloud Resource",
            name,
            criticality=2,
            owning_team=estate.team("MKT"),
            attributes={
                "provider": "aws",
                "region": "eu-west-1",
                "resource_id": f"{kind}-{estate.rng.getrandbits(40):010x}",
                "resource_type": kind,
            },
        )
    estate.ci("Database", "SSO DB", criticality=1, attributes={"engine": "PostgreSQL"})
    _vm(estate, "sso-db-01", "Farm B", criticality=1)
    estate.link("SSO DB", "runs on", "sso-db-01")
    for name, version, vendor, members, min_up, needs in SHARED:
        klass = "Middleware" if name in {"RabbitMQ", "Redis cache"} else "Application"
        group = name if klass == "Application" else f"{name} cluster"
        if klass == "Middleware":
            estate.ci(klass, name, criticality=1, attributes={"version": version, "vendor": vendor})
            estate.ci("Cluster/Farm", group, criticality=1, attributes={"cluster_type": name})
            estate.link(name, "runs on", group)
        else:
            estate.ci(
                klass,
                name,
                criticality=1,
                description=f"Shared {name} for the whole company.",
                attributes={"version": version, "vendor": vendor},
            )
        estate.cis[group].redundancy_mode = RedundancyModeChoices.COUNT
        estate.cis[group].redundancy_value = min_up
        for member in members:
            _vm(estate, member, "Farm A" if member.endswith("1") else "Farm B", criticality=1)
            estate.link(member, "member of", group)
        for need in needs:
            estate.link(name, "depends on", need)
    estate.link("VPN", "depends on", "SSO")
    vip = iter(range(10, 250))
    for app in APPS:
        _application(estate, app, vip)
    estate.link("VPN gateway", "runs on", "Perimeter firewalls")
    estate.link("Web shop application", "depends on", "Perimeter firewalls")
    estate.link("Marketing website application", "depends on", "Headless CMS")
    estate.link("Backup", "depends on", "Core network")
    for db in [ci for ci in estate.cis.values() if ci.ci_class.name == "Database"]:
        estate.link(db.name, "backed up by", "Backup")
    for service in ("Monitoring", "Service desk"):
        estate.link(service, "depends on", "E-mail")


def _application(estate: _Estate, app: AppSpec, vip: Iterator[int]) -> None:
    service = estate.cis[app.service]
    tier, team = service.criticality, service.owning_team
    farm = f"Farm {app.farm}"
    estate.ci(
        "Application",
        app.name,
        criticality=tier,
        owning_team=team,
        support_group=estate.team(PLATFORM if app.farm == "B" else INFRA),
        attributes={"version": app.version, "vendor": app.vendor},
    )
    estate.link(app.service, "depends on", app.name)
    for component, role, vms, pooled in app.components:
        estate.ci(
            "Application Component",
            component,
            criticality=tier,
            owning_team=team,
            attributes={"version": app.version},
        )
        estate.link(app.name, "depends on", component)
        target = component
        if pooled:
            pool = f"lb-{app.prefix}-{role}"
            address = f"172.16.0.{next(vip)}"
            estate.ci(
                "Load Balancer",
                pool,
                criticality=tier,
                redundancy_mode=RedundancyModeChoices.PERCENT,
                redundancy_value=50,
                description=f"Virtual server {address}:443 for {component}.",
            )
            estate.ci("IP Address", f"vip-{address}", attributes={"ip_address": address})
            estate.link("net-dmz", "contains", f"vip-{address}")
            estate.link(pool, "uses", f"vip-{address}")
            estate.link(pool, "depends on", "Load balancers")
            estate.link(component, "runs on", pool)
            target = pool
        for n in range(1, vms + 1):
            vm = f"{app.prefix}-{role}-{n:02d}"
            _vm(estate, vm, farm, criticality=tier, owning_team=team)
            if pooled:
                estate.link(vm, "member of", target)
            else:
                estate.link(component, "runs on", vm)
    for n, (db, engine, version, port) in enumerate(app.databases, start=1):
        estate.ci(
            "Database",
            db,
            criticality=tier,
            owning_team=team,
            attributes={"engine": engine, "version": version, "port": port},
        )
        estate.link(app.name, "depends on", db)
        vm = f"{app.prefix}-db-{n:02d}"
        _vm(estate, vm, farm, criticality=tier, owning_team=team)
        estate.link(db, "runs on", vm)
        if tier == 1:  # a standby in the DR farm
            standby = f"{app.prefix}-db-{n:02d}-dr"
            _vm(estate, standby, "Farm C", environment=EnvironmentChoices.DR, criticality=tier)
            estate.link(vm, "backed up by", standby)
    for need in app.uses:
        estate.link(app.name, "depends on", need)
    for n in range(1, estate.rng.randint(2, 5) + 1):
        environment = estate.rng.choice([EnvironmentChoices.TEST, EnvironmentChoices.DEVELOPMENT])
        _vm(
            estate,
            f"{app.prefix}-{environment[:4]}-{n:02d}",
            "Farm C",
            environment=environment,
            criticality=4,
            owning_team=team,
            description=f"{environment.title()} instance of {app.name}.",
        )


def _developer_sandboxes(estate: _Estate, people: list[Person]) -> None:
    """A sandbox VM for most engineers (owned by their team, named after them)."""
    engineers = [
        p
        for p in people
        if p.department is not None
        and (p.department.code or "").split("-")[0] == "ENG"
        and p.status != PersonStatusChoices.LEFT
    ]
    for person in engineers[:90]:
        if estate.rng.random() < 0.7:
            local = person.email.split("@")[0].replace(".", "-") or f"p{person.pk}"
            _vm(
                estate,
                f"dev-{local}",
                "Farm C",
                environment=EnvironmentChoices.DEVELOPMENT,
                criticality=4,
                owning_team=person.department,
                description=f"Development sandbox of {person}.",
            )


def _endpoints(estate: _Estate) -> list[tuple[str, Person]]:
    """A Laptop CI for every laptop in use or in repair, linked 1:1 to its asset; laptops in
    use use the company-wide services and their custodian's department's."""
    laptops = (
        Asset.objects.filter(
            model__category__kind="laptop",
            state__in=[AssetStateChoices.IN_USE, AssetStateChoices.IN_REPAIR],
        )
        .select_related("custodian__department", "model", "location")
        .order_by("asset_tag")
    )
    held: list[tuple[str, Person]] = []
    for asset in laptops:
        name = "lt-" + "".join(ch for ch in asset.asset_tag.lower() if ch.isalnum())
        in_use = asset.state == AssetStateChoices.IN_USE
        estate.ci(
            "Laptop",
            name,
            asset=asset,
            location=asset.location,
            criticality=4,
            owning_team=estate.team(DESK),
            support_group=estate.team(DESK),
            operational_status=(
                OperationalStatusChoices.LIVE if in_use else OperationalStatusChoices.MAINTENANCE
            ),
            attributes={
                "hostname": name,
                "serial_number": asset.serial_number,
                "os": (asset.attributes or {}).get("os", ""),
            },
        )
        estate.link(name, "connected to", "net-office")
        person = asset.custodian
        if not in_use or person is None:
            continue
        held.append((name, person))
        code = (person.department.code or "").split("-")[0] if person.department else ""
        for service in EVERYONE + BY_DEPARTMENT.get(code, []):
            estate.link(name, "uses", service)
    return held


def _deploy_hardware(estate: _Estate) -> None:
    """Linked hardware still in stock is installed: checked out to its room (custody service),
    so ITAM shows it in use where the CMDB says it runs."""
    for ci in estate.cis.values():
        asset = ci.asset
        if (
            asset is None
            or ci.ci_class.name == "Laptop"
            or asset.state != AssetStateChoices.IN_STOCK
            or asset.substate != AssetSubstateChoices.AVAILABLE
            or asset.location is None
        ):
            continue
        asset_services.check_out_asset(
            estate.actor, asset, to_location=asset.location, notes=f"Installed as {ci.name}."
        )


def _flag_story_array(estate: _Estate) -> None:
    """The array on Minh's path is out of warranty (the story flags it on impact)."""
    asset = estate.cis["stor-aus1-01"].asset
    if asset is None:
        return
    asset.refresh_from_db()
    today = timezone.localdate()
    if asset.warranty_end and asset.warranty_end < today:
        return
    ended = today - dt.timedelta(days=45)
    if asset.purchase_date and asset.purchase_date > ended:
        return  # bought too recently for an expired warranty to be true
    asset_services.update_asset(estate.actor, asset, {"warranty_end": ended})
