"""Output files: safe names from record fields, atomic owner-only writes, no silent overwrite.

Folders docgen creates are 0700 and files 0600, whatever the umask: they hold
patient data. Anything but a regular file where an output goes (a folder, FIFO,
device), and any failure to write (a full disk above all), is one line naming
the path, and never leaves a half-written file behind.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import stat
import tempfile
import unicodedata
from pathlib import Path

from .errors import OutputConflict, OutputError

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


def reason(exc: OSError) -> str:
    """Why an output could not be written, in words: a full disk must be recognisable."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full (no space left on the device)"
    return exc.strerror or type(exc).__name__


def prepare_folder(folder: Path) -> Path:
    """The output folder, made private (0700) where docgen creates it, checked writable."""
    missing = []
    part = folder
    while not os.path.lexists(part) and part != part.parent:
        missing.append(part)
        part = part.parent
    try:
        for made in reversed(missing):
            os.mkdir(made, 0o700)
            os.chmod(made, 0o700)  # the umask may have taken the owner's bits too
    except OSError as exc:
        raise OutputError(f"{folder}: cannot create the output folder: {reason(exc)}") from None
    if not folder.is_dir():
        raise OutputError(f"{folder}: is not a folder; give another output folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{folder}: output folder is not writable")
    return folder


def _kind(mode: int) -> str | None:
    """What is at a path where a file should go, when it is not a regular file."""
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return None


def check_target(path: Path) -> bool:
    """Whether a regular file is at path (False: nothing there); anything else is an OutputError.

    Called before work starts, so that a folder or FIFO at manifest.csv or at an output
    name stops the run at once rather than after the documents were made.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return os.path.lexists(path)  # a dangling link is "something there"
    except OSError as exc:
        raise OutputError(f"{path}: cannot be checked: {reason(exc)}") from None
    kind = _kind(info.st_mode)
    if kind:
        raise OutputError(f"{path}: is {kind}, not a file; remove it or choose another name")
    return True


def claim(path: Path, *, force: bool) -> None:
    """Refuse a path that cannot take the file: not a regular file, or one there without force."""
    if check_target(path) and not force:
        raise OutputConflict(f"{path}: already exists (use --force to replace it)")


def write_atomic(path: Path, data: bytes, *, force: bool = False) -> None:
    """Write data to path all at once, readable by its owner only.

    A reader (or a re-run after a crash) sees either no file or the whole file.
    Without force an existing file is left untouched and OutputConflict raised.
    """
    claim(path, force=force)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=PART)
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
            except OSError as exc:
                if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES):
                    raise
                # a filesystem without hard links
                if os.path.lexists(path):
                    raise OutputConflict(f"{path}: already exists (use --force to replace it)") from None
                os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(f"{path}: cannot be written: {reason(exc)}") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)


PART = ".part"


def remove_leftovers(folder: Path) -> int:
    """Remove the hidden .part files an interrupted run left in folder; return how many.

    Only docgen's own (hidden, ending .part, regular files): the caller holds the
    folder's lock, so no other docgen is writing them.
    """
    removed = 0
    for entry in os.scandir(folder):
        if entry.name.startswith(".") and entry.name.endswith(PART) and entry.is_file(follow_symlinks=False):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)
                removed += 1
    return removed
