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

from datetime import date
from pathlib import Path

from .. import clock
from ..content.settings import Site
from .bundle import load_bundle
from .codes import Codes, approved_codes, load_codes
from .document import document_reference
from .filing import Filer
from .mapping import PatientRecord, patient_records

__all__ = ["Codes", "Filer", "PatientRecord", "approved_codes", "document_reference", "load_codes",
           "read_bundle"]


def read_bundle(data: bytes | Path, *, risks: Path, site: Site, source: str | None = None,
                allow_draft: bool = False, codes: Codes | None = None,
                today: date | None = None) -> list[PatientRecord]:
    """Every Patient of a Bundle as a docgen record or its refusal, in file order.

    The code mapping must be approved content (as the catalogue must), unless ``allow_draft``.
    """
    codes = codes or approved_codes(risks, allow_draft, clock.today(site.timezone, today))
    bundle = load_bundle(data, source)
    return patient_records(bundle, codes, site.fhir.get("mrn_system"))
