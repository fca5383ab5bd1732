"""Per-page scan codes: a QR code naming patient, document and page, placed by the template.

Signed pages are scanned back and filed by barcode, so every page needs its own
code. z3c.rml 5.2 does not evaluate <pageNumber/> inside <barCode>, so the
template declares the code with a docgen element inside <pageTemplate>:

    <scanCode x="493" y="18" size="60" labelX="485" labelY="20" labelSize="10" labelWidth="443"
              labelAlign="right">
      DOCGEN|{{ case.mrn }}|{{ document }}|{{ document_id }}|p<pageNumber/>
    </scanCode>

`take` reads and removes it before z3c.rml sees the tree, and the canvas that
z3c.rml is given draws the code, with the same text beside it for people, just
before each page is finished, when the page number is known.
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass

from lxml import etree

from ..errors import TemplateError
from . import fonts
from .thirdparty import Canvas, qr_code, qr_lay_out, qr_mask_differs

ELEMENT = "scanCode"
LEVELS = ("L", "M", "Q", "H")
QUIET_ZONE = 4  # modules of white around the code, as the QR standard asks
_NUMBERS = {"x": None, "y": None, "size": None, "labelX": None, "labelY": None, "labelSize": 9.0,
            "labelWidth": 0.0}
_CHOICES = {"level": ("M", LEVELS), "labelAlign": ("left", ("left", "right"))}


@dataclass(frozen=True)
class ScanCode:
    """Where and what to draw on every page; the text is split around the page number."""

    before: str
    after: str
    x: float
    y: float
    size: float  # width and height of the square, quiet zone included
    label_x: float
    label_y: float
    label_size: float
    label_width: float = 0.0  # the most the label may take; 0: no limit
    level: str = "M"
    label_align: str = "left"

    def text(self, page: int) -> str:
        return f"{self.before}{page}{self.after}"


def take(root: etree._Element, template: str) -> ScanCode | None:
    """Read the document's <scanCode> and remove it from the tree; None when there is none."""
    found = list(root.iter(ELEMENT))
    if not found:
        return None
    if len(found) > 1:
        raise TemplateError(f"{template}: line {found[1].sourceline}: only one <{ELEMENT}> per document")
    el = found[0]
    where = f"{template}: line {el.sourceline}: <{ELEMENT}>"
    parent = el.getparent()
    if parent is None or parent.tag != "pageTemplate":
        raise TemplateError(f"{where} belongs inside <pageTemplate>")
    children = list(el)
    if len(children) != 1 or children[0].tag != "pageNumber" or len(children[0]):
        raise TemplateError(f"{where} must contain its text and exactly one <pageNumber/>, "
                            "so that no two pages share a code")
    unknown = set(el.attrib) - set(_NUMBERS) - set(_CHOICES)
    if unknown:
        raise TemplateError(f"{where} has unknown attributes: {', '.join(sorted(unknown))}")
    numbers = {name: _number(el, name, default, where) for name, default in _NUMBERS.items()}
    choices = {name: _choice(el, name, default, known, where)
               for name, (default, known) in _CHOICES.items()}
    before = (el.text or "").lstrip()
    after = (children[0].tail or "").rstrip()
    if not before.strip():
        raise TemplateError(f"{where} needs text before <pageNumber/>")
    parent.remove(el)
    return ScanCode(
        before=before, after=after, x=numbers["x"], y=numbers["y"], size=numbers["size"],
        label_x=numbers["labelX"], label_y=numbers["labelY"], label_size=numbers["labelSize"],
        label_width=numbers["labelWidth"],
        level=choices["level"], label_align=choices["labelAlign"],
    )


def _number(el: etree._Element, name: str, default: float | None, where: str) -> float:
    value = el.get(name)
    if value is None:
        if default is None:
            raise TemplateError(f"{where} needs the attribute {name}")
        return default
    try:
        number = float(value)
    except ValueError:
        raise TemplateError(f"{where} {name}={value!r} is not a number") from None
    if not 0 <= number <= 2000:
        raise TemplateError(f"{where} {name}={value!r} is off the page")
    return number


def _choice(el: etree._Element, name: str, default: str, known: tuple[str, ...], where: str) -> str:
    value = el.get(name, default)
    if value not in known:
        raise TemplateError(f"{where} {name}={value!r} is not one of {', '.join(known)}")
    return value


@functools.lru_cache(maxsize=256)
def modules(text: str, level: str) -> tuple[tuple[bool, ...], ...]:
    """The QR matrix for a text (UTF-8, error correction level L/M/Q/H), dark modules True.

    Exactly ReportLab's QRCode.make(), except that the mask is chosen by `_best_mask`,
    which scores the eight candidates as ReportLab does in a third of the time (every
    page has a code of its own, so this ran for every page of every document).
    """
    qr = qr_code(text, level)
    return tuple(map(tuple, qr_lay_out(qr, _best_mask(qr))))


# --- the mask: ReportLab's choice, made faster (tests/test_scancode.py compares the two) ---

