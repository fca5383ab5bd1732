"""One document from a Bundle (or a patient file), with its DocumentReference: what the CLI calls."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .. import output
from ..errors import InputFileError, RecordError, SafetyRefusal
from ..generate import Built, Generator, Options
from ..input.records import Case, read_record_file
from . import read_bundle
from .codes import approved_codes
from .filing import Filer
from .mapping import PatientRecord

# FHIR R4's id datatype: what may follow "Patient/" (anything else is never a Patient's id).
_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


@dataclass(frozen=True)
class FhirOptions:
    """What to do in FHIR terms besides writing the PDF."""

    write: bool = False  # --fhir-out: a DocumentReference beside each PDF
    server: str | None = None  # --fhir-server: POST each one there (and write it too)
    pdf_url: str | None = None  # --fhir-pdf-url: link the PDF from this base URL instead of embedding it

    @property
    def wanted(self) -> bool:
        return self.write or self.server is not None or self.pdf_url is not None


def filer(generator: Generator, options: FhirOptions, when: datetime) -> Filer | None:
    """The Filer for a run, made before any document so a bad URL or mapping stops it early."""
    if not options.wanted:
        return None
    try:
        codes = approved_codes(generator.options.risks, generator.options.allow_draft, generator.today)
        return Filer(generator.site, codes, when,
                     force=generator.options.force, server=options.server, pdf_url=options.pdf_url)
    except ValueError as exc:
        raise InputFileError(str(exc)) from None


def one_patient(generator: Generator, data: bytes | Path, source: str | None = None,
                patient_id: str | None = None) -> tuple[PatientRecord, Case]:
    """The one Patient of a Bundle (or the one named ``patient_id``) as a checked Case, or the error
    naming its resource and element.

    The command line (--fhir) and the web page's Bundle upload both come through here.
    """
    patients = read_bundle(data, risks=generator.options.risks, site=generator.site, source=source,
                           allow_draft=generator.options.allow_draft, today=generator.today)
    name = source or str(data)
    if patient_id:
        wanted = patient_id.strip()
        wanted = wanted if wanted.startswith("Patient/") else f"Patient/{wanted}"
        if not _FHIR_ID.fullmatch(wanted.removeprefix("Patient/")):
            # Checked before it is echoed: a pasted line break or a whole file would break the one-line error.
            raise InputFileError(f"{name}: the patient to print must be Patient/ID, the ID being up to 64 "
                                 "letters, digits, '-' or '.' (FHIR's id)")
        patients = [p for p in patients if wanted in (p.label, p.patient_reference)]
        if not patients:
            raise InputFileError(f"{name}: no Patient with the id {wanted}")
    if len(patients) != 1:
        raise InputFileError(f"{name}: holds {len(patients)} patients; one document is made for "
                             "exactly one: name it by its id (Patient/ID), or use docgen batch for all")
    patient = patients[0]
    if patient.problems:
        raise RecordError(patient.problems)
    return patient, patient_case(generator, patient)


def patient_case(generator: Generator, patient: PatientRecord, extra: dict[str, str] | None = None,
                 row: int | None = None) -> Case:
    """A Bundle's patient as a Case; docgen's own reasons placed on the FHIR elements.

    ``extra`` holds what a clinician adds where they work (an override reason on the web page)."""
    try:
        return generator.case({**patient.record, **(extra or {})}, source=patient.source, row=row)
    except RecordError as exc:
        raise RecordError([patient.relabel(p) for p in exc.problems]) from None


def build(generator: Generator, case: Case, patient: PatientRecord | None) -> Built:
    """Build the document; a safety rule's refusal names the FHIR elements when it came from a Bundle."""
    try:
        return generator.build(case)
    except SafetyRefusal as exc:
        if patient is None:
            raise
        raise SafetyRefusal([patient.relabel(p) for p in exc.refusals]) from None


def one_document(document: str, out_dir: Path, options: Options, fhir: FhirOptions, when: datetime, *,
                 record_file: Path | None = None, bundle_file: Path | None = None, patient_id: str | None = None,
                 on_written: Callable[[Built], None] | None = None) -> tuple[Path, str | None]:
    """Build and write one document; return its path and why filing it failed (None if it did not).

    ``on_written`` is told about the document once it is written (the register records it)."""
    generator = Generator(document, options)
    filing = filer(generator, fhir, when)
    patient = None
    if bundle_file is not None:
        patient, case = one_patient(generator, bundle_file, patient_id=patient_id)
    else:
        case = generator.case(read_record_file(record_file), source=str(record_file))
    generator.claim(case, out_dir)
    built = build(generator, case, patient)
    path = generator.write(built, output.prepare_folder(out_dir))
    if on_written is not None:
        on_written(built)
    failure = None
    if filing is not None:
        failure = filing.file(path, document=document, document_id=built.document_id, mrn=case.mrn,
                              patient_reference=patient.patient_reference if patient else None,
                              request_reference=patient.request_reference if patient else None)
    return path, failure
