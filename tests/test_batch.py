"""docgen batch end to end: every good row printed, every bad row reported, nothing lost.

Every PDF assertion reads the PDF back.
"""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
from datetime import date
from pathlib import Path

import pypdf
import pytest
from conftest import BASE_PATIENT, flat, pages_text

DATA = Path(__file__).parent / "data"
MIXED = DATA / "batch-mixed.csv"
SYNTHEA = DATA / "synthea-sample.csv"
SYNTHEA_MAP = Path(__file__).parent.parent / "examples" / "synthea-columns.yaml"

# Names in batch-mixed.csv: none may ever reach the terminal.
NAMES = ("Zoë", "O'Neil", "Ann <b>", "Traverse", "Ottoline", "Ashdown", "Bellweather", "Crowther",
         "Dunmore", "Fairclough", "Nguyễn", "Euphemia", "Lingard", "Quigley", "Ravenscroft",
         "Sackville")
MIXED_WRITTEN = {
    2: "EX-1001_consent_kyphoplasty.pdf",
    3: "EX-1002_consent_vertebroplasty.pdf",
    10: "EX-1010_consent_vertebroplasty.pdf",
    11: "EX-1011_consent_vertebroplasty.pdf",
    15: "EX-1015_consent_vertebroplasty.pdf",
}


def manifest(folder: Path) -> list[dict[str, str]]:
    with (folder / "manifest.csv").open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def errors(folder: Path) -> list[dict[str, str]]:
    with (folder / "errors.csv").open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def pdfs(folder: Path) -> set[str]:
    return {p.name for p in folder.glob("*.pdf")}


def page_count(path: Path) -> int:
    return len(pypdf.PdfReader(str(path)).pages)


@pytest.fixture
def patient_list(tmp_path):
    """Write a CSV list from BASE_PATIENT with per-row changes, as Excel would (BOM, CRLF)."""

    def write(*changes: dict, name: str = "list.csv") -> Path:
        rows = [{**BASE_PATIENT, "mrn": f"TEST-{i + 1:04d}", **change}
                for i, change in enumerate(changes)]
        columns = list(dict.fromkeys(k for row in rows for k in row))
        path = tmp_path / name
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.DictWriter(handle, columns, dialect="excel")
            writer.writeheader()
            writer.writerows(rows)
        return path

    return write


# --- a list with good and bad rows of every kind -------------------------------------------

@pytest.fixture
def mixed_run(run, out_dir):
    # Consent forms: the safety rule on levels refuses a consent form, never an aftercare sheet.
    return run("batch", MIXED, "--document", "consent", "--set", "clinician=Dr Mixed Clinician",
               "-o", out_dir, "--jobs", "1")


def test_mixed_list_writes_good_rows_and_refuses_bad_ones(mixed_run, out_dir, tmp_path):
    assert mixed_run.exit_code == 1
    traversal = [n for n in pdfs(out_dir) if n.startswith("etc-passwd-")]
    assert len(traversal) == 1
    assert pdfs(out_dir) == set(MIXED_WRITTEN.values()) | set(traversal)
    assert not (tmp_path / "etc").exists()
    assert [p for p in tmp_path.rglob("*.pdf") if p.parent != out_dir] == []
    assert mixed_run.stdout.strip() == (
        f"docgen batch: 6 written, 0 skipped (already there), 8 refused; "
        f"manifest: {out_dir / 'manifest.csv'}"
    )


def test_mixed_list_reports_each_bad_row_with_its_spreadsheet_row(mixed_run):
    lines = mixed_run.stderr.splitlines()
    expected = [
        "row 5: date_of_birth: is not a date written YYYY-MM-DD",
        "row 6: levels: item 1 not a vertebra",
        "row 7: procedure: not a known procedure (known: vertebroplasty, kyphoplasty)",
        "row 8: comorbidities: item 1 not a known comorbidity",
        "row 9: mrn: same patient and procedure as row 2",
        "row 12: has 11 cells but the header names 10 columns",
        "row 14: comorbidities,levels: refused by safety rule lung-disease-level-limit",
        "row 16: procedure_date: is not a real date",
    ]
    assert len(lines) == len(expected)
    for line, start in zip(lines, expected, strict=True):
        assert line.startswith(f"{MIXED}: {start}"), line
    assert "override column" in lines[6]
    assert "Traceback" not in mixed_run.output
    for name in NAMES:
        assert name not in mixed_run.output


