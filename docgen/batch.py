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
import ctypes
import ctypes.util
import dataclasses
import errno
import fcntl
import hashlib
import io
import multiprocessing
import os
import shlex
import signal
import stat
import sys
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import output
from .errors import (
    EXIT_OK,
    EXIT_REFUSED,
    ColumnError,
    DocgenError,
    InputFileError,
    Interrupted,
    OutputError,
    Problem,
    RecordError,
    SafetyRefusal,
)
from .generate import Generator, Options
from .input.columns import Columns, load_column_map, parse_settings, resolve_columns
from .input.records import Case
from .input.tables import Table, open_table

if TYPE_CHECKING:  # the FHIR models load only for a Bundle
    from .fhir.mapping import PatientRecord


def is_bundle(path: Path) -> bool:
    """A .json input is read as a FHIR Bundle; lists are CSV or .xlsx."""
    return path.suffix.lower() == ".json"


# How a clinician overrides a safety rule for one patient, where the patient came from. A list
# row carries its own reason; a Bundle has no place for one, so its patient is printed alone.
LIST_OVERRIDE = "with a reason in the override column"
BUNDLE_OVERRIDE = 'by printing this patient alone: docgen {document} --fhir {bundle} --fhir-patient {patient} ' \
                  '--override "REASON"'

