"""The floor: the consent form's content laid out directly with ReportLab platypus (no Jinja, no RML).

The content (texts, table cells, styles by name, header and footer lines) comes
from a JSON file that `run.py` extracts once from a docgen-rendered consent form,
so the floor prints the same words in the same fonts, sizes, frames and tables.
Nothing here imports docgen: run as a script, this is the floor's
single-document process (`python benchmarks/floor.py CONTENT.json OUT.pdf`), or
with a count, the floor's batch (`... CONTENT.json OUT_DIR COUNT`).

"Page i of N" is done the cheapest way bare ReportLab offers, in one pass: the
canvas keeps each finished page and draws the footers when it saves, once the
total is known (the well-known "numbered canvas" recipe). `two_pass=True`
instead lays the document out twice, as z3c.rml's multiBuild does for
`<getName id="lastPage"/>`, to measure what the second pass costs.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    KeepTogether,
    ListFlowable,
    ListItem,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

PAGE = (595.27, 841.89)
FONTS = {
    "Atkinson": "AtkinsonHyperlegible-Regular.ttf",
    "Atkinson-Bold": "AtkinsonHyperlegible-Bold.ttf",
    "DejaVuSans": "DejaVuSans.ttf",
    "DejaVuSans-Bold": "DejaVuSans-Bold.ttf",
}

# The standard-print styles of templates/_page.rml.j2, written as ReportLab styles.
_body = ParagraphStyle("body", fontName="Atkinson", fontSize=12, leading=17, spaceAfter=6)
STYLES = {
    "body": _body,
    "cell": ParagraphStyle("cell", parent=_body, spaceAfter=0),
    "cellhead": ParagraphStyle("cellhead", parent=_body, fontName="Atkinson-Bold", spaceAfter=0),
    "identity": ParagraphStyle("identity", fontName="Atkinson", fontSize=12, leading=17),
    "footer": ParagraphStyle("footer", fontName="Atkinson", fontSize=10, leading=13),
    "doctitle": ParagraphStyle("doctitle", fontName="Atkinson-Bold", fontSize=20, leading=27,
                               spaceAfter=12),
    "heading": ParagraphStyle("heading", fontName="Atkinson-Bold", fontSize=15, leading=21,
                              spaceBefore=12, spaceAfter=6, keepWithNext=1),
    "signhead": ParagraphStyle("signhead", parent=_body, fontName="Atkinson-Bold", spaceBefore=12),
    "notice": ParagraphStyle("notice", parent=_body, fontName="Atkinson-Bold", borderWidth=1.5,
                             borderColor=colors.black, borderPadding=6, spaceBefore=8,
                             spaceAfter=14),
}
_GRID = [
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("FONT", (0, 0), (-1, -1), "Atkinson"),
    ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
    ("TOPPADDING", (0, 0), (-1, -1), 5),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
    ("LEFTPADDING", (0, 0), (-1, -1), 6),
    ("RIGHTPADDING", (0, 0), (-1, -1), 6),
]
TABLE_STYLES = {
    "grid": TableStyle(_GRID),
    "risks": TableStyle(_GRID + [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8E8E8"))]),
}


def register_fonts(font_dir: Path) -> None:
    """Parse the same TrueType files docgen ships, once per process."""
    for name, file in FONTS.items():
        pdfmetrics.registerFont(TTFont(name, str(font_dir / file)))
    for family in ("Atkinson", "DejaVuSans"):
        pdfmetrics.registerFontFamily(family, normal=family, bold=f"{family}-Bold",
                                      italic=family, boldItalic=f"{family}-Bold")


def flowables(items: list) -> list:
    """Platypus flowables for the story items of the content file."""
    out = []
    for item in items:
        kind = item[0]
        if kind == "para":
            out.append(Paragraph(item[2], STYLES[item[1]]))
        elif kind == "spacer":
            out.append(Spacer(0, item[1]))
        elif kind == "keep":
            out.append(KeepTogether(flowables(item[1])))
        elif kind == "ul":
            attrs, entries = item[1], item[2]
            out.append(ListFlowable(
                [ListItem(flowables(entry)) for entry in entries], bulletType="bullet",
                start=attrs["start"], bulletFontName=attrs["bulletFontName"],
                bulletFontSize=float(attrs["bulletFontSize"]), leftIndent=float(attrs["leftIndent"]),
            ))
        elif kind == "table":
            _, style, widths, heights, repeat, rows = item
            cells = [[flowables(cell) for cell in row] for row in rows]
            out.append(Table(cells, colWidths=widths, rowHeights=heights, repeatRows=repeat,
                             style=TABLE_STYLES[style]))
        else:
            raise ValueError(f"unknown story item {kind!r}")
    return out


def _page_graphics(canvas: Canvas, page: dict) -> None:
    canvas.saveState()
    canvas.setFont("Atkinson", 10)
    canvas.setFillColor(colors.black)
    canvas.drawString(42, 807.89, page["hospital_line"])
    canvas.setLineWidth(0.8)
    canvas.setStrokeColor(colors.black)
    canvas.line(42, 759.89, 553.27, 759.89)
    canvas.line(42, 80, 553.27, 80)
    Frame(42, 767.89, 511, 32, showBoundary=0).addFromList(
        [Paragraph(page["identity"], STYLES["identity"])], canvas)
    canvas.restoreState()


def _footer(canvas: Canvas, page: dict, number: int, total: int | str) -> None:
    canvas.saveState()
    lines = [page["footer"][0].format(page=number, total=total), page["footer"][1]]
    Frame(42, 30, 511, 48, showBoundary=0).addFromList(
        [Paragraph(line, STYLES["footer"]) for line in lines], canvas)
    canvas.restoreState()


class _NumberedCanvas(Canvas):
    """Keeps every page until save(), then draws the footers with the total known."""

    page_content: dict = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._saved_pages: list[dict] = []

    def showPage(self):  # noqa: N802 (ReportLab's name)
        self._saved_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._saved_pages)
        for number, state in enumerate(self._saved_pages, start=1):
            self.__dict__.update(state)
            _footer(self, self.page_content, number, total)
            super().showPage()
        super().save()


def build(content: dict, two_pass: bool = False) -> tuple[bytes, int]:
    """One consent form as PDF bytes, and its page count."""
    page, meta = content["page"], content["meta"]

    def make(total: int | str | None) -> tuple[bytes, int]:
        out = io.BytesIO()
        doc = BaseDocTemplate(out, pagesize=PAGE, leftMargin=42, rightMargin=42, topMargin=42,
                              bottomMargin=42, invariant=1, pageCompression=1, **meta)

        def on_page(canvas, _doc):
            _page_graphics(canvas, page)
            if total is not None:
                _footer(canvas, page, canvas.getPageNumber(), total)

        doc.addPageTemplates([PageTemplate(
            id="page", frames=[Frame(42, 88, 511, 663.89, id="body")], onPage=on_page)])
        if total is None:
            canvas_class = type("NumberedCanvas", (_NumberedCanvas,), {"page_content": page})
            doc.build(flowables(content["story"]), canvasmaker=canvas_class)
        else:
            doc.build(flowables(content["story"]))
        return out.getvalue(), doc.page

    if not two_pass:
        return make(None)
    _, pages = make("")  # first pass: lay out to learn the total, as multiBuild does
    return make(pages)


def main(argv: list[str]) -> None:
    """floor.py CONTENT.json OUT.pdf, or floor.py CONTENT.json OUT_DIR COUNT for a batch."""
    content_file, out = Path(argv[1]), Path(argv[2])
    content = json.loads(content_file.read_text(encoding="utf-8"))
    register_fonts(Path(content["font_dir"]))
    if len(argv) < 4:
        out.write_bytes(build(content)[0])
        return
    out.mkdir(parents=True, exist_ok=True)
    for i in range(int(argv[3])):
        (out / f"floor-{i}.pdf").write_bytes(build(content)[0])


if __name__ == "__main__":
    main(sys.argv)
