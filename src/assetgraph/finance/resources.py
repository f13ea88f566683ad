"""Depreciation profiles, asset finance settings and exchange rates, each declared once
(see :mod:`assetgraph.framework.spec`), and the asset page's "Depreciation" section."""

from __future__ import annotations

from typing import Any

from assetgraph.framework.spec import Column, DetailSection, Resource
from assetgraph.ui.generic import link

from . import flags, schemas, services
from .api_orders import budget_routes, order_routes
from .contracts import lapse_section
from .models import (
    AssetFinance,
    Budget,
    ClosedPeriod,
    Contract,
    DepreciationProfile,
    ExchangeRate,
    PurchaseOrder,
    PurchaseOrderLine,
    ReplacementPolicy,
)
from .views import asset_depreciation_section, asset_tco_section


def _budget_figures(budget: Any) -> str:
    from .procurement import budget_status

    state = budget_status(budget)
    flag = f" (no rate for {', '.join(state.missing_rates)})" if state.missing_rates else ""
    return f"{state.committed} / {state.actual} / {state.remaining} {budget.currency}{flag}"


PROFILE = Resource(
    model=DepreciationProfile,
    filter_schema=schemas.ProfileFilter,
    create=services.create_profile,
    update=services.update_profile,
    delete=services.delete_profile,
    out_schema=schemas.ProfileOut,
    in_schema=schemas.ProfileIn,
    patch_schema=schemas.ProfilePatch,
    orderings={"name": "name", "book": "book", "id": "pk"},
    default_ordering="book",
    select_related=("category", "asset_model"),
    search_fields=("name",),
    constraint_fields=("id", "book", "category", "asset_model"),
    path="profiles",
    tag="depreciation profiles",
    columns=[
        Column("Name", lambda p: p.name, order="name", link=True),
        Column("Book", lambda p: p.get_book_display(), order="book"),
        Column("Applies to", lambda p: str(p.asset_model or p.category or "assets that pick it")),
        Column("Method", lambda p: p.get_method_display()),
        Column("Life (years)", lambda p: p.life_years),
        Column("Salvage %", lambda p: p.salvage_percent),
        Column("Convention", lambda p: p.get_convention_display()),
        Column("Start", lambda p: p.get_start_basis_display()),
        Column("GL accounts", lambda p: f"{p.expense_account} / {p.accumulated_account}"),
    ],
    detail_fields=[
        ("Book", lambda p: p.get_book_display()),
        ("Category", lambda p: link(p.category, "ui:assets:category_detail")),
        ("Model", lambda p: link(p.asset_model, "ui:assets:assetmodel_detail")),
        ("Method", lambda p: p.get_method_display()),
        ("Life (years)", lambda p: p.life_years),
        ("Salvage %", lambda p: p.salvage_percent),
        ("Convention", lambda p: p.get_convention_display()),
        ("Start", lambda p: p.get_start_basis_display()),
        ("Declining factor / rate", lambda p: f"{p.declining_factor} / {p.declining_rate or '-'}"),
        ("Switch to straight line", lambda p: "Yes" if p.switch_to_straight_line else "No"),
        ("Expense account", lambda p: p.expense_account),
        ("Accumulated depreciation account", lambda p: p.accumulated_account),
    ],
    cli_name="depreciation-profiles",
)

ASSET_FINANCE = Resource(
    model=AssetFinance,
    filter_schema=schemas.AssetFinanceFilter,
    create=services.create_asset_finance,
    update=services.update_asset_finance,
    delete=services.delete_asset_finance,
    out_schema=schemas.AssetFinanceOut,
    in_schema=schemas.AssetFinanceIn,
    patch_schema=schemas.AssetFinancePatch,
    orderings={"asset": "asset__asset_tag", "id": "pk"},
    default_ordering="asset",
    select_related=("asset", "book_profile", "tax_profile", "cost_centre", "company"),
    constraint_fields=("id", "asset", "cost_centre", "company"),
    path="asset-settings",
    tag="asset finance settings",
    field_permissions={"salvage": "view_cost"},
    audit_references={"asset": "assets.asset"},
    columns=[
        Column("Asset", lambda s: str(s.asset), order="asset", link=True),
        Column("Book profile", lambda s: str(s.book_profile or "")),
        Column("Tax profile", lambda s: str(s.tax_profile or "")),
        Column("Start", lambda s: s.depreciation_start or ""),
        Column("Cost centre", lambda s: str(s.cost_centre or "")),
        Column("Company", lambda s: str(s.company or "")),
    ],
    detail_fields=[
        ("Asset", lambda s: link(s.asset, "ui:assets:asset_detail")),
        ("Book profile", lambda s: link(s.book_profile, "ui:finance:depreciationprofile_detail")),
        ("Tax profile", lambda s: link(s.tax_profile, "ui:finance:depreciationprofile_detail")),
        ("Depreciation start", lambda s: s.depreciation_start or ""),
        ("Cost centre", lambda s: link(s.cost_centre, "ui:org:costcentre_detail")),
        ("Company", lambda s: link(s.company, "ui:org:company_detail")),
    ],
)

