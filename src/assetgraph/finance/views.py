"""Finance pages that are not generic: the fixed-asset register (with CSV/XLSX downloads)
and the depreciation section of every asset's detail page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from assetgraph.accounts.http import AuthedRequest
from assetgraph.accounts.permissions import has_perm, restrict
from assetgraph.assets.models import Asset
from assetgraph.core.actor import ui_actor
from assetgraph.core.errors import ServiceError
from assetgraph.core.exporting import export_response
from assetgraph.framework.uploadjobs import store_upload
from assetgraph.org.models import Location
from assetgraph.ui.pickers import SELECT_LIMIT, PickerWidget
from assetgraph.ui.uploadjobs import UploadJobKind, UploadJobPages

from . import uploads
from .access import may_view_costs, visible_assets
from .books import ProfileIndex, asset_book
from .choices import BookChoices
from .closing import JOURNAL_COLUMNS, close_period
from .models import ClosedPeriod, PurchaseOrder
from .register import DIMENSIONS, EXPORT_COLUMNS, Register, build_register, register_assets
from .tco import asset_tco
from .uploads import MAX_RECEIPT_CSV_BYTES


def _as_of(request: HttpRequest) -> dt.date:
    raw = request.GET.get("as_of") or ""
    try:
        return dt.date.fromisoformat(raw) if raw else timezone.localdate()
    except ValueError:
        return timezone.localdate()


def _book(request: HttpRequest) -> str:
    book = request.GET.get("book") or BookChoices.BOOK
    return book if book in BookChoices.values else BookChoices.BOOK


def _register(request: AuthedRequest) -> Register:
    if not may_view_costs(request.user):
        raise PermissionDenied("you may not view costs")
    as_of = _as_of(request)
    return build_register(
        register_assets(visible_assets(request.user), as_of), as_of, _book(request)
    )


@login_required
def register_page(request: AuthedRequest) -> HttpResponse:
    """Net book value by category, cost centre, location and company as of a date."""
    result = _register(request)
    groups = [
        (
            dimension.replace("_", " ").capitalize(),
            sorted(result.totals[dimension].items()),
            dimension,
        )
        for dimension in DIMENSIONS
    ]
    context: dict[str, Any] = {
        "register": result,
        "groups": groups,
        "books": BookChoices.choices,
        "rows": result.head(500),
        "chart": register_chart(result),
    }
    return render(request, "finance/register.html", context)


def register_chart(result: Register, top: int = 15) -> dict[str, Any]:
    """Net book value by cost centre and by category (the largest ``top`` of each, in the
    base currency) for the page's charts; each bar links to its group's table row, which
    is the text alternative."""
    chart: dict[str, Any] = {"currency": result.base_currency}
    for dimension in ("cost_centre", "category"):
        biggest = sorted(
            result.totals[dimension].items(), key=lambda item: -item[1].net_book_value
        )[:top]
        chart[dimension] = {
            "labels": [key for key, _ in biggest],
            "values": [float(total.net_book_value) for _, total in biggest],
            "links": [f"#{dimension}-{slugify(key)}" for key, _ in biggest],
        }
    return chart


@login_required
def register_export(request: AuthedRequest) -> HttpResponse:
    """The register's rows as CSV or XLSX (``?format=csv|xlsx``)."""
    result = _register(request)
    try:
        return export_response(
            result.rows,
            EXPORT_COLUMNS,
            f"fixed-asset-register-{result.as_of}",
            request.GET.get("format", "csv"),
        )
    except ServiceError as exc:
        return HttpResponse(exc.message, status=exc.status, content_type="text/plain")


