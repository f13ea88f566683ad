"""Bounded imports: bombs of every format are refused quickly and in bounded memory, limits
are configurable, and malformed JSON gets a message that says what is wrong."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from openpyxl import Workbook

from assetgraph import conf
from assetgraph.core.tabular import TableError, read_table
from tests.importjobs import finish_page, post_import

from . import bombs

REPO = Path(__file__).resolve().parents[2]
# The bar: refused within 10 s, and reading a hostile file costs a worker little memory.
# The bar is on growth over the idle worker (Django set up with every app: ~265 MB today, and it
# moves with the installed apps and libraries), not on an absolute figure that the baseline alone
# nearly reaches: a bomb may cost at most 100 MB on top of it.
MAX_SECONDS = 10.0
MAX_GROWTH_MB = 100


def _zip_with_big_member(size: int) -> bytes:
    """A workbook whose sheet is ``size`` bytes of spaces (compresses ~1000:1), written in
    chunks so the test itself stays small."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", bombs.CONTENT_TYPES)
        archive.writestr("_rels/.rels", bombs.ROOT_RELS)
        archive.writestr("xl/workbook.xml", bombs.WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", bombs.WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(bombs.SHEET_HEAD.encode() + b"<sheetData>")
            chunk = b" " * (1024 * 1024)
            for _ in range(size // len(chunk)):
                sheet.write(chunk)
            sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


def _many_parts_zip(parts: int = 20_000) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for i in range(parts):
            archive.writestr(f"p{i}", b"")
    return out.getvalue()


BOMBS: dict[str, Any] = {
    "sparse-150M-rows.xlsx": lambda: bombs.sparse_rows_bomb(150_000_000),
    "sparse-declared-150M-rows.xlsx": lambda: bombs.sparse_rows_bomb(
        150_000_000, dimension="A1:B150000000"
    ),
    "explicit-1.1M-empty-rows.xlsx": lambda: bombs.explicit_empty_rows_bomb(1_100_000),
    "shared-strings-4M.xlsx": lambda: bombs.shared_strings_bomb(4_000_000),
    "shared-strings-600k.xlsx": lambda: bombs.shared_strings_bomb(600_000),
    "uncompressed-600MB.xlsx": lambda: _zip_with_big_member(600 * 1024 * 1024),
    "huge-cell.xlsx": lambda: bombs.huge_cell_xlsx(2_000_000),
    "many-parts.xlsx": lambda: _many_parts_zip(),
    "rows-1.1M.csv": lambda: bombs.many_rows_csv(1_100_000),
    "blank-lines-1.1M.csv": lambda: b"employee_number,first_name\n" + b"\n" * 1_100_000,
    "huge-cell.csv": lambda: bombs.huge_cell_csv(5_000_000),
    "wide-row.csv": lambda: b"a,b\n" + b"," * 2_000_000 + b"\n",
    "deep-100k.json": lambda: bombs.deep_json(100_000),
    "objects-1.1M.json": lambda: bombs.many_rows_json(1_100_000),
    "keys-100k.json": lambda: b"[{" + b",".join(b'"k%d":1' % i for i in range(100_000)) + b"}]",
}


def test_bombs_of_every_format_are_refused_quickly_in_bounded_memory(tmp_path: Path) -> None:
    paths = []
    for name, build in BOMBS.items():
        path = tmp_path / name
        path.write_bytes(build())
        paths.append(str(path))
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    run = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("bomb_probe.py")), *paths],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    report = json.loads(run.stdout.strip().splitlines()[-1])
    sizes = {Path(p).name: Path(p).stat().st_size for p in paths}
    lines = [
        f"{r['file']} ({sizes[r['file']]:,} bytes): {r['seconds']} s, peak {r['peak_mb']} MB, "
        f"{r['outcome']}"
        for r in report["results"]
    ]
    print(f"baseline {report['baseline_mb']} MB\n" + "\n".join(lines))
    for result in report["results"]:
        assert result["outcome"].startswith("refused: "), lines
        assert result["seconds"] < MAX_SECONDS, lines
        assert result["peak_mb"] - report["baseline_mb"] < MAX_GROWTH_MB, lines


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty: a JSON array of objects"),
        (b"   \n", "the file is empty: a JSON array of objects"),
        (b'{"class": "server"}', "the file is an object, not a JSON array of objects"),
        (b'"hello"', "the file is a string, not a JSON array"),
        (b"42", "the file is a number, not a JSON array"),
        (b"null", "the file is null, not a JSON array"),
        (b"[1, 2]", "item 1 is a number: every item of the array must be an object"),
        (b'[{"a": 1}, "x"]', "item 2 is a string"),
        (b'[{"a": 1}, [1]]', "item 2 is an array"),
        (b'[{"a": 1},\n {"a": }]', "not valid JSON at line 2, column 8"),
        (b'[{"a": 1}', "expected ',' or ']' after item 1"),
        (b'[{"a": 1}] x', "text after the array"),
        (b"[{'a': 1}]", "not valid JSON at line 1"),
        (b"{not json", "not valid JSON: the file must be a JSON array of objects"),
        (b"[]", "the array has no objects with keys"),
        (b"[{}]", "the array has no objects with keys"),
        (b"\xff\xfe[", "not UTF-8"),
        (bombs.deep_json(5_000), "item 1: nested too deeply"),
    ],
)
def test_json_that_is_not_an_array_of_objects_says_what_is_wrong(
    content: bytes, message: str, settings: Any
) -> None:
    def read() -> None:
        _header, rows = read_table(io.BytesIO(content), "cis.json")
        list(rows)

    with pytest.raises(TableError) as failure:
        read()
    assert message in str(failure.value)


