"""Site settings (hospital, department, phone numbers, locales) from site.yaml in the templates folder."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

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
class MinorBand:
    """Who signs for a patient under an age, in this site's jurisdiction, and why."""

    age_under: int
    signature: bool
    text: dict[str, str]
    source: str
    signer: dict[str, str] = field(default_factory=dict)


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
    jurisdiction: str = ""
    minors: tuple[MinorBand, ...] = ()
    content_approved_by: str | None = None  # None: the site has not approved the content
    content_approved_on: date | None = None
    # Aftercare follow-up: who gets in touch (text per language) and within how many weeks.
    follow_up_by: dict[str, str] = field(default_factory=dict)
    follow_up_weeks: int = 0

    def locale(self, language: str) -> str:
        return self.locales.get(language, language)

    def minor_band(self, age: int) -> MinorBand | None:
        """The first band whose age limit is above this age, or None for an adult."""
        return next((band for band in self.minors if age < band.age_under), None)


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
    jurisdiction, minors = _minors(path, settings.jurisdiction, settings.jurisdictions)
    approved_by, approved_on = _approval(path, settings.content_approval)
    return Site(hospital=settings.hospital, department=settings.department, ward_phone=settings.ward_phone,
                out_of_hours_phone=settings.out_of_hours_phone, emergency_phone=settings.emergency_phone,
                locales=settings.locales, timezone=settings.timezone, jurisdiction=jurisdiction, minors=minors,
                content_approved_by=approved_by, content_approved_on=approved_on, fhir=settings.fhir.model_dump(),
                follow_up_by=dict(settings.follow_up_by), follow_up_weeks=int(settings.follow_up_weeks))


def _approval(path: Path, approval: dict[str, str] | None) -> tuple[str | None, date | None]:
    """The site's own clinical approval of the content, or (None, None) when not recorded."""
    if not approval:
        return None, None
    by, on = approval.get("approved_by"), approval.get("approved_on")
    try:
        day = date.fromisoformat(str(on).strip())
    except ValueError:
        day = None
    if not (isinstance(by, str) and by.strip()) or day is None:
        raise TemplateError(f"{path}: content_approval: expected approved_by (text) and approved_on (YYYY-MM-DD)")
    return by.strip(), day


def _minors(path: Path, chosen: str | None, known: dict[str, Any]) -> tuple[str, tuple[MinorBand, ...]]:
    """The chosen jurisdiction's rules for patients under 18 (its name, age bands in order)."""
    if chosen is None and not known:
        return "", ()
    if chosen not in known or not isinstance(known[chosen], dict):
        raise TemplateError(f"{path}: jurisdiction: {chosen!r} is not one of jurisdictions "
                            f"({', '.join(map(str, known)) or 'none'})")
    entry = known[chosen]
    bands = []
    for i, band in enumerate(entry.get("minors") or []):
        where = f"{path}: jurisdictions.{chosen}.minors[{i}]"
        band = band if isinstance(band, dict) else {}
        age, signature = str(band.get("age_under", "")).strip(), str(band.get("signature", "")).strip().lower()
        text, source, signer = band.get("text"), band.get("source"), band.get("signer")
        if not (age.isdigit() and signature in ("true", "false") and isinstance(text, dict)
                and isinstance(source, str) and source.strip()):
            raise TemplateError(f"{where}: expected age_under, signature (true/false), text and source")
        if signature == "true" and not isinstance(signer, dict):
            raise TemplateError(f"{where}: signer: missing (who signs)")
        bands.append(MinorBand(
            age_under=int(age), signature=signature == "true",
            text={str(k): " ".join(str(v).split()) for k, v in text.items()},
            source=" ".join(source.split()),
            signer={str(k): str(v) for k, v in (signer or {}).items()}))
    return str(entry.get("name") or chosen), tuple(sorted(bands, key=lambda b: b.age_under))
