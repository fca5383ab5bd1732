"""Babel message catalogues for template text: extract, update, compile, load, and check them."""

from __future__ import annotations

import functools
import gettext
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml
from babel.core import UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po
from babel.support import Translations

from ..errors import Problem, TemplateError, one_line
from .catalogue import SOURCE_LANGUAGE  # templates are written in English too
from .control import Control, parse_control

DOMAIN = "docgen"
LOCALE_DIR = "locale"
CONTROL_FILE = "control.yaml"  # document control of one language's translation
MAPPING_FILE = "babel.cfg"  # in the templates folder: how template text is extracted
# Used when a templates folder has no babel.cfg: the same options as the runtime Jinja
# environment (render.environment), so extracted ids are exactly what templates look up.
METHOD_MAP = [("**.rml.j2", "jinja2.ext.babel_extract")]
OPTIONS_MAP = {
    "**.rml.j2": {
        "trim_blocks": "true",
        "lstrip_blocks": "true",
        "newstyle_gettext": "true",
        "silent": "false",
    }
}


def mapping(templates: Path) -> tuple[list, dict]:
    """Babel's method and options maps, from templates/babel.cfg when there is one."""
    path = templates / MAPPING_FILE
    if not path.is_file():
        return METHOD_MAP, OPTIONS_MAP
    try:
        with path.open(encoding="utf-8") as fp:
            return parse_mapping_cfg(fp, str(path))
    except Exception as exc:  # noqa: BLE001 - configparser raises several kinds
        raise TemplateError(f"{path}: cannot be read: {exc}") from None


def locale_dir(templates: Path) -> Path:
    return templates / LOCALE_DIR


def po_path(templates: Path, language: str) -> Path:
    return locale_dir(templates) / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(templates: Path, language: str) -> Path:
    return po_path(templates, language).with_suffix(".mo")


def pot_path(templates: Path) -> Path:
    return locale_dir(templates) / f"{DOMAIN}.pot"


def catalogue_languages(templates: Path) -> tuple[str, ...]:
    """Languages with a message catalogue in this templates folder."""
    folder = locale_dir(templates)
    if not folder.is_dir():
        return ()
    return tuple(sorted(p.name for p in folder.iterdir() if (p / "LC_MESSAGES").is_dir()))


@functools.cache
def load(templates: Path, language: str) -> gettext.NullTranslations:
    """The compiled translations for one language (cached: a batch loads each .mo once)."""
    path = mo_path(templates, language)
    if not path.is_file():
        if language == SOURCE_LANGUAGE:
            return gettext.NullTranslations()
        raise TemplateError(
            f"{path}: no compiled translations for language {language!r} "
            "(write the .po and run `docgen messages`)"
        )
    try:
        with path.open("rb") as fp:
            return Translations(fp, domain=DOMAIN)
    except Exception as exc:  # noqa: BLE001 - gettext raises OSError, struct.error, ...
        raise TemplateError(f"{path}: cannot be read as a compiled catalogue: {exc}") from None


def translation_control(templates: Path, language: str) -> Control:
    """Document control of one language's template translation (locale/LANG/control.yaml)."""
    path = locale_dir(templates) / language / CONTROL_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TemplateError(
            f"{path}: missing (document control of the {language!r} translation)"
        ) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise TemplateError(f"{path}: cannot be read: {one_line(exc)}") from None
    problems: list[Problem] = []
    control = parse_control(
        data if isinstance(data, dict) else {},
        f"templates/{LOCALE_DIR}/{language} (translation)",
        lambda n, r: problems.append(Problem(str(path), n, r)),
    )
    if control is None:
        raise TemplateError("; ".join(map(str, problems)), tuple(problems))
    return control


@dataclass(frozen=True)
class Message:
    """One piece of English template text and where it is used."""

    id: str | tuple[str, str]  # a (singular, plural) pair for ngettext
    locations: tuple[tuple[str, int], ...]

    @property
    def singular(self) -> str:
        return self.id if isinstance(self.id, str) else self.id[0]

    @property
    def texts(self) -> tuple[str, ...]:
        return (self.id,) if isinstance(self.id, str) else tuple(self.id)


def extract(templates: Path) -> Catalog:
    """Every translatable message in the templates, as a Babel catalogue (the .pot)."""
    catalog = Catalog(project="docgen", domain=DOMAIN, fuzzy=False)
    try:
        found = list(extract_from_dir(str(templates), *mapping(templates)))
    except Exception as exc:  # noqa: BLE001 - a broken template can raise anything Jinja raises
        raise TemplateError(f"{templates}: cannot extract messages: {exc}") from None
    for filename, lineno, message, comments, context in found:
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def messages(templates: Path) -> Iterator[Message]:
    for entry in extract(templates):
        if entry.id:
            yield Message(entry.id, tuple(entry.locations))


