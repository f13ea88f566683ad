"""Opening balances through the bulk engine, and the ``stock`` / ``requests`` commands."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from assetgraph.core.actor import Actor
from assetgraph.stock.importers import OpeningBalanceImporter
from assetgraph.stock.models import StockBalance, StockMovement
from assetgraph.stock.querysets import check_balances, on_hand

pytestmark = pytest.mark.django_db

GOOD = (
    "line_key,item,storeroom,quantity,unit_cost,currency,reference\n"
    "OB-1,Toner A4,Berlin store,12,11.00,eur,opening\n"
    "OB-2,RAM 16GB,London store,8,,,opening\n"
    "OB-3,Toner A4,Berlin store,3,,,opening\n"
)


def _run(text: str, dry_run: bool) -> Any:
    importer = OpeningBalanceImporter(Actor.system("import"))
    return importer.run(io.BytesIO(text.encode()), "balances.csv", dry_run=dry_run)


def test_opening_balances_import_posts_lines_and_balances(stock: dict[str, Any]) -> None:
    before = StockMovement.objects.count()
    preview = _run(GOOD, dry_run=True)
    assert preview.ok and preview.counts()["create"] == 3
    assert StockMovement.objects.count() == before
    applied = _run(GOOD, dry_run=False)
    assert applied.ok
    assert StockMovement.objects.count() == before + 3
    assert on_hand(stock["toner"].pk, stock["berlin"].pk) == 15
    assert on_hand(stock["ram"].pk, stock["store_loc"].pk) == 8
    line = StockMovement.objects.get(line_key="OB-1")
    assert (line.reason, str(line.unit_cost), line.currency) == ("received", "11.00", "EUR")
    assert check_balances() == []
    # re-running the file is refused row by row, and writes nothing
    again = _run(GOOD, dry_run=False)
    assert not again.ok
    assert "line_key: already posted" in str(again.as_dict()["rows"][0]["errors"])
    assert StockMovement.objects.count() == before + 3


def test_a_bad_row_writes_nothing_and_names_the_row(stock: dict[str, Any]) -> None:
    bad = GOOD + "OB-4,Toner A4,Nowhere,1,,,x\nOB-5,Toner A4,Berlin store,-2,,,x\n"
    before = (StockMovement.objects.count(), StockBalance.objects.count())
    report = _run(bad, dry_run=False)
    assert not report.ok
    errors = {r["row"]: r["errors"] for r in report.as_dict()["rows"] if r["errors"]}
    assert any("storeroom" in e for e in errors[5])
    assert errors[6] == ["quantity: a whole number of at least 1"]
    assert (StockMovement.objects.count(), StockBalance.objects.count()) == before


def test_import_command_and_stock_commands(stock: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "balances.csv"
    path.write_text(GOOD)
    call_command("import_data", "stock-movements", str(path), stdout=io.StringIO())
    assert StockMovement.objects.filter(line_key__startswith="OB-").count() == 3
    out = io.StringIO()
    call_command("stock", "check", stdout=out)
    assert out.getvalue().startswith("ok:")
    out = io.StringIO()
    call_command("stock", "on-hand", "Toner A4", "EMEA / Berlin", stdout=out)
    assert out.getvalue().strip() == "15"
    out = io.StringIO()
    call_command("stock", "move", "issue", "Toner A4", "2", "--to-person", "E1", stdout=out)
    assert "issued 2 x Toner A4" in out.getvalue()
    with pytest.raises(CommandError, match="not enough"):
        call_command("stock", "move", "issue", "Toner A4", "999", "--to-person", "E1")
    out = io.StringIO()
    call_command("stock", "alerts", "--json", stdout=out)
    assert '"item": "Evolve2 headset"' in out.getvalue()
    # tampering with the balance table is caught by the check (exit 1)
    StockBalance.objects.filter(item=stock["toner"], location=stock["berlin"]).update(on_hand=1)
    with pytest.raises(CommandError, match="1 balance"):
        call_command("stock", "check", stdout=io.StringIO())


def test_requests_command(people: dict[str, Any]) -> None:
    out = io.StringIO()
    call_command("requests", "submit", "Headset", "--reason", "calls", "--for", "E2", stdout=out)
    assert "submitted REQ" in out.getvalue()
    pk = int(out.getvalue().split("REQ")[1][:5])
    call_command("requests", "approve", str(pk), stdout=io.StringIO())
    out = io.StringIO()
    call_command("requests", "fulfil", str(pk), stdout=out)
    assert "fulfilled issued 1 x Evolve2 headset from EMEA / Berlin" in out.getvalue()
    out = io.StringIO()
    call_command("requests", "show", str(pk), stdout=out)
    assert '"action": "fulfil"' in out.getvalue()
    with pytest.raises(CommandError, match="rule 'approve'"):
        call_command("requests", "approve", str(pk))