def test_json_rows_become_cells(settings: Any) -> None:
    content = json.dumps(
        [
            {"Class": "Server", "name": "s1", "attributes": {"ram_gb": 64}, "active": True},
            {"Class": "Server", "name": "s2", "Extra Info": None},
            {},
        ]
    ).encode()
    header, rows = read_table(io.BytesIO(content), "cis.json")
    assert header == ["class", "name", "attributes", "active", "extra_info"]
    found = list(rows)
    assert [r.number for r in found] == [2, 3]  # numbered like CSV lines; {} is a blank row
    assert found[0].values["attributes"] == '{"ram_gb": 64}'
    assert found[0].values["active"] == "true" and found[1].values["extra_info"] == ""
    with pytest.raises(TableError, match="column 'class' appears twice"):
        read_table(io.BytesIO(b'[{"Class": 1, "class": 2}]'), "cis.json")


def test_limits_are_configurable(settings: Any) -> None:
    settings.ASSETGRAPH_IMPORT_MAX_ROWS = 2
    with pytest.raises(TableError, match=r"more than 2 rows \(ASSETGRAPH_IMPORT_MAX_ROWS\)"):
        list(read_table(io.BytesIO(b"a\n1\n2\n3\n"), "x.csv")[1])
    assert len(list(read_table(io.BytesIO(b"a\n1\n2\n"), "x.csv")[1])) == 2
    settings.ASSETGRAPH_IMPORT_MAX_CELL_CHARS = 3
    with pytest.raises(TableError, match="row 2: a cell is longer than 3 characters"):
        list(read_table(io.BytesIO(b"a\n1234\n"), "x.csv")[1])
    settings.ASSETGRAPH_IMPORT_MAX_FILE_SIZE = 10
    with pytest.raises(TableError, match=r"over the import limit of 10 bytes"):
        read_table(io.BytesIO(b"a\n" + b"1\n" * 10), "x.csv")
    settings.ASSETGRAPH_IMPORT_MAX_FILE_SIZE = 10_000_000
    settings.ASSETGRAPH_IMPORT_MAX_COLUMNS = 2
    with pytest.raises(TableError, match="more than 2 columns"):
        list(read_table(io.BytesIO(b"a,b\n1,2,3\n"), "x.csv")[1])
    settings.ASSETGRAPH_IMPORT_MAX_UNCOMPRESSED_SIZE = 1024
    workbook = Workbook()
    workbook.active.append(["employee_number"])
    workbook.active.append(["x" * 5000])
    out = io.BytesIO()
    workbook.save(out)
    with pytest.raises(TableError, match="ASSETGRAPH_IMPORT_MAX_UNCOMPRESSED_SIZE"):
        read_table(io.BytesIO(out.getvalue()), "x.xlsx")


