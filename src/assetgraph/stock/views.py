"""UI pages of the stock ledger and maintenance (namespace ``ui:stock``): the ledger, the stock
action form (receive, issue, return, transfer, write off, count), reorder alerts and report,
the storeroom page's stock and movements, the asset page's maintenance section, repair
send/return and the repairs-per-model report. Requests and reservations are in
:mod:`assetgraph.stock.request_views`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from assetgraph.accounts.http import AuthedRequest
from assetgraph.accounts.permissions import has_perm, restrict
from assetgraph.assets.models import Asset
from assetgraph.core.actor import ui_actor
from assetgraph.core.errors import ServiceError
from assetgraph.org.models import Company, Location, Person
from assetgraph.ui.generic import apply_service_errors, link, prepare_form

from . import services
from .choices import MaintenanceKindChoices
from .models import MaintenanceRecord, StockItem, StockMovement, Storeroom
from .querysets import below_minimum, movements_at, reorder_report, storeroom_balances
from .reports import repairs_per_model

ACTIONS = [
    ("receive", "Receive (goods in)"),
    ("issue", "Issue / check out"),
    ("return", "Return"),
    ("transfer", "Transfer between storerooms"),
    ("write_off", "Write off"),
    ("count", "Count (post the difference)"),
]
LEDGER_PAGE = 100


def require(request: HttpRequest, object_type: str, action: str = "view") -> None:
    """A page about a whole type the user may not use at all is a 403."""
    if not has_perm(request.user, object_type, action):
        raise PermissionDenied(f"you may not {action} {object_type}")


def holder_text(line: StockMovement, prefix: str) -> Any:
    """The holder on one side of a line as a link (or "outside")."""
    location = getattr(line, f"{prefix}_location")
    if location is not None:
        return link(location, "ui:org:location_detail")
    person = getattr(line, f"{prefix}_person")
    if person is not None:
        return link(person, "ui:org:person_detail")
    asset = getattr(line, f"{prefix}_asset")
    if asset is not None:
        return link(asset, "ui:assets:asset_detail")
    return "(outside)"


def movement_row(line: StockMovement) -> list[Any]:
    return [
        f"{line.occurred_at:%Y-%m-%d %H:%M}",
        line.item.name,
        line.get_reason_display(),
        line.quantity,
        holder_text(line, "from"),
        holder_text(line, "to"),
        line.reference,
        line.recorded_by,
    ]


MOVEMENT_HEADERS = ["When", "Item", "Reason", "Qty", "From", "To", "Reference", "By"]


def stock_row(balance: Any) -> list[Any]:
    minimum = balance.minimum or 0
    low = balance.on_hand < minimum
    return [
        link(balance.item, "ui:stock:stockitem_detail"),
        balance.item.get_kind_display(),
        balance.on_hand,
        minimum,
        {"badge": "text-bg-danger", "text": "below minimum"} if low else "",
    ]


# ------------------------------------------------------------------------------ sections
def storeroom_stock_table(request: HttpRequest, room: Storeroom) -> dict[str, Any] | None:
    """The storeroom page's stock table: on hand and minimum per item, lows flagged."""
    balances = storeroom_balances().filter(location_id=room.location_id)
    balances = balances.filter(item__in=restrict(StockItem.objects.all(), request.user))
    rows = [stock_row(b) for b in balances.order_by("item__name")]
    return {
        "title": "Stock",
        "headers": ["Item", "Kind", "On hand", "Minimum", ""],
        "rows": rows,
    }


def storeroom_movements_table(request: HttpRequest, room: Storeroom) -> dict[str, Any] | None:
    """The storeroom page's latest ledger lines in and out, with a link to all of them."""
    if not has_perm(request.user, "stock.stockmovement", "view"):
        return None
    lines = restrict(movements_at(room.location_id), request.user)[:20]
    return {
        "title": "Movements",
        "headers": MOVEMENT_HEADERS,
        "rows": [movement_row(m) for m in lines],
        "more_url": reverse("ui:stock:ledger") + f"?location={room.location_id}",
    }


