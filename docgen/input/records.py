"""Patient records: read one from YAML/JSON, validate every field, and build a Case."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputFileError, Problem, RecordError, one_line

PROCEDURES = ("vertebroplasty", "kyphoplasty")
DOCUMENTS = ("consent", "aftercare")

# Vertebrae that can be treated, in order from the skull down.
VERTEBRAE = (
    tuple(f"C{i}" for i in range(1, 8))
    + tuple(f"T{i}" for i in range(1, 13))
    + tuple(f"L{i}" for i in range(1, 6))
)
_SPINE_ORDER = {name: i for i, name in enumerate(VERTEBRAE)}

FIELDS = (
    "mrn",
    "given_name",
    "family_name",
    "date_of_birth",
    "procedure",
    "levels",
    "indication",
    "comorbidities",
    "clinician",
    "procedure_date",
    "language",
    "large_print",
    "override",
)
REQUIRED = ("mrn", "given_name", "family_name", "date_of_birth", "procedure", "levels")
REQUIRED_FOR = {"consent": ("clinician",), "aftercare": ("procedure_date",)}

MAX_TEXT = 120  # longer than any real name; keeps a header line on the page
OLDEST_AGE_YEARS = 130
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0", ""}


@dataclass(frozen=True)
class Vocabulary:
    """The words a record may use, as the catalogue defines them."""

    indications: tuple[str, ...]
    comorbidities: tuple[str, ...]
    languages: tuple[str, ...]
    default_indication: str = "osteoporosis"
    default_language: str = "en"


@dataclass(frozen=True)
class Case:
    """One patient and the procedure planned for them, validated."""

    mrn: str
    given_name: str
    family_name: str
    date_of_birth: date
    procedure: str
    levels: tuple[str, ...]
    indication: str
    comorbidities: tuple[str, ...] = ()
    clinician: str | None = None
    procedure_date: date | None = None
    language: str = "en"
    large_print: bool = False
    override: str | None = None
    source: str = field(default="", compare=False, repr=False)
    row: int | None = field(default=None, compare=False, repr=False)

    def age_on(self, day: date) -> int:
        before_birthday = (day.month, day.day) < (self.date_of_birth.month, self.date_of_birth.day)
        return day.year - self.date_of_birth.year - before_birthday


def read_record_file(path: Path) -> dict[str, Any]:
    """Read one patient from a .yaml/.yml/.json file into a plain mapping."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{path}: cannot be read: {one_line(exc)}") from None
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            data = yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise InputFileError(f"{path}: not valid {_kind(path)}: {one_line(exc)}") from None
    if not isinstance(data, dict):
        raise InputFileError(f"{path}: expected field: value pairs, found {type(data).__name__}")
    return {str(k): v for k, v in data.items()}


