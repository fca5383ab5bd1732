"""Patient records: read one from YAML/JSON, validate it against the declared schema, and build a Case."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import RecordError
from .limits import MAX_RECORD_BYTES, read_capped
from .loading import load_mapping
from .schema import ANAESTHESIA, FIELDS, MAX_TEXT, REQUIRED, REQUIRED_FOR, PatientRecord, problems_of

__all__ = ["ANAESTHESIA", "DOCUMENTS", "FIELDS", "MAX_TEXT", "PROCEDURES", "REQUIRED", "REQUIRED_FOR", "VERTEBRAE",
           "Case", "Vocabulary", "parse_case", "read_record_file"]

# The catalogue's Vocabulary carries the procedures and vertebrae a record may name; these are
# its defaults, for callers that build a Vocabulary by hand.
PROCEDURES = ("vertebroplasty", "kyphoplasty")
DOCUMENTS = ("consent", "aftercare")

# Vertebrae that can be treated, in order from the skull down.
VERTEBRAE = (
    tuple(f"C{i}" for i in range(1, 8))
    + tuple(f"T{i}" for i in range(1, 13))
    + tuple(f"L{i}" for i in range(1, 6))
)


@dataclass(frozen=True)
class Vocabulary:
    """The words a record may use, as the catalogue defines them."""

    indications: tuple[str, ...]
    comorbidities: tuple[str, ...]
    languages: tuple[str, ...]
    default_indication: str = "osteoporosis"
    default_language: str = "en"
    procedures: tuple[str, ...] = PROCEDURES
    vertebrae: tuple[str, ...] = VERTEBRAE  # from the skull down: levels print in this order


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
    clinician_job_title: str | None = None  # printed beside the name; a line to write on when absent
    anaesthesia: tuple[str, ...] = ()  # planned: ticked on the form; blank boxes when not given
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
    """Read one patient from a .yaml/.yml/.json file into a mapping whose values keep their text."""
    data = read_capped(path, MAX_RECORD_BYTES, "patient record")
    return load_mapping(data, path, "json" if path.suffix.lower() == ".json" else "yaml")


def parse_case(
    raw: Mapping[str, Any],
    *,
    document: str,
    vocabulary: Vocabulary,
    source: str,
    row: int | None = None,
    strict_fields: bool = True,
    can_draw: Callable[[str], str | None] | None = None,
    today: date | None = None,
) -> Case:
    """Validate a raw record and return a Case, or raise RecordError listing every problem.

    ``can_draw`` returns a reason when the shipped fonts cannot print a text;
    names that would print as empty boxes are refused, not printed wrongly.
    ``today`` is the day a date of birth must lie before (default: the calendar's today).
    """
    if not strict_fields:
        raw = {name: value for name, value in raw.items() if name in FIELDS}
    context = {"document": document, "vocabulary": vocabulary, "can_draw": can_draw, "today": today}
    try:
        record = PatientRecord.model_validate(dict(raw), context=context)
    except ValidationError as exc:
        raise RecordError(problems_of(exc, source, row)) from None
    return Case(**record.model_dump(), source=source, row=row)
