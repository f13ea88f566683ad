"""The position engine on hand-worked cases, without a database (docs/licences.md works the
same numbers): statuses, money, downgrade rights, suites, unlimited metrics, terms, and the
vendors' per-core rules (Microsoft 2-core packs and minimums, Oracle's core factor table)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from assetgraph.licences.position import (
    CoreRule,
    EntitlementFact,
    HostCores,
    PositionRow,
    ProductFact,
    RowKey,
    compute_position,
    core_licences,
    counted_cores,
    required_keys,
    shares,
    totals,
)

TODAY = dt.date(2026, 6, 1)
WORD, EXCEL, SQL2019, SQL2022, ORACLE = 1, 2, 3, 4, 5
PRODUCTS = {
    WORD: ProductFact(WORD, "Word"),
    EXCEL: ProductFact(EXCEL, "Excel"),
    SQL2019: ProductFact(SQL2019, "SQL Server 2019", family_id=7, version_rank=2019),
    SQL2022: ProductFact(SQL2022, "SQL Server 2022", family_id=7, version_rank=2022),
    ORACLE: ProductFact(ORACLE, "Oracle Database EE"),
}


def ent(pk: int, metric: str, quantity: int | None, **extra: object) -> EntitlementFact:
    return EntitlementFact(id=pk, name=f"E{pk}", metric=metric, quantity=quantity, **extra)  # type: ignore[arg-type]


def run(
    facts: list[EntitlementFact],
    consumed: dict[RowKey, int],
    suites: dict[int, list[int]] | None = None,
    uncovered: dict[int, int] | None = None,
) -> dict[tuple[int, str], PositionRow]:
    row_shares = shares(facts, suites or {}, TODAY)
    rows = compute_position(row_shares, PRODUCTS, consumed, uncovered)
    return {(r.product_id, r.metric if r.scope != "unlicensed" else "unlicensed"): r for r in rows}


def test_shortfall_is_under_licensed_with_its_true_up_cost() -> None:
    facts = [ent(1, "device", 10, product_id=WORD, unit_cost=Decimal("50.00"), currency="EUR")]
    row = run(facts, {RowKey(WORD, "device"): 12})[(WORD, "device")]
    assert (row.entitled, row.consumed, row.balance, row.shortfall) == (10, 12, -2, 2)
    assert row.status == "under"
    assert row.true_up_cost == Decimal("100.00") and row.currency == "EUR"
    assert row.unused_cost == Decimal("0.00")


def test_unused_rights_are_over_licensed_and_priced_at_the_average_cost() -> None:
    facts = [
        ent(1, "device", 60, product_id=WORD, total_cost=Decimal("3000")),  # 50 each
        ent(2, "device", 40, product_id=WORD, unit_cost=Decimal("80"), start_date=TODAY),
    ]
    row = run(facts, {RowKey(WORD, "device"): 50})[(WORD, "device")]
    assert (row.entitled, row.balance, row.status) == (100, 50, "over")
    # average = (3000 + 40 x 80) / 100 = 62; 50 unused x 62
    assert row.unused_cost == Decimal("3100.00")
    assert row.unit_price == Decimal("80.00")  # the latest purchase sets the true-up price
    assert row.true_up_cost == Decimal("0.00")


def test_ninety_percent_used_is_compliant_below_is_over_licensed() -> None:
    facts = [ent(1, "user", 10, product_id=WORD)]
    assert run(facts, {RowKey(WORD, "user"): 9})[(WORD, "user")].status == "compliant"
    assert run(facts, {RowKey(WORD, "user"): 10})[(WORD, "user")].status == "compliant"
    assert run(facts, {RowKey(WORD, "user"): 8})[(WORD, "user")].status == "over"


def test_downgrade_rights_cover_an_older_version_with_the_newer_surplus() -> None:
    facts = [ent(1, "core", 10, product_id=SQL2022, version_rights="downgrade")]
    row_shares = shares(facts, {}, TODAY)
    keys = required_keys(row_shares, PRODUCTS)
    assert RowKey(SQL2019, "core") in keys  # the older member is measured too
    rows = run(facts, {RowKey(SQL2022, "core"): 7, RowKey(SQL2019, "core"): 3})
    new, old = rows[(SQL2022, "core")], rows[(SQL2019, "core")]
    # 10 rights: 7 used by 2022 itself, the 3 spare cover 2019's 3 cores.
    assert (new.entitled, new.lent, new.balance, new.status) == (10, 3, 0, "compliant")
    assert (old.entitled, old.received, old.balance, old.status) == (0, 3, 0, "compliant")


def test_downgrade_surplus_is_limited_and_the_rest_is_a_shortfall() -> None:
    facts = [ent(1, "core", 10, product_id=SQL2022, version_rights="downgrade")]
    rows = run(facts, {RowKey(SQL2022, "core"): 8, RowKey(SQL2019, "core"): 5})
    assert rows[(SQL2022, "core")].lent == 2
    old = rows[(SQL2019, "core")]
    assert (old.received, old.balance, old.shortfall, old.status) == (2, -3, 3, "under")


def test_without_downgrade_rights_an_older_version_is_unlicensed() -> None:
    facts = [ent(1, "core", 10, product_id=SQL2022)]
    row_shares = shares(facts, {}, TODAY)
    assert RowKey(SQL2019, "core") not in required_keys(row_shares, PRODUCTS)
    rows = run(facts, {RowKey(SQL2022, "core"): 6}, uncovered={SQL2019: 2})
    assert rows[(SQL2019, "unlicensed")].status == "unlicensed"
    assert rows[(SQL2019, "unlicensed")].shortfall == 2


def test_a_suite_seat_is_a_right_to_each_member_priced_in_shares() -> None:
    facts = [ent(1, "device", 10, suite_id=9, unit_cost=Decimal("100"), currency="EUR")]
    rows = run(facts, {RowKey(WORD, "device"): 8, RowKey(EXCEL, "device"): 12}, {9: [WORD, EXCEL]})
    word, excel = rows[(WORD, "device")], rows[(EXCEL, "device")]
    assert (word.entitled, word.balance, word.status) == (10, 2, "over")
    assert (excel.entitled, excel.balance, excel.status) == (10, -2, "under")
    assert excel.unit_price == Decimal("50.00") and excel.true_up_cost == Decimal("100.00")
    assert word.unused_cost == Decimal("100.00")  # 2 x (1000 / 2 members / 10)


def test_site_and_enterprise_rights_are_unlimited_and_compliant() -> None:
    facts = [
        ent(1, "site", None, product_id=WORD, scope="loc:3"),
        ent(2, "enterprise", None, product_id=EXCEL),
    ]
    rows = run(facts, {RowKey(WORD, "site", "loc:3"): 40, RowKey(EXCEL, "enterprise"): 900})
    assert rows[(WORD, "site")].entitled is None and rows[(WORD, "site")].balance is None
    assert rows[(WORD, "site")].scope == "loc:3"
    assert rows[(WORD, "site")].status == rows[(EXCEL, "enterprise")].status == "compliant"


def test_an_expired_subscription_gives_no_rights() -> None:
    facts = [
        ent(
            1,
            "subscription",
            20,
            product_id=WORD,
            start_date=dt.date(2025, 1, 1),
            end_date=dt.date(2025, 12, 31),
        )
    ]
    assert shares(facts, {}, TODAY) == {}
    rows = run(facts, {}, uncovered={WORD: 4})
    assert rows[(WORD, "unlicensed")].status == "unlicensed"


def test_rights_not_yet_started_do_not_count() -> None:
    facts = [ent(1, "device", 5, product_id=WORD, start_date=TODAY + dt.timedelta(days=1))]
    assert shares(facts, {}, TODAY) == {}


def test_per_core_minimums_and_farm_exposure_are_the_strictest_of_a_row() -> None:
    facts = [
        ent(1, "core", 8, product_id=ORACLE, min_cores_per_processor=16),
        ent(2, "core", 8, product_id=ORACLE, farm_exposure=True, idle_days=30),
    ]
    params = required_keys(shares(facts, {}, TODAY), PRODUCTS)[RowKey(ORACLE, "core")]
    assert params.min_cores_per_processor == 16 and params.farm_exposure
    assert params.idle_days == 30 and params.entitlement_ids == (1, 2)


def test_totals_add_money_per_currency_and_rows_per_status() -> None:
    facts = [
        ent(1, "device", 10, product_id=WORD, unit_cost=Decimal("50"), currency="EUR"),
        ent(2, "device", 10, product_id=EXCEL, unit_cost=Decimal("20"), currency="USD"),
    ]
    rows = run(facts, {RowKey(WORD, "device"): 12, RowKey(EXCEL, "device"): 15})
    summary = totals(rows.values())
    assert summary["by_status"] == {"under": 2}
    assert summary["true_up"] == {"EUR": Decimal("100.00"), "USD": Decimal("100.00")}


# Vendor per-core rules (docs/licences.md, "Per core: the vendors' rules").
SQL_PHYSICAL = CoreRule(min_per_processor=4, pack_size=2)
SQL_PER_VM = CoreRule(min_per_server=4, pack_size=2)
WINDOWS = CoreRule(min_per_processor=8, min_per_server=16, pack_size=2)
ORACLE_RULE = CoreRule(factor_table=True)
HALF, THREE_QUARTERS = Decimal("0.5"), Decimal("0.75")


def test_sql_server_counts_every_core_with_four_per_processor_in_two_core_packs() -> None:
    assert counted_cores(HostCores(12, 2), SQL_PHYSICAL) == 12  # 2 x 6 cores
    assert counted_cores(HostCores(2, 1), SQL_PHYSICAL) == 4  # 2 cores: the 4-core minimum
    assert counted_cores(HostCores(6, 2), SQL_PHYSICAL) == 8  # 2 x 3 cores: 4 per processor
    assert counted_cores(HostCores(7, 1), SQL_PER_VM) == 8  # 7 vcores: four 2-core packs
    assert counted_cores(HostCores(3, 1), SQL_PER_VM) == 4  # 3 vcores: the 4-per-VM minimum
    # Microsoft has no core factor: a Xeon host is not halved.
    assert core_licences([HostCores(16, 2, HALF), HostCores(7, 1, HALF)], SQL_PHYSICAL) == 24


def test_windows_server_counts_eight_per_processor_and_sixteen_per_server() -> None:
    assert counted_cores(HostCores(4, 1), WINDOWS) == 16  # the server minimum
    assert counted_cores(HostCores(12, 2), WINDOWS) == 16  # 2 x 6: 8 per processor, 16
    assert counted_cores(HostCores(24, 2), WINDOWS) == 24  # above both minimums
    assert counted_cores(HostCores(16, 4), WINDOWS) == 32  # 4 x 4: 8 per processor wins
    assert counted_cores(HostCores(18, 1), WINDOWS) == 18  # even: no pack rounding
    assert counted_cores(HostCores(17, 1), WINDOWS) == 18  # odd: rounded up to a pack


def test_oracle_multiplies_cores_by_the_factor_and_rounds_up_once_per_factor() -> None:
    assert core_licences([HostCores(32, 2, HALF)], ORACLE_RULE) == 16  # 2 x 16 Xeon cores
    # Cores are aggregated before the factor: 3 + 3 cores x 0.5 = 3 (not 2 + 2).
    assert core_licences([HostCores(3, 1, HALF), HostCores(3, 1, HALF)], ORACLE_RULE) == 3
    # Per factor: 8 x 0.5 = 4, plus 3 x 0.75 = 2.25 rounded up to 3.
    assert core_licences([HostCores(8, 1, HALF), HostCores(3, 1, THREE_QUARTERS)], ORACLE_RULE) == 7
    # Without the table the factor is ignored.
    assert core_licences([HostCores(8, 1, HALF)], CoreRule()) == 8


def test_a_row_counts_packs_and_minimums_of_its_strictest_entitlement() -> None:
    facts = [
        ent(1, "core", 8, product_id=ORACLE, core_factor_table=True, core_pack_size=2),
        ent(2, "core", 8, product_id=ORACLE, min_cores_per_server=16, virtual_cores=True),
    ]
    params = required_keys(shares(facts, {}, TODAY), PRODUCTS)[RowKey(ORACLE, "core")]
    assert params.core_rule == CoreRule(0, 16, 2, factor_table=False)
    assert params.virtual_cores is False  # only when every entitlement of the row says so
