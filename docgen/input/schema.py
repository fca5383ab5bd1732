"""Declared schemas for what a hospital writes: the patient record, the column map, the site settings.

pydantic models state each field's type, whether it is required and what it may hold; their
errors carry the field's location, and the same models export JSON Schema (`docgen schema`).
A record's fields arrive as text (see loading.py) and are judged from that text. Reasons never
quote the value: they reach the terminal, and the value may be a patient's name.
"""

import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, ValidationInfo, create_model
from pydantic_core import PydanticCustomError

from .. import clock
from ..errors import Problem

MAX_TEXT = 120  # longer than any real name; keeps a header line on the page
OLDEST_AGE_YEARS = 130
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d.*")
YES = ("yes", "y", "true", "1")
NO = ("no", "n", "false", "0", "")
_HIDDEN = ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")  # control, format, unassigned characters
_SINGULAR = {"comorbidities": "comorbidity", "levels": "vertebra", "anaesthesia": "anaesthesia"}
# Planned anaesthesia, as the model consent form's tick boxes (NHS England consent form 1).
ANAESTHESIA = ("local", "sedation", "general")


def _refuse(reason: str) -> PydanticCustomError:
    # The reason is the message template: escape braces so it is printed as written.
    return PydanticCustomError("docgen", reason.replace("{", "{{").replace("}", "}}"))


def _ctx(info: ValidationInfo) -> dict[str, Any]:
    return info.context or {}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(required: bool | str) -> Callable[[Any, ValidationInfo], str | None]:
    """Free text. required: True, False, or the document ("consent") that needs the field."""

    def validate(value: Any, info: ValidationInfo) -> str | None:
        needed = required is True or (required and _ctx(info).get("document") == required)
        if _blank(value):
            if needed:
                raise _refuse("missing")
            return None
        if isinstance(value, bool | dict | list | tuple):
            raise _refuse("must be text")
        value = unicodedata.normalize("NFC", str(value).strip())
        if any(unicodedata.category(ch) in _HIDDEN for ch in value):
            raise _refuse("contains a control or unassigned character")
        if len(value) > MAX_TEXT:
            raise _refuse(f"longer than {MAX_TEXT} characters")
        can_draw = _ctx(info).get("can_draw")
        if can_draw is not None and (reason := can_draw(value)):
            raise _refuse(reason)
        return value

    return validate


def _date(required: bool | str) -> Callable[[Any, ValidationInfo], date | None]:
    def validate(value: Any, info: ValidationInfo) -> date | None:
        needed = required is True or (required and _ctx(info).get("document") == required)
        if _blank(value):
            if needed:
                raise _refuse("missing")
            return None
        if isinstance(value, datetime):
            raise _refuse("is a date and time; write the date only, YYYY-MM-DD")
        if isinstance(value, date):
            return value
        if not isinstance(value, str):
            raise _refuse("is not a date written YYYY-MM-DD")
        value = value.strip()
        if _ISO_DATETIME.fullmatch(value):
            raise _refuse("is a date and time; write the date only, YYYY-MM-DD")
        if not _ISO_DATE.fullmatch(value):
            raise _refuse("is not a date written YYYY-MM-DD")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise _refuse("is not a real date") from None

    return validate


def _known(value: Any, known: tuple[str, ...], name: str) -> str:
    if not isinstance(value, str):
        raise _refuse("must be text")
    word = value.strip().lower()
    if word not in known:
        raise _refuse(f"not a known {name} (known: {', '.join(known)})")
    return word


def _items(value: Any, name: str) -> list[str]:
    """A list written as YAML/JSON list or as text separated by ';'."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        if any(isinstance(v, bool | dict | list | tuple) or v is None for v in value):
            raise _refuse(f"each {_SINGULAR[name]} must be text")
        parts = [str(v) for v in value]
    elif isinstance(value, str):
        parts = value.split(";")
    else:
        raise _refuse("must be text, items separated by ';'")
    return [p.strip() for p in parts if p.strip()]


def _procedure(value: Any, info: ValidationInfo) -> str:
    procedures = _ctx(info)["vocabulary"].procedures
    if _blank(value):
        raise _refuse(f"missing (one of: {', '.join(procedures)})")
    return _known(value, procedures, "procedure")


def _levels(value: Any, info: ValidationInfo) -> tuple[str, ...]:
    vertebrae = _ctx(info)["vocabulary"].vertebrae
    items = [item.upper().replace(" ", "") for item in _items(value, "levels")]
    if not items:
        raise _refuse("missing (vertebrae such as T12;L1)")
    wrong = [str(i + 1) for i, item in enumerate(items) if item not in vertebrae]
    if wrong:
        where = "item" if len(wrong) == 1 else "items"
        raise _refuse(f"{where} {', '.join(wrong)} not a vertebra ({_spine(vertebrae)})")
    if len(set(items)) != len(items):
        raise _refuse("a level is listed twice")
    order = {name: i for i, name in enumerate(vertebrae)}
    return tuple(sorted(items, key=order.__getitem__))


def _spine(vertebrae: tuple[str, ...]) -> str:
    """C1-C7, T1-T12, L1-L5: the vocabulary's vertebrae as runs per region."""
    runs: dict[str, list[str]] = {}
    for name in vertebrae:
        runs.setdefault(name.rstrip("0123456789"), []).append(name)
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else r[0] for r in runs.values())


