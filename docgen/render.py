"""Render a Case into RML text with Jinja: XML autoescape, StrictUndefined, text from the catalogue."""

from __future__ import annotations

import functools
import html
import re
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
import yaml
from babel.dates import format_date
from babel.numbers import format_decimal

from . import fonts
from .catalogue import Catalogue, Text
from .control import Control, parse_control
from .errors import Problem, TemplateError

TEMPLATE_SUFFIX = ".rml.j2"
# Document control sits in a Jinja comment at the top of every template.
_TAG = re.compile(r"<[^>]*>")
_CONTROL = re.compile(r"\A\{#---\n(.*?)\n---#\}", re.S)


def template_name(document: str) -> str:
    return f"{document}{TEMPLATE_SUFFIX}"


@functools.cache
def environment(templates: Path) -> jinja2.Environment:
    """One Jinja environment per templates folder, so compiled templates are reused across a batch."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        autoescape=True,  # every template produces XML; patient text must print literally
        undefined=jinja2.StrictUndefined,  # a missing detail is an error, never a blank on a form
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.install_null_translations(newstyle=True)
    env.filters["tr"] = _translate
    env.filters["longdate"] = _long_date
    env.filters["number"] = _number
    # Lines a text needs at a size and width: sizes the fixed header and footer frames.
    env.filters["lines"] = _lines
    return env


@jinja2.pass_context
def _translate(context: Any, text: Text) -> str:
    """Pick this document's language from a catalogue text."""
    return text[context["language"]]


@jinja2.pass_context
def _long_date(context: Any, day: date) -> str:
    # The month in words: 03/02 means different days on either side of the Atlantic.
    return format_date(day, format="long", locale=context["locale"])


@jinja2.pass_context
def _number(context: Any, value: int) -> str:
    return format_decimal(value, locale=context["locale"])


def _lines(text: str, size: float, width: float) -> int:
    # Text joined in a template is escaped markup; measure what will be printed.
    # (Markup.striptags would also turn no-break spaces into breakable ones.)
    plain = html.unescape(_TAG.sub("", text)) if isinstance(text, markupsafe.Markup) else str(text)
    return fonts.line_count(plain, size, width)


def template_control(templates: Path, document: str) -> Control:
    """Read the document-control block of a document's template."""
    name = template_name(document)
    path = templates / name
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TemplateError(f"{path}: template not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(f"{path}: cannot be read: {exc}") from None
    match = _CONTROL.match(source)
    if not match:
        raise TemplateError(f"{path}: missing the document-control block {{#--- ... ---#}} at the top")
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        raise TemplateError(f"{path}: document-control block is not YAML: {exc}") from None
    problems: list[Problem] = []
    control = parse_control(data if isinstance(data, dict) else {}, f"templates/{name}",
                            lambda n, r: problems.append(Problem(str(path), n, r)))
    if control is None:
        raise TemplateError("; ".join(map(str, problems)), tuple(problems))
    return control


def render_rml(templates: Path, document: str, context: dict[str, Any]) -> str:
    """Render one document's template to RML text."""
    name = template_name(document)
    env = environment(templates)
    try:
        return env.get_template(name).render(context)
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"{templates / name}: uses a value that is not given: {exc.message}") from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"{exc.filename or name}: line {exc.lineno}: {exc.message}") from None
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"{templates}: template {exc.name} not found") from None


def catalogue_texts(catalogue: Catalogue) -> dict[str, Any]:
    """The parts of the catalogue templates may use, by name."""
    return {
        "procedures": catalogue.procedures,
        "indications": catalogue.indications,
        "comorbidities": catalogue.comorbidities,
        "bands": catalogue.bands,
        "sources": catalogue.sources,
    }
