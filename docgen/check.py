"""`docgen check`: validate every template, catalogue file and translation, grade reading level,
and render every document variant with sample data."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import jinja2

from . import clock, resources
from .content import readability, tailoring, translations
from .content.catalogue import SOURCE_LANGUAGE, Catalogue, load_catalogue
from .content.control import Control
from .content.settings import Site, load_site
from .errors import DocgenError
from .generate import Generator, Options
from .input.records import DOCUMENTS
from .layout import render

REVIEW_WARNING = timedelta(days=60)  # say so in good time before content goes out of date


def sample_record(procedure: str, language: str, large_print: bool, today: date) -> dict:
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
        "clinician_job_title": "Sample job title",
        "anaesthesia": "local;sedation",
        "procedure_date": today.isoformat(),
        "language": language,
        "large_print": "yes" if large_print else "no",
    }


def sample_records(procedure: str, language: str, large_print: bool, today: date) -> list[dict]:
    """Two made-up patients: a plain one, and one that fires every kind of rule
    (lung disease with 3 levels overridden, blood thinners, a tumour, under 18)."""
    plain = sample_record(procedure, language, large_print, today)
    young = (today - timedelta(days=16 * 366)).isoformat()
    return [
        plain,
        {
            **plain,
            "mrn": "SAMPLE-0002",
            "date_of_birth": young,
            "levels": "T10;T11;T12",
            "indication": "metastasis",
            "comorbidities": "copd;anticoagulants",
            "override": "Sample reason: the team agreed to treat 3 levels",
        },
    ]


@dataclass
class Report:
    """What `docgen check` found: lines to read, and problems that make it fail."""

    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def problem(self, text: str) -> None:
        if text not in self.problems:
            self.problems.append(text)

    def error(self, exc: DocgenError, prefix: str = "") -> None:
        for text in [str(p) for p in exc.problems] or [exc.message]:
            self.problem(prefix + text)


def run(
    templates: Path | None = None, risks: Path | None = None, today: date | None = None
) -> Report:
    """Check all content; an empty ``problems`` list means it is fit to give to patients."""
    templates = templates or resources.default_templates()
    risks = risks or resources.default_risks()
    report = Report()
    site = _site(report, templates)
    # A broken site.yaml is reported above; dates are then judged in the default zone.
    today = clock.today(site.timezone if site else clock.DEFAULT_ZONE, today)

    catalogue = _catalogue(report, risks, today)
    _fhir_codes(report, risks, today)
    if catalogue is not None and site is not None:
        _contradictions(report, catalogue, site)
    _templates(report, templates, today)
    languages = catalogue.languages if catalogue else (SOURCE_LANGUAGE,)
    _translations(report, templates, languages, today)
    if catalogue is not None:
        _reading_level(report, catalogue, templates)
    if catalogue is not None and site is not None:
        _render_all(report, templates, risks, catalogue, today)
    return report


def _control(report: Report, control: Control, today: date) -> None:
    """An approved, in-date control is fine; anything else is a problem, named by its item."""
    if reason := control.unfit_reason(today):
        report.problem(f"{reason}: not fit to give to patients")
    if control.approved_on > today:
        report.problem(
            f"{control.item}: approved_on {control.approved_on.isoformat()} is in the future"
        )
    if control.review_due <= control.approved_on:
        report.problem(f"{control.item}: review_due is not after approved_on")
    elif control.status == "approved" and today <= control.review_due < today + REVIEW_WARNING:
        report.lines.append(
            f"note: {control.item} is due for review on {control.review_due.isoformat()}"
        )


def _catalogue(report: Report, risks: Path, today: date) -> Catalogue | None:
    try:
        catalogue = load_catalogue(risks)
    except DocgenError as exc:
        report.error(exc)
        return None
    for control in (*catalogue.controls, *catalogue.translation_controls.values()):
        _control(report, control, today)
    return catalogue


def _fhir_codes(report: Report, risks: Path, today: date) -> None:
    """The FHIR code mapping, if the risks folder has one (only FHIR input needs it)."""
    from .fhir.codes import CODES_FILE, load_codes

    if not (risks / CODES_FILE).exists():
        report.lines.append(f"note: no {CODES_FILE} in {risks}: FHIR input cannot be read")
        return
    try:
        codes = load_codes(risks)
    except DocgenError as exc:
        report.error(exc)
        return
    if codes.control is not None:
        _control(report, codes.control, today)
    count = sum(len(c) for words in codes.table.values() for c in words.values())
    report.lines.append(f"{CODES_FILE}: {count} codes, each with its source")


def _site(report: Report, templates: Path) -> Site | None:
    try:
        site = load_site(templates)
    except DocgenError as exc:
        report.error(exc)
        return None
    if site.content_approved_by is None:
        # Said, not failed: the shipped content is an example until a site approves it.
        report.lines.append(
            f"note: {templates / 'site.yaml'}: no content_approval recorded: every document's footer "
            f"says \"Example content, not yet approved by {site.hospital}\"; the shipped content has had "
            "no clinical review (see docgen review)")
    else:
        report.lines.append(f"Content approved for {site.hospital} by {site.content_approved_by} "
                            f"on {site.content_approved_on.isoformat()}")
    return site


def _contradictions(report: Report, catalogue: Catalogue, site: Site) -> None:
    """No two rules whose texts contradict each other apply together, in any combination."""
    ages = tuple(band.age_under for band in site.minors)
    found = tailoring.contradictions_found(catalogue, ages)
    for text in found[:20]:
        report.problem(f"risks/rules.yaml: contradictions: {text}")
    if not found:
        report.lines.append(f"No contradictions: {len(catalogue.contradictions)} pairs checked in every "
                            "combination of procedure, indication, comorbidities, levels and age")


def _templates(report: Report, templates: Path, today: date) -> None:
    """Every template file: a valid control block, in date, and Jinja that parses."""
    names = sorted(p.name for p in templates.glob(f"*{render.TEMPLATE_SUFFIX}"))
    for document in DOCUMENTS:
        if render.template_name(document) not in names:
            report.problem(f"{templates / render.template_name(document)}: template not found")
    for name in names:
        try:
            _control(report, render.read_control(templates, name), today)
        except DocgenError as exc:
            report.error(exc)
        try:
            render.environment(templates).parse(
                (templates / name).read_text(encoding="utf-8"), name
            )
        except jinja2.TemplateSyntaxError as exc:
            report.problem(f"{templates / name}: line {exc.lineno}: {exc.message}")
        except (OSError, UnicodeDecodeError) as exc:
            report.problem(f"{templates / name}: cannot be read: {exc}")


def _translations(report: Report, templates: Path, languages, today: date) -> None:
    """Every English message translated in every other language, compiled, under control."""
    for language in languages:
        if language == SOURCE_LANGUAGE:
            continue
        try:
            _control(report, translations.translation_control(templates, language), today)
        except DocgenError as exc:
            report.error(exc)
        try:
            for text in translations.problems(templates, language):
                report.problem(text)
        except DocgenError as exc:
            report.error(exc)
    for language in translations.catalogue_languages(templates):
        if language not in languages:
            report.lines.append(
                f"note: {translations.locale_dir(templates) / language}: "
                "language not listed under languages in risks/catalogue.yaml; not used"
            )


def _reading_level(report: Report, catalogue: Catalogue, templates: Path) -> None:
    try:
        messages = list(translations.messages(templates))
    except DocgenError as exc:
        report.error(exc)
        messages = []
    report.lines.append(
        f"Reading level (Flesch-Kincaid grade, at most {readability.MAX_GRADE:g}; "
        f"texts under {readability.MIN_WORDS} words are labels and not graded):"
    )
    try:
        site = load_site(templates)
        site_texts = [(f"templates/site.yaml: {site.jurisdiction} minors under {band.age_under}", band.text)
                      for band in site.minors]
    except DocgenError:
        site_texts = []  # reported by _site
    for grade in readability.grades(catalogue, messages, site_texts):
        report.lines.append(f"  {grade}")
        if grade.too_hard:
            report.problem(
                f"{grade.item}: English text is at grade {grade.grade:g}, over grade "
                f"{readability.MAX_GRADE:g}: {grade.text!r}"
            )


def _render_all(report: Report, templates: Path, risks: Path, catalogue: Catalogue, today: date) -> None:
    """Render every document for every procedure, language and print size.

    Drafts are allowed here: unfit content is reported above, and rendering should still
    find broken templates in it.
    """
    options = Options(templates=templates, risks=risks, allow_draft=True, today=today)
    count = 0
    for document in DOCUMENTS:
        try:
            generator = Generator(document, options)
        except DocgenError as exc:
            report.error(exc, f"{document}: ")
            continue
        variants = itertools.product(catalogue.procedures, catalogue.languages, (False, True))
        for procedure, language, large_print in variants:
            for raw in sample_records(procedure, language, large_print, today):
                try:
                    generator.build(generator.case(raw, source="sample record"))
                    count += 1
                except DocgenError as exc:
                    report.error(
                        exc,
                        f"{document}/{procedure}/{language}"
                        f"{'/large print' if large_print else ''}/{raw['mrn']}: ",
                    )
    report.lines.append(
        f"Rendered {count} sample documents "
        f"({', '.join(DOCUMENTS)} x {', '.join(catalogue.procedures)} x "
        f"{', '.join(catalogue.languages)} x standard and large print x 2 patients)"
    )