def test_configuration_parses_sizes(tmp_path: Path) -> None:
    config = conf.load(
        {
            "ASSETGRAPH_DATA_DIR": str(tmp_path),
            "ASSETGRAPH_IMPORT_MAX_FILE_SIZE": "20M",
            "ASSETGRAPH_IMPORT_MAX_UNCOMPRESSED_SIZE": "1G",
            "ASSETGRAPH_IMPORT_MAX_ROWS": "5000",
        }
    )
    assert config.import_max_file_size == 20 * 1024 * 1024
    assert config.import_max_uncompressed_size == 1024**3
    assert config.import_max_rows == 5000
    assert conf.load({"ASSETGRAPH_DATA_DIR": str(tmp_path)}).import_max_file_size == 100 * 2**20
    for bad in ("lots", "0", "-5M", "12X"):
        with pytest.raises(conf.ConfigError, match="ASSETGRAPH_IMPORT_MAX_FILE_SIZE"):
            conf.load(
                {"ASSETGRAPH_DATA_DIR": str(tmp_path), "ASSETGRAPH_IMPORT_MAX_FILE_SIZE": bad}
            )


@pytest.mark.django_db
def test_an_xlsx_bomb_through_the_api_is_a_quick_422_that_writes_nothing(
    site: dict[str, Any], api: Any
) -> None:
    from assetgraph.org.models import Person

    before = Person.objects.count()
    upload = SimpleUploadedFile("people.xlsx", bombs.sparse_rows_bomb(150_000_000))
    response = post_import(api("Admin"), "/api/org/import/people?dry_run=false", {"file": upload})
    assert response.status_code == 422
    assert "more than 1,000,000 rows" in json.dumps(response.json())
    assert Person.objects.count() == before


@pytest.mark.django_db
def test_json_errors_reach_the_cmdb_import_report(site: dict[str, Any], api: Any) -> None:
    upload = SimpleUploadedFile("cis.json", b'{"class": "Server"}')
    response = post_import(api("Admin"), "/api/cmdb/import/cis?dry_run=true", {"file": upload})
    assert response.status_code == 422
    assert response.json()["file_errors"] == [
        "the file is an object, not a JSON array of objects (one per row)"
    ]


@pytest.mark.django_db
def test_an_upload_over_the_file_limit_is_413_before_it_is_read(
    site: dict[str, Any], api: Any, browser: Any, settings: Any
) -> None:
    settings.ASSETGRAPH_IMPORT_MAX_FILE_SIZE = 100 * 1024
    upload = SimpleUploadedFile("people.csv", b"employee_number\n" + b"E1\n" * 100_000)
    response = api("Admin").post("/api/org/import/people", {"file": upload})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert "ASSETGRAPH_IMPORT_MAX_FILE_SIZE" in response.json()["error"]["message"]
    upload.seek(0)
    page = browser("Admin").post("/org/import/people/", {"file": upload})
    assert page.status_code == 413


@pytest.mark.django_db
def test_the_ui_and_cli_refuse_bombs_with_the_message(
    site: dict[str, Any], browser: Any, tmp_path: Path
) -> None:
    upload = SimpleUploadedFile("people.xlsx", bombs.explicit_empty_rows_bomb(1_100_000))
    client = browser("Admin")
    page = finish_page(client, client.post("/org/import/people/", {"file": upload}))
    assert b"more than 1,000,000 data rows" in page.content
    bomb = tmp_path / "people.xlsx"
    bomb.write_bytes(bombs.sparse_rows_bomb(150_000_000))
    with pytest.raises(CommandError) as failure:
        call_command("import_data", "people", str(bomb))
    assert failure.value.returncode == 1


@hypothesis_settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    content=st.one_of(
        st.binary(max_size=300),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
            lambda children: (
                st.lists(children, max_size=4)
                | st.dictionaries(st.text(max_size=8), children, max_size=4)
            ),
            max_leaves=20,
        ).map(lambda v: json.dumps(v).encode()),
        st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
    ),
    suffix=st.sampled_from([".csv", ".json", ".xlsx", ".txt"]),
)
def test_any_file_reads_as_rows_or_a_table_error(content: bytes, suffix: str) -> None:
    """Property: whatever the bytes, reading gives rows or a TableError, nothing else."""
    try:
        _header, rows = read_table(io.BytesIO(content), f"f{suffix}")
        for row in rows:
            assert all(isinstance(v, str) for v in row.values.values())
    except TableError:
        pass
