"""Site settings (hospital, department, phone numbers, locales) from site.yaml in the templates folder."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from babel import Locale, UnknownLocaleError

from ..errors import TemplateError, one_line

SITE_FILE = "site.yaml"
REQUIRED = ("hospital", "department", "ward_phone", "out_of_hours_phone", "emergency_phone")


@dataclass(frozen=True)
class Site:
    hospital: str
    department: str
    ward_phone: str
    out_of_hours_phone: str
    emergency_phone: str
    locales: dict[str, str] = field(default_factory=dict)

    def locale(self, language: str) -> str:
        return self.locales.get(language, language)


def load_site(templates: Path) -> Site:
    path = templates / SITE_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TemplateError(f"{path}: site settings file not found") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise TemplateError(f"{path}: cannot be read: {one_line(exc)}") from None
    if not isinstance(data, dict):
        raise TemplateError(f"{path}: expected field: value pairs")
    for name in REQUIRED:
        if not isinstance(data.get(name), str | int) or not str(data[name]).strip():
            raise TemplateError(f"{path}: {name}: missing")
    locales = data.get("locales") or {}
    if not isinstance(locales, dict):
        raise TemplateError(f"{path}: locales: expected language: locale pairs")
    for language, locale in locales.items():
        try:
            Locale.parse(str(locale))
        except (ValueError, UnknownLocaleError):
            raise TemplateError(f"{path}: locales.{language}: {locale!r} is not a locale Babel "
                                "knows (such as en_GB or es_ES)") from None
    return Site(**{n: str(data[n]) for n in REQUIRED}, locales={str(k): str(v) for k, v in locales.items()})
