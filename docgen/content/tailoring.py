"""Apply the catalogue's tailoring and safety rules to one Case: one generic mechanism, rules as data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ..input.records import Case
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


# The record field each condition reads, for error messages a person can act on.
CONDITION_FIELDS = {
    "procedure": "procedure",
    "indication": "indication",
    "comorbidities_any": "comorbidities",
    "levels_at_least": "levels",
    "age_under": "date_of_birth",
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
    if name == "age_under":
        return case.age_on(reference_day(case, today)) < expected
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
    benefit = catalogue.statements["benefit_default"]
    for rule in fired:
        for risk_id, text in (rule.risk_notes or {}).items():
            notes.setdefault(risk_id, []).append(text)
        for section, texts in (rule.sentences or {}).items():
            sentences.setdefault(section, []).extend(texts)
        signatures.extend(s for s in rule.signatures if s not in signatures)
        if rule.benefit:
            benefit = catalogue.statements[rule.benefit]
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
        benefit=benefit,
        sentences={k: tuple(v) for k, v in sentences.items()},
        signatures=tuple(signatures),
        fired=fired,
        refusals=tuple(rule for rule in fired if rule.refuse is not None),
    )