_FINDER_LIKE = "10111010000"
_RUNS = re.compile(r"0{5,}|1{5,}")
_FLIPS: dict[int, list[list[tuple[int, int]]]] = {}


def _best_mask(qr) -> int:
    """The mask ReportLab's QRCode.getBestMaskPattern picks, from one layout instead of eight.

    ReportLab lays the code out once per mask and scores each with Python loops over
    every module. Laid out once with mask 0, every other candidate differs only in
    the data modules where its mask differs from mask 0; each is scored on rows of
    '0'/'1' text with the same rules, the lowest score winning and the first on a tie.
    """
    base = [["1" if dark else "0" for dark in row] for row in qr_lay_out(qr, 0, test=True)]
    best, best_score = 0, -1
    for pattern, flips in enumerate(_flips(qr)):
        rows = [row[:] for row in base]
        for row, col in flips:
            rows[row][col] = "0" if rows[row][col] == "1" else "1"
        score = _lost_point(["".join(row) for row in rows])
        if best_score < 0 or score < best_score:
            best, best_score = pattern, score
    return best


def _flips(qr) -> list[list[tuple[int, int]]]:
    """Per mask, the data modules it colours unlike mask 0; they depend on the version only."""
    if qr.version not in _FLIPS:
        _FLIPS[qr.version] = [qr_mask_differs(qr, pattern) for pattern in range(8)]
    return _FLIPS[qr.version]


def _lost_point(rows: list[str]) -> int:
    """ReportLab's QRUtil.getLostPoint on rows of '0'/'1', its quirks included."""
    n = len(rows)
    score = 0
    # Runs of five or more of one colour, along rows and columns: length - 2 each.
    for line in rows + ["".join(column) for column in zip(*rows, strict=True)]:
        score += sum(run.end() - run.start() - 2 for run in _RUNS.finditer(line))
    # Every 2x2 block of one colour, overlapping: 3 each (bit i of a row is column i).
    full = (1 << n) - 1
    bits = [int(line[::-1], 2) for line in rows]
    for above, row in itertools.pairwise(bits):
        same_down = ~(row ^ above) & full
        same_left = ~(row ^ (row << 1)) & full
        score += 3 * (same_left & same_down & (same_down << 1) & (full - 1)).bit_count()
    # The finder-like pattern, non-overlapping, starting before n - 11, along rows only:
    # ReportLab compares its columns (tuples) with a list, which never matches.
    limit = n - len(_FINDER_LIKE)
    for line in rows:
        j = line.find(_FINDER_LIKE)
        while 0 <= j < limit:
            score += 40
            j = line.find(_FINDER_LIKE, j + len(_FINDER_LIKE))
    # The balance of dark and light.
    dark = sum(line.count("1") for line in rows)
    return score + 10 * (abs(100 * dark // (n * n) - 50) // 5)


def draw(canvas: Canvas, code: ScanCode, page: int) -> None:
    """Draw the page's code and, beside it, the same text for people."""
    text = code.text(page)
    matrix = modules(text, code.level)
    count = len(matrix) + 2 * QUIET_ZONE
    box = code.size / count
    canvas.saveState()
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(code.x, code.y, code.size, code.size, stroke=0, fill=1)  # keep the quiet zone clear
    canvas.setFillColorRGB(0, 0, 0)
    path = canvas.beginPath()
    for r, row in enumerate(matrix):
        top = code.y + code.size - (r + QUIET_ZONE) * box
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            path.rect(code.x + (start + QUIET_ZONE) * box, top - box, (c - start) * box, box)
    canvas.drawPath(path, stroke=0, fill=1)
    _label(canvas, code, text)
    canvas.restoreState()


def _label(canvas: Canvas, code: ScanCode, text: str) -> None:
    # The label may hold a name-like MRN: switch to the fallback font where the main one lacks a glyph.
    runs = [(fonts.FALLBACK if fallback else fonts.MAIN, run) for fallback, run in fonts.runs(text)]
    size = code.label_size
    width = sum(canvas.stringWidth(run, font, size) for font, run in runs)
    if code.label_width and width > code.label_width:
        # An unusually long MRN: a smaller label rather than one that runs off the page.
        size, width = size * code.label_width / width, code.label_width
    x = code.label_x - width if code.label_align == "right" else code.label_x
    for font, run in runs:
        canvas.setFont(font, size)
        canvas.drawString(x, code.label_y, run)
        x += canvas.stringWidth(run, font, size)


class ScanCodeCanvas(Canvas):
    """A ReportLab canvas that draws the template's scan code on every page it finishes."""

    def __init__(self, *args, scan_code: ScanCode, **kwargs):
        super().__init__(*args, **kwargs)
        self._scan_code = scan_code

    def showPage(self):  # noqa: N802 (ReportLab's name)
        draw(self, self._scan_code, self.getPageNumber())
        super().showPage()


def canvas_maker(code: ScanCode):
    """What z3c.rml's Document takes as canvasClass: makes canvases that draw this code."""
    return functools.partial(ScanCodeCanvas, scan_code=code)