def test_mixed_list_manifest_and_error_report(mixed_run, out_dir):
    lines = manifest(out_dir)
    assert [int(line["row"]) for line in lines] == [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16]
    status = {int(line["row"]): line["status"] for line in lines}
    assert {r for r, s in status.items() if s == "written"} == {*MIXED_WRITTEN, 4}
    assert {r for r, s in status.items() if s == "refused"} == {5, 6, 7, 8, 9, 12, 14, 16}
    by_row = {int(line["row"]): line for line in lines}
    assert by_row[4]["mrn"] == "../../etc/passwd"
    assert by_row[15]["reason"] == "override: Dr A: benefit outweighs risk, discussed"
    assert by_row[7]["file"] == "" and "vertebrectomy" in by_row[7]["reason"]
    for line in lines:
        assert line["document"] == "consent"
        if line["status"] == "written":
            assert line["template_version"] and line["catalogue_version"]
    report = errors(out_dir)
    assert [(int(e["row"]), e["field"]) for e in report] == [
        (5, "date_of_birth"), (6, "levels"), (7, "procedure"), (8, "comorbidities"), (9, "mrn"),
        (12, ""), (14, "comorbidities,levels"), (16, "procedure_date"),
    ]


def test_manifest_checksums_and_pages_match_the_files(mixed_run, out_dir):
    written = [line for line in manifest(out_dir) if line["status"] == "written"]
    assert len(written) == 6
    for line in written:
        path = out_dir / line["file"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == line["sha256"]
        assert page_count(path) == int(line["pages"])


def test_patient_text_prints_literally_from_a_list(mixed_run, out_dir):
    markup = flat(" ".join(pages_text(out_dir / MIXED_WRITTEN[3])))
    assert "Ann <b>&</b>" in markup
    assert "Smith & <i>Jones</i>" in markup
    assert "Zoë" in flat(" ".join(pages_text(out_dir / MIXED_WRITTEN[2])))
    assert "Nguyễn" in flat(" ".join(pages_text(out_dir / MIXED_WRITTEN[11])))
    overridden = flat(" ".join(pages_text(out_dir / MIXED_WRITTEN[15])))
    assert "Ravenscroft" in overridden
    assert "Their reason: Dr A: benefit outweighs risk, discussed" in overridden


# --- merged print file --------------------------------------------------------------------

@pytest.mark.parametrize("duplex", [False, True])
def test_merged_print_file_in_list_order(run, patient_list, out_dir, tmp_path, duplex):
    # The middle sheet runs to an odd number of pages (blood thinners add advice).
    listing = patient_list({}, {"procedure": "kyphoplasty", "comorbidities": "anticoagulants"},
                           {"levels": "L2"})
    merged = tmp_path / "print.pdf"
    result = run("batch", listing, "--document", "aftercare", "-o", out_dir, "--jobs", "1",
                 "--merge", merged, *(["--duplex"] if duplex else []))
    assert result.exit_code == 0, result.output
    files = [out_dir / line["file"] for line in manifest(out_dir)]
    counts = [page_count(f) for f in files]
    assert any(c % 2 for c in counts)  # otherwise duplex would have nothing to do
    padded = [c + c % 2 for c in counts] if duplex else counts
    reader = pypdf.PdfReader(str(merged))
    assert len(reader.pages) == sum(padded)
    start = 0
    for path, count, slot in zip(files, counts, padded, strict=True):
        mrn = path.name.split("_")[0]
        assert mrn in (reader.pages[start].extract_text() or "")
        for blank in range(start + count, start + slot):
            assert (reader.pages[blank].extract_text() or "").strip() == ""
        start += slot


def test_existing_merge_file_needs_force(run, patient_list, out_dir, tmp_path):
    merged = tmp_path / "print.pdf"
    merged.write_bytes(b"keep me")
    result = run("batch", patient_list({}), "--document", "aftercare", "-o", out_dir,
                 "--merge", merged, "--jobs", "1")
    assert result.exit_code == 2
    assert "already exists" in result.stderr
    assert merged.read_bytes() == b"keep me"


# --- interrupted, then resumed -----------------------------------------------------------

def test_rerun_finishes_the_list_without_touching_finished_files(run, patient_list, out_dir):
    listing = patient_list({}, {}, {}, {})
    args = ("batch", listing, "--document", "aftercare", "-o", out_dir, "--jobs", "1")
    assert run(*args).exit_code == 0
    first = {line["file"]: line for line in manifest(out_dir)}
    files = sorted(out_dir.glob("*.pdf"))
    assert len(files) == 4
    # As if the first run had stopped after two documents: the other two are not there.
    lost = files[1:3]
    for path in lost:
        path.unlink()
    kept = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in files if p not in lost}

    again = run(*args)
    assert again.exit_code == 0
    assert "2 written, 2 skipped" in again.stdout
    for path in files:
        assert path.exists()
        assert page_count(path) >= 1
    for name, stamp in kept.items():
        path = out_dir / name
        assert (path.stat().st_ino, path.stat().st_mtime_ns) == stamp
    lines = {line["file"]: line for line in manifest(out_dir)}
    for path in files:
        line = lines[path.name]
        assert line["status"] == ("written" if path in lost else "skipped-existing")
        assert line["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert line["sha256"] == first[path.name]["sha256"]  # same input, same document
        assert line["template_version"] == first[path.name]["template_version"]
    assert list(out_dir.glob(".*")) == []  # no temporary files left behind

    forced = run(*args, "--force")
    assert forced.exit_code == 0
    assert "4 written, 0 skipped" in forced.stdout
    for name, (inode, _) in kept.items():
        assert (out_dir / name).stat().st_ino != inode


# --- an export with its own headers, mapped -----------------------------------------------

def test_export_mapped_with_columns_and_set(run, out_dir):
    result = run("batch", SYNTHEA, "--columns", SYNTHEA_MAP, "--set", "procedure=kyphoplasty",
                 "--set", "levels=L1", "--set", "procedure_date=2026-11-20",
                 "--document", "aftercare", "-o", out_dir, "--jobs", "1")
    assert result.exit_code == 1  # the sixth patient has a date of death
    assert result.stderr.strip() == (
        f"{SYNTHEA}: row 7: date_of_death (column DEATHDATE): recorded as deceased: "
        "no document made"
    )
    assert len(pdfs(out_dir)) == 5
    first = out_dir / "05437406-9a32-0f92-cbff-5435a0cadf04_aftercare_kyphoplasty.pdf"
    text = flat(" ".join(pages_text(first)))
    assert "Eileen Porter" in text
    assert "22 May 1997" in text
    assert "Kyphoplasty" in text


def test_a_required_field_with_no_column_and_no_set_stops_the_run(run, out_dir):
    result = run("batch", SYNTHEA, "--columns", SYNTHEA_MAP, "--set", "procedure=kyphoplasty",
                 "--document", "aftercare", "-o", out_dir)
    assert result.exit_code == 2
    assert "no column for levels, procedure_date" in result.stderr
    assert "Traceback" not in result.output
    assert not out_dir.exists() or pdfs(out_dir) == set()


def test_set_fills_only_blank_cells(run, patient_list, out_dir):
    listing = patient_list({"levels": ""}, {"levels": "L3"})
    result = run("batch", listing, "--document", "aftercare", "-o", out_dir, "--jobs", "1",
                 "--set", "levels=L1")
    assert result.exit_code == 0, result.output
    files = {line["mrn"]: out_dir / line["file"] for line in manifest(out_dir)}
    # the treated levels as listed (the spine picture labels every bone, L1 and L3 included)
    assert "L1 (1 bone)" in flat(" ".join(pages_text(files["TEST-0001"])))
    second = flat(" ".join(pages_text(files["TEST-0002"])))
    assert "L3 (1 bone)" in second and "L1 (1 bone)" not in second


def test_override_cannot_be_set_for_a_whole_list(run, patient_list, out_dir):
    result = run("batch", patient_list({}), "--document", "aftercare", "-o", out_dir,
                 "--set", "override=everyone")
    assert result.exit_code == 2
    assert "--set override" in result.stderr


# --- .xlsx ------------------------------------------------------------------------------

def test_xlsx_first_sheet(run, out_dir, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["MRN", "Given_Name", "family_name", "date_of_birth", "procedure", "levels",
                  "procedure_date", "ignored"])
    sheet.append([100234, "Zoë", "O'Neil", date(1941, 3, 2), "kyphoplasty", "T12;L1",
                  date(2026, 11, 20), "x"])
    sheet.append([None] * 8)
    sheet.append(["EX-2", "Bad", "Levelled", date(1950, 1, 1), "vertebroplasty", "L9",
                  date(2026, 11, 20), None])
    book.create_sheet("Other").append(["mrn"])
    path = tmp_path / "list.xlsx"
    book.save(path)

    result = run("batch", path, "--document", "aftercare", "-o", out_dir, "--jobs", "1")
    assert result.exit_code == 1
    assert result.stderr.strip().startswith(f"{path}: row 4: levels: item 1 not a vertebra")
    assert pdfs(out_dir) == {"100234_aftercare_kyphoplasty.pdf"}
    text = flat(" ".join(pages_text(out_dir / "100234_aftercare_kyphoplasty.pdf")))
    assert "2 March 1941" in text and "100234" in text and "Zoë O'Neil" in text


# --- worker processes ----------------------------------------------------------------------

def test_two_workers_make_the_same_bytes_as_one(run, patient_list, tmp_path):
    listing = patient_list({}, {"levels": "L2"}, {"procedure": "kyphoplasty"},
                           {"comorbidities": "copd"})
    one, two = tmp_path / "one", tmp_path / "two"
    assert run("batch", listing, "--document", "consent", "-o", one, "--jobs", "1").exit_code == 0
    assert run("batch", listing, "--document", "consent", "-o", two, "--jobs", "2").exit_code == 0
    assert pdfs(one) == pdfs(two) and len(pdfs(one)) == 4
    for name in pdfs(one):
        assert (one / name).read_bytes() == (two / name).read_bytes()
    assert manifest(one) == manifest(two)


# --- input that cannot be used at all ------------------------------------------------------

BAD_INPUTS = {
    "empty.csv": b"",
    "header-only.csv": b"\xef\xbb\xbfmrn,given_name,family_name\r\n",
    "garbage.csv": bytes(range(256)) * 4,
    "latin1.csv": "mrn,given_name\r\n1,Zo\u00eb\r\n".encode("latin-1"),
    "semicolons.csv": b"mrn;given_name;family_name\r\n1;A;B\r\n",
    "utf16.csv": "mrn\tgiven_name\r\n1\tA\r\n".encode("utf-16"),
    "broken.xlsx": b"PK\x03\x04 not really a workbook",
    "old.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_unusable_input_is_one_clear_line_and_exit_2(run, out_dir, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(BAD_INPUTS[name])
    result = run("batch", path, "--document", "aftercare", "-o", out_dir)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {path}: "), result.stderr
    assert "Traceback" not in result.output
    assert not out_dir.exists() or pdfs(out_dir) == set()


@pytest.mark.parametrize("args, message", [
    (("--document", "discharge"), "Invalid value for '--document'"),
    (("--document", "aftercare", "--duplex"), "--duplex pads documents"),
    (("--document", "aftercare", "--set", "levels"), "expected FIELD=VALUE"),
    (("--document", "aftercare", "--set", "colour=red"), "--set colour: not a docgen field"),
    (("--document", "aftercare", "--jobs", "0"), "Invalid value for '--jobs'"),
])
def test_bad_options_exit_2(run, patient_list, out_dir, args, message):
    result = run("batch", patient_list({}), "-o", out_dir, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_missing_input_file_exits_2(run, out_dir, tmp_path):
    result = run("batch", tmp_path / "nope.csv", "--document", "aftercare", "-o", out_dir)
    assert result.exit_code == 2
    assert "no such file" in result.stderr


def test_column_map_naming_an_absent_column_exits_2(run, patient_list, out_dir, tmp_path):
    mapping = tmp_path / "map.yaml"
    mapping.write_text("mrn: Hospital Number\n", encoding="utf-8")
    result = run("batch", patient_list({}), "--document", "aftercare", "-o", out_dir,
                 "--columns", mapping)
    assert result.exit_code == 2
    assert "has no column 'Hospital Number' (column map: mrn)" in result.stderr


def test_report_cells_never_run_as_spreadsheet_formulas(run, patient_list, out_dir):
    result = run("batch", patient_list({"mrn": "=HYPERLINK(1)", "levels": "L9"}),
                 "--document", "aftercare", "-o", out_dir, "--jobs", "1")
    assert result.exit_code == 1
    assert manifest(out_dir)[0]["mrn"] == "'=HYPERLINK(1)"
    assert errors(out_dir)[0]["mrn"] == "'=HYPERLINK(1)"


def test_columns_are_matched_by_name_not_position(run, patient_list, out_dir, tmp_path):
    listing = patient_list({})
    rows = list(csv.reader(listing.open(encoding="utf-8-sig", newline="")))
    reordered = tmp_path / "reordered.csv"
    with reordered.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([list(reversed(r)) for r in rows])
    result = run("batch", reordered, "--document", "aftercare", "-o", out_dir, "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert pdfs(out_dir) == {"TEST-0001_aftercare_vertebroplasty.pdf"}


def test_full_sample_export_when_present(run, out_dir):
    """The shared sample export, if this checkout sits next to it (not needed for CI)."""
    export = Path(__file__).parents[2] / "shared" / "data" / "synthea-uk-patients.csv"
    if not export.exists():
        pytest.skip("../shared/data is not next to this checkout")
    copy = out_dir.parent / "export.csv"
    shutil.copy(export, copy)
    result = run("batch", copy, "--columns", SYNTHEA_MAP, "--set", "procedure=kyphoplasty",
                 "--set", "levels=L1", "--set", "procedure_date=2026-11-20",
                 "--document", "aftercare", "-o", out_dir)
    assert result.exit_code in (0, 1)
    assert "Traceback" not in result.output
    lines = manifest(out_dir)
    assert len(lines) == 20
    for line in lines:
        if line["status"] == "written":
            path = out_dir / line["file"]
            assert hashlib.sha256(path.read_bytes()).hexdigest() == line["sha256"]


def test_ctrl_c_leaves_only_complete_files_and_a_rerun_finishes(run, patient_list, out_dir):
    from docgen.batch import Batch
    from docgen.errors import Interrupted
    from docgen.generate import Options

    listing = patient_list({}, {}, {}, {})
    job = Batch.open(listing, "aftercare", out_dir, Options(), jobs=1)
    seen = []

    def stop_after_two(result):
        seen.append(result.row)
        if len(seen) == 2:
            raise KeyboardInterrupt

    with pytest.raises(Interrupted) as stopped:
        job.run(stop_after_two)
    assert stopped.value.exit_code == 130
    assert "run the same command again" in stopped.value.message
    finished = sorted(out_dir.glob("*.pdf"))
    assert len(finished) == 2
    for path in finished:
        assert page_count(path) >= 1
    # No temporary file, no half-written report: only the journal of the finished documents.
    assert [p.name for p in out_dir.glob(".*")] == [".docgen-journal.csv"]
    assert not (out_dir / "manifest.csv").exists()
    stamps = {p.name: p.stat().st_ino for p in finished}

    again = run("batch", listing, "--document", "aftercare", "-o", out_dir, "--jobs", "1")
    assert again.exit_code == 0
    assert "2 written, 2 skipped" in again.stdout
    assert {p.name: p.stat().st_ino for p in finished} == stamps
    assert len(pdfs(out_dir)) == 4
    lines = manifest(out_dir)
    assert len(lines) == 4 and all(line["document_id"] and line["template_version"] for line in lines)
    assert list(out_dir.glob(".*")) == []


def test_a_misspelt_column_is_named_not_silently_dropped(run, patient_list, out_dir):
    listing = patient_list({"Comorbidity": "copd"})
    result = run("batch", listing, "--document", "aftercare", "-o", out_dir, "--jobs", "1")
    assert result.exit_code == 0
    assert result.stderr.strip() == (
        f"warning: {listing}: column 'Comorbidity' is ignored; did you mean 'comorbidities'?"
    )


# --- a real batch stopped by a signal, then run again (issue 10.5) ------------------------

def _alive_in_group(group: int) -> list[int]:
    """Processes (not yet-reaped zombies) of a process group, read from /proc."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == group:
            alive.append(int(entry.name))
    return alive


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
@pytest.mark.parametrize("how", ["SIGKILL", "SIGINT", "SIGTERM"])
def test_a_batch_stopped_by_a_signal_keeps_its_records(run, patient_list, out_dir, tmp_path, how):
    import signal
    import subprocess
    import sys
    import time

    listing = patient_list(*({} for _ in range(10)))
    command = [sys.executable, "-c", "from docgen.cli import main; main()", "batch", str(listing),
               "--document", "aftercare", "-o", str(out_dir), "--jobs", "2"]
    # stderr to a file: a pipe would stay open (and a read hang) while any worker lived on.
    errors_file = tmp_path / "stderr.txt"
    with errors_file.open("wb") as stderr_sink:
        proc = subprocess.Popen(command, cwd=tmp_path, start_new_session=True,  # noqa: S603 (our own command)
                                stdout=subprocess.DEVNULL, stderr=stderr_sink)
    try:
        deadline = time.monotonic() + 240
        while proc.poll() is None and not list(out_dir.glob("*.pdf")) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert proc.poll() is None, "the batch ended before it could be stopped: " + errors_file.read_text()
        if how == "SIGINT":
            os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches every process of the terminal
        else:
            os.kill(proc.pid, getattr(signal, how))  # a stop aimed at the main process only
        status = proc.wait(timeout=120)
        stderr = errors_file.read_text()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    if how == "SIGKILL":
        assert status == -signal.SIGKILL
    else:
        assert status == 130, stderr
        assert "run the same command again" in stderr and "Traceback" not in stderr
    # No worker outlives the main process.
    deadline = time.monotonic() + 30
    while _alive_in_group(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _alive_in_group(proc.pid) == []
    for path in out_dir.glob("*.pdf"):
        assert page_count(path) >= 1  # every file there is complete

    again = run("batch", listing, "--document", "aftercare", "-o", out_dir, "--jobs", "1")
    assert again.exit_code == 0, again.stderr
    lines = manifest(out_dir)
    assert [line["mrn"] for line in lines] == [f"TEST-{i + 1:04d}" for i in range(10)]
    for line in lines:
        assert line["status"] in ("written", "skipped-existing")
        assert line["document_id"] and line["template_version"] and line["catalogue_version"], line
        assert hashlib.sha256((out_dir / line["file"]).read_bytes()).hexdigest() == line["sha256"]
    assert list(out_dir.glob(".*")) == []  # no .part leftovers, no journal
