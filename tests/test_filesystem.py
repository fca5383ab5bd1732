"""The filesystem as it really is: odd things at output names, a full disk, inputs that are outputs (issue 10.4).

Each case is one line naming the path, the documented exit status, and no input overwritten.
"""

from __future__ import annotations

import csv
import errno
import os
import stat

import pytest
from conftest import BASE_PATIENT

from docgen import batch
from docgen.errors import OutputError
from docgen.generate import Options

NAME = "TEST-0001_consent_vertebroplasty.pdf"


@pytest.fixture
def listing(tmp_path):
    def write(count: int = 3, path=None):
        path = path or tmp_path / "list.csv"
        rows = [{**BASE_PATIENT, "mrn": f"TEST-{i + 1:04d}"} for i in range(count)]
        with open(path, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        return path

    return write


def one_line(result, status: int) -> str:
    assert result.exit_code == status, result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def no_hidden_leftovers(folder):
    return [p.name for p in folder.glob(".*.part")] == []


@pytest.mark.parametrize("thing", ["folder", "fifo", "device"])
def test_odd_thing_at_a_documents_name(run, patient, out_dir, thing):
    out_dir.mkdir()
    target = out_dir / NAME
    if thing == "folder":
        target.mkdir()
    elif thing == "fifo":
        os.mkfifo(target)
    else:
        os.symlink("/dev/null", target)
    for force in ((), ("--force",)):
        error = one_line(run("consent", patient(), "-o", out_dir, *force), 2)
        assert str(target) in error and "not a file" in error
    assert no_hidden_leftovers(out_dir)


def test_output_folder_that_is_a_file(tmp_path):
    # (The command line's option check says so first; the web and other callers meet this one.)
    from docgen.output import prepare_folder

    plain = tmp_path / "plain"
    plain.write_text("keep me")
    for folder in (plain, plain / "below"):
        with pytest.raises(OutputError, match="not a folder|cannot create") as refused:
            prepare_folder(folder)
        assert str(folder) in refused.value.message
    assert plain.read_text() == "keep me"


@pytest.mark.parametrize("report", ["manifest.csv", "errors.csv"])
@pytest.mark.parametrize("thing", ["folder", "fifo"])
def test_odd_thing_at_a_report_stops_the_batch_before_work(run, listing, out_dir, report, thing):
    out_dir.mkdir()
    target = out_dir / report
    target.mkdir() if thing == "folder" else os.mkfifo(target)
    error = one_line(run("batch", listing(), "--document", "consent", "-o", out_dir, "--jobs", "1"), 2)
    assert str(target) in error and "not a file" in error
    assert list(out_dir.glob("*.pdf")) == []  # found before any work


def test_huge_file_at_a_documents_name_refuses_that_row_only(run, listing, out_dir):
    out_dir.mkdir()
    huge = out_dir / NAME
    with huge.open("wb") as handle:
        handle.truncate(batch.MAX_EXISTING_BYTES + 1)  # sparse: no real disk used
    result = run("batch", listing(), "--document", "consent", "-o", out_dir, "--jobs", "1")
    assert result.exit_code == 1
    assert str(huge) in result.stderr and "too large" in result.stderr
    assert len(list(out_dir.glob("*.pdf"))) == 3 and huge.stat().st_size == batch.MAX_EXISTING_BYTES + 1


def test_input_list_that_is_the_manifest_or_errors_report(run, listing, out_dir):
    out_dir.mkdir()
    for report in ("manifest.csv", "errors.csv"):
        source = listing(path=out_dir / report)
        before = source.read_bytes()
        error = one_line(run("batch", source, "--document", "consent", "-o", out_dir, "--jobs", "1"), 2)
        assert str(source) in error and report in error
        assert source.read_bytes() == before
        source.unlink()


@pytest.mark.parametrize("report", ["manifest.csv", "errors.csv"])
def test_merge_onto_a_report(run, listing, out_dir, report):
    error = one_line(run("batch", listing(), "--document", "consent", "-o", out_dir, "--jobs", "1",
                         "--merge", out_dir / report, "--force"), 2)
    assert report in error and "--merge" in error


def test_merge_onto_a_fifo(run, listing, out_dir, tmp_path):
    os.mkfifo(tmp_path / "print.pdf")
    error = one_line(run("batch", listing(), "--document", "consent", "-o", out_dir, "--jobs", "1",
                         "--merge", tmp_path / "print.pdf", "--force"), 2)
    assert str(tmp_path / "print.pdf") in error and "not a file" in error


def full_disk(monkeypatch, after: int = 0):
    """os.fsync fails with ENOSPC after `after` successful calls: a disk that fills up."""
    calls = {"n": 0}
    real = os.fsync

    def fsync(fd):
        calls["n"] += 1
        if calls["n"] > after:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)


