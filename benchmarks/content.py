"""What the benchmark feeds docgen and the floor: the consent form's content, taken from
docgen's own RML so that the floor prints the same page, and invented patient lists."""

from __future__ import annotations

import csv
import html
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PATIENT = REPO / "examples" / "patient.yaml"


# --- the floor's content, taken once from a docgen-rendered consent form ----------------------

def paragraph_markup(el) -> str:
    """A paragraph element's content as ReportLab paragraph markup."""
    from lxml import etree

    text = html.escape(el.text or "", quote=False)
    for child in el:
        if child.tag == "pageNumber":
            text += "{page}" + html.escape(child.tail or "", quote=False)
        elif child.tag == "getName":
            text += "{total}" + html.escape(child.tail or "", quote=False)
        else:
            text += etree.tostring(child, encoding=str, with_tail=True)
    return text


def _items(parent) -> list:
    items: list = []
    for el in parent:
        if el.tag == "para":
            items.append(["para", el.get("style"), paragraph_markup(el)])
        elif el.tag == "spacer":
            items.append(["spacer", float(el.get("length"))])
        elif el.tag == "keepTogether":
            items.append(["keep", _items(el)])
        elif el.tag == "ul":
            items.append(["ul", dict(el.attrib), [_items(li) for li in el.iter("li")]])
        elif el.tag == "blockTable":
            widths = el.get("colWidths").split()
            heights = [float(h) for h in el.get("rowHeights").split(",")] if el.get("rowHeights") else None
            rows = [[_items(td) for td in tr.iter("td")] for tr in el.iter("tr")]
            items.append(["table", el.get("style"), widths, heights, int(el.get("repeatRows", 0)), rows])
        elif el.tag == "condPageBreak":
            items.append(["condPageBreak", float(el.get("height"))])
        elif el.tag == "illustration":
            items.append(["picture", float(el.get("width")), float(el.get("height")), _drawing(el)])
        elif el.tag == "namedString":
            continue  # the floor gets its page total its own way
        else:
            raise ValueError(f"floor: no platypus equivalent written for <{el.tag}>")
    return items


def _drawing(illustration) -> list:
    """An <illustration>'s graphics (the spine picture) as canvas operations for the floor."""
    def numbers(el, *names: str) -> list[float]:
        return [float(el.get(name, 0)) for name in names]

    ops: list = []
    for el in illustration:
        if el.tag in ("fill", "stroke"):
            ops.append([el.tag, el.get("color")])
        elif el.tag == "lineMode":
            ops.append(["width", float(el.get("width"))])
        elif el.tag == "rect":
            ops.append(["rect", *numbers(el, "x", "y", "width", "height", "round", "fill", "stroke")])
        elif el.tag == "setFont":
            ops.append(["font", el.get("name"), float(el.get("size"))])
        elif el.tag == "drawRightString":
            ops.append(["right_string", *numbers(el, "x", "y"), el.text or ""])
        elif el.tag == "path":
            points = [*numbers(el, "x", "y"), *(float(n) for n in (el.text or "").split())]
            ops.append(["path", points, *numbers(el, "fill", "stroke", "close")])
        else:
            raise ValueError(f"floor: no canvas equivalent written for <{el.tag}> in an illustration")
    return ops


def consent_rml():
    """The example patient's consent form as docgen hands it to z3c.rml (checked RML tree)."""
    import copy

    from docgen.generate import Generator
    from docgen.input.records import read_record_file
    from docgen.layout import fonts, pdf

    generator = Generator("consent")
    captured = []
    name = "rml_to_pdf_pages" if hasattr(pdf, "rml_to_pdf_pages") else "rml_to_pdf"
    original = getattr(pdf, name)

    def capture(root, template, *args, **kwargs):
        captured.append(copy.deepcopy(root))
        return original(root, template, *args, **kwargs)

    setattr(pdf, name, capture)
    try:
        generator.build(generator.case(read_record_file(PATIENT), source=str(PATIENT)))
    finally:
        setattr(pdf, name, original)
    root = captured[0]
    fonts.apply_fallback(root)
    return root


_CELLS = ([0, 0], [-1, -1])
_TABLE_COMMANDS = {"blockValign": ("VALIGN", "value"), "blockFont": ("FONT", "name"),
                   "blockTopPadding": ("TOPPADDING", "length"),
                   "blockBottomPadding": ("BOTTOMPADDING", "length"),
                   "blockLeftPadding": ("LEFTPADDING", "length"),
                   "blockRightPadding": ("RIGHTPADDING", "length")}


