"""The floor: the consent form's content laid out directly with ReportLab platypus (no Jinja, no RML).

The content (texts, table cells, paragraph and table styles, frames, header,
footer, rules and the per-page scan code) comes from a JSON file that `run.py`
extracts once from a docgen-rendered consent form, so the floor prints the same
words in the same fonts, sizes, frames and tables.
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

from reportlab.graphics.barcode import qrencoder
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
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
_NUMBERS = ("fontSize", "leading", "spaceAfter", "spaceBefore", "borderWidth", "borderPadding",
            "keepWithNext", "leftIndent", "firstLineIndent")
_ALIGN = {"left": 0, "center": 1, "centre": 1, "right": 2, "justify": 4}


def paragraph_styles(raw: dict[str, dict[str, str]]) -> dict[str, ParagraphStyle]:
    """The template's <paraStyle>s as ReportLab styles (attribute names are the same)."""
    styles: dict[str, ParagraphStyle] = {}
    for name, attrs in raw.items():
        kwargs: dict = {}
        for key, value in attrs.items():
            if key in ("name", "parent"):
                continue
            if key in _NUMBERS:
                kwargs[key] = float(value)
            elif key == "alignment":
                kwargs[key] = _ALIGN[value.lower()]
            elif key.endswith("Color"):
                kwargs[key] = colors.toColor(value)
            else:
                kwargs[key] = value
        parent = styles.get(attrs.get("parent", ""))
        styles[name] = ParagraphStyle(name, parent=parent, **kwargs)
    return styles


def table_styles(raw: dict[str, list]) -> dict[str, TableStyle]:
    return {name: TableStyle([
        tuple(colors.toColor(v) if isinstance(v, str) and (v.startswith("#") or v == "black") else
              tuple(v) if isinstance(v, list) else v for v in command)
        for command in commands]) for name, commands in raw.items()}


def register_fonts(font_dir: Path) -> None:
    """Parse the same TrueType files docgen ships, once per process."""
    for name, file in FONTS.items():
        pdfmetrics.registerFont(TTFont(name, str(font_dir / file)))
    for family in ("Atkinson", "DejaVuSans"):
        pdfmetrics.registerFontFamily(family, normal=family, bold=f"{family}-Bold",
                                      italic=family, boldItalic=f"{family}-Bold")


class Picture(Flowable):
    """The spine picture: the canvas operations taken from docgen's <illustration>, replayed."""

    def __init__(self, width: float, height: float, ops: list):
        super().__init__()
        self.width, self.height, self.ops = width, height, ops

    def wrap(self, *_available):
        return self.width, self.height

    def draw(self):
        canvas = self.canv
        for op, *args in self.ops:
            if op == "fill":
                canvas.setFillColor(colors.toColor(args[0]))
            elif op == "stroke":
                canvas.setStrokeColor(colors.toColor(args[0]))
            elif op == "width":
                canvas.setLineWidth(args[0])
            elif op == "rect":
                x, y, w, h, radius, fill, stroke = args
                canvas.roundRect(x, y, w, h, radius, fill=int(fill), stroke=int(stroke))
            elif op == "font":
                canvas.setFont(*args)
            elif op == "right_string":
                canvas.drawRightString(*args)
            elif op == "path":
                points, fill, stroke, close = args
                path = canvas.beginPath()
                path.moveTo(points[0], points[1])
                for i in range(2, len(points), 2):
                    path.lineTo(points[i], points[i + 1])
                if close:
                    path.close()
                canvas.drawPath(path, fill=int(fill), stroke=int(stroke))


def flowables(items: list, styles: dict, tables: dict) -> list:
    """Platypus flowables for the story items of the content file."""
    out = []
    for item in items:
        kind = item[0]
        if kind == "para":
            out.append(Paragraph(item[2], styles[item[1]]))
        elif kind == "condPageBreak":
            out.append(CondPageBreak(item[1]))
        elif kind == "spacer":
            out.append(Spacer(0, item[1]))
        elif kind == "keep":
            out.append(KeepTogether(flowables(item[1], styles, tables)))
        elif kind == "ul":
            attrs, entries = item[1], item[2]
            out.append(ListFlowable(
                [ListItem(flowables(entry, styles, tables)) for entry in entries], bulletType="bullet",
                start=attrs["start"], bulletFontName=attrs["bulletFontName"],
                bulletFontSize=float(attrs["bulletFontSize"]), leftIndent=float(attrs["leftIndent"]),
            ))
        elif kind == "picture":
            out.append(Picture(*item[1:]))
        elif kind == "table":
            _, style, widths, heights, repeat, rows = item
            cells = [[flowables(cell, styles, tables) for cell in row] for row in rows]
            out.append(Table(cells, colWidths=widths, rowHeights=heights, repeatRows=repeat,
                             style=tables[style]))
        else:
            raise ValueError(f"unknown story item {kind!r}")
    return out