RATE = Resource(
    model=ExchangeRate,
    filter_schema=schemas.RateFilter,
    create=services.create_rate,
    update=services.update_rate,
    delete=services.delete_rate,
    out_schema=schemas.RateOut,
    in_schema=schemas.RateIn,
    patch_schema=schemas.RatePatch,
    orderings={"currency": "currency", "valid_from": "valid_from", "id": "pk"},
    default_ordering="currency",
    search_fields=("currency", "base"),
    constraint_fields=("id", "currency", "base"),
    path="rates",
    tag="exchange rates",
    columns=[
        Column("Currency", lambda r: r.currency, order="currency", link=True),
        Column("Base", lambda r: r.base),
        Column("From", lambda r: r.valid_from, order="valid_from"),
        Column("Rate", lambda r: r.rate),
    ],
    detail_fields=[
        ("Currency", lambda r: r.currency),
        ("Base", lambda r: r.base),
        ("Valid from", lambda r: r.valid_from),
        ("Rate", lambda r: r.rate),
    ],
    cli_name="exchange-rates",
)

# Closed periods are written only by the period close (closing.py) and served by the app's
# own API and pages; declared for permissions (``add`` = close a month) and History.
CLOSED_PERIOD = Resource(
    model=ClosedPeriod,
    actions=("view", "add"),
    constraint_fields=("id", "book"),
    has_pages=False,
    url_names={"detail": "ui:finance:period_detail"},
)


def _line_centre(line: PurchaseOrderLine) -> Any:
    """The cost centre a line is booked to: its own, else its order's."""
    return line.cost_centre or line.order.cost_centre


def _order_lines(request: Any, order: PurchaseOrder) -> dict[str, Any] | None:
    rows = [
        [
            str(line.asset_model or line.description),
            line.get_kind_display(),
            line.quantity,
            line.received_quantity,
            f"{line.unit_price} {order.currency}",
            str(line.cost_centre or order.cost_centre or ""),
            f"FY{line.budget.fiscal_year}" if line.budget else "",
        ]
        for line in order.lines.select_related("asset_model", "cost_centre", "budget")
    ]
    return {
        "title": "Lines",
        "headers": ["Item", "Kind", "Ordered", "Received", "Unit price", "Cost centre", "Budget"],
        "rows": rows,
    }


ORDER = Resource(
    model=PurchaseOrder,
    filter_schema=schemas.OrderFilter,
    create=services.create_order,
    update=services.update_order,
    delete=services.delete_order,
    out_schema=schemas.OrderOut,
    in_schema=schemas.OrderIn,
    patch_schema=schemas.OrderPatch,
    orderings={"number": "number", "order_date": "order_date", "id": "pk"},
    default_ordering="-order_date",
    select_related=("supplier", "cost_centre"),
    search_fields=("number", "notes"),
    constraint_fields=("id", "status", "supplier", "cost_centre", "cost_centre__code"),
    path="purchase-orders",
    tag="purchase orders",
    api_routes=order_routes,
    related_tables=[_order_lines],
    columns=[
        Column("Number", lambda o: o.number, order="number", link=True),
        Column("Supplier", lambda o: link(o.supplier, "ui:org:company_detail")),
        Column("Date", lambda o: o.order_date, order="order_date"),
        Column("Status", lambda o: o.get_status_display()),
        Column("Cost centre", lambda o: str(o.cost_centre or "")),
    ],
    detail_fields=[
        ("Supplier", lambda o: link(o.supplier, "ui:org:company_detail")),
        ("Order date", lambda o: o.order_date),
        ("Status", lambda o: o.get_status_display()),
        ("Currency", lambda o: o.currency),
        ("Cost centre", lambda o: link(o.cost_centre, "ui:org:costcentre_detail")),
        (
            "Receive",
            lambda o: {"text": "Receive goods", "url": f"/finance/purchase-orders/{o.pk}/receive/"},
        ),
        ("Notes", lambda o: o.notes),
    ],
    cli_name="purchase-orders",
)

