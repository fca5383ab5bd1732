"""Hostile or unlucky input files: each is refused with one line, within seconds (issue 10.2).

Every test has a timeout (pytest-timeout): bounded work is the promise, not speed.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest

from docgen.errors import ColumnError, InputFileError
from docgen.input import limits
from docgen.input.columns import load_column_map
from docgen.input.records import read_record_file
from docgen.input.tables import open_table

pytestmark = pytest.mark.timeout(5)

HEADER = "mrn,given_name,family_name,date_of_birth,procedure,levels,procedure_date\n"
ROW = "A1,Ada,Example,1941-03-02,kyphoplasty,L1,2026-11-20\n"


def one_line(exc: pytest.ExceptionInfo, path: Path) -> str:
    message = exc.value.message
    assert "\n" not in message and message.startswith(str(path)), message
    return message


@pytest.mark.parametrize("read", [read_record_file, open_table, load_column_map])
def test_a_fifo_is_refused_without_blocking(tmp_path, read):
    path = tmp_path / "patient.yaml"
    os.mkfifo(path)  # nobody writes: opening it for reading would block forever
    with pytest.raises((InputFileError, ColumnError)) as caught:
        read(path)
    assert "not a regular file" in one_line(caught, path)


@pytest.mark.parametrize("read", [read_record_file, open_table, load_column_map])
def test_dev_zero_is_refused_without_reading(read):
    path = Path("/dev/zero")
    with pytest.raises((InputFileError, ColumnError)) as caught:
        read(path)
    assert "not a regular file" in one_line(caught, path)


@pytest.mark.parametrize("read", [read_record_file, open_table, load_column_map])
def test_a_folder_is_refused(tmp_path, read):
    with pytest.raises((InputFileError, ColumnError)) as caught:
        read(tmp_path)
    assert "is a folder" in one_line(caught, tmp_path)


def test_a_huge_record_file_is_refused_before_reading(tmp_path):
    path = tmp_path / "patient.yaml"
    with path.open("wb") as handle:
        handle.truncate(10 * limits.MAX_RECORD_BYTES)  # sparse: large, costs no disk
    with pytest.raises(InputFileError) as caught:
        read_record_file(path)
    assert "is larger than 64 KB" in one_line(caught, path)


@pytest.mark.parametrize("text", [
    "a: " + "[" * 100_000,
    "a: " + "[" * 25 + "]" * 25,
    "a: " + "{b: " * 30 + "}" * 30,
])
def test_deep_yaml_nesting_is_refused(tmp_path, text):
    path = tmp_path / "patient.yaml"
    path.write_text(text[: limits.MAX_RECORD_BYTES])
    with pytest.raises(InputFileError) as caught:
        read_record_file(path)
    assert "nested deeper than 20 levels" in one_line(caught, path) or "not valid YAML" in caught.value.message


@pytest.mark.parametrize("text", ['{"a": ' + "[" * 60_000, '{"a": ' + "[" * 21 + "]" * 21 + "}"])
def test_deep_json_nesting_is_refused(tmp_path, text):
    path = tmp_path / "patient.json"
    path.write_text(text)
    with pytest.raises(InputFileError) as caught:
        read_record_file(path)
    assert "nested deeper than 20 levels" in one_line(caught, path)


def test_a_yaml_alias_bomb_is_refused(tmp_path):
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]" for i in range(9)]
    path = tmp_path / "patient.yaml"
    path.write_text("\n".join(lines))
    with pytest.raises(InputFileError) as caught:
        read_record_file(path)
    assert "anchor or alias" in one_line(caught, path)


def test_a_column_map_alias_or_deep_nesting_is_refused(tmp_path):
    path = tmp_path / "map.yaml"
    path.write_text("mrn: &a Id\ngiven_name: *a\n")
    with pytest.raises(ColumnError) as caught:
        load_column_map(path)
    assert "anchor or alias" in one_line(caught, path)
    path.write_text("mrn: " + "[" * 50 + "]" * 50)
    with pytest.raises(ColumnError) as caught:
        load_column_map(path)
    assert "nested deeper" in one_line(caught, path)


@pytest.mark.parametrize("suffix", ["yaml", "json"])
def test_a_5000_digit_number_keeps_its_text_at_once(tmp_path, suffix):
    digits = "9" * 5000
    path = tmp_path / f"patient.{suffix}"
    path.write_text(f"mrn: {digits}\n" if suffix == "yaml" else f'{{"mrn": {digits}}}')
    assert read_record_file(path) == {"mrn": digits}


def test_csv_cell_row_and_width_limits(tmp_path, monkeypatch):
    path = tmp_path / "list.csv"
    path.write_text(HEADER + ROW.replace("Ada", "A" * (limits.MAX_CELL_CHARS + 1)))
    with pytest.raises(InputFileError) as caught:
        open_table(path)
    assert one_line(caught, path).endswith("row 2: cell 2 is longer than 10,000 characters")
    assert "AAAA" not in caught.value.message
    path.write_text(HEADER + ",".join(["x"] * (limits.MAX_COLUMNS + 1)) + "\n")
    with pytest.raises(InputFileError) as caught:
        open_table(path)
    assert one_line(caught, path).endswith("row 2: has more than 1,000 cells")
    monkeypatch.setattr("docgen.input.tables.MAX_ROWS", 3)
    path.write_text(HEADER + ROW * 4)
    with pytest.raises(InputFileError) as caught:
        open_table(path)
    assert one_line(caught, path).endswith("has more than 3 rows; split the list")


def test_a_huge_list_file_is_refused_before_reading(tmp_path):
    path = tmp_path / "list.csv"
    with path.open("wb") as handle:
        handle.truncate(limits.MAX_LIST_BYTES + 1)
    with pytest.raises(InputFileError) as caught:
        open_table(path)
    assert "is larger than 200 MB" in one_line(caught, path)


# --- .xlsx zip bombs -----------------------------------------------------------------------------

def workbook(parts: dict[str, bytes]) -> bytes:
    """A minimal .xlsx: content types, workbook, one sheet, plus the given parts."""
    base = {
        "[Content_Types].xml": (
            b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            b'<Default Extension="xml" ContentType="application/xml"/>'
            b'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument'
            b'.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType='
            b'"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'),
        "_rels/.rels": (
            b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            b'relationships"><Relationship Id="r1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            b'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            b'<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
            b'<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            b'2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'),
        "xl/worksheets/sheet1.xml": (
            b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>mrn</t></is></c></row></sheetData></worksheet>'),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in {**base, **parts}.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def bomb(megabytes: int) -> bytes:
    """Shared strings of one repeated text: deflate packs them about a thousand times smaller."""
    chunk = b"<si><t>" + b"x" * 1000 + b"</t></si>"
    strings = (b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
               + chunk * (megabytes * 1000) + b"</sst>")
    return workbook({"xl/sharedStrings.xml": strings})


def test_a_part_that_unpacks_far_beyond_its_size_is_refused_before_openpyxl(tmp_path):
    path = tmp_path / "list.xlsx"
    path.write_bytes(bomb(20))
    assert path.stat().st_size < 100_000  # 20 MB of shared strings in a tiny file
    with pytest.raises(InputFileError) as caught:
        open_table(path)
    assert "times its size (a zip bomb?); not opened" in one_line(caught, path)


def test_shared_strings_past_their_unpacked_cap_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr("docgen.input.tables.MAX_XLSX_RATIO", 10**6)  # only the size cap applies
    monkeypatch.setattr("docgen.input.tables.MAX_SHARED_STRINGS_BYTES", 5 << 20)
    path = tmp_path / "list.xlsx"
    path.write_bytes(bomb(6))
    with pytest.raises(InputFileError) as caught:
        open_table(path)
    assert "its shared strings unpack to more than 5 MB" in one_line(caught, path)


def test_a_workbook_that_unpacks_past_the_total_cap_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr("docgen.input.tables.MAX_XLSX_UNPACKED", 5 << 20)
    path = tmp_path / "list.xlsx"
    path.write_bytes(bomb(6))
    with pytest.raises(InputFileError) as caught:
        open_table(path)
    assert "unpacks to more than 5 MB" in one_line(caught, path)


def test_millions_of_shared_strings_are_refused(tmp_path):
    strings = (b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
               b'count="9000000" uniqueCount="9000000"><si><t>a</t></si></sst>')
    path = tmp_path / "list.xlsx"
    path.write_bytes(workbook({"xl/sharedStrings.xml": strings}))
    with pytest.raises(InputFileError) as caught:
        open_table(path)
    assert "has more than 5,000,000 different texts" in one_line(caught, path)


def test_a_sheet_declared_wider_than_the_limit_is_refused(tmp_path):
    sheet = (b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             b'<dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>mrn</t>'
             b'</is></c></row></sheetData></worksheet>')
    path = tmp_path / "list.xlsx"
    path.write_bytes(workbook({"xl/worksheets/sheet1.xml": sheet}))
    with pytest.raises(InputFileError) as caught:
        open_table(path)
    assert "wider than 1,000 columns" in one_line(caught, path)


def test_a_row_with_a_far_cell_is_refused_while_streaming(tmp_path):
    sheet = (b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>mrn</t></is></c></row>'
             b'<row r="2"><c r="XFD2" t="inlineStr"><is><t>x</t></is></c></row></sheetData></worksheet>')
    path = tmp_path / "list.xlsx"
    path.write_bytes(workbook({"xl/worksheets/sheet1.xml": sheet}))
    with pytest.raises(InputFileError) as caught:
        list(open_table(path).rows())
    assert "has more than 1,000 cells" in one_line(caught, path)
