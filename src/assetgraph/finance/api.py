"""Finance endpoints that are not one resource's CRUD, under ``/api/finance/``: an asset's
depreciation schedule, the what-if preview, and the fixed-asset register as of a date (JSON,
CSV or XLSX). Costs need ``view_cost`` on assets (403 without it); a hidden asset is 404."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.params import functions as params

from assetgraph.accounts.permissions import get_object_or_404, has_perm, restrict
from assetgraph.api.formats import MONTH_PATTERN
from assetgraph.assets.models import Asset
from assetgraph.cmdb.context import service_class_ids
from assetgraph.cmdb.models import CI
from assetgraph.core.actor import api_actor
from assetgraph.core.errors import NotFound, PermissionDenied, ValidationFailed
from assetgraph.core.exporting import CONTENT_TYPES, export_response, key_columns

from . import crosslayer, schemas
from .access import require_costs, visible_assets
from .books import asset_book
from .choices import BookChoices
from .closing import JOURNAL_COLUMNS, CloseResult, close_period
from .contracts import MAX_DOCUMENT_BYTES, attach_document, coverage_gaps, renewal_alerts
from .crosslayer import hardware_risk
from .depreciation import DepreciationError
from .models import ClosedPeriod, Contract
from .presenting import book_dict, preview
from .register import EXPORT_COLUMNS, build_register, register_assets
from .replacement import forecast
from .reports import EXPORT_COLUMNS as REPORT_COLUMNS
from .reports import run_report
from .service_cost import WEIGHT_ATTRIBUTE, service_cost_breakdown, service_costs
from .tco import asset_tco

ReportFormat = Literal["json", "csv", "xlsx"]
#: The weight attribute's name, or nothing (split equally).
WEIGHT = params.Query(None, pattern=f"^(?:{WEIGHT_ATTRIBUTE.pattern[1:-1]})?$")

router = Router(tags=["finance"])


class RegisterQuery(Schema):
    as_of: dt.date | None = None
    book: BookChoices = BookChoices.BOOK
    base_currency: str | None = None
    rows: bool = True


@router.get(
    "/assets/{int:asset_id}/schedule",
    response=schemas.DepreciationScheduleOut,
    summary="An asset's depreciation schedule in one book, month by month",
)
def asset_schedule(
    request: HttpRequest, asset_id: int, book: BookChoices = BookChoices.BOOK
) -> Any:
    """The schedule from the asset's profile (override, model, category); ``note`` says why
    there is none (no cost, no profile, not in service yet)."""
    base = visible_assets(None).select_related("model__category", "disposal")
    asset = get_object_or_404(base, request.user, "view_cost", pk=asset_id)
    return book_dict(asset_book(asset, book))


@router.get(
    "/assets/{int:asset_id}/tco",
    response=schemas.TcoOut,
    summary="An asset's total cost of ownership as of a date, line by line",
)
def asset_tco_view(
    request: HttpRequest,
    asset_id: int,
    as_of: dt.date | None = None,
    base_currency: str | None = None,
) -> Any:
    """Purchase + contract shares + licence shares + repairs - disposal proceeds, each line
    in its currency; the total in the base currency (a currency with no rate is named in
    ``missing_rates`` and left out, never guessed). Needs ``view_cost``; hidden is 404."""
    base = visible_assets(None).select_related("model__category", "disposal", "ci")
    asset = get_object_or_404(base, request.user, "view_cost", pk=asset_id)
    return asset_tco(asset, as_of or timezone.localdate(), base_currency).as_dict()


@router.get(
    "/replacement-forecast",
    response=schemas.ForecastOut,
    summary="Hardware due for replacement in the next quarters: counts, budget, priority",
)
def replacement_forecast(
    request: HttpRequest,
    on: dt.date | None = None,
    quarters: int = params.Query(12, ge=1, le=40),
    base_currency: str | None = None,
) -> Any:
    """Per fiscal quarter from ``on`` (default today) the count and budget of the visible
    assets falling due (policy per category or model; price per model), and every item with
    the services that need it, most critical first. Needs ``view_cost``."""
    require_costs(request.user)
    assets = visible_assets(request.user)
    return forecast(assets, on or timezone.localdate(), quarters, base_currency)


class ReportQuery(Schema):
    start: dt.date | None = None
    end: dt.date | None = None
    months: int | None = Field(None, ge=1, le=120)
    book: BookChoices = BookChoices.BOOK
    base_currency: str | None = None


def _report(request: HttpRequest, name: str, query: ReportQuery, fmt: str) -> Any:
    """Run a finance report (``reports.run_report`` checks its permission) and answer JSON
    or the rows as CSV/XLSX (formula cells escaped)."""
    data = run_report(
        name,
        request.user,
        start=query.start or timezone.localdate(),
        end=query.end,
        months=query.months,
        book=query.book,
        base=query.base_currency,
    )
    if fmt == "json":
        return data
    return export_response(data["rows"], key_columns(*REPORT_COLUMNS[name]), name, fmt)


@router.get(
    "/reports/depreciation-forecast",
    summary="Depreciation per month and fiscal year from a month on (JSON, CSV, XLSX)",
)
def depreciation_forecast_report(
    request: HttpRequest,
    query: Query[ReportQuery],
    fmt: ReportFormat = params.Query("json", alias="format"),
) -> Any:
    """Every schedule in ``book`` summed per month for ``months`` (36) from ``start``'s
    month, per currency, with base-currency totals per month and fiscal year. Needs
    ``view_cost``."""
    return _report(request, "depreciation-forecast", query, fmt)


@router.get(
    "/reports/spend-by-supplier",
    summary="Ordered and received amounts per supplier (JSON, CSV, XLSX)",
)
def spend_by_supplier_report(
    request: HttpRequest,
    query: Query[ReportQuery],
    fmt: ReportFormat = params.Query("json", alias="format"),
) -> Any:
    """Placed orders dated ``start`` to ``end`` (default the start's year end), per
    supplier and currency. Needs view on purchase orders."""
    return _report(request, "spend-by-supplier", query, fmt)


@router.get(
    "/reports/renewals-calendar",
    summary="Contract terms ending in the next months, with notice dates (JSON, CSV, XLSX)",
)
def renewals_calendar_report(
    request: HttpRequest,
    query: Query[ReportQuery],
    fmt: ReportFormat = params.Query("json", alias="format"),
) -> Any:
    """Every term ending from ``start`` for ``months`` (12), auto-renewals at each renewal.
    Needs view on contracts."""
    return _report(request, "renewals-calendar", query, fmt)


@router.post(
    "/depreciation/preview",
    response=schemas.DepreciationScheduleOut,
    summary="A what-if schedule from a cost, method, life and date; saves nothing",
)
def depreciation_preview(request: HttpRequest, payload: schemas.PreviewIn) -> Any:
    """A bad combination (MACRS with a 4-year life, salvage above cost) is a 422 naming the
    field."""
    try:
        return preview(payload.dict())
    except DepreciationError as exc:
        raise ValidationFailed(str(exc), fields={exc.field: [exc.message]}) from None


def _register(request: HttpRequest, query: RegisterQuery) -> Any:
    require_costs(request.user)
    as_of = query.as_of or timezone.localdate()
    assets = register_assets(visible_assets(request.user), as_of)
    return build_register(assets, as_of, query.book, query.base_currency)


@router.get(
    "/register",
    response=dict[str, Any],
    summary="The fixed-asset register as of a date: cost, accumulated depreciation, NBV",
)
def register(request: HttpRequest, query: Query[RegisterQuery]) -> Any:
    """Totals by category, cost centre, location and company in the base currency (rates as
    of the date; a currency without a rate is listed in ``missing_rates`` and left out of
    the converted totals), and one row per asset unless ``rows=false``."""
    return _register(request, query).as_dict(with_rows=query.rows)


@router.get(
    "/register/export",
    summary="The fixed-asset register as CSV or XLSX",
)
def register_export(
    request: HttpRequest, query: Query[RegisterQuery], format: str = "csv"
) -> HttpResponse:
    """One row per asset (formula cells escaped)."""
    result = _register(request, query)
    return export_response(
        result.rows, EXPORT_COLUMNS, f"fixed-asset-register-{result.as_of}", format
    )


class CloseIn(Schema):
    period: str = Field(pattern=MONTH_PATTERN, description="YYYY-MM")
    book: BookChoices = BookChoices.BOOK


def _periods(request: HttpRequest) -> QuerySet[ClosedPeriod]:
    require_costs(request.user)
    if not has_perm(request.user, "finance.closedperiod", "view"):
        raise PermissionDenied("you may not view closed periods")
    return restrict(ClosedPeriod.objects.all(), request.user, "view")


@router.get(
    "/periods",
    response=list[dict[str, Any]],
    summary="Closed periods, newest first",
)
def closed_periods(request: HttpRequest, book: BookChoices | None = None) -> Any:
    periods = _periods(request)
    if book:
        periods = periods.filter(book=book)
    return [
        {
            "id": p.pk,
            "book": p.book,
            "period": f"{p.period:%Y-%m}",
            "closed_at": p.closed_at,
            "closed_by": p.closed_by,
            "asset_count": p.asset_count,
        }
        for p in periods.order_by("-period", "book")
    ]


@router.post(
    "/periods",
    response={201: dict[str, Any]},
    summary="Run a month's depreciation, write its journal and lock the month",
)
def close(request: HttpRequest, payload: CloseIn) -> Any:
    """409 when the month (or a later one) is already closed; 422 for a future month."""
    require_costs(request.user)
    try:
        period = dt.datetime.strptime(payload.period, "%Y-%m").date()
    except ValueError:
        raise ValidationFailed(
            "period: not a month (YYYY-MM)", fields={"period": ["YYYY-MM"]}
        ) from None
    return 201, close_period(api_actor(request), period, payload.book).as_dict()


@router.get(
    "/periods/{int:period_id}/journal",
    response=dict[str, Any],
    summary="A closed period's journal lines (JSON, or ?format=csv|xlsx for the ledger)",
    # ``format=csv`` and ``format=xlsx`` answer files, not JSON: the document says so.
    openapi_extra={
        "responses": {
            200: {
                "content": {
                    "text/csv": {"schema": {"type": "string"}},
                    CONTENT_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}},
                }
            }
        }
    },
)
def journal(request: HttpRequest, period_id: int, format: ReportFormat = "json") -> Any:
    """A period the caller may not view is 404 (hidden = absent), before the cost check."""
    closed = get_object_or_404(ClosedPeriod.objects.all(), request.user, "view", pk=period_id)
    require_costs(request.user)
    lines = list(closed.lines.select_related("cost_centre", "closed_period"))
    if format == "json":
        return CloseResult(closed, lines).as_dict()
    return export_response(
        lines, JOURNAL_COLUMNS, f"journal-{closed.book}-{closed.period:%Y-%m}", format
    )


# --- contracts: documents, renewals, coverage gaps; service costs --------------------------


@router.post(
    "/contracts/{int:contract_id}/documents",
    response={201: dict[str, Any]},
    summary="Attach a document (PDF, PNG, JPEG, DOCX, XLSX, TXT; at most 10 MB)",
)
def attach(
    request: HttpRequest,
    contract_id: int,
    kind: str = params.Form(...),
    file: UploadedFile = params.File(...),
) -> Any:
    """A file whose content does not match its extension, or too large, is a 422."""
    contract = get_object_or_404(Contract.objects.all(), request.user, "change", pk=contract_id)
    data = file.read(MAX_DOCUMENT_BYTES + 1)
    document = attach_document(api_actor(request), contract, kind, file.name or "file", data)
    return 201, {
        "id": document.pk,
        "filename": document.filename,
        "size": document.size,
        "content_type": document.content_type,
        "sha256": document.sha256,
    }


@router.get(
    "/contracts/renewals",
    response=list[dict[str, Any]],
    summary="Contracts whose notice date has come and whose term has not ended",
)
def renewals(request: HttpRequest, on: dt.date | None = None) -> Any:
    if not has_perm(request.user, "finance.contract", "view"):
        raise PermissionDenied("you may not view contracts")
    contracts = restrict(Contract.objects.all(), request.user, "view")
    return [a.as_dict() for a in renewal_alerts(contracts, on or timezone.localdate())]


@router.get(
    "/coverage-gaps",
    response=list[dict[str, Any]],
    summary="Hardware tier-1/2 services depend on with no support contract or warranty",
)
def gaps(request: HttpRequest, on: dt.date | None = None, max_tier: int = 2) -> Any:
    if not has_perm(request.user, "finance.contract", "view"):
        raise PermissionDenied("you may not view contracts")
    assets = restrict(Asset.objects.all(), request.user, "view")
    return [g.as_dict() for g in coverage_gaps(on or timezone.localdate(), assets, max_tier)]


def _month(raw: str | None) -> dt.date:
    if not raw:
        return timezone.localdate().replace(day=1)
    try:
        return dt.datetime.strptime(raw, "%Y-%m").date()
    except ValueError:
        raise ValidationFailed(
            "month: not a month (YYYY-MM)", fields={"month": ["YYYY-MM"]}
        ) from None


@router.get(
    "/service-costs",
    response=dict[str, Any],
    summary="Monthly cost of each business service, rolled up the dependency graph",
)
def service_costs_endpoint(
    request: HttpRequest, month: str | None = None, weight: str | None = WEIGHT
) -> Any:
    """Depreciation and contract costs of every CI, split among dependents equally (or by
    the ``weight`` attribute), up to the services; costs need ``view_cost``."""
    require_costs(request.user)
    visible = restrict(CI.objects.current(), request.user, "view")
    return service_costs(_month(month), visible, weight)


@router.get(
    "/service-costs/{int:ci_id}",
    response=dict[str, Any],
    summary="One business service's monthly cost by layer and by CI",
)
def service_cost_detail(
    request: HttpRequest, ci_id: int, month: str | None = None, weight: str | None = WEIGHT
) -> Any:
    require_costs(request.user)
    visible = restrict(CI.objects.current(), request.user, "view")
    service = get_object_or_404(visible.select_related("ci_class"), request.user, "view", pk=ci_id)
    if service.ci_class_id not in set(service_class_ids()):
        # /service-costs/{id} names services only: another CI has no service cost to show.
        raise NotFound(f"no business service {ci_id}")
    return service_cost_breakdown(_month(month), service, visible, weight)


@router.get(
    "/reports/hardware-risk",
    response=dict[str, Any],
    summary="Tier-1 services on hardware out of support, past end of life or due for replacement",
)
def hardware_risk_report(
    request: HttpRequest,
    months: int = params.Query(12, ge=0, le=120),
    max_tier: int = params.Query(1, ge=1, le=4),
) -> Any:
    """Each service of tier ``max_tier`` or better with its at-risk hardware (business flags
    ``no_support_contract``, ``past_end_of_life``, replacement due within ``months``) and the
    replacement budget; needs ``view_cost`` (docs/both-layers.md)."""
    return hardware_risk(request.user, months=months, max_tier=max_tier)


@router.get(
    "/reports/hardware-risk/export",
    summary="The hardware-risk report as CSV or XLSX",
)
def hardware_risk_export(
    request: HttpRequest,
    months: int = params.Query(12, ge=0, le=120),
    max_tier: int = params.Query(1, ge=1, le=4),
    format: str = "csv",
) -> HttpResponse:
    """One row per (service, hardware CI), formula cells escaped."""
    report = hardware_risk(request.user, months=months, max_tier=max_tier)
    return export_response(
        crosslayer.export_rows(report), crosslayer.EXPORT_COLUMNS, "hardware-risk", format
    )