ORDER_LINE = Resource(
    model=PurchaseOrderLine,
    filter_schema=schemas.LineFilter,
    create=services.create_line,
    update=services.update_line,
    delete=services.delete_line,
    out_schema=schemas.LineOut,
    in_schema=schemas.LineIn,
    patch_schema=schemas.LinePatch,
    orderings={"id": "pk"},
    default_ordering="id",
    select_related=("order__cost_centre", "asset_model", "cost_centre", "budget"),
    constraint_fields=("id", "order", "kind"),
    path="purchase-order-lines",
    tag="purchase order lines",
    columns=[
        Column("Order", lambda line: str(line.order), link=True),
        Column("Item", lambda line: str(line.asset_model or line.description)),
        Column("Quantity", lambda line: line.quantity),
        Column("Received", lambda line: line.received_quantity),
        Column("Unit price", lambda line: line.unit_price),
        Column("Cost centre", lambda line: str(_line_centre(line) or "")),
    ],
    detail_fields=[
        ("Order", lambda line: link(line.order, "ui:finance:purchaseorder_detail")),
        ("Kind", lambda line: line.get_kind_display()),
        ("Model", lambda line: link(line.asset_model, "ui:assets:assetmodel_detail")),
        ("Description", lambda line: line.description),
        ("Quantity", lambda line: line.quantity),
        ("Received", lambda line: line.received_quantity),
        ("Unit price", lambda line: line.unit_price),
        ("Cost centre", lambda line: link(_line_centre(line), "ui:org:costcentre_detail")),
        ("Budget", lambda line: link(line.budget, "ui:finance:budget_detail")),
    ],
)

BUDGET = Resource(
    model=Budget,
    filter_schema=schemas.BudgetFilter,
    create=services.create_budget,
    update=services.update_budget,
    delete=services.delete_budget,
    out_schema=schemas.BudgetOut,
    in_schema=schemas.BudgetIn,
    patch_schema=schemas.BudgetPatch,
    orderings={"fiscal_year": "fiscal_year", "id": "pk"},
    default_ordering="-fiscal_year",
    select_related=("cost_centre",),
    constraint_fields=("id", "cost_centre", "fiscal_year"),
    path="budgets",
    tag="budgets",
    api_routes=budget_routes,
    columns=[
        Column("Cost centre", lambda b: str(b.cost_centre), link=True),
        Column("Fiscal year", lambda b: b.fiscal_year, order="fiscal_year"),
        Column("Amount", lambda b: f"{b.amount} {b.currency}"),
    ],
    detail_fields=[
        ("Cost centre", lambda b: link(b.cost_centre, "ui:org:costcentre_detail")),
        ("Fiscal year", lambda b: b.fiscal_year),
        ("Amount", lambda b: f"{b.amount} {b.currency}"),
        ("Committed / actual / remaining", _budget_figures),
    ],
)


def _contract_documents(request: Any, contract: Contract) -> dict[str, Any] | None:
    documents = contract.documents.defer("data")
    return {
        "title": "Documents",
        "headers": ["File", "Kind", "Size", "Uploaded"],
        "rows": [
            [d.filename, d.get_kind_display(), d.size, f"{d.uploaded_at:%Y-%m-%d} {d.uploaded_by}"]
            for d in documents
        ],
    }


def _covered(contract: Contract) -> str:
    assets = [a.asset_tag for a in contract.assets.all()]
    cis = [c.name for c in contract.cis.all()]
    licences = [f"licence {e.name}" for e in contract.licences.all()]
    return ", ".join(assets + cis + licences) or "nothing yet"


