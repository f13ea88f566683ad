"""The register's bulk path (``register_columns``/``register_totals``) gives exactly the
per-asset path's figures: rows and totals, as text, on an estate mixing every method and
convention, overrides, disposals, cost centres and currencies (with and without a rate,
with 0, 2 and 3 minor digits)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from assetgraph.assets.models import Asset, Disposal
from assetgraph.core.actor import Actor
from assetgraph.finance import services
from assetgraph.finance.books import ProfileIndex, asset_book
from assetgraph.finance.depreciation import DepreciationSpec, Method, build_schedule
from assetgraph.finance.depreciation.batch import (
    straight_line_accumulated,
    straight_line_full_month,
)
from assetgraph.finance.register import (
    build_register,
    build_register_per_asset,
    register_assets,
)
from assetgraph.finance.register_columns import load_columns, monthly_depreciation

pytestmark = pytest.mark.django_db

D = Decimal

PURCHASE = {"start_basis": "purchase"}
SL = {"method": "straight_line", **PURCHASE}
PROFILES: list[dict[str, Any]] = [
    {**SL, "life_years": 3, "salvage_percent": D("10")},
    {**SL, "life_years": 5, "start_basis": "in_service"},
    {**SL, "life_years": 1, "salvage_percent": D("33.33")},
    {**SL, "life_years": 4, "convention": "mid_month"},
    {**SL, "life_years": 3, "convention": "actual_days"},
    {**SL, "life_years": 5, "convention": "half_year"},
    {"method": "declining_balance", "life_years": 5, **PURCHASE},
    {"method": "declining_balance", "life_years": 4, "declining_rate": D("0.3"),
     "convention": "half_year", **PURCHASE},
    {"method": "sum_of_years_digits", "life_years": 4, **PURCHASE},
    {"method": "macrs_gds", "life_years": 5, "convention": "half_year", **PURCHASE},
    {"method": "macrs_gds", "life_years": 7, "convention": "mid_quarter", **PURCHASE},
    {"method": "none", "life_years": 3, **PURCHASE},
]  # fmt: skip

# cost, currency: EUR (base), USD (with a rate), GBP (none), JPY (0 digits), KWD (3 digits)
MONEY = [
    (D("1299.00"), "EUR"),
    (D("0.57"), "EUR"),
    (D("100000.01"), "USD"),
    (D("120000.00"), "JPY"),
    (D("1234.56"), "JPY"),  # not whole yen: the per-asset path
    (D("777.77"), "KWD"),
    (D("450.00"), "GBP"),
    (D("36.00"), "EUR"),
]


@pytest.fixture
def estate(
    catalogue: dict[str, Any], make_asset: Callable[..., Asset], system: Actor
) -> list[Asset]:
    """60 assets: a category profile per book for laptops (straight line, full month, the
    bulk case), every other method and convention as asset overrides, and varied money,
    dates, salvage, start, cost centre, company, custodian and disposals."""
    from assetgraph.org import services as org

    common = {"expense_account": "6810", "accumulated_account": "1591"}
    services.create_profile(
        system,
        {"name": "Laptops", "category": catalogue["laptops"], "method": "straight_line",
         "life_years": 3, "salvage_percent": D("5"), "start_basis": "purchase", **common},
    )  # fmt: skip
    services.create_profile(
        system,
        {"name": "Laptops tax", "book": "tax", "category": catalogue["laptops"],
         "method": "macrs_gds", "life_years": 5, "convention": "half_year",
         "start_basis": "purchase", **common},
    )  # fmt: skip
    named = [
        services.create_profile(system, {"name": f"P{i}", **values, **common})
        for i, values in enumerate(PROFILES)
    ]
    tax_sl = services.create_profile(
        system,
        {"name": "Tax SL", "book": "tax", "method": "straight_line", "life_years": 2,
         "start_basis": "purchase", **common},
    )  # fmt: skip
    cc2 = org.create_cost_centre(system, {"code": "CC-2", "name": "Operations"})
    owner = org.create_company(system, {"name": "Acme Holding"})
    services.create_rate(
        system,
        {"currency": "USD", "base": "EUR", "valid_from": dt.date(2020, 1, 1), "rate": D("0.9137")},
    )
    services.create_rate(
        system,
        {"currency": "JPY", "base": "EUR", "valid_from": dt.date(2020, 1, 1), "rate": D("0.0061")},
    )
    services.create_rate(
        system,
        {"currency": "KWD", "base": "EUR", "valid_from": dt.date(2020, 1, 1), "rate": D("2.98")},
    )
    assets = []
    for i in range(60):
        cost, currency = MONEY[i % len(MONEY)]
        purchased = dt.date(2021 + i % 5, 1 + (i * 5) % 12, 1 + (i * 7) % 28)
        model = "u27" if i % 11 == 0 else "latitude"  # monitors have no profile
        asset = make_asset(model=model, cost=cost, currency=currency, purchase_date=purchased)
        if i % 4 == 1:
            Asset.objects.filter(pk=asset.pk).update(
                deployed_date=purchased + dt.timedelta(days=40), custodian=catalogue["minh"]
            )
        override: dict[str, Any] = {}
        if i % 3 == 0:
            override["book_profile"] = named[(i // 3) % len(named)]
        if i % 7 == 2:
            override["tax_profile"] = tax_sl
        if i % 5 == 3:
            override["salvage"] = D("10.00")
        if i == 13:
            override["salvage"] = D("99999.00")  # above cost: no schedule, a note
        if i % 8 == 5:
            override["depreciation_start"] = purchased + dt.timedelta(days=75)
        if i % 6 == 4:
            override["cost_centre"] = cc2
        if i % 9 == 7:
            override["company"] = owner
        if override:
            services.create_asset_finance(system, {"asset": asset, **override})
        if i % 10 == 6:
            Disposal.objects.create(
                asset=asset,
                method="sold",
                disposed_on=purchased + dt.timedelta(days=500 + 30 * (i % 4)),
                recipient="Buyer",
                proceeds=D("100.00"),
                currency=currency,
            )
        if i == 19:
            Disposal.objects.create(
                asset=asset, method="scrapped", disposed_on=purchased, recipient="R"
            )
        assets.append(asset)
    return assets


def _text(value: Any) -> str:
    return json.dumps(value, default=str, sort_keys=True)


@pytest.mark.parametrize("book", ["book", "tax"])
def test_bulk_register_equals_the_per_asset_register_to_the_cent(
    estate: list[Asset], book: str
) -> None:
    dates = [dt.date(2020, 6, 30), dt.date(2022, 3, 15), dt.date(2023, 12, 31),
             dt.date(2024, 2, 29), dt.date(2025, 7, 31), dt.date(2031, 1, 1)]  # fmt: skip
    for as_of in dates:
        assets = register_assets(Asset.objects.all(), as_of)
        bulk = build_register(assets, as_of, book)
        naive = build_register_per_asset(assets, as_of, book)
        assert len(bulk.rows) == len(naive.rows)
        for ours, theirs in zip(bulk.rows, naive.rows, strict=True):
            assert _text(ours.__dict__) == _text(theirs.__dict__), as_of
        assert _text(bulk.as_dict(with_rows=False)) == _text(naive.as_dict(with_rows=False))
        assert bulk.head(5) == naive.rows[:5]
    # Both paths were exercised: bulk rows carry no per-asset Decimal.
    columns = load_columns(register_assets(Asset.objects.all(), dates[4]), dates[4], book)
    assert 0 < columns.bulk < len(columns)
    assert columns.exact


@pytest.mark.parametrize("book", ["book", "tax"])
def test_bulk_monthly_depreciation_equals_each_schedules_month(
    estate: list[Asset], book: str
) -> None:
    """The service-cost depreciation source's bulk read (``monthly_depreciation``) gives
    each asset's ``amount_in_month``, every month from before the first purchase to after
    the last schedule ends (disposals, overrides, JPY/KWD included)."""
    assets = Asset.objects.filter(cost__isnull=False).exclude(currency="")
    index = ProfileIndex(book)
    schedules = {
        a.pk: (a.currency, asset_book(a, book, index).schedule)
        for a in assets.select_related("model__category", "disposal")
    }
    bulk_seen = 0
    for ordinal in range(2020 * 12 + 11, 2031 * 12 + 2, 7):
        month = dt.date(ordinal // 12, ordinal % 12 + 1, 1)
        expected = {}
        for pk, (currency, schedule) in schedules.items():
            amount = schedule.amount_in_month(month.year, month.month) if schedule else 0
            if amount:
                expected[pk] = (currency, amount)
        got = monthly_depreciation(assets, month, book)
        assert _text(got) == _text(expected), month
        bulk_seen += len(got)
    assert bulk_seen > 40


def test_register_totals_convert_each_row_and_flag_missing_rates(estate: list[Asset]) -> None:
    result = build_register(
        register_assets(Asset.objects.all(), dt.date(2025, 7, 31)), dt.date(2025, 7, 31), "book"
    )
    assert result.missing_rates == ["GBP"]
    gbp = sum(1 for row in result.rows if row.currency == "GBP")
    assert result.grand_total.unconverted == gbp > 0
    assert result.grand_total.assets == len(result.rows)
    assert {"EUR", "USD", "JPY", "KWD", "GBP"} <= set(result.grand_total.by_currency)


def test_closed_form_accumulated_equals_the_months_and_build_schedule() -> None:
    """``straight_line_accumulated`` against the batch months and the Decimal schedule, for
    lives of 1-100 years, fiscal years starting in any month, every as-of month."""
    costs = [0, 57, 129_900, 10_000_001, 3_600, 99]
    salvages = [0, 0, 12_990, 1_000_000, 3_600, 1]
    starts = [2024 * 12, 2024 * 12 + 5, 2023 * 12 + 11, 2025 * 12 + 6, 2024 * 12 + 1, 2024 * 12]
    lives = [3, 1, 5, 100, 2, 7]
    for fiscal in (1, 4, 7, 12):
        months = straight_line_full_month(costs, salvages, starts, lives, fiscal)
        for through in range(2023 * 12, 2033 * 12, 5):
            closed = straight_line_accumulated(costs, salvages, starts, lives, through, fiscal)
            assert np.array_equal(closed, months.accumulated_through(through))
    spec = DepreciationSpec(D("1299.00"), dt.date(2025, 3, 9), Method.STRAIGHT_LINE, 3,
                            salvage=D("129.90"), fiscal_year_start_month=7)  # fmt: skip
    schedule = build_schedule(spec)
    for period in schedule.periods:
        through = period.end.year * 12 + period.end.month - 1
        closed = straight_line_accumulated([129_900], [12_990], [2025 * 12 + 2], [3], through, 7)
        assert D(int(closed[0])) / 100 == period.accumulated


def test_closed_form_refuses_salvage_above_cost() -> None:
    with pytest.raises(ValueError, match="salvage"):
        straight_line_accumulated([100], [101], [2025 * 12], [3], 2026 * 12)


def test_an_empty_register_has_zero_totals(db: None) -> None:
    """Nothing visible (``.none()``, an empty ``IN``): no query, zero totals, no rows."""
    for assets in (Asset.objects.none(), Asset.objects.filter(pk__in=[])):
        result = build_register(
            register_assets(assets, dt.date(2025, 1, 1)), dt.date(2025, 1, 1), "book"
        )
        assert result.rows == [] and result.grand_total.assets == 0
        assert result.grand_total.net_book_value == 0 and result.totals["category"] == {}
