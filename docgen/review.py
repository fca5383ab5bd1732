"""`docgen review`: the content review pack a clinical lead reads and signs, laid out from
templates/review.rml.j2 through the same Jinja -> RML -> PDF pipeline as the documents."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .content import readability, translations
from .content.catalogue import SOURCE_LANGUAGE, Catalogue, Rule, load_catalogue
from .content.settings import load_site
from .content.tailoring import condition_cases, tailor
from .input.records import DOCUMENTS
from .layout import fonts, render

DOCUMENT = "review"  # templates/review.rml.j2; English only: the reviewer reads the source text


@dataclass(frozen=True)
class RuleSummary:
    """One rule as a reviewer reads it: when it applies, and what it adds or refuses."""

    id: str
    why: str
    when: str
    does: list[str]


def build(templates: Path, risks: Path) -> tuple[bytes, int]:
    """The review pack as PDF bytes and its page count."""
    from .layout import pdf  # z3c.rml only when a document is laid out

    fonts.register()
    rml = render.render_rml(templates, DOCUMENT, context(templates, risks))
    template = str(templates / render.template_name(DOCUMENT))
    root = pdf.parse_rml(rml, template, [templates, fonts.FONT_DIR])
    return pdf.rml_to_pdf_pages(root, template, require_scan_code=False)


def context(templates: Path, risks: Path) -> dict[str, Any]:
    """Everything the review template prints, in plain values."""
    catalogue = load_catalogue(risks)
    site = load_site(templates)
    en = SOURCE_LANGUAGE
    messages = list(translations.messages(templates))
    site_texts = [(f"templates/site.yaml: {site.jurisdiction}, under {band.age_under}", band.text)
                  for band in site.minors]
    grades = readability.grades(catalogue, messages, site_texts)
    names = sorted(p.name for p in templates.glob(f"*{render.TEMPLATE_SUFFIX}"))
    controls = [*catalogue.controls, *catalogue.translation_controls.values(),
                *(render.read_control(templates, name) for name in names)]
    controls += [translations.translation_control(templates, lang)
                 for lang in catalogue.languages if lang != en]
    return {
        "language": en,
        "locale": site.locale(en),
        "site": site,
        "catalogue": catalogue,
        "procedures": [(p, catalogue.procedures[p]["name"][en]) for p in catalogue.procedures],
        "sections": _sections(catalogue),
        "rules": [_rule(rule, catalogue) for rule in catalogue.rules],
        "contradictions": catalogue.contradictions,
        "grades": grades,
        "controls": controls,
        "unreviewed": [c for c in controls if _unreviewed(c.approved_by)],
        "documents": DOCUMENTS,
        "sources": catalogue.sources,
    }


def _unreviewed(approved_by: str) -> bool:
    """Whether a control says, in its own words, that nobody qualified has reviewed it yet."""
    text = approved_by.lower()
    return "no clinical review" in text or "pending review" in text or "example content" in text


def _sections(catalogue: Catalogue) -> list[dict[str, Any]]:
    """Per procedure and indication: the benefit statement and the rule sentences a patient reads."""
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for case, document in condition_cases(catalogue):
        key = (case.procedure, case.indication)
        if document != "consent" or case.comorbidities or len(case.levels) != 1 or key in seen:
            continue
        result = tailor(catalogue, case, "consent", case.procedure_date)  # cases carry their date
        seen[key] = {
            "procedure": catalogue.procedures[case.procedure]["name"][SOURCE_LANGUAGE],
            "indication": case.indication,
            "indication_text": catalogue.indications[case.indication][SOURCE_LANGUAGE],
            "benefit": result.benefit[SOURCE_LANGUAGE],
            "benefit_sources": result.benefit_sources,
            "sentences": [(section, text[SOURCE_LANGUAGE]) for section, texts in result.sentences.items()
                          for text in texts],
            "summary": catalogue.procedures[case.procedure]["summary"][SOURCE_LANGUAGE],
        }
    return list(seen.values())


def _rule(rule: Rule, catalogue: Catalogue) -> RuleSummary:
    en = SOURCE_LANGUAGE
    when = "; ".join(f"{k.replace('_', ' ')}: {', '.join(v) if isinstance(v, list | tuple) else v}"
                     for k, v in rule.when.items())
    does = [f"emphasises {', '.join(rule.emphasise)}"] if rule.emphasise else []
    does += [f"adds to {risk}: \u201c{text[en]}\u201d" for risk, text in (rule.risk_notes or {}).items()]
    does += [f"adds to {section}: \u201c{text[en]}\u201d" for section, texts in (rule.sentences or {}).items()
             for text in texts]
    if rule.benefit:
        does.append(f"benefit statement {rule.benefit}: \u201c{catalogue.statements[rule.benefit][en]}\u201d")
    if rule.signatures:
        does.append(f"signature block for a {', '.join(rule.signatures)} (who signs: templates/site.yaml)")
    if rule.refuse:
        does.append(f"REFUSES the form unless a clinician overrides with a reason: {rule.refuse[en]}")
    if rule.overridden:
        does.append(f"when overridden, the patient reads: \u201c{rule.overridden[en]}\u201d")
    if rule.sources:
        does.append(f"sources: {', '.join(rule.sources)}")
    return RuleSummary(rule.id, rule.why[en], when, does)
