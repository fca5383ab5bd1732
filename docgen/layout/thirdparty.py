"""Every place docgen relies on ReportLab's or z3c.rml's internals, fenced in one module.

Nothing here is those libraries' documented API: each function names what it
relies on, pyproject.toml bounds both libraries to the releases this was tested
with, and tests/test_fenced.py checks every hook so that a new release that
changes one fails loudly, naming the hook, instead of printing a wrong form.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from lxml import etree
from reportlab import rl_config
from reportlab.pdfbase import ttfonts
from reportlab.pdfgen.canvas import Canvas

# z3c.rml and ReportLab's barcode package are imported where a document is laid out, not
# here: they are most of docgen's start-up, and commands that print nothing (`docgen risks`,
# `schema`, a batch's main process) never need them (benchmarks/run.py measures it).

__all__ = ["Canvas", "abort_on_unknown_markup", "code_points", "lay_out", "on_reset", "parse_fonts_once_per_reset",
           "qr_code", "qr_lay_out", "qr_mask_differs", "set_page_base_font"]

# Hook names, as tests/test_fenced.py reports them.
HOOKS = (
    "z3c.rml.directive.ABORT_ON_INVALID_DIRECTIVE",
    "z3c.rml.document.Document(canvasClass=).names/.doc.page",
    "reportlab.rl_config.canvas_basefontname",
    "reportlab.rl_config.register_reset",
    "reportlab.rl_config._reset + ttfonts.TTFont",
    "reportlab.graphics.barcode.qrencoder",
    "reportlab.pdfbase.pdfmetrics.getFont().face.charToGlyph",
)


def abort_on_unknown_markup() -> None:
    """z3c.rml only logs markup it does not know; a module flag makes it raise instead."""
    from z3c.rml import directive

    directive.ABORT_ON_INVALID_DIRECTIVE = True


def lay_out(root: etree._Element, out: io.BytesIO, canvas_class: Callable[..., Canvas] | None,
            names: dict[str, str] | None) -> tuple[dict[str, str], int]:
    """Write the PDF of an RML tree to out; return its named strings and its page count.

    Relies on z3c.rml's Document taking a canvasClass, on `Document.names` holding the
    named strings (seeded before processing so one pass suffices) and on
    `Document.doc` being ReportLab's doc template with `.page` the last page number.
    """
    from z3c.rml import document

    doc = document.Document(root, canvasClass=canvas_class)
    if names:
        doc.names = dict(names)
    doc.process(out)
    return doc.names, doc.doc.page


def set_page_base_font(name: str) -> None:
    """The font every new page opens with (ReportLab's default is an unembedded Helvetica)."""
    rl_config.canvas_basefontname = name


def code_points(font_name: str) -> frozenset[int]:
    """The characters a registered TrueType font has glyphs for (its `face.charToGlyph` map)."""
    from reportlab.pdfbase import pdfmetrics

    return frozenset(pdfmetrics.getFont(font_name).face.charToGlyph)


def on_reset(hook: Callable[[], None]) -> None:
    """Run hook whenever ReportLab's globals are reset (z3c.rml resets them per document)."""
    rl_config.register_reset(hook)


def parse_fonts_once_per_reset() -> None:
    """Let ReportLab's reset re-register the fonts it always registers without re-reading them.

    The reset z3c.rml runs before every document calls hooks (ReportLab's
    testshapes, z3c.rml's rlfix) that register ReportLab's bundled Vera fonts by
    parsing Vera.ttf and its bold and italic faces anew: eight TrueType files per
    document, which docgen's templates never use, and most of the reset's time
    (measured in benchmarks/run.py). During a reset, the same font file under the
    same name gives back the font parsed the first time. A parsed TTFont keeps its
    per-document state keyed by document, as docgen's own fonts already rely on.

    Relies on `rl_config._reset` being the function the reset calls, and on the
    hooks looking `TTFont` up in `reportlab.pdfbase.ttfonts` when they run.
    """
    original = rl_config._reset
    if getattr(original, "__wrapped__", None) is not None:
        return  # already installed in this process
    parsed: dict[tuple, ttfonts.TTFont] = {}
    real_class = ttfonts.TTFont

    class _ParsedOnce(real_class):
        def __new__(cls, name, filename, *args, **kwargs):
            key = (name, filename, args, tuple(sorted(kwargs.items())))
            if key not in parsed:
                parsed[key] = real_class(name, filename, *args, **kwargs)
            return parsed[key]  # not an instance of this class, so __init__ is not run again

    def reset() -> None:
        real, ttfonts.TTFont = ttfonts.TTFont, _ParsedOnce
        try:
            original()
        finally:
            ttfonts.TTFont = real

    reset.__wrapped__ = original  # what z3c.rml's reset costs without this (benchmarks/run.py)
    rl_config._reset = reset


# --- ReportLab's QR encoder: no public API gives the module matrix --------------------

def qr_code(text: str, level: str) -> Any:
    """ReportLab's QRCode for UTF-8 text at error-correction level L/M/Q/H, its version chosen."""
    from reportlab.graphics.barcode import qrencoder

    qr = qrencoder.QRCode(None, getattr(qrencoder.QRErrorCorrectLevel, level))
    qr.addData(text)
    qr.version = qr.calculate_version()
    return qr


def qr_lay_out(qr: Any, mask: int, *, test: bool = False) -> list[list[bool]]:
    """The module matrix (dark True) laid out with one of the eight masks; test=True as
    ReportLab does while scoring masks (format bits not final)."""
    qr.makeImpl(test, mask)
    return [[bool(m) for m in row] for row in qr.modules]


def qr_mask_differs(qr: Any, pattern: int) -> list[tuple[int, int]]:
    """The (row, col) data modules where mask `pattern` colours unlike mask 0."""
    from reportlab.graphics.barcode import qrencoder

    get_mask = qrencoder.QRUtil.getMask
    return [(row, col) for col, row in qr.dataPosIterator()
            if get_mask(0)(row, col) != get_mask(pattern)(row, col)]


def qr_reportlab_mask(qr: Any) -> int:
    """The mask ReportLab itself would choose (slow: eight layouts); tests compare with it."""
    return qr.getBestMaskPattern()
