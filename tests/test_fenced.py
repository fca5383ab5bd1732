"""Each hook docgen has into ReportLab's or z3c.rml's internals still does what docgen relies on.

A failure here names the hook: a new library release changed it, and
docgen/layout/thirdparty.py must be adapted before the upper bound in
pyproject.toml is raised.
"""

import io

import pytest
from lxml import etree

from docgen.layout import fonts, thirdparty

MINIMAL = b"""<document filename="x.pdf" invariant="1">
<template><pageTemplate id="p"><frame id="f" x1="50" y1="50" width="400" height="700"/></pageTemplate></template>
<stylesheet/><story><para>one</para><nextPage/><para>two <getName id="n" default="?"/></para>
<namedString id="n">settled</namedString></story></document>"""


def hook(name):
    assert name in thirdparty.HOOKS
    return f"ReportLab/z3c.rml changed the internal docgen relies on: {name}"


def test_abort_on_invalid_directive():
    from z3c.rml import directive

    name = "z3c.rml.directive.ABORT_ON_INVALID_DIRECTIVE"
    assert hasattr(directive, "ABORT_ON_INVALID_DIRECTIVE"), hook(name)
    thirdparty.abort_on_unknown_markup()
    root = etree.fromstring(MINIMAL.replace(b"<para>one</para>", b"<paraa>one</paraa>"))
    with pytest.raises(Exception, match="paraa"):  # noqa: B017 (whatever z3c.rml raises, it must stop)
        thirdparty.lay_out(root, io.BytesIO(), None, None)


def test_document_names_and_page_count():
    name = "z3c.rml.document.Document(canvasClass=).names/.doc.page"
    fonts.register()
    made = []

    class Counting(thirdparty.Canvas):
        def showPage(self):  # noqa: N802
            made.append(self.getPageNumber())
            super().showPage()

    out = io.BytesIO()
    names, pages = thirdparty.lay_out(etree.fromstring(MINIMAL), out, Counting, {"n": "settled"})
    assert out.getvalue().startswith(b"%PDF"), hook(name)
    assert pages == 2 and made == [1, 2], hook(name)
    assert names.get("n") == "settled", hook(name)


def test_base_font_and_reset_hook():
    from reportlab import rl_config

    name = "reportlab.rl_config.canvas_basefontname"
    assert hasattr(rl_config, "canvas_basefontname"), hook(name)
    fonts.register()
    assert rl_config.canvas_basefontname == fonts.MAIN, hook(name)
    name = "reportlab.rl_config.register_reset"
    calls = []

    def record() -> None:  # ReportLab keeps only a weak reference: keep this one alive
        calls.append(1)

    thirdparty.on_reset(record)
    rl_config._reset()
    assert calls, hook(name)
    # z3c.rml resets per document; docgen's fonts must survive the reset.
    from reportlab.pdfbase import pdfmetrics

    assert pdfmetrics.getFont(fonts.MAIN).face.name, hook(name)


def test_reset_parses_each_font_once():
    from reportlab import rl_config
    from reportlab.pdfbase import ttfonts

    name = "reportlab.rl_config._reset + ttfonts.TTFont"
    fonts.register()
    assert getattr(rl_config._reset, "__wrapped__", None) is not None, hook(name)
    parsed = []
    original = ttfonts.TTFontFile.__init__

    def counting(self, *args, **kwargs):
        parsed.append(args)
        original(self, *args, **kwargs)

    ttfonts.TTFontFile.__init__ = counting
    try:
        rl_config._reset()
        rl_config._reset()
    finally:
        ttfonts.TTFontFile.__init__ = original
    assert parsed == [], hook(name)
    assert ttfonts.TTFont.__name__ == "TTFont", hook(name)


def test_code_points():
    name = "reportlab.pdfbase.pdfmetrics.getFont().face.charToGlyph"
    fonts.register()
    points = thirdparty.code_points(fonts.MAIN)
    assert ord("A") in points and ord("é") in points and 0x0416 not in points, hook(name)


@pytest.mark.parametrize("level", ["L", "M", "Q", "H"])
def test_qr_encoder(level):
    name = "reportlab.graphics.barcode.qrencoder"
    qr = thirdparty.qr_code("DOCGEN|FP-0001|consent|abc|p1", level)
    assert isinstance(qr.version, int) and qr.version >= 1, hook(name)
    chosen = thirdparty.qr_reportlab_mask(qr)
    matrix = thirdparty.qr_lay_out(qr, chosen)
    assert len(matrix) == 17 + 4 * qr.version and all(len(r) == len(matrix) for r in matrix), hook(name)
    flips = thirdparty.qr_mask_differs(qr, 3)
    assert flips and all(0 <= r < len(matrix) and 0 <= c < len(matrix) for r, c in flips), hook(name)
    from docgen.layout import scancode

    assert scancode._best_mask(thirdparty.qr_code("DOCGEN|FP-0001|consent|abc|p1", level)) == chosen, hook(name)
