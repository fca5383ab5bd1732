"""Shared fixtures: a CLI runner, patient files written on demand, and PDF read-back helpers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pdfplumber
import pypdf
import pytest
import yaml
from click.testing import CliRunner

from docgen import resources
from docgen.cli import main

BASE_PATIENT = {
    "mrn": "TEST-0001",
    "given_name": "Ada",
    "family_name": "Example",
    "date_of_birth": "1941-03-02",
    "procedure": "vertebroplasty",
    "levels": "T12;L1",
    "indication": "osteoporosis",
    "clinician": "Dr Test Clinician",
    "procedure_date": "2026-11-20",
}


# The day every test judges review dates and ages on: the suite must not depend on the calendar
# (it passes with the machine's clock years ahead, see test_clock.py).
TODAY = "2026-11-24"


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    """Every test runs in its own empty folder, so the default output/ never leaks between tests;
    and on one pinned day, whatever the machine's clock says."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DOCGEN_TODAY", TODAY)
    monkeypatch.setenv("DOCGEN_DATA", str(tmp_path / "docgen-data"))  # the register, per test
    monkeypatch.delenv("DOCGEN_DATABASE_URL", raising=False)


@pytest.fixture
def out_dir(tmp_path) -> Path:
    return tmp_path / "out"


@pytest.fixture
def risks_copy(tmp_path) -> Path:
    """A copy of the shipped risk catalogue, for a test to edit."""
    return shutil.copytree(resources.default_risks(), tmp_path / "risks")


@pytest.fixture
def patient(tmp_path):
    """Write a patient YAML file from BASE_PATIENT with overrides (None removes a field)."""

    def write(name: str = "patient.yaml", **overrides) -> Path:
        data = {**BASE_PATIENT, **overrides}
        data = {k: v for k, v in data.items() if v is not None}
        path = tmp_path / name
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        return path

    return write


@pytest.fixture
def run():
    """Invoke the docgen CLI in-process; returns click's Result (exit_code, stdout, stderr)."""
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return invoke


def pages_text(path: Path) -> list[str]:
    """The text a person would read on each page, as pypdf extracts it."""
    return [page.extract_text() or "" for page in pypdf.PdfReader(str(path)).pages]


def flat(text: str) -> str:
    return " ".join(text.split())


def font_sizes(path: Path) -> set[float]:
    with pdfplumber.open(str(path)) as pdf:
        return {round(c["size"], 1) for page in pdf.pages for c in page.chars}
