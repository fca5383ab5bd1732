"""The library entry point: records in, PDFs out, one stage after another."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from . import clock, output, resources
from .content import translations
from .content.catalogue import SOURCE_LANGUAGE, Catalogue, load_catalogue
from .content.control import Control
from .content.settings import Site, load_site
from .content.tailoring import Tailoring, reference_day, rule_fields, tailor
from .errors import ContentControlError, Problem, SafetyRefusal
from .input.records import ANAESTHESIA, DOCUMENTS, Case, parse_case, read_record_file
from .layout import fonts, render


@dataclass(frozen=True)
class Options:
    """Choices that apply to every document of a run."""

    templates: Path = field(default_factory=resources.default_templates)
    risks: Path = field(default_factory=resources.default_risks)
    force: bool = False
    override: str | None = None  # a clinician's stated reason to proceed despite a safety rule
    large_print: bool = False  # on for every document; a record can also ask for it
    allow_draft: bool = False
    # The day review dates and ages are judged on; None: today in the site's time zone
    # (or DOCGEN_TODAY). Tests and callers that print "as of" a day pin it here.
    today: date | None = None


@dataclass(frozen=True)
class Built:
    """One finished document, not yet written."""

    case: Case
    document: str
    pdf: bytes
    file_name: str
    document_id: str
    template_version: str
    catalogue_version: str
    override: str | None
    pages: int = 0  # as laid out; 0 when not known


class Generator:
    """Loads the catalogue, site settings and template control once, then builds many documents."""

    def __init__(self, document: str, options: Options | None = None):
        if document not in DOCUMENTS:
            raise ValueError(f"unknown document {document!r}")
        self.document = document
        self.options = options or Options()
        self.catalogue: Catalogue = load_catalogue(self.options.risks)
        self.site: Site = load_site(self.options.templates)
        self.today: date = clock.today(self.site.timezone, self.options.today)
        # The document's own template first: its version is the one printed in the footer.
        self.template_controls = render.template_controls(self.options.templates, document)
        self.template_control: Control = self.template_controls[0]
        # What a consent form names as the information given: each document by version.
        self.information_versions = {
            name: render.read_control(self.options.templates, render.template_name(name)).version
            for name in DOCUMENTS}
        self.draft = self._check_content(
            (*self.template_controls, *self.catalogue.controls), self.today)
        self._language_draft: dict[str, bool] = {}
        fonts.register()

    def _check_content(self, controls, today: date) -> bool:
        """Refuse draft, retired or out-of-review content unless --allow-draft; True if any."""
        unfit = [reason for control in controls if (reason := control.unfit_reason(today))]
        if unfit and not self.options.allow_draft:
            raise ContentControlError(
                "; ".join(unfit) + ": content not approved for patients"
                "; use --allow-draft to print it marked DRAFT - NOT FOR CLINICAL USE"
            )
        return bool(unfit)

    def language_draft(self, language: str) -> bool:
        """Check the translation of the templates and catalogue into this language, once per run."""
        if language not in self._language_draft:
            controls = []
            if language != SOURCE_LANGUAGE:
                controls = [translations.translation_control(self.options.templates, language),
                            self.catalogue.translation_controls[language]]
            self._language_draft[language] = self._check_content(controls, self.today)
        return self._language_draft[language]

    def case(self, raw: Mapping[str, Any], source: str, row: int | None = None,
             strict_fields: bool = True) -> Case:
        return parse_case(
            raw,
            document=self.document,
            vocabulary=self.catalogue.vocabulary,
            source=source,
            row=row,
            strict_fields=strict_fields,
            can_draw=fonts.undrawable,
            today=self.today,
        )

    def build(self, case: Case) -> Built:
        tailoring = tailor(self.catalogue, case, self.document, self.today)
        override = case.override or self.options.override
        if tailoring.refusals and not override:
            raise SafetyRefusal([
                Problem(case.source, rule_fields(rule),
                        f"refused by safety rule {rule.id}: {rule.refuse['en']}", case.row)
                for rule in tailoring.refusals
            ])
        # The reason is printed, recorded and part of the id only where a rule needed it.
        override = override if tailoring.refusals else None
        draft = self.draft or self.language_draft(case.language)
        document_id = self._document_id(case, override)
        context = self._context(case, tailoring, document_id, override, draft)
        # z3c.rml is imported only when a document is laid out: it is most of docgen's
        # start-up, and `docgen risks`, `--help` and a batch's main process never use it.
        from .layout import pdf

        template = str(self.options.templates / render.template_name(self.document))
        rml = render.render_rml(self.options.templates, self.document, context)
        root = pdf.parse_rml(rml, template, [self.options.templates, fonts.FONT_DIR])
        data, pages = pdf.rml_to_pdf_pages(root, template, require_scan_code=True)
        return Built(
            case=case,
            document=self.document,
            pdf=data,
            pages=pages,
            file_name=output.file_name(case.mrn, self.document, case.procedure),
            document_id=document_id,
            template_version=self.template_control.version,
            catalogue_version=self.catalogue.version,
            override=override,
        )

    def _document_id(self, case: Case, override: str | None) -> str:
        """Stable for the same input and content versions, so a re-print carries the same id."""
        parts = [self.document, self.template_control.version, self.catalogue.version,
                 repr(case), override or "", str(self.options.large_print)]
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:12].upper()

    def _context(self, case: Case, tailoring: Tailoring, document_id: str,
                 override: str | None, draft: bool) -> dict[str, Any]:
        # Numbered in the order a reader meets them: benefit, risk table notes, risks, extras.
        used = dict.fromkeys([*tailoring.benefit_sources,
                              *tailoring.sentence_sources.get("risks", ()),
                              *(t.likelihood.source for t in tailoring.risks),
                              *(s for ids in tailoring.sentence_sources.values() for s in ids),
                              self.catalogue.band_source_id])
        age = case.age_on(reference_day(case, self.today))
        advice = self._advice_sources(case, tailoring)
        return {
            "case": case,
            "vertebrae": self.catalogue.vertebrae,  # every bone the spine picture draws, top down
            "document": self.document,
            "language": case.language,
            "locale": self.site.locale(case.language),
            "large_print": case.large_print or self.options.large_print,
            "site": self.site,
            "procedure": self.catalogue.procedures[case.procedure],
            "indication": self.catalogue.indications[case.indication],
            "comorbidities": [self.catalogue.comorbidities[c] for c in case.comorbidities],
            "bands": self.catalogue.bands,
            "tailoring": tailoring,
            "sources": [(i + 1, source_id, self.catalogue.sources[source_id])
                        for i, source_id in enumerate(used)],
            "bands_source": self.catalogue.band_source,
            "bands_source_id": self.catalogue.band_source_id,
            "source_number": {source_id: i + 1 for i, source_id in enumerate(used)},
            "aftercare": self.catalogue.aftercare,
            # the aftercare sheet's sources, numbered as cited beside each piece of advice
            "advice_sources": [(i + 1, self.catalogue.sources[source_id])
                               for i, source_id in enumerate(advice)],
            "advice_number": {source_id: i + 1 for i, source_id in enumerate(advice)},
            "template_version": self.template_control.version,
            "catalogue_version": self.catalogue.version,
            "document_id": document_id,
            "draft": draft,
            "override": override,
            "age": age,
            "minor": self.site.minor_band(age),
            "level_names": self.catalogue.level_names,
            "anaesthesia_options": ANAESTHESIA,
            # What the patient was given to read, by title and version (model consent form).
            "information_versions": self.information_versions,
            # Until the site records its own clinical approval, every page says so.
            "content_unapproved": self.site.content_approved_by is None,
        }

    def _advice_sources(self, case: Case, tailoring: Tailoring) -> list[str]:
        """Sources of the aftercare advice this patient gets, in catalogue order: needle sites
        for the procedure, every section, and sections a rule adds only when it fired."""
        aftercare = self.catalogue.aftercare
        shown = [name for name in aftercare.advice
                 if name not in self.catalogue.rule_sections or name in tailoring.aftercare]
        found = [aftercare.needle_sites[case.procedure].source]
        found += [item.source for name in shown for item in aftercare.advice[name]]
        return list(dict.fromkeys(found))

    def claim(self, case: Case, folder: Path) -> None:
        """Refuse before building what write would refuse after: a folder, FIFO or (without
        --force) a file already at the document's name. A folder not made yet holds nothing."""
        if folder.is_dir():
            output.claim(folder / output.file_name(case.mrn, self.document, case.procedure),
                         force=self.options.force)

    def write(self, built: Built, folder: Path, force: bool | None = None) -> Path:
        path = folder / built.file_name
        output.write_atomic(path, built.pdf, force=self.options.force if force is None else force)
        return path


def generate(document: str, record: Path, out_dir: Path, options: Options | None = None,
             on_written: Callable[[Built], None] | None = None) -> Path:
    """Build one document from one patient file and write it into out_dir; return its path.

    ``on_written`` is told about the document once it is written (the register records it).
    """
    generator = Generator(document, options)
    raw = read_record_file(record)
    case = generator.case(raw, source=str(record))
    generator.claim(case, out_dir)
    built = generator.build(case)
    path = generator.write(built, output.prepare_folder(out_dir))
    if on_written is not None:
        on_written(built)
    return path