CONTRACT = Resource(
    model=Contract,
    filter_schema=schemas.ContractFilter,
    create=services.create_contract,
    update=services.update_contract,
    delete=services.delete_contract,
    out_schema=schemas.ContractOut,
    in_schema=schemas.ContractIn,
    patch_schema=schemas.ContractPatch,
    form_fields=(
        "name",
        "reference",
        "kind",
        "supplier",
        "start_date",
        "end_date",
        "notice_days",
        "auto_renew",
        "renewal_months",
        "billing_period",
        "cost_per_period",
        "currency",
        "notes",
    ),
    orderings={"end_date": "end_date", "name": "name", "id": "pk"},
    default_ordering="end_date",
    select_related=("supplier",),
    prefetch_related=("assets", "cis", "licences"),
    search_fields=("name", "reference"),
    constraint_fields=("id", "kind", "supplier"),
    path="contracts",
    tag="contracts",
    related_tables=[_contract_documents],
    columns=[
        Column("Name", lambda c: c.name, order="name", link=True),
        Column("Kind", lambda c: c.get_kind_display()),
        Column("Supplier", lambda c: link(c.supplier, "ui:org:company_detail")),
        Column("Ends", lambda c: c.end_date, order="end_date"),
        Column("Notice (days)", lambda c: c.notice_days),
        Column("Auto-renew", lambda c: "Yes" if c.auto_renew else "No"),
        Column(
            "Cost", lambda c: f"{c.cost_per_period} {c.currency} / {c.get_billing_period_display()}"
        ),
    ],
    detail_fields=[
        ("Reference", lambda c: c.reference),
        ("Kind", lambda c: c.get_kind_display()),
        ("Supplier", lambda c: link(c.supplier, "ui:org:company_detail")),
        ("Term", lambda c: f"{c.start_date} to {c.end_date}"),
        ("Notice", lambda c: f"{c.notice_days} days"),
        ("Auto-renew", lambda c: f"every {c.renewal_months} months" if c.auto_renew else "No"),
        ("Cost", lambda c: f"{c.cost_per_period} {c.currency} / {c.get_billing_period_display()}"),
        ("Covers", _covered),
        ("Notes", lambda c: c.notes),
    ],
    cli_name="contracts",
)

REPLACEMENT_POLICY = Resource(
    model=ReplacementPolicy,
    filter_schema=schemas.ReplacementPolicyFilter,
    create=services.create_replacement_policy,
    update=services.update_replacement_policy,
    delete=services.delete_replacement_policy,
    out_schema=schemas.ReplacementPolicyOut,
    in_schema=schemas.ReplacementPolicyIn,
    patch_schema=schemas.ReplacementPolicyPatch,
    orderings={"id": "pk"},
    default_ordering="id",
    select_related=("category", "asset_model"),
    constraint_fields=("id", "category", "asset_model"),
    path="replacement-policies",
    tag="replacement policies",
    columns=[
        Column("Applies to", lambda p: str(p.asset_model or p.category), link=True),
        Column("Replace after (years)", lambda p: p.replace_after_years or ""),
        Column("At warranty end", lambda p: "Yes" if p.at_warranty_end else "No"),
        Column("At end of life", lambda p: "Yes" if p.at_end_of_life else "No"),
        Column(
            "Replacement price",
            lambda p: f"{p.replacement_price} {p.currency}" if p.replacement_price else "",
        ),
    ],
    detail_fields=[
        ("Category", lambda p: link(p.category, "ui:assets:category_detail")),
        ("Model", lambda p: link(p.asset_model, "ui:assets:assetmodel_detail")),
        ("Replace after (years)", lambda p: p.replace_after_years or ""),
        ("At warranty end", lambda p: "Yes" if p.at_warranty_end else "No"),
        ("At end of life", lambda p: "Yes" if p.at_end_of_life else "No"),
        (
            "Replacement price",
            lambda p: f"{p.replacement_price} {p.currency}" if p.replacement_price else "",
        ),
    ],
    cli_name="replacement-policies",
)

RESOURCES = [
    PROFILE,
    ASSET_FINANCE,
    RATE,
    CLOSED_PERIOD,
    ORDER,
    ORDER_LINE,
    BUDGET,
    CONTRACT,
    REPLACEMENT_POLICY,
]
SECTIONS = [
    DetailSection("assets.asset", asset_depreciation_section),
    DetailSection("assets.asset", asset_tco_section),
    DetailSection("finance.contract", lapse_section),
]
# Business facts for the technical views (impact, root cause, changes, CI pages, maps).
FLAG_SOURCES = flags.FLAG_SOURCES
BUSINESS_FIGURES = flags.BUSINESS_FIGURES
