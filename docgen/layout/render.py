"""Render a Case into RML text with Jinja: XML autoescape, StrictUndefined, text from the catalogue."""

from __future__ import annotations

import functools
import html
import re
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
import markupsafe
import yaml
from babel import UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_decimal

from ..content import translations
from ..content.catalogue import Text
from ..content.control import Control, parse_control
from ..errors import Problem, TemplateError
from . import fonts

TEMPLATE_SUFFIX = ".rml.j2"
# Document control sits in a Jinja comment at the top of every template.
_TAG = re.compile(r"<[^>]*>")
_CONTROL = re.compile(r"\A\{#---\n(.*?)\n---#\}", re.S)


def template_name(document: str) -> str:
    return f"{document}{TEMPLATE_SUFFIX}"


@functools.cache
def environment(templates: Path,
                language: str = translations.SOURCE_LANGUAGE) -> jinja2.Environment:
    """One Jinja environment per (templates folder, language): compiled templates and the
    language's gettext catalogue are loaded once and reused across a batch."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        autoescape=True,  # every template produces XML; patient text must print literally
        undefined=jinja2.StrictUndefined,  # a missing detail is an error, never a blank on a form
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,  # translations.OPTIONS_MAP extracts messages with the same options
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.install_gettext_translations(translations.load(templates, language), newstyle=True)
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


def template_controls(templates: Path, document: str) -> tuple[Control, ...]:
    """Document control of a document's template and of every template it extends, imports or
    includes (the page layout and shared blocks print on the same form), the document's first."""
    names = [template_name(document)]
    seen: set[str] = set()
    while names:
        name = names.pop(0)
        if name in seen:
            continue
        seen.add(name)
        names.extend(referenced(templates, name))
    return tuple(read_control(templates, name) for name in
                 [template_name(document)] + sorted(seen - {template_name(document)}))


def referenced(templates: Path, name: str) -> list[str]:
    """The templates one template extends, imports or includes by a fixed name."""
    source = _read(templates / name)
    try:
        ast = environment(templates).parse(source, name)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"{templates / name}: line {exc.lineno}: {exc.message}") from None
    return [n for n in jinja2.meta.find_referenced_templates(ast) if n is not None]


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TemplateError(f"{path}: template not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(f"{path}: cannot be read: {exc}") from None


def read_control(templates: Path, name: str) -> Control:
    """Read the document-control block {#--- YAML ---#} at the top of one template."""
    path = templates / name
    source = _read(path)
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
    env = environment(templates, context["language"])
    try:
        return env.get_template(name).render(context)
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"{templates / name}: uses a value that is not given: {exc.message}") from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"{exc.filename or name}: line {exc.lineno}: {exc.message}") from None
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"{templates}: template {exc.name} not found") from None
    except UnknownLocaleError as exc:  # a language without a locale in site.yaml that Babel knows
        raise TemplateError(f"{templates}/site.yaml: locales: no Babel locale for "
                            f"language {context['language']!r} ({exc})") from None
