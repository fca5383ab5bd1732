"""Shipped fonts: registered once per process, and a fallback for characters the main font lacks.

ReportLab has no automatic font fallback: a glyph missing from the font prints
as an empty box. The main font (Atkinson Hyperlegible, designed for low-vision
readers) lacks Vietnamese, Greek and Cyrillic, so runs of such characters are
switched to DejaVu Sans inside the paragraph, and a character neither font can
draw is refused when the record is validated.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

from lxml import etree
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from . import thirdparty

FONT_DIR = Path(__file__).parent / "fonts"
MAIN = "Atkinson"
FALLBACK = "DejaVuSans"
_FILES = {
    MAIN: ("AtkinsonHyperlegible-Regular.ttf", "AtkinsonHyperlegible-Bold.ttf"),
    FALLBACK: ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
}
# Elements whose text ReportLab sets as a paragraph, where <font> may switch fonts.
PARAGRAPH_TAGS = frozenset({"para", "title", "h1", "h2", "h3", "h4", "h5", "h6", "bulletText"})


@functools.cache
def _load() -> tuple[TTFont, ...]:
    """Parse the shipped TrueType files once per process."""
    return tuple(
        TTFont(name, str(FONT_DIR / file))
        for family, (regular, bold) in _FILES.items()
        for name, file in ((family, regular), (f"{family}-Bold", bold))
    )


def _install() -> None:
    # Every new page opens with the canvas's base font; make it ours, so that no
    # unembedded Helvetica is referenced from a patient's PDF.
    thirdparty.set_page_base_font(MAIN)
    for font in _load():
        pdfmetrics.registerFont(font)
    for family in _FILES:
        # <b> inside a paragraph picks the bold face; there is no italic (Clear Print).
        pdfmetrics.registerFontFamily(family, normal=family, bold=f"{family}-Bold",
                                      italic=family, boldItalic=f"{family}-Bold")


@functools.cache
def register() -> None:
    """Make the shipped fonts known to ReportLab, parsing each file once per process.

    z3c.rml resets ReportLab's globals, registered fonts included, at the start of
    every document. Re-installing the parsed fonts from ReportLab's own reset hook
    costs a few dictionary entries instead of re-reading the font files each time
    (thirdparty.parse_fonts_once_per_reset does the same for ReportLab's own fonts).
    """
    _install()
    thirdparty.on_reset(_install)
    thirdparty.parse_fonts_once_per_reset()


@functools.cache
def _coverage(family: str) -> frozenset[int]:
    register()
    # A character counts only if both weights have it: names print in bold and regular.
    return thirdparty.code_points(family) & thirdparty.code_points(f"{family}-Bold")


@functools.cache
def _main_chars() -> frozenset[str]:
    """Characters the main font draws, white space included (none lies above U+3000)."""
    return frozenset(map(chr, _coverage(MAIN))) | {ch for ch in map(chr, range(0x3001)) if ch.isspace()}


def in_main(ch: str) -> bool:
    return ch in _main_chars()


def undrawable(text: str) -> str | None:
    """Why the shipped fonts cannot print this text, or None when they can.

    A glyph is not enough for right-to-left scripts: ReportLab lays text out left
    to right without shaping, so Hebrew or Arabic would print reversed and, for
    Arabic, with unjoined letters. Refused too, rather than a wrong name printed; so
    are characters beyond U+FFFF (most emoji), which would not read back.
    """
    missing = [ch for ch in text if not (in_main(ch) or ord(ch) in _coverage(FALLBACK))]
    if missing:
        return f"has characters no shipped font can print ({_codes(missing)})"
    astral = [ch for ch in text if ord(ch) > 0xFFFF]
    if astral:
        # ReportLab writes their text map as an odd-length hex string: the PDF would show
        # the glyph but copy, search and screen readers would get another character.
        return f"has characters beyond U+FFFF that would not read back from the PDF ({_codes(astral)})"
    backwards = [ch for ch in text if unicodedata.bidirectional(ch) in ("R", "AL", "AN")]
    if backwards:
        return f"has right-to-left characters docgen cannot print in the right order ({_codes(backwards)})"
    return None


def _codes(chars: list[str]) -> str:
    return ", ".join(f"U+{ord(ch):04X}" for ch in dict.fromkeys(chars))


def runs(text: str) -> list[tuple[bool, str]]:
    """Split text into (needs_fallback, run) pieces."""
    runs: list[tuple[bool, str]] = []
    for ch in text:
        fallback = not in_main(ch)
        if runs and runs[-1][0] == fallback:
            runs[-1] = (fallback, runs[-1][1] + ch)
        else:
            runs.append((fallback, ch))
    return runs


def _font(text: str, bold: bool) -> etree._Element:
    # <font name=...> resets bold in ReportLab's paragraph parser: name the bold face outright.
    el = etree.Element("font", name=f"{FALLBACK}-Bold" if bold else FALLBACK)
    el.text = text
    return el


def _split_text(text: str | None, bold: bool) -> tuple[str | None, list[etree._Element]]:
    """Return the leading main-font text and the <font> elements (with tails) that follow it."""
    if not text or _main_chars().issuperset(text):  # one set test per text: most need no fallback
        return text, []
    lead = None
    made: list[etree._Element] = []
    for fallback, run in runs(text):
        if fallback:
            made.append(_font(run, bold))
        elif made:
            made[-1].tail = run
        else:
            lead = run
    return lead, made


def _bold_styles(root: etree._Element) -> frozenset[str]:
    """Names of the paragraph styles whose font, set or inherited, is a bold face."""
    styles = {el.get("name"): el for el in root.iter("paraStyle")}

    def bold(name: str | None, seen: tuple[str, ...] = ()) -> bool:
        el = styles.get(name)
        if el is None or name in seen:
            return False
        if el.get("fontName"):
            return el.get("fontName").endswith("-Bold")
        return bold(el.get("parent"), (*seen, name))

    return frozenset(name for name in styles if bold(name))


def _is_bold(node: etree._Element, para: etree._Element, bold_styles: frozenset[str]) -> bool:
    """Whether text directly inside node prints bold: the nearest <b> or named font decides."""
    for el in (node, *node.iterancestors()):
        if el is para:
            break
        if el.tag in ("b", "strong"):
            return True
        if el.tag == "font" and el.get("name"):
            return el.get("name").endswith("-Bold")
    return para.get("style") in bold_styles


def apply_fallback(root: etree._Element) -> None:
    """Wrap characters the main font lacks in <font name=FALLBACK> inside every paragraph.

    The fallback's bold face is named where the text around it is bold (a <b>, or
    a bold paragraph style), so a name keeps its weight across the font switch.
    """
    bold_styles = _bold_styles(root)
    ours = {FALLBACK, f"{FALLBACK}-Bold"}
    for para in root.iter(*PARAGRAPH_TAGS):
        for node in list(para.iter()):
            already = node.tag == "font" and node.get("name") in ours
            bold = _is_bold(node, para, bold_styles)
            lead, made = (node.text, []) if already else _split_text(node.text, bold)
            if made:
                node.text = lead
                for i, el in enumerate(made):
                    node.insert(i, el)
            if node is not para:
                parent = node.getparent()
                lead, made = _split_text(node.tail, _is_bold(parent, para, bold_styles))
                if made:
                    node.tail = lead
                    at = parent.index(node) + 1
                    for i, el in enumerate(made):
                        parent.insert(at + i, el)


# Where ReportLab may break a line: ordinary white space, never a no-break space.
_BREAKS = re.compile(r"[ \t\n\r\f\v]+")


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Width of text as printed, each run in the font that will draw it."""
    register()
    suffix = "-Bold" if bold else ""
    return sum(pdfmetrics.stringWidth(run, (FALLBACK if fallback else MAIN) + suffix, size)
               for fallback, run in runs(text))


def line_count(text: str, size: float, width: float, bold: bool = True) -> int:
    """How many lines a paragraph of this text needs, wrapped at spaces as ReportLab does.

    Templates use it to size frames whose height is fixed (header, footer), which
    z3c.rml refuses to overflow. Measured in bold by default, the wider weight, so
    that the answer is never too small for a line that mixes both.
    """
    space = text_width(" ", size, bold)
    lines, used = 1, 0.0
    for word in _BREAKS.split(text):
        if not word:
            continue
        w = text_width(word, size, bold)
        if used and used + space + w <= width:
            used += space + w
            continue
        if used:
            lines += 1
        # ReportLab splits a word longer than the line over several lines.
        while w > width:
            lines += 1
            w -= width
        used = w
    return lines