MANIFEST = "manifest.csv"
ERRORS = "errors.csv"
# One line per document, appended and flushed to disk before the document is put in
# place: after a kill -9 the re-run still knows every finished file's id and versions.
JOURNAL = ".docgen-journal.csv"
JOURNAL_COLUMNS = ("file", "sha256", "document_id", "template_version", "catalogue_version")
# A file at an output name larger than this is not a docgen document (ours are ~100 KB).
MAX_EXISTING_BYTES = 50_000_000
MAX_MANIFEST_BYTES = 200_000_000
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
                 merge: Path | None, duplex: bool, jobs: int, lock: int | None = None):
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
        self._lock = lock
        self.patients = None  # a FHIR Bundle's patients (docgen.fhir.PatientRecord), instead of a table
        self.bundle_override = BUNDLE_OVERRIDE  # the entry point's words, {document} {bundle} {patient}
        self.bundle_name = ""

    def close(self) -> None:
        """Let another batch use the output folder (run() does this when it ends)."""
        if self._lock is not None:
            os.close(self._lock)  # closing the descriptor releases the flock
            self._lock = None

    @classmethod
    def open(cls, input_path: Path, document: str, out_dir: Path, options: Options, *,
             column_map: Path | None = None, settings: Iterable[str] = (),
             merge: Path | None = None, duplex: bool = False, jobs: int | None = None,
             bundle_override: str = BUNDLE_OVERRIDE) -> Batch:
        """The batch, checked; ``bundle_override`` tells how to override a safety rule for one
        Patient of a Bundle where this batch was started (fields {document}, {bundle}, {patient})."""
        if duplex and merge is None:
            raise ColumnError("--duplex pads documents in the merged print file: give --merge FILE")
        mapping = load_column_map(column_map)
        values = parse_settings(settings)
        patients = None
        if is_bundle(input_path):
            if mapping or values:
                raise ColumnError("--columns and --set apply to CSV and .xlsx lists, not to a FHIR Bundle")
            table, columns = None, None
        else:
            table = open_table(input_path)
            columns = resolve_columns(table, document, mapping, values)
        generator = Generator(document, options)  # a broken catalogue stops here, not per row
        if table is None:
            from . import fhir  # only FHIR users pay for the FHIR models

            patients = fhir.read_bundle(input_path, risks=options.risks, site=generator.site,
                                        allow_draft=options.allow_draft, today=generator.today)
            if not patients:
                raise InputFileError(f"{input_path}: the Bundle holds no Patient")
        folder = output.prepare_folder(out_dir)
        source = input_path.resolve()
        reports = {(folder / name).resolve(): name for name in (MANIFEST, ERRORS)}
        if source in reports:
            raise InputFileError(f"{input_path}: is the {reports[source]} this batch would write; "
                                 "copy the list elsewhere or choose another output folder")
        for report in (folder / MANIFEST, folder / ERRORS):
            output.check_target(report)
        if merge is not None:
            target = merge.resolve()
            if target == source:
                raise InputFileError(f"{merge}: is the input list; give another --merge file")
            if target in reports:
                raise InputFileError(f"{merge}: is the batch's {reports[target]}; give another --merge file")
            if output.check_target(merge) and not options.force:
                raise InputFileError(f"{merge}: already exists (use --force to replace it)")
            output.prepare_folder(merge.parent)
        lock = _lock_folder(folder)
        job = cls(table, columns, generator, folder, merge, duplex,
                  max(1, jobs or os.cpu_count() or 1), lock)
        job.patients = patients
        job.bundle_override = bundle_override
        job.bundle_name = shlex.quote(str(input_path))
        return job

    def override_hint(self, case: Case) -> tuple[PatientRecord | None, str]:
        """The patient a Case came from (a Bundle's PatientRecord, or None) and how to override for it."""
        if self.patients is None:
            return None, LIST_OVERRIDE
        patient = self.patients[case.row - 1]
        return patient, self.bundle_override.format(document=self.document, bundle=self.bundle_name,
                                                    patient=patient.label)

    @property
    def total(self) -> int | None:
        return len(self.patients) if self.patients is not None else self.table.total

    @property
    def header_rows(self) -> int:
        """Rows before the first patient: a list's header row; a Bundle has none."""
        return 0 if self.patients is not None else 1

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.columns.warnings if self.columns is not None else ()

    def fhir_references(self, row: int) -> tuple[str | None, str | None]:
        """The Patient and the Procedure/ServiceRequest a Bundle's row came from (None for a list)."""
        if self.patients is None:
            return None, None
        patient = self.patients[row - 1]
        return patient.patient_reference, patient.request_reference

    def run(self, on_result: Callable[[RowResult], None] = lambda result: None) -> Summary:
        """Make every row's document; on_result is called once per row, in list order.

        Holds the folder's lock until it returns (or raises), then releases it.
        """
        try:
            with _stop_on_sigterm():
                return self._run(on_result)
        finally:
            self.close()

    def _run(self, on_result: Callable[[RowResult], None]) -> Summary:
        summary = Summary()
        output.remove_leftovers(self.out_dir)
        previous = _previous_manifest(self.out_dir / MANIFEST)
        previous.update(_journal(self.out_dir / JOURNAL))
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
                for planned in self._plans(claimed):
                    if planned is None:
                        continue
                    pending.append(submit(planned) if isinstance(planned, Case) else planned)
                    while pending and (len(pending) > limit or not isinstance(pending[0], cf.Future)
                                       or pending[0].done()):
                        settle(pending.popleft())
                while pending:
                    settle(pending.popleft())
            except (KeyboardInterrupt, _Terminated):
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
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.out_dir / JOURNAL)  # the manifest now holds all it held
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
        return self._claim(number, case, claimed, Problem(source, self.columns.label("mrn"), "", number))

    def _plans(self, claimed: dict[str, int]):
        """What to do with every row of the list, or every Patient of the Bundle, in order."""
        if self.patients is None:
            for number, cells in self.table.rows():
                yield self._plan(number, cells, claimed)
            return
        from .fhir.run import patient_case

        for number, patient in enumerate(self.patients, start=1):
            mrn = patient.record.get("mrn", "")
            if patient.problems:
                yield _refused(number, mrn, self.document, patient.problems)
                continue
            try:
                case = patient_case(self.generator, patient, row=number)
            except RecordError as exc:
                yield _refused(number, mrn, self.document, exc.problems)
                continue
            where = Problem(patient.source, patient.element("mrn"), "")
            yield self._claim(number, case, claimed, where)

    def _claim(self, number: int, case: Case, claimed: dict[str, int],
               where: Problem) -> Case | RowResult:
        """Refuse a second row making the same file; leave a finished file alone; else build it."""
        name = output.file_name(case.mrn, self.document, case.procedure)
        if name in claimed:
            return _refused(number, case.mrn, self.document, [Problem(
                where.source, where.field, f"same patient and procedure as row {claimed[name]} "
                f"(would make {name} again)", where.row)])
        claimed[name] = number

        def refuse(reason: str) -> RowResult:
            return _refused(number, case.mrn, self.document,
                            [Problem(where.source, where.field, reason, where.row)])

        path = self.out_dir / name
        if self.merge is not None and path.resolve() == self.merge.resolve():
            return refuse(f"would make {name}, the --merge print file")
        if path.resolve() == Path(where.source).resolve():
            return refuse(f"would make {name}, the input list")
        try:
            there = output.check_target(path)
        except OutputError as exc:
            return _refused(number, case.mrn, self.document,
                            [Problem(str(path), "", exc.message.removeprefix(f"{path}: "), number)])
        if there and not self.options.force:
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
    try:
        if path.stat().st_size > MAX_EXISTING_BYTES:
            return _refused(number, mrn, document, [Problem(
                str(path), "", "exists and is far too large to be a docgen document; remove it or "
                "use --force", number)])
        data = path.read_bytes()
    except OSError as exc:
        return _refused(number, mrn, document, [Problem(
            str(path), "", f"exists but cannot be read ({output.reason(exc)}); remove it or use --force",
            number)])
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