def _cells(el) -> list:
    def pair(text: str | None, default: list[int]) -> list[int]:
        return [int(n) for n in text.split(",")] if text else default

    return [pair(el.get("start"), _CELLS[0]), pair(el.get("stop"), _CELLS[1])]


def _table_style(style) -> list:
    """A <blockTableStyle> as ReportLab TableStyle commands."""
    commands = []
    for el in style:
        if el.tag in _TABLE_COMMANDS:
            command, attr = _TABLE_COMMANDS[el.tag]
            value = el.get(attr)
            commands.append([command, *_cells(el), value if command in ("VALIGN", "FONT") else float(value)])
        elif el.tag == "lineStyle":
            commands.append([el.get("kind"), *_cells(el), float(el.get("thickness", 1)),
                             el.get("colorName", "black")])
        elif el.tag == "blockBackground":
            commands.append(["BACKGROUND", *_cells(el), el.get("colorName")])
        else:
            raise ValueError(f"floor: no TableStyle equivalent written for <{el.tag}>")
    return commands


def floor_content() -> dict:
    """Everything the floor needs to print the example consent form, taken from docgen's RML."""
    from docgen.layout import fonts

    root = consent_rml()
    template = root.find("template").find("pageTemplate")
    header, footer, frame = template.find("header"), template.find("footer"), template.find("frame")
    graphics = template.find("pageGraphics")
    for el in graphics:
        if el.tag not in ("lineMode", "stroke", "lines"):
            raise ValueError(f"floor: no equivalent written for <{el.tag}> in the page graphics")
    scan = template.find("scanCode")

    def box(el, x="x", y="y") -> list[float]:
        return [float(el.get(x)), float(el.get(y)), float(el.get("width")), float(el.get("height"))]

    def paras(el) -> list[list[str]]:
        return [[p.get("style"), paragraph_markup(p)] for p in el.iter("para")]

    stylesheet = root.find("stylesheet")
    return {
        "font_dir": str(fonts.FONT_DIR),
        "meta": {k: root.get(k) for k in ("title", "author", "subject", "creator")},
        "styles": {el.get("name"): dict(el.attrib) for el in stylesheet.iter("paraStyle")},
        "table_styles": {el.get("id"): _table_style(el) for el in stylesheet.iter("blockTableStyle")},
        "page": {
            "line_width": float(graphics.find("lineMode").get("width")),
            "lines": [[float(n) for n in el.text.split()] for el in graphics.iter("lines")],
            "header": {"box": box(header), "paras": paras(header)},
            "footer": {"box": box(footer), "paras": paras(footer)},
            "frame": box(frame, "x1", "y1"),
            "scan": None if scan is None else {
                **dict(scan.attrib), "before": (scan.text or "").lstrip(),
                "after": (scan[0].tail or "").rstrip()},
        },
        "story": _items(root.find("story")),
    }


# --- invented patient lists --------------------------------------------------------------------

COLUMNS = ("mrn", "given_name", "family_name", "date_of_birth", "procedure", "levels", "indication",
           "comorbidities", "clinician", "procedure_date")
_GIVEN = ("Ada", "Bilal", "Chen", "Dagny", "Émile", "Farah", "Gérard", "Hana", "Ivo", "Jun", "Kofi",
          "Lena", "Mateus", "Nour", "Olga", "Priya", "Quentin", "Rosa", "Sven", "Thảo", "Ugo", "Vera")
_FAMILY = ("Abara", "Berg", "Castillo", "Dubois", "Eriksen", "Fontaine", "García", "Haddad", "Ivanova",
           "Jensen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "O'Neil", "Petrov", "Quist", "Rossi")
_LEVELS = ("T12", "L1", "L2", "T11;T12", "L1;L2", "T8", "L3", "T12;L1")
_INDICATIONS = ("osteoporosis", "osteoporosis", "osteoporosis", "metastasis", "myeloma", "trauma")
_COMORBIDITIES = ("", "", "anticoagulants", "copd", "", "severe_lung_disease", "copd;anticoagulants")


def write_list(path: Path, rows: int) -> None:
    """An invented patient list (no real person): names, dates and details vary row by row."""
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(COLUMNS)
        for i in range(rows):
            out.writerow([
                f"BM-{100000 + i}", _GIVEN[i % len(_GIVEN)], _FAMILY[(i * 7) % len(_FAMILY)],
                f"{1932 + i % 40}-{1 + i % 12:02d}-{1 + i % 28:02d}",
                ("vertebroplasty", "kyphoplasty")[i % 2], _LEVELS[i % len(_LEVELS)],
                _INDICATIONS[i % len(_INDICATIONS)], _COMORBIDITIES[i % len(_COMORBIDITIES)],
                "Dr Amara Okafor", "2026-11-20",
            ])
