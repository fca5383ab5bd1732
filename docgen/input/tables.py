"""Patient lists as spreadsheets write them: CSV (Excel's dialect) and .xlsx, row by row.

Rows are read lazily, so a list of any length costs the same memory. Row numbers
are the ones a person sees in the spreadsheet: the header is row 1.
"""

from __future__ import annotations

import codecs
import csv
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..errors import InputFileError
from .limits import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_LIST_BYTES,
    MAX_ROWS,
    MAX_SHARED_STRINGS,
    MAX_SHARED_STRINGS_BYTES,
    MAX_XLSX_RATIO,
    MAX_XLSX_UNPACKED,
    check_regular,
)

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0"  # the old binary .xls format
_UTF16 = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_CHUNK = 1 << 16
_SAVE_AS = "save it from Excel as 'CSV UTF-8 (Comma delimited)' or as .xlsx"


@dataclass(frozen=True)
class Table:
    """An input list: its header cells, how many rows follow it, and a way to read them."""

    path: Path
    kind: str  # "csv" or "xlsx"
    header: tuple[str, ...]
    total: int | None  # rows below the header, when known in advance

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """Yield (spreadsheet row number, cells as text) for every row below the header."""
        reader = _csv_rows if self.kind == "csv" else _xlsx_rows
        for number, cells in reader(self.path):
            if number > 1:
                yield number, cells


def open_table(path: Path) -> Table:
    """Check that path is a readable list with a header and at least one row below it."""
    check_regular(path, MAX_LIST_BYTES, "CSV or .xlsx file")
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        raise InputFileError(f"{path}: cannot be read: {exc.strerror}") from None
    suffix = path.suffix.lower()
    if suffix == ".xls" or head.startswith(_OLE):
        raise InputFileError(f"{path}: old Excel .xls format is not read; save it as .xlsx or CSV")
    if suffix in (".xlsx", ".xlsm") or head.startswith(_ZIP):
        kind, total = "xlsx", _xlsx_check(path)
    else:
        kind, total = "csv", _csv_check(path, head)
    rows = _csv_rows(path) if kind == "csv" else _xlsx_rows(path)
    header: tuple[str, ...] = ()
    for _number, cells in rows:
        header = tuple(cells)
        break
    if not any(cell.strip() for cell in header):
        if not total:
            raise InputFileError(f"{path}: is empty (no header, no rows)")
        raise InputFileError(f"{path}: row 1 is blank; the first row must name the columns")
    if total == 0:
        raise InputFileError(f"{path}: has a header but no patient rows below it")
    if len(header) == 1:
        for sep, name in ((";", "semicolons"), ("\t", "tabs")):
            if sep in header[0]:
                raise InputFileError(
                    f"{path}: columns are separated by {name}, not commas; {_SAVE_AS}"
                )
    return Table(path, kind, header, total)


def _csv_check(path: Path, head: bytes) -> int:
    """Read the whole file once (in constant memory) so bad bytes stop the run before it starts.

    Returns the number of rows below the header.
    """
    if head.startswith(_UTF16):
        raise InputFileError(f"{path}: is UTF-16 text (Excel 'Unicode Text'); {_SAVE_AS}")
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            if b"\x00" in chunk:
                raise InputFileError(f"{path}: contains binary data, not CSV text; {_SAVE_AS}")
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                raise InputFileError(
                    f"{path}: byte {offset + exc.start + 1} is not UTF-8 text; {_SAVE_AS}"
                ) from None
            offset += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise InputFileError(f"{path}: ends in the middle of a character; {_SAVE_AS}") from None
    count = 0
    for count, _cells in _csv_rows(path):  # noqa: B007 - the last number is the count
        pass
    return max(count - 1, 0)


def _csv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    # utf-8-sig drops the byte-order mark Excel writes; newline="" lets the csv
    # module keep CRLF and line breaks inside quoted cells as Excel meant them.
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, dialect="excel")
        number = 0
        try:
            for number, cells in enumerate(reader, start=1):  # noqa: B007
                _check_row(path, number, cells)
                yield number, cells
        except csv.Error as exc:
            raise InputFileError(f"{path}: row {number + 1}: not valid CSV: {exc}") from None


