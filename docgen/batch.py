"""Batch: a whole patient list in, every good row printed, every bad row reported, nothing lost.

Rows are validated in this process (cheap, and needed to spot two rows that would
make the same file) and built in worker processes (the costly part), with a
bounded number in flight so memory stays flat however long the list is.
Results are taken back in input order, so the manifest, the error report and
the merged print file follow the spreadsheet.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import csv
import dataclasses
import hashlib
import io
import multiprocessing
import os
import signal
import tempfile
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from . import output
from .errors import (
    EXIT_OK,
    EXIT_REFUSED,
    ColumnError,
    DocgenError,
    InputFileError,
    Interrupted,
    Problem,
    RecordError,
    SafetyRefusal,
)
from .generate import Generator, Options
from .input.columns import Columns, load_column_map, parse_settings, resolve_columns
from .input.records import Case
from .input.tables import Table, open_table

MANIFEST = "manifest.csv"
ERRORS = "errors.csv"
MANIFEST_COLUMNS = ("row", "mrn", "document", "document_id", "file", "pages", "sha256", "template_version",
                    "catalogue_version", "status", "reason")
ERROR_COLUMNS = ("row", "mrn", "field", "reason")
WRITTEN, SKIPPED, REFUSED = "written", "skipped-existing", "refused"
# Cells a spreadsheet would run as a formula when the report is opened in it.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class RowResult:
    """What became of one row: one line of the manifest, and the problems behind a refusal."""

    row: int
    mrn: str
    document: str
    status: str
    document_id: str = ""  # as in the footer and the scan code on every page
    file: str = ""
    pages: int | None = None
    sha256: str = ""
    template_version: str = ""
    catalogue_version: str = ""
    reason: str = ""
    problems: tuple[Problem, ...] = ()

    def manifest_line(self) -> list[str]:
        return [str(self.row), self.mrn, self.document, self.document_id, self.file,
                "" if self.pages is None else str(self.pages), self.sha256,
                self.template_version, self.catalogue_version, self.status, self.reason]


@dataclass
class Summary:
    written: int = 0
    skipped: int = 0
    refused: int = 0
    manifest: Path | None = None
    merged: Path | None = None

    @property
    def exit_code(self) -> int:
        return EXIT_REFUSED if self.refused else EXIT_OK

    def __str__(self) -> str:
        return (f"{self.written} written, {self.skipped} skipped (already there), "
                f"{self.refused} refused")


class Batch:
    """One batch run, checked and ready: open() fails before any work if it cannot run."""

    def __init__(self, table: Table, columns: Columns, generator: Generator, out_dir: Path,
                 merge: Path | None, duplex: bool, jobs: int):
        self.table = table
        self.columns = columns
        self.generator = generator
        self.document = generator.document
        # Workers judge dates on the day the batch started, even if it runs past midnight.
        self.options = dataclasses.replace(generator.options, today=generator.today)
        self.out_dir = out_dir
        self.merge = merge
        self.duplex = duplex
        self.jobs = jobs

    @classmethod
    def open(cls, input_path: Path, document: str, out_dir: Path, options: Options, *,
             column_map: Path | None = None, settings: Iterable[str] = (),
             merge: Path | None = None, duplex: bool = False, jobs: int | None = None) -> Batch:
        if duplex and merge is None:
            raise ColumnError("--duplex pads documents in the merged print file: give --merge FILE")
        mapping = load_column_map(column_map)
        values = parse_settings(settings)
        table = open_table(input_path)
        columns = resolve_columns(table, document, mapping, values)
        generator = Generator(document, options)  # a broken catalogue stops here, not per row
        folder = output.prepare_folder(out_dir)
        if merge is not None:
            if merge.resolve() == input_path.resolve():
                raise InputFileError(f"{merge}: is the input list; give another --merge file")
            if merge.exists() and not options.force:
                raise InputFileError(f"{merge}: already exists (use --force to replace it)")
            output.prepare_folder(merge.parent)
        return cls(table, columns, generator, folder, merge, duplex,
                   max(1, jobs or os.cpu_count() or 1))

    @property
    def total(self) -> int | None:
        return self.table.total

    def run(self, on_result: Callable[[RowResult], None] = lambda result: None) -> Summary:
        summary = Summary()
        previous = _previous_manifest(self.out_dir / MANIFEST)
        claimed: dict[str, int] = {}
        in_order: list[Path] = []
        with _Reports(self.out_dir) as reports, _workers(self) as submit:
            pending: deque = deque()
            limit = 2 * self.jobs + 2  # enough to keep every worker busy, few enough to stay small

            def settle(item) -> None:
                result = item.result() if isinstance(item, cf.Future) else item
                if result.status == SKIPPED and result.sha256:
                    old = previous.get(result.file)
                    if old and old["sha256"] == result.sha256:
                        result.document_id = old.get("document_id", "")
                        result.template_version = old["template_version"]
                        result.catalogue_version = old["catalogue_version"]
                reports.add(result)
                if result.status in (WRITTEN, SKIPPED):
                    in_order.append(self.out_dir / result.file)
                setattr(summary, _COUNTER[result.status],
                        getattr(summary, _COUNTER[result.status]) + 1)
                on_result(result)

            try:
                for number, cells in self.table.rows():
                    planned = self._plan(number, cells, claimed)
                    if planned is None:
                        continue
                    pending.append(submit(planned) if isinstance(planned, Case) else planned)
                    while pending and (len(pending) > limit or not isinstance(pending[0], cf.Future)
                                       or pending[0].done()):
                        settle(pending.popleft())
                while pending:
                    settle(pending.popleft())
            except KeyboardInterrupt:
                settled = summary.written + summary.skipped + summary.refused
                raise Interrupted(
                    f"stopped after {settled} rows; every PDF in {self.out_dir} is complete; "
                    "run the same command again to finish the list"
                ) from None
            except BrokenProcessPool:
                raise DocgenError(
                    "a worker process stopped unexpectedly (out of memory?); every file written "
                    "is complete; run the same command again to finish the list"
                ) from None
        summary.manifest = self.out_dir / MANIFEST
        if self.merge is not None and in_order:
            merge_pdfs(in_order, self.merge, duplex=self.duplex, force=self.options.force)
            summary.merged = self.merge
        return summary

    def _plan(self, number: int, cells: list[str],
              claimed: dict[str, int]) -> Case | RowResult | None:
        """Validate one row: a Case to build, a settled RowResult, or None for a blank row."""
        if not any(cell.strip() for cell in cells):
            return None  # an empty line in the sheet: no patient, nothing to report
        raw = self.columns.raw(cells)
        mrn = raw.get("mrn", "").strip()
        source = str(self.table.path)

        def refuse(*problems: Problem) -> RowResult:
            return _refused(number, mrn, self.document, problems)

        width = self.columns.width
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            return refuse(Problem(source, "", f"has {len(cells)} cells but the header names "
                                  f"{width} columns; is a comma missing quotes?", number))
        if self.table.kind == "csv" and len(cells) < width:
            return refuse(Problem(source, "", f"has {len(cells)} cells but the header names "
                                  f"{width} columns; cells may have shifted", number))
        if died := raw.get("date_of_death", "").strip():
            return refuse(Problem(source, self.columns.label("date_of_death"),
                                  "recorded as deceased: no document made", number, died))
        try:
            case = self.generator.case(raw, source=source, row=number, strict_fields=False)
        except RecordError as exc:
            return refuse(*(Problem(p.source, self.columns.label(p.field), p.reason, p.row, p.value)
                            for p in exc.problems))
        name = output.file_name(case.mrn, self.document, case.procedure)
        if name in claimed:
            return refuse(Problem(source, self.columns.label("mrn"), f"same patient and procedure "
                                  f"as row {claimed[name]} (would make {name} again)", number))
        claimed[name] = number
        path = self.out_dir / name
        if path.exists() and not self.options.force:
            return _existing(number, case.mrn, self.document, path)
        return case


_COUNTER = {WRITTEN: "written", SKIPPED: "skipped", REFUSED: "refused"}


def _refused(number: int, mrn: str, document: str, problems: Iterable[Problem]) -> RowResult:
    problems = tuple(problems)
    reason = "; ".join(f"{p.field}: {p.private_reason()}" if p.field else p.private_reason()
                       for p in problems)
    return RowResult(number, mrn, document, REFUSED, reason=reason, problems=problems)


def _existing(number: int, mrn: str, document: str, path: Path) -> RowResult:
    """A file a previous run finished: leave it untouched, but record what it is."""
    data = path.read_bytes()
    try:
        pages = page_count(data)
    except Exception:  # pypdf raises many kinds for a file that is not a PDF
        return _refused(number, mrn, document, [Problem(
            str(path), "", "exists but is not a readable PDF; remove it or use --force", number)])
    return RowResult(number, mrn, document, SKIPPED, file=path.name, pages=pages,
                     sha256=hashlib.sha256(data).hexdigest(),
                     reason="already in the output folder (use --force to make it again)")


def page_count(pdf: bytes) -> int:
    import pypdf  # only for files a previous run made, and --merge: 65 ms of every start-up

    return len(pypdf.PdfReader(io.BytesIO(pdf)).pages)


def produce(generator: Generator, case: Case, folder: Path) -> RowResult:
    """Build and write one document; every failure becomes a refusal of this row alone."""

    def refuse(*problems: Problem) -> RowResult:
        return _refused(case.row or 0, case.mrn, generator.document, problems)

    try:
        built = generator.build(case)
        generator.write(built, folder)
    except SafetyRefusal as exc:
        # In a list the clinician's reason goes in the row, not on the command line.
        return refuse(*exc.how("with a reason in the override column"))
    except DocgenError as exc:  # the file appeared meanwhile, or the template failed on this row
        return refuse(Problem(case.source, "", exc.message, case.row))
    except Exception as exc:  # a defect: report the row, keep going, never show a name
        return refuse(Problem(case.source, "", f"could not be made ({type(exc).__name__}); "
                              "please report this", case.row))
    reason = f"override: {built.override}" if built.override else ""
    return RowResult(case.row or 0, case.mrn, generator.document, WRITTEN,
                     document_id=built.document_id, file=built.file_name,
                     pages=built.pages or page_count(built.pdf), sha256=hashlib.sha256(built.pdf).hexdigest(),
                     template_version=built.template_version,
                     catalogue_version=built.catalogue_version, reason=reason)


# --- worker processes -----------------------------------------------------------------

_worker_generator: Generator | None = None


def _start_worker(document: str, options: Options) -> None:
    # Ctrl-C reaches every process of the terminal; the parent decides, workers finish their row.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    global _worker_generator
    _worker_generator = Generator(document, options)  # catalogue and templates once per worker


def _work(case: Case, folder: str) -> RowResult:
    assert _worker_generator is not None
    return produce(_worker_generator, case, Path(folder))


@contextlib.contextmanager
def _workers(batch: Batch):
    """submit(case) -> Future, in this process for --jobs 1, else in a pool of processes."""
    jobs = min(batch.jobs, batch.total or batch.jobs)
    if jobs <= 1:
        def submit_here(case: Case) -> cf.Future:
            future: cf.Future = cf.Future()
            future.set_result(produce(batch.generator, case, batch.out_dir))
            return future

        yield submit_here
        return
    # spawn, not fork: the same behaviour on every platform, and no copied locks or threads.
    pool = cf.ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                                  initializer=_start_worker,
                                  initargs=(batch.document, batch.options))
    try:
        yield lambda case: pool.submit(_work, case, str(batch.out_dir))
    finally:
        # On Ctrl-C: drop queued rows, let running ones finish their (atomic) write.
        pool.shutdown(wait=True, cancel_futures=True)


# --- reports and the print file --------------------------------------------------------

class _Reports:
    """manifest.csv and errors.csv, written as rows settle, put in place atomically at the end."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.files: list[tuple[Path, str, object]] = []

    def __enter__(self) -> _Reports:
        for name, columns in ((MANIFEST, MANIFEST_COLUMNS), (ERRORS, ERROR_COLUMNS)):
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=f".{name}.", suffix=".part")
            # utf-8-sig: Excel, where admin staff open these, reads UTF-8 only after a BOM.
            handle = os.fdopen(fd, "w", encoding="utf-8-sig", newline="")
            self.files.append((self.folder / name, tmp, handle))
            csv.writer(handle).writerow(columns)
        return self

    def add(self, result: RowResult) -> None:
        csv.writer(self.files[0][2]).writerow(_safe_cells(result.manifest_line()))
        errors = csv.writer(self.files[1][2])
        for p in result.problems:
            errors.writerow(_safe_cells([str(result.row), result.mrn, p.field, p.private_reason()]))

    def __exit__(self, exc_type, exc, tb) -> None:
        for target, tmp, handle in self.files:
            try:
                if exc_type is None:
                    handle.flush()
                    os.fsync(handle.fileno())
                handle.close()
                if exc_type is None:
                    os.replace(tmp, target)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)


def _safe_cells(cells: list[str]) -> list[str]:
    """Text that a spreadsheet shows as text: a leading = + - @ would otherwise run as a formula."""
    return ["'" + c if c.startswith(_FORMULA_START) else c for c in cells]


def _previous_manifest(path: Path) -> dict[str, dict[str, str]]:
    """What an earlier run recorded about each file, to describe files it left finished."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return {line["file"]: line for line in csv.DictReader(handle)
                    if line.get("file") and line.get("sha256")}
    except (OSError, UnicodeDecodeError, csv.Error, KeyError):
        return {}


def merge_pdfs(paths: Iterable[Path], target: Path, *, duplex: bool, force: bool) -> None:
    """One print file of the documents in order; with duplex, each padded to an even page count."""
    import pypdf

    writer = pypdf.PdfWriter()
    for path in paths:
        reader = pypdf.PdfReader(path)
        writer.append(reader)
        if duplex and len(reader.pages) % 2:
            box = reader.pages[-1].mediabox
            writer.add_blank_page(width=box.width, height=box.height)
    buffer = io.BytesIO()
    writer.write(buffer)
    output.write_atomic(target, buffer.getvalue(), force=force)