def test_full_disk_single_document(run, patient, out_dir, monkeypatch):
    full_disk(monkeypatch)
    error = one_line(run("consent", patient(), "-o", out_dir), 2)
    assert str(out_dir / NAME) in error and "disk is full" in error
    assert list(out_dir.iterdir()) == []  # no half-written file, no .part


@pytest.mark.parametrize("after", [0, 3])
def test_full_disk_in_a_batch_stops_it(run, listing, out_dir, monkeypatch, after):
    full_disk(monkeypatch, after)
    error = one_line(run("batch", listing(), "--document", "consent", "-o", out_dir, "--jobs", "1"), 2)
    assert "disk is full" in error and str(out_dir) in error
    assert no_hidden_leftovers(out_dir)
    assert not (out_dir / "manifest.csv").exists()  # never a half-written report
    monkeypatch.undo()
    again = run("batch", listing(), "--document", "consent", "-o", out_dir, "--jobs", "1")
    assert again.exit_code == 0, again.stderr


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc to tell files apart")
def test_full_disk_on_the_merged_file(run, listing, out_dir, tmp_path, monkeypatch):
    real = os.fsync

    def fsync(fd):  # the disk fills up just as the print file is written
        if os.path.basename(os.readlink(f"/proc/self/fd/{fd}")).startswith(".print.pdf."):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    error = one_line(run("batch", listing(), "--document", "consent", "-o", out_dir, "--jobs", "1",
                         "--merge", tmp_path / "print.pdf"), 2)
    assert "disk is full" in error and str(tmp_path / "print.pdf") in error
    assert [p.name for p in tmp_path.glob("*print.pdf*")] == []


def test_folders_are_private_whatever_the_umask(run, patient, tmp_path):
    old = os.umask(0)
    try:
        result = run("consent", patient(), "-o", tmp_path / "a" / "b")
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.stderr
    for folder in (tmp_path / "a", tmp_path / "a" / "b"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "a" / "b" / NAME).stat().st_mode) == 0o600


def test_reports_are_private(run, listing, out_dir):
    old = os.umask(0)
    try:
        assert run("batch", listing(1), "--document", "consent", "-o", out_dir, "--jobs", "1").exit_code == 0
    finally:
        os.umask(old)
    for name in ("manifest.csv", "errors.csv"):
        assert stat.S_IMODE((out_dir / name).stat().st_mode) == 0o600


def test_a_second_batch_on_one_folder_is_refused(listing, out_dir, run):
    first = batch.Batch.open(listing(), "consent", out_dir, Options(), jobs=1)
    try:
        with pytest.raises(OutputError, match="another docgen batch"):
            batch.Batch.open(listing(), "consent", out_dir, Options(), jobs=1)
        error = one_line(run("batch", listing(), "--document", "consent", "-o", out_dir, "--jobs", "1"), 2)
        assert "another docgen batch" in error
    finally:
        first.close()
    assert batch.Batch.open(listing(), "consent", out_dir, Options(), jobs=1).run().written == 3


def test_leftovers_of_earlier_runs_are_removed(run, listing, out_dir):
    out_dir.mkdir()
    stale = [out_dir / f".{NAME}.abc123.part", out_dir / ".manifest.csv.xyz.part"]
    for path in stale:
        path.write_bytes(b"half")
    keep = out_dir / ".hospital-notes"
    keep.write_text("not ours")
    assert run("batch", listing(1), "--document", "consent", "-o", out_dir, "--jobs", "1").exit_code == 0
    assert not any(p.exists() for p in stale)
    assert keep.read_text() == "not ours"


@pytest.mark.parametrize("thing", ["folder", "fifo", "file"])
def test_single_document_refuses_its_name_before_building(run, patient, out_dir, monkeypatch, thing):
    # A clinician should not wait for a form that cannot be written; and nothing is issued.
    from docgen.generate import Generator

    def build(*_args, **_kwargs):
        raise AssertionError("built although the output name was already refused")

    monkeypatch.setattr(Generator, "build", build)
    out_dir.mkdir()
    target = out_dir / NAME
    {"folder": target.mkdir, "fifo": lambda: os.mkfifo(target), "file": lambda: target.write_bytes(b"kept")}[thing]()
    error = one_line(run("consent", patient(), "-o", out_dir), 1 if thing == "file" else 2)
    assert str(target) in error
    assert ("already exists" if thing == "file" else "not a file") in error
    assert thing != "file" or target.read_bytes() == b"kept"
