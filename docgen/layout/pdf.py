"""RML text to PDF bytes through z3c.rml, behind the guardrails DESIGN.md asks for."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import stat
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from lxml import etree

from ..errors import TemplateError, one_line
from . import fonts, scancode, thirdparty

# Elements that run code or evaluate an expression (z3c.rml's doclogic.py and special.py
# eval() them), import a module, write files or configure logging: never in a patient
# document. Audited against z3c.rml 5.2 (eval, exec, import_module, __import__).
REFUSED_ELEMENTS = frozenset({
    "docExec", "docAssign", "docPara", "docAssert", "docIf", "docElse", "docWhile", "evalString",
    "plugInFlowable", "plugInGraphic", "logConfig", "includePdfPages", "image", "imageAndFlowables",
    "registerTTFont", "registerType1Face", "registerCidFont", "registerFont",
})
# Attributes whose value z3c.rml may import as a Python path (attr.ObjectRef: charts' label format).
REFUSED_ATTRIBUTES = frozenset({"labelTextFormat"})
# Attributes that name a file to read: allowed only inside the shipped or --templates folders.
FILE_ATTRIBUTES = frozenset({"file", "fileName", "filename", "src", "href", "url", "afm", "pfb",
                             "afmFile", "pfbFile", "imageName"})
# z3c.rml's attr.File reads "[package.module]/path" by importing the module.
_MODULE_PATH = re.compile(r"^\s*\[")

# z3c.rml only logs markup it does not know; make it stop instead, or a typo in a
# template would silently drop part of a legal form.
thirdparty.abort_on_unknown_markup()
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
    huge_tree=False, remove_comments=True,
)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def parse_rml(rml: str, template: str, allowed_roots: Iterable[Path]) -> etree._Element:
    """Parse rendered RML safely and refuse what patient documents must not contain."""
    try:
        root = etree.fromstring(rml.encode("utf-8"), _PARSER)
    except etree.XMLSyntaxError as exc:
        raise TemplateError(f"{template}: rendered RML is not well-formed XML: {exc}") from None
    if root.tag != "document":
        raise TemplateError(f"{template}: the root element must be <document>")
    roots = [p.resolve() for p in allowed_roots]
    for el in root.iter():
        if not isinstance(el.tag, str):
            raise TemplateError(f"{template}: processing instructions and entities are refused")
        if el.tag in REFUSED_ELEMENTS:
            raise TemplateError(f"{template}: line {el.sourceline}: <{el.tag}> is refused in docgen templates")
        for name, value in el.attrib.items():
            if name in REFUSED_ATTRIBUTES or _MODULE_PATH.match(value):
                raise TemplateError(f"{template}: line {el.sourceline}: <{el.tag} {name}=...> would import "
                                    "a Python module; refused in docgen templates")
            if name in FILE_ATTRIBUTES and not (el is root and name == "filename"):
                el.set(name, _check_path(template, el, name, value, roots))
    # Same template, same record: same bytes (no creation date or random id in the PDF),
    # whatever a hospital's template says. Per document, not ReportLab's global setting.
    root.set("invariant", "1")
    return root


def _check_path(template: str, el, name: str, value: str, roots: list[Path]) -> str:
    """The absolute path of an existing regular file inside one of roots that value names.

    z3c.rml opens a relative name from the current directory; handing it the
    checked absolute path makes it read exactly the file that was checked.
    """
    where = f"{template}: line {el.sourceline}: <{el.tag} {name}=...>"
    if ":" not in value and value.strip():
        for root in roots:
            target = (root / value).resolve()
            if root not in target.parents:
                continue
            try:
                regular = stat.S_ISREG(target.stat().st_mode)
            except OSError:
                continue
            if regular:
                return str(target)
            raise TemplateError(f"{where} names something that is not a regular file")
        if any(root in (root / value).resolve().parents for root in roots):
            raise TemplateError(f"{where} names a file that is not in the templates folder")
    raise TemplateError(f"{where} may only name a file inside the templates folder")


# Named strings (the "lastPage" of "Page i of N") of the documents made so far, per
# template: in a batch, most documents of one kind have as many pages as the last.
_names_seen: dict[str, Counter] = {}


def rml_to_pdf(root: etree._Element, template: str, require_scan_code: bool = False) -> bytes:
    """Turn a checked RML tree into PDF bytes; any z3c.rml warning is an error."""
    return rml_to_pdf_pages(root, template, require_scan_code)[0]


def rml_to_pdf_pages(root: etree._Element, template: str,
                     require_scan_code: bool = False) -> tuple[bytes, int]:
    """PDF bytes and their page count (as laid out, so nobody parses the PDF to count).

    A <scanCode> in the page template is drawn on every page by docgen's own
    canvas (see scancode.py); patient documents must have one.

    "Page i of N" makes z3c.rml lay the whole document out twice: the first pass
    only learns N (`<namedString id="lastPage">`), because `<getName>` finds no
    value yet. Started with the values this template's documents usually end with,
    z3c.rml needs one pass. The document is kept only if every named string ended
    with the value it started with, so every page printed the final value: the
    very bytes the second pass would have written. Otherwise it is laid out again
    from the values just learnt, and, should even that not settle, the usual way.
    """
    fonts.register()
    code = scancode.take(root, template)
    if code is None and require_scan_code:
        raise TemplateError(f"{template}: the page template has no <{scancode.ELEMENT}>: "
                            "every page must carry a scan code")
    fonts.apply_fallback(root)
    seen = _names_seen.setdefault(template, Counter())
    guesses = [dict(seen.most_common(1)[0][0])] if seen else []
    for seed in guesses:
        pdf, names, pages = _process(root, template, code, seed)
        if names == seed:
            break
        if len(guesses) == 1:
            guesses.append(names)
    else:
        pdf, names, pages = _process(root, template, code, None)
    seen[tuple(sorted(names.items()))] += 1
    return pdf, pages


def _process(root: etree._Element, template: str, code: scancode.ScanCode | None,
             names: dict[str, str] | None) -> tuple[bytes, dict, int]:
    collect = _Collect()
    logger = logging.getLogger("z3c.rml")
    logger.addHandler(collect)
    # Our handler collects the warnings; keep them out of the user's terminal.
    propagate, logger.propagate = logger.propagate, False
    try:
        out = io.BytesIO()
        canvas = scancode.canvas_maker(code) if code is not None else None
        with _no_source_date_epoch():
            learnt, pages = thirdparty.lay_out(root, out, canvas, names)
    except TemplateError:
        raise
    except Exception as exc:  # z3c.rml raises many kinds for bad markup
        message = one_line(exc, 300)
        raise TemplateError(f"{template}: cannot be turned into a PDF: {message}") from None
    finally:
        logger.removeHandler(collect)
        logger.propagate = propagate
    if collect.messages:
        raise TemplateError(f"{template}: {collect.messages[0]}")
    return out.getvalue(), learnt, pages


_ENVIRONMENT = threading.Lock()


@contextlib.contextmanager
def _no_source_date_epoch() -> Iterator[None]:
    """Keep SOURCE_DATE_EPOCH away from ReportLab while it makes a PDF.

    In invariant mode (``<document invariant="1">``) ReportLab dates every PDF 2000-01-01 and
    derives the file id from that, but its TimeStamp prefers SOURCE_DATE_EPOCH when the
    variable is set: the same record would give different bytes (and file id) on a machine
    that sets it. The document's own id and dates come from the record, never the clock.
    """
    with _ENVIRONMENT:
        saved = os.environ.pop("SOURCE_DATE_EPOCH", None)
        try:
            yield
        finally:
            if saved is not None:
                os.environ["SOURCE_DATE_EPOCH"] = saved
