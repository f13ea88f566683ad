"""Depreciation profiles, asset finance settings and exchange rates, each declared once
(see :mod:`assetgraph.framework.spec`), and the asset page's "Depreciation" section."""

from __future__ import annotations

from assetgraph.framework.spec import Column, DetailSection, Resource
from assetgraph.ui.generic import link

from . import schemas, services
from .models import AssetFinance, ClosedPeriod, DepreciationProfile, ExchangeRate
from .views import asset_depreciation_section

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

RESOURCES = [PROFILE, ASSET_FINANCE, RATE, CLOSED_PERIOD]
SECTIONS = [DetailSection("assets.asset", asset_depreciation_section)]
