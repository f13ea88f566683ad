"""Procure to receive: orders, receiving in part or in full (hardware becomes assets through
the assets importer), status following receipts, over-receiving refused, budgets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from assetgraph.assets.models import Asset
from assetgraph.audit.models import AuditEvent
from assetgraph.core.actor import Actor
from assetgraph.core.errors import Conflict
from assetgraph.finance import procurement, services
from assetgraph.finance.models import PurchaseOrder

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def order(catalogue: dict[str, Any], system: Actor) -> PurchaseOrder:
    """PO-1 to CDW for cost centre CC-1: 50 Latitude laptops at 1,390 and a support service."""
    po = services.create_order(
        system,
        {
            "number": "PO-1",
            "supplier": catalogue["cdw"],
            "order_date": dt.date(2025, 3, 1),
            "currency": "EUR",
            "cost_centre": catalogue["cc"],
        },
    )
    services.create_line(
        system,
        {
            "order": po,
            "kind": "hardware",
            "asset_model": catalogue["latitude"],
            "quantity": 50,
            "unit_price": D("1390.00"),
        },
    )
    services.create_line(
        system,
        {
            "order": po,
            "kind": "service",
            "description": "Imaging",
            "quantity": 1,
            "unit_price": D("500.00"),
        },
    )
    return po


def test_receive_fifty_laptops_in_one_call_then_the_rest(
    order: PurchaseOrder, catalogue: dict[str, Any], system: Actor
) -> None:
    procurement.place_order(system, order)
    laptops, service = list(order.lines.order_by("pk"))
    receipt = procurement.receive_order(
        system,
        order,
        [procurement.ReceiptItem(laptops.pk, 30, ("SN-1", "SN-2"))],
        location=catalogue["room"],
        received_on=dt.date(2025, 3, 10),
    )
    order.refresh_from_db()
    assert order.status == "partially_received"
    assets = Asset.objects.filter(order_number="PO-1")
    assert assets.count() == 30
    first = assets.get(serial_number="SN-1")
    assert (first.cost, first.currency, first.supplier, first.purchase_date, first.state) == (
        D("1390.00"),
        "EUR",
        catalogue["cdw"],
        dt.date(2025, 3, 10),
        "in_stock",
    )
    assert first.location == catalogue["room"]
    assert first.warranty_end == dt.date(2028, 3, 10)  # the model's 36 months
    assert receipt.lines.get().assets.count() == 30
    procurement.receive_order(
        system,
        order,
        [procurement.ReceiptItem(laptops.pk, 20), procurement.ReceiptItem(service.pk, 1)],
        received_on=dt.date(2025, 3, 20),
    )
    order.refresh_from_db()
    assert order.status == "received"
    assert assets.count() == 50
    assert (
        AuditEvent.objects.filter(object_type="finance.purchaseorder", action="receive").count()
        == 2
    )
    assert AuditEvent.objects.filter(object_type="assets.asset", action="create").count() >= 50


def test_over_receiving_and_unplaced_orders_are_refused(
    order: PurchaseOrder, system: Actor
) -> None:
    laptops = order.lines.order_by("pk").first()
    assert laptops is not None
    with pytest.raises(Conflict):
        procurement.receive_order(system, order, [procurement.ReceiptItem(laptops.pk, 1)])
    procurement.place_order(system, order)
    with pytest.raises(Conflict):
        procurement.receive_order(system, order, [procurement.ReceiptItem(laptops.pk, 51)])
    assert Asset.objects.filter(order_number="PO-1").count() == 0
    laptops.refresh_from_db()
    assert laptops.received_quantity == 0
    with pytest.raises(Conflict):
        services.update_order(system, order, {"notes": "late edit"})


def test_budget_committed_and_actual(
    order: PurchaseOrder, catalogue: dict[str, Any], system: Actor
) -> None:
    budget = services.create_budget(
        system,
        {
            "cost_centre": catalogue["cc"],
            "fiscal_year": 2025,
            "amount": D("100000"),
            "currency": "EUR",
        },
    )
    assert procurement.budget_status(budget).committed == 0  # a draft commits nothing
    procurement.place_order(system, order)
    laptops = order.lines.order_by("pk").first()
    assert laptops is not None
    procurement.receive_order(system, order, [procurement.ReceiptItem(laptops.pk, 10)])
    status = procurement.budget_status(budget)
    assert status.actual == D("13900.00")
    assert status.committed == D("56100.00")  # 40 x 1,390 + 500
    assert status.remaining == D("30000.00")


def test_api_place_receive_and_permissions(
    order: PurchaseOrder, catalogue: dict[str, Any], api: Callable[..., Any]
) -> None:
    procurement_client = api("Procurement")
    assert api("Finance").post(f"/api/finance/purchase-orders/{order.pk}/place").status_code == 403
    assert (
        procurement_client.post(f"/api/finance/purchase-orders/{order.pk}/place").status_code == 200
    )
    laptops = order.lines.order_by("pk").first()
    assert laptops is not None
    response = procurement_client.post(
        f"/api/finance/purchase-orders/{order.pk}/receive",
        {"items": [{"line_id": laptops.pk, "quantity": 50}], "location_id": catalogue["room"].pk},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "partially_received" and len(body["assets"]) == 50
    again = procurement_client.post(
        f"/api/finance/purchase-orders/{order.pk}/receive",
        {"items": [{"line_id": laptops.pk, "quantity": 1}]},
        content_type="application/json",
    )
    assert again.status_code == 409


def test_receive_page(
    order: PurchaseOrder,
    catalogue: dict[str, Any],
    browser: Callable[..., Any],
    system: Actor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    procurement.place_order(system, order)
    client = browser("Procurement")
    page = client.get(f"/finance/purchase-orders/{order.pk}/receive/")
    assert page.status_code == 200 and 'value="50"' in page.content.decode()
    assert '<select class="form-select form-select-sm" id="location"' in page.content.decode()
    # More locations than a drop-down holds: a type-ahead picker, never a list cut short.
    monkeypatch.setattr("assetgraph.finance.views.SELECT_LIMIT", 1)
    long = client.get(f"/finance/purchase-orders/{order.pk}/receive/").content.decode()
    assert 'data-picker="/pick/org.location/"' in long and 'id="location"' not in long
    laptops, service = list(order.lines.order_by("pk"))
    response = client.post(
        f"/finance/purchase-orders/{order.pk}/receive/",
        {
            f"line-{laptops.pk}": "50",
            f"line-{service.pk}": "1",
            "location": str(catalogue["room"].pk),
            "received_on": "2025-03-05",
        },
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == "received"
    assert (
        browser("Helpdesk").get(f"/finance/purchase-orders/{order.pk}/receive/").status_code == 404
    )


def test_a_line_for_a_stock_item_is_received_into_the_storeroom_ledger(
    catalogue: dict[str, Any], system: Actor
) -> None:
    """Headsets are tracked by quantity: receiving 20 posts one ``received`` ledger line into
    the storeroom at the order's price, referenced by the order, and creates no asset; a
    receipt without a storeroom, or with serial numbers, is refused and changes nothing."""
    from assetgraph.core.errors import ValidationFailed
    from assetgraph.stock import services as stock
    from assetgraph.stock.models import StockMovement
    from assetgraph.stock.querysets import on_hand

    stock.create_storeroom(system, {"name": "HQ store", "location": catalogue["room"]})
    headset = stock.create_stock_item(
        system, {"name": "Headset", "kind": "accessory", "model": catalogue["u27"]}
    )
    po = services.create_order(
        system,
        {
            "number": "PO-7",
            "supplier": catalogue["cdw"],
            "order_date": dt.date(2025, 3, 1),
            "currency": "EUR",
        },
    )
    line = services.create_line(
        system,
        {
            "order": po,
            "kind": "hardware",
            "asset_model": catalogue["u27"],
            "quantity": 20,
            "unit_price": D("49.00"),
        },
    )
    procurement.place_order(system, po)
    with pytest.raises(ValidationFailed, match="storeroom"):
        procurement.receive_order(system, po, [procurement.ReceiptItem(line.pk, 5)])
    with pytest.raises(ValidationFailed, match="serial numbers"):
        procurement.receive_order(
            system,
            po,
            [procurement.ReceiptItem(line.pk, 1, ("SN-9",))],
            location=catalogue["room"],
        )
    line.refresh_from_db()
    assert line.received_quantity == 0 and not StockMovement.objects.exists()
    procurement.receive_order(
        system, po, [procurement.ReceiptItem(line.pk, 20)], location=catalogue["room"]
    )
    movement = StockMovement.objects.get()
    assert (movement.reason, movement.quantity, movement.to_location_id) == (
        "received",
        20,
        catalogue["room"].pk,
    )
    assert (movement.unit_cost, movement.currency, movement.reference) == (
        D("49.00"),
        "EUR",
        "PO-7",
    )
    assert on_hand(headset.pk, catalogue["room"].pk) == 20
    assert not Asset.objects.filter(order_number="PO-7").exists()
    po.refresh_from_db()
    assert po.status == "received"


def test_receive_page_takes_a_csv_of_serial_numbers(
    order: PurchaseOrder, catalogue: dict[str, Any], browser: Callable[..., Any], system: Actor
) -> None:
    """ "Receive 50 laptops" as one CSV: one row per unit with its serial number (the order
    has one hardware line, so no line column is needed); each becomes an asset in stock with
    its serial, the order number and the unit price. The CSV is an import: a worker job
    receives it (issue 15), all or nothing, naming every bad row; the cheap checks (type,
    size, date) answer in the request and queue nothing."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from assetgraph.core.models import ImportJob
    from assetgraph.finance import uploads
    from tests.importjobs import finish_page

    def csv(name: str, text: str) -> Any:
        return SimpleUploadedFile(name, text.encode(), content_type="text/csv")

    procurement.place_order(system, order)
    client = browser("Procurement")
    url = f"/finance/purchase-orders/{order.pk}/receive/"
    # Cheap checks: in the request, naming the field; nothing is queued.
    wrong = client.post(url, {"serials": csv("serials.xlsx", "serial_number\nSN-A\n")})
    assert wrong.status_code == 422 and "serials: unsupported file type" in wrong.content.decode()
    big = "serial_number\n" + "S" * uploads.MAX_RECEIPT_CSV_BYTES
    too_big = client.post(url, {"serials": csv("big.csv", big)})
    assert too_big.status_code == 413 and "serials: the CSV is larger" in too_big.content.decode()
    date = client.post(url, {"received_on": "5 March", "serials": csv("s.csv", "serial_number\n")})
    assert date.status_code == 422 and "received_on: not a date" in date.content.decode()
    assert not ImportJob.objects.exists()
    # Row errors: the job fails, naming every bad row; nothing is received.
    bad = 'serial_number\nSN-A\n""\nSN-B,oops\n'  # row 3 empty, row 4 one cell too many
    page = finish_page(
        client,
        client.post(url, {"location": str(catalogue["room"].pk), "serials": csv("bad.csv", bad)}),
    )
    text = page.content.decode()
    assert "row 3: no serial number (2 bad row(s); nothing received)" in text
    assert "row 4" in text and "more cells than columns" in text
    assert ImportJob.objects.get().state == "failed"
    assert not Asset.objects.filter(order_number=order.number).exists()
    rows = "serial_number\n" + "".join(f"SN-{n:03d}\n" for n in range(50))
    response = client.post(
        url,
        {
            "location": str(catalogue["room"].pk),
            "received_on": "2025-03-05",
            "serials": csv("serials.csv", rows),
        },
    )
    job_url = response["Location"]
    page = finish_page(client, response)
    assert "Received 50 unit(s) against PO-1 on 2025-03-05." in page.content.decode()
    received = Asset.objects.filter(order_number=order.number)
    assert received.count() == 50
    assert received.filter(serial_number="SN-049", cost=D("1390.00")).exists()
    job = ImportJob.objects.get(state="succeeded")
    event = AuditEvent.objects.get(action="receive", object_id=str(order.pk))
    assert (event.actor_id, event.source, event.job_id) == (job.user_id, "ui", job.pk.hex)
    # The starter and whoever may view jobs see the job; anyone else gets a 404.
    assert browser("Procurement").get(job_url).status_code == 404
    assert browser("Admin").get(job_url).status_code == 200
    order.refresh_from_db()
    assert order.status == "partially_received"  # the imaging service is still open
