"""Forbidden characters are refused wherever text enters (services, so forms, API and
imports), and exports neutralise formulas, full-width ones included, and characters an XLSX
cannot hold, in values stored before any check."""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from assetgraph.core.errors import ValidationFailed
from assetgraph.core.tabular import FORMULA_PREFIXES, escape_cell, write_csv, write_xlsx
from assetgraph.core.text import forbidden_message

TRIGGERS = ["=", "+", "-", "@", "|", "%", "\uff1d", "\uff0b", "\uff0d", "\uff20", "\ufe66"]


@pytest.mark.parametrize("trigger", TRIGGERS)
@pytest.mark.parametrize("lead", ["", " ", "  ", "\u3000"])
def test_formula_cells_are_escaped_with_full_width_forms_and_leading_spaces(
    trigger: str, lead: str
) -> None:
    value = f'{lead}{trigger}HYPERLINK("http://x")'
    assert escape_cell(value) == "'" + value


@given(st.text(max_size=30))
def test_escaped_cells_never_start_with_a_trigger(text: str) -> None:
    escaped = escape_cell(text)
    assert not escaped.lstrip(" \u3000").startswith(FORMULA_PREFIXES) or escaped.startswith("'")
    assert escaped in (text, "'" + text)


def test_xlsx_and_csv_exports_escape_and_survive_stored_control_characters() -> None:
    rows = [["\uff1dSUM(A1:A9)", "a\x01b\x0bc", 12, "=1+1", "plain"]]
    book = load_workbook(io.BytesIO(write_xlsx(["h\x02", "b", "c", "d", "e"], rows, "x/y:z")))
    values = [cell.value for cell in next(book.active.iter_rows(min_row=2))]
    assert values == ["'\uff1dSUM(A1:A9)", "a\ufffdb\ufffdc", 12, "'=1+1", "plain"]
    assert book.active.cell(1, 1).value == "h\ufffd"
    text = write_csv(["a", "b"], [["\uff1d1", " =2"]]).decode("utf-8-sig")
    assert "'\uff1d1" in text and "'=2" in text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a\x00b", "contains a NUL character, which is not allowed"),
        ("a\x01b", "contains a control character (U+0001), which is not allowed"),
        ("\x1b[31m", "contains a control character (U+001B), which is not allowed"),
        ("a\ud800", "contains a lone surrogate (U+D800), which is not allowed"),
        ("tab\tand\nlines\r\n", ""),
        ("emoji \U0001f600 and \uff1d", ""),
    ],
)
def test_forbidden_characters(text: str, message: str) -> None:
    assert forbidden_message(text) == message


@pytest.mark.django_db
def test_services_refuse_control_characters_with_a_field_error(system: Any) -> None:
    from assetgraph.org import services as org
    from assetgraph.org.models import Company

    with pytest.raises(ValidationFailed) as failure:
        org.create_company(system, {"name": "Acme\x01", "notes": "ok\x00"})
    assert set(failure.value.fields) == {"name", "notes"}
    assert failure.value.fields["name"] == [
        "contains a control character (U+0001), which is not allowed"
    ]
    assert not Company.objects.exists()
    company = org.create_company(system, {"name": "Acme", "notes": "line one\nline\ttwo"})
    assert company.notes == "line one\nline\ttwo"


@pytest.mark.django_db
def test_imports_report_control_characters_as_row_errors(site: dict[str, Any]) -> None:
    from assetgraph.core.actor import Actor
    from assetgraph.org.importers import PersonImporter

    text = "employee_number,first_name,last_name\nE50,Ev\x01e,Smith\n"
    report = PersonImporter(Actor.system("t")).run(io.BytesIO(text.encode()), "p.csv", dry_run=True)
    assert not report.ok
    assert any("control character" in error for row in report.rows for error in row.errors)


@pytest.mark.django_db
def test_ui_forms_refuse_control_characters(browser: Any) -> None:
    from assetgraph.org.models import Company

    page = browser("Admin").post("/org/companies/add/", {"name": "Bad\x07Co"})
    assert page.status_code in (200, 422)
    assert b"control character" in page.content
    assert not Company.objects.filter(name__startswith="Bad").exists()
