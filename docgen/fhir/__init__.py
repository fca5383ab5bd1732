"""HL7 FHIR R4: patients in from a Bundle, documents filed back as DocumentReference.

Library entry points (no Click needed):

- ``read_bundle(path_or_bytes, risks=..., site=...)`` -> one PatientRecord per Patient,
  each holding a docgen record (field -> text) or the problems that refuse it;
- ``document_reference(pdf, ...)`` -> the DocumentReference for a PDF, as FHIR JSON;
- ``Filer`` writes a DocumentReference beside each PDF and optionally POSTs it.

Resources are checked with fhir.resources' R4B models (R4B is wire-compatible with R4 for
every resource docgen reads or writes); codes mean what risks/fhir/codes.yaml says.
"""

from __future__ import annotations

from pathlib import Path

from ..settings import Site
from .bundle import load_bundle
from .codes import Codes, load_codes
from .document import document_reference
from .filing import Filer
from .mapping import PatientRecord, patient_records

__all__ = ["Codes", "Filer", "PatientRecord", "document_reference", "load_codes", "read_bundle"]


def read_bundle(data: bytes | Path, *, risks: Path, site: Site, source: str | None = None,
                codes: Codes | None = None) -> list[PatientRecord]:
    """Every Patient of a Bundle as a docgen record or its refusal, in file order."""
    bundle = load_bundle(data, source)
    return patient_records(bundle, codes or load_codes(risks), site.fhir.get("mrn_system"))