def parse_case(
    raw: Mapping[str, Any],
    *,
    document: str,
    vocabulary: Vocabulary,
    source: str,
    row: int | None = None,
    strict_fields: bool = True,
    can_draw: Callable[[str], str | None] | None = None,
) -> Case:
    """Validate a raw record and return a Case, or raise RecordError listing every problem.

    ``can_draw`` returns a reason when the shipped fonts cannot print a text;
    names that would print as empty boxes are refused, not printed wrongly.
    """
    problems: list[Problem] = []

    def problem(name: str, reason: str) -> None:
        problems.append(Problem(source, name, reason, row))

    if strict_fields:
        for name in raw:
            if name not in FIELDS:
                problem(name, f"unknown field (known fields: {', '.join(FIELDS)})")

    def text(name: str, required: bool) -> str | None:
        value = raw.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                problem(name, "missing")
            return None
        if isinstance(value, bool | dict | list):
            problem(name, "must be text")
            return None
        value = unicodedata.normalize("NFC", str(value).strip())
        if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") for ch in value):
            problem(name, "contains a control or unassigned character")
            return None
        if len(value) > MAX_TEXT:
            problem(name, f"longer than {MAX_TEXT} characters")
            return None
        if can_draw is not None and (reason := can_draw(value)):
            problem(name, reason)
            return None
        return value

    def iso_date(name: str, required: bool) -> date | None:
        value = raw.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                problem(name, "missing")
            return None
        if isinstance(value, date):
            return value
        value = str(value).strip()
        if not _ISO_DATE.fullmatch(value):
            problem(name, f"{value!r} is not a date written YYYY-MM-DD")
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            problem(name, f"{value!r} is not a real date")
            return None

    def word(name: str, known: tuple[str, ...], default: str) -> str:
        value = raw.get(name)
        if value is None or not str(value).strip():
            return default
        value = str(value).strip().lower()
        if value not in known:
            problem(name, f"unknown {name} {value!r} (known: {', '.join(known)})")
        return value

    def word_list(name: str, known: tuple[str, ...]) -> tuple[str, ...]:
        items = _split_list(raw.get(name))
        items = [item.lower() for item in items]
        for item in items:
            if item not in known:
                problem(name, f"unknown {_singular(name)} {item!r} (known: {', '.join(known)})")
        return tuple(dict.fromkeys(items))

    mrn = text("mrn", True)
    given_name = text("given_name", True)
    family_name = text("family_name", True)
    date_of_birth = iso_date("date_of_birth", True)
    procedure = word("procedure", PROCEDURES, "")
    if not procedure:
        problem("procedure", f"missing (one of: {', '.join(PROCEDURES)})")
    levels = _levels(raw.get("levels"), problem)
    indication = word("indication", vocabulary.indications, vocabulary.default_indication)
    comorbidities = word_list("comorbidities", vocabulary.comorbidities)
    clinician = text("clinician", "clinician" in REQUIRED_FOR.get(document, ()))
    procedure_date = iso_date("procedure_date", "procedure_date" in REQUIRED_FOR.get(document, ()))
    language = word("language", vocabulary.languages, vocabulary.default_language)
    large_print = _yes_no(raw.get("large_print"), problem)
    override = text("override", False)

    today = date.today()
    if date_of_birth is not None:
        if date_of_birth >= today:
            problem("date_of_birth", f"{date_of_birth.isoformat()} is not in the past")
        elif today.year - date_of_birth.year > OLDEST_AGE_YEARS:
            problem("date_of_birth", f"{date_of_birth.isoformat()} is more than {OLDEST_AGE_YEARS} years ago")
        if procedure_date is not None and procedure_date < date_of_birth:
            problem("procedure_date", f"{procedure_date.isoformat()} is before the date of birth")

    if problems:
        raise RecordError(problems)
    return Case(
        mrn=mrn,
        given_name=given_name,
        family_name=family_name,
        date_of_birth=date_of_birth,
        procedure=procedure,
        levels=levels,
        indication=indication,
        comorbidities=comorbidities,
        clinician=clinician,
        procedure_date=procedure_date,
        language=language,
        large_print=large_print,
        override=override,
        source=source,
        row=row,
    )


def _levels(value: Any, problem: Callable[[str, str], None]) -> tuple[str, ...]:
    items = [item.upper().replace(" ", "") for item in _split_list(value)]
    if not items:
        problem("levels", "missing (vertebrae such as T12;L1)")
        return ()
    wrong = [item for item in items if item not in _SPINE_ORDER]
    if wrong:
        problem("levels", f"{', '.join(map(repr, wrong))} not a vertebra (C1-C7, T1-T12, L1-L5)")
        return ()
    if len(set(items)) != len(items):
        problem("levels", "a level is listed twice")
        return ()
    return tuple(sorted(items, key=_SPINE_ORDER.__getitem__))


def _split_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        parts = [str(v) for v in value]
    else:
        parts = str(value).split(";")
    return [p.strip() for p in parts if p.strip()]


def _yes_no(value: Any, problem: Callable[[str, str], None]) -> bool:
    if isinstance(value, bool):
        return value
    word = "" if value is None else str(value).strip().lower()
    if word in _YES:
        return True
    if word not in _NO:
        problem("large_print", f"{value!r} is not yes or no")
    return False


def _singular(name: str) -> str:
    return {"comorbidities": "comorbidity"}.get(name, name)


def _kind(path: Path) -> str:
    return "JSON" if path.suffix.lower() == ".json" else "YAML"
