"""Render a Case into RML text with Jinja's sandbox: XML autoescape, StrictUndefined, bounded work.

A hospital's --templates folder is content under document control, not code: a
template cannot reach Python (ImmutableSandboxedEnvironment), read a file
outside its folder, or take more than RENDER_SECONDS or MAX_RML_CHARS; any
failure is one line naming the template file and line.
"""

from __future__ import annotations

import contextlib
import functools
import html
import operator
import re
import signal
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
import jinja2.sandbox
import markupsafe
import yaml
from babel import UnknownLocaleError
from babel.dates import format_date
from babel.lists import format_list
from babel.numbers import format_decimal

from ..content import translations
from ..content.catalogue import Text
from ..content.control import Control, parse_control
from ..errors import Problem, TemplateError, one_line
from ..input.limits import check_regular
from . import fonts

TEMPLATE_SUFFIX = ".rml.j2"
# Document control sits in a Jinja comment at the top of every template.
_TAG = re.compile(r"<[^>]*>")
_CONTROL = re.compile(r"\A\{#---\n(.*?)\n---#\}", re.S)

# Bounds on one template and one render (a shipped document: ~30 KB of template, ~100 KB of
# RML, a few milliseconds). Far above any real form, far below a hang or a full memory.
MAX_TEMPLATE_BYTES = 1024 * 1024
MAX_RML_CHARS = 5_000_000
RENDER_SECONDS = 10.0
MAX_SEQUENCE = 1_000_000  # the longest string or list "*" may make in a template
MAX_EXPONENT_BITS = 4096  # the largest number "**" may make in a template


class RenderTimeout(Exception):
    """A template took longer than RENDER_SECONDS."""


