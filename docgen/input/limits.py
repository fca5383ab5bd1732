"""Bounds on the work any one input may cost, and reading a file only within them.

Every limit is far above what a real patient record, column map or list needs, and far
below what would make docgen hang or fill memory. The README's "Limits" table lists them.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..errors import DocgenError, InputFileError

MAX_RECORD_BYTES = 64 * 1024  # one patient's YAML/JSON record
MAX_MAP_BYTES = 64 * 1024  # a --columns map
MAX_DEPTH = 20  # nesting of mappings and lists in a record or map (a record needs 2)
MAX_LIST_BYTES = 200 * 1024 * 1024  # a CSV or .xlsx patient list, as stored on disk
MAX_ROWS = 1_000_000  # rows of a patient list
MAX_COLUMNS = 1_000  # cells in one row
MAX_CELL_CHARS = 10_000  # characters in one cell
MAX_XLSX_UNPACKED = 1024 * 1024 * 1024  # all parts of a workbook, as unpacked
MAX_XLSX_RATIO = 200  # unpacked size / packed size of one part (a zip bomb is far above)
MAX_SHARED_STRINGS_BYTES = 100 * 1024 * 1024  # xl/sharedStrings.xml unpacked
MAX_SHARED_STRINGS = 5_000_000  # entries in the shared strings table


def read_capped(path: Path, cap: int, what: str, *, name: str | None = None) -> bytes:
    """A regular file's bytes, refused when it is not a regular file or is larger than cap.

    The type is checked before opening, so a FIFO never blocks and /dev/zero is never read;
    at most cap + 1 bytes are read, so a file that grows while being read is still refused.
    Errors name the file as `name` when given (an upload's own name, not the server's copy).
    """
    shown = name or path
    check_regular(path, cap, what, name=name)
    try:
        # O_NONBLOCK: if the name was swapped for a FIFO since stat(), open() still returns.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise InputFileError(f"{shown}: is not a regular file, not a {what}")
            data = handle.read(cap + 1)
    except OSError as exc:
        raise InputFileError(f"{shown}: cannot be read: {exc.strerror}") from None
    if len(data) > cap:
        raise InputFileError(f"{shown}: is larger than {_size(cap)}; too large for a {what}")
    return data


def check_regular(path: Path, cap: int, what: str, error: type[DocgenError] = InputFileError, *,
                  name: str | None = None) -> None:
    """Refuse a missing, non-regular or oversized file before a reader streams through it.

    `error` is the kind of failure the caller reports (a template is a TemplateError);
    errors name the file as `name` when given."""
    shown = name or path
    try:
        info = path.stat()
    except FileNotFoundError:
        raise error(f"{shown}: no such file") from None
    except OSError as exc:
        raise error(f"{shown}: cannot be read: {exc.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise error(f"{shown}: is a folder, not a {what}")
    if not stat.S_ISREG(info.st_mode):
        raise error(f"{shown}: is not a regular file (a pipe or device?), not a {what}")
    if info.st_size > cap:
        raise error(f"{shown}: is larger than {_size(cap)}; too large for a {what}")


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MB" if n >= 1024 * 1024 else f"{n // 1024} KB"
