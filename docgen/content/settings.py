"""Site settings (hospital, department, phone numbers, locales) from site.yaml in the templates folder."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from babel import Locale, UnknownLocaleError
from pydantic import ValidationError

from .. import clock
from ..errors import InputFileError, TemplateError
from ..input.limits import read_capped
from ..input.loading import load_mapping
from ..input.schema import SiteSettings

SITE_FILE = "site.yaml"
MAX_SITE_BYTES = 64 * 1024


@dataclass(frozen=True)
class Site:
    hospital: str
    department: str
    ward_phone: str
    out_of_hours_phone: str
    emergency_phone: str
    locales: dict[str, str] = field(default_factory=dict)
    timezone: str = clock.DEFAULT_ZONE  # the day "today" is judged in, whatever the machine's zone
    # FHIR: the identifier system of the site's MRNs, and the Organization that files documents.
    fhir: dict[str, str | None] = field(default_factory=dict)

    def locale(self, language: str) -> str:
        return self.locales.get(language, language)


def load_site(templates: Path) -> Site:
    path = templates / SITE_FILE
    if not path.exists():
        raise TemplateError(f"{path}: site settings file not found")
    try:
        # Text-keeping loader: a phone number such as 0161 496 0000 is never read as a number.
        data = load_mapping(read_capped(path, MAX_SITE_BYTES, "site settings file"), path, "yaml")
    except InputFileError as exc:
        raise TemplateError(f"{path}: cannot be read: {exc.message.removeprefix(f'{path}: ')}") from None
    try:
        settings = SiteSettings.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False, include_input=False)[0]
        name = ".".join(str(part) for part in error["loc"])
        reason = "missing" if error["type"] in ("missing", "docgen") else (
            "not a site setting" if error["type"] == "extra_forbidden" else error["msg"])
        if name == "locales" or name.startswith("locales."):
            reason = "expected language: locale pairs"
        raise TemplateError(f"{path}: {name}: {reason}") from None
    for language, locale in settings.locales.items():
        try:
            Locale.parse(locale)
        except (ValueError, UnknownLocaleError):
            raise TemplateError(f"{path}: locales.{language}: {locale!r} is not a locale Babel "
                                "knows (such as en_GB or es_ES)") from None
    try:
        clock.zone(settings.timezone)
    except clock.ClockError as exc:
        raise TemplateError(f"{path}: timezone: {exc.message}") from None
    return Site(**settings.model_dump())