def _page_graphics(canvas: Canvas, page: dict, styles: dict) -> None:
    canvas.saveState()
    canvas.setLineWidth(page["line_width"])
    canvas.setStrokeColor(colors.black)
    for x1, y1, x2, y2 in page["lines"]:
        canvas.line(x1, y1, x2, y2)
    x, y, w, h = page["header"]["box"]
    Frame(x, y, w, h, leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0).addFromList(
        [Paragraph(text, styles[style]) for style, text in page["header"]["paras"]], canvas)
    canvas.restoreState()


def _footer(canvas: Canvas, page: dict, styles: dict, number: int, total: int | str) -> None:
    canvas.saveState()
    x, y, w, h = page["footer"]["box"]
    Frame(x, y, w, h, leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0).addFromList(
        [Paragraph(text.format(page=number, total=total), styles[style])
         for style, text in page["footer"]["paras"]], canvas)
    if page.get("scan"):
        _scan_code(canvas, page["scan"], number)
    canvas.restoreState()


def _scan_code(canvas: Canvas, scan: dict, number: int) -> None:
    """The page's QR code and its text, as ReportLab's own QR encoder makes it."""
    text = f"{scan['before']}{number}{scan['after']}"
    qr = qrencoder.QRCode(None, getattr(qrencoder.QRErrorCorrectLevel, scan.get("level", "M")))
    qr.addData(text)
    qr.make()
    x, y, size = float(scan["x"]), float(scan["y"]), float(scan["size"])
    box = size / (len(qr.modules) + 8)
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    path = canvas.beginPath()
    for r, row in enumerate(qr.modules):
        for c, dark in enumerate(row):
            if dark:
                path.rect(x + (c + 4) * box, y + size - (r + 5) * box, box, box)
    canvas.drawPath(path, stroke=0, fill=1)
    label = float(scan["labelSize"])
    canvas.setFont("Atkinson", label)
    canvas.drawRightString(float(scan["labelX"]), float(scan["labelY"]), text)


class _NumberedCanvas(Canvas):
    """Keeps every page until save(), then draws the footers with the total known."""

    page_content: dict = {}
    styles: dict = {}

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
            _footer(self, self.page_content, self.styles, number, total)
            super().showPage()
        super().save()


def build(content: dict, two_pass: bool = False) -> tuple[bytes, int]:
    """One consent form as PDF bytes, and its page count."""
    page, meta = content["page"], content["meta"]
    styles = paragraph_styles(content["styles"])
    tables = table_styles(content["table_styles"])

    def make(total: int | str | None) -> tuple[bytes, int]:
        out = io.BytesIO()
        doc = BaseDocTemplate(out, pagesize=PAGE, leftMargin=42, rightMargin=42, topMargin=42,
                              bottomMargin=42, invariant=1, pageCompression=1, **meta)

        def on_page(canvas, _doc):
            _page_graphics(canvas, page, styles)
            if total is not None:
                _footer(canvas, page, styles, canvas.getPageNumber(), total)

        x, y, w, h = page["frame"]
        body = Frame(x, y, w, h, id="body", leftPadding=0, rightPadding=0, topPadding=0,
                     bottomPadding=0)  # RML's frames have no padding
        doc.addPageTemplates([PageTemplate(id="page", frames=[body], onPage=on_page)])
        story = flowables(content["story"], styles, tables)
        if total is None:
            canvas_class = type("NumberedCanvas", (_NumberedCanvas,),
                                {"page_content": page, "styles": styles})
            doc.build(story, canvasmaker=canvas_class)
        else:
            doc.build(story)
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
