"""Print-ready and scan-back: a scan code on every page, Clear Print type, nothing off the page or overlapping.

Every test reads the PDF back: pages are rendered with pdftoppm and their codes
decoded with zbar, as a scanning system would; characters, lines and boxes are
read with pdfplumber. The documents are built once per module and shared.
"""

from __future__ import annotations

import csv
import functools
import itertools
import shutil
import subprocess
import tempfile
from pathlib import Path

import pdfplumber
import pytest
from conftest import BASE_PATIENT, flat
from lxml import etree
from PIL import Image
from pyzbar.pyzbar import decode

from docgen import resources
from docgen.errors import TemplateError
from docgen.generate import Generator, Options
from docgen.input.records import DOCUMENTS, MAX_TEXT, PROCEDURES
from docgen.layout import scancode

VARIANTS = list(itertools.product(DOCUMENTS, PROCEDURES, (False, True)))
IDS = [f"{d}-{p}-{'large' if large else 'standard'}" for d, p, large in VARIANTS]
# The usual code's modules are about 1.4 pt wide: 2.3 pixels at 120 dpi, enough for zbar
# and quicker to render than the 200-300 dpi a scanning room uses. A long MRN makes a
# denser code, read here at 200 dpi, the usual lowest setting for scanning documents.
SCAN_DPI = 120
DOCUMENT_SCAN_DPI = 200
PRINTABLE_MARGIN = 14  # 5 mm: what most office printers cannot print at the sheet's edge
ALLOWED_FACES = {"AtkinsonHyperlegible-Regular", "AtkinsonHyperlegible-Bold", "DejaVuSans", "DejaVuSans-Bold"}
LONG = {  # every text field as long as a record allows, in several scripts
    "given_name": ("Wolfeschlegelsteinhausenbergerdorff Maximilian Alexander Bartholomew "
                   "Nguyễn Thị Minh Khai Anna-Maria Christopher")[:MAX_TEXT],
    "family_name": ("Papadopoulou-Κωνσταντινίδου Кузнецова-Łukasiewicz Ó Briain Smith-Jones "
                    "Featherstonehaugh Cholmondeley Marjoribanks")[:MAX_TEXT],
    "clinician": ("Dr Wolfeschlegelsteinhausenbergerdorff Maximilian Alexander Bartholomew "
                  "Christopher Featherstonehaugh Smith-Jones")[:MAX_TEXT],
    "mrn": "RJ1-0000000000-LONG-HOSPITAL-NUMBER-42",
}


def build(generators, document: str, **fields):
    generator = generators[document]
    return generator.build(generator.case({**BASE_PATIENT, **fields}, source="test"))


@pytest.fixture(scope="module")
def generators():
    return {document: Generator(document, Options()) for document in DOCUMENTS}


@pytest.fixture(scope="module")
def documents(generators, tmp_path_factory):
    """Both documents, both procedures, standard and large print: (Built, path) by variant."""
    folder = tmp_path_factory.mktemp("print")
    made = {}
    for document, procedure, large in VARIANTS:
        built = build(generators, document, procedure=procedure, large_print="yes" if large else "no")
        path = folder / f"{document}-{procedure}-{large}.pdf"
        path.write_bytes(built.pdf)
        made[document, procedure, large] = (built, path)
    return made


@pytest.fixture(scope="module")
def long_documents(generators, tmp_path_factory):
    """Both documents, standard and large print, with every text field at its longest."""
    folder = tmp_path_factory.mktemp("long")
    made = {}
    for document, large in itertools.product(DOCUMENTS, (False, True)):
        built = build(generators, document, large_print="yes" if large else "no", **LONG)
        path = folder / f"{document}-{large}.pdf"
        path.write_bytes(built.pdf)
        made[document, large] = (built, path)
    return made


@pytest.fixture(params=VARIANTS, ids=IDS)
def variant(request, documents):
    document, procedure, large = request.param
    built, path = documents[request.param]
    return document, large, built, path