def _check_row(path: Path, number: int, cells: list[str]) -> None:
    """Bound a row's work; the error names the row and limit, never a cell's text."""
    if number > MAX_ROWS + 1:
        raise InputFileError(f"{path}: has more than {MAX_ROWS:,} rows; split the list")
    if len(cells) > MAX_COLUMNS:
        raise InputFileError(f"{path}: row {number}: has more than {MAX_COLUMNS:,} cells")
    for i, cell in enumerate(cells):
        if len(cell) > MAX_CELL_CHARS:
            raise InputFileError(f"{path}: row {number}: cell {i + 1} is longer than "
                                 f"{MAX_CELL_CHARS:,} characters")


_UNIQUE_COUNT = re.compile(rb"""uniqueCount\s*=\s*["'](\d+)["']""")


def _xlsx_check(path: Path) -> int | None:
    _check_zip(path)
    book = _open_book(path)
    try:
        sheet = book.worksheets[0]
        if sheet.max_column is not None and sheet.max_column > MAX_COLUMNS:
            raise InputFileError(f"{path}: the first sheet is wider than {MAX_COLUMNS:,} columns")
        if sheet.max_row is not None and sheet.max_row > MAX_ROWS + 1:
            raise InputFileError(f"{path}: has more than {MAX_ROWS:,} rows; split the list")
        return None if sheet.max_row is None else max(sheet.max_row - 1, 0)
    finally:
        book.close()


def _check_zip(path: Path) -> None:
    """Refuse a zip bomb from its directory, before openpyxl unpacks anything.

    openpyxl loads the whole shared strings table into memory on opening, so its unpacked size
    and entry count are bounded here. A part can never unpack to more than its declared size:
    zipfile stops there, so the declared sizes are safe to trust.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
            total = sum(part.file_size for part in parts)
            if total > MAX_XLSX_UNPACKED:
                raise InputFileError(f"{path}: unpacks to more than {MAX_XLSX_UNPACKED >> 20:,} MB; "
                                     "not a patient list docgen will open")
            for part in parts:
                ratio = part.file_size / max(part.compress_size, 1)
                if part.file_size > (1 << 20) and ratio > MAX_XLSX_RATIO:
                    raise InputFileError(f"{path}: a part of the workbook unpacks {ratio:,.0f} times its "
                                         "size (a zip bomb?); not opened")
            strings = next((p for p in parts if p.filename.lower() == "xl/sharedstrings.xml"), None)
            if strings is not None:
                if strings.file_size > MAX_SHARED_STRINGS_BYTES:
                    raise InputFileError(f"{path}: its shared strings unpack to more than "
                                         f"{MAX_SHARED_STRINGS_BYTES >> 20} MB; not opened")
                with archive.open(strings) as handle:
                    head = handle.read(1024)
                if (found := _UNIQUE_COUNT.search(head)) and int(found[1]) > MAX_SHARED_STRINGS:
                    raise InputFileError(f"{path}: has more than {MAX_SHARED_STRINGS:,} different texts; "
                                         "not opened")
    except InputFileError:
        raise
    except Exception as exc:  # zipfile raises BadZipFile, OSError, NotImplementedError, ...
        raise _unreadable(path, exc) from None


def _open_book(path: Path):
    import openpyxl  # imported here: CSV users never pay for it

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zip, XML and key errors for a bad file
        raise _unreadable(path, exc) from None
    if not book.worksheets:
        book.close()
        raise InputFileError(f"{path}: the workbook has no worksheet")
    return book


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    book = _open_book(path)
    try:
        sheet = book.worksheets[0]  # the first sheet, as the issue asks: never guess by name
        for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
            if len(values) > MAX_COLUMNS:
                raise InputFileError(f"{path}: row {number}: has more than {MAX_COLUMNS:,} cells")
            cells = _trim([_cell_text(v) for v in values])
            _check_row(path, number, cells)
            yield number, cells
    except InputFileError:
        raise
    except Exception as exc:
        raise _unreadable(path, exc) from None
    finally:
        book.close()


def _unreadable(path: Path, exc: Exception) -> InputFileError:
    return InputFileError(f"{path}: not a readable .xlsx workbook ({type(exc).__name__})")


def _trim(cells: list[str]) -> list[str]:
    """Drop empty cells at the right: a worksheet pads every row to its widest one."""
    while cells and not cells[-1]:
        cells.pop()
    return cells


def _cell_text(value: Any) -> str:
    """A cell's value as the text a person sees; dates as YYYY-MM-DD, whole numbers without .0."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        midnight = value.time() == datetime.min.time()
        return value.date().isoformat() if midnight else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
