"""The fast measuring paths give exactly the reference position (issue 11 item 7).

The position over a large estate reads installations in index passes (``licences.scan``) and,
for a few products, through the installation's product index; ``compute(reference=True)``
keeps the plain grouped queries the position was first written with. On a generated estate
that exercises every metric, downgrade rights, a suite, location and department scope, farm
exposure, duplicates, retired and stale devices, custodians, leavers, SaaS consoles and a
product fed by two catalogue entries, both give the same rows, candidates and exposure paths:
for the whole position and for each product alone, with the scan forced on every question
(threshold 0) and with the product-index path forced on every question (threshold huge).
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from assetgraph.assets import services as assets
from assetgraph.cmdb import services as cmdb
from assetgraph.cmdb.models import CI
from assetgraph.licences import evidence, services
from assetgraph.licences.evidence import compute
from assetgraph.licences.models import ConcurrencySample, Entitlement, Product, SaasUsage
from assetgraph.licences.position import PositionRow
from assetgraph.org import services as org

from .conftest import Lic

pytestmark = pytest.mark.django_db

DESKTOP = ["Word", "Excel", "Visio", "Project", "Creative Cloud", "AutoCAD", "Viewer"]
DESKTOP += ["Notepad", "Tool", "Stray", "Multi", "Multi Pro", "Expired", "SQL 2019"]


def _catalogue(lic: Lic, site: dict[str, Any]) -> dict[str, Product]:
    family = services.create_family(lic.actor, {"name": "SQL", "publisher": lic.publisher("MS")})
    names = [n for n in DESKTOP if n not in ("Multi Pro", "SQL 2019")]
    made = {name: lic.product(name) for name in names}
    made["SQL 2022"] = lic.product("SQL 2022", "MS", family=family, version_rank=2022)
    made["SQL 2019"] = lic.product("SQL 2019", "MS", family=family, version_rank=2019)
    made["Oracle DB"] = lic.product("Oracle DB", "Oracle")
    made["Oracle SE2"] = lic.product("Oracle SE2", "Oracle")
    # A second catalogue entry feeding the same licensable product.
    services.create_rule(
        lic.actor,
        {
            "publisher_pattern": "*",
            "name_pattern": "Multi Pro",
            "product": made["Multi"],
            "priority": 5,
        },
    )
    return made


def _entitlements(lic: Lic, p: dict[str, Product], site: dict[str, Any]) -> dict[str, Any]:
    today = timezone.localdate()
    office = services.create_suite(
        lic.actor,
        {"name": "Office", "publisher": lic.publisher("Contoso"), "products": [p["Word"].pk]},
    )
    services.update_suite(lic.actor, office, {"products": [p["Word"].pk, p["Excel"].pk]})
    priced = {"unit_cost": Decimal("25"), "currency": "EUR"}
    return {
        "office": lic.ent(None, "device", 12, suite=office, **priced),
        "word": lic.ent(p["Word"], "device", 5, **priced),
        "visio": lic.ent(p["Visio"], "installation", 6, idle_days=30, **priced),
        "visio_ber": lic.ent(
            p["Visio"], "installation", 2, scope="location", scope_location=site["berlin"]
        ),
        "project": lic.ent(p["Project"], "user", 8, idle_days=45, **priced),
        "cc": lic.ent(p["Creative Cloud"], "subscription", 4, idle_days=30, **priced),
        "cad": lic.ent(p["AutoCAD"], "concurrent", 3),
        "viewer": lic.ent(
            p["Viewer"], "site", None, scope="location", scope_location=site["london"]
        ),
        "notepad": lic.ent(p["Notepad"], "enterprise", None),
        "tool": lic.ent(p["Tool"], "device", 3, scope="department", scope_department=site["it"]),
        "multi": lic.ent(p["Multi"], "installation", 10, **priced),
        "multi_dev": lic.ent(p["Multi"], "device", 4),
        "expired": lic.ent(
            p["Expired"],
            "subscription",
            10,
            term="subscription",
            start_date=today - dt.timedelta(days=400),
            end_date=today - dt.timedelta(days=35),
        ),
        "sql_core": lic.ent(p["SQL 2022"], "core", 24, version_rights="downgrade", **priced),
        "sql_dev": lic.ent(p["SQL 2022"], "device", 6, version_rights="downgrade"),
        "ora_farm": lic.ent(p["Oracle DB"], "core", 16, farm_exposure=True, **priced),
        "ora_proc": lic.ent(p["Oracle DB"], "processor", 2, farm_exposure=True),
        "se2": lic.ent(p["Oracle SE2"], "user", 5, min_users_per_server=10),
    }


def _farm(lic: Lic) -> list[CI]:
    farm = lic.device("Farm X", "Cluster/Farm")
    for n in (1, 2, 3):
        host = lic.device(f"hv-x{n}", "Hypervisor", attributes={"cpu_count": 32, "cpu_sockets": 2})
        lic.relate(host, "member of", farm)
    vms = []
    for n in (1, 2):
        vm = lic.device(f"ora-vm{n}", "Virtual Machine", attributes={"cpu_count": 4})
        lic.relate(vm, "hosted on", farm)
        database = lic.device(f"ORA-{n}", "Database")
        lic.relate(database, "runs on", vm)
        vms += [vm, database]
    return vms


def _install(lic: Lic, ci: CI, name: str, version: str = "1.0", publisher: str = "Contoso") -> None:
    cmdb.record_software_install(
        lic.actor, ci, {"publisher": publisher, "product": name, "version": version}
    )


def _desktops(lic: Lic, site: dict[str, Any], make_asset: Any) -> list[CI]:
    """Desktops in London, its HQ room, Berlin or nowhere; some owned by IT, some on an
    asset with a custodian (one without), some with cores."""
    places = [site["room"], site["london"], site["berlin"], None]
    people = [site["minh"], site["ana"], site["ben"], None]
    desktops = []
    for n in range(36):
        values: dict[str, Any] = {"location": places[n % 4]}
        if n % 5 == 0:
            values["owning_team"] = site["it"]
        if n % 3 == 0:
            asset = make_asset(serial_number=f"S{n}")
            holder = people[n % 4]
            if holder is not None:
                assets.check_out_asset(lic.actor, asset, to_person=holder)
            values["asset"] = asset
        if n % 9 == 4:
            values["attributes"] = {"cpu_count": 8, "cpu_sockets": 1}
        desktops.append(lic.device(f"pc-{n:02d}", **values))
    return desktops


def _estate(lic: Lic, site: dict[str, Any], make_asset: Any) -> dict[str, Any]:
    rng = random.Random(11)
    products = _catalogue(lic, site)
    people = [site["minh"], site["ana"], site["ben"], None]
    desktops = _desktops(lic, site, make_asset)
    for ci in desktops:
        for name in rng.sample(DESKTOP, rng.randint(2, 6)):
            _install(lic, ci, name)
            if rng.random() < 0.15:
                _install(lic, ci, name, "2.0")  # a duplicate: two versions on one device
    servers = _farm(lic)
    for ci in servers[1::2]:
        _install(lic, ci, "Oracle DB", "19c", "Oracle")
    for n in (1, 2):
        se2 = lic.device(f"se2-{n}", attributes={"cpu_count": 8})
        _install(lic, se2, "Oracle SE2", publisher="Oracle")
    services.apply_normalisation_rules(lic.actor)
    ents = _entitlements(lic, products, site)
    # Seats: people (one becomes a leaver), devices with and without the product installed.
    for person in (site["minh"], site["ana"]):
        services.allocate_seats(lic.actor, ents["project"], {"person": person})
    services.allocate_seats(lic.actor, ents["cc"], {"person": site["ben"]})
    services.allocate_seats(lic.actor, ents["word"], {"ci": desktops[0]})
    services.allocate_seats(lic.actor, ents["word"], {"ci": desktops[1]})
    services.allocate_seats(lic.actor, ents["visio"], {"ci": desktops[2], "quantity": 2})
    services.allocate_seats(lic.actor, ents["multi_dev"], {"ci": desktops[5]})
    org.update_person(lic.actor, site["ana"], {"status": "left", "end_date": dt.date(2026, 1, 31)})
    # Retired devices (installations stay, the CI's interval closes) and stale ones.
    for ci in (desktops[1], desktops[7], desktops[20]):
        cmdb.retire_ci(lic.actor, ci)
    stale = timezone.now() - dt.timedelta(days=120)
    CI.objects.filter(pk__in=[d.pk for d in desktops[10:16]]).update(last_seen=stale)
    CI.objects.filter(pk__in=[d.pk for d in desktops[16:30]]).update(last_seen=timezone.now())
    today = timezone.localdate()
    for product, count in ((products["Creative Cloud"], 6), (products["Project"], 3)):
        for n in range(count):
            SaasUsage.objects.create(
                product=product,
                user_name=f"u{n}@example.com",
                person=people[n % 3],
                last_active=None if n == 0 else today - dt.timedelta(days=10 * n),
            )
    now = timezone.now()
    for days, users in ((2, 5), (40, 2)):
        ConcurrencySample.objects.create(
            product=products["AutoCAD"], measured_at=now - dt.timedelta(days=days), users=users
        )
    return products


def _rows(**kwargs: Any) -> list[PositionRow]:
    return compute(Entitlement.objects.all(), **kwargs).rows


@pytest.mark.parametrize("threshold", [0, 10**6], ids=["scan-everything", "product-index"])
def test_fast_paths_give_the_reference_position(
    lic: Lic, site: dict[str, Any], make_asset: Any, monkeypatch: Any, threshold: int
) -> None:
    products = _estate(lic, site, make_asset)
    monkeypatch.setattr(evidence, "LARGE_PRODUCT_SET", threshold)

    reference = _rows(reference=True)
    assert _rows() == reference
    for product in products.values():
        one = {product.pk}
        alone = _rows(product_ids=one)
        assert alone == _rows(product_ids=one, reference=True), product.name
        # One product's position reads only its family, suites and rows: the same rows.
        assert alone == [r for r in reference if r.product_id == product.pk], product.name

    # The estate exercises what it claims to.
    metrics = {r.metric for r in reference}
    assert metrics >= {"device", "installation", "user", "subscription", "concurrent"}
    assert metrics >= {"core", "processor", "site", "enterprise"}
    scopes = {r.scope.split(":")[0] for r in reference}
    assert scopes >= {"org", "loc", "dept", "unlicensed"}
    kinds = {c["kind"] for r in reference for c in r.candidates}
    assert kinds >= {"duplicate", "unused", "idle", "leaver", "retired"}
    assert any(r.received for r in reference) and any(r.exposure for r in reference)
    multi = [r for r in reference if r.product_id == products["Multi"].pk]
    assert any(r.consumed for r in multi)
