"""Property: any text in any record field gives a PDF showing that text, or a clear validation error."""

from functools import cache

import pypdf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from docgen.errors import DocgenError, RecordError
from docgen.generate import Generator

BASE = {
    "mrn": "P-1", "given_name": "Ada", "family_name": "Example", "date_of_birth": "1941-03-02",
    "procedure": "kyphoplasty", "levels": "L1", "clinician": "Dr X", "procedure_date": "2026-11-20",
}
FIELDS = list(BASE) + ["indication", "comorbidities", "language", "large_print", "override"]
SHOWN = ("mrn", "given_name", "family_name", "clinician")  # printed verbatim on the form


@cache
def generator() -> Generator:
    return Generator("consent")


def text_of(pdf: bytes) -> str:
    import io
    return " ".join(" ".join((p.extract_text() or "").split()) for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(FIELDS), value=st.text(max_size=40))
def test_any_text_in_any_field_is_printed_or_refused_clearly(field, value):
    raw = {**BASE, field: value}
    try:
        case = generator().case(raw, source="p.yaml")
        built = generator().build(case)
    except RecordError as exc:
        assert exc.problems, "a refusal must say what is wrong"
        assert all(p.source == "p.yaml" and p.field for p in exc.problems)
        assert "\n" not in exc.message
        return
    except DocgenError as exc:  # e.g. a safety rule; still a clear one-line message
        assert "\n" not in exc.message
        return
    assert built.pdf.startswith(b"%PDF")
    if field in SHOWN:
        shown = " ".join(getattr(case, field).split())
        assert shown in text_of(built.pdf)