def asset_maintenance_section(request: HttpRequest, asset: Asset) -> dict[str, Any] | None:
    """The asset page's "Maintenance" section: its log with costs and the repair actions."""
    if not has_perm(request.user, "stock.maintenancerecord", "view"):
        return None
    records = list(
        restrict(MaintenanceRecord.objects.filter(asset=asset), request.user).select_related(
            "supplier"
        )
    )
    total = services.maintenance_costs(asset.pk)
    fields: list[tuple[str, Any]] = [
        ("Maintenance cost", ", ".join(f"{v} {k}" for k, v in sorted(total.items())) or "none"),
    ]
    if has_perm(request.user, "stock.maintenancerecord", "add"):
        at_repair = any(r.in_repair and r.completed is None for r in records)
        action = "ui:stock:repair_return" if at_repair else "ui:stock:repair_send"
        text = "Return from repair…" if at_repair else "Send for repair…"
        fields.append(("Repair", {"url": reverse(action, args=[asset.pk]), "text": text}))
    return {
        "title": "Maintenance",
        "fields": fields,
        "headers": ["Work", "Kind", "Supplier", "Started", "Completed", "Cost", "Warranty"],
        "rows": [
            [
                link(r, "ui:stock:maintenancerecord_detail"),
                r.get_kind_display(),
                r.supplier.name if r.supplier else "",
                r.started,
                r.completed or ("at repair" if r.in_repair else ""),
                f"{r.cost} {r.currency}" if r.cost is not None else "",
                "covered" if r.warranty_covered else "",
            ]
            for r in records
        ],
    }


# ------------------------------------------------------------------------------ ledger
@login_required
def ledger(request: AuthedRequest) -> HttpResponse:
    """Ledger lines, newest first, filtered by item, storeroom and reason."""
    require(request, "stock.stockmovement")
    lines = restrict(StockMovement.objects.all(), request.user).select_related(
        "item", "from_location", "to_location", "from_person", "to_person", "from_asset", "to_asset"
    )
    filters = _ledger_filters(request)
    for name, value in ((f["name"], f["selected"]) for f in filters):
        if not value.isdigit() and name != "reason":
            continue
        if name == "item" and value:
            lines = lines.filter(item_id=int(value))
        elif name == "location" and value:
            lines = lines.filter(from_location_id=int(value)) | lines.filter(
                to_location_id=int(value)
            )
        elif name == "reason" and value:
            lines = lines.filter(reason=value)
    rows = [movement_row(m) for m in lines.order_by("-occurred_at", "-id")[:LEDGER_PAGE]]
    actions = []
    if has_perm(request.user, "stock.stockmovement", "add") or has_perm(
        request.user, "stock.stockmovement", "issue"
    ):
        actions.append({"url": reverse("ui:stock:move"), "text": "Record a movement", "id": "move"})
    return render(
        request,
        "stock/page.html",
        {
            "title": "Stock ledger",
            "intro": "Every movement is a line; stock on hand is the sum of a holder's lines. "
            f"Showing the newest {LEDGER_PAGE} lines.",
            "actions": actions,
            "filters": filters,
            "tables": [
                {"title": "", "headers": MOVEMENT_HEADERS, "rows": rows, "id": "ledger-table"}
            ],
        },
    )


def _ledger_filters(request: HttpRequest) -> list[dict[str, Any]]:
    items = restrict(StockItem.objects.all(), request.user).values_list("pk", "name")
    rooms = Storeroom.objects.values_list("location_id", "name")
    from .choices import MovementReasonChoices

    return [
        {
            "name": "item",
            "label": "Item",
            "options": [(str(pk), name) for pk, name in items],
            "selected": request.GET.get("item", ""),
        },
        {
            "name": "location",
            "label": "Storeroom",
            "options": [(str(pk), name) for pk, name in rooms],
            "selected": request.GET.get("location", ""),
        },
        {
            "name": "reason",
            "label": "Reason",
            "options": list(MovementReasonChoices.choices),
            "selected": request.GET.get("reason", ""),
        },
    ]