@functools.cache
def scan(path: Path, dpi: int = SCAN_DPI, corner: bool = False) -> tuple[tuple[str, ...], ...]:
    """The codes zbar finds on each page, rendered as a scanner would see the sheet.

    corner: render only the bottom-right corner where the code sits, much quicker
    at high resolution than the whole page.
    """
    crop = []
    if corner:
        px = dpi / 72
        crop = ["-x", str(int(470 * px)), "-y", str(int(740 * px)), "-W", str(int(110 * px)),
                "-H", str(int(100 * px))]
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "pdftoppm not found: install poppler-utils (and libzbar0), as .ci/run does"
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run([pdftoppm, "-r", str(dpi), "-gray", "-png", *crop, str(path), f"{folder}/page"],  # noqa: S603
                       check=True, capture_output=True)
        pages = sorted(Path(folder).glob("page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
        return tuple(tuple(code.data.decode("utf-8") for code in decode(Image.open(page)))
                     for page in pages)


def page_count(path: Path) -> int:
    with pdfplumber.open(str(path)) as pdf:
        return len(pdf.pages)


# --- scan codes ---------------------------------------------------------------------------------

def test_every_page_carries_its_own_code_with_mrn_document_id_and_page(variant):
    document, _, built, path = variant
    codes = scan(path)
    assert len(codes) == page_count(path) >= 2
    for number, found in enumerate(codes, start=1):
        assert found == (f"DOCGEN|TEST-0001|{document}|{built.document_id}|p{number}",), number
    assert len({c for page in codes for c in page}) == len(codes)  # no two pages share a code


def test_code_text_is_printed_beside_the_code_and_id_in_the_footer(variant):
    _, _, built, path = variant
    codes = scan(path)
    with pdfplumber.open(str(path)) as pdf:
        for page, (code,) in zip(pdf.pages, codes, strict=True):
            assert code in flat(page.extract_text())
            assert f"Document {built.document_id}" in flat(page.extract_text())
            square = qr_box(page)
            label = [w for w in page.extract_words() if w["text"] == code]
            assert len(label) == 1
            # beside it: left of the square, level with its lower half
            assert label[0]["x1"] <= square[0] and square[1] < label[0]["top"] < square[3]


def test_code_survives_long_names_and_a_long_mrn(long_documents):
    for (document, _), (built, path) in long_documents.items():
        codes = scan(path, DOCUMENT_SCAN_DPI, corner=True)
        assert codes == tuple((f"DOCGEN|{LONG['mrn']}|{document}|{built.document_id}|p{n}",)
                              for n in range(1, len(codes) + 1))


def test_same_input_gives_the_same_pdf_and_codes(generators, documents, tmp_path):
    built, path = documents["aftercare", "kyphoplasty", True]
    again = build(generators, "aftercare", procedure="kyphoplasty", large_print="yes")
    assert again.pdf == built.pdf and again.document_id == built.document_id
    copy = tmp_path / "again.pdf"
    copy.write_bytes(again.pdf)
    assert scan(copy) == scan(path)


def test_document_ids_differ_between_documents_and_print_sizes(documents):
    ids = {built.document_id for built, _ in documents.values()}
    assert len(ids) == len(documents)


def test_batch_manifest_records_the_id_each_page_carries(run, tmp_path, out_dir):
    listing = tmp_path / "list.csv"
    rows = [{**BASE_PATIENT, "mrn": f"TEST-{i}", "large_print": large} for i, large in ((1, "no"), (2, "yes"))]
    with listing.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    for _ in range(2):  # the second run leaves the files and still records their ids
        result = run("batch", listing, "--document", "aftercare", "-o", out_dir, "--jobs", "1")
        assert result.exit_code == 0, result.output
        with (out_dir / "manifest.csv").open(encoding="utf-8-sig", newline="") as handle:
            lines = list(csv.DictReader(handle))
        assert len(lines) == 2
        for line in lines:
            codes = scan(out_dir / line["file"], corner=True)
            assert len(line["document_id"]) == 12
            assert codes == tuple((f"DOCGEN|{line['mrn']}|aftercare|{line['document_id']}|p{n}",)
                                  for n in range(1, len(codes) + 1))
        scan.cache_clear()


def qr_box(page) -> tuple[float, float, float, float]:
    """The scan code's square (x0, top, x1, bottom): its white quiet-zone background."""
    squares = [r for r in page.rects if r["fill"] and abs(r["width"] - r["height"]) < 0.5 and r["width"] > 40]
    assert len(squares) == 1
    return squares[0]["x0"], squares[0]["top"], squares[0]["x1"], squares[0]["bottom"]


# --- Clear Print: sizes, faces, capitals ---------------------------------------------------------

def rules(page) -> tuple[float, float]:
    """The header and footer rules: the topmost and bottommost full-width lines."""
    full = [line["top"] for line in page.lines
            if line["x1"] - line["x0"] > 500 and abs(line["top"] - line["bottom"]) < 0.1]
    return min(full), max(full)


def test_body_text_is_at_least_12_or_16_pt(variant):
    """Body: everything between the header and footer rules. Page furniture outside them
    (hospital line, footer, the code's label) is at least 10 pt, 14 pt in large print."""
    _, large, _, path = variant
    body, furniture = (16, 14) if large else (12, 10)
    with pdfplumber.open(str(path)) as pdf:
        for page in pdf.pages:
            top, bottom = rules(page)
            chars = [c for c in page.chars if c["text"].strip()]
            inside = [c for c in chars if top < c["top"] and c["bottom"] < bottom]
            assert inside and min(round(c["size"], 1) for c in inside) >= body
            assert min(round(c["size"], 1) for c in chars) >= furniture
            # the identity in the header is read by people: body size too
            assert min(round(c["size"], 1) for c in chars if c["fontname"].endswith("-Bold")
                       and c["top"] < top) >= body


def test_text_is_upright_in_the_shipped_faces_and_never_a_block_of_capitals(variant):
    _, _, _, path = variant
    with pdfplumber.open(str(path)) as pdf:
        for page in pdf.pages:
            assert {c["fontname"].split("+", 1)[-1] for c in page.chars} <= ALLOWED_FACES
            for line in page.extract_text_lines():
                letters = [ch for ch in line["text"] if ch.isalpha()]
                assert not (len(letters) >= 12 and all(ch.isupper() for ch in letters)), line["text"]


def test_body_is_left_aligned_with_a_ragged_right_edge(documents):
    """Justified text would end every full line at the frame's right edge."""
    _, path = documents["consent", "vertebroplasty", False]
    with pdfplumber.open(str(path)) as pdf:
        page = pdf.pages[0]
        top, bottom = rules(page)
        lines = [ln for ln in page.extract_text_lines() if top < ln["top"] < bottom and ln["x0"] < 43]
        paragraph_lines = [ln for ln in lines if len(ln["text"]) > 60]
        assert len(paragraph_lines) >= 5
        assert {round(ln["x0"]) for ln in paragraph_lines} == {42}
        assert len({round(ln["x1"]) for ln in paragraph_lines}) > len(paragraph_lines) // 2


def test_no_page_ends_with_a_heading(variant):
    _, large, _, path = variant
    heading = (16 if large else 12) + 3
    with pdfplumber.open(str(path)) as pdf:
        for page in pdf.pages:
            top, bottom = rules(page)
            body = [c for c in page.chars if top < c["top"] and c["bottom"] < bottom and c["text"].strip()]
            last = max(body, key=lambda c: c["bottom"])
            assert round(last["size"]) != heading, page.page_number


def test_large_print_from_the_command_line(run, patient, out_dir):
    result = run("aftercare", patient(), "-o", out_dir, "--large-print")
    assert result.exit_code == 0, result.output
    path = Path(result.stdout.strip().splitlines()[-1])
    with pdfplumber.open(str(path)) as pdf:
        page = pdf.pages[0]
        top, bottom = rules(page)
        assert min(c["size"] for c in page.chars if top < c["top"] and c["bottom"] < bottom) >= 16


# --- layout: inside the page, nothing overlapping ------------------------------------------------

def overlaps(a, b, slack: float = 0.5) -> bool:
    return (a["x0"] + slack < b["x1"] and b["x0"] + slack < a["x1"]
            and a["top"] + slack < b["bottom"] and b["top"] + slack < a["bottom"])


def layout_faults(path: Path) -> list[str]:
    """Text off the printable page, words on top of each other, across a rule, or over the code."""
    faults = []
    with pdfplumber.open(str(path)) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            for c in page.chars:
                if not (PRINTABLE_MARGIN <= c["x0"] and c["x1"] <= page.width - PRINTABLE_MARGIN
                        and PRINTABLE_MARGIN <= c["top"] and c["bottom"] <= page.height - PRINTABLE_MARGIN):
                    faults.append(f"p{number}: {c['text']!r} outside the printable page")
            words = sorted(page.extract_words(), key=lambda w: w["top"])
            for i, a in enumerate(words):
                for b in words[i + 1:]:
                    if b["top"] >= a["bottom"]:
                        break
                    if overlaps(a, b):
                        faults.append(f"p{number}: {a['text']!r} overlaps {b['text']!r}")
            for line in page.lines:
                for w in words:
                    horizontal = abs(line["top"] - line["bottom"]) < 0.1
                    across = (w["top"] + 1 < line["top"] < w["bottom"] - 1 and line["x0"] < w["x1"]
                              and w["x0"] < line["x1"]) if horizontal else (
                        w["x0"] + 1 < line["x0"] < w["x1"] - 1 and line["top"] < w["bottom"]
                        and w["top"] < line["bottom"])
                    if across:
                        faults.append(f"p{number}: {w['text']!r} crosses a line")
            x0, top, x1, bottom = qr_box(page)
            square = {"x0": x0, "top": top, "x1": x1, "bottom": bottom}
            faults += [f"p{number}: {w['text']!r} on the code" for w in words if overlaps(w, square)]
    return faults


def test_nothing_outside_the_page_or_overlapping(variant):
    _, _, _, path = variant
    assert layout_faults(path) == []


def test_longest_names_wrap_and_nothing_overlaps(long_documents):
    for (document, large), (_, path) in long_documents.items():
        assert layout_faults(path) == [], (document, large)
        with pdfplumber.open(str(path)) as pdf:
            text = flat(" ".join(page.extract_text() for page in pdf.pages))
        for field in ("given_name", "family_name"):
            assert LONG[field] in text


# --- signature blocks ----------------------------------------------------------------------------

@pytest.mark.parametrize("large", [False, True], ids=["standard", "large"])
@pytest.mark.parametrize("fields", [{}, LONG], ids=["usual", "longest"])
def test_signature_blocks_are_whole_with_room_to_sign(generators, tmp_path, large, fields):
    built = build(generators, "consent", large_print="yes" if large else "no",
                  date_of_birth="2010-05-05", **fields)  # under 18: one more block to sign
    path = tmp_path / "consent.pdf"
    path.write_bytes(built.pdf)
    seen = []
    with pdfplumber.open(str(path)) as pdf:
        for page in pdf.pages:
            # the row labels sit in the table's left column
            labels = [w for w in page.extract_words() if 45 < w["x0"] < 52]
            names = [w["text"] for w in labels]
            # each block that starts on a page ends on it: as many Name as Time rows
            assert names.count("Name") == names.count("Time")
            seen.append(names.count("Name"))
            for sign in (w for w in labels if w["text"] == "Signature"):
                below = min(w["top"] for w in labels if w["top"] > sign["top"])
                assert below - sign["top"] >= 45  # 16 mm to sign in
    assert sum(seen) == 5  # patient, parental responsibility, clinician, witness, interpreter


# --- the template's <scanCode> -------------------------------------------------------------------

def test_a_template_without_a_scan_code_is_refused(tmp_path, patient, run):
    templates = shutil.copytree(resources.default_templates(), tmp_path / "templates")
    page = templates / "_page.rml.j2"
    text = page.read_text(encoding="utf-8")
    start, end = text.index("<scanCode"), text.index("</scanCode>") + len("</scanCode>")
    page.write_text(text[:start] + text[end:], encoding="utf-8")
    result = run("consent", patient(), "-o", tmp_path / "out", "--templates", templates)
    assert result.exit_code == 2
    assert "every page must carry a scan code" in result.stderr


@pytest.mark.parametrize(("element", "message"), [
    ('<scanCode x="1" y="1" size="50" labelX="1" labelY="1">A|p</scanCode>', "exactly one <pageNumber/>"),
    ('<scanCode x="1" y="1" size="50" labelX="1">A<pageNumber/></scanCode>', "needs the attribute labelY"),
    ('<scanCode x="1" y="1" size="big" labelX="1" labelY="1">A<pageNumber/></scanCode>', "is not a number"),
    ('<scanCode x="1" y="1" size="5" labelX="1" labelY="1" colour="red">A<pageNumber/></scanCode>',
     "unknown attributes: colour"),
    ('<scanCode x="1" y="1" size="5" labelX="1" labelY="1" level="X">A<pageNumber/></scanCode>', "level='X'"),
])
def test_scan_code_element_is_checked(element, message):
    root = etree.fromstring(f"<document><template><pageTemplate>{element}</pageTemplate></template></document>")
    with pytest.raises(TemplateError, match=message):
        scancode.take(root, "t.rml.j2")


def test_scan_code_element_is_read_and_removed():
    root = etree.fromstring('<document><template><pageTemplate><scanCode x="1" y="2" size="50" labelX="3" '
                            'labelY="4">\n  X|p<pageNumber/>|end\n</scanCode></pageTemplate></template></document>')
    code = scancode.take(root, "t")
    assert code.text(7) == "X|p7|end" and (code.x, code.y, code.size, code.level) == (1, 2, 50, "M")
    assert root.find(".//scanCode") is None
