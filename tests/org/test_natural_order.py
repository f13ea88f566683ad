"""Natural, case-insensitive name order for people, companies, departments and hardware models
(issue 17, ADR 0015): "server2" before "server10" and "alpha" with "Alpha" on the list page, the
API and the type-ahead picker, on SQLite and PostgreSQL alike, through the stored ``name_key``
kept current by the services and the import engine."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from assetgraph.assets import services as assets
from assetgraph.assets.choices import CategoryKindChoices
from assetgraph.assets.models import AssetModel, Category
from assetgraph.audit.models import AuditEvent
from assetgraph.core.actor import Actor
from assetgraph.core.natural import joined_key, natural_key
from assetgraph.org import services as org
from assetgraph.org.importers import PersonImporter
from assetgraph.org.models import Company, Department, Person

pytestmark = pytest.mark.django_db

NAMES = ["server10", "Server2", "alpha", "server1", "Beta"]
ORDER = ["alpha", "Beta", "server1", "Server2", "server10"]
SYSTEM = Actor.system("tests")


def _positions(page: str, names: list[str]) -> list[int]:
    return [page.index(f">{name}<") for name in names]


def test_a_person_sorts_by_last_then_first_name_naturally() -> None:
    assert joined_key("Tran", "Lan") == natural_key("tran lan")
    assert joined_key("Tran", "Lan") < joined_key("Tranh", "An")  # the space sorts first
    assert joined_key("ops2", "x") < joined_key("OPS10", "x")


def test_companies_sort_naturally_on_page_api_and_picker(
    browser: Callable[..., Client], api: Callable[..., Client]
) -> None:
    for name in NAMES:
        org.create_company(SYSTEM, {"name": f"zz {name}", "is_supplier": True})
    page = browser("Admin").get("/org/companies/", {"ordering": "name"}).content.decode()
    assert _positions(page, [f"zz {n}" for n in ORDER]) == sorted(
        _positions(page, [f"zz {n}" for n in ORDER])
    )
    body = api("Admin").get("/api/org/companies/", {"ordering": "name", "limit": 500}).json()
    names = [r["name"] for r in body["results"] if r["name"].startswith("zz ")]
    assert names == [f"zz {n}" for n in ORDER]
    picked = browser("Admin").get("/pick/org.company/", {"q": "zz"}).json()["results"]
    assert [r["text"] for r in picked] == [f"zz {n}" for n in ORDER]
    # The model's default order is the natural one too (pickers of forms, exports).
    default = [c.name for c in Company.objects.filter(name__startswith="zz ")]
    assert default == [f"zz {n}" for n in ORDER]


def test_people_sort_by_last_name_naturally_and_ignore_case(
    browser: Callable[..., Client], api: Callable[..., Client]
) -> None:
    for index, name in enumerate(NAMES):
        org.create_person(
            SYSTEM, {"employee_number": f"NAT{index}", "first_name": "Kim", "last_name": name}
        )
    body = api("Admin").get("/api/org/people/", {"ordering": "last_name", "limit": 500}).json()
    names = [r["last_name"] for r in body["results"] if r["employee_number"].startswith("NAT")]
    assert names == ORDER
    descending = api("Admin").get("/api/org/people/", {"ordering": "-last_name", "limit": 500})
    names = [
        r["last_name"] for r in descending.json()["results"] if r["employee_number"][:3] == "NAT"
    ]
    assert names == ORDER[::-1]
    page = browser("Admin").get("/org/people/", {"q": "Kim"}).content.decode()
    labels = [f"{n}, Kim" for n in ORDER]
    assert _positions(page, labels) == sorted(_positions(page, labels))
    picked = browser("Admin").get("/pick/org.person/", {"q": "kim"}).json()["results"]
    assert [r["text"] for r in picked] == [f"Kim {n}" for n in ORDER]


def test_a_rename_refreshes_the_key_and_stays_out_of_the_audit_trail() -> None:
    person = org.create_person(
        SYSTEM, {"employee_number": "NATR", "first_name": "Lan", "last_name": "Tran"}
    )
    assert person.name_key == joined_key("Tran", "Lan")
    org.update_person(SYSTEM, person, {"first_name": "Anh"})
    person.refresh_from_db()
    assert person.name_key == joined_key("Tran", "Anh")
    event = AuditEvent.objects.filter(object_type="org.person", object_id=str(person.pk)).last()
    assert event is not None and "name_key" not in json.dumps([event.before, event.after])


def test_imported_people_get_their_key_on_create_and_on_update() -> None:
    text = "employee_number,first_name,last_name\nNATI1,Ann,Node10\nNATI2,Bo,node9\n"
    report = PersonImporter(SYSTEM).run(io.BytesIO(text.encode()), "p.csv", dry_run=False)
    assert report.applied, report.as_dict()
    rename = "employee_number,first_name,last_name\nNATI1,Ann,Node1\n"
    report = PersonImporter(SYSTEM).run(io.BytesIO(rename.encode()), "p.csv", dry_run=False)
    assert report.applied, report.as_dict()
    keys = dict(
        Person.objects.filter(employee_number__startswith="NATI").values_list(
            "employee_number", "name_key"
        )
    )
    assert keys == {"NATI1": joined_key("Node1", "Ann"), "NATI2": joined_key("node9", "Bo")}


def test_departments_models_and_categories_sort_naturally(api: Callable[..., Client]) -> None:
    for name in NAMES:
        org.create_department(SYSTEM, {"name": f"Team {name}"})
    body = api("Admin").get("/api/org/departments/", {"ordering": "name", "limit": 500}).json()
    names = [r["name"] for r in body["results"] if r["name"].startswith("Team ")]
    assert names == [f"Team {n}" for n in ORDER]
    assert [d.name for d in Department.objects.filter(name__startswith="Team ")] == names
    category = Category.objects.create(name="Natural", kind=CategoryKindChoices.LAPTOP)
    maker = org.create_company(SYSTEM, {"name": "Natural maker", "is_manufacturer": True})
    for name in NAMES:
        assets.create_model(
            SYSTEM, {"name": f"NM {name}", "category": category, "manufacturer": maker}
        )
    body = api("Admin").get("/api/assets/models/", {"ordering": "name", "limit": 500}).json()
    names = [r["name"] for r in body["results"] if r["name"].startswith("NM ")]
    assert names == [f"NM {n}" for n in ORDER]
    assert [m.name for m in AssetModel.objects.filter(name__startswith="NM ")] == names
    for name in NAMES:
        assets.create_category(SYSTEM, {"name": f"Kind {name}", "kind": "laptop"})
    body = api("Admin").get("/api/assets/categories/", {"ordering": "name", "limit": 500}).json()
    names = [r["name"] for r in body["results"] if r["name"].startswith("Kind ")]
    assert names == [f"Kind {n}" for n in ORDER]
    assert [c.name for c in Category.objects.filter(name__startswith="Kind ")] == names


def test_kits_stock_licences_and_classes_sort_naturally(api: Callable[..., Client]) -> None:
    """Kits, storerooms, stock items, publishers, licensable products and CI classes: the API
    list (filtered where it is filtered: products of one publisher, items of one kind,
    subclasses of one class) and the default order are natural."""
    from assetgraph.assets.models import Kit
    from assetgraph.cmdb.models import CIClass
    from assetgraph.licences.models import Product, Publisher
    from assetgraph.stock.models import StockItem, Storeroom

    client = api("Admin")
    category = Category.objects.create(name="Stocked", kind=CategoryKindChoices.PHONE)
    maker = org.create_company(SYSTEM, {"name": "Stock maker", "is_manufacturer": True})
    model = AssetModel.objects.create(name="Headset", category=category, manufacturer=maker)
    publisher = Publisher.objects.create(name="Natural soft")
    root = CIClass.objects.create(name="Natural root")
    for index, name in enumerate(NAMES):
        Kit.objects.create(name=f"Kit {name}")
        site = org.create_location(SYSTEM, {"name": f"Site {name}", "kind": "site"})
        Storeroom.objects.create(name=f"Store {name}", location=site)
        StockItem.objects.create(name=f"Item {name}", kind="consumable", model=model)
        Publisher.objects.create(name=f"Pub {name}")
        Product.objects.create(name=f"Prod {name}", publisher=publisher, version=str(index))
        CIClass.objects.create(name=f"Class {name}", parent=root)
    lists = [
        ("/api/assets/kits/", {}, "Kit "),
        ("/api/stock/storerooms/", {"active": "true"}, "Store "),
        ("/api/stock/items/", {"kind": "consumable"}, "Item "),
        ("/api/licences/publishers/", {}, "Pub "),
        ("/api/licences/products/", {"publisher": publisher.pk}, "Prod "),
        ("/api/cmdb/classes/", {"parent_id": root.pk}, "Class "),
    ]
    for path, filters, prefix in lists:
        response = client.get(path, {**filters, "ordering": "name", "limit": 3})
        assert response.status_code == 200, (path, response.content)
        body = response.json()
        names = [r["name"] for r in body["results"]]
        following = client.get(path, {**filters, "ordering": "name", "cursor": body["next"]})
        names += [r["name"] for r in following.json()["results"]]
        assert [n for n in names if n.startswith(prefix)] == [f"{prefix}{n}" for n in ORDER]
    assert [p.name for p in Product.objects.filter(publisher=publisher)] == [
        f"Prod {n}" for n in ORDER
    ]
    assert [c.name for c in CIClass.objects.filter(parent=root)] == [f"Class {n}" for n in ORDER]


def test_the_new_sort_key_columns_are_indexed() -> None:
    from assetgraph.assets.models import Kit
    from assetgraph.cmdb.models import CIClass
    from assetgraph.licences.models import Product, Publisher
    from assetgraph.stock.models import StockItem, Storeroom

    for model in (Person, Company, Department, AssetModel, Category, Kit, Storeroom, StockItem):
        field: Any = model._meta.get_field("name_key")
        assert field.db_index and not field.editable
    for model in (Publisher, Product, CIClass):
        assert model._meta.get_field("name_key").db_index
    # Filtered and paged by name: a composite index (filter, name_key, id) each.
    composite = {
        (m._meta.label, tuple(i.fields))
        for m in (StockItem, Storeroom, Product, CIClass)
        for i in m._meta.indexes
    }
    assert composite >= {
        ("stock.StockItem", ("kind", "name_key", "id")),
        ("stock.Storeroom", ("active", "name_key", "id")),
        ("licences.Product", ("publisher", "name_key", "id")),
        ("cmdb.CIClass", ("parent", "name_key", "id")),
    }