class MovementForm(forms.Form):
    """One stock action; which holders are needed depends on the action (docs/stock.md)."""

    action = forms.ChoiceField(choices=ACTIONS)
    item = forms.ModelChoiceField(queryset=StockItem.objects.all())
    quantity = forms.IntegerField(min_value=1, required=False)
    found = forms.IntegerField(min_value=0, required=False, help_text="For a count only.")
    from_location = forms.ModelChoiceField(
        queryset=Location.objects.all(), required=False, help_text="Storeroom (or lent-to place)"
    )
    from_person = forms.ModelChoiceField(queryset=Person.objects.all(), required=False)
    to_location = forms.ModelChoiceField(queryset=Location.objects.all(), required=False)
    to_person = forms.ModelChoiceField(queryset=Person.objects.all(), required=False)
    to_asset = forms.ModelChoiceField(queryset=Asset.objects.all(), required=False)
    from_asset = forms.ModelChoiceField(queryset=Asset.objects.all(), required=False)
    reference = forms.CharField(max_length=100, required=False)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


def _apply_movement(request: AuthedRequest, data: dict[str, Any]) -> Any:
    from .api import _dispatch
    from .schemas import MovementIn

    payload = MovementIn(
        action=data["action"],
        item_id=data["item"].pk,
        quantity=data["quantity"],
        found=data["found"],
        reference=data["reference"],
        note=data["note"],
        currency="",
    )
    ref = {
        name: data[name]
        for name in (
            "from_location",
            "to_location",
            "from_person",
            "to_person",
            "from_asset",
            "to_asset",
        )
    }
    return _dispatch(ui_actor(request), payload, data["item"], ref)


@login_required
def move(request: AuthedRequest) -> HttpResponse:
    """Record one movement through the same services as the API."""
    if not (
        has_perm(request.user, "stock.stockmovement", "add")
        or has_perm(request.user, "stock.stockmovement", "issue")
    ):
        raise PermissionDenied("you may not record stock movements")
    form = MovementForm(request.POST or None, initial=request.GET.dict())
    prepare_form(form, request)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            line = _apply_movement(request, form.cleaned_data)
        except ServiceError as exc:
            apply_service_errors(form, exc)
            status = exc.status
        else:
            if line is None:
                messages.success(request, "Counted: the ledger agreed, nothing to adjust.")
            else:
                messages.success(
                    request, f"{line.get_reason_display()}: {line.quantity} x {line.item.name}."
                )
            return HttpResponseRedirect(reverse("ui:stock:ledger"))
    return render(
        request,
        "stock/page.html",
        {
            "title": "Record a stock movement",
            "crumbs": [{"url": reverse("ui:stock:ledger"), "text": "Stock ledger"}],
            "form": form,
            "submit_label": "Record",
            "cancel_url": reverse("ui:stock:ledger"),
        },
        status=status if status != 200 else (422 if form.errors else 200),
    )


@login_required
def alerts(request: AuthedRequest) -> HttpResponse:
    """Reorder alerts (below minimum) and the reorder report (90 days of consumption)."""
    require(request, "stock.stockitem")
    low = [
        [
            str(b.location),
            link(b.item, "ui:stock:stockitem_detail"),
            b.on_hand,
            b.minimum,  # type: ignore[attr-defined]
        ]
        for b in below_minimum(request.user)
    ]
    report = [
        [
            str(line.balance.location),
            line.balance.item.name,
            line.balance.on_hand,
            line.minimum,
            line.consumed,
            line.suggested,
        ]
        for line in reorder_report(request.user)
    ]
    return render(
        request,
        "stock/page.html",
        {
            "title": "Reorder alerts",
            "tables": [
                {
                    "title": "Below minimum",
                    "headers": ["Storeroom", "Item", "On hand", "Minimum"],
                    "rows": low,
                    "id": "alerts-table",
                    "empty": "Every storeroom is at or above its minimums.",
                },
                {
                    "title": "Reorder report",
                    "note": "Suggested = minimum + consumption of the last 90 days (issued and "
                    "written off, less returns) - on hand.",
                    "headers": ["Storeroom", "Item", "On hand", "Minimum", "Used (90 d)", "Order"],
                    "rows": report,
                    "id": "reorder-table",
                },
            ],
        },
    )


