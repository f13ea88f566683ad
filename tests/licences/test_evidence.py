"""Consumption measured from evidence, one metric at a time, on hand-worked estates built
through the services: devices, installations (duplicates), named users, subscriptions (idle
seats), concurrent peaks, per core (minimum per processor, core factor, farm exposure with its
path), per processor, site scope, unlicensed products, and the position as of a past date."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from assetgraph.core.errors import ValidationFailed
from assetgraph.licences import services
from assetgraph.licences.evidence import compute
from assetgraph.licences.models import ConcurrencySample, Entitlement, SaasUsage

from .conftest import Lic

pytestmark = pytest.mark.django_db


def test_per_device_counts_devices_once_and_allocated_devices_without_install(lic: Lic) -> None:
    word = lic.product("Word")
    a, b, c = (lic.device(f"pc-{n}") for n in "abc")
    lic.install(a, "Word", "16.0")
    lic.install(a, "Word", "16.1")  # a second version on the same device: still one device
    lic.install(b, "Word")
    licence = lic.ent(word, "device", 5)
    services.allocate_seats(lic.actor, licence, {"ci": c})  # a right held, nothing installed
    services.allocate_seats(lic.actor, licence, {"ci": a})  # installed and allocated: once
    row = lic.position(word)[("device", "org")]
    assert (row.entitled, row.consumed, row.balance) == (5, 3, 2)
    assert row.status == "over"  # 3 of 5 used is under 90 %


def test_per_installation_counts_each_installation_and_flags_duplicates(lic: Lic) -> None:
    tool = lic.product("Visio")
    a, b = lic.device("pc-a"), lic.device("pc-b")
    lic.install(a, "Visio", "2019")
    lic.install(a, "Visio", "2021")
    lic.install(b, "Visio", "2021")
    lic.ent(tool, "installation", 2, unit_cost=Decimal("300"), currency="EUR")
    row = lic.position(tool)[("installation", "org")]
    assert (row.consumed, row.shortfall, row.status) == (3, 1, "under")
    assert row.true_up_cost == Decimal("300.00")
    duplicate = [c for c in row.candidates if c["kind"] == "duplicate"]
    assert duplicate == [
        {"kind": "duplicate", "ci": a.pk, "reason": "2 installations on one device"}
    ]


def test_per_named_user_unions_custodians_allocations_and_console_users(
    lic: Lic, make_asset: Any, site: dict[str, Any]
) -> None:
    app = lic.product("Project")
    minh, ana, ben = site["minh"], site["ana"], site["ben"]
    from assetgraph.assets import services as assets

    laptop = make_asset()
    assets.check_out_asset(lic.actor, laptop, to_person=minh)
    pc = lic.device("minh-laptop", asset=laptop)
    lic.install(pc, "Project")
    lic.install(lic.device("kiosk"), "Project")  # no custodian: counts as one user
    licence = lic.ent(app, "user", 10)
    services.allocate_seats(lic.actor, licence, {"person": minh})  # already counted
    services.allocate_seats(lic.actor, licence, {"person": ana})
    SaasUsage.objects.create(product=app, user_name="ben@example.com", person=ben)
    row = lic.position(app)[("user", "org")]
    assert row.consumed == 4  # minh, kiosk, ana, ben


def test_subscription_seats_count_console_users_and_idle_ones_are_candidates(
    lic: Lic, site: dict[str, Any]
) -> None:
    saas = lic.product("Creative Cloud")
    today = timezone.localdate()
    licence = lic.ent(
        saas,
        "subscription",
        5,
        term="subscription",
        start_date=today - dt.timedelta(days=100),
        end_date=today + dt.timedelta(days=265),
        idle_days=30,
        unit_cost=Decimal("600"),
        currency="EUR",
    )
    for n in range(6):
        last = today - dt.timedelta(days=5 if n < 3 else 60)
        SaasUsage.objects.create(product=saas, user_name=f"u{n}@example.com", last_active=last)
    services.allocate_seats(lic.actor, licence, {"person": site["ben"]})  # not in the console
    row = lic.position(saas)[("subscription", "org")]
    assert (row.consumed, row.shortfall, row.true_up_cost) == (7, 2, Decimal("1200.00"))
    idle = [c for c in row.candidates if c["kind"] == "idle"]
    assert len(idle) == 3 and all("idle for 30+ days" in c["reason"] for c in idle)


def test_concurrent_users_is_the_peak_of_the_last_ninety_days(lic: Lic) -> None:
    cad = lic.product("AutoCAD")
    now = timezone.now()
    for days, users in ((1, 4), (10, 7), (200, 20)):
        ConcurrencySample.objects.create(
            product=cad, measured_at=now - dt.timedelta(days=days), users=users
        )
    lic.ent(cad, "concurrent", 5)
    row = lic.position(cad)[("concurrent", "org")]
    assert (row.consumed, row.shortfall) == (7, 2)


def test_per_core_applies_the_minimum_per_processor_and_the_core_factor(lic: Lic) -> None:
    db = lic.product("Oracle Database", "Oracle")
    services.create_core_factor(lic.actor, {"processor_pattern": "intel xeon*", "factor": "0.5"})
    host = lic.device(
        "db-host",
        attributes={"cpu_count": 8, "cpu_sockets": 2, "cpu_model": "Intel Xeon Gold 6338"},
    )
    lic.install(host, "Oracle Database", "19c", publisher="Oracle")
    lic.ent(db, "core", 10, min_cores_per_processor=16, core_factor_table=True)
    # max(8 cores, 16 x 2 processors) = 32 cores x 0.5 = 16 core licences
    row = lic.position(db)[("core", "org")]
    assert (row.consumed, row.shortfall) == (16, 6)


def _farm(lic: Lic) -> dict[str, Any]:
    farm = lic.device("Farm X", "Cluster/Farm")
    hosts = [
        lic.device(f"hv-x{n}", "Hypervisor", attributes={"cpu_count": 32, "cpu_sockets": 2})
        for n in (1, 2, 3)
    ]
    for host in hosts:
        lic.relate(host, "member of", farm)
    vm = lic.device("ora-vm", "Virtual Machine", attributes={"cpu_count": 4})
    lic.relate(vm, "hosted on", farm)
    database = lic.device("ORA-PROD", "Database")
    lic.relate(database, "runs on", vm)
    return {"farm": farm, "hosts": hosts, "vm": vm, "db": database}


def test_per_core_on_a_vm_in_a_farm_counts_every_host_and_shows_the_path(lic: Lic) -> None:
    db = lic.product("Oracle Database", "Oracle")
    estate = _farm(lic)
    lic.install(estate["db"], "Oracle Database", "19c", publisher="Oracle")
    lic.ent(db, "core", 16, farm_exposure=True)
    row = lic.position(db)[("core", "org")]
    assert row.consumed == 96  # 3 hosts x 32 cores, factor 1
    (exposure,) = row.exposure
    assert exposure["path"] == (
        "ORA-PROD → runs on ora-vm → hosted on Farm X → has member x3 hosts"
    )
    assert exposure["cores"] == 96 and sorted(exposure["hosts"]) == ["hv-x1", "hv-x2", "hv-x3"]


def test_per_core_without_farm_exposure_counts_the_vm_cores(lic: Lic) -> None:
    db = lic.product("SQL Server")
    estate = _farm(lic)
    lic.install(estate["db"], "SQL Server")
    lic.ent(db, "core", 16)
    row = lic.position(db)[("core", "org")]
    assert row.consumed == 4 and row.exposure == []


def test_per_processor_counts_the_sockets_of_the_hosts(lic: Lic) -> None:
    db = lic.product("Oracle Database", "Oracle")
    estate = _farm(lic)
    lic.install(estate["db"], "Oracle Database", "19c", publisher="Oracle")
    lic.ent(db, "processor", 4, farm_exposure=True)
    assert lic.position(db)[("processor", "org")].consumed == 6


def test_site_licence_covers_the_location_subtree_and_the_rest_is_unlicensed(
    lic: Lic, site: dict[str, Any]
) -> None:
    viewer = lic.product("Viewer")
    inside = [lic.device(f"ldn-{n}", location=site["room"]) for n in (1, 2)]  # HQ in London
    outside = lic.device("ber-1", location=site["berlin"])
    for ci in (*inside, outside):
        lic.install(ci, "Viewer")
    lic.ent(viewer, "site", None, scope="location", scope_location=site["london"])
    rows = lic.position(viewer)
    site_row = rows[("site", f"loc:{site['london'].pk}")]
    assert (site_row.entitled, site_row.consumed, site_row.status) == (None, 2, "compliant")
    assert rows[("device", "unlicensed")].consumed == 1
    assert rows[("device", "unlicensed")].status == "unlicensed"


def test_downgrade_rights_from_the_database(lic: Lic) -> None:
    family = services.create_family(lic.actor, {"name": "SQL", "publisher": lic.publisher("MS")})
    new = lic.product("SQL 2022", "MS", family=family, version_rank=2022)
    old = lic.product("SQL 2019", "MS", family=family, version_rank=2019)
    for n in range(3):
        lic.install(lic.device(f"sql-{n}", attributes={"cpu_count": 4}), "SQL 2019", publisher="MS")
    lic.ent(new, "core", 16, version_rights="downgrade")
    rows = {(r.product_id, r.metric): r for r in compute(Entitlement.objects.all()).rows}
    assert rows[(old.pk, "core")].received == 12 and rows[(old.pk, "core")].status == "compliant"
    assert rows[(new.pk, "core")].lent == 12
    assert (old.pk, "device") not in rows  # covered: not unlicensed


def test_a_suite_covers_its_members(lic: Lic) -> None:
    word, excel = lic.product("Word"), lic.product("Excel")
    suite = services.create_suite(
        lic.actor,
        {"name": "Office", "publisher": lic.publisher("Contoso"), "products": [word.pk, excel.pk]},
    )
    for n in range(3):
        ci = lic.device(f"pc-{n}")
        lic.install(ci, "Word")
        if n:
            lic.install(ci, "Excel")
    lic.ent(None, "device", 2, suite=suite)
    by_product = {(r.product_id, r.metric): r for r in compute(Entitlement.objects.all()).rows}
    assert by_product[(word.pk, "device")].shortfall == 1
    assert by_product[(excel.pk, "device")].balance == 0


def test_leavers_and_retired_devices_holding_seats_are_candidates(
    lic: Lic, site: dict[str, Any], make_asset: Any
) -> None:
    from assetgraph.org import services as org

    app = lic.product("Project")
    licence = lic.ent(app, "user", 5)
    services.allocate_seats(lic.actor, licence, {"person": site["ana"]})
    org.update_person(lic.actor, site["ana"], {"status": "left", "end_date": dt.date(2026, 1, 31)})
    devices = lic.ent(app, "device", 5)
    retired_ci = lic.device("old-pc")
    services.allocate_seats(lic.actor, devices, {"ci": retired_ci})
    from assetgraph.cmdb import services as cmdb

    cmdb.retire_ci(lic.actor, retired_ci)
    rows = lic.position(app)
    leaver = rows[("user", "org")].candidates
    assert [c["kind"] for c in leaver] == ["leaver"] and "Costa, left" in leaver[0]["reason"]
    assert [c["kind"] for c in rows[("device", "org")].candidates] == ["retired"]


def test_the_position_as_of_a_past_date_reads_the_audit_trail(lic: Lic) -> None:
    word = lic.product("Word")
    licence = lic.ent(word, "device", 5)
    lic.install(lic.device("pc-a"), "Word")
    before = timezone.now()
    services.update_entitlement(lic.actor, licence, {"quantity": 50})
    later = lic.ent(word, "device", 7)
    now_row = lic.position(word)[("device", "org")]
    assert now_row.entitled == 57
    past = compute(Entitlement.objects.all(), as_of=before).rows
    (row,) = [r for r in past if r.product_id == word.pk and r.metric == "device"]
    assert row.entitled == 5 and row.entitlement_ids == [licence.pk]
    assert later.pk not in row.entitlement_ids


def test_sql_server_per_vm_counts_the_vm_cores_in_packs_not_the_host(lic: Lic) -> None:
    sql = lic.product("SQL Server", "Microsoft")
    host = lic.device("hv-1", "Hypervisor", attributes={"cpu_count": 64, "cpu_sockets": 2})
    vm = lic.device("sql-vm", "Virtual Machine", attributes={"cpu_count": 7})
    small = lic.device("sql-vm-2", "Virtual Machine", attributes={"cpu_count": 2})
    for guest in (vm, small):
        lic.relate(guest, "hosted on", host)
        lic.install(guest, "SQL Server", "2022", publisher="Microsoft")
    licence = lic.ent(sql, "core", 8, min_cores_per_server=4, core_pack_size=2)
    # Licensing the physical host (the default): its 64 cores, once for both VMs.
    assert lic.position(sql)[("core", "org")].consumed == 64
    services.update_entitlement(lic.actor, licence, {"virtual_cores": True})
    # Per VM: 7 vcores -> 8 (2-core packs), 2 vcores -> 4 (the 4-core minimum) = 12.
    row = lic.position(sql)[("core", "org")]
    assert (row.consumed, row.shortfall, row.status) == (12, 4, "under")


def test_windows_server_minimums_and_no_core_factor(lic: Lic) -> None:
    windows = lic.product("Windows Server", "Microsoft")
    services.load_oracle_core_factors(lic.actor)
    small = lic.device(
        "srv-small",
        attributes={"cpu_count": 4, "cpu_sockets": 1, "cpu_model": "Intel Xeon E-2314"},
    )
    big = lic.device(
        "srv-big",
        attributes={"cpu_count": 16, "cpu_sockets": 4, "cpu_model": "Intel Xeon Gold 5315Y"},
    )
    for server in (small, big):
        lic.install(server, "Windows Server", "2022", publisher="Microsoft")
    lic.ent(
        windows, "core", 48, min_cores_per_processor=8, min_cores_per_server=16, core_pack_size=2
    )
    # 4 cores -> 16 (server minimum); 4 x 4 cores -> 32 (8 per processor); no Xeon factor.
    row = lic.position(windows)[("core", "org")]
    assert (row.consumed, row.balance, row.status) == (48, 0, "compliant")


def test_oracle_core_factor_table_loaded_as_data(lic: Lic) -> None:
    assert services.load_oracle_core_factors(lic.actor) == len(services.ORACLE_CORE_FACTORS)
    assert services.load_oracle_core_factors(lic.actor) == 0  # idempotent
    db = lic.product("Oracle Database", "Oracle")
    for name, cores, model in (
        ("x86-a", 3, "Intel(R) Xeon(R) Gold 6338"),  # 0.5
        ("x86-b", 3, "AMD EPYC 7543"),  # 0.5
        ("sparc-old", 4, "SPARC64 VII"),  # 0.75
        ("sparc-new", 4, "SPARC64 VII+"),  # 0.5
        ("power", 2, "IBM POWER9"),  # 1.0
    ):
        host = lic.device(name, attributes={"cpu_count": cores, "cpu_model": model})
        lic.install(host, "Oracle Database", "19c", publisher="Oracle")
    lic.ent(db, "core", 10, core_factor_table=True)
    # 0.5: (3 + 3 + 4) x 0.5 = 5; 0.75: 4 x 0.75 = 3; 1.0: 2 -> 10 processor licences.
    row = lic.position(db)[("core", "org")]
    assert (row.consumed, row.balance, row.status) == (10, 0, "compliant")


def test_one_products_position_sees_the_downgrade_rights_of_its_family(lic: Lic) -> None:
    family = services.create_family(lic.actor, {"name": "SQL", "publisher": lic.publisher("MS")})
    new = lic.product("SQL 2022", "MS", family=family, version_rank=2022)
    old = lic.product("SQL 2019", "MS", family=family, version_rank=2019)
    lic.install(lic.device("sql-new", attributes={"cpu_count": 6}), "SQL 2022", publisher="MS")
    for n in range(2):
        lic.install(lic.device(f"sql-{n}", attributes={"cpu_count": 4}), "SQL 2019", publisher="MS")
    lic.ent(new, "core", 12, version_rights="downgrade")
    # 2022 uses 6 of its 12: 6 lent to 2019, which needs 8 -> shortfall 2.
    row = lic.position(old)[("core", "org")]
    assert (row.entitled, row.received, row.consumed, row.shortfall) == (0, 6, 8, 2)
    assert row.status == "under"
    assert set(lic.position(old)) == {("core", "org")}  # only the asked product's rows
    assert lic.position(new)[("core", "org")].lent == 6


def test_core_settings_only_for_per_core_licences(lic: Lic) -> None:
    product = lic.product("Viewer")
    with pytest.raises(ValidationFailed) as wrong_metric:
        lic.ent(product, "device", 5, core_pack_size=2)
    assert "metric" in wrong_metric.value.fields
    with pytest.raises(ValidationFailed) as both:
        lic.ent(product, "core", 5, virtual_cores=True, farm_exposure=True)
    assert "virtual_cores" in both.value.fields
    assert Entitlement.objects.count() == 0


def test_oracle_named_user_plus_minimums_per_processor_and_per_server(lic: Lic) -> None:
    from assetgraph.licences import usage

    services.load_oracle_core_factors(lic.actor)
    ee = lic.product("Oracle Database EE", "Oracle")
    big = lic.device(
        "ora-big", attributes={"cpu_count": 32, "cpu_sockets": 2, "cpu_model": "Intel Xeon Gold"}
    )
    lic.install(big, "Oracle Database EE", "19c", publisher="Oracle")
    lic.ent(ee, "user", 100, min_users_per_processor=25)
    # 32 Xeon cores x 0.5 = 16 processor licences x 25 = 400 named users, though 1 uses it.
    row = lic.position(ee)[("user", "org")]
    assert (row.consumed, row.shortfall) == (400, 300)

    se2 = lic.product("Oracle Database SE2", "Oracle")
    for n in (1, 2):
        lic.install(
            lic.device(f"se2-{n}", attributes={"cpu_count": 8}),
            "Oracle Database SE2",
            publisher="Oracle",
        )
    licence = lic.ent(se2, "user", 25, min_users_per_server=10)
    assert licence.counting_rule == "at least 10 users per server"
    # Two servers x 10 = 20 > the 2 users (devices without custodian): 20.
    assert lic.position(se2)[("user", "org")].consumed == 20
    users = usage.parse_rows([{"user": f"u{n}@example.com"} for n in range(30)])
    usage.import_usage(lic.actor, se2, users)
    # 30 console users + 2 devices = 32 actual users, above the minimum of 20.
    row = lic.position(se2)[("user", "org")]
    assert (row.consumed, row.shortfall, row.status) == (32, 7, "under")
    with pytest.raises(ValidationFailed) as wrong:
        services.update_entitlement(lic.actor, licence, {"metric": "device"})
    assert "metric" in wrong.value.fields