def _word(name: str, default: str) -> Callable[[Any, ValidationInfo], str]:
    def validate(value: Any, info: ValidationInfo) -> str:
        vocabulary = _ctx(info)["vocabulary"]
        if _blank(value):
            return getattr(vocabulary, default)
        return _known(value, getattr(vocabulary, f"{name}s"), name)

    return validate


def _comorbidities(value: Any, info: ValidationInfo) -> tuple[str, ...]:
    known = _ctx(info)["vocabulary"].comorbidities
    items = [item.lower() for item in _items(value, "comorbidities")]
    wrong = [str(i + 1) for i, item in enumerate(items) if item not in known]
    if wrong:
        where = "item" if len(wrong) == 1 else "items"
        raise _refuse(f"{where} {', '.join(wrong)} not a known comorbidity (known: {', '.join(known)})")
    return tuple(dict.fromkeys(items))


def _anaesthesia(value: Any) -> tuple[str, ...]:
    """Planned anaesthesia, ticked on the consent form; blank boxes when not given."""
    items = [item.lower() for item in _items(value, "anaesthesia")]
    wrong = [str(i + 1) for i, item in enumerate(items) if item not in ANAESTHESIA]
    if wrong:
        where = "item" if len(wrong) == 1 else "items"
        raise _refuse(f"{where} {', '.join(wrong)} not a known anaesthesia (known: {', '.join(ANAESTHESIA)})")
    return tuple(a for a in ANAESTHESIA if a in items)