class _Sandbox(jinja2.sandbox.ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, with the work one expression or call may do bounded too.

    The sandbox already refuses Python internals (`__globals__`, `__class__`),
    mutation, and range() beyond 100,000; "*" and "**" could still build a
    gigabyte string or a million-digit number in one step, so they are checked.
    """

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, op: str, left: Any, right: Any) -> Any:
        if op == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int) \
                        and len(seq) * times > MAX_SEQUENCE:
                    raise jinja2.sandbox.SecurityError(f"a sequence longer than {MAX_SEQUENCE:,} items")
            return operator.mul(left, right)
        if isinstance(left, int) and isinstance(right, int) and right > 0 \
                and max(left.bit_length(), 1) * right > MAX_EXPONENT_BITS:
            raise jinja2.sandbox.SecurityError(f"a number of more than {MAX_EXPONENT_BITS} bits")
        return operator.pow(left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 (Jinja's)
        _check_deadline()
        return super().call(__context, __obj, *args, **kwargs)


class _FolderLoader(jinja2.FileSystemLoader):
    """Templates from one folder only: no `..`, no symbolic link out, only regular files of bounded size."""

    def __init__(self, folder: Path):
        super().__init__(str(folder))
        self.folder = folder

    def get_source(self, environment: jinja2.Environment, template: str):
        _template_file(self.folder, template)
        return super().get_source(environment, template)


def _template_file(folder: Path, name: str) -> Path:
    """The checked path of a template name inside folder; never reads outside it."""
    try:
        parts = jinja2.loaders.split_template_path(name)  # refuses ".." as Jinja does
    except jinja2.TemplateNotFound:
        raise TemplateError(f"{folder}: template {name!r} lies outside the templates folder") from None
    path = folder.joinpath(*parts)
    root = folder.resolve()
    real = path.resolve()
    if real != root and root not in real.parents:
        raise TemplateError(f"{path}: lies outside the templates folder (a link?); refused")
    check_regular(path, MAX_TEMPLATE_BYTES, "template", error=TemplateError)
    return path


# --- the render's deadline ---------------------------------------------------------------

_deadline = threading.local()


def _check_deadline() -> None:
    end = getattr(_deadline, "end", None)
    if end is not None and time.monotonic() > end:
        raise RenderTimeout


def _on_alarm(signum: int, frame: Any) -> None:
    raise RenderTimeout


@contextlib.contextmanager
def _time_limit(seconds: float):
    """Bound a render's time.

    A template is Python code once compiled, and a loop (nested range()s) may run
    without calling anything or writing output. In the main thread (the command
    line, every batch worker) an interval timer interrupts it wherever it is. In
    another thread (a web server's) signals cannot be used; there the deadline is
    checked at every call and every piece of output, which stops runaway filters
    and output but not a silent nested loop: the sandbox's range() limit of
    100,000 bounds those.
    """
    started = time.monotonic()
    _deadline.end = started + seconds
    use_alarm = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    previous, other_timer = None, 0.0
    if use_alarm:
        previous = signal.signal(signal.SIGALRM, _on_alarm)
        other_timer = signal.setitimer(signal.ITIMER_REAL, seconds)[0]
    try:
        yield
    finally:
        _deadline.end = None
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
            if other_timer:  # someone else's timer (a test runner's timeout) keeps running
                left = other_timer - (time.monotonic() - started)
                signal.setitimer(signal.ITIMER_REAL, max(left, 0.001))


def template_name(document: str) -> str:
    return f"{document}{TEMPLATE_SUFFIX}"


@functools.cache
def environment(templates: Path,
                language: str = translations.SOURCE_LANGUAGE) -> jinja2.Environment:
    """One Jinja environment per (templates folder, language): compiled templates and the
    language's gettext catalogue are loaded once and reused across a batch."""
    env = _Sandbox(
        loader=_FolderLoader(templates),
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
    env.filters["andlist"] = _and_list
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


@jinja2.pass_context
def _and_list(context: Any, items) -> str:
    # "T12, L1 and L5" / "T12, L1 y L5": the language's own word and commas.
    return format_list(list(items), locale=context["locale"])


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
    source = _read(_template_file(templates, name))
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


class _NoAliasLoader(yaml.SafeLoader):
    """YAML without anchors and aliases: a control block needs none, and aliases can
    nest into a "billion laughs" that takes all memory."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.YAMLError(f"line {event.start_mark.line + 1}: aliases (*name) are not allowed here")
        return super().compose_node(parent, index)


def read_control(templates: Path, name: str) -> Control:
    """Read the document-control block {#--- YAML ---#} at the top of one template."""
    path = _template_file(templates, name)
    source = _read(path)
    match = _CONTROL.match(source)
    if not match:
        raise TemplateError(f"{path}: missing the document-control block {{#--- ... ---#}} at the top")
    try:
        data = yaml.load(match.group(1), Loader=_NoAliasLoader)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        raise TemplateError(f"{path}: document-control block is not YAML: {exc}") from None
    problems: list[Problem] = []
    control = parse_control(data if isinstance(data, dict) else {}, f"templates/{name}",
                            lambda n, r: problems.append(Problem(str(path), n, r)))
    if control is None:
        raise TemplateError("; ".join(map(str, problems)), tuple(problems))
    return control


def render_rml(templates: Path, document: str, context: dict[str, Any]) -> str:
    """Render one document's template to RML text, within RENDER_SECONDS and MAX_RML_CHARS."""
    name = template_name(document)
    env = environment(templates, context["language"])
    try:
        with _time_limit(RENDER_SECONDS):
            template = env.get_template(name)
            pieces: list[str] = []
            size = 0
            for piece in template.generate(context):
                size += len(piece)
                if size > MAX_RML_CHARS:
                    raise TemplateError(f"{templates / name}: makes more than {MAX_RML_CHARS:,} "
                                        "characters of RML; refused")
                _check_deadline()
                pieces.append(piece)
            return "".join(pieces)
    except TemplateError:
        raise
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"{exc.filename or templates / name}: line {exc.lineno}: {exc.message}") from None
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"{templates}: template {exc.name} not found") from None
    except UnknownLocaleError as exc:  # a language without a locale in site.yaml that Babel knows
        raise TemplateError(f"{templates}/site.yaml: locales: no Babel locale for "
                            f"language {context['language']!r} ({exc})") from None
    except RenderTimeout as exc:
        raise TemplateError(f"{_where(templates, name, exc)}: took longer than {RENDER_SECONDS:g} "
                            "seconds to render; refused") from None
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"{_where(templates, name, exc)}: uses a value that is not given: "
                            f"{exc.message}") from None
    except jinja2.sandbox.SecurityError as exc:
        raise TemplateError(f"{_where(templates, name, exc)}: not allowed in a template: "
                            f"{one_line(exc)}") from None
    except (Exception, RecursionError) as exc:  # any error a template's expression can raise
        raise TemplateError(f"{_where(templates, name, exc)}: {type(exc).__name__}: {one_line(exc)}") from None


def _where(templates: Path, name: str, exc: BaseException | None) -> str:
    """"file: line N" of the template line that failed (Jinja maps its frames to template lines)."""
    found = None
    tb = exc.__traceback__ if exc is not None else None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(TEMPLATE_SUFFIX) or filename.endswith(".j2"):
            found = f"{filename}: line {tb.tb_lineno}"
        tb = tb.tb_next
    return found or str(templates / name)
