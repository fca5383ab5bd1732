"""Fonts: names in any script the shipped fonts cover print and extract exactly; others are refused.

ReportLab has no font fallback of its own: a glyph missing from the font prints
as an empty box and extracts as U+0000. These tests read the PDFs back.
"""

from __future__ import annotations

import unicodedata

import pdfplumber
import pytest
from conftest import BASE_PATIENT, flat
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph

from docgen.generate import Generator, Options
from docgen.input.records import DOCUMENTS
from docgen.layout import fonts

NAMES = {  # given name, family name
    "latin": ("Zoë Siobhán", "Łukasiewicz-Ó Briain"),
    "vietnamese": ("Nguyễn Thị", "Minh Khai"),
    "greek": ("Αλέξανδρος", "Παπαδόπουλος"),
    "cyrillic": ("Анна", "Кузнецова"),
}


@pytest.fixture(scope="module")
def generators():
    return {document: Generator(document, Options()) for document in DOCUMENTS}


def chars_by_text(path) -> tuple[str, list[dict]]:
    with pdfplumber.open(str(path)) as pdf:
        chars = [c for page in pdf.pages for c in page.chars]
        return "\n".join(page.extract_text() for page in pdf.pages), chars


def check_names(generator, tmp_path, given: str, family: str, large: bool) -> None:
    raw = {**BASE_PATIENT, "given_name": given, "family_name": family,
           "clinician": f"Dr {given} {family}", "large_print": "yes" if large else "no"}
    path = tmp_path / "doc.pdf"
    path.write_bytes(generator.build(generator.case(raw, source="test")).pdf)
    text, chars = chars_by_text(path)
    assert "\x00" not in text and "\ufffd" not in text
    with pdfplumber.open(str(path)) as pdf:
        for page in pdf.pages:
            assert f"{family}, {given}" in flat(page.extract_text())  # the header on every page
    # the identity table, where a long name may wrap (at a space or after a hyphen)
    assert "".join(f"{given} {family}".split()) in "".join(text.split())
    for c in chars:
        if not fonts.in_main(c["text"]):
            face = c["fontname"].split("+", 1)[-1]
            assert face.startswith("DejaVuSans"), (c["text"], face)  # drawn with the fallback


@pytest.mark.parametrize("script", NAMES)
def test_names_in_each_script_extract_exactly(generators, tmp_path, script):
    check_names(generators["consent"], tmp_path, *NAMES[script], large=False)


@pytest.mark.parametrize("large", [False, True], ids=["standard", "large"])
@pytest.mark.parametrize("document", DOCUMENTS)
def test_names_mixing_scripts_extract_exactly_from_both_documents_and_sizes(generators, tmp_path,
                                                                            document, large):
    given = " ".join(given for given, _ in NAMES.values())
    family = "-".join(family for _, family in NAMES.values()).replace(" ", "-")
    check_names(generators[document], tmp_path, given, family, large)


def test_fallback_keeps_the_bold_of_the_name_in_the_header(generators, tmp_path):
    generator = generators["aftercare"]
    raw = {**BASE_PATIENT, "given_name": "Анна", "family_name": "Кузнецова"}
    path = tmp_path / "doc.pdf"
    path.write_bytes(generator.build(generator.case(raw, source="test")).pdf)
    with pdfplumber.open(str(path)) as pdf:
        header = [c for c in pdf.pages[0].chars if c["text"] in "Кузнецова" and c["top"] < 60]
    assert header and {c["fontname"].split("+", 1)[-1] for c in header} == {"DejaVuSans-Bold"}


def test_decomposed_input_prints_composed(generators, tmp_path):
    generator = generators["consent"]
    decomposed = unicodedata.normalize("NFD", "Nguyễn")
    raw = {**BASE_PATIENT, "family_name": decomposed}
    path = tmp_path / "doc.pdf"
    path.write_bytes(generator.build(generator.case(raw, source="test")).pdf)
    text, _ = chars_by_text(path)
    assert "Nguyễn, Ada" in flat(text)


@pytest.mark.parametrize(("field", "value", "code", "why"), [
    ("given_name", "Ada 漢", "U+6F22", "no shipped font"),
    ("family_name", "Example 🧑", "U+1F9D1", "no shipped font"),
    ("clinician", "Dr 김", "U+AE40", "no shipped font"),
    ("mrn", "A-1 ᚠ", "U+16A0", "no shipped font"),
    # DejaVu Sans has this glyph, but ReportLab writes a broken text map for it: it would not read back
    ("given_name", "Ada 😀", "U+1F600", "would not read back"),
    # DejaVu Sans has these glyphs, but ReportLab would set them left to right, unjoined
    ("family_name", "דוד", "U+05D3", "right-to-left"),
    ("given_name", "محمد", "U+0645", "right-to-left"),
])
def test_a_character_that_cannot_be_printed_is_refused_naming_the_field(run, patient, out_dir,
                                                                        field, value, code, why):
    result = run("consent", patient(**{field: value}), "-o", out_dir)
    assert result.exit_code == 1
    assert field in result.stderr and code in result.stderr and why in result.stderr
    assert not out_dir.exists() or not any(out_dir.iterdir())


def test_undrawable_names_every_missing_character_once():
    assert fonts.undrawable("Anna Кузнецова Nguyễn Αλέξανδρος ☃") is None
    reason = fonts.undrawable("漢字 漢 🧑")
    assert reason == "has characters no shipped font can print (U+6F22, U+5B57, U+1F9D1)"


@pytest.mark.parametrize("text", [
    "Example, Ada · Born 2 March 1941 · MRN TEST-0001",
    "Papadopoulou-Κωνσταντινίδου Кузнецова-Łukasiewicz Ó Briain, Nguyễn Thị Minh Khai · Born 2 March 1941",
    "Wolfeschlegelsteinhausenbergerdorffwolfeschlegelsteinhausenbergerdorffwolfeschlegelsteinhausen x y",
    "a " * 150,
])
@pytest.mark.parametrize("size", [12, 16])
def test_line_count_is_never_fewer_than_reportlab_wraps_to(text, size):
    """Templates size the header and footer from line_count: too few lines would overflow them."""
    fonts.register()
    width = 511
    for face in (fonts.MAIN, f"{fonts.MAIN}-Bold"):
        style = ParagraphStyle("t", fontName=face, fontSize=size, leading=size)
        # the fallback font for what the main font lacks, as apply_fallback arranges
        markup = "".join(f'<font name="{fonts.FALLBACK}{"-Bold" if face.endswith("Bold") else ""}">{run}</font>'
                         if fallback else run for fallback, run in fonts.runs(text))
        wrapped = Paragraph(markup, style)
        _, height = wrapped.wrap(width, 10_000)
        assert fonts.line_count(text, size, width) >= round(height / size)