def produce(generator: Generator, case: Case, folder: Path, patient: PatientRecord | None = None,
            how_to_override: str = LIST_OVERRIDE) -> RowResult:
    """Build and write one document; every failure becomes a refusal of this row alone.

    ``patient`` is the Bundle's PatientRecord the case came from: a safety rule's refusal then
    names the FHIR elements, not docgen's fields."""

    def refuse(*problems: Problem) -> RowResult:
        return _refused(case.row or 0, case.mrn, generator.document, problems)

    try:
        built = generator.build(case)
        sha256 = hashlib.sha256(built.pdf).hexdigest()
        _note(folder / JOURNAL, [built.file_name, sha256, built.document_id, built.template_version,
                                 built.catalogue_version])
        generator.write(built, folder)
    except SafetyRefusal as exc:
        refusals = exc.refusals if patient is None else [patient.relabel(p) for p in exc.refusals]
        return refuse(*(p.with_hint(how_to_override) for p in refusals))
    except OutputError:
        raise  # a full disk or unwritable folder: every later row would fail the same way
    except DocgenError as exc:  # the file appeared meanwhile, or the template failed on this row
        return refuse(Problem(case.source, "", exc.message, case.row))
    except Exception as exc:  # a defect: report the row, keep going, never show a name
        return refuse(Problem(case.source, "", f"could not be made ({type(exc).__name__}); "
                              "please report this", case.row))
    reason = f"override: {built.override}" if built.override else ""
    return RowResult(case.row or 0, case.mrn, generator.document, WRITTEN,
                     document_id=built.document_id, file=built.file_name,
                     pages=built.pages or page_count(built.pdf), sha256=sha256,
                     template_version=built.template_version,
                     catalogue_version=built.catalogue_version, reason=reason)


# --- worker processes -----------------------------------------------------------------

_worker_generator: Generator | None = None


def _start_worker(document: str, options: Options, parent: int) -> None:
    # Ctrl-C reaches every process of the terminal; the parent decides, workers finish their row.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # SIGTERM to a worker (the parent is shutting the pool down, or a system stop): exit at once.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with(parent)
    global _worker_generator
    _worker_generator = Generator(document, options)  # catalogue and templates once per worker


def _work(case: Case, folder: str, patient: PatientRecord | None, how_to_override: str) -> RowResult:
    assert _worker_generator is not None
    return produce(_worker_generator, case, Path(folder), patient, how_to_override)


@contextlib.contextmanager
def _workers(batch: Batch):
    """submit(case) -> Future, in this process for --jobs 1, else in a pool of processes."""
    jobs = min(batch.jobs, batch.total or batch.jobs)
    if jobs <= 1:
        def submit_here(case: Case) -> cf.Future:
            future: cf.Future = cf.Future()
            future.set_result(produce(batch.generator, case, batch.out_dir, *batch.override_hint(case)))
            return future

        yield submit_here
        return
    # spawn, not fork: the same behaviour on every platform, and no copied locks or threads.
    pool = cf.ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                                  initializer=_start_worker,
                                  initargs=(batch.document, batch.options, os.getpid()))
    try:
        yield lambda case: pool.submit(_work, case, str(batch.out_dir), *batch.override_hint(case))
    finally:
        # On Ctrl-C: drop queued rows, let running ones finish their (atomic) write.
        pool.shutdown(wait=True, cancel_futures=True)


_PR_SET_PDEATHSIG = 1


def _die_with(parent: int) -> None:
    """Make this worker die when the batch's process does, even by kill -9.

    Linux delivers a chosen signal to a child when its parent ends (prctl
    PR_SET_PDEATHSIG). Elsewhere, a thread watches the parent's pid instead.
    """
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
            if os.getppid() != parent:  # the parent ended before prctl took effect
                os._exit(1)
            return

    def watch() -> None:
        while os.getppid() == parent:
            threading.Event().wait(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="docgen-parent-watch").start()


