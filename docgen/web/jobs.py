"""The office's batch jobs: check an upload, run docgen's batch in its own process, keep files briefly.

A job runs as `python -m docgen.web.jobs JOB_ID FOLDER` so a long list never holds a
web worker, and reports its progress to the register's database, where any worker
can read it. Its folder holds the uploaded list only until the run ends, and the
results until they are downloaded or the retention time passes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from datetime import timedelta
from pathlib import Path

import yaml

from ..batch import ERRORS, MANIFEST, REFUSED, WRITTEN, Batch, RowResult
from ..errors import DocgenError, one_line
from ..generate import Options
from ..input.tables import open_table
from ..register import Register, as_utc, issued_from_row

LIST_SUFFIXES = (".csv", ".xlsx")
BUNDLE_SUFFIX = ".json"  # a FHIR R4 Bundle: run as `docgen batch BUNDLE.json`, no columns to match
# A clerk's job names the web page's way to override a safety rule for one of the Bundle's patients.
BUNDLE_OVERRIDE = ("on the one-patient page: upload the Bundle again, give {patient} as the patient "
                   "and a reason in the override field")
MERGED = "print.pdf"
ZIPPED = "documents.zip"
DOWNLOADS = (MERGED, ZIPPED, MANIFEST, ERRORS)


class UploadError(DocgenError):
    """An uploaded list cannot be used: the message is for the page."""


def list_path(folder: Path, suffix: str) -> Path:
    return folder / f"list{suffix}"


def check_upload(path: Path, shown_as: str, *, max_rows: int) -> tuple[tuple[str, ...], int | None]:
    """The list's header and row count, or UploadError naming the file as the clerk knows it.

    docgen's own list reader refuses what the command line refuses (wrong format, zip bombs,
    oversized cells); the web page adds its own, smaller row limit.
    """
    if path.suffix == BUNDLE_SUFFIX:
        return (), _patients_in_bundle(path, shown_as, max_rows)
    try:
        table = open_table(path)
        total = table.total
        if total is None:  # an .xlsx without its dimensions: count (the reader has bounded it)
            total = sum(1 for _ in table.rows())
    except DocgenError as exc:
        raise UploadError(exc.message.replace(str(path), shown_as)) from None
    except Exception as exc:  # a parser's own error on a broken file: a message, never a 500
        raise UploadError(f"{shown_as}: cannot be read as a CSV or .xlsx list ({type(exc).__name__})") from None
    if total > max_rows:
        raise UploadError(f"{shown_as}: has {total} rows; the limit is {max_rows} rows per list. "
                          "Split it into smaller lists.")
    return table.header, total


def _patients_in_bundle(path: Path, shown_as: str, max_rows: int) -> int:
    """How many Patients a Bundle holds; the Bundle read as the batch will read it."""
    from ..fhir.bundle import load_bundle

    try:
        total = sum(1 for _ in load_bundle(path, source=shown_as).of_kind("Patient"))
    except DocgenError as exc:
        raise UploadError(exc.message) from None
    if total == 0:
        raise UploadError(f"{shown_as}: the Bundle holds no Patient")
    if total > max_rows:
        raise UploadError(f"{shown_as}: holds {total} patients; the limit is {max_rows} per upload. "
                          "Split it into smaller Bundles.")
    return total


def write_column_map(folder: Path, mapping: dict[str, str]) -> Path:
    path = folder / "columns.yaml"
    path.write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")
    return path


# --- starting a job (in a web worker) ----------------------------------------------------

def start(job_id: str, folder: Path, database_url: str) -> None:
    """Run the job in a new process; a thread of this worker waits for it so it leaves no zombie."""
    env = {**os.environ, "DOCGEN_DATABASE_URL": database_url}
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module, no shell
        [sys.executable, "-m", "docgen.web.jobs", job_id, str(folder)], env=env,
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True)
    threading.Thread(target=process.wait, daemon=True).start()


def sweep(book: Register, root: Path, retention: timedelta) -> None:
    """Delete the files of jobs older than the retention time (results not downloaded included)."""
    cutoff = book.clock() - retention
    for job in list(book.jobs_before(cutoff)):
        working = job.status in ("queued", "running")
        if working and as_utc(job.updated_at) > cutoff:
            continue  # still working: retention counts from its last sign of life
        shutil.rmtree(root / job.id, ignore_errors=True)
        if working:  # its process died (server restarted, out of memory): say so, not "finished"
            book.update_job(job.id, status="failed", files={},
                            message="the job stopped without finishing; upload the list again")
        else:
            book.update_job(job.id, status="expired" if job.status != "failed" else "failed",
                            files={name: False for name in job.file_map()})


# --- running a job (in its own process) ---------------------------------------------------

def run(book: Register, job_id: str, folder: Path) -> None:
    job = book.job(job_id)
    if job is None:
        return
    chosen = job.setting()
    source = list_path(folder, chosen["suffix"])
    shown_as = job.list_name
    documents = folder / "documents"
    book.update_job(job_id, status="running")
    try:
        options = Options(large_print=chosen.get("large_print", False), **_content(chosen))
        column_map = None if source.suffix == BUNDLE_SUFFIX else folder / "columns.yaml"
        batch = Batch.open(source, job.document, documents, options, column_map=column_map,
                           settings=[f"{k}={v}" for k, v in chosen.get("set", {}).items()],
                           merge=folder / MERGED, duplex=chosen.get("duplex", False),
                           jobs=chosen.get("processes", 1), bundle_override=BUNDLE_OVERRIDE)
        book.update_job(job_id, total=batch.total)
        progress = _Progress(book, job_id, job.user, documents)
        summary = batch.run(progress.add)
        progress.flush()
        _package(folder, documents, progress.files)
        files = {name: (folder / name).exists() for name in DOWNLOADS}
        book.update_job(job_id, status="done", files=files, message=str(summary))
    except DocgenError as exc:
        book.update_job(job_id, status="failed", message=exc.message.replace(str(source), shown_as))
    except Exception as exc:  # a defect: the job says so; the type only, never a cell's content
        book.update_job(job_id, status="failed",
                        message=f"the job could not be finished ({type(exc).__name__}); please report this")
    finally:
        source.unlink(missing_ok=True)  # the list itself is patient data: gone once read
        shutil.rmtree(documents, ignore_errors=True)


def _content(chosen: dict) -> dict:
    return {k: Path(v) for k, v in chosen.get("content", {}).items()}


def _package(folder: Path, documents: Path, files: list[Path]) -> None:
    """The zip of the documents, and the reports beside it; the loose PDFs are then removed."""
    if files:
        with zipfile.ZipFile(folder / ZIPPED, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in files:
                archive.write(path, arcname=path.name)
    for name in (MANIFEST, ERRORS):
        if (documents / name).exists():
            os.replace(documents / name, folder / name)


class _Progress:
    """Rows as they settle: counts to the database every half second, each document into the register."""

    def __init__(self, book: Register, job_id: str, user: str, folder: Path):
        self.book, self.job_id, self.user = book, job_id, user
        self.done = self.written = self.refused = 0
        self.refusals: list[dict] = []
        self.files: list[Path] = []  # the documents made, in list order
        self.last = 0.0
        self.folder = folder

    def add(self, result: RowResult) -> None:
        self.done += 1
        if result.status == WRITTEN:
            self.written += 1
            self.files.append(self.folder / result.file)
            self.book.record(issued_from_row(result), user=self.user, origin="job", job_id=self.job_id)
        elif result.status == REFUSED:
            self.refused += 1
            self.refusals += [{"row": result.row, "mrn": result.mrn, "field": p.field, "reason": p.reason}
                              for p in result.problems]
        if time.monotonic() - self.last > 0.5:
            self.flush()

    def flush(self) -> None:
        self.last = time.monotonic()
        self.book.update_job(self.job_id, done=self.done, written=self.written, refused=self.refused,
                             refusals=self.refusals)


def main(argv: list[str]) -> int:
    job_id, folder = argv
    try:
        book = Register()
    except DocgenError as exc:
        print(f"docgen job {job_id}: {one_line(exc)}", file=sys.stderr)
        return 2
    run(book, job_id, Path(folder))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