def asset_depreciation_section(request: HttpRequest, asset: Asset) -> dict[str, Any] | None:
    """The asset page's "Depreciation" section: per book, the profile, start, book value
    today and the schedule by fiscal year. Only for those who may see costs."""
    if not may_view_costs(getattr(request, "user", None)):
        return None
    today = timezone.localdate()
    fields: list[tuple[str, Any]] = []
    rows: list[list[Any]] = []
    for book, label in BookChoices.choices:
        entry = asset_book(asset, book, ProfileIndex(book, [asset.pk]))
        if entry.profile is None and book != BookChoices.BOOK:
            continue
        if entry.schedule is None:
            fields.append((label, entry.reason or "not depreciated"))
            continue
        schedule = entry.schedule
        spec = entry.spec
        assert spec is not None
        summary = (
            f"{entry.profile} · {spec.method.value.replace('_', ' ')}, {spec.life_years} years, "
            f"{spec.convention.value.replace('_', ' ')} from {entry.start:%Y-%m-%d} · "
            f"book value today {schedule.book_value_as_of(today)} {entry.currency}"
        )
        if schedule.gain_loss is not None:
            summary += f" · disposed {schedule.disposed_on}: gain/loss {schedule.gain_loss}"
        fields.append((label, summary))
        rows += [
            [
                label,
                f"FY{year.fiscal_year}",
                f"{year.amount} {entry.currency}",
                f"{year.book_value}",
            ]
            for year in schedule.years
        ]
    if not fields:
        return None
    return {
        "title": "Depreciation",
        "fields": fields,
        "headers": ["Book", "Fiscal year", "Depreciation", "Book value at year end"],
        "rows": rows,
    }


def asset_tco_section(request: HttpRequest, asset: Asset) -> dict[str, Any] | None:
    """The asset page's "Total cost of ownership" section: today's TCO line by line (the
    purchase, contract and licence shares, repairs, disposal proceeds). Costs only."""
    if not may_view_costs(getattr(request, "user", None)):
        return None
    tco = asset_tco(asset, timezone.localdate())
    if not tco.lines:
        return None
    totals = ", ".join(f"{amount} {currency}" for currency, amount in tco.by_currency.items())
    fields: list[tuple[str, Any]] = [("By currency", totals)]
    fields.append((f"Total ({tco.base_currency})", str(tco.total)))
    if tco.missing_rates:
        fields.append(("No rate for", ", ".join(tco.missing_rates) + " (left out of the total)"))
    return {
        "title": "Total cost of ownership",
        "fields": fields,
        "headers": ["Source", "Reference", "Detail", "Amount"],
        "rows": [
            [line.source, line.reference, line.detail, f"{line.amount} {line.currency}"]
            for line in tco.lines
        ],
    }


def _periods_visible(request: AuthedRequest) -> Any:
    if not may_view_costs(request.user) or not has_perm(
        request.user, "finance.closedperiod", "view"
    ):
        raise PermissionDenied("you may not view closed periods")
    return restrict(ClosedPeriod.objects.all(), request.user, "view")


def _period(request: AuthedRequest, pk: int) -> ClosedPeriod:
    """One closed period: 404 when the caller may not view it (hidden = absent), then 403
    without ``view_cost``."""
    closed = get_object_or_404(restrict(ClosedPeriod.objects.all(), request.user, "view"), pk=pk)
    if not may_view_costs(request.user):
        raise PermissionDenied("you may not view costs")
    return closed


@login_required
def periods_page(request: AuthedRequest) -> HttpResponse:
    """Closed periods with their journals; a form closes the next month (POST)."""
    periods = _periods_visible(request)
    error = ""
    if request.method == "POST":
        raw = request.POST.get("period", "")
        book = request.POST.get("book", BookChoices.BOOK)
        try:
            period = dt.datetime.strptime(raw, "%Y-%m").date()
            result = close_period(ui_actor(request), period, book)
        except ValueError:
            error = f"period: not a month (YYYY-MM): {raw!r}"
        except ServiceError as exc:
            error = exc.message
        else:
            messages.success(request, f"Closed {period:%Y-%m}: {len(result.lines)} journal lines.")
            return redirect("ui:finance:periods")
    context = {
        "periods": periods.order_by("-period", "book")[:60],
        "books": BookChoices.choices,
        "may_close": has_perm(request.user, "finance.closedperiod", "add"),
        "error": error,
        "suggested": f"{timezone.localdate().replace(day=1) - dt.timedelta(days=1):%Y-%m}",
    }
    return render(request, "finance/periods.html", context, status=422 if error else 200)


