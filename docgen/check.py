"""`docgen check`: validate every template and catalogue file and render every variant with sample data."""

from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path

from .errors import DocgenError
from .generate import Generator, Options
from .records import DOCUMENTS, PROCEDURES


def sample_record(procedure: str, language: str, large_print: bool) -> dict:
    """A made-up patient that exercises every field; never a real person."""
    return {
        "mrn": "SAMPLE-0001",
        "given_name": "Sample",
        "family_name": "Patient",
        "date_of_birth": "1941-03-02",
        "procedure": procedure,
        "levels": "T12;L1",
        "comorbidities": "anticoagulants",
        "clinician": "Dr Sample Clinician",
        "procedure_date": date.today().isoformat(),
        "language": language,
        "large_print": "yes" if large_print else "no",
    }


def run(templates: Path | None = None, risks: Path | None = None) -> list[str]:
    """Return one line per problem found; an empty list means all content is fit to use."""
    given = {k: v for k, v in {"templates": templates, "risks": risks}.items() if v is not None}
    options = Options(**given)
    problems: list[str] = []
    for document in DOCUMENTS:
        try:
            generator = Generator(document, options)
        except DocgenError as exc:
            problems.append(str(exc.message))
            continue
        variants = itertools.product(PROCEDURES, generator.catalogue.languages, (False, True))
        for procedure, language, large_print in variants:
            raw = sample_record(procedure, language, large_print)
            try:
                generator.build(generator.case(raw, source="sample record"))
            except DocgenError as exc:
                problems.append(f"{document}/{procedure}/{language}"
                                f"{'/large print' if large_print else ''}: {exc.message}")
    return list(dict.fromkeys(problems))