class _Terminated(Exception):  # noqa: N818 (a signal, not an error)
    """SIGTERM reached the batch: stop as Ctrl-C does."""


@contextlib.contextmanager
def _stop_on_sigterm():
    """SIGTERM stops a batch like Ctrl-C: running rows finish, queued ones are dropped, the
    worker processes end with it. Only the main thread may handle signals; elsewhere (a
    web server running batches) the server decides how a batch stops."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _lock_folder(folder: Path) -> int:
    """Take the folder's lock, or refuse: two batches on one folder would mix their manifests.

    The lock is flock on the folder itself: nothing is left behind in it, and the
    kernel releases the lock whenever the process ends, even by kill -9.
    """
    path = folder
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise OutputError(f"{path}: cannot be opened to lock it: {output.reason(exc)}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise OutputError(f"{folder}: another docgen batch is writing to this folder; "
                              "wait for it to finish or choose another output folder") from None
        raise OutputError(f"{path}: cannot be locked: {output.reason(exc)}") from None
    return fd


def _note(journal: Path, cells: list[str]) -> None:
    """Append one line to the journal and flush it to disk, before the document is put in place."""
    line = io.StringIO()
    csv.writer(line).writerow(cells)
    try:
        fd = os.open(journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, line.getvalue().encode("utf-8"))  # one write: lines from workers never mix
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise OutputError(f"{journal}: cannot be written: {output.reason(exc)}") from None


def _journal(path: Path) -> dict[str, dict[str, str]]:
    """What the journal of an interrupted run says about the files it made."""
    if not _regular(path, MAX_MANIFEST_BYTES):
        return {}
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return {cells[0]: dict(zip(JOURNAL_COLUMNS, cells, strict=True))
                    for cells in csv.reader(handle) if len(cells) == len(JOURNAL_COLUMNS)}
    except (OSError, UnicodeDecodeError, csv.Error):
        return {}


def _regular(path: Path, limit: int) -> bool:
    """Whether path is a regular file no larger than limit (never open a FIFO or device to read)."""
    try:
        info = os.stat(path)
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and info.st_size <= limit


# --- reports and the print file --------------------------------------------------------

class _Reports:
    """manifest.csv and errors.csv, written as rows settle, put in place atomically at the end."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.files: list[tuple[Path, str, object]] = []

    def __enter__(self) -> _Reports:
        for name, columns in ((MANIFEST, MANIFEST_COLUMNS), (ERRORS, ERROR_COLUMNS)):
            with self._writing(self.folder / name):
                fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=f".{name}.", suffix=output.PART)
                # utf-8-sig: Excel, where admin staff open these, reads UTF-8 only after a BOM.
                handle = os.fdopen(fd, "w", encoding="utf-8-sig", newline="")
                self.files.append((self.folder / name, tmp, handle))
                csv.writer(handle).writerow(columns)
        return self

    @staticmethod
    @contextlib.contextmanager
    def _writing(target: Path):
        try:
            yield
        except OSError as exc:
            raise OutputError(f"{target}: cannot be written: {output.reason(exc)}") from None

    def add(self, result: RowResult) -> None:
        with self._writing(self.files[0][0]):
            csv.writer(self.files[0][2]).writerow(_safe_cells(result.manifest_line()))
        with self._writing(self.files[1][0]):
            errors = csv.writer(self.files[1][2])
            for p in result.problems:
                errors.writerow(_safe_cells([str(result.row), result.mrn, p.field, p.private_reason()]))

    def __exit__(self, exc_type, exc, tb) -> None:
        failed: OutputError | None = None
        for target, tmp, handle in self.files:
            try:
                with self._writing(target):
                    try:
                        if exc_type is None and failed is None:
                            handle.flush()
                            os.fsync(handle.fileno())
                    finally:
                        with contextlib.suppress(OSError):
                            handle.close()
                    if exc_type is None and failed is None:
                        output.check_target(target)
                        os.replace(tmp, target)
            except OutputError as error:
                failed = failed or error
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
        if failed is not None and exc_type is None:
            raise failed


def _safe_cells(cells: list[str]) -> list[str]:
    """Text that a spreadsheet shows as text: a leading = + - @ would otherwise run as a formula."""
    return ["'" + c if c.startswith(_FORMULA_START) else c for c in cells]


def _previous_manifest(path: Path) -> dict[str, dict[str, str]]:
    """What an earlier run recorded about each file, to describe files it left finished."""
    if not _regular(path, MAX_MANIFEST_BYTES):
        return {}
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