@login_required
def journal_export(request: AuthedRequest, pk: int) -> HttpResponse:
    """A closed period's journal as CSV or XLSX for the ledger."""
    closed = _period(request, pk)
    lines = closed.lines.select_related("cost_centre", "closed_period")
    try:
        return export_response(
            list(lines),
            JOURNAL_COLUMNS,
            f"journal-{closed.book}-{closed.period:%Y-%m}",
            request.GET.get("format", "csv"),
        )
    except ServiceError as exc:
        return HttpResponse(exc.message, status=exc.status, content_type="text/plain")


@login_required
def period_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """A closed period's journal lines."""
    closed = _period(request, pk)
    lines = closed.lines.select_related("cost_centre").order_by(
        "expense_account", "cost_centre__code", "currency"
    )
    return render(request, "finance/period_detail.html", {"closed": closed, "lines": lines})


def _receipt_summary(report: dict[str, Any]) -> str:
    return (
        f"Received {report['received']} unit(s) against {report['order']} "
        f"on {report['received_on']}."
    )


def _receipt_order_url(report: dict[str, Any]) -> str:
    return reverse("ui:finance:purchaseorder_detail", args=[report["order_id"]])


# A receipt from a CSV of serial numbers is an import: it runs as a worker job (issue 15).
upload_jobs = UploadJobPages(
    UploadJobKind(
        "po-receipt",
        "Receipt",
        "purchaseorder_list",
        _receipt_summary,
        "Purchase orders",
        done_url=_receipt_order_url,
    )
)
RECEIPT_SUFFIXES = (".csv", ".txt")