def update(templates: Path) -> list[str]:
    """Re-extract the .pot, merge it into every language's .po, compile each .mo; report each."""
    if not templates.is_dir():
        raise TemplateError(f"{templates}: templates folder not found")
    template = extract(templates)
    pot = pot_path(templates)
    _keep_date(pot, template)
    pot.parent.mkdir(parents=True, exist_ok=True)
    _write(pot, template, po=True)
    report = [f"{pot}: {len(template)} messages"]
    for language in catalogue_languages(templates):
        path = po_path(templates, language)
        try:
            if path.is_file():
                with path.open("rb") as fp:
                    catalog = read_po(fp, locale=language, domain=DOMAIN)
            else:
                catalog = Catalog(locale=language, domain=DOMAIN, project="docgen", fuzzy=False)
        except UnknownLocaleError:
            raise TemplateError(f"{path.parents[1]}: {language!r} is not a language code "
                                "Babel knows (such as es or pt_BR)") from None
        except Exception as exc:  # noqa: BLE001 - Babel raises several kinds for a malformed .po
            raise TemplateError(f"{path}: cannot be read: {exc}") from None
        catalog.update(template)
        _write(path, catalog, po=True)
        _write(mo_path(templates, language), catalog, po=False)
        missing = sum(1 for m in catalog if m.id and (m.fuzzy or not _complete(m.string)))
        report.append(f"{path}: {len(catalog)} messages, {missing} need a translation")
    load.cache_clear()
    return report


def _keep_date(pot: Path, template: Catalog) -> None:
    """Keep the .pot's creation date while its messages are the same: re-running is a no-op."""
    if not pot.is_file():
        return
    try:
        with pot.open("rb") as fp:
            old = read_po(fp, domain=DOMAIN)
    except Exception:  # noqa: BLE001 - a broken .pot is simply replaced
        return

    def shape(catalog: Catalog) -> list:
        return [(m.id, m.locations, m.auto_comments) for m in catalog if m.id]

    if shape(old) == shape(template):
        template.creation_date = old.creation_date


def _write(path: Path, catalog: Catalog, po: bool) -> None:
    buffer = io.BytesIO()
    if po:
        write_po(buffer, catalog, width=100, sort_output=False, omit_header=False)
    else:
        write_mo(buffer, catalog, use_fuzzy=False)
    if not path.is_file() or path.read_bytes() != buffer.getvalue():
        path.write_bytes(buffer.getvalue())


def _complete(string) -> bool:
    if isinstance(string, tuple | list):
        return all(s and s.strip() for s in string)
    return bool(string and string.strip())


def problems(templates: Path, language: str) -> list[str]:
    """What is wrong with one language's catalogue: untranslated, fuzzy or stale messages."""
    path = po_path(templates, language)
    if not path.is_file():
        return [f"{path}: missing (translations of the template text into {language!r})"]
    try:
        with path.open("rb") as fp:
            catalog = read_po(fp, locale=language, domain=DOMAIN)
    except Exception as exc:  # noqa: BLE001 - Babel raises several kinds for a malformed .po
        return [f"{path}: cannot be read: {exc}"]
    found: list[str] = []
    for message in messages(templates):
        entry = catalog.get(message.id)
        where = ", ".join(f"{f}:{n}" for f, n in message.locations)
        if entry is None or not _complete(entry.string):
            found.append(f"{path}: no {language!r} translation for {message.singular!r} ({where})")
        elif entry.fuzzy:
            found.append(
                f"{path}: {language!r} translation of {message.singular!r} is marked fuzzy "
                f"(a translator must confirm it) ({where})"
            )
    for entry, errors in catalog.check():
        for error in errors:
            found.append(f"{path}: {entry.id!r}: {error}")
    mo = mo_path(templates, language)
    if not mo.is_file():
        found.append(f"{mo}: missing; run `docgen messages` to compile it")
    else:
        try:
            with mo.open("rb") as fp:
                compiled = read_mo(fp)
        except Exception as exc:  # noqa: BLE001 - a corrupt .mo raises struct.error and others
            found.append(f"{mo}: cannot be read ({exc}); run `docgen messages` to compile it")
            return found
        if _strings(compiled) != _strings(catalog):
            found.append(f"{mo}: out of date with {path.name}; run `docgen messages` to compile it")
    return found


def _strings(catalog: Catalog) -> dict:
    def plain(value):
        return tuple(value) if isinstance(value, list | tuple) else value

    return {
        plain(m.id): plain(m.string)
        for m in catalog
        if m.id and not m.fuzzy and _complete(m.string)
    }