# ------------------------------------------------------------------------------ repairs
class RepairSendForm(forms.Form):
    title = forms.CharField(max_length=200, label="What is wrong")
    kind = forms.ChoiceField(
        choices=[
            (MaintenanceKindChoices.REPAIR, "Repair"),
            (MaintenanceKindChoices.WARRANTY_CLAIM, "Warranty claim"),
        ]
    )
    supplier = forms.ModelChoiceField(queryset=Company.objects.all(), required=False)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RepairReturnForm(forms.Form):
    cost = forms.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False)
    currency = forms.CharField(max_length=3, required=False)
    warranty_covered = forms.BooleanField(required=False)
    defective = forms.BooleanField(required=False, label="Still defective")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


def _visible_asset(request: AuthedRequest, pk: int) -> Asset:
    asset = restrict(Asset.objects.all(), request.user).filter(pk=pk).first()
    if asset is None:
        raise Http404("asset not found")
    return asset


@login_required
def repair_send(request: AuthedRequest, pk: int) -> HttpResponse:
    """Send an asset for repair (its state becomes "in repair")."""
    asset = _visible_asset(request, pk)
    form = RepairSendForm(request.POST or None)
    return _repair_page(request, asset, form, f"Send {asset.asset_tag} for repair", send=True)


@login_required
def repair_return(request: AuthedRequest, pk: int) -> HttpResponse:
    """Return an asset from repair with the cost (back in stock)."""
    asset = _visible_asset(request, pk)
    form = RepairReturnForm(request.POST or None)
    return _repair_page(request, asset, form, f"Return {asset.asset_tag} from repair", send=False)


def _repair_page(
    request: AuthedRequest, asset: Asset, form: forms.Form, title: str, *, send: bool
) -> HttpResponse:
    prepare_form(form, request)
    status = 200
    detail = reverse("ui:assets:asset_detail", args=[asset.pk])
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if send:
                services.send_for_repair(
                    ui_actor(request),
                    asset,
                    title=data["title"],
                    kind=data["kind"],
                    supplier=data["supplier"],
                    notes=data["notes"],
                )
            else:
                services.return_from_repair(
                    ui_actor(request),
                    asset,
                    cost=data["cost"],
                    currency=(data["currency"] or "").upper(),
                    warranty_covered=data["warranty_covered"],
                    defective=data["defective"],
                    notes=data["notes"],
                )
        except ServiceError as exc:
            apply_service_errors(form, exc)
            status = exc.status
        else:
            messages.success(request, f"{title}: done.")
            return HttpResponseRedirect(detail)
    return render(
        request,
        "stock/page.html",
        {"title": title, "form": form, "submit_label": "Confirm", "cancel_url": detail},
        status=status if status != 200 else (422 if form.errors else 200),
    )


@login_required
def repairs_report(request: AuthedRequest) -> HttpResponse:
    """Repairs per model: the models whose assets fail most."""
    require(request, "stock.maintenancerecord")
    rows = [
        [
            link(r.model, "ui:assets:assetmodel_detail"),
            r.assets,
            r.assets_repaired,
            f"{r.repair_rate:.0%}",
            r.repairs,
            ", ".join(f"{v} {k}" for k, v in sorted(r.costs.items())),
        ]
        for r in repairs_per_model(request.user)
    ]
    return render(
        request,
        "stock/page.html",
        {
            "title": "Repairs per model",
            "intro": "Repairs and warranty claims per hardware model; the share of its assets "
            "repaired at least once, highest first. Costs exclude warranty-covered work.",
            "tables": [
                {
                    "title": "",
                    "headers": ["Model", "Assets", "Repaired", "Share", "Repairs", "Cost"],
                    "rows": rows,
                    "id": "repairs-table",
                }
            ],
        },
    )