def _yes_no(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value is not None and not isinstance(value, str):
        raise _refuse("is not yes or no")
    word = "" if value is None else value.strip().lower()
    if word in YES:
        return True
    if word not in NO:
        raise _refuse("is not yes or no")
    return False


def _born(value: Any, info: ValidationInfo) -> date:
    born = _date(True)(value, info)
    today = _ctx(info).get("today") or clock.today()
    if born >= today:
        raise _refuse("is not in the past")
    if today.year - born.year > OLDEST_AGE_YEARS:
        raise _refuse(f"is more than {OLDEST_AGE_YEARS} years ago")
    return born


def _procedure_day(value: Any, info: ValidationInfo) -> date | None:
    day = _date("aftercare")(value, info)
    born = info.data.get("date_of_birth")
    if day is not None and born is not None and day < born:
        raise _refuse("is before the date of birth")
    return day


_DATE = {"type": "string", "format": "date"}
_LIST = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
_YES_NO = {"anyOf": [{"type": "boolean"}, {"type": "string", "enum": [*YES, *NO[:-1]]}]}


def _field(validator: Callable, schema: dict[str, Any], description: str, **kw: Any) -> Any:
    """A field judged by validator from the text as written; schema is what JSON Schema shows."""
    field = Field(json_schema_extra=dict(schema), description=description, **kw)
    return Annotated[Any, BeforeValidator(validator), field]


class PatientRecord(BaseModel):
    """One patient and the procedure planned for them, as written in a .yaml/.json file or a list row."""

    model_config = ConfigDict(extra="forbid", title="docgen patient record")

    mrn: _field(_text(True), {"type": "string"}, "Hospital number, printed exactly as written")
    given_name: _field(_text(True), {"type": "string"}, "Given name(s)")
    family_name: _field(_text(True), {"type": "string"}, "Family name")
    date_of_birth: _field(_born, _DATE, "Date of birth, YYYY-MM-DD")
    procedure: _field(_procedure, {"type": "string"}, "vertebroplasty or kyphoplasty")
    levels: _field(_levels, _LIST, "Vertebrae treated, such as T12;L1")
    indication: _field(_word("indication", "default_indication"), {"type": "string"},
                       "Why the procedure is done (a catalogue indication)", default=None, validate_default=True)
    comorbidities: _field(_comorbidities, _LIST, "Catalogue comorbidities, separated by ';'",
                          default=None, validate_default=True)
    clinician: _field(_text("consent"), {"type": "string"}, "Clinician taking consent (needed for consent)",
                      default=None, validate_default=True)
    clinician_job_title: _field(_text(False), {"type": "string"},
                                "Job title of the responsible clinician (a line to write on when absent)",
                                default=None, validate_default=True)
    anaesthesia: _field(_anaesthesia, _LIST, "Planned anaesthesia: local, sedation, general, separated by ';'",
                        default=None, validate_default=True)
    procedure_date: _field(_procedure_day, _DATE, "Date of the procedure (needed for aftercare)",
                           default=None, validate_default=True)
    language: _field(_word("language", "default_language"), {"type": "string"}, "Language of the document",
                     default=None, validate_default=True)
    large_print: _field(_yes_no, _YES_NO, "Body text of at least 16 pt", default=None, validate_default=True)
    override: _field(_text(False), {"type": "string"}, "A clinician's reason to proceed despite a safety rule",
                     default=None, validate_default=True)


FIELDS = tuple(PatientRecord.model_fields)
REQUIRED = tuple(name for name, f in PatientRecord.model_fields.items() if f.is_required())
REQUIRED_FOR = {"consent": ("clinician",), "aftercare": ("procedure_date",)}


def problems_of(exc: ValidationError, source: str, row: int | None) -> list[Problem]:
    """pydantic's errors as docgen's one-line problems, each naming its field."""
    problems = []
    for error in exc.errors(include_url=False):
        loc = error["loc"]
        name = str(loc[0]) if loc else ""
        kind = error["type"]
        if kind == "missing":
            reason = _missing(name)
        elif kind == "extra_forbidden":
            reason = f"unknown field (known: {', '.join(FIELDS)})"
        else:
            reason = error["msg"]
        shown = error.get("input")
        value = shown[:MAX_TEXT * 2] if kind == "docgen" and isinstance(shown, str) else None
        problems.append(Problem(source, name, reason, row, value))
    # Unknown fields first, as a person reading the file meets them.
    problems.sort(key=lambda p: p.reason.startswith("unknown field") is False)
    return problems


def _missing(name: str) -> str:
    if name == "levels":
        return "missing (vertebrae such as T12;L1)"
    return "missing"


# --- the column map (--columns MAP.yaml) -------------------------------------------------------

BATCH_FIELDS = ("date_of_death",)  # read from a list only to refuse the row


def _header(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise _refuse("give the column header as text")
    return str(value).strip()


_Header = Annotated[str | None, BeforeValidator(_header)]

# One optional header per field: built from FIELDS so that a new record field is mappable at once.
ColumnMap = create_model(
    "ColumnMap",
    __config__=ConfigDict(extra="forbid", title="docgen column map"),
    __doc__="docgen field -> the header of the list's column that holds it.",
    **{name: (_Header, None) for name in FIELDS + BATCH_FIELDS},
)


# --- site settings (templates/site.yaml) ---------------------------------------------------------

def _site_text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise _refuse("missing")
    return str(value)


_SiteText = Annotated[str, BeforeValidator(_site_text)]


class SiteFhir(BaseModel):
    """FHIR settings (both optional): where the site's MRNs are, and who files the documents."""

    model_config = ConfigDict(extra="forbid", title="docgen site FHIR settings")

    mrn_system: str | None = Field(default=None, description="Patient.identifier.system of the "
                                   "site's MRNs; without it, the one identifier typed MR is used")
    organization: str | None = Field(default=None, description="reference DocumentReference.author "
                                     "gives for this site, such as Organization/example-general")


class SiteSettings(BaseModel):
    """The hospital's details printed on every document, and a Babel locale per language."""

    model_config = ConfigDict(extra="forbid", title="docgen site settings")

    hospital: _SiteText
    department: _SiteText
    ward_phone: _SiteText
    out_of_hours_phone: _SiteText
    emergency_phone: _SiteText
    locales: dict[str, str] = Field(default_factory=dict,
                                    description="language -> Babel locale, such as en: en_GB")
    timezone: str = Field(default=clock.DEFAULT_ZONE, min_length=1,
                          description='the IANA time zone whose calendar decides "today", such as Europe/London')
    fhir: SiteFhir = Field(default_factory=SiteFhir, description="FHIR settings (docgen --fhir, --fhir-out)")
    # Who signs for a patient under 18 follows the site's law: the chosen jurisdiction, and each
    # jurisdiction's age bands (checked in content/settings.py, where they become MinorBands).
    jurisdiction: str | None = Field(default=None, description="key of the jurisdiction in use")
    jurisdictions: dict[str, Any] = Field(default_factory=dict,
                                          description="name -> {name, minors: [{age_under, signature, "
                                                      "signer, text, source}]}")
    content_approval: dict[str, str] | None = Field(
        default=None, description="this site's clinical approval of the content: approved_by, approved_on")
    follow_up_by: dict[str, _SiteText] = Field(
        min_length=1, description="language -> who contacts the patient after the treatment (aftercare sheet)")
    # Text, as every value read from site.yaml is: a whole number of weeks, 1 to 99.
    follow_up_weeks: _SiteText = Field(pattern=r"^[1-9][0-9]?$",
                                       description="within how many weeks they make contact")