class _Refused(Exception):
    """A cheap check of the receive form failed: ``status`` and the message naming the field."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _check_serials(upload: Any) -> None:
    """What is cheap to check of a CSV of serial numbers before it is queued."""
    if not (upload.name or "").lower().endswith(RECEIPT_SUFFIXES):
        raise _Refused(f"serials: unsupported file type (use {', '.join(RECEIPT_SUFFIXES)})")
    if upload.size > MAX_RECEIPT_CSV_BYTES:
        raise _Refused("serials: the CSV is larger than 2 MB", status=413)


@login_required
def receive_page(request: AuthedRequest, pk: int) -> HttpResponse:
    """Receive goods against an order: a quantity per line (all that is left by default), a
    location and a date; one submit receives everything ("50 laptops" is one action). Or a
    CSV of serial numbers, one row per unit: the receipt is then exactly its rows, received
    by a worker job (the page goes to the job's page)."""
    from .procurement import ReceiptItem, receive_order

    order = get_object_or_404(
        restrict(PurchaseOrder.objects.select_related("supplier"), request.user, "change"), pk=pk
    )
    lines = list(order.lines.select_related("asset_model"))
    for line in lines:
        setattr(line, "left", line.quantity - line.received_quantity)  # noqa: B010 - template value
    visible_locations = restrict(Location.objects.all(), request.user, "view")
    # A short list stays a drop-down; a long one is a type-ahead picker (never a list cut at
    # some length without saying so).
    locations = list(visible_locations.order_by("path")[: SELECT_LIMIT + 1])
    location_picker = ""
    if len(locations) > SELECT_LIMIT:
        locations = []
        location_picker = PickerWidget("org.location", visible_locations).render(
            "location", None, attrs={"id": "location", "class": "form-control form-control-sm"}
        )
    error = ""
    status = 200
    if request.method == "POST":
        try:
            raw_location = request.POST.get("location") or ""
            try:
                location = (
                    visible_locations.filter(pk=int(raw_location)).first() if raw_location else None
                )
            except ValueError:
                raise _Refused(f"location: not a location ({raw_location!r})") from None
            raw_date = request.POST.get("received_on") or ""
            try:
                received_on = dt.date.fromisoformat(raw_date) if raw_date else timezone.localdate()
            except ValueError:
                raise _Refused(f"received_on: not a date (YYYY-MM-DD): {raw_date!r}") from None
            upload = request.FILES.get("serials")
            if upload is not None:
                _check_serials(upload)
                return upload_jobs.start(
                    request,
                    "po-receipt",
                    "finance.purchaseorder",
                    {"serials": store_upload(upload, upload.name or "serials.csv")},
                    uploads.receipt_csv,
                    {
                        "order_id": order.pk,
                        "location_id": location.pk if location else None,
                        "received_on": received_on.isoformat(),
                    },
                )
            items = [
                ReceiptItem(line.pk, int(request.POST.get(f"line-{line.pk}") or 0))
                for line in lines
            ]
            receive_order(
                ui_actor(request), order, items, location=location, received_on=received_on
            )
        except _Refused as refused:
            error, status = refused.message, refused.status
        except ValueError as exc:
            error, status = f"check the quantities: {exc}", 422
        except ServiceError as exc:
            error, status = exc.message, 422
        else:
            messages.success(request, f"Received against {order.number}.")
            return redirect("ui:finance:purchaseorder_detail", order.pk)
    context = {
        "order": order,
        "lines": lines,
        "locations": locations,
        "location_picker": location_picker,
        "error": error,
    }
    return render(request, "finance/receive.html", context, status=status)


@login_required
def service_costs_page(request: AuthedRequest) -> HttpResponse:
    """Each business service's monthly cost; a service's row opens its breakdown."""
    from assetgraph.cmdb.models import CI

    from .service_cost import service_costs

    if not may_view_costs(request.user):
        raise PermissionDenied("you may not view costs")
    month = _month(request)
    visible = restrict(CI.objects.current(), request.user, "view")
    try:
        data = service_costs(month, visible, request.GET.get("weight") or None)
    except ServiceError:  # a malformed weight attribute: split equally
        data = service_costs(month, visible, None)
    return render(request, "finance/service_costs.html", {"data": data, "month": month})


@login_required
def service_cost_page(request: AuthedRequest, pk: int) -> HttpResponse:
    """One service's monthly cost by layer (CI class) and by CI."""
    from assetgraph.cmdb.context import service_class_ids
    from assetgraph.cmdb.models import CI

    from .service_cost import service_cost_breakdown

    if not may_view_costs(request.user):
        raise PermissionDenied("you may not view costs")
    visible = restrict(CI.objects.current(), request.user, "view")
    service = get_object_or_404(visible.filter(ci_class__in=service_class_ids()), pk=pk)
    month = _month(request)
    try:
        data = service_cost_breakdown(month, service, visible, request.GET.get("weight") or None)
    except ServiceError:  # a malformed weight attribute: split equally
        data = service_cost_breakdown(month, service, visible, None)
    return render(request, "finance/service_cost.html", {"data": data, "month": month})


def _month(request: HttpRequest) -> dt.date:
    raw = request.GET.get("month") or ""
    try:
        return dt.datetime.strptime(raw, "%Y-%m").date()
    except ValueError:
        return timezone.localdate().replace(day=1)


def _risk_params(request: HttpRequest) -> tuple[int, int]:
    """``months`` (0-120, default 12) and ``max_tier`` (1-4, default 1) from the query."""

    def number(name: str, default: int, low: int, high: int) -> int:
        raw = request.GET.get(name, "")
        return min(max(int(raw), low), high) if raw.strip().isdigit() else default

    return number("months", 12, 0, 120), number("max_tier", 1, 1, 4)


@login_required
def hardware_risk_page(request: AuthedRequest) -> HttpResponse:
    """Services of a tier on hardware out of support, past end of life or due for
    replacement, with the replacement budget (docs/both-layers.md)."""
    from .crosslayer import hardware_risk

    if not has_perm(request.user, "cmdb.ci", "view"):
        raise PermissionDenied("you may not view CIs")
    months, tier = _risk_params(request)
    report = hardware_risk(request.user, months=months, max_tier=tier)
    return render(request, "finance/hardware_risk.html", {"report": report, "tiers": [1, 2, 3, 4]})


@login_required
def hardware_risk_export(request: AuthedRequest) -> HttpResponse:
    """The hardware-risk report as CSV or XLSX (``?format=csv|xlsx``)."""
    from . import crosslayer

    if not has_perm(request.user, "cmdb.ci", "view"):
        raise PermissionDenied("you may not view CIs")
    months, tier = _risk_params(request)
    report = crosslayer.hardware_risk(request.user, months=months, max_tier=tier)
    try:
        return export_response(
            crosslayer.export_rows(report),
            crosslayer.EXPORT_COLUMNS,
            "hardware-risk",
            request.GET.get("format", "csv"),
        )
    except ServiceError as exc:
        return HttpResponse(exc.message, status=exc.status, content_type="text/plain")


@login_required
def replacement_forecast_page(request: AuthedRequest) -> HttpResponse:
    """The next 12 fiscal quarters of replacements: counts and budget per quarter (charted),
    the aging hardware on tier-1 service paths, and every item by priority."""
    from .replacement import forecast

    if not may_view_costs(request.user):
        raise PermissionDenied("you may not view costs")
    data = forecast(visible_assets(request.user), timezone.localdate())
    chart = {
        "labels": [q["quarter"] for q in data["quarters"]],
        "counts": [q["count"] for q in data["quarters"]],
        "budgets": [float(q["budget"]) for q in data["quarters"]],
        "currency": data["base_currency"],
    }
    tier1 = [item for item in data["items"] if item["priority"] == 1]
    return render(
        request,
        "finance/replacement_forecast.html",
        {"data": data, "chart": chart, "tier1": tier1},
    )


@login_required
def reports_page(request: AuthedRequest) -> HttpResponse:
    """The depreciation forecast by month and fiscal year (charted), spend by supplier and
    the contract renewals calendar, each with CSV/XLSX downloads (the API's rows); a report
    the user may not read is left out."""
    from assetgraph.core.errors import PermissionDenied as Refused

    from .reports import REPORTS, run_report

    today = timezone.localdate()
    starts = {
        "depreciation-forecast": today.replace(day=1),
        "spend-by-supplier": today.replace(month=1, day=1),
        "renewals-calendar": today,
    }
    reports: dict[str, Any] = {}
    for name in REPORTS:
        try:
            reports[name.replace("-", "_")] = run_report(name, request.user, start=starts[name])
        except Refused:
            continue
    if not reports:
        raise PermissionDenied("you may not view finance reports")
    chart: dict[str, Any] = {}
    forecast = reports.get("depreciation_forecast")
    if forecast is not None:
        chart["forecast"] = {
            "labels": [row["month"] for row in forecast["by_month"]],
            "values": [float(row["amount"]) for row in forecast["by_month"]],
            "currency": forecast["base_currency"],
        }
    spend = reports.get("spend_by_supplier")
    if spend is not None:
        chart["spend"] = {
            "labels": [f"{row['supplier']} ({row['currency']})" for row in spend["rows"]],
            "values": [float(row["ordered"]) for row in spend["rows"]],
        }
    renewals = reports.get("renewals_calendar")
    if renewals is not None:
        chart["renewals"] = renewals_chart(renewals)
    return render(
        request,
        "finance/reports.html",
        {"reports": reports, "chart": chart, "starts": starts},
    )


def renewals_chart(report: dict[str, Any]) -> dict[str, Any]:
    """The annual cost of the contract terms ending each month, one bar series per
    currency (amounts keep their currency); each month links to its rows of the calendar."""
    seen: set[str] = set()
    for row in report["rows"]:  # the calendar's first row of each month is its anchor
        row["anchor"] = row["month"] not in seen
        seen.add(row["month"])
    months = sorted({row["month"] for row in report["cost_by_month"]})
    currencies = sorted({row["currency"] for row in report["cost_by_month"]})
    cost = {(r["month"], r["currency"]): float(r["annual_cost"]) for r in report["cost_by_month"]}
    return {
        "labels": months,
        "links": [f"#renewals-{month}" for month in months],
        "series": [
            {"label": currency, "values": [cost.get((m, currency), 0.0) for m in months]}
            for currency in currencies
        ],
    }
