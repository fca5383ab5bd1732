"""Helpers for the web tests: the sample export, CSRF tokens, waiting for jobs, reading PDFs back."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import pypdf

REPO = Path(__file__).resolve().parents[1]
COLUMN_MAP = REPO / "examples" / "synthea-columns.yaml"
PATIENT = {
    "mrn": "WEB-0001",
    "given_name": "Ada",
    "family_name": "Example",
    "date_of_birth": "1941-03-02",
    "procedure": "vertebroplasty",
    "levels": ["T12", "L1"],
    "indication": "osteoporosis",
    "clinician": "Dr Test Clinician",
    "procedure_date": "2026-11-20",
}
SYNTHEA_COLUMNS = {"mrn": "Id", "given_name": "FIRST", "family_name": "LAST",
                   "date_of_birth": "BIRTHDATE", "date_of_death": "DEATHDATE"}
SYNTHEA_SET = {"procedure": "kyphoplasty", "levels": "L1", "procedure_date": "2026-11-20"}


def sample_export() -> Path:
    """The shared Synthea export beside the checkout (CI: ../shared), else the small copy in tests/data."""
    for base in (REPO.parent, REPO.parents[1]):
        export = base / "shared" / "data" / "synthea-uk-patients.csv"
        if export.exists():
            return export
    return REPO / "tests" / "data" / "synthea-sample.csv"


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def pdf_text(data: bytes) -> tuple[int, str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def field_errors(html: str) -> dict[str, str]:
    """What the page shows beside each field, by field name (from the ids tied to the inputs)."""
    found = re.findall(r'<p class="field-error" id="([a-z_]+)-error">(.*?)</p>', html, re.S)
    return {name: re.sub(r"<[^>]+>", " ", text).replace("&#39;", "'").strip() for name, text in found}


def wait_for(check, timeout: float = 90.0, every: float = 0.25):
    """Poll check() until it returns something true; fail with what it last saw."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting; last result {result!r}")
        time.sleep(every)
