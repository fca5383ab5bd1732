"""Output files: safe names from record fields, atomic owner-only writes, no silent overwrite."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import unicodedata
from pathlib import Path

from .errors import InputFileError, OutputConflict

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
MAX_STEM = 40


def safe_part(value: str) -> str:
    """A file-name part made only of ASCII letters, digits, - and _.

    When anything had to change, a short hash of the original is added, so two
    different MRNs (``12/34`` and ``12-34``) can never share a file.
    """
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    cleaned = _UNSAFE.sub("-", ascii_text).strip("-_")[:MAX_STEM]
    if cleaned == value:
        return cleaned
    digest = hashlib.sha256(value.encode("utf-8")).hexdigest()[:8]
    return f"{cleaned}-{digest}" if cleaned else digest


def file_name(mrn: str, document: str, procedure: str) -> str:
    return f"{safe_part(mrn)}_{document}_{procedure}.pdf"


def prepare_folder(folder: Path) -> Path:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputFileError(f"{folder}: cannot create the output folder: {exc.strerror}") from None
    if not os.access(folder, os.W_OK):
        raise InputFileError(f"{folder}: output folder is not writable")
    return folder


def write_atomic(path: Path, data: bytes, *, force: bool = False) -> None:
    """Write data to path all at once, readable by its owner only.

    A reader (or a re-run after a crash) sees either no file or the whole file.
    Without force an existing file is left untouched and OutputConflict raised.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:  # mkstemp creates the file 0600
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if force:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)  # fails if path exists: no check-then-write race
            except FileExistsError:
                raise OutputConflict(f"{path}: already exists (use --force to replace it)") from None
            except OSError:  # a filesystem without hard links
                if path.exists():
                    raise OutputConflict(f"{path}: already exists (use --force to replace it)") from None
                os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
