"""Apply the catalogue's tailoring and safety rules to one Case: one generic mechanism, rules as data."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date

from ..input.records import DOCUMENTS, Case
from .catalogue import Catalogue, Likelihood, Risk, Rule, Text


@dataclass(frozen=True)
class TailoredRisk:
    risk: Risk
    likelihood: Likelihood
    emphasised: bool
    notes: tuple[Text, ...]


@dataclass(frozen=True)
class Tailoring:
    """What the rules decided for this patient, and which rules decided it."""

    risks: tuple[TailoredRisk, ...]
    benefit: Text
    sentences: dict[str, tuple[Text, ...]]
    signatures: tuple[str, ...]
    fired: tuple[Rule, ...]
    refusals: tuple[Rule, ...] = field(default=())
    benefit_sources: tuple[str, ...] = ()  # source ids behind the benefit statement's figures
    sentence_sources: dict[str, tuple[str, ...]] = field(default_factory=dict)  # section -> ids
    aftercare: tuple[str, ...] = ()  # aftercare sections the rules added


# The record field each condition reads, for error messages a person can act on.
CONDITION_FIELDS = {
    "procedure": "procedure",
    "indication": "indication",
    "comorbidities_any": "comorbidities",
    "levels_at_least": "levels",
    "levels_at_most": "levels",
    "age_under": "date_of_birth",
    "age_at_least": "date_of_birth",
}


def rule_fields(rule: Rule) -> str:
    return ",".join(dict.fromkeys(CONDITION_FIELDS[name] for name in rule.when if name in CONDITION_FIELDS))


def reference_day(case: Case, today: date) -> date:
    """The day age is judged on: the procedure date, else the clock's today (see docgen/clock.py)."""
    return case.procedure_date or today


def condition_holds(name: str, expected, case: Case, document: str, today: date) -> bool:
    if name == "document":
        return document in expected
    if name == "procedure":
        return case.procedure in expected
    if name == "indication":
        return case.indication in expected
    if name == "comorbidities_any":
        return any(c in expected for c in case.comorbidities)
    if name == "levels_at_least":
        return len(case.levels) >= expected
    if name == "levels_at_most":
        return len(case.levels) <= expected
    if name == "age_under":
        return case.age_on(reference_day(case, today)) < expected
    if name == "age_at_least":
        return case.age_on(reference_day(case, today)) >= expected
    raise ValueError(f"unknown condition {name!r}")  # the catalogue schema refuses these first


def rule_applies(rule: Rule, case: Case, document: str, today: date) -> bool:
    return all(condition_holds(name, value, case, document, today) for name, value in rule.when.items())


def tailor(catalogue: Catalogue, case: Case, document: str, today: date) -> Tailoring:
    """The rules that apply to this patient in this document, and what they decided together.

    ``today`` (from docgen/clock.py) is the day age is judged on when the record has no procedure date.
    """
    fired = tuple(rule for rule in catalogue.rules if rule_applies(rule, case, document, today))
    emphasised = {risk_id for rule in fired for risk_id in rule.emphasise}
    notes: dict[str, list[Text]] = {}
    sentences: dict[str, list[Text]] = {}
    signatures: list[str] = []
    benefit_name = "benefit_default"
    sentence_sources: dict[str, list[str]] = {}
    for rule in fired:
        for section in (rule.sentences or {}):
            for source in rule.sources:
                if source not in sentence_sources.setdefault(section, []):
                    sentence_sources[section].append(source)
        for risk_id, text in (rule.risk_notes or {}).items():
            notes.setdefault(risk_id, []).append(text)
        for section, texts in (rule.sentences or {}).items():
            sentences.setdefault(section, []).extend(texts)
        signatures.extend(s for s in rule.signatures if s not in signatures)
        if rule.benefit:
            benefit_name = rule.benefit
    risks = tuple(
        TailoredRisk(
            risk=risk,
            likelihood=risk.likelihood[case.procedure],
            emphasised=risk.id in emphasised,
            notes=tuple(notes.get(risk.id, ())),
        )
        for risk in catalogue.risks
        if case.procedure in risk.likelihood
    )
    return Tailoring(
        risks=risks,
        benefit=catalogue.statements[benefit_name],
        sentences={k: tuple(v) for k, v in sentences.items()},
        signatures=tuple(signatures),
        fired=fired,
        refusals=tuple(rule for rule in fired if rule.refuse is not None),
        benefit_sources=tuple(catalogue.statement_sources.get(benefit_name, ())),
        sentence_sources={k: tuple(v) for k, v in sentence_sources.items()},
        aftercare=tuple(dict.fromkeys(name for rule in fired for name in rule.aftercare)),
    )


def condition_cases(catalogue: Catalogue, age_limits: tuple[int, ...] = ()) -> Iterator[tuple[Case, str]]:
    """Every combination of the rules' conditions: procedure x indication x comorbidities x
    number of levels x age band x document, as made-up cases (no real person).

    ``age_limits`` adds age bands from elsewhere (a site's rules for minors)."""
    day = date(2026, 1, 1)  # fixed: ages are set by date of birth relative to this day
    level_limits = {v for r in catalogue.rules for k, v in r.when.items() if k.startswith("levels_")}
    level_counts = sorted({1, 2} | {n + d for n in level_limits for d in (-1, 0, 1) if n + d >= 1})
    age_limits = {*age_limits, *(v for r in catalogue.rules for k, v in r.when.items() if k.startswith("age_"))}
    ages = sorted({80} | {a + d for a in age_limits for d in (-1, 0) if a + d >= 1})
    comorbidities = tuple(catalogue.comorbidities)
    subsets = [c for n in range(len(comorbidities) + 1) for c in itertools.combinations(comorbidities, n)]
    procedures = tuple(catalogue.procedures)
    base = Case(mrn="MATRIX", given_name="Matrix", family_name="Case", date_of_birth=day,
                procedure=procedures[0], levels=(), indication="", procedure_date=day)
    for procedure, indication, comorbid, count, age, document in itertools.product(
            procedures, catalogue.indications, subsets, level_counts, ages, DOCUMENTS):
        yield replace(base, procedure=procedure, indication=indication, comorbidities=comorbid,
                      levels=catalogue.vertebrae[-count:], date_of_birth=date(day.year - age, 1, 1)), document


def contradictions_found(catalogue: Catalogue, age_limits: tuple[int, ...] = ()) -> list[str]:
    """Every combination of conditions in which two rules that must never print together fire."""
    found = []
    for case, document in condition_cases(catalogue, age_limits):
        # Every case has a procedure date, the day its age is judged on; ``today`` is never read.
        fired = {rule.id for rule in tailor(catalogue, case, document, case.procedure_date).fired}
        for first, second, why in catalogue.contradictions:
            if first in fired and second in fired:
                found.append(f"{first} and {second} ({why}) both apply to {document}: {case.procedure}, "
                             f"{case.indication}, {','.join(case.comorbidities) or 'no comorbidities'}, "
                             f"{len(case.levels)} levels, age {case.age_on(case.procedure_date)}")
    return found
